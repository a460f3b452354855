"""`az aks pod-identity migrate`: pod identities to Microsoft Entra Workload ID, through the real az."""
import yaml
import pytest

from tests.e2e.helpers import arm_writes as writes

AUDIENCE = "api://AzureADTokenExchange"
OTHER_SUBSCRIPTION = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"


def migrate(names, *extra):
    return ["aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, *extra]


def pod_identity(name, namespace, identity, selector=None):
    entry = {"name": name, "namespace": namespace, "identity": {"resourceId": identity["id"]}}
    if selector:
        entry["bindingSelector"] = selector
    return entry


def credentials(emulator, identity):
    _, _, listed = emulator.arm("GET", f"{identity['id']}/federatedIdentityCredentials", api_version="2024-11-30")
    return listed["value"]


@pytest.fixture
def setup(emulator, names):
    web = emulator.seed_identity(names.identity_rg, "web-identity")
    jobs = emulator.seed_identity(names.identity_rg, "jobs-identity", subscription=OTHER_SUBSCRIPTION)
    cluster = emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": [pod_identity("web", "shop", web, selector="web-selector"),
                                                    pod_identity("jobs", "batch", jobs)]})
    emulator.reset_test_controls()
    return {"web": web, "jobs": jobs, "issuer": cluster["properties"]["oidcIssuerProfile"]["issuerURL"]}


def test_dry_run_changes_nothing_and_shows_the_plan(az, emulator, names, setup):
    result = az.ok(*migrate(names, "--dry-run"))
    assert writes(emulator) == []
    plan = result.json
    assert plan["dryRun"] is True and plan["issuer"] == setup["issuer"]
    actions = [(i["name"], i["action"]) for i in plan["podIdentities"]]
    assert actions == [("web", "would create"), ("jobs", "would create")]
    assert "azure.workload.identity/client-id" in plan["manifest"]
    assert credentials(emulator, setup["web"]) == []


def test_run_creates_one_credential_per_pod_identity_and_a_manifest(az, emulator, names, setup, tmp_path):
    manifest = tmp_path / "workload-identity.yaml"
    result = az.ok(*migrate(names, "--manifest-file", manifest))
    for key, namespace, account in (("web", "shop", "web"), ("jobs", "batch", "jobs")):
        (credential,) = credentials(emulator, setup[key])
        assert credential["name"] == f"{names.cluster}-{namespace}-{account}"
        assert credential["properties"] == {"issuer": setup["issuer"],
                                            "subject": f"system:serviceaccount:{namespace}:{account}",
                                            "audiences": [AUDIENCE]}
    puts = writes(emulator)
    assert len(puts) == 2 and all("/federatedIdentityCredentials/" in r["path"] for r in puts)
    assert any(r["path"].startswith(f"/subscriptions/{OTHER_SUBSCRIPTION}/") for r in puts)
    assert [i["action"] for i in result.json["podIdentities"]] == ["created", "created"]
    documents = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    assert {(d["metadata"]["namespace"], d["metadata"]["name"]): d["metadata"]["annotations"][
        "azure.workload.identity/client-id"] for d in documents} == {
        ("shop", "web"): setup["web"]["properties"]["clientId"],
        ("batch", "jobs"): setup["jobs"]["properties"]["clientId"]}
    assert all(d["kind"] == "ServiceAccount" and d["apiVersion"] == "v1" for d in documents)
    assert "remove the label aadpodidbinding: web-selector" in manifest.read_text()
    web = result.json["podIdentities"][0]
    assert web["podChanges"] == {"removeLabels": {"aadpodidbinding": "web-selector"},
                                 "addLabels": {"azure.workload.identity/use": "true"}, "serviceAccountName": "web"}
    assert any("az aks pod-identity delete" in step for step in result.json["nextSteps"])
    cluster = emulator.cluster(names.rg, names.cluster)
    assert len(cluster["properties"]["podIdentityProfile"]["userAssignedIdentities"]) == 2  # nothing removed


