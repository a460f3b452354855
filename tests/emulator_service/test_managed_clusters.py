"""The emulator's managed-cluster service, driven over HTTPS: status codes, messages, state transitions."""
import time

import pytest

MIO = "f1a07417-d97a-45cb-824c-7a7467783830"


def cluster_path(emulator, rg, name):
    return (f"/subscriptions/{emulator.subscription}/resourceGroups/{rg}/providers/"
            f"Microsoft.ContainerService/managedClusters/{name}")


def get(emulator, rg, name):
    status, headers, body = emulator.arm("GET", cluster_path(emulator, rg, name))
    assert status == 200, body
    return body


def put(emulator, rg, name, body, **headers):
    return emulator.arm("PUT", cluster_path(emulator, rg, name), body, headers)


def poll(emulator, headers):
    url = headers["Azure-AsyncOperation"]
    path = url[url.index("/subscriptions/"):]
    return emulator.arm("GET", path.split("?")[0], api_version="2016-03-30")


def with_profile(cluster, **profile):
    cluster["properties"]["podIdentityProfile"] = profile
    return cluster


@pytest.fixture
def identity(emulator, names):
    return emulator.seed_identity(names.identity_rg, "app-identity")


@pytest.fixture
def cluster(emulator, names):
    return emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})


def pod_identity(identity, name="web", namespace="shop", **extra):
    return dict({"name": name, "namespace": namespace, "identity": {"resourceId": identity["id"]}}, **extra)


def test_get_missing_cluster_is_the_real_404(emulator, names):
    emulator.seed_group(names.rg)
    status, _, body = emulator.arm("GET", cluster_path(emulator, names.rg, "nope"))
    assert status == 404
    assert body["error"]["code"] == "ResourceNotFound"
    assert body["error"]["message"].startswith(
        f"The Resource 'Microsoft.ContainerService/managedClusters/nope' under resource group '{names.rg}' "
        "was not found.")


def test_arm_calls_need_a_bearer_token(emulator, names):
    status, _, body = emulator.http("GET", cluster_path(emulator, names.rg, "x") + "?api-version=2026-06-01")
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"


def test_put_creates_with_201_then_updates_with_200_and_lro_headers(emulator, names):
    emulator.seed_group(names.rg)
    body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"dnsPrefix": "x", "agentPoolProfiles": [{"name": "np", "count": 1}]}}
    status, headers, created = put(emulator, names.rg, names.cluster, body)
    assert status == 201
    assert created["properties"]["provisioningState"] == "Creating"
    assert created["properties"]["servicePrincipalProfile"] == {"clientId": "msi"}  # as recorded for MSI clusters
    assert "/providers/Microsoft.ContainerService/locations/eastus/operations/" in headers["Azure-AsyncOperation"]
    assert int(headers["Retry-After"]) >= 1  # the test default; as recorded, none (test_recorded_contract)
    status, _, _ = put(emulator, names.rg, names.cluster, dict(body, tags={"a": "b"}))
    assert status == 200
    assert get(emulator, names.rg, names.cluster)["tags"] == {"a": "b"}


def test_operation_reports_in_progress_then_succeeded(emulator, cluster, names):
    emulator.settings(operation_seconds=0.3)
    status, headers, answered = put(emulator, names.rg, names.cluster, cluster)
    assert answered["properties"]["provisioningState"] == "Updating"
    _, poll_headers, first = poll(emulator, headers)
    assert first["status"] == "InProgress" and poll_headers["Retry-After"] == "1"
    assert get(emulator, names.rg, names.cluster)["properties"]["provisioningState"] == "Updating"
    time.sleep(0.35)
    _, _, done = poll(emulator, headers)
    assert done["status"] == "Succeeded" and "endTime" in done
    assert get(emulator, names.rg, names.cluster)["properties"]["provisioningState"] == "Succeeded"


def test_write_during_a_running_operation_is_409(emulator, cluster, names):
    emulator.settings(operation_seconds=30)
    assert put(emulator, names.rg, names.cluster, cluster)[0] == 200
    status, _, body = put(emulator, names.rg, names.cluster, cluster)
    assert status == 409 and body["code"] == "OperationNotAllowed"
    assert "in progress" in body["message"]


