# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""What `check` reads of each identity, in two requests at most: the identity, and the grants listed at it."""


def read_identity_facts(cmd, identity_resource_id, cluster_principal_id=None):
    """{"exists", "clientId", "principalId", "error", "grantHeld", "grantError"}. A 404 is a fact, not a failure;
    any other refusal (for example no read access in the identity's subscription) is reported. The grant is looked
    for only when the identity exists."""
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.arm.identities import find_identity
    from azext_podidentity.grants.operator_role import list_grants
    from azext_podidentity.grants.principals import holds_operator_role
    try:
        found = find_identity(cmd, identity_resource_id)
    except HttpResponseError as ex:
        return {"exists": None, "error": str(ex.message or ex)}
    if found is None:
        return {"exists": False}
    facts = {"exists": True, "clientId": found.client_id, "principalId": found.principal_id}
    if cluster_principal_id:
        try:
            facts["grantHeld"] = holds_operator_role(list_grants(cmd, cluster_principal_id, identity_resource_id),
                                                     cluster_principal_id, identity_resource_id)
        except HttpResponseError as ex:
            facts["grantError"] = str(ex.message or ex)
    return facts
