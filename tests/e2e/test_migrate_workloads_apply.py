"""`migrate --workloads`: stage one changes the workloads on the cluster's real API server (server-side apply by
the extension's field manager, after a confirmation), re-runs change nothing, `verify` reads the pods the real
controllers make, stage two keeps the label on what is not verified, and `undo` restores the objects as they were.

No workload identity webhook runs here (docs/cluster-side.md: it cannot be built from the module proxy), so no pod
is ever mutated: these tests prove what the extension reports then, never that a pod was mutated."""
import json
import time

import pytest

from tests.e2e.cluster_workloads import cronjob, deployment, migration_cluster, namespaces_ready, wait_for_pods
from tests.e2e.helpers import pod_identity_args

RECORD = "azext-podidentity.azure.com/migration"
USE = "azure.workload.identity/use"


def _migrate(names, *args):
    return ("aks", "pod-identity", "migrate", "-g", names.rg, "--cluster-name", names.cluster, *args)


def _template(kubectl, kind, name):
    obj = kubectl.get_json(kind, name, "-n", "shop")
    return obj, (obj["spec"]["jobTemplate"]["spec"]["template"] if kind == "cronjob" else obj["spec"]["template"])


def _versions(kubectl):
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"]
            for i in kubectl.get_json("deployments,cronjobs,serviceaccounts", "-n", "shop")["items"]}


def _credentials(az, names, identity):
    return az.ok("identity", "federated-credential", "list", "-g", names.identity_rg, "--identity-name",
                 identity["name"]).json


def test_stage_one_applies_then_reruns_change_nothing_and_undo_restores(az, emulator, names, tmp_path):
    charted = deployment("shop", "charted", {"aadpodidbinding": "web"})
    charted["metadata"].update(labels={"app.kubernetes.io/managed-by": "Helm"},
                               annotations={"meta.helm.sh/release-name": "shop-release"})
    identity, kubectl = migration_cluster(
        az, emulator, names, tmp_path, deployment("shop", "api", {"aadpodidbinding": "web"}, replicas=2),
        cronjob("shop", "nightly", {"aadpodidbinding": "web"}), charted)
    wait_for_pods(kubectl, 3)
    before = {kind: _template(kubectl, kind, name)[1] for kind, name in (("deployment", "api"),
                                                                         ("cronjob", "nightly"))}
    versions = _versions(kubectl)

    # no terminal and no --yes: nothing changed, in Azure or in the cluster
    refused = az(*_migrate(names, "--workloads", "add-workload-id"))
    assert refused.exit_code == 1 and "Nothing was changed" in refused.stderr
    assert "Deployment shop/api (2 pod(s)" in refused.stderr and "ServiceAccount shop/web" in refused.stderr
    assert _versions(kubectl) == versions and "web" not in versions
    assert _credentials(az, names, identity) == []

    result = az.ok(*_migrate(names, "--workloads", "add-workload-id", "--yes")).json
    changes = {c["name"]: c for c in result["workloads"]["changes"]}
    assert changes["api"]["result"] == "applied" and changes["nightly"]["result"] == "applied"
    assert changes["charted"]["action"] == "change in its source" and "result" not in changes["charted"]
    assert result["workloads"]["objects"] == [{"kind": "ServiceAccount", "name": "web", "namespace": "shop",
                                               "result": "applied"}]
    assert [c["subject"] for c in _credentials(az, names, identity)] == ["system:serviceaccount:shop:web"]
    api, template = _template(kubectl, "deployment", "api")
    assert template["spec"]["serviceAccountName"] == "web"
    assert template["metadata"]["labels"][USE] == "true"
    assert template["metadata"]["labels"]["aadpodidbinding"] == "web"  # stage one keeps pod identity
    assert USE not in (api["spec"]["selector"].get("matchLabels") or {})
    assert json.loads(api["metadata"]["annotations"][RECORD])["before"] == {
        "serviceAccountName": None, "labels": {USE: None}, "annotations": {}}
    managers = kubectl.get_json("deployment", "api", "-n", "shop", "--show-managed-fields")["metadata"]
    assert ("azext-podidentity", "Apply") in {(m["manager"], m["operation"]) for m in managers["managedFields"]}
    _, nightly = _template(kubectl, "cronjob", "nightly")
    assert nightly["spec"]["serviceAccountName"] == "web" and nightly["metadata"]["labels"][USE] == "true"
    account = kubectl.get_json("serviceaccount", "web", "-n", "shop")
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == \
        identity["properties"]["clientId"]
    assert {(v["kind"], v["name"]) for v in result["workloads"]["verification"]} == \
        {("Deployment", "api"), ("CronJob", "nightly")}
    assert result["nextSteps"][0].endswith("--workloads verify")

    # a re-run changes nothing: no object is written again
    versions = _versions(kubectl)
    again = az.ok(*_migrate(names, "--workloads", "add-workload-id", "--yes")).json
    assert {c["name"]: c["action"] for c in again["workloads"]["changes"]}["api"] == "none (already done)"
    assert [c["action"] for c in again["podIdentities"]] == ["exists"]
    assert _versions(kubectl) == versions

    # verify: the controllers made pods from the new template, and nothing mutated them
    _wait_for_pods_of(kubectl, "web")
    checked = {r["name"]: r for r in az.ok(*_migrate(names, "--workloads", "verify")).json["workloads"]}
    assert checked["api"]["status"] == "not mutated" and "webhook is not installed" in checked["api"]["reason"]
    assert checked["api"]["onNewTemplate"] >= 1 and checked["api"]["mutated"] == 0
    assert checked["nightly"]["status"] == "no pods"

    # stage two keeps the label where the pods are not verified (nothing to remove: nothing to ask, no --yes)
    kept = az.ok(*_migrate(names, "--workloads", "remove-pod-identity-label")).json["workloads"]
    assert {r["name"]: r["result"] for r in kept} == {"api": "not changed", "nightly": "not changed"}
    assert _template(kubectl, "deployment", "api")[1]["metadata"]["labels"]["aadpodidbinding"] == "web"

    undone = az.ok(*_migrate(names, "--workloads", "undo", "--yes")).json["workloads"]
    assert {r["name"]: r["result"] for r in undone} == {"api": "changed", "nightly": "changed"}
    for kind, name in (("deployment", "api"), ("cronjob", "nightly")):
        obj, template = _template(kubectl, kind, name)
        assert template == before[kind] and RECORD not in (obj["metadata"].get("annotations") or {})
    assert az.ok(*_migrate(names, "--workloads", "undo", "--yes")).json["workloads"] == []


