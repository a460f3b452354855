"""The emulator against real Azure traffic: each answer of a kind the extension asks for, held against its recording.

The recordings (``recorded/``, copied from shared/reference/recorded; its README names each source) are the truth:
same status, the headers that matter (LRO, Retry-After, ETag), the keys the extension and azure-cli read at every
level, and the service's codes and messages. Recordings are trimmed, so a recorded key must be there; the emulator
may answer more. Where a knob stands for a circumstance (a permanent 409, EtagMismatch, concurrent credential
writes, slow operations), the test sets it and holds its answer against the recorded one.
"""
import json
import os
import re
import time

import pytest

RECORDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorded")
MIO = "f1a07417-d97a-45cb-824c-7a7467783830"
# What the recordings trim or what the emulator does not model; none of it is read by the extension.
NOT_MODELLED = {"properties.azurePortalFQDN", "properties.enablePodSecurityPolicy", "properties.disableLocalAccounts",
                "properties.linuxProfile"}


def recorded(name):
    with open(os.path.join(RECORDED, name), encoding="utf-8") as f:
        return json.load(f)


def interaction(name, method, uri_part="", index=0):
    found = [i for i in recorded(name)["interactions"] if i["method"] == method and uri_part in i["uri"]]
    return found[index]


def key_paths(value, prefix=""):
    """Every key path of a JSON value; list items as ``[]`` (their union)."""
    paths = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, prefix + "[]")
    return paths


def assert_has_recorded_keys(emulated, real, ignore=()):
    missing = {p for p in key_paths(real) - key_paths(emulated)
               if not any(p == i or p.startswith(i + ".") or p.startswith(i + "[]") for i in ignore)}
    assert not missing, f"keys the real service answers and the emulator does not: {sorted(missing)}"


def header_names(headers):
    return {name.lower() for name in headers}


def cluster_path(emulator, rg, name):
    return (f"/subscriptions/{emulator.subscription}/resourceGroups/{rg}/providers/"
            f"Microsoft.ContainerService/managedClusters/{name}")


def operation_path(headers):
    url = headers["Azure-AsyncOperation"]
    return url[url.index("/subscriptions/"):].split("?")[0]


def poll(emulator, headers):
    return emulator.arm("GET", operation_path(headers), api_version="2016-03-30")


def settle(emulator, headers, seconds=5.0):
    deadline = time.monotonic() + seconds
    statuses = []
    while time.monotonic() < deadline:
        _, poll_headers, body = poll(emulator, headers)
        statuses.append((body["status"], header_names(poll_headers)))
        if body["status"] in ("Succeeded", "Failed", "Canceled"):
            return statuses, body
        time.sleep(0.02)
    raise AssertionError(f"operation did not end: {statuses[-3:]}")


@pytest.fixture
def as_recorded(emulator):
    """Every setting as the recordings show the service: no Retry-After anywhere."""
    emulator.settings(retry_after=None)


@pytest.fixture
def identity(emulator, names):
    return emulator.seed_identity(names.identity_rg, "app-identity")


def kubenet_cluster(emulator, names, **profile):
    return emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet",
                                 pod_identity=dict({"enabled": True, "allowNetworkPluginKubenet": True}, **profile))


# ----- managed clusters

def test_cluster_get_has_every_recorded_key_and_no_etag_header(emulator, names, as_recorded):
    real = interaction("usage_01_get_cluster_pod_identity_enabled_no_entries.json", "GET")
    kubenet_cluster(emulator, names)
    status, headers, body = emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))
    assert status == real["status"] == 200
    assert_has_recorded_keys(body, real["response_body"], NOT_MODELLED)
    assert "etag" not in header_names(headers)
    # 2026: the eTag is a bare GUID in the body, the same on two GETs in a row
    etag = body["eTag"]
    assert re.fullmatch(r"[0-9a-f-]{36}", etag) and \
        re.fullmatch(r"[0-9a-f-]{36}", recorded("aks2026_etag_lro_errors.json")["get_after_create_200"]["eTag"])
    assert emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))[2]["eTag"] == etag


