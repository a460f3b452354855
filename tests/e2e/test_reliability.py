"""Faults a pipeline meets, through the real az: throttling, transient errors, a busy cluster, failed operations."""
import time

import pytest

from tests.e2e.helpers import cluster_puts, pod_identity_args, profile

CLUSTER_PATH = "managedClusters/{}$"


@pytest.fixture
def identity(emulator, names, cluster):
    found = emulator.seed_identity(names.identity_rg, "app")
    emulator.grant(found["id"], cluster["identity"]["principalId"])
    return found


def exception_add(names, name="exc"):
    return ["aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
            "--namespace", "shop", "--name", name, "--pod-labels", "app=x"]


def changing_commands(names, identity):
    return {
        "add": pod_identity_args(names, identity),
        "exception add": exception_add(names),
    }


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("command", ["add", "exception add"])
def test_throttling_with_retry_after_is_obeyed(az, emulator, names, identity, method, command):
    emulator.add_fault(method=method, path=CLUSTER_PATH.format(names.cluster), status=429, code="TooManyRequests",
                       message="Rate limit exceeded.", retry_after=1)
    started = time.monotonic()
    az.ok(*changing_commands(names, identity)[command])
    assert time.monotonic() - started >= 1.0  # waited as told
    faulted = [r for r in emulator.arm_requests(method) if r["fault"] == "TooManyRequests"]
    assert len(faulted) == 1
    assert profile(emulator, names).get("userAssignedIdentities") or \
        profile(emulator, names).get("userAssignedIdentityExceptions")


def test_throttling_that_does_not_stop_fails_with_the_service_message_after_bounded_retries(
        az, emulator, names, identity):
    emulator.add_fault(method="GET", path=CLUSTER_PATH.format(names.cluster), count=1000, status=429,
                       code="TooManyRequests", message="Rate limit exceeded.", retry_after=1)
    started = time.monotonic()
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code == 1 and "(TooManyRequests) Rate limit exceeded." in result.stderr
    attempts = [r for r in emulator.arm_requests("GET") if r["fault"] == "TooManyRequests"]
    assert len(attempts) == 4  # azure-cli's policy: the first try and 3 retries, each after the Retry-After given
    assert time.monotonic() - started < 30
    assert cluster_puts(emulator) == []


@pytest.mark.parametrize("status,code", [(500, "InternalServerError"), (503, "ServiceUnavailable")])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_transient_server_errors_are_retried(az, emulator, names, identity, status, code, method):
    emulator.add_fault(method=method, path=CLUSTER_PATH.format(names.cluster), status=status, code=code,
                       message="transient")
    az.ok(*pod_identity_args(names, identity))
    assert profile(emulator, names)["userAssignedIdentities"][0]["provisioningState"] == "Assigned"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_connection_reset_is_retried(az, emulator, names, identity, method):
    emulator.add_fault(method=method, path=CLUSTER_PATH.format(names.cluster), kind="reset")
    az.ok(*pod_identity_args(names, identity))
    assert any(r["fault"] == "reset" for r in emulator.requests())
    assert profile(emulator, names)["userAssignedIdentities"][0]["provisioningState"] == "Assigned"


def test_a_busy_cluster_is_waited_for_then_the_change_is_made(az, emulator, names, identity):
    busy = "Operation is not allowed because there's an in progress update managed cluster operation."
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), count=2, status=409,
                       code="OperationNotAllowed", message=busy)
    result = az.ok(*pod_identity_args(names, identity))
    assert [p["status"] for p in cluster_puts(emulator)] == [409, 409, 200]
    assert "another operation is in progress" in result.stderr
    assert profile(emulator, names)["userAssignedIdentities"][0]["name"] == "web"


def test_a_cluster_that_stays_busy_fails_clearly_when_the_budget_runs_out(az, emulator, names, identity):
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), count=1000, status=409,
                       code="OperationNotAllowed", message="Operation is not allowed: another operation is running.")
    result = az(*pod_identity_args(names, identity), env={"AZURE_PODIDENTITY_BUSY_WAIT_SECONDS": "3"})
    assert result.exit_code == 1
    assert "(OperationNotAllowed) Operation is not allowed: another operation is running." in result.stderr
    assert "still busy after" in result.stderr
    assert profile(emulator, names).get("userAssignedIdentities") is None


def test_busy_because_a_real_operation_runs(az, emulator, names, identity):
    # The first change's operation runs until the second command's second PUT arrives, however slow the machine:
    # its first PUT meets the service's own 409 for an operation in progress.
    emulator.settings(operation_seconds=3600)
    az.ok(*exception_add(names, "first"), "--no-wait")
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), kind="action", after=1,
                       action={"finish_operations": True, "settings": {"operation_seconds": 0}})
    result = az.ok(*exception_add(names, "second"))
    assert [e["name"] for e in profile(emulator, names)["userAssignedIdentityExceptions"]] == ["first", "second"]
    assert [p["status"] for p in cluster_puts(emulator)][-2:] == [409, 200]
    assert "another operation is in progress" in result.stderr


@pytest.mark.parametrize("outcome", ["Failed", "Canceled"])
@pytest.mark.parametrize("command", ["add", "exception add"])
def test_an_operation_that_ends_badly_is_never_reported_as_success(az, emulator, names, identity, outcome, command):
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), kind="operation",
                       operation_status=outcome, code="ReconcileAddonsFailed", message="The add-on could not start.")
    result = az(*changing_commands(names, identity)[command])
    assert result.exit_code != 0
    assert "ReconcileAddonsFailed" in result.stderr and "The add-on could not start." in result.stderr
    assert result.stdout.strip() == ""


def test_aks_update_with_pod_identity_flags_waits_for_a_busy_cluster(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.add_fault(method="PUT", path=CLUSTER_PATH.format(names.cluster), count=1, status=409,
                       code="OperationNotAllowed", message="Operation is not allowed: another operation is running.")
    result = az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    assert [p["status"] for p in cluster_puts(emulator)] == [409, 200]
    assert profile(emulator, names)["enabled"] is True


def test_parallel_pipelines_never_lose_a_change(az, emulator, names, cluster):
    emulator.settings(operation_seconds=0.1)
    identities = [emulator.seed_identity(names.identity_rg, f"app-{i}") for i in range(10)]
    processes = [az.popen(*pod_identity_args(names, identity, name=f"web-{i}"))
                 for i, identity in enumerate(identities)]
    processes += [az.popen(*exception_add(names, name=f"exc-{i}")) for i in range(5)]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    final = profile(emulator, names)
    assert sorted(e["name"] for e in final["userAssignedIdentities"]) == sorted(f"web-{i}" for i in range(10))
    assert all(e["provisioningState"] == "Assigned" for e in final["userAssignedIdentities"])
    assert sorted(e["name"] for e in final["userAssignedIdentityExceptions"]) == [f"exc-{i}" for i in range(5)]
    statuses = [p["status"] for p in cluster_puts(emulator)]
    assert statuses.count(200) == 15 and set(statuses) - {200} <= {409, 412}