def _wait_for_pods_of(kubectl, account, timeout=60):
    deadline = time.monotonic() + timeout
    while not [p for p in kubectl.get_json("pods", "-n", "shop")["items"]
               if p["spec"].get("serviceAccountName") == account]:
        assert time.monotonic() < deadline, f"no pod runs as {account}"
        time.sleep(0.3)


def test_a_field_another_manager_owns_is_a_conflict_unless_forced_and_undo_puts_it_back(
        az, emulator, names, tmp_path):
    _, kubectl = migration_cluster(
        az, emulator, names, tmp_path,
        deployment("shop", "legacy", {"aadpodidbinding": "web"}, service_account="legacy-sa"),
        deployment("shop", "api", {"aadpodidbinding": "web"}))
    failed = az(*_migrate(names, "--workloads", "add-workload-id", "--yes"))
    assert failed.exit_code == 1, failed.stderr
    assert "Deployment shop/legacy: .spec.template.spec.serviceAccountName (set by 'kubectl')" in failed.stderr
    assert "--force-conflicts" in failed.stderr
    assert _template(kubectl, "deployment", "legacy")[1]["spec"]["serviceAccountName"] == "legacy-sa"
    assert _template(kubectl, "deployment", "api")[1]["spec"]["serviceAccountName"] == "web"  # the others applied

    forced = az.ok(*_migrate(names, "--workloads", "add-workload-id", "--yes", "--force-conflicts")).json
    assert {c["name"]: c.get("result") for c in forced["workloads"]["changes"]} == {"legacy": "applied",
                                                                                    "api": None}
    assert _template(kubectl, "deployment", "legacy")[1]["spec"]["serviceAccountName"] == "web"

    az.ok(*_migrate(names, "--workloads", "undo", "--yes"))
    assert _template(kubectl, "deployment", "legacy")[1]["spec"]["serviceAccountName"] == "legacy-sa"
    assert "serviceAccountName" not in _template(kubectl, "deployment", "api")[1]["spec"]