def test_missing_cluster_is_the_gateways_wrapped_404(emulator, names):
    real = interaction("create_azurecni_01_get_404_gateway.json", "GET")
    emulator.seed_group(names.rg)
    status, _, body = emulator.arm("GET", cluster_path(emulator, names.rg, "cliakstest000002"))
    assert status == real["status"] == 404
    assert body == {"error": {"code": "ResourceNotFound", "message": real["response_body"]["error"]["message"]
                              .replace("clitest000001", names.rg)}}


def test_add_put_answers_updating_with_only_an_async_operation_header_then_polls_to_assigned(
        emulator, names, identity, as_recorded):
    put, first_poll, last_poll, final_get = recorded("usage_06_put_add_pod_identity_and_lro.json")["interactions"][:4]
    cluster = kubenet_cluster(emulator, names)
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    sent = put["request_body"]["properties"]["podIdentityProfile"]
    (sent_entry,) = sent["userAssignedIdentities"]
    entry = dict(sent_entry, identity=dict(sent_entry["identity"], resourceId=identity["id"]))
    cluster["properties"]["podIdentityProfile"] = dict(sent, userAssignedIdentities=[entry])
    emulator.settings(operation_seconds=0.2)
    status, headers, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == put["status"] == 200
    assert header_names(headers) & {"azure-asyncoperation", "retry-after", "etag", "location"} == \
        set(put["response_header_names"]) & {"azure-asyncoperation", "retry-after", "etag", "location"}
    assert_has_recorded_keys(body, put["response_body"], NOT_MODELLED)
    assert "eTag" not in body
    answered = body["properties"]["podIdentityProfile"]
    assert answered == dict(put["response_body"]["properties"]["podIdentityProfile"],
                            userAssignedIdentities=[dict(entry, provisioningState="Updating")])
    statuses, done = settle(emulator, headers)
    assert {s for s, _ in statuses[:-1]} == {first_poll["response_body"]["status"]} == {"InProgress"}
    assert all("retry-after" not in names_ for _, names_ in statuses)
    assert set(done) == set(last_poll["response_body"]) and done["status"] == "Succeeded"
    _, _, after = emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))
    real_entry = final_get["response_body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"][0]
    (stored,) = after["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    assert set(stored) == set(real_entry) and stored["provisioningState"] == real_entry["provisioningState"]


def test_removal_answers_deleting_then_the_key_is_gone(emulator, names, identity, as_recorded):
    put, _, final_get = recorded("usage_07_put_delete_pod_identity_deleting_then_gone.json")["interactions"][:3]
    cluster = kubenet_cluster(emulator, names, userAssignedIdentities=[
        {"name": "test-name", "namespace": "test-namespace", "identity": {"resourceId": identity["id"]}}])
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    cluster["properties"]["podIdentityProfile"] = put["request_body"]["properties"]["podIdentityProfile"]
    status, headers, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == put["status"]
    real_answer = put["response_body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    answered = body["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    assert [e["provisioningState"] for e in answered] == [e["provisioningState"] for e in real_answer] == ["Deleting"]
    settle(emulator, headers)
    _, _, after = emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))
    assert after["properties"]["podIdentityProfile"] == final_get["response_body"]["properties"]["podIdentityProfile"]


