"""`az aks pod-identity add | delete | list` through the real az against the emulator."""
import pytest

from tests.e2e.helpers import MIO, cluster_puts, grant_puts, pod_identity_args, profile


def test_add_grants_the_role_at_the_identity_scope_and_adds_the_identity(az, emulator, names, cluster, identity):
    result = az.ok(*pod_identity_args(names, identity))
    principal = cluster["identity"]["principalId"]
    (grant,) = grant_puts(emulator)
    assert grant["path"].lower().startswith(identity["id"].lower() + "/providers/microsoft.authorization/")
    assert grant["body"]["properties"]["roleDefinitionId"] == (
        f"/subscriptions/{emulator.subscription}/providers/Microsoft.Authorization/roleDefinitions/{MIO}")
    assert grant["body"]["properties"]["principalId"] == principal
    assert grant["body"]["properties"]["principalType"] == "ServicePrincipal"
    assert not emulator.arm_requests("GET", "/roleDefinitions")  # no lookup of a fixed role by name
    (put,) = cluster_puts(emulator)
    assert put["if_match"].strip('"') == cluster["eTag"]
    sent = put["body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"]
    assert sent == [{"name": "web", "namespace": "shop", "identity": {
        "resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
        "objectId": identity["properties"]["principalId"]}}]
    (entry,) = result.json["podIdentityProfile"]["userAssignedIdentities"]
    assert entry["provisioningState"] == "Assigned"
    assert "Managed Identity Operator" in result.stderr
    assert "Wait 30 seconds" not in result.stdout + result.stderr