def test_tool_owned_workloads_are_patched_only_when_asked(az, emulator, names, tmp_path):
    charted = deployment("shop", "charted", {"aadpodidbinding": "web"})
    charted["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm"}
    _, kubectl = migration_cluster(az, emulator, names, tmp_path, charted)
    result = az.ok(*_migrate(names, "--workloads", "add-workload-id", "--yes", "--patch-tool-owned")).json
    (change,) = result["workloads"]["changes"]
    assert change["action"] == "patch" and change["ownedBy"] == "Helm release '?'" and change["result"] == "applied"
    assert _template(kubectl, "deployment", "charted")[1]["spec"]["serviceAccountName"] == "web"


def test_stage_options_are_checked_before_any_request(az, names):
    for args, message in ((("--workloads", "verify", "--yes"), "--yes confirms a change"),
                          (("--force-conflicts",), "use with --workloads add-workload-id"),
                          (("--workloads", "undo", "--manifest-file", "x.yaml"), "belong to the Azure half")):
        result = az(*_migrate(names, *args))
        assert result.exit_code == 2 and message in result.stderr, result


def test_a_private_clusters_workloads_are_not_changed_through_run_command(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, oidc_issuer=True,
                          workload_identity=True, properties={"apiServerAccessProfile": {"enablePrivateCluster": True}})
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    az.ok(*pod_identity_args(names, identity, name="web"))
    result = az(*_migrate(names, "--workloads", "add-workload-id", "--yes"))
    assert result.exit_code == 1 and "is private" in result.stderr and "--kubeconfig" in result.stderr, result
    assert _credentials(az, names, identity) == []  # refused before the Azure half too


def test_stage_one_applies_an_identity_bindings_rbac_next_to_an_earlier_migrations(az, emulator, names, tmp_path):
    if az("aks", "identity-binding", "list", "-h").exit_code != 0:
        pytest.skip("this azure-cli's AKS API has no identity bindings")
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    entries = [{"name": "web", "namespace": ns, "identity": {"resourceId": identity["id"]}} for ns in ("shop", "batch")]
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True,
                          pod_identity={"enabled": True, "userAssignedIdentities": entries})
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    namespaces_ready(kubectl, "shop", "batch")
    kubectl.apply(deployment("shop", "api", {"aadpodidbinding": "web"}), deployment("batch", "job", {
        "aadpodidbinding": "web"}))
    for namespace in ("batch", "shop"):  # one namespace at a time: the second must not replace the first's RBAC
        result = az.ok(*_migrate(names, "--namespace", namespace, "--strategy", "identity-binding",
                                 "--workloads", "add-workload-id", "--yes")).json
        kinds = {(o["kind"], o["result"]) for o in result["workloads"]["objects"]}
        assert kinds == {("ServiceAccount", "applied"), ("ClusterRole", "applied"), ("ClusterRoleBinding", "applied")}
    client_id = identity["properties"]["clientId"]
    subjects = sorted((s["namespace"], s["name"]) for b in kubectl.get_json("clusterrolebindings")["items"]
                      if b["roleRef"]["name"] == f"use-mi-{client_id}" for s in b["subjects"])
    assert subjects == [("batch", "web"), ("shop", "web")]
    role = kubectl.get_json("clusterrole", f"use-mi-{client_id}")
    assert role["rules"][0]["resources"] == [client_id]
    template = _template(kubectl, "deployment", "api")[1]
    assert template["metadata"]["annotations"]["azure.workload.identity/use-identity-binding"] == "true"
    account = kubectl.get_json("serviceaccount", "web", "-n", "shop")["metadata"]["annotations"]
    assert account["azure.workload.identity/tenant-id"] == identity["properties"]["tenantId"]
