"""Repair that converges, through the real az: several broken pod identities at once, and a grant clean-up that
cannot strand an `add` running at the same time (interleavings forced by emulator actions, not by timing)."""
import json
import shlex

import pytest

from .helpers import MIO, cluster_puts, pod_identity_args, profile


def run(az, command):
    words = shlex.split(command)
    assert words[0] == "az"
    return az(*words[1:])


def prune(names, *extra):
    return ["aks", "pod-identity", "prune", "-g", names.rg, "--cluster-name", names.cluster, *extra]


def delete(names, name):
    return ["aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
            "--name", name]


def grants_on(emulator, principal_id, identity_id):
    return [a for a in emulator.role_assignments(principal_id)
            if a["properties"]["scope"].lower() == identity_id.lower()]


def entries(emulator, names):
    return {e["name"]: e for e in profile(emulator, names).get("userAssignedIdentities") or []}


@pytest.fixture
def two_gone(emulator, names, three):
    """p2's and p3's identities deleted (as when the resource group holding them goes); p1 healthy."""
    for name in ("p2", "p3"):
        emulator.delete_identity(names.identity_rg, f"{name}-identity")
    emulator.reset_test_controls()
    return three


def test_deleting_one_of_two_broken_pod_identities_is_refused_and_names_both_and_the_one_fix(
        az, emulator, names, two_gone):
    result = az(*delete(names, "p2"))
    assert result.exit_code == 1
    assert "PodIdentityAddonIdentitiesAssignmentError" in result.stderr
    assert ("Pod identities 'p2' in namespace 'shop', 'p3' in namespace 'shop' block this change: their identities "
            "no longer exist") in result.stderr
    assert f"az aks pod-identity prune --resource-group {names.rg} --cluster-name {names.cluster} --yes" \
        in result.stderr
    assert set(entries(emulator, names)) == {"p1", "p2", "p3"}


def test_prune_removes_them_together_in_one_if_match_put_and_keeps_the_healthy_one(az, emulator, names, cluster,
                                                                                   two_gone):
    principal = cluster["identity"]["principalId"]
    plan = az.ok(*prune(names, "--dry-run")).json
    assert [(p["name"], p["action"]) for p in plan["podIdentities"]] == [
        ("p2", "would remove"), ("p3", "would remove")]
    assert [r for r in emulator.arm_requests() if r["method"] != "GET"] == []
    # unattended without --yes: nothing is removed, and it says how to confirm
    refused = az(*prune(names))
    assert refused.exit_code != 0 and "Run again with --yes" in refused.stderr and "shop/p2" in refused.stderr
    assert cluster_puts(emulator) == []

    result = az.ok(*prune(names, "--yes"))
    assert [(p["name"], p["action"]) for p in result.json["podIdentities"]] == [("p2", "removed"), ("p3", "removed")]
    puts = cluster_puts(emulator)
    assert len(puts) == 1 and puts[0]["if_match"] and puts[0]["status"] == 200
    assert list(entries(emulator, names)) == ["p1"] and entries(emulator, names)["p1"]["provisioningState"] == \
        "Assigned"
    assert profile(emulator, names)["enabled"] is True
    assert len(grants_on(emulator, principal, two_gone["p1"]["id"])) == 1  # the healthy one keeps its grant
    for name in ("p2", "p3"):  # the removed ones' grants made by add are gone
        assert grants_on(emulator, principal, two_gone[name]["id"]) == []
    # a re-run changes nothing
    emulator.call("DELETE", "/_emulator/requests")
    again = az.ok(*prune(names, "--yes", "-o", "table"))
    assert "nothing to remove" in again.stderr and cluster_puts(emulator) == []


def test_prune_with_no_wait_returns_after_the_put_and_lists_what_it_sent(az, emulator, names, two_gone):
    emulator.settings(operation_seconds=3)
    result = az.ok(*prune(names, "--yes", "--no-wait"))
    assert len(cluster_puts(emulator)) == 1 and emulator.arm_requests("GET", "/operations/") == []
    assert [(p["name"], p["action"]) for p in result.json["podIdentities"]] == [
        ("p2", "removal sent"), ("p3", "removal sent")]


def test_prune_re_applied_after_a_concurrent_change_removes_only_what_was_confirmed(az, emulator, names, three):
    """p2's identity is gone; while prune writes, someone re-creates it (same resource id, new client id) and adds a
    pod identity 'p9' for it: the write meets a 412, prune reads again and removes p2 only, never p9."""
    emulator.delete_identity(names.identity_rg, "p2-identity")
    emulator.reset_test_controls()
    recreated = {"resource_group": names.identity_rg, "name": "p2-identity"}
    p9 = {"name": "p9", "namespace": "shop", "identity": {"resourceId": three["p2"]["id"]}}
    emulator.add_fault(method="PUT", path=f"managedClusters/{names.cluster}$", kind="action", action={
        "create_identity": recreated, "cluster_patch": {"resource_group": names.rg, "name": names.cluster,
                                                        "patch": {"properties": {"podIdentityProfile": {
                                                            "userAssignedIdentities": [p9]}}}}})
    result = az.ok(*prune(names, "--yes"))
    assert [p["status"] for p in cluster_puts(emulator)] == [412, 200]
    assert [(p["name"], p["action"]) for p in result.json["podIdentities"]] == [("p2", "removed")]
    assert sorted(entries(emulator, names)) == ["p1", "p3", "p9"]


