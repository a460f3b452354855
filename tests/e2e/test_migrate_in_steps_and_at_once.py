"""`migrate` as platform teams run it: namespace by namespace, re-run by pipelines, and on many clusters at once that
share identities; and where no identity binding can be made. Through the real az."""
import re

import pytest
import yaml

from tests.e2e.helpers import arm_writes as writes

AUDIENCE = "api://AzureADTokenExchange"
BINDING_NAME = re.compile(r"[a-z][a-z0-9]{0,63}")  # the REST specification's pattern for identityBindings


def migrate(names, *extra, cluster=None):
    return ["aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", cluster or names.cluster, *extra]


def credentials(emulator, identity):
    return emulator.arm("GET", f"{identity['id']}/federatedIdentityCredentials")[2]["value"]


def fill(emulator, identity, count, prefix="elsewhere"):
    for i in range(count):
        emulator.arm("PUT", f"{identity['id']}/federatedIdentityCredentials/{prefix}-{i}", {"properties": {
            "issuer": f"https://{prefix}{i}.example/", "subject": "system:serviceaccount:x:y",
            "audiences": [AUDIENCE]}})


def entries(identity, *namespaces_and_names):
    return [{"name": n, "namespace": ns, "identity": {"resourceId": identity["id"]}} for ns, n in namespaces_and_names]


def bindings_of(emulator, names, cluster=None):
    path = (f"/subscriptions/{emulator.subscription}/resourceGroups/{names.rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{cluster or names.cluster}/identityBindings")
    return emulator.arm("GET", path)[2]["value"]


def apply_in_turn(applied, manifest_text):
    """What `kubectl apply` of each manifest in turn leaves: an object of the same kind and name is replaced."""
    for document in yaml.safe_load_all(manifest_text):
        applied[(document["kind"], document["metadata"]["name"])] = document
    return applied


@pytest.fixture(scope="module")
def bindings_in_this_az(az):
    return az("aks", "identity-binding", "list", "-h").exit_code == 0


@pytest.fixture
def needs_bindings(bindings_in_this_az):
    if not bindings_in_this_az:
        pytest.skip("this azure-cli's AKS API has no identity bindings (the tests without bindings cover it)")


def test_namespace_by_namespace_keeps_every_service_account_of_the_identity_bound(
        az, emulator, names, needs_bindings, tmp_path):
    """Three runs, one namespace each, their manifests applied in turn: no run takes the identity away from the
    service accounts an earlier one bound (one ClusterRoleBinding per service account, never shared)."""
    shared = emulator.seed_identity(names.identity_rg, "shared")
    fill(emulator, shared, 19)  # a binding, not credentials
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": entries(shared, ("shop", "web"), ("batch", "jobs"),
                                                           ("ops", "agent"))})
    applied = {}
    for namespace in ("shop", "batch", "ops"):
        manifest = tmp_path / f"{namespace}.yaml"
        result = az.ok(*migrate(names, "--namespace", namespace, "--manifest-file", manifest)).json
        assert [i["strategy"] for i in result["podIdentities"]] == ["identity-binding"]
        apply_in_turn(applied, manifest.read_text())
    client_id = shared["properties"]["clientId"]
    bound = {(s["namespace"], s["name"]) for (kind, _), doc in applied.items() if kind == "ClusterRoleBinding"
             and doc["roleRef"]["name"] == f"use-mi-{client_id}" for s in doc["subjects"]}
    assert bound == {("shop", "web"), ("batch", "jobs"), ("ops", "agent")}
    (binding,) = emulator.arm_requests("PUT", "/identityBindings/")  # one binding, reused by the later runs
    assert BINDING_NAME.fullmatch(binding["path"].rsplit("/", 1)[-1])


def test_auto_uses_the_twentieth_credential_where_no_binding_can_be_made(az, emulator, names):
    """19 credentials and one more needed: with no identity bindings (this azure-cli, or the service), the last
    credential is not kept free for a binding that cannot be made."""
    identity = emulator.seed_identity(names.identity_rg, "nineteen")
    fill(emulator, identity, 19)
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": entries(identity, ("shop", "web"))})
    emulator.settings(identity_bindings=False)
    emulator.call("DELETE", "/_emulator/requests")
    result = az.ok(*migrate(names)).json
    (item,) = result["podIdentities"]
    assert (item["strategy"], item["action"]) == ("federated-credential", "created")
    assert len(credentials(emulator, identity)) == 20
    assert emulator.arm_requests("PUT", "/identityBindings/") == []


def test_past_20_with_no_binding_possible_the_error_says_how_many_there_are_and_are_needed(az, emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "nineteen")
    fill(emulator, identity, 19)
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": entries(identity, ("shop", "web"), ("shop", "api"))})
    emulator.settings(identity_bindings=False)
    emulator.call("DELETE", "/_emulator/requests")
    result = az(*migrate(names))
    assert result.exit_code == 1, str(result)
    assert (f"Identity '{identity['id']}' would pass its 20 federated identity credentials: it has 19 and this "
            "migration needs 2 more (21)") in result.stderr
    assert "none can be made here" in result.stderr and "Nothing was changed" in result.stderr
    assert writes(emulator) == []


