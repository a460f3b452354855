import pytest
from azure.cli.core.azclierror import InvalidArgumentValueError

from azext_podidentity.grants.principals import MANAGED_IDENTITY_OPERATOR, cluster_principal_id, holds_operator_role

IDENTITY = ("/subscriptions/s1/resourceGroups/RG/providers/Microsoft.ManagedIdentity/"
            "userAssignedIdentities/app")
MIO = f"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/{MANAGED_IDENTITY_OPERATOR}"


def grant(scope, role=MIO, principal="p1"):
    return {"scope": scope, "roleDefinitionId": role, "principalId": principal}


@pytest.mark.parametrize("scope", [IDENTITY, IDENTITY.lower(), "/subscriptions/s1/resourcegroups/rg",
                                   "/subscriptions/S1", "/",
                                   # atScope() lists a management group's assignment only when it covers the scope
                                   "/providers/Microsoft.Management/managementGroups/tenant-root"])
def test_grant_at_or_above_the_identity_counts(scope):
    assert holds_operator_role([grant(scope)], "P1", IDENTITY)


@pytest.mark.parametrize("assignment", [
    grant(IDENTITY, role=MIO.replace(MANAGED_IDENTITY_OPERATOR, "b24988ac-6180-42a0-ab88-20f7382dd24c")),
    grant(IDENTITY, principal="p2"),
    grant("/subscriptions/s1/resourceGroups/RG2"),
    grant("/subscriptions/s1/resourceGroups/R"),       # a prefix of the name is not an ancestor
    grant(IDENTITY + "/child"),
])
def test_other_grants_do_not_count(assignment):
    assert not holds_operator_role([assignment], "p1", IDENTITY)


def test_cluster_principal():
    assert cluster_principal_id({"identity": {"type": "SystemAssigned", "principalId": "p"}}) == "p"
    assert cluster_principal_id({"identity": {"type": "UserAssigned",
                                              "userAssignedIdentities": {"/x": {"principalId": "u"}}}}) == "u"
    for cluster in ({}, {"identity": None}, {"identity": {"type": "UserAssigned", "userAssignedIdentities": {}}}):
        with pytest.raises(InvalidArgumentValueError, match="managed identity"):
            cluster_principal_id(cluster)