def test_a_binding_selector_is_kept_in_the_recorded_key_order(emulator, names, identity):
    real = interaction("usage_08_put_add_with_binding_selector.json", "PUT")
    cluster = kubenet_cluster(emulator, names)
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    (sent,) = real["request_body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    cluster["properties"]["podIdentityProfile"] = dict(
        real["request_body"]["properties"]["podIdentityProfile"],
        userAssignedIdentities=[dict(sent, identity=dict(sent["identity"], resourceId=identity["id"]))])
    _, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    (real_entry,) = real["response_body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    (entry,) = body["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    assert list(entry) == list(real_entry) and entry["bindingSelector"] == real_entry["bindingSelector"]


@pytest.mark.parametrize("recording,plugin", [("create_kubenet_profile_sequence.json", "kubenet"),
                                              ("create_azurecni_profile_sequence.json", "azure")])
def test_the_profile_sent_and_answered_across_create_disable_enable_and_exceptions(
        emulator, names, recording, plugin):
    """Each recorded PUT's profile is sent as it was; the answer and the next GET read as recorded."""
    steps = recorded(recording)["interactions"]
    emulator.seed_group(names.rg)
    path = cluster_path(emulator, names.rg, names.cluster)
    body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"dnsPrefix": "x", "agentPoolProfiles": [{"name": "nodepool1", "count": 1}],
                           "networkProfile": {"networkPlugin": plugin}}}
    for step in steps:
        if step["method"] == "GET" and step["status"] == 404:
            assert emulator.arm("GET", path)[0] == 404
        elif step["method"] == "PUT":
            body["properties"]["podIdentityProfile"] = step["request_podIdentityProfile"]
            status, _, answered = emulator.arm("PUT", path, body)
            assert status == step["status"], answered
            assert answered["properties"]["provisioningState"] == step["response_provisioningState"]
            assert answered["properties"]["podIdentityProfile"] == step["response_podIdentityProfile"]
        else:
            status, _, body = emulator.arm("GET", path)
            assert body["properties"]["provisioningState"] == step["response_provisioningState"]
            assert body["properties"]["podIdentityProfile"] == step["response_podIdentityProfile"]


def test_identities_sent_with_the_create_are_refused(emulator, names, identity):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if e.get("code") == "PodIdentityAddonUserAssignedIdentitiesNotAllowedInCreation")
    emulator.seed_group(names.rg)
    body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"dnsPrefix": "x", "agentPoolProfiles": [{"name": "np", "count": 1}],
                           "podIdentityProfile": {"enabled": True, "userAssignedIdentities": [
                               {"name": "web", "namespace": "shop", "identity": {"resourceId": identity["id"]}}]}}}
    status, _, error = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), body)
    assert status == 400
    assert (error["code"], error["message"]) == (real["code"], real["message"])


def test_today_s_create_lro_and_delete_as_recorded_in_2026(emulator, names, as_recorded):
    real = recorded("aks2026_etag_lro_errors.json")
    emulator.seed_group(names.rg)
    recorded_statuses = [s["status"] for s in real["lro_poll_statuses_in_order"]]
    emulator.settings(operation_seconds=0.5, operation_statuses=recorded_statuses[:-1])
    body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"dnsPrefix": "x", "agentPoolProfiles": [{"name": "np", "count": 1}]}}
    status, headers, created = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), body)
    assert status == 201
    relevant = {"azure-asyncoperation", "retry-after", "etag", "location"}
    assert header_names(headers) & relevant == set(real["put_create_201"]["response_header_names"]) & relevant
    assert "eTag" not in created and set(real["put_create_201"]["body_top_level_keys"]) <= set(created)
    statuses, done = settle(emulator, headers)
    seen = [s for i, (s, _) in enumerate(statuses) if i == 0 or s != statuses[i - 1][0]]
    assert seen == list(dict.fromkeys(recorded_statuses))
    assert set(real["lro_poll_body_example"]) <= set(poll(emulator, headers)[2]) and "endTime" in done
    assert done["name"] == operation_path(headers).rsplit("/", 1)[1]  # 2026: the operation id itself
    status, headers, deleted = emulator.arm("DELETE", cluster_path(emulator, names.rg, names.cluster))
    assert status == real["delete_202"]["status"] and deleted is None
    assert {"azure-asyncoperation", "location"} <= header_names(headers) and "retry-after" not in header_names(headers)


def test_a_409_that_waiting_does_not_clear_is_the_recorded_body(emulator, names):
    real = recorded("aks2026_etag_lro_errors.json")["put_update_409_unwrapped_rp_error"]
    cluster = emulator.seed_cluster(names.rg, names.cluster)
    emulator.add_fault(method="PUT", path=names.cluster, kind="condition", condition="node_disruption_policy")
    status, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == real["status"] and body == real["body"]


def test_the_internal_etag_race_is_the_reported_409(emulator, names):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if (e.get("body") or {}).get("code") == "EtagMismatch")
    cluster = emulator.seed_cluster(names.rg, names.cluster)
    emulator.add_fault(method="PUT", path=names.cluster, kind="condition", condition="etag_race")
    status, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == real["status"] and set(body) == set(real["body"])
    for key in ("code", "message", "details"):
        assert body[key] == real["body"][key]
    reported = real["body"]["subcode"].split("...")[0]  # the thread truncates the subcode
    assert body["subcode"].startswith(reported)


