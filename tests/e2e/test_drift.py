"""After day one: identities deleted or re-created, grants revoked, one broken entry blocking every change.

`az aks pod-identity check` finds each drift and names its fix; re-running `add` repairs it; a write that the
service refuses because of another entry names that entry; `delete` and `--disable-pod-identity` remove the grants
that `add` created, and only those.
"""
import json
import shlex

from .helpers import MIO, cluster_puts, grant_puts, pod_identity_args, profile


def check(az, names, *extra):
    return az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster, *extra)


def run_fix(az, fix):
    words = shlex.split(fix)
    assert words[0] == "az"
    return az.ok(*words[1:])


def grants_on(emulator, principal_id, identity):
    return [a for a in emulator.role_assignments(principal_id)
            if a["properties"]["scope"].lower() == identity["id"].lower()]


def test_check_of_a_healthy_cluster_exits_0_and_only_reads(az, emulator, names, cluster, three):
    result = check(az, names)
    assert result.exit_code == 0, result.stderr
    report = result.json
    assert report["healthy"] is True and report["problems"] == []
    assert report["managedIdentity"] is True and report["podIdentityEnabled"] is True
    assert [(p["name"], p["identityExists"], p["idsMatch"], p["grantHeld"], p["provisioningState"])
            for p in report["podIdentities"]] == [(n, True, True, True, "Assigned") for n in ("p1", "p2", "p3")]
    # reads only: the one POST is the credential to read the cluster's API server with (an action that reads)
    requests = emulator.arm_requests()
    assert [r["path"].rsplit("/", 1)[1] for r in requests if r["method"] != "GET"] == ["listClusterUserCredential"]
    assert report["clusterRead"] is True
    assert len(emulator.arm_requests("GET", "/managedClusters/")) == 1
    assert len(emulator.arm_requests("GET", "/roleAssignments")) == 3  # one listing per identity
    assert len(requests) == 1 + 3 + 3 + 1
    table = check(az, names, "-o", "table")
    assert table.exit_code == 0 and "none found" in table.stdout


def test_check_finds_each_drift_exits_1_and_its_fixes_repair_the_cluster(az, emulator, names, cluster, three):
    principal = cluster["identity"]["principalId"]
    emulator.delete_identity(names.identity_rg, "p1-identity")
    az.ok("role", "assignment", "delete", "--ids", grants_on(emulator, principal, three["p2"])[0]["id"])
    old_client = three["p3"]["properties"]["clientId"]
    emulator.delete_identity(names.identity_rg, "p3-identity")
    emulator.seed_identity(names.identity_rg, "p3-identity")  # re-created: new client and object ids
    emulator.reset_test_controls()

    result = check(az, names)
    assert result.exit_code == 1
    assert "3 problems with the pod identities of cluster" in result.stderr
    report = json.loads(result.stdout)  # the report is printed before the failing exit
    assert report["healthy"] is False
    by_name = {p["podIdentity"]: p for p in report["problems"]}
    assert set(by_name) == {"p1", "p2", "p3"}
    assert "does not exist" in by_name["p1"]["problem"]
    assert by_name["p1"]["fix"].startswith("az aks pod-identity delete ") and "--name p1" in by_name["p1"]["fix"]
    assert "does not hold 'Managed Identity Operator'" in by_name["p2"]["problem"]
    assert by_name["p2"]["fix"].startswith("az role assignment create ") and three["p2"]["id"] in by_name["p2"]["fix"]
    assert by_name["p3"]["fix"].startswith("az aks pod-identity add ") and three["p3"]["id"] in by_name["p3"]["fix"]
    assert old_client in by_name["p3"]["problem"] and "re-created" in by_name["p3"]["problem"]
    rows = {p["name"]: p for p in report["podIdentities"]}
    assert (rows["p1"]["identityExists"], rows["p2"]["grantHeld"], rows["p3"]["idsMatch"]) == (False, False, False)
    # reads only: the cluster once, each identity once, a grant listing for each identity that exists, and the
    # credential to read the cluster's API server with
    assert {r["method"] for r in emulator.arm_requests()} == {"GET", "POST"}
    assert len(emulator.arm_requests()) == 1 + 3 + 2 + 1

    table = check(az, names, "-o", "table")
    assert table.exit_code == 1
    assert all(f"shop/{name}" in table.stdout for name in ("p1", "p2", "p3"))

    # the grant first: each later fix changes the cluster, and the service checks every pod identity each time
    assert [p["podIdentity"] for p in report["problems"]] == ["p2", "p1", "p3"]
    for problem in report["problems"]:
        run_fix(az, problem["fix"])
    assert check(az, names).exit_code == 0
    # the grant the fix made is marked as this extension's: deleting p2 removes it
    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "p2")
    assert grants_on(emulator, principal, three["p2"]) == []


