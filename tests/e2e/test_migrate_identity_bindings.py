"""`migrate` past the 20-credential limit: identity bindings, through the real az (tests/emulator/services/aks/
identity_bindings.py models what the documentation states). Identity bindings need an azure-cli whose AKS API has
them (core `az aks identity-binding`); on one without, the same commands must fail before any change."""
import pytest
import yaml

from tests.e2e.helpers import arm_writes as writes

AUDIENCE = "api://AzureADTokenExchange"


def migrate(names, *extra):
    return ["aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, *extra]


def credentials(emulator, identity):
    return emulator.arm("GET", f"{identity['id']}/federatedIdentityCredentials")[2]["value"]


@pytest.fixture(scope="module")
def bindings_in_this_az(az):
    """Whether this azure-cli's AKS SDK has identity bindings (core ships `az aks identity-binding` with them)."""
    return az("aks", "identity-binding", "list", "-h").exit_code == 0


@pytest.fixture
def crowded(emulator, names):
    """Identity 'busy' already holds 19 credentials; 'roomy' none. Pod identities a and b use busy, c uses roomy."""
    busy = emulator.seed_identity(names.identity_rg, "busy")
    roomy = emulator.seed_identity(names.identity_rg, "roomy")
    for i in range(19):
        emulator.arm("PUT", f"{busy['id']}/federatedIdentityCredentials/elsewhere-{i}", {"properties": {
            "issuer": f"https://issuer{i}.example/", "subject": "system:serviceaccount:x:y", "audiences": [AUDIENCE]}})
    entries = [{"name": n, "namespace": ns, "identity": {"resourceId": i["id"]}}
               for n, ns, i in (("a", "shop", busy), ("b", "batch", busy), ("c", "shop", roomy))]
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True,
                          pod_identity={"enabled": True, "userAssignedIdentities": entries})
    emulator.reset_test_controls()
    return {"busy": busy, "roomy": roomy}


def test_auto_uses_a_binding_for_the_identity_that_would_pass_20_and_credentials_for_the_other(
        az, emulator, names, crowded, bindings_in_this_az, tmp_path):
    if not bindings_in_this_az:
        pytest.skip("this azure-cli's AKS API has no identity bindings (test_without_identity_bindings covers it)")
    plan = az.ok(*migrate(names, "--dry-run")).json
    by_name = {i["name"]: i for i in plan["podIdentities"]}
    assert [by_name[n]["strategy"] for n in "abc"] == ["identity-binding", "identity-binding", "federated-credential"]
    assert "21 of the identity's 20" in by_name["a"]["strategyReason"]
    assert by_name["a"]["action"] == "would create binding" and by_name["c"]["action"] == "would create"
    assert writes(emulator) == []

    manifest_file = tmp_path / "wi.yaml"
    result = az.ok(*migrate(names, "--manifest-file", manifest_file)).json
    bindings = emulator.arm_requests("PUT", "/identityBindings/")
    assert len(bindings) == 1 and bindings[0]["body"]["properties"]["managedIdentity"]["resourceId"] == \
        crowded["busy"]["id"]
    busy_credentials = [c["name"] for c in credentials(emulator, crowded["busy"])]
    assert len(busy_credentials) == 20 and "aks-identity-binding" in busy_credentials  # never past 20
    assert len(credentials(emulator, crowded["roomy"])) == 1
    client_id, tenant_id = crowded["busy"]["properties"]["clientId"], crowded["busy"]["properties"]["tenantId"]
    a = next(i for i in result["podIdentities"] if i["name"] == "a")
    assert a["issuer"] == f"https://ib.oic.prod-aks.azure.com/{tenant_id}/{client_id}"
    assert a["podChanges"]["addAnnotations"] == {"azure.workload.identity/use-identity-binding": "true"}
    assert a["podChanges"]["addLabels"] == {"azure.workload.identity/use": "true"}
    documents = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(manifest_file.read_text())}
    role = documents[("ClusterRole", f"use-mi-{client_id}")]
    assert role["rules"] == [{"verbs": ["use-managed-identity"], "apiGroups": ["cid.wi.aks.azure.com"],
                              "resources": [client_id]}]
    role_bindings = [d for (kind, _), d in documents.items() if kind == "ClusterRoleBinding"]
    subjects = {(s["namespace"], s["name"]) for b in role_bindings for s in b["subjects"]}
    assert subjects == {("shop", "a"), ("batch", "b")}
    assert all(b["roleRef"]["name"] == f"use-mi-{client_id}" and len(b["subjects"]) == 1 for b in role_bindings)
    assert documents[("ServiceAccount", "a")]["metadata"]["annotations"] == {
        "azure.workload.identity/client-id": client_id, "azure.workload.identity/tenant-id": tenant_id}
    # a re-run changes nothing: the binding is reused, the credential exists
    emulator.call("DELETE", "/_emulator/requests")
    again = az.ok(*migrate(names)).json
    assert writes(emulator) == []
    actions = {i["name"]: i["action"] for i in again["podIdentities"]}
    assert actions == {"a": "binding exists", "b": "binding exists", "c": "exists"}


def test_a_binding_with_no_wait_is_not_waited_for(az, emulator, names, crowded, bindings_in_this_az):
    if not bindings_in_this_az:
        pytest.skip("this azure-cli's AKS API has no identity bindings")
    az.ok(*migrate(names, "--strategy", "identity-binding", "--no-wait"))
    assert len(emulator.arm_requests("PUT", "/identityBindings/")) == 2  # one per identity, both chosen
    assert emulator.arm_requests("GET", "/operations/") == []
    assert credentials(emulator, crowded["roomy"]) and credentials(emulator, crowded["roomy"])[0]["name"] == \
        "aks-identity-binding"


def test_without_identity_bindings_a_clear_error_before_any_change_and_credentials_still_work(
        az, emulator, names, crowded, bindings_in_this_az):
    if bindings_in_this_az:
        emulator.settings(identity_bindings=False)  # the service's API without them
        missing = "offers no identity bindings"
    else:
        missing = "AKS API version"
    for strategy in ("identity-binding", "auto"):  # auto needs one for 'busy'
        result = az(*migrate(names, "--strategy", strategy))
        assert result.exit_code != 0 and missing in result.stderr, result.stderr
        assert writes(emulator) == []
    # auto says why a binding was needed: 'busy' would pass its 20 credentials
    assert "it has 19 and this migration needs 2 more (21)" in result.stderr
    # the credential path still works: an identity within its limit
    az.ok(*migrate(names, "--namespace", "shop", "--name", "c"))
    assert len(credentials(emulator, crowded["roomy"])) == 1