def test_if_match_is_honoured(emulator, cluster, names):
    current = get(emulator, names.rg, names.cluster)
    status, _, body = put(emulator, names.rg, names.cluster, current, **{"If-Match": "stale"})
    assert status == 412 and body["code"] == "PreconditionFailed"
    status, headers, body = put(emulator, names.rg, names.cluster, current, **{"If-Match": current["eTag"]})
    assert status == 200 and "ETag" not in headers and "eTag" not in body
    assert get(emulator, names.rg, names.cluster)["eTag"] != current["eTag"]


def test_identity_added_is_updating_then_assigned(emulator, cluster, identity, names):
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True,
                        userAssignedIdentities=[pod_identity(identity, bindingSelector="sel")])
    status, _, answered = put(emulator, names.rg, names.cluster, body)
    assert status == 200
    entry = answered["properties"]["podIdentityProfile"]["userAssignedIdentities"][0]
    assert entry["provisioningState"] == "Updating"
    assert entry["identity"]["clientId"] == identity["properties"]["clientId"]
    assert entry["identity"]["objectId"] == identity["properties"]["principalId"]
    stored = get(emulator, names.rg, names.cluster)["properties"]["podIdentityProfile"]
    assert stored["userAssignedIdentities"][0]["provisioningState"] == "Assigned"
    assert stored["userAssignedIdentities"][0]["bindingSelector"] == "sel"


def test_identity_removed_is_deleting_then_absent_key(emulator, identity, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True,
                        userAssignedIdentities=[pod_identity(identity)])
    put(emulator, names.rg, names.cluster, body)
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=[],
                        userAssignedIdentityExceptions=[])
    _, _, answered = put(emulator, names.rg, names.cluster, body)
    assert answered["properties"]["podIdentityProfile"]["userAssignedIdentities"][0]["provisioningState"] == \
        "Deleting"
    assert get(emulator, names.rg, names.cluster)["properties"]["podIdentityProfile"] == {"enabled": True}


def test_disable_reads_back_empty(emulator, cluster, names):
    put(emulator, names.rg, names.cluster, with_profile(get(emulator, names.rg, names.cluster), enabled=False))
    assert get(emulator, names.rg, names.cluster)["properties"]["podIdentityProfile"] == {}


def test_exception_labels_read_back_sorted(emulator, cluster, names):
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentityExceptions=[
        {"name": "exc", "namespace": "ns", "podLabels": {"foo": "bar", "a": "b"}}])
    put(emulator, names.rg, names.cluster, body)
    stored = get(emulator, names.rg, names.cluster)["properties"]["podIdentityProfile"]
    assert list(stored["userAssignedIdentityExceptions"][0]["podLabels"]) == ["a", "foo"]


@pytest.mark.parametrize("field,value", [("name", "Bad_Name"), ("namespace", "a.b"), ("name", "-x"),
                                         ("namespace", "x" * 64), ("name", "a" * 254)])
def test_names_must_be_rfc1123(emulator, cluster, identity, names, field, value):
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    entry = pod_identity(identity)
    entry[field] = value
    status, _, body = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=[entry]))
    assert status == 400
    assert body["message"] == \
        f"Name '{value}' is invalid. Please provide a valid and fully qualified DNS name."


def test_kubenet_needs_consent(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet")
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True)
    status, _, error = put(emulator, names.rg, names.cluster, body)
    assert status == 400
    assert error["message"] == "Network plugin kubenet is not supported to use with PodIdentity addon."
    status, _, _ = put(emulator, names.rg, names.cluster,
                       with_profile(body, enabled=True, allowNetworkPluginKubenet=True))
    assert status == 200


def test_service_principal_cluster_is_refused(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, identity="service-principal")
    status, _, error = put(emulator, names.rg, names.cluster,
                           with_profile(get(emulator, names.rg, names.cluster), enabled=True))
    assert status == 400 and error["message"] == "PodIdentity addon requires managed identity."