def test_answering_no_at_the_prompt_changes_nothing_and_exits_0(az, emulator, names, two_gone):
    import os
    import pty
    import subprocess
    from tests.harness.azcli import AZ
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([AZ, *prune(names)], stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=az.env, text=True, cwd=az.cwd)
    os.close(secondary)
    os.write(primary, b"n\n")
    stdout, stderr = proc.communicate(timeout=120)
    os.close(primary)
    assert proc.returncode == 0, stderr
    assert "Nothing was changed." in stderr and "ERROR" not in stderr
    assert cluster_puts(emulator) == [] and set(entries(emulator, names)) == {"p1", "p2", "p3"}
    question, _, output = stdout.partition("Continue? (y/N): ")  # knack asks on stdout
    assert "shop/p2" in question and "shop/p3" in question
    assert [(p["name"], p["action"]) for p in json.loads(output)["podIdentities"]] == [("p2", "kept"), ("p3", "kept")]


@pytest.fixture
def out_of_sight(emulator, names):
    """A pod identity whose identity lives in a subscription that `az account list` does not show and in which the
    signed-in account holds no role; and a healthy one."""
    (hidden,) = emulator.call("POST", "/_emulator/subscriptions", {"count": 1, "listed": False,
                                                                   "readable": False})["added"]
    far = emulator.seed_identity(names.identity_rg, "far-identity", subscription=hidden)
    near = emulator.seed_identity(names.identity_rg, "near-identity")
    entries_ = [{"name": n, "namespace": "shop", "identity": {"resourceId": i["id"]}} for n, i in (("far", far),
                                                                                                   ("near", near))]
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True,
                                                                           "userAssignedIdentities": entries_})
    emulator.grant(near["id"], cluster["identity"]["principalId"])
    emulator.reset_test_controls()
    return hidden, far


def test_prune_keeps_a_pod_identity_whose_identity_cannot_be_read(az, emulator, names, out_of_sight):
    result = az.ok(*prune(names, "--yes"))
    _, far = out_of_sight
    assert f"Identity '{far['id']}' could not be read, so its pod identities are kept." in result.stderr
    assert "not found" not in result.stderr.lower()
    assert result.json["podIdentities"] == [] and cluster_puts(emulator) == []


def test_check_reports_an_identity_it_cannot_read_with_the_services_refusal(az, emulator, names, out_of_sight):
    result = az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster)
    _, far = out_of_sight
    assert result.exit_code == 1 and "not found. Check the spelling" not in result.stderr
    (problem,) = result.json["problems"]
    assert problem["podIdentity"] == "far" and f"Its identity '{far['id']}' could not be read" in problem["problem"]
    assert "AuthorizationFailed" in problem["problem"]
    rows = {p["name"]: p for p in result.json["podIdentities"]}
    assert rows["far"]["identityExists"] is None and rows["near"]["identityExists"] is True


def test_a_grant_removed_before_the_cluster_could_be_read_again_is_a_warning(az, emulator, names, cluster, identity):
    """delete removed the pod identity and its grant; the read that checks no add landed meanwhile fails: the change
    is done, so the command warns and exits 0."""
    az.ok(*pod_identity_args(names, identity))
    emulator.reset_test_controls()
    emulator.add_fault(method="DELETE", path="/roleAssignments/", kind="action", action={"add_fault": {
        "method": "GET", "path": f"managedClusters/{names.cluster}$", "status": 403, "code": "AuthorizationFailed",
        "message": "The client does not have authorization to perform action "
                   "'Microsoft.ContainerService/managedClusters/read'."}})
    result = az(*delete(names, "web"))
    assert result.exit_code == 0, str(result)
    assert "could not read the cluster again" in result.stderr and "AuthorizationFailed" in result.stderr
    assert entries(emulator, names) == {}
    assert grants_on(emulator, cluster["identity"]["principalId"], identity["id"]) == []


