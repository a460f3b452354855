"""The emulator's test controls: faults, replication delay, settings, request log."""
import http.client
import ssl

import pytest

MIO = "f1a07417-d97a-45cb-824c-7a7467783830"


def cluster_path(emulator, rg, name):
    return (f"/subscriptions/{emulator.subscription}/resourceGroups/{rg}/providers/"
            f"Microsoft.ContainerService/managedClusters/{name}")


@pytest.mark.parametrize("status,code", [(429, "TooManyRequests"), (500, "InternalServerError"),
                                         (503, "ServiceUnavailable"), (409, "OperationNotAllowed")])
def test_status_fault_hits_the_next_n_matching_requests(emulator, names, status, code):
    emulator.seed_cluster(names.rg, names.cluster)
    path = cluster_path(emulator, names.rg, names.cluster)
    emulator.add_fault(method="GET", path="managedClusters/" + names.cluster, count=2, status=status, code=code,
                       message="injected", retry_after=2)
    for _ in range(2):
        got, headers, body = emulator.arm("GET", path)
        assert got == status and body["error"] == {"code": code, "message": "injected"}
        assert headers["Retry-After"] == "2"
    assert emulator.arm("GET", path)[0] == 200
    assert emulator.arm("PUT", path, emulator.cluster(names.rg, names.cluster))[0] == 200


def test_reset_fault_drops_the_connection(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.add_fault(method="GET", path=names.cluster + "$", kind="reset")
    emulator.arm("GET", "/subscriptions")  # fetch a token first
    conn = http.client.HTTPSConnection("127.0.0.1", int(emulator.url.rsplit(":", 1)[1]), context=emulator._context)
    conn.request("GET", cluster_path(emulator, names.rg, names.cluster) + "?api-version=2026-06-01",
                 headers={"Authorization": "Bearer " + emulator._token})
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, ssl.SSLError, OSError)):
        conn.getresponse()
    assert emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))[0] == 200
    assert any(r["fault"] == "reset" for r in emulator.requests())


@pytest.mark.parametrize("outcome", ["Failed", "Canceled"])
def test_operation_fault_ends_the_operation_failed(emulator, names, outcome):
    emulator.seed_cluster(names.rg, names.cluster)
    path = cluster_path(emulator, names.rg, names.cluster)
    emulator.add_fault(method="PUT", path=names.cluster, kind="operation", operation_status=outcome,
                       code="ReconcileError", message="the add-on could not be reconciled")
    status, headers, _ = emulator.arm("PUT", path, emulator.cluster(names.rg, names.cluster))
    assert status == 200
    url = headers["Azure-AsyncOperation"]
    _, _, op = emulator.arm("GET", url[url.index("/subscriptions/"):].split("?")[0], api_version="2016-03-30")
    assert op["status"] == outcome
    assert op["error"] == {"code": "ReconcileError", "message": "the add-on could not be reconciled"}
    assert emulator.cluster(names.rg, names.cluster)["properties"]["provisioningState"] == "Failed"


def test_failed_operation_marks_new_pod_identities_failed(emulator, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    emulator.add_fault(method="PUT", path=names.cluster, kind="operation", code="NMIFailure", message="boom")
    body = emulator.cluster(names.rg, names.cluster)
    body["properties"]["podIdentityProfile"]["userAssignedIdentities"] = [
        {"name": "web", "namespace": "shop", "identity": {"resourceId": identity["id"]}}]
    emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), body)
    entry = emulator.cluster(names.rg, names.cluster)["properties"]["podIdentityProfile"][
        "userAssignedIdentities"][0]
    assert entry["provisioningState"] == "Failed"
    assert entry["provisioningInfo"]["error"]["error"] == {"code": "NMIFailure", "message": "boom"}


def test_role_replication_delay_hides_new_grants_for_k_cluster_writes(emulator, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    emulator.settings(role_replication_delay_writes=2)
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    body = emulator.cluster(names.rg, names.cluster)
    body["properties"]["podIdentityProfile"]["userAssignedIdentities"] = [
        {"name": "web", "namespace": "shop", "identity": {"resourceId": identity["id"]}}]
    path = cluster_path(emulator, names.rg, names.cluster)
    statuses = [emulator.arm("PUT", path, body)[0] for _ in range(3)]
    assert statuses == [400, 400, 200]


def test_request_log_records_what_the_client_sent(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    path = cluster_path(emulator, names.rg, names.cluster)
    body = emulator.cluster(names.rg, names.cluster)
    emulator.arm("PUT", path, body, {"If-Match": body["eTag"]})
    (put,) = emulator.arm_requests("PUT")
    assert put["path"] == path and put["status"] == 200 and put["if_match"] == body["eTag"]
    assert put["body"]["location"] == "eastus"
    assert put["query"]["api-version"] == "2026-06-01"
    assert "authorization" not in str(put).lower()


def test_settings_reject_unknown_keys(emulator):
    status, _, body = emulator.http("POST", "/_emulator/settings", {"nonsense": 1})
    assert status == 400 and body["error"]["message"] == "nonsense"


def test_interleaved_write_lands_before_the_request_and_changes_the_etag(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    read = emulator.cluster(names.rg, names.cluster)
    emulator.add_fault(method="PUT", path=names.cluster, kind="interleave",
                       patch={"tags": {"writer": "other"}})
    status, _, body = emulator.arm("PUT", cluster_path(emulator, names.rg, names.cluster), read,
                                   {"If-Match": read["eTag"]})
    assert status == 412 and body["code"] == "PreconditionFailed"
    assert emulator.cluster(names.rg, names.cluster)["tags"] == {"writer": "other"}


def test_an_action_happens_just_before_its_request_is_served(emulator, names):
    """Forces an interleaving: here a role assignment revoked, and another client's change of a cluster, as the
    request that triggers them arrives (it then sees the changed state)."""
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    principal = cluster["identity"]["principalId"]
    emulator.grant(identity["id"], principal)
    emulator.add_fault(method="GET", path=names.cluster + "$", kind="action", action={
        "revoke": {"principal_id": principal, "role": MIO, "scope": identity["id"]},
        "cluster_patch": {"resource_group": names.rg, "name": names.cluster, "patch": {"tags": {"by": "other"}}}})
    status, _, body = emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))
    assert status == 200 and body["tags"] == {"by": "other"}
    assert emulator.role_assignments(principal) == []
    assert emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster))[0] == 200  # once only
