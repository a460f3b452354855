"""The product on answers the real service gives (tests/emulator_service/recorded), through the real az.

Each test sets the emulator the way a recording or a public report shows the service, for the circumstances that
come and go: a 409 that waiting never clears, AKS's own 409 EtagMismatch, overlapping federated-credential writes,
operations that poll with no Retry-After and report intermediate statuses.
"""
import time

import pytest

from tests.e2e.helpers import cluster_puts, grant_puts, pod_identity_args, profile

CLUSTER_PATH = "managedClusters/{}$"
# the service's own answers (tests/emulator/services/aks/models.py SERVICE_CONDITIONS, held against the recordings)
BLOCKED = {"kind": "condition", "condition": "node_disruption_policy"}
ETAG_MISMATCH = {"kind": "condition", "condition": "etag_race"}


def exception_add(names, name="legacy"):
    return ["aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
            "--namespace", "shop", "--name", name, "--pod-labels", f"app={name}"]


def refuse_puts(emulator, names, count, **error):
    if "kind" not in error:
        error.update(status=409, shape="aks")
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), count=count, **error)


def test_a_409_that_waiting_cannot_clear_fails_within_seconds_and_leaves_nothing(
        az, emulator, names, cluster, identity):
    refuse_puts(emulator, names, 1000, **BLOCKED)
    started = time.monotonic()
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code == 1 and time.monotonic() - started < 20
    assert ("(OperationNotAllowed, subcode OperationBlockedByNodeDisruptionPolicy) Operation "
            "'PutManagedClusterHandler.PUT' is blocked by node disruption policy.") in result.stderr
    assert "waiting will not clear it" in result.stderr and "provisioningState: Succeeded" in result.stderr
    assert "is busy" not in result.stderr
    assert len(cluster_puts(emulator)) == 1
    # the grant this add created is gone again, the profile is as it was
    assert len(grant_puts(emulator)) == 1 and emulator.role_assignments(cluster["identity"]["principalId"]) == []
    assert profile(emulator, names).get("userAssignedIdentities") is None