def test_add_again_is_a_no_op_that_only_reads_the_cluster_the_identity_and_its_grants(
        az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    emulator.reset_test_controls()
    result = az.ok(*pod_identity_args(names, identity))
    requests = emulator.arm_requests()
    assert [r["method"] for r in requests] == ["GET", "GET", "GET"]
    last_segments = [r["path"].lower().rsplit("/", 1)[-1] for r in requests]
    assert last_segments == [names.cluster, "app-identity", "roleassignments"]
    assert "already exists with this identity and binding selector, and its grant is in place" in result.stderr
    assert result.json["podIdentityProfile"]["userAssignedIdentities"][0]["name"] == "web"


def test_add_recognises_a_grant_inherited_from_the_resource_group(az, emulator, names, cluster, identity):
    emulator.grant(identity["id"].split("/providers/")[0], cluster["identity"]["principalId"])
    az.ok(*pod_identity_args(names, identity))
    assert grant_puts(emulator) == []
    assert len(emulator.role_assignments(cluster["identity"]["principalId"])) == 1
    assert len(cluster_puts(emulator)) == 1


def test_add_defaults_the_name_to_the_identity_name(az, emulator, names, cluster, identity):
    args = pod_identity_args(names, identity)
    name_at = args.index("--name")
    del args[name_at:name_at + 2]
    az.ok(*args)
    assert profile(emulator, names)["userAssignedIdentities"][0]["name"] == "app-identity"


def test_add_without_name_when_the_identity_name_is_not_valid_asks_for_name(az, emulator, names, cluster):
    identity = emulator.seed_identity(names.identity_rg, "App_Identity")
    args = pod_identity_args(names, identity)
    name_at = args.index("--name")
    del args[name_at:name_at + 2]
    result = az(*args)
    assert result.exit_code == 2 and "--name is required" in result.stderr
    assert emulator.requests() == []


def test_add_with_binding_selector_for_two_identities(az, emulator, names, cluster, identity):
    second = emulator.seed_identity(names.identity_rg, "second-identity")
    az.ok(*pod_identity_args(names, identity, "--binding-selector", "myMultiIdentitySelector", name="id-1"))
    result = az.ok(*pod_identity_args(names, second, "--binding-selector", "myMultiIdentitySelector", name="id-2"))
    entries = result.json["podIdentityProfile"]["userAssignedIdentities"]
    assert [(e["name"], e["bindingSelector"]) for e in entries] == [
        ("id-1", "myMultiIdentitySelector"), ("id-2", "myMultiIdentitySelector")]


@pytest.mark.parametrize("change", ["identity", "selector"])
def test_add_same_name_with_other_identity_or_selector_is_an_error_without_put(
        az, emulator, names, cluster, identity, change):
    az.ok(*pod_identity_args(names, identity))
    emulator.reset_test_controls()
    other = emulator.seed_identity(names.identity_rg, "other") if change == "identity" else identity
    extra = ["--binding-selector", "other"] if change == "selector" else []
    result = az(*pod_identity_args(names, other, *extra))
    assert result.exit_code == 1
    assert "Pod identity 'web' already exists in namespace 'shop'" in result.stderr
    assert cluster_puts(emulator) == [] and grant_puts(emulator) == []


def test_add_when_pod_identity_is_disabled_says_how_to_enable_it(az, emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster)
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code == 1
    assert (f"az aks update --resource-group {names.rg} --name {names.cluster} --enable-pod-identity"
            in result.stderr)
    assert "--enable-pod-identity-with-kubenet" not in result.stderr
    assert cluster_puts(emulator) == []


def test_add_on_disabled_kubenet_cluster_mentions_the_kubenet_flag(az, emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet")
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code == 1 and "--enable-pod-identity --enable-pod-identity-with-kubenet" in result.stderr


def test_add_on_service_principal_cluster_is_refused(az, emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster, identity="service-principal")
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code == 1 and "requires a cluster that uses a managed identity" in result.stderr
    assert cluster_puts(emulator) == []


def test_add_on_user_assigned_cluster_grants_its_control_plane_identity(az, emulator, names, identity):
    cluster = emulator.seed_cluster(names.rg, names.cluster, identity="user", pod_identity={"enabled": True})
    (control_plane,) = cluster["identity"]["userAssignedIdentities"].values()
    az.ok(*pod_identity_args(names, identity))
    (grant,) = grant_puts(emulator)
    assert grant["body"]["properties"]["principalId"] == control_plane["principalId"]


def test_add_identity_from_another_subscription(az, emulator, names, cluster):
    other_sub = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    identity = emulator.seed_identity(names.identity_rg, "elsewhere", subscription=other_sub)
    az.ok(*pod_identity_args(names, identity))
    (grant,) = grant_puts(emulator)
    assert grant["path"].startswith(f"/subscriptions/{other_sub}/")
    assert emulator.arm_requests("GET", f"/subscriptions/{other_sub}/resourceGroups/")


def test_add_missing_identity_exits_3(az, emulator, names, cluster):
    missing = {"id": f"/subscriptions/{emulator.subscription}/resourceGroups/{names.identity_rg}/providers/"
                     "Microsoft.ManagedIdentity/userAssignedIdentities/ghost"}
    emulator.seed_group(names.identity_rg)
    result = az(*pod_identity_args(names, missing))
    assert result.exit_code == 3 and "--identity-resource-id was not found" in result.stderr
    assert cluster_puts(emulator) == []


def test_add_when_the_grant_is_forbidden_keeps_the_message_and_says_what_is_needed(
        az, emulator, names, cluster, identity):
    emulator.revoke(emulator.pipeline_object_id, "Owner")
    try:
        result = az(*pod_identity_args(names, identity))
    finally:
        emulator.grant(f"/subscriptions/{emulator.subscription}", emulator.pipeline_object_id, "Owner")
    assert result.exit_code == 1
    assert "does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write'" \
        in result.stderr
    assert "Owner or User Access Administrator" in result.stderr
    assert "az role assignment create --role 'Managed Identity Operator'" in result.stderr
    assert cluster_puts(emulator) == []


def test_add_waits_for_a_new_grant_to_replicate_without_fixed_sleep(az, emulator, names, cluster, identity):
    emulator.settings(role_replication_delay_writes=2)
    result = az.ok(*pod_identity_args(names, identity))
    assert [p["status"] for p in cluster_puts(emulator)] == [400, 400, 200]
    assert "not visible to AKS yet" in result.stderr
    assert result.json["podIdentityProfile"]["userAssignedIdentities"][0]["provisioningState"] == "Assigned"


def test_stale_identity_without_permission_fails_fast_with_the_service_message(
        az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    emulator.revoke(cluster["identity"]["principalId"], MIO)
    emulator.grant(f"/subscriptions/{emulator.subscription}/resourceGroups/{names.identity_rg}",
                   cluster["identity"]["principalId"])
    other = emulator.seed_identity(names.rg, "fresh")
    emulator.revoke(cluster["identity"]["principalId"], MIO)
    emulator.reset_test_controls()
    result = az(*pod_identity_args(names, other, name="second"))
    assert result.exit_code == 1
    assert ("(PodIdentityAddonIdentitiesAssignmentError) Cluster identity has no assignment permission over identity "
            f"'resourceId: {identity['id']} - clientId: {identity['properties']['clientId']} - objectId: "
            f"{identity['properties']['principalId']}'") in result.stderr
    assert len(cluster_puts(emulator)) == 1  # no waiting: the stale identity is not the one just granted


def test_add_no_wait_returns_after_the_put(az, emulator, names, cluster, identity):
    emulator.settings(operation_seconds=5)
    result = az.ok(*pod_identity_args(names, identity, "--no-wait"))
    assert result.stdout.strip() == ""
    assert len(cluster_puts(emulator)) == 1
    assert emulator.arm_requests("GET", "/operations/") == []


def test_failed_operation_exits_non_zero_with_the_entry_error(az, emulator, names, cluster, identity):
    emulator.add_fault(method="PUT", path="managedClusters/" + names.cluster, kind="operation",
                       code="NMIReconcileFailed", message="nmi could not assign the identity")
    result = az(*pod_identity_args(names, identity))
    assert result.exit_code != 0
    assert "Pod identity 'web' in namespace 'shop' is Failed: (NMIReconcileFailed) nmi could not assign" \
        in result.stderr


def test_delete_removes_only_that_identity(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity, name="keep"))
    az.ok(*pod_identity_args(names, identity, name="drop"))
    emulator.reset_test_controls()
    result = az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                   "--namespace", "shop", "--name", "drop")
    (put,) = cluster_puts(emulator)
    assert [e["name"] for e in put["body"]["properties"]["podIdentityProfile"]["userAssignedIdentities"]] == ["keep"]
    assert [e["name"] for e in result.json["podIdentityProfile"]["userAssignedIdentities"]] == ["keep"]


def test_delete_of_a_missing_identity_warns_and_sends_no_put(az, emulator, names, cluster):
    result = az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                   "--namespace", "shop", "--name", "ghost")
    assert "No pod identity named 'ghost' in namespace 'shop'; nothing to delete." in result.stderr
    assert [r["method"] for r in emulator.arm_requests()] == ["GET"]


