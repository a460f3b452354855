# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Make sure the cluster's control-plane identity holds "Managed Identity Operator" on a pod's identity.

The AKS service refuses a pod identity unless the cluster principal may assign it. One listing at the
identity's scope (inherited grants included) decides; a missing grant is created at the identity's own
scope, never broader, in the identity's subscription.
"""
import uuid

from azure.cli.core.azclierror import ForbiddenError, InvalidArgumentValueError
from knack.log import get_logger

logger = get_logger(__name__)

MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"


NEEDS_MANAGED_IDENTITY = (
    "Pod identity requires a cluster that uses a managed identity; this cluster uses a service principal. "
    "Move the cluster to a managed identity with 'az aks update --enable-managed-identity' first.")


def uses_managed_identity(cluster):
    return ((cluster.get("identity") or {}).get("type") or "").lower() in ("systemassigned", "userassigned")


def cluster_principal_id(cluster):
    """The principal the service checks: system-assigned, or the single user-assigned control-plane identity."""
    identity = cluster.get("identity") or {}
    kind = (identity.get("type") or "").lower()
    if kind == "systemassigned" and identity.get("principalId"):
        return identity["principalId"]
    if kind == "userassigned":
        assigned = list((identity.get("userAssignedIdentities") or {}).values())
        if len(assigned) == 1 and (assigned[0] or {}).get("principalId"):
            return assigned[0]["principalId"]
    raise InvalidArgumentValueError(NEEDS_MANAGED_IDENTITY)


def _is_within(scope, ancestor):
    scope, ancestor = scope.lower().rstrip("/"), ancestor.lower().rstrip("/")
    return scope == ancestor or scope.startswith(ancestor + "/")


def holds_operator_role(assignments, principal_id, identity_id):
    """Pure: does any listed assignment give ``principal_id`` the role at the identity or above it?"""
    for a in assignments:
        if ((a.get("roleDefinitionId") or "").lower().endswith(MANAGED_IDENTITY_OPERATOR)
                and (a.get("principalId") or "").lower() == principal_id.lower()
                and _is_within(identity_id, a.get("scope") or "")):
            return True
    return False


def ensure_operator_role(cmd, principal_id, identity_id):
    """Return True when this call created the grant, False when one already applied."""
    from azure.cli.command_modules.acs._client_factory import get_auth_management_client
    from azure.core.exceptions import HttpResponseError, ResourceExistsError
    client = get_auth_management_client(cmd.cli_ctx, scope=identity_id)
    listed = client.role_assignments.list_for_scope(
        scope=identity_id, filter=f"atScope() and assignedTo('{principal_id}')")
    assignments = [{"roleDefinitionId": a.role_definition_id, "principalId": a.principal_id, "scope": a.scope}
                   for a in listed]
    if holds_operator_role(assignments, principal_id, identity_id):
        return False
    subscription = identity_id.split("/")[2]
    parameters = cmd.get_models("RoleAssignmentCreateParameters", resource_type=_authorization(),
                                operation_group="role_assignments")(
        role_definition_id=f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
                           f"{MANAGED_IDENTITY_OPERATOR}",
        principal_id=principal_id, principal_type="ServicePrincipal")
    try:
        client.role_assignments.create(scope=identity_id, role_assignment_name=str(uuid.uuid4()),
                                       parameters=parameters)
    except ResourceExistsError:
        return False
    except HttpResponseError as ex:
        if ex.status_code == 403:
            raise ForbiddenError(
                f"{ex.message}\nCould not grant 'Managed Identity Operator' on '{identity_id}' to the cluster "
                f"identity '{principal_id}'. Granting it needs Owner or User Access Administrator on the identity; "
                "or ask an administrator to assign the role beforehand:\n"
                f"  az role assignment create --role 'Managed Identity Operator' --assignee-object-id "
                f"{principal_id} --assignee-principal-type ServicePrincipal --scope {identity_id}") from ex
        raise
    logger.warning("Granted 'Managed Identity Operator' on '%s' to the cluster identity '%s'.",
                   identity_id, principal_id)
    return True


def _authorization():
    from azure.cli.core.profiles import ResourceType
    return ResourceType.MGMT_AUTHORIZATION
