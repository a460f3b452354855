# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Make sure the cluster's control-plane identity holds "Managed Identity Operator" on a pod's identity.

The AKS service refuses a pod identity unless the cluster principal may assign it. One listing at the
identity's scope (inherited grants included) decides; a missing grant is created at the identity's own
scope, never broader, in the identity's subscription.

Grants this extension creates carry a name derived from the principal and the identity, and a description, so
that `delete` can tell them from grants that someone else made and remove only its own.
"""
from azure.cli.core.azclierror import ForbiddenError, InvalidArgumentValueError
from knack.log import get_logger

from azext_podidentity import fix_commands
from azext_podidentity.grant_marks import (GRANT_DESCRIPTION, MANAGED_IDENTITY_OPERATOR, created_grant_name,
                                           is_created_grant)

logger = get_logger(__name__)


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


def principal_id_or_none(cluster):
    """The principal the service checks, or None for a cluster that has none (a service-principal cluster)."""
    try:
        return cluster_principal_id(cluster)
    except InvalidArgumentValueError:
        return None


def _is_within(scope, ancestor):
    scope, ancestor = scope.lower().rstrip("/"), ancestor.lower().rstrip("/")
    return scope == ancestor or scope.startswith(ancestor + "/")


def _applies_at(identity_id, scope):
    """An assignment's scope that covers the identity: the identity, a group or subscription above it, the root
    scope ``/``, or a management group (an ``atScope()`` listing at the identity returns one only when the
    identity's subscription sits below it; which one cannot be told from the ids)."""
    if scope.lower().startswith("/providers/microsoft.management/managementgroups/"):
        return True
    return _is_within(identity_id, scope)


def holds_operator_role(assignments, principal_id, identity_id):
    """Pure: does any assignment listed at the identity's scope give ``principal_id`` the role there?"""
    for a in assignments:
        if ((a.get("roleDefinitionId") or "").lower().endswith(MANAGED_IDENTITY_OPERATOR)
                and (a.get("principalId") or "").lower() == principal_id.lower()
                and _applies_at(identity_id, a.get("scope") or "")):
            return True
    return False


def _client(cmd, identity_id):
    """An authorization client of the identity's subscription (role assignments are read and written there)."""
    from azure.cli.core.profiles import ResourceType

    from azext_podidentity.clients import client_for
    from azext_podidentity.validation import parse_identity_resource_id
    return client_for(cmd.cli_ctx, ResourceType.MGMT_AUTHORIZATION, parse_identity_resource_id(identity_id)[0])


def list_grants(cmd, principal_id, identity_id, client=None):
    """The principal's assignments at the identity's scope and above it, as dicts: one request."""
    client = client or _client(cmd, identity_id)
    listed = client.role_assignments.list_for_scope(
        scope=identity_id, filter=f"atScope() and assignedTo('{principal_id}')")
    return [{"name": a.name, "roleDefinitionId": a.role_definition_id, "principalId": a.principal_id,
             "scope": a.scope, "description": getattr(a, "description", None)} for a in listed]


def ensure_operator_role(cmd, principal_id, identity_id):
    """Return the name of the assignment this call created, or None when a grant already applied."""
    from azure.core.exceptions import HttpResponseError, ResourceExistsError
    client = _client(cmd, identity_id)
    if holds_operator_role(list_grants(cmd, principal_id, identity_id, client), principal_id, identity_id):
        return None
    subscription = identity_id.split("/")[2]
    parameters = cmd.get_models("RoleAssignmentCreateParameters", resource_type=_authorization(),
                                operation_group="role_assignments")(
        role_definition_id=f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
                           f"{MANAGED_IDENTITY_OPERATOR}",
        principal_id=principal_id, principal_type="ServicePrincipal", description=GRANT_DESCRIPTION)
    name = created_grant_name(principal_id, identity_id)
    try:
        client.role_assignments.create(scope=identity_id, role_assignment_name=name, parameters=parameters)
    except ResourceExistsError:
        return None
    except HttpResponseError as ex:
        if ex.status_code == 403:
            raise ForbiddenError(
                f"{ex.message}\nCould not grant 'Managed Identity Operator' on '{identity_id}' to the cluster "
                f"identity '{principal_id}'. Granting it needs Owner or User Access Administrator on the identity; "
                "or ask an administrator to assign the role beforehand:\n"
                f"  {fix_commands.grant(principal_id, identity_id)}") from ex
        raise
    logger.warning("Granted 'Managed Identity Operator' on '%s' to the cluster identity '%s'.",
                   identity_id, principal_id)
    return name


def _delete(cmd, identity_id, name):
    """Delete one assignment; a failure is a warning (the pod identity change it follows has been made)."""
    from azure.core.exceptions import HttpResponseError
    try:
        _client(cmd, identity_id).role_assignments.delete(scope=identity_id, role_assignment_name=name)
    except HttpResponseError as ex:
        logger.warning("Could not remove the 'Managed Identity Operator' grant '%s' on '%s': %s\nRemove it with:\n"
                       "  az role assignment delete --ids %s/providers/Microsoft.Authorization/roleAssignments/%s",
                       name, identity_id, ex.message or ex, identity_id, name)
        return False
    return True


def undo_grant(cmd, principal_id, identity_id):
    """Remove the grant this command created a moment ago, because the change it was for failed."""
    if _delete(cmd, identity_id, created_grant_name(principal_id, identity_id)):
        logger.warning("Removed the 'Managed Identity Operator' grant on '%s' that this command created: the "
                       "change it was for did not succeed.", identity_id)


def release_grants(cmd, cluster_identity, identity_ids, still_used=None):
    """After the last pod identity using each of ``identity_ids`` left the cluster: remove the grants `add` created.

    Only for a system-assigned cluster identity (a user-assigned control-plane identity may serve other clusters)
    and only the grant this extension created, never one made by someone else or inherited. ``still_used(identity
    id)`` reads the cluster again after a removal: when a pod identity uses the identity by then (an `add` that
    landed meanwhile), the grant is created again, so that no such add is left without it.
    """
    if not identity_ids or not uses_managed_identity(cluster_identity):
        return
    principal_id = cluster_principal_id(cluster_identity)
    system_assigned = ((cluster_identity.get("identity") or {}).get("type") or "").lower() == "systemassigned"
    for identity_id in dict.fromkeys(identity_ids):
        if system_assigned:
            _release_grant(cmd, principal_id, identity_id, still_used)
        else:
            logger.warning("Kept the 'Managed Identity Operator' grant of the cluster's user-assigned control-plane "
                           "identity '%s' on '%s': that identity may serve other clusters. If it does not, remove "
                           "it with:\n  az role assignment delete --assignee %s --role 'Managed Identity Operator' "
                           "--scope %s", principal_id, identity_id, principal_id, identity_id)


def _release_grant(cmd, principal_id, identity_id, still_used=None):
    from azure.core.exceptions import HttpResponseError
    try:
        assignments = list_grants(cmd, principal_id, identity_id)
    except HttpResponseError as ex:
        logger.warning("Could not look for the 'Managed Identity Operator' grant on '%s' to remove it: %s",
                       identity_id, ex.message or ex)
        return
    for assignment in assignments:
        if is_created_grant(assignment, principal_id, identity_id) and \
                _delete(cmd, identity_id, assignment["name"]):
            try:
                used = still_used is not None and still_used(identity_id)
            except HttpResponseError as ex:
                # the change and the grant's removal are done: a read that fails now must not fail the command
                logger.warning("Removed the 'Managed Identity Operator' grant on '%s' that 'az aks pod-identity add' "
                               "created, but could not read the cluster again to check that no pod identity using "
                               "it was added meanwhile: %s\nIf one was, run its 'az aks pod-identity add' again: it "
                               "restores the grant.", identity_id, ex.message or ex)
                continue
            if used:
                ensure_operator_role(cmd, principal_id, identity_id)
                logger.warning("A pod identity using '%s' was added while its grant was being removed; the 'Managed "
                               "Identity Operator' grant was created again.", identity_id)
                continue
            logger.warning("Removed the 'Managed Identity Operator' grant on '%s' that 'az aks pod-identity add' "
                           "created: no pod identity of the cluster uses this identity any more.", identity_id)


def _authorization():
    from azure.cli.core.profiles import ResourceType
    return ResourceType.MGMT_AUTHORIZATION