def test_checks_fixes_converge_for_every_drift_at_once(az, emulator, names, cluster, three):
    """Two identities gone, a revoked grant, a re-created identity and a Failed entry on one cluster: the fixes
    `check` prints, run one after another, end with check passing and the healthy pod identity untouched."""
    principal = cluster["identity"]["principalId"]
    for name in ("p4", "p5", "p6"):
        three[name] = emulator.seed_identity(names.identity_rg, f"{name}-identity")
        az.ok(*pod_identity_args(names, three[name], name=name))
    emulator.add_fault(method="PUT", path=f"managedClusters/{names.cluster}$", kind="operation",
                       operation_status="Failed", code="NMIFailure", message="The identity could not be assigned.")
    az(*pod_identity_args(names, emulator.seed_identity(names.identity_rg, "p7-identity"), name="p7"))
    assert entries(emulator, names)["p7"]["provisioningState"] == "Failed"
    for name in ("p2", "p3"):
        emulator.delete_identity(names.identity_rg, f"{name}-identity")
    az.ok("role", "assignment", "delete", "--ids", grants_on(emulator, principal, three["p4"]["id"])[0]["id"])
    emulator.delete_identity(names.identity_rg, "p5-identity")
    emulator.seed_identity(names.identity_rg, "p5-identity")  # re-created: new ids
    emulator.reset_test_controls()

    result = az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster)
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert {p["podIdentity"] for p in problems} == {"p2", "p3", "p4", "p5", "p7"}
    fixes = {p["podIdentity"]: p["fix"] for p in problems}
    prune_fix = f"az aks pod-identity prune --resource-group {names.rg} --cluster-name {names.cluster} --yes"
    assert fixes["p2"] == fixes["p3"] == prune_fix  # removing either alone would be refused because of the other
    assert fixes["p4"].startswith("az role assignment create ") and problems[0]["podIdentity"] == "p4"
    for problem in problems:
        fixed = run(az, problem["fix"])
        assert fixed.exit_code == 0, f"{problem}\n{fixed}"
    final = az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster)
    assert final.exit_code == 0, final.stdout
    kept = entries(emulator, names)
    assert set(kept) == {"p1", "p4", "p5", "p6", "p7"}
    assert all(e["provisioningState"] == "Assigned" for e in kept.values())
    assert len(grants_on(emulator, principal, three["p1"]["id"])) == 1
    assert profile(emulator, names)["enabled"] is True


def test_a_delete_gives_the_grant_back_when_an_add_of_its_identity_lands_during_the_removal(
        az, emulator, names, cluster, three):
    """delete p1 (the last user of its identity); just as its grant is being removed, another pipeline's add of the
    same identity lands. The delete reads the cluster again after the removal and creates the grant again."""
    principal, identity = cluster["identity"]["principalId"], three["p1"]
    entry = {"name": "p9", "namespace": "shop", "identity": {
        "resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
        "objectId": identity["properties"]["principalId"]}}
    other_add = {"properties": {"podIdentityProfile": {"userAssignedIdentities": [entry]}}}
    emulator.add_fault(method="DELETE", path="/roleAssignments/", kind="action", action={"cluster_patch": {
        "resource_group": names.rg, "name": names.cluster, "patch": other_add}})
    result = az.ok(*delete(names, "p1"))
    assert "was created again" in result.stderr
    assert "p1" not in entries(emulator, names) and entries(emulator, names)["p9"]["provisioningState"] == "Assigned"
    assert len(grants_on(emulator, principal, identity["id"])) == 1
    assert az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster).exit_code == 0


def test_an_add_restores_its_grant_when_a_concurrent_delete_removed_it_before_the_add_s_write(
        az, emulator, names, cluster, three):
    """add p2b with p2's identity: the add finds the grant in place, then (as a concurrent delete of p2 would)
    the grant is removed just before the add's write arrives. The service refuses the write; the add creates the
    grant again and its write goes through."""
    principal, identity = cluster["identity"]["principalId"], three["p2"]
    emulator.add_fault(method="PUT", path=f"managedClusters/{names.cluster}$", kind="action",
                       action={"revoke": {"principal_id": principal, "role": MIO, "scope": identity["id"]}})
    result = az.ok(*pod_identity_args(names, identity, name="p2b"))
    assert "was created again" in result.stderr
    assert [p["status"] for p in cluster_puts(emulator)] == [400, 200]
    assert entries(emulator, names)["p2b"]["provisioningState"] == "Assigned"
    assert len(grants_on(emulator, principal, identity["id"])) == 1


def test_a_write_blocked_by_an_identity_out_of_sight_keeps_the_services_refusal(az, emulator, names, out_of_sight):
    """The cluster has no grant on 'far' (nor can this account read it): any change is refused naming it, and the
    refusal is what the user sees, not azure-cli's "Subscription not found"."""
    _, far = out_of_sight
    other = emulator.seed_identity(names.identity_rg, "other-identity")
    result = az(*pod_identity_args(names, other, name="other"))
    assert result.exit_code == 1
    assert "(PodIdentityAddonIdentitiesAssignmentError) Cluster identity has no assignment permission" in \
        result.stderr and far["id"] in result.stderr
    assert "not found. Check the spelling" not in result.stderr