def test_a_write_during_an_operation_is_the_recorded_in_progress_409(emulator, names):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if e["case"].startswith("another operation in progress"))
    cluster = emulator.seed_cluster(names.rg, names.cluster)
    emulator.settings(operation_seconds=30)
    assert emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)[0] == 200
    status, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == 409 and set(body) == {"code", "details", "message", "subcode"}
    assert body["code"] == real["code"]
    pattern = re.escape(real["message"]).replace(r"e375d315\-\.\.\.", "[0-9a-f-]{36}").replace(
        r"2026\-05\-22T07:19:23Z", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert re.fullmatch(pattern, body["message"]), body["message"]


@pytest.mark.parametrize("cause", ["identity deleted", "grant missing"])
def test_a_deleted_identity_and_a_missing_grant_get_the_same_recorded_400(emulator, names, identity, cause):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if e.get("code") == "PodIdentityAddonIdentitiesAssignmentError")
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    entry = {"name": "web", "namespace": "shop", "identity": {
        "resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
        "objectId": identity["properties"]["principalId"]}}
    cluster["properties"]["podIdentityProfile"] = {"enabled": True, "userAssignedIdentities": [entry]}
    if cause == "identity deleted":
        emulator.delete_identity(names.identity_rg, "app-identity")
    else:
        emulator.revoke(cluster["identity"]["principalId"], MIO)
    status, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), cluster)
    assert status == 400 and body["code"] == real["code"]
    pattern = re.escape(real["message"]).replace("xxx", "(.+?)")
    assert re.fullmatch(pattern, body["message"]).groups() == (
        identity["id"], identity["properties"]["clientId"], identity["properties"]["principalId"])


# ----- identities, credentials, role assignments

def test_identity_get_has_every_recorded_key(emulator, names, identity):
    real = interaction("usage_02_get_user_assigned_identity.json", "GET")
    status, _, body = emulator.arm("GET", identity["id"])
    assert status == 200 and "/resourcegroups/" in body["id"]  # lower-cased, as recorded
    assert_has_recorded_keys(body, real["response_body"])


def test_federated_credentials_create_update_list_and_delete_as_recorded(emulator, names, identity):
    put, listing, update, delete = recorded("fic_create_list_update_delete.json")["interactions"][1:5]
    path = identity["id"] + "/federatedIdentityCredentials/fic1"
    status, _, created = emulator.arm("PUT", path, put["request_body"])
    assert status == put["status"] == 201
    assert_has_recorded_keys(created, put["response_body"])
    emulator.arm("PUT", identity["id"] + "/federatedIdentityCredentials/fic2",
                 {"properties": dict(put["request_body"]["properties"], subject="system:serviceaccount:ns:s2")})
    status, _, listed = emulator.arm("GET", identity["id"] + "/federatedIdentityCredentials")
    assert status == 200 and set(listed) == set(listing["response_body"]) == {"value"}  # no nextLink
    changed = {"properties": dict(put["request_body"]["properties"], subject="system:serviceaccount:ns:svcaccount3")}
    status, _, updated = emulator.arm("PUT", path, changed)
    assert status == update["status"] == 200 and set(updated) == set(update["response_body"])
    status, _, body = emulator.arm("DELETE", path)
    assert (status, body) == (delete["status"], None)  # 200 with an empty body


def test_overlapping_credential_writes_to_one_identity_get_the_reported_409(emulator, names, identity):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if e.get("code") == "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity")
    emulator.settings(credential_write_seconds=5)
    properties = {"issuer": "https://issuer.example/", "audiences": ["api://AzureADTokenExchange"]}
    first = emulator.arm("PUT", identity["id"] + "/federatedIdentityCredentials/fic-a",
                         {"properties": dict(properties, subject="system:serviceaccount:ns:a")})
    status, _, error = emulator.arm("PUT", identity["id"] + "/federatedIdentityCredentials/fic-b",
                                    {"properties": dict(properties, subject="system:serviceaccount:ns:b")})
    assert first[0] == 201 and status == 409
    assert error["error"]["code"] == real["code"]
    pattern = re.escape(real["message"]).replace(
        re.escape("/subscriptions/.../resourcegroups/myrg/providers/microsoft.managedidentity/"
                  "userassignedidentities/mymanagedidentity"), "(.+)")
    assert re.fullmatch(pattern, error["error"]["message"]).group(1) == identity["id"].lower()


