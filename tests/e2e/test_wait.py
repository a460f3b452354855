"""`az aks pod-identity wait` and `az aks pod-identity exception wait` after changes made with --no-wait."""
from tests.e2e.helpers import pod_identity_args, profile


def wait(az, names, *condition, name="web", namespace="shop"):
    return az("aks", "pod-identity", "wait", "-g", names.rg, "--cluster-name", names.cluster,
              "--namespace", namespace, "--name", name, "--interval", "1", "--timeout", "60", *condition)


def cluster_reads(emulator, names):
    return emulator.arm_requests("GET", f"/managedClusters/{names.cluster}")


def operation_until_second_read(emulator, names):
    """The change's operation runs until the wait command reads the cluster a second time, however slow the machine:
    its first read sees the change in progress, its second the outcome."""
    emulator.settings(operation_seconds=3600)
    return lambda: emulator.add_fault(method="GET", path=f"managedClusters/{names.cluster}$", kind="action", after=1,
                                      action={"finish_operations": True})


def test_created_returns_once_the_pod_identity_is_assigned(az, emulator, names, cluster, identity):
    finish_on_second_read = operation_until_second_read(emulator, names)
    az.ok(*pod_identity_args(names, identity, "--no-wait"))
    assert profile(emulator, names)["userAssignedIdentities"][0]["provisioningState"] == "Updating"
    finish_on_second_read()
    result = wait(az, names, "--created")
    assert result.exit_code == 0 and result.stdout.strip() == "", str(result)
    assert profile(emulator, names)["userAssignedIdentities"][0]["provisioningState"] == "Assigned"
    assert len(cluster_reads(emulator, names)) >= 2  # it polled while the entry was Updating


def test_created_fails_with_the_entry_error_when_it_failed(az, emulator, names, cluster, identity):
    emulator.add_fault(method="PUT", path="managedClusters/" + names.cluster, kind="operation",
                       code="NMIReconcileFailed", message="nmi could not assign the identity")
    az.ok(*pod_identity_args(names, identity, "--no-wait"))
    result = wait(az, names, "--created")
    assert result.exit_code == 1
    assert "Pod identity 'web' in namespace 'shop' is Failed: (NMIReconcileFailed) nmi could not assign" \
        in result.stderr


def test_deleted_returns_once_it_is_gone(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    finish_on_second_read = operation_until_second_read(emulator, names)
    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "web", "--no-wait")
    emulator.call("DELETE", "/_emulator/requests")
    finish_on_second_read()
    assert wait(az, names, "--deleted").exit_code == 0
    assert "userAssignedIdentities" not in profile(emulator, names)
    assert len(cluster_reads(emulator, names)) >= 2  # the first read saw it Deleting


def test_exists_and_custom_conditions(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    assert wait(az, names, "--exists").exit_code == 0
    assert wait(az, names, "--custom", "provisioningState=='Assigned' && namespace=='shop'").exit_code == 0


def test_times_out_with_a_clear_error(az, emulator, names, cluster):
    result = az("aks", "pod-identity", "wait", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
                "--name", "never", "--created", "--interval", "1", "--timeout", "2")
    assert result.exit_code == 1
    assert "did not reach the wait condition --created within 2 seconds" in result.stderr


def test_needs_exactly_one_condition_and_valid_names_before_any_request(az, emulator, names):
    none = az("aks", "pod-identity", "wait", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
              "--name", "web")
    assert none.exit_code == 2 and "--created, --updated, --deleted, --exists or --custom" in none.stderr
    bad = wait(az, names, "--created", namespace="Shop")
    assert bad.exit_code == 2 and "--namespace" in bad.stderr
    assert emulator.arm_requests() == []


def test_exception_wait_returns_when_the_clusters_operation_has_finished(az, emulator, names, cluster):
    finish_on_second_read = operation_until_second_read(emulator, names)
    az.ok("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
          "--namespace", "shop", "--name", "legacy", "--pod-labels", "app=legacy", "--no-wait")
    assert emulator.cluster(names.rg, names.cluster)["properties"]["provisioningState"] == "Updating"
    finish_on_second_read()
    result = az("aks", "pod-identity", "exception", "wait", "-g", names.rg, "--cluster-name", names.cluster,
                "--updated", "--interval", "1")
    assert result.exit_code == 0, str(result)
    assert emulator.cluster(names.rg, names.cluster)["properties"]["provisioningState"] == "Succeeded"