def test_check_names_missing_kubenet_consent(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet", pod_identity={"enabled": True})
    result = check(az, names)
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["podIdentity"] is None and "kubenet" in problem["problem"]
    run_fix(az, problem["fix"])
    assert check(az, names).exit_code == 0


def test_rerunning_add_restores_a_revoked_grant_with_one_if_match_put(az, emulator, names, cluster, identity):
    principal = cluster["identity"]["principalId"]
    az.ok(*pod_identity_args(names, identity))
    emulator.revoke(principal, MIO)
    emulator.reset_test_controls()
    az.ok(*pod_identity_args(names, identity))
    assert len(grants_on(emulator, principal, identity)) == 1
    puts = cluster_puts(emulator)
    assert len(puts) == 1 and puts[0]["if_match"]
    assert len(grant_puts(emulator)) == 1


def test_rerunning_add_refreshes_the_ids_of_a_recreated_identity(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    az.ok("identity", "delete", "--ids", identity["id"])
    recreated = az.ok("identity", "create", "-g", names.identity_rg, "-n", "app-identity").json
    assert recreated["clientId"] != identity["properties"]["clientId"]
    emulator.reset_test_controls()
    result = az.ok(*pod_identity_args(names, identity))
    assert identity["properties"]["clientId"] in result.stderr  # the warning says what changed
    [entry] = profile(emulator, names)["userAssignedIdentities"]
    ids = (entry["identity"]["clientId"], entry["identity"]["objectId"])
    assert ids == (recreated["clientId"], recreated["principalId"])
    puts = cluster_puts(emulator)
    assert len(puts) == 1 and puts[0]["if_match"]


def test_a_write_blocked_by_a_deleted_identity_names_it_and_leaves_no_grant(az, emulator, names, cluster, three):
    principal = cluster["identity"]["principalId"]
    emulator.delete_identity(names.identity_rg, "p2-identity")
    fresh = emulator.seed_identity(names.identity_rg, "fresh")
    before = profile(emulator, names)
    emulator.call("DELETE", "/_emulator/requests")
    result = az(*pod_identity_args(names, fresh, name="p4"))
    assert result.exit_code == 1
    # the real service's message for a deleted identity is the missing-grant one, and it is kept
    assert ("(PodIdentityAddonIdentitiesAssignmentError) Cluster identity has no assignment permission over identity "
            f"'resourceId: {three['p2']['id']} - clientId: ") in result.stderr
    # one GET of p2's identity tells the two apart: the advice is for a deleted identity, not a grant
    assert len(emulator.arm_requests("GET", "/userAssignedIdentities/p2-identity")) == 1
    assert (f"Pod identity 'p2' in namespace 'shop' blocks this change: its identity '{three['p2']['id']}' no "
            "longer exists") in result.stderr
    assert "Restore the grant" not in result.stderr
    assert (f"az aks pod-identity delete --resource-group {names.rg} --cluster-name {names.cluster} "
            "--namespace shop --name p2") in result.stderr
    assert "Removed the 'Managed Identity Operator' grant" in result.stderr
    assert len(grant_puts(emulator)) == 1 and grants_on(emulator, principal, fresh) == []
    assert profile(emulator, names) == before
    # the named fix unblocks the cluster, and the same add then works
    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "p2")
    az.ok(*pod_identity_args(names, fresh, name="p4"))
    assert len(grants_on(emulator, principal, fresh)) == 1


def test_a_write_blocked_by_a_revoked_grant_names_the_entry_and_the_grant(az, emulator, names, cluster, three):
    principal = cluster["identity"]["principalId"]
    az.ok("role", "assignment", "delete", "--ids", grants_on(emulator, principal, three["p3"])[0]["id"])
    result = az("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
                "--namespace", "shop", "--name", "legacy", "--pod-labels", "app=legacy")
    assert result.exit_code == 1
    assert "Cluster identity has no assignment permission over identity" in result.stderr
    assert "Pod identity 'p3' in namespace 'shop' blocks this change: the cluster identity no longer holds" \
        in result.stderr
    assert "Restore the grant" in result.stderr and "no longer exists" not in result.stderr
    assert f"--assignee-object-id {principal} --assignee-principal-type ServicePrincipal --scope " \
           f"{three['p3']['id']} --name " in result.stderr
    readd = " ".join(pod_identity_args(names, three["p3"], name="p3")).replace(" -g ", " --resource-group ")
    assert "az " + readd in result.stderr


def test_delete_removes_the_grant_add_created_with_the_last_entry_using_it(az, emulator, names, cluster, identity):
    principal = cluster["identity"]["principalId"]
    az.ok(*pod_identity_args(names, identity, name="first"))
    az.ok(*pod_identity_args(names, identity, name="second"))
    [grant] = grants_on(emulator, principal, identity)
    assert grant["properties"]["description"].startswith("Created by az aks pod-identity add")
    delete = ["aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop"]
    az.ok(*delete, "--name", "first")
    assert len(grants_on(emulator, principal, identity)) == 1  # still used by "second"
    result = az.ok(*delete, "--name", "second")
    assert grants_on(emulator, principal, identity) == []
    assert "Removed the 'Managed Identity Operator' grant" in result.stderr


def test_delete_never_removes_a_grant_it_did_not_create(az, emulator, names, cluster, identity):
    principal = cluster["identity"]["principalId"]
    emulator.grant(identity["id"], principal)  # made by someone else before the add
    emulator.grant(identity["id"].split("/providers/")[0], principal)  # and an inherited one
    az.ok(*pod_identity_args(names, identity))
    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "web")
    assert len(emulator.role_assignments(principal)) == 2
    assert emulator.arm_requests("DELETE", "/roleAssignments/") == []


