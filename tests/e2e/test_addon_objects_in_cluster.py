"""The pod identity add-on's objects in the cluster's real API server, kept in step with the ARM profile."""
import os

from tests.e2e.helpers import pod_identity_args
from tests.harness.kubectl import Kubectl


def _kubectl(az, names, tmp_path):
    path = os.path.join(str(tmp_path), "config")
    az.ok("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "-f", path)
    return Kubectl(path)


def _names(kubectl, kind, namespace):
    return sorted(item["metadata"]["name"] for item in kubectl.get_json(kind, "-n", namespace)["items"])


def test_identities_bindings_and_exceptions_follow_the_profile(az, emulator, names, cluster, identity, tmp_path):
    kubectl = _kubectl(az, names, tmp_path)
    crds = kubectl.run("get", "crd", "-o", "name").stdout.split()
    assert sorted(crds) == ["customresourcedefinition.apiextensions.k8s.io/azureidentities.aadpodidentity.k8s.io",
                            "customresourcedefinition.apiextensions.k8s.io/azureidentitybindings.aadpodidentity.k8s.io",
                            "customresourcedefinition.apiextensions.k8s.io/"
                            "azurepodidentityexceptions.aadpodidentity.k8s.io"]
    assert _names(kubectl, "azurepodidentityexceptions", "kube-system") == ["aks-addon-exception"]
    assert "nmi" in kubectl.run("get", "daemonset", "-n", "kube-system", "-o", "name").stdout

    az.ok(*pod_identity_args(names, identity, name="web"))
    az.ok(*pod_identity_args(names, identity, "--binding-selector", "shared", name="worker"))
    (web,) = [i for i in kubectl.get_json("azureidentity", "-n", "shop")["items"] if i["metadata"]["name"] == "web"]
    assert web["spec"] == {"type": 0, "resourceID": identity["id"], "clientID": identity["properties"]["clientId"]}
    bindings = {b["metadata"]["name"]: b["spec"]
                for b in kubectl.get_json("azureidentitybinding", "-n", "shop")["items"]}
    assert bindings == {"web-binding": {"azureIdentity": "web", "selector": "web"},
                        "worker-binding": {"azureIdentity": "worker", "selector": "shared"}}
    # the printer columns of the published CRDs
    table = kubectl.run("get", "azureidentitybinding", "-n", "shop").stdout
    assert table.split("\n")[0].split() == ["NAME", "AZUREIDENTITY", "SELECTOR", "AGE"]

    az.ok("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
          "--namespace", "shop", "--name", "probe", "--pod-labels", "app=probe")
    (exception,) = kubectl.get_json("azurepodidentityexceptions", "-n", "shop")["items"]
    assert exception["spec"] == {"podLabels": {"app": "probe"}}

    az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
          "--name", "web")
    assert _names(kubectl, "azureidentity", "shop") == ["worker"]
    assert _names(kubectl, "azureidentitybinding", "shop") == ["worker-binding"]

    az.ok("aks", "update", "-g", names.rg, "-n", names.cluster, "--disable-pod-identity", "--yes")
    assert "aadpodidentity" not in kubectl.run("get", "crd", "-o", "name").stdout
    assert "nmi" not in kubectl.run("get", "daemonset", "-n", "kube-system", "-o", "name").stdout


def test_a_cluster_started_late_gets_the_objects_of_its_profile(az, emulator, names, identity, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={
        "enabled": True, "userAssignedIdentities": [{
            "name": "api", "namespace": "orders", "bindingSelector": "api-sel",
            "identity": {"resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
                         "objectId": identity["properties"]["principalId"]}}]})
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    assert _names(kubectl, "azureidentitybinding", "orders") == ["api-binding"]