def test_aks_update_with_a_pod_identity_flag_does_not_wait_on_a_permanent_409(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    refuse_puts(emulator, names, 1000, **BLOCKED)
    started = time.monotonic()
    result = az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity")
    assert result.exit_code == 1 and time.monotonic() - started < 20
    assert "OperationBlockedByNodeDisruptionPolicy" in result.stderr and "waiting will not clear it" in result.stderr
    assert len(cluster_puts(emulator)) == 1


def test_a_409_that_does_not_say_why_is_waited_for_while_the_cluster_runs_an_operation(az, emulator, names,
                                                                                       cluster):
    # The first change's operation runs until the second command's second PUT arrives, however slow the machine.
    emulator.settings(operation_seconds=3600)
    az.ok(*exception_add(names, "first"), "--no-wait")
    refuse_puts(emulator, names, 1, code="OperationNotAllowed", message="Operation is not allowed.")
    emulator.add_fault(method="PUT", path=f"managedClusters/{names.cluster}$", kind="action", after=1,
                       action={"finish_operations": True, "settings": {"operation_seconds": 0}})
    result = az.ok(*exception_add(names, "second"))
    assert "is busy" in result.stderr
    assert [e["name"] for e in profile(emulator, names)["userAssignedIdentityExceptions"]] == ["first", "second"]


@pytest.mark.parametrize("command", ["exception add", "aks update"])
def test_aks_internal_etag_race_is_read_again_and_reapplied(az, emulator, names, cluster, command):
    refuse_puts(emulator, names, 1, **ETAG_MISMATCH)
    args = exception_add(names) if command == "exception add" else \
        ["aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity"]
    if command == "aks update":
        emulator.seed_cluster(names.rg, names.cluster)
    result = az.ok(*args)
    assert [p["status"] for p in cluster_puts(emulator)] == [409, 200]
    assert "was changed by someone else" in result.stderr
    assert profile(emulator, names)["enabled"] is True


def test_add_works_when_operations_poll_as_recorded(az, emulator, names, cluster, identity):
    """No Retry-After (azure-cli then polls every 30 s) and the 2026 intermediate statuses."""
    emulator.settings(retry_after=None, operation_seconds=1.0,
                      operation_statuses=["InProgress", "ProvisioningControlPlane", "ReconcilingAddons"])
    az.ok(*pod_identity_args(names, identity))
    (entry,) = profile(emulator, names)["userAssignedIdentities"]
    assert entry["provisioningState"] == "Assigned"
    polls = emulator.arm_requests("GET", "/operations/")
    assert polls and all(p["status"] == 200 for p in polls)


# ----- federated credentials


@pytest.fixture
def shared_identities(emulator, names):
    """5 clusters, each with 3 pod identities (service accounts) on the same 2 identities."""
    identities = [emulator.seed_identity(names.identity_rg, f"shared-{i}") for i in range(2)]
    clusters = []
    for c in range(5):
        entries = [{"name": f"app{a}", "namespace": "shop", "identity": {"resourceId": identities[a % 2]["id"]}}
                   for a in range(3)]
        emulator.seed_cluster(names.rg, f"{names.cluster}-{c}", oidc_issuer=True, workload_identity=True,
                              pod_identity={"enabled": True, "userAssignedIdentities": entries})
        clusters.append(f"{names.cluster}-{c}")
    emulator.reset_test_controls()
    return identities, clusters


def credentials(emulator, identity):
    _, _, listed = emulator.arm("GET", f"{identity['id']}/federatedIdentityCredentials", api_version="2024-11-30")
    return listed["value"]


def test_a_concurrent_credential_write_409_is_retried(az, emulator, names, shared_identities):
    identities, clusters = shared_identities
    emulator.add_fault(method="PUT", path="/federatedIdentityCredentials/", count=2, status=409,
                       code="ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
                       message="Too many Federated Identity Credentials are written concurrently for the managed "
                               "identity. Concurrent Federated Identity Credentials writes under the same managed "
                               "identity are not supported.")
    result = az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", clusters[0])
    assert "Another write to the federated credentials of identity" in result.stderr
    assert sorted(len(credentials(emulator, i)) for i in identities) == [1, 2]


def test_parallel_migrations_of_clusters_sharing_identities_all_succeed(az, emulator, names, shared_identities):
    identities, clusters = shared_identities
    # Forced overlap: each run's first credential write is held until all five have arrived, then they are served
    # at once; each write keeps its identity busy for 3 s, as the service keeps it busy for a while.
    emulator.settings(credential_write_seconds=3)
    emulator.add_fault(method="PUT", path="/federatedIdentityCredentials/", kind="barrier", count=len(clusters))
    processes = [az.popen("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", c) for c in clusters]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    assert emulator.state()["barrier_timeouts"] == 0
    refused = [r for r in emulator.arm_requests("PUT", "/federatedIdentityCredentials/") if r["status"] == 409]
    assert len(refused) >= 3  # five writes at once on two identities: at least three meet a busy identity
    # each cluster's 3 service accounts, on the identity each uses: 10 on one identity, 5 on the other
    assert sorted(len(credentials(emulator, i)) for i in identities) == [5, 10]
    created = [r for r in emulator.arm_requests("PUT", "/federatedIdentityCredentials/") if r["status"] == 201]
    assert len(created) == 15  # nothing created twice
    for c in clusters:  # a re-run changes nothing
        emulator.call("DELETE", "/_emulator/requests")
        az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", c)
        assert emulator.arm_requests("PUT") == []


def test_a_409_whose_cluster_state_cannot_be_read_claims_nothing_it_does_not_know(az, emulator, names, cluster):
    """An unclear 409, and the read of the cluster's provisioningState that would tell whether to wait is refused:
    the error keeps the service's refusal and says what could not be told, not that no operation runs."""
    refuse_puts(emulator, names, 1, code="OperationNotAllowed", message="Operation is not allowed.")
    emulator.add_fault(method="GET", path=CLUSTER_PATH.format(names.cluster), after=1, status=403,
                       code="AuthorizationFailed", message="The client does not have authorization to perform action "
                                                           "'Microsoft.ContainerService/managedClusters/read'.")
    result = az(*exception_add(names))
    assert result.exit_code == 1
    assert "(OperationNotAllowed) Operation is not allowed." in result.stderr
    assert "whether waiting would clear it cannot be told" in result.stderr
    assert "runs no other operation" not in result.stderr and "unknown" not in result.stderr
    assert len(cluster_puts(emulator)) == 1
