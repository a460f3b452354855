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


def test_prune_with_no_wait_returns_after_the_put(az, emulator, names, two_gone):
    emulator.settings(operation_seconds=3)
    az.ok(*prune(names, "--yes", "--no-wait"))
    assert len(cluster_puts(emulator)) == 1 and emulator.arm_requests("GET", "/operations/") == []


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