def test_delete_last_identity_reads_back_without_the_key(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "web", "--no-wait")
    assert profile(emulator, names) == {"enabled": True}


def test_list_returns_the_cluster_and_a_table(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity))
    listed = az.ok("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster)
    assert listed.json["id"] == cluster["id"]
    queried = az.ok("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster,
                    "--query", "podIdentityProfile.userAssignedIdentities[].name")
    assert queried.json == ["web"]
    table = az.ok("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster, "-o", "table")
    header, rule, row = table.stdout.splitlines()
    assert header.split() == ["Name", "Namespace", "ProvisioningState", "Identity"]
    assert row.split() == ["web", "shop", "Assigned", identity["id"]]


def test_two_interleaved_edits_both_land(az, emulator, names, cluster, identity):
    emulator.add_fault(method="PUT", path="managedClusters/" + names.cluster, kind="interleave", patch={
        "properties": {"podIdentityProfile": {"userAssignedIdentityExceptions": [
            {"name": "other-writer", "namespace": "ops", "podLabels": {"app": "x"}}]}}})
    result = az.ok(*pod_identity_args(names, identity))
    statuses = [p["status"] for p in cluster_puts(emulator)]
    assert statuses == [412, 200]  # ours refused after the other writer's change, then ours again after re-reading
    assert len([r for r in emulator.arm_requests("GET") if r["path"].endswith(names.cluster)]) >= 2
    final = profile(emulator, names)
    assert [e["name"] for e in final["userAssignedIdentities"]] == ["web"]
    assert [e["name"] for e in final["userAssignedIdentityExceptions"]] == ["other-writer"]
    assert "changed by someone else" in result.stderr


def test_delete_on_a_disabled_cluster_is_a_no_op(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    for args in (["aks", "pod-identity", "delete"], ["aks", "pod-identity", "exception", "delete"]):
        result = az.ok(*args, "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop", "--name", "x")
        assert "nothing to delete" in result.stderr
    assert cluster_puts(emulator) == []


def test_custom_headers_reach_the_service_on_every_request(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity, "--aks-custom-headers", "X-Pipeline-Run=42,X-Team=payments"))
    read, write = emulator.arm_requests(path_contains="/managedClusters/" + names.cluster)[:2]
    assert (read["method"], write["method"]) == ("GET", "PUT")
    for request in (read, write):
        assert request["headers"].get("x-pipeline-run") == "42" and request["headers"].get("x-team") == "payments"
    for verb in (["pod-identity", "list"], ["pod-identity", "exception", "list"]):
        emulator.reset_test_controls()
        az.ok("aks", *verb, "-g", names.rg, "--cluster-name", names.cluster, "--aks-custom-headers", "X-A=b")
        (get,) = emulator.arm_requests("GET")
        assert get["headers"]["x-a"] == "b"


def test_adding_a_201st_identity_is_refused_before_the_put(az, emulator, names, identity):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True, "userAssignedIdentities": [
        {"name": f"id-{i}", "namespace": "shop", "identity": {"resourceId": identity["id"]}} for i in range(200)]})
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    result = az(*pod_identity_args(names, identity, name="one-too-many"))
    assert result.exit_code == 1 and "already has 200 pod identities" in result.stderr
    assert cluster_puts(emulator) == []