def test_same_name_and_namespace_with_other_identity_is_refused(emulator, cluster, identity, names):
    other = emulator.seed_identity(names.identity_rg, "other")
    principal = cluster["identity"]["principalId"]
    emulator.grant(identity["id"], principal)
    emulator.grant(other["id"], principal)
    status, _, error = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True,
        userAssignedIdentities=[pod_identity(identity), pod_identity(other)]))
    assert status == 400
    assert error["message"] == ("Found pod identities use different identities with the same name 'web' "
                                "in namespace 'shop'. Please update the pod identity name.")


def test_at_most_200_identities_and_200_exceptions(emulator, cluster, identity, names):
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    too_many = [pod_identity(identity, name=f"id{i}") for i in range(201)]
    status, _, error = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=too_many))
    assert status == 400 and "limit of 200" in error["message"]
    exceptions = [{"name": f"e{i}", "namespace": "ns", "podLabels": {"a": "b"}} for i in range(201)]
    status, _, error = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentityExceptions=exceptions))
    assert status == 400 and "limit of 200" in error["message"]
    status, _, _ = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=too_many[:200],
        userAssignedIdentityExceptions=exceptions[:200]))
    assert status == 200


def test_a_missing_identity_reads_as_a_missing_grant_as_on_the_real_service(emulator, cluster, names):
    missing = {"id": f"/subscriptions/{emulator.subscription}/resourceGroups/x/providers/"
                     "Microsoft.ManagedIdentity/userAssignedIdentities/ghost"}
    entry = pod_identity(missing)
    entry["identity"].update(clientId="c1", objectId="o1")
    status, _, error = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=[entry]))
    assert status == 400 and error["code"] == "PodIdentityAddonIdentitiesAssignmentError"
    assert error["message"] == (
        f"Cluster identity has no assignment permission over identity 'resourceId: {missing['id']} - clientId: c1 - "
        "objectId: o1'. Please grant at least 'Managed Identity Operator' permission before assigning pod identity.")


@pytest.mark.parametrize("grant_at", ["identity", "group", "subscription"])
def test_cluster_principal_needs_managed_identity_operator_at_or_above_the_identity(
        emulator, cluster, identity, names, grant_at):
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True,
                        userAssignedIdentities=[pod_identity(identity)])
    status, _, error = put(emulator, names.rg, names.cluster, body)
    assert status == 400
    assert error["code"] == "PodIdentityAddonIdentitiesAssignmentError"
    assert error["message"] == (
        f"Cluster identity has no assignment permission over identity 'resourceId: {identity['id']} - clientId:  - "
        "objectId: '. Please grant at least 'Managed Identity Operator' permission before assigning pod identity.")
    scope = {"identity": identity["id"],
             "group": identity["id"].split("/providers/")[0],
             "subscription": f"/subscriptions/{emulator.subscription}"}[grant_at]
    emulator.grant(scope.upper() if grant_at == "group" else scope, cluster["identity"]["principalId"])
    assert put(emulator, names.rg, names.cluster, body)[0] == 200


def test_user_assigned_cluster_uses_its_control_plane_principal(emulator, identity, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, identity="user", pod_identity={"enabled": True})
    (control_plane,) = cluster["identity"]["userAssignedIdentities"].values()
    emulator.grant(identity["id"], control_plane["principalId"])
    status, _, _ = put(emulator, names.rg, names.cluster, with_profile(
        get(emulator, names.rg, names.cluster), enabled=True, userAssignedIdentities=[pod_identity(identity)]))
    assert status == 200


def test_every_write_revalidates_every_identity(emulator, cluster, identity, names):
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    body = with_profile(get(emulator, names.rg, names.cluster), enabled=True,
                        userAssignedIdentities=[pod_identity(identity)])
    assert put(emulator, names.rg, names.cluster, body)[0] == 200
    emulator.revoke(cluster["identity"]["principalId"], MIO)
    unrelated_change = dict(get(emulator, names.rg, names.cluster), tags={"unrelated": "change"})
    status, _, error = put(emulator, names.rg, names.cluster, unrelated_change)
    assert status == 400 and "no assignment permission" in error["message"]