def test_a_rerun_after_another_cluster_bound_the_identity_writes_nothing_and_prints_the_same(
        az, emulator, names, tmp_path):
    identity = emulator.seed_identity(names.identity_rg, "shared")
    for cluster in (names.cluster, names.cluster + "b"):
        emulator.seed_cluster(names.rg, cluster, oidc_issuer=True, workload_identity=True, pod_identity={
            "enabled": True, "userAssignedIdentities": entries(identity, ("shop", "web"), ("shop", "api"))})
    first = az.ok(*migrate(names, "--manifest-file", tmp_path / "first.yaml")).json
    # another cluster binds the identity: AKS adds its binding credential to the identity
    path = (f"/subscriptions/{emulator.subscription}/resourceGroups/{names.rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{names.cluster}b/identityBindings/shared")
    assert emulator.arm("PUT", path, {"properties": {"managedIdentity": {"resourceId": identity["id"]}}})[0] == 201
    assert "aks-identity-binding" in [c["name"] for c in credentials(emulator, identity)]
    emulator.call("DELETE", "/_emulator/requests")
    again = az.ok(*migrate(names, "--manifest-file", tmp_path / "again.yaml")).json
    assert writes(emulator) == []
    assert (tmp_path / "again.yaml").read_text() == (tmp_path / "first.yaml").read_text()
    keys = ("name", "namespace", "strategy", "serviceAccount", "credentialName", "issuer", "subject")
    assert [{k: i[k] for k in keys} for i in again["podIdentities"]] == \
        [{k: i[k] for k in keys} for i in first["podIdentities"]]
    assert [i["action"] for i in again["podIdentities"]] == ["exists", "exists"]


def test_a_rerun_on_an_identity_at_20_that_holds_this_clusters_credentials_writes_nothing(
        az, emulator, names, tmp_path):
    """Filled to 20 by an earlier migration of this cluster with credentials (as an earlier release did)."""
    identity = emulator.seed_identity(names.identity_rg, "full")
    fill(emulator, identity, 18)
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True, pod_identity={
        "enabled": True, "userAssignedIdentities": entries(identity, ("shop", "web"), ("shop", "api"))})
    first = az.ok(*migrate(names, "--strategy", "federated-credential", "--manifest-file",
                           tmp_path / "first.yaml")).json
    assert len(credentials(emulator, identity)) == 20
    emulator.call("DELETE", "/_emulator/requests")
    again = az(*migrate(names, "--manifest-file", tmp_path / "again.yaml"))
    assert again.exit_code == 0, str(again)
    assert writes(emulator) == []
    assert [i["strategy"] for i in again.json["podIdentities"]] == ["federated-credential"] * 2
    assert (tmp_path / "again.yaml").read_text() == (tmp_path / "first.yaml").read_text()
    assert [i["credentialName"] for i in again.json["podIdentities"]] == \
        [i["credentialName"] for i in first["podIdentities"]]


def test_five_clusters_migrated_at_once_never_fill_an_identity_past_its_way_to_a_binding(
        az, emulator, names, needs_bindings):
    """Five clusters need 25 credentials of one identity together; each alone needs 5 and sees room. Every run reads
    the identity's credentials before any writes (a barrier holds the five reads until all have arrived), so all
    plan credentials. All end migrated; the identity ends at 20 at most with AKS's binding credential among them."""
    shared = emulator.seed_identity(names.identity_rg, "shared")
    clusters = [f"{names.cluster}-{c}" for c in range(5)]
    for cluster in clusters:
        emulator.seed_cluster(names.rg, cluster, oidc_issuer=True, workload_identity=True, pod_identity={
            "enabled": True, "userAssignedIdentities": entries(shared, *[("shop", f"app{a}") for a in range(5)])})
    emulator.reset_test_controls()
    emulator.add_fault(method="GET", path="/federatedIdentityCredentials$", kind="barrier", count=len(clusters))
    processes = [az.popen(*migrate(names, cluster=c)) for c in clusters]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    assert emulator.state()["barrier_timeouts"] == 0
    final = credentials(emulator, shared)
    assert len(final) <= 20 and "aks-identity-binding" in [c["name"] for c in final]
    by_subject = {(c["properties"]["issuer"], c["properties"]["subject"]) for c in final}
    for cluster in clusters:  # every service account of every cluster has a credential, or its cluster a binding
        issuer = emulator.cluster(names.rg, cluster)["properties"]["oidcIssuerProfile"]["issuerURL"]
        bound = [b for b in bindings_of(emulator, names, cluster)
                 if b["properties"]["managedIdentity"]["resourceId"].lower() == shared["id"].lower()]
        for a in range(5):
            assert bound or (issuer, f"system:serviceaccount:shop:app{a}") in by_subject, (cluster, a)
    for cluster in clusters:  # and a re-run of each changes nothing
        emulator.call("DELETE", "/_emulator/requests")
        az.ok(*migrate(names, cluster=cluster))
        assert writes(emulator) == []
