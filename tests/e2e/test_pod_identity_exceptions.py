"""`az aks pod-identity exception add | update | delete | list` through the real az."""
from tests.e2e.helpers import cluster_puts, profile


def exception(names, verb, *extra, name="legacy", namespace="shop"):
    return ["aks", "pod-identity", "exception", verb, "-g", names.rg, "--cluster-name", names.cluster,
            "--namespace", namespace, "--name", name, *extra]


def test_add_sends_the_labels_and_reads_them_back_sorted(az, emulator, names, cluster):
    result = az.ok(*exception(names, "add", "--pod-labels", "tier=batch", "app=legacy"))
    (put,) = cluster_puts(emulator)
    assert put["if_match"].strip('"') == cluster["eTag"]
    assert put["body"]["properties"]["podIdentityProfile"]["userAssignedIdentityExceptions"] == [
        {"name": "legacy", "namespace": "shop", "podLabels": {"tier": "batch", "app": "legacy"}}]
    (stored,) = result.json["podIdentityProfile"]["userAssignedIdentityExceptions"]
    assert list(stored["podLabels"]) == ["app", "tier"]


def test_add_again_is_a_no_op(az, emulator, names, cluster):
    az.ok(*exception(names, "add", "--pod-labels", "app=legacy"))
    emulator.reset_test_controls()
    result = az.ok(*exception(names, "add", "--pod-labels", "app=legacy"))
    assert [r["method"] for r in emulator.arm_requests()] == ["GET"]
    assert "already exists with these pod labels" in result.stderr


def test_add_with_other_labels_points_to_update(az, emulator, names, cluster):
    az.ok(*exception(names, "add", "--pod-labels", "app=legacy"))
    emulator.reset_test_controls()
    result = az(*exception(names, "add", "--pod-labels", "app=other"))
    assert result.exit_code == 1 and "az aks pod-identity exception update" in result.stderr
    assert cluster_puts(emulator) == []


def test_update_replaces_the_labels(az, emulator, names, cluster):
    az.ok(*exception(names, "add", "--pod-labels", "app=legacy", "tier=batch"))
    result = az.ok(*exception(names, "update", "--pod-labels", "app=new"))
    assert result.json["podIdentityProfile"]["userAssignedIdentityExceptions"][0]["podLabels"] == {"app": "new"}


def test_update_of_a_missing_exception_exits_3(az, emulator, names, cluster):
    result = az(*exception(names, "update", "--pod-labels", "app=new"))
    assert result.exit_code == 3 and "Pod identity exception 'legacy' was not found" in result.stderr
    assert cluster_puts(emulator) == []


def test_delete_and_delete_missing(az, emulator, names, cluster):
    az.ok(*exception(names, "add", "--pod-labels", "app=legacy"))
    az.ok(*exception(names, "delete"))
    assert profile(emulator, names) == {"enabled": True}
    emulator.reset_test_controls()
    result = az.ok(*exception(names, "delete"))
    assert "No pod identity exception named 'legacy' in namespace 'shop'; nothing to delete." in result.stderr
    assert cluster_puts(emulator) == []


def test_no_wait_on_every_exception_change(az, emulator, names, cluster):
    emulator.settings(operation_seconds=0)
    for verb, extra in (("add", ["--pod-labels", "a=b"]), ("update", ["--pod-labels", "a=c"]), ("delete", [])):
        result = az.ok(*exception(names, verb, *extra, "--no-wait"))
        assert result.stdout.strip() == ""
    assert len(cluster_puts(emulator)) == 3
    assert emulator.arm_requests("GET", "/operations/") == []


def test_list_table(az, emulator, names, cluster):
    az.ok(*exception(names, "add", "--pod-labels", "tier=batch", "app=legacy"))
    table = az.ok("aks", "pod-identity", "exception", "list", "-g", names.rg, "--cluster-name", names.cluster,
                  "-o", "table")
    header, _, row = table.stdout.splitlines()
    assert header.split() == ["Name", "Namespace", "PodLabels"]
    assert row.split() == ["legacy", "shop", "app=legacy", "tier=batch"]
    listed = az.ok("aks", "pod-identity", "exception", "list", "-g", names.rg, "--cluster-name", names.cluster)
    assert listed.json["podIdentityProfile"]["userAssignedIdentityExceptions"][0]["name"] == "legacy"


def test_adding_a_201st_exception_is_refused_before_the_put(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True, "userAssignedIdentityExceptions": [
        {"name": f"e-{i}", "namespace": "shop", "podLabels": {"a": "b"}} for i in range(200)]})
    result = az(*exception(names, "add", "--pod-labels", "a=b", name="one-too-many"))
    assert result.exit_code == 1 and "already has 200 pod identity exceptions" in result.stderr
    assert cluster_puts(emulator) == []
