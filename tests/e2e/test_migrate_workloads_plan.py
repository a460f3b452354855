"""`migrate` plans the in-cluster half (#27, first step): per workload, the change of its pod template, read off
the cluster's real API server; --dry-run changes nothing there either."""
from tests.e2e.cluster_workloads import cronjob, deployment, migration_cluster, namespaces_ready, pod, wait_for_pods
from tests.e2e.helpers import pod_identity_args

# The Secrets Store CSI driver's CRD as a user's cluster has it (only what the plan reads is given a schema).
SPC_CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "secretproviderclasses.secrets-store.csi.x-k8s.io"},
           "spec": {"group": "secrets-store.csi.x-k8s.io", "scope": "Namespaced",
                    "names": {"kind": "SecretProviderClass", "plural": "secretproviderclasses",
                              "singular": "secretproviderclass", "listKind": "SecretProviderClassList"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {
                            "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}


def _with_csi_volume(workload, spc):
    spec = workload["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                                   "volumeAttributes": {"secretProviderClass": spc}}}]
    return workload


def test_dry_run_plans_each_workloads_change_and_changes_nothing(az, emulator, names, tmp_path):
    identity, kubectl = migration_cluster(az, emulator, names, tmp_path, SPC_CRD)
    kubectl.run("wait", "--for=condition=Established", "crd/secretproviderclasses.secrets-store.csi.x-k8s.io")
    charted = deployment("shop", "charted", {"aadpodidbinding": "web"})
    charted["metadata"].update(labels={"app.kubernetes.io/managed-by": "Helm"},
                               annotations={"meta.helm.sh/release-name": "shop-release"})
    kubectl.apply(
        {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
         "metadata": {"name": "vault", "namespace": "shop"},
         "spec": {"provider": "azure", "parameters": {"usePodIdentity": "true", "keyvaultName": "kv"}}},
        _with_csi_volume(deployment("shop", "api", {"aadpodidbinding": "web"}, replicas=2), "vault"),
        cronjob("shop", "nightly", {"aadpodidbinding": "web"}), charted,
        pod("shop", "debug", {"aadpodidbinding": "web"}))
    kubectl.run("create", "job", "-n", "shop", "--from=cronjob/nightly", "nightly-manual")
    wait_for_pods(kubectl, 5)
    before = kubectl.get_json("deployments,cronjobs,pods,secretproviderclasses", "-n", "shop")

    result = az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster,
                   "--dry-run").json
    workloads = result["workloads"]
    assert workloads["read"] is True
    changes = {(c["kind"], c["name"]): c for c in workloads["changes"]}
    api = changes[("Deployment", "api")]
    assert api["action"] == "patch" and api["templatePath"] == "spec.template"
    assert api["serviceAccountName"] == {"from": "default", "to": "web"}
    assert api["addLabels"] == {"azure.workload.identity/use": "true"}
    assert api["keepLabels"] == {"aadpodidbinding": "web"}  # stage one: pods keep pod identity while they roll
    nightly = changes[("CronJob", "nightly")]
    assert nightly["templatePath"] == "spec.jobTemplate.spec.template" and nightly["action"] == "patch"
    owned = changes[("Deployment", "charted")]
    assert owned["action"] == "change in its source" and owned["ownedBy"] == "Helm release 'shop-release'"
    assert changes[("Pod", "debug")]["action"] == "re-create"
    (spc,) = workloads["secretProviderClasses"]
    assert spc["name"] == "vault" and spc["usedBy"] == "Deployment/api"
    assert spc["set"] == {"spec.parameters.usePodIdentity": "false",
                          "spec.parameters.clientID": identity["properties"]["clientId"]}
    # nothing changed in the cluster
    after = kubectl.get_json("deployments,cronjobs,pods,secretproviderclasses", "-n", "shop")
    assert [i["metadata"]["resourceVersion"] for i in after["items"]] == \
        [i["metadata"]["resourceVersion"] for i in before["items"]]


def test_a_cluster_that_cannot_be_read_still_gets_the_azure_half(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, oidc_issuer=True,
                          workload_identity=True, properties={"disableLocalAccounts": True})
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    az.ok(*pod_identity_args(names, identity, name="web"))
    result = az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, "--dry-run")
    assert result.json["workloads"]["read"] is False
    assert "the plan covers only the Azure half" in result.stderr
    assert [i["action"] for i in result.json["podIdentities"]] == ["would create"]


def test_a_shared_selectors_workload_is_one_change_naming_the_other_identities(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, oidc_issuer=True,
                          workload_identity=True)
    reader = emulator.seed_identity(names.identity_rg, "reader")
    writer = emulator.seed_identity(names.identity_rg, "writer")
    az.ok(*pod_identity_args(names, reader, "--binding-selector", "store", name="reader"))
    az.ok(*pod_identity_args(names, writer, "--binding-selector", "store", name="writer"))
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    namespaces_ready(kubectl, "shop")
    kubectl.apply(deployment("shop", "store", {"aadpodidbinding": "store"}))

    result = az.ok("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster,
                   "--dry-run").json
    (change,) = result["workloads"]["changes"]
    assert change["podIdentity"] == "reader" and change["alsoPodIdentities"] == ["writer"]
    assert change["serviceAccountName"]["to"] == "reader"
    assert change["containersToChoose"] == {"containers": ["app"], "byPodIdentity": {
        "writer": {"AZURE_CLIENT_ID": writer["properties"]["clientId"]}}}