def test_delete_keeps_the_grant_of_a_user_assigned_cluster_identity_and_says_so(az, emulator, names, identity):
    cluster = emulator.seed_cluster(names.rg, names.cluster, identity="user", pod_identity={"enabled": True})
    principal = next(iter(cluster["identity"]["userAssignedIdentities"].values()))["principalId"]
    az.ok(*pod_identity_args(names, identity))
    result = az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                   "--namespace", "shop", "--name", "web")
    assert len(grants_on(emulator, principal, identity)) == 1
    assert "Kept the 'Managed Identity Operator' grant" in result.stderr and "other clusters" in result.stderr


def test_a_grant_that_cannot_be_removed_is_a_warning_not_a_failed_delete(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    emulator.add_fault(method="DELETE", path="/roleAssignments/", status=403, code="AuthorizationFailed",
                       message="The client does not have authorization to perform action "
                               "'Microsoft.Authorization/roleAssignments/delete'.", count=5)
    result = az("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                "--namespace", "shop", "--name", "web")
    assert result.exit_code == 0, result.stderr
    assert "Could not remove the 'Managed Identity Operator' grant" in result.stderr
    assert "az role assignment delete --ids" in result.stderr
    assert profile(emulator, names).get("userAssignedIdentities") in (None, [])


def test_disable_removes_the_grants_add_created(az, emulator, names, cluster, three):
    principal = cluster["identity"]["principalId"]
    emulator.grant(three["p1"]["id"].split("/providers/")[0], principal)  # someone else's, at the group
    az.ok("aks", "update", "-g", names.rg, "-n", names.cluster, "--disable-pod-identity", "--yes")
    assert [a["properties"]["scope"] for a in emulator.role_assignments(principal)] == [
        three["p1"]["id"].split("/providers/")[0]]