def test_running_again_is_a_no_op(az, emulator, names, setup):
    az.ok(*migrate(names))
    emulator.reset_test_controls()
    result = az.ok(*migrate(names))
    assert writes(emulator) == []
    assert [i["action"] for i in result.json["podIdentities"]] == ["exists", "exists"]


def test_one_namespace_one_name_and_a_chosen_service_account(az, emulator, names, setup):
    result = az.ok(*migrate(names, "--namespace", "shop", "--name", "web", "--service-account", "storefront",
                            "-o", "json"))
    (item,) = result.json["podIdentities"]
    assert item["subject"] == "system:serviceaccount:shop:storefront"
    assert [c["properties"]["subject"] for c in credentials(emulator, setup["web"])] == [
        "system:serviceaccount:shop:storefront"]
    assert credentials(emulator, setup["jobs"]) == []
    table = az.ok(*migrate(names, "--namespace", "shop", "--service-account", "storefront", "-o", "table"))
    assert table.stdout.splitlines()[0].split() == ["Name", "Namespace", "ServiceAccount", "Strategy",
                                                    "CredentialName", "Action"]


def test_a_name_clash_is_an_error_before_any_change(az, emulator, names, setup):
    emulator.arm("PUT", f"{setup['jobs']['id']}/federatedIdentityCredentials/{names.cluster}-batch-jobs",
                 {"properties": {"issuer": "https://elsewhere.example/", "subject": "system:serviceaccount:x:y",
                                 "audiences": [AUDIENCE]}}, api_version="2024-11-30")
    emulator.reset_test_controls()
    result = az(*migrate(names))
    assert result.exit_code == 1 and f"named '{names.cluster}-batch-jobs' with another issuer" in result.stderr
    assert writes(emulator) == []
    assert credentials(emulator, setup["web"]) == []  # the other identity was not touched either


def test_the_20_credential_limit_is_checked_before_any_change(az, emulator, names, setup):
    for i in range(20):
        emulator.arm("PUT", f"{setup['jobs']['id']}/federatedIdentityCredentials/other-{i}",
                     {"properties": {"issuer": "https://elsewhere.example/", "subject": f"s:{i}",
                                     "audiences": [AUDIENCE]}}, api_version="2024-11-30")
    emulator.reset_test_controls()
    result = az(*migrate(names, "--strategy", "federated-credential"))
    assert result.exit_code == 1 and "would need 21 federated identity credentials" in result.stderr
    assert "Use --strategy identity-binding" in result.stderr
    assert writes(emulator) == []
    # auto: a binding would need a credential too, and the identity has none free (an azure-cli without identity
    # bindings: the identity would pass its 20 credentials, and no binding can be made)
    result = az(*migrate(names))
    assert result.exit_code == 1 and writes(emulator) == []
    assert "none of them AKS's 'aks-identity-binding'" in result.stderr or (
        "would pass its 20 federated identity credentials: it has 20 and this migration needs 1 more (21)" in
        result.stderr and "has no identityBindings" in result.stderr)


def test_the_prerequisites_error_names_the_fix_and_the_fix_works(az, emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "app")
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={
        "enabled": True, "userAssignedIdentities": [pod_identity("web", "shop", identity)]})
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    result = az(*migrate(names))
    fix = f"az aks update --resource-group {names.rg} --name {names.cluster} --enable-oidc-issuer " \
          "--enable-workload-identity"
    assert result.exit_code == 1 and fix in result.stderr
    assert writes(emulator) == []
    az.ok(*fix.split()[1:])
    assert az.ok(*migrate(names)).json["podIdentities"][0]["action"] == "created"


