# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: how the grants that this extension creates are marked, so that it removes only its own.

A grant is this extension's when its name is the one derived from the cluster principal and the identity and its
description is the one below. Both are fixed for ever: changing either would make the grants that earlier releases
created look like someone else's, and they would never be removed.
"""
import uuid

MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"
_GRANT_NAMESPACE = uuid.UUID("5b0e2a4c-6f1d-4e8a-9c37-2d8f0a61b7e4")
# No quotes in it: the fix commands that recreate the grant quote it for the shell.
GRANT_DESCRIPTION = ("Created by az aks pod-identity add (podidentity extension) so that the AKS cluster can assign "
                     "this identity to pods; removed with the last pod identity of the cluster that uses it.")


def created_grant_name(principal_id, identity_id):
    """The assignment name this extension gives its grant of ``identity_id`` to ``principal_id``."""
    return str(uuid.uuid5(_GRANT_NAMESPACE, f"{principal_id.lower()}|{identity_id.lower().rstrip('/')}"))


def is_created_grant(assignment, principal_id, identity_id):
    """Is this listed assignment (a dict) the grant that this extension's `add` created?"""
    return ((assignment.get("name") or "").lower() == created_grant_name(principal_id, identity_id)
            and (assignment.get("description") or "") == GRANT_DESCRIPTION
            and (assignment.get("roleDefinitionId") or "").lower().endswith(MANAGED_IDENTITY_OPERATOR))


def grant_command(principal_id, identity_id):
    """The grant exactly as `add` creates it (its name and description), so that `delete` can remove it later."""
    return (f"az role assignment create --role 'Managed Identity Operator' --assignee-object-id {principal_id} "
            f"--assignee-principal-type ServicePrincipal --scope {identity_id} "
            f"--name {created_grant_name(principal_id, identity_id)} --description \"{GRANT_DESCRIPTION}\"")
