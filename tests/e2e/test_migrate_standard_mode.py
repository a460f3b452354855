"""A cluster without the add-on whose aad-pod-identity was installed from its chart (standard mode): ARM knows no
pod identity, so `migrate` reads them off the cluster's AzureIdentity and AzureIdentityBinding objects, with that
mode's rule (a binding matches pods of any namespace unless namespaced), skips service principals with why, and
migrates the rest as it migrates the add-on's."""
from tests.e2e.cluster_workloads import cronjob, deployment, namespaces_ready, wait_for_pods
from tests.emulator.services.aks.addon_objects import CRDS

GROUP = "aadpodidentity.k8s.io/v1"


def _identity(namespace, name, identity=None, kind=0, namespaced=False):
    spec = {"type": kind}
    if identity is not None:
        spec.update(resourceID=identity["id"], clientID=identity["properties"]["clientId"])
    else:
        spec.update(clientID="00000000-0000-0000-0000-0000000000aa", clientPassword={"name": "sp", "namespace": "x"})
    meta = {"name": name, "namespace": namespace}
    if namespaced:
        meta["annotations"] = {"aadpodidentity.k8s.io/Behavior": "namespaced"}
    return {"apiVersion": GROUP, "kind": "AzureIdentity", "metadata": meta, "spec": spec}


def _binding(namespace, name, identity_name, selector):
    return {"apiVersion": GROUP, "kind": "AzureIdentityBinding", "metadata": {"name": name, "namespace": namespace},
            "spec": {"azureIdentity": identity_name, "selector": selector}}


def _standard_cluster(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True)
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    kubectl.apply(*CRDS)
    for crd in CRDS:
        kubectl.run("wait", "--for=condition=Established", f"crd/{crd['metadata']['name']}")
    namespaces_ready(kubectl, "infra", "shop", "batch")
    return kubectl


def test_standard_mode_bindings_match_pods_of_any_namespace_and_migrate(az, emulator, names, tmp_path):
    kubectl = _standard_cluster(az, emulator, names, tmp_path)
    shared = emulator.seed_identity(names.identity_rg, "shared-identity")
    local = emulator.seed_identity(names.identity_rg, "local-identity")
    kubectl.apply(_identity("infra", "shared", shared), _binding("infra", "shared-binding", "shared", "web"),
                  _identity("infra", "local", local, namespaced=True),
                  _binding("infra", "local-binding", "local", "local"),
                  _identity("infra", "legacy-sp", kind=1), _binding("infra", "sp-binding", "legacy-sp", "sp"),
                  deployment("shop", "api", {"aadpodidbinding": "web"}),
                  cronjob("batch", "nightly", {"aadpodidbinding": "web"}),  # no pod: found by its template
                  deployment("shop", "other", {"aadpodidbinding": "local"}),  # namespaced: not matched here
                  deployment("infra", "tool", {"aadpodidbinding": "local"}))
    wait_for_pods(kubectl, 3)

    result = az("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, "--dry-run")
    assert result.exit_code == 0, result
    out = result.json
    assert out["podIdentitySource"].startswith("cluster: aad-pod-identity installed from its chart")
    items = {(i["namespace"], i["name"]): i for i in out["podIdentities"]}
    assert set(items) == {("batch", "shared"), ("shop", "shared"), ("infra", "local")}
    assert items[("shop", "shared")]["subject"] == "system:serviceaccount:shop:shared"
    assert items[("shop", "shared")]["identityResourceId"] == shared["id"]
    assert items[("infra", "local")]["source"]["namespaced"] is True
    (skip,) = out["skipped"]
    assert skip["binding"] == "AzureIdentityBinding infra/sp-binding" and "service principal" in skip["reason"]
    assert "AzureIdentityBinding infra/sp-binding is not migrated" in result.stderr
    changes = {(c["namespace"], c["kind"], c["name"]): c["action"] for c in out["workloads"]["changes"]}
    assert changes == {("shop", "Deployment", "api"): "patch", ("batch", "CronJob", "nightly"): "patch",
                       ("infra", "Deployment", "tool"): "patch"}
    assert any("kubectl delete azureidentitybinding --namespace infra shared-binding" in s for s in out["nextSteps"])
    assert not any("az aks pod-identity delete" in s for s in out["nextSteps"])

    # and it migrates the same way: credentials per pod namespace, then stage one
    applied = az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster,
                    "--namespace", "shop", "--workloads", "add-workload-id", "--yes").json
    assert [i["action"] for i in applied["podIdentities"]] == ["created"]
    assert [c["result"] for c in applied["workloads"]["changes"]] == ["applied"]
    api = kubectl.get_json("deployment", "api", "-n", "shop")["spec"]["template"]
    assert api["spec"]["serviceAccountName"] == "shared" and api["metadata"]["labels"]["aadpodidbinding"] == "web"


def test_a_cluster_without_pod_identity_of_either_kind_has_nothing_to_migrate(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True)
    result = az("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, "--dry-run")
    assert result.exit_code == 3 and "No pod identity on this cluster to migrate" in result.stderr, result