def test_selecting_nothing_or_an_ambiguous_name(az, emulator, names, setup):
    missing = az(*migrate(names, "--namespace", "nowhere"))
    assert missing.exit_code == 3 and "No pod identity in namespace 'nowhere'" in missing.stderr
    identity = emulator.seed_identity(names.identity_rg, "twin")
    emulator.seed_cluster(names.rg, names.cluster + "b", oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": [pod_identity("app", "a", identity),
                                                    pod_identity("app", "b", identity)]})
    ambiguous = az("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster + "b",
                   "--name", "app")
    assert ambiguous.exit_code == 1 and "add --namespace" in ambiguous.stderr


def test_pod_identities_sharing_a_selector_share_a_service_account_and_each_identity_trusts_it(
        az, emulator, names):
    reader = emulator.seed_identity(names.identity_rg, "reader")
    writer = emulator.seed_identity(names.identity_rg, "writer")
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": [pod_identity("reader", "shop", reader, selector="multi"),
                                                    pod_identity("writer", "shop", writer, selector="multi")]})
    result = az.ok(*migrate(names))
    subjects = {key: [c["properties"]["subject"] for c in credentials(emulator, identity)]
                for key, identity in (("reader", reader), ("writer", writer))}
    assert subjects == {"reader": ["system:serviceaccount:shop:reader"],
                        "writer": ["system:serviceaccount:shop:reader"]}
    first, second = result.json["podIdentities"]
    assert second["sharedBindingSelector"]["podIdentities"] == ["reader", "writer"]
    assert second["podChanges"]["containerEnv"] == {"AZURE_CLIENT_ID": writer["properties"]["clientId"]}
    documents = [d for d in yaml.safe_load_all(result.json["manifest"]) if d]
    assert [d["metadata"]["annotations"]["azure.workload.identity/client-id"] for d in documents] == [
        first["clientId"]]
    assert result.json["nextSteps"][-1] == (f"Once no pod identity is left on the cluster, turn the add-on off: az aks "
                                            f"update --resource-group {names.rg} --name {names.cluster} "
                                            "--disable-pod-identity")


def test_proxy_sidecar_adds_its_annotations_and_says_its_caveats(az, emulator, names, setup):
    result = az.ok(*migrate(names, "--namespace", "shop", "--proxy-sidecar", "--proxy-sidecar-port", "8001",
                            "--dry-run"))
    (item,) = result.json["podIdentities"]
    assert item["podChanges"]["addAnnotations"] == {"azure.workload.identity/inject-proxy-sidecar": "true",
                                                    "azure.workload.identity/proxy-sidecar-port": "8001"}
    for caveat in ("Linux pods only", "not meant for production", "hostNetwork", "Jobs"):
        assert caveat in result.stderr and any(caveat in c for c in result.json["proxySidecarCaveats"])
    assert any("takes a few seconds" in step for step in result.json["nextSteps"])


@pytest.mark.parametrize("extra,option", [(["--service-account", "Bad_SA"], "--service-account"),
                                          (["--proxy-sidecar-port", "8001"], "--proxy-sidecar"),
                                          (["--proxy-sidecar", "--proxy-sidecar-port", "70000"],
                                           "--proxy-sidecar-port"),
                                          (["--namespace", "Shop"], "--namespace"),
                                          (["--manifest-file", "/no/such/folder/x.yaml"], "--manifest-file")])
def test_bad_input_is_refused_before_any_request(az, emulator, names, extra, option):
    result = az(*migrate(names, *extra))
    assert result.exit_code == 2 and option in result.stderr
    assert emulator.requests() == []


def test_no_wait_still_prints_the_plan_the_service_accounts_and_the_next_steps(az, emulator, names, setup):
    """azure-cli drops the output of a command registered with supports_no_wait when --no-wait is given: the
    credentials would be made and what to apply lost."""
    result = az.ok(*migrate(names, "--no-wait"))
    plan = result.json
    assert [(i["name"], i["action"]) for i in plan["podIdentities"]] == [("web", "created"), ("jobs", "created")]
    assert "kind: ServiceAccount" in plan["manifest"] and plan["nextSteps"]
    assert len(credentials(emulator, setup["web"])) == 1
