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
from azure.cli.core.azclierror import ForbiddenError
from knack.log import get_logger

from azext_podidentity.grants.marks import (GRANT_DESCRIPTION, MANAGED_IDENTITY_OPERATOR, created_grant_name,
                                            grant_command, is_created_grant)
from azext_podidentity.grants.principals import cluster_principal_id, holds_operator_role, uses_managed_identity

logger = get_logger(__name__)


def _client(cmd, identity_id):
    """An authorization client of the identity's subscription (role assignments are read and written there)."""
    from azure.cli.core.profiles import ResourceType

    from azext_podidentity.arm.clients import client_for
    from azext_podidentity.inputs.validation import parse_identity_resource_id
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
                f"  {grant_command(principal_id, identity_id)}") from ex
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