def test_role_definition_listing_by_name_has_every_recorded_key(emulator, identity):
    real = interaction("usage_04_role_definitions_list_managed_identity_operator.json", "GET")
    status, _, body = emulator.arm("GET", identity["id"] + "/providers/Microsoft.Authorization/roleDefinitions?"
                                   "$filter=roleName%20eq%20%27Managed%20Identity%20Operator%27")
    assert status == 200 and len(body["value"]) == len(real["response_body"]["value"]) == 1
    assert_has_recorded_keys(body["value"][0], real["response_body"]["value"][0],
                             ("properties.permissions", "properties.createdOn", "properties.updatedOn",
                              "properties.createdBy", "properties.updatedBy"))


def test_role_assignment_put_echoes_what_was_sent_and_the_scope_as_in_the_url(emulator, identity):
    real = recorded("role_assignment_create_with_description.json")
    usage = interaction("usage_05_role_assignment_put_201.json", "PUT")
    scope = identity["id"].replace("resourcegroups", "resourceGroups")
    sent = {"properties": {k: real["request"]["body"]["properties"][k]
                           for k in ("principalType", "description")}}
    role = f"/subscriptions/{emulator.subscription}/providers/Microsoft.Authorization/roleDefinitions/{MIO}"
    sent["properties"].update(roleDefinitionId=role, principalId="0b9a8c7d-0000-4000-8000-000000000001")
    path = scope + "/providers/Microsoft.Authorization/roleAssignments/88888888-0000-0000-0000-000000000001"
    status, _, body = emulator.arm("PUT", path, sent, api_version="2022-04-01")
    assert status == real["response"]["status"] == usage["status"] == 201
    assert_has_recorded_keys(body, usage["response_body"])
    assert body["properties"]["scope"] == scope
    assert (body["properties"]["description"], body["properties"]["principalType"]) == \
        (real["response"]["body"]["properties"]["description"], real["response"]["body"]["properties"]["principalType"])


def test_at_scope_listings_include_root_and_management_group_assignments(emulator, identity):
    """role_assignment_create_with_description.json's note: atScope() returns inherited assignments, '/' too."""
    principal = "0b9a8c7d-0000-4000-8000-000000000002"
    tenant_root = "/providers/Microsoft.Management/managementGroups/" + emulator.tenant_id
    emulator.grant("/", principal)
    emulator.grant(tenant_root, principal)
    status, _, body = emulator.arm("GET", identity["id"] + "/providers/Microsoft.Authorization/roleAssignments?"
                                   f"$filter=atScope()%20and%20assignedTo('{principal}')", api_version="2022-04-01")
    assert status == 200
    listed = {a["properties"]["scope"]: a["id"] for a in body["value"]}
    assert set(listed) == {"/", tenant_root}
    assert re.fullmatch(r"/providers/Microsoft\.Authorization/roleAssignments/[0-9a-f-]{36}", listed["/"])


def test_an_existing_role_assignment_is_the_wrapped_409(emulator, identity):
    real = next(e for e in recorded("errors_from_github_threads.json")["errors"]
                if e["case"] == "role assignment exists")
    principal = "0b9a8c7d-0000-4000-8000-000000000003"
    emulator.grant(identity["id"], principal)
    status, _, body = emulator.arm("PUT", identity["id"] + "/providers/Microsoft.Authorization/roleAssignments/"
                                   "99999999-0000-0000-0000-000000000001", {"properties": {
                                       "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{MIO}",
                                       "principalId": principal}}, api_version="2022-04-01")
    assert status == real["status"] and body["error"]["code"] == real["body"]["error"]["code"]
