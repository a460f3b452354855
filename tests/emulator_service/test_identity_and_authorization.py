"""The emulator's Managed Identity and Authorization services over HTTPS."""
import uuid

MIO = "f1a07417-d97a-45cb-824c-7a7467783830"


def identity_path(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def test_identity_put_and_get_in_any_subscription(emulator, names):
    other_sub = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    emulator.seed_group(names.identity_rg, subscription=other_sub)
    status, _, created = emulator.arm("PUT", identity_path(other_sub, names.identity_rg, "id1"),
                                      {"location": "westus"}, api_version="2023-01-31")
    assert status == 201
    assert created["properties"]["clientId"] and created["properties"]["principalId"]
    status, _, read = emulator.arm("GET", identity_path(other_sub, names.identity_rg.upper(), "ID1"),
                                   api_version="2023-01-31")
    assert status == 200 and read["id"] == created["id"]


def test_missing_identity_is_404(emulator, names):
    emulator.seed_group(names.identity_rg)
    status, _, body = emulator.arm("GET", identity_path(emulator.subscription, names.identity_rg, "none"))
    assert status == 404 and body["error"]["code"] == "ResourceNotFound"


def test_identity_in_missing_group_is_refused(emulator):
    status, _, body = emulator.arm("PUT", identity_path(emulator.subscription, "no-such-group", "x"),
                                   {"location": "eastus"})
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"


def _assignments(emulator, scope, principal):
    flt = f"atScope() and assignedTo('{principal}')"
    status, _, body = emulator.arm("GET", f"{scope}/providers/Microsoft.Authorization/roleAssignments?"
                                          f"$filter={flt.replace(' ', '%20')}", api_version="2022-04-01")
    assert status == 200
    return body["value"]


def test_role_assignment_list_at_scope_includes_inherited_ones(emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "app")
    principal = str(uuid.uuid4())
    group_scope = identity["id"].split("/providers/")[0]
    emulator.grant(group_scope, principal)
    emulator.grant(identity["id"] + "/child-scope-below", principal)
    found = _assignments(emulator, identity["id"].lower(), principal)
    assert [a["properties"]["scope"] for a in found] == [group_scope]
    assert _assignments(emulator, identity["id"], str(uuid.uuid4())) == []


def test_role_assignment_put_get_delete(emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "app")
    name = str(uuid.uuid4())
    path = f"{identity['id']}/providers/Microsoft.Authorization/roleAssignments/{name}"
    body = {"properties": {"roleDefinitionId": f"/subscriptions/{emulator.subscription}/providers/"
                                               f"Microsoft.Authorization/roleDefinitions/{MIO}",
                           "principalId": str(uuid.uuid4()), "principalType": "ServicePrincipal"}}
    status, _, created = emulator.arm("PUT", path, body, api_version="2022-04-01")
    assert status == 201
    assert created["properties"]["scope"] == identity["id"] and created["name"] == name
    status, _, again = emulator.arm("PUT", path.replace(name, str(uuid.uuid4())), body, api_version="2022-04-01")
    assert status == 409 and again["error"]["code"] == "RoleAssignmentExists"
    assert emulator.arm("GET", path, api_version="2022-04-01")[0] == 200
    assert emulator.arm("DELETE", path, api_version="2022-04-01")[0] == 200
    assert emulator.arm("GET", path, api_version="2022-04-01")[0] == 404


def test_role_assignment_write_needs_owner_or_user_access_administrator(emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "app")
    emulator.revoke(emulator.pipeline_object_id, "Owner")
    try:
        body = {"properties": {"roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{MIO}",
                               "principalId": str(uuid.uuid4())}}
        status, _, error = emulator.arm("PUT", f"{identity['id']}/providers/Microsoft.Authorization/"
                                               f"roleAssignments/{uuid.uuid4()}", body, api_version="2022-04-01")
        assert status == 403 and error["error"]["code"] == "AuthorizationFailed"
        assert "Microsoft.Authorization/roleAssignments/write" in error["error"]["message"]
    finally:
        emulator.grant(f"/subscriptions/{emulator.subscription}", emulator.pipeline_object_id, "Owner")


def test_role_definitions_by_name_and_by_id(emulator):
    scope = f"/subscriptions/{emulator.subscription}"
    status, _, listed = emulator.arm(
        "GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions?"
               "$filter=roleName%20eq%20%27Managed%20Identity%20Operator%27", api_version="2022-04-01")
    assert status == 200 and [d["name"] for d in listed["value"]] == [MIO]
    status, _, one = emulator.arm("GET", f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{MIO}",
                                  api_version="2022-04-01")
    assert status == 200 and one["properties"]["roleName"] == "Managed Identity Operator"
