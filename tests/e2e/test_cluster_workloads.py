"""`az aks pod-identity list-workloads`: the cluster's real API server read through the credential ARM gives."""
import json
import os

import yaml

from tests.e2e.cluster_workloads import (WORKLOAD_ID_LABEL, cronjob, deployment, namespaces_ready, pod, statefulset,
                                         wait_for_pods)
from tests.e2e.helpers import pod_identity_args


def _seed(az, emulator, names, tmp_path):
    """Pod identities web (selector web) and worker + reporter (sharing selector jobs) in shop; then workloads."""
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    az.ok(*pod_identity_args(names, identity, name="web"))
    az.ok(*pod_identity_args(names, identity, "--binding-selector", "jobs", name="worker"))
    az.ok(*pod_identity_args(names, identity, "--binding-selector", "jobs", name="reporter"))
    az.ok("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
          "--namespace", "shop", "--name", "probes", "--pod-labels", "app=probe")
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    namespaces_ready(kubectl, "shop", "other")
    kubectl.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "moved", "namespace": "shop",
                      "annotations": {"azure.workload.identity/client-id": identity["properties"]["clientId"]}}},
        deployment("shop", "api", {"aadpodidbinding": "web"}, replicas=2),
        deployment("shop", "moved", {"aadpodidbinding": "web", WORKLOAD_ID_LABEL: "true"}, service_account="moved"),
        statefulset("shop", "db", {"aadpodidbinding": "web"}),
        cronjob("shop", "nightly", {"aadpodidbinding": "jobs"}),
        pod("shop", "debug", {"aadpodidbinding": "web"}),
        deployment("shop", "typo", {"aadpodidbinding": "Web"}),
        pod("other", "elsewhere", {"aadpodidbinding": "web"}),
        pod("shop", "probe", {"app": "probe"}),
        pod("shop", "probed-api", {"app": "probe", "aadpodidbinding": "web"}))
    kubectl.run("create", "job", "-n", "shop", "--from=cronjob/nightly", "nightly-manual")
    wait_for_pods(kubectl, 9)
    return kubectl


def test_workloads_of_each_pod_identity_unmatched_pods_and_exceptions(az, emulator, names, tmp_path):
    _seed(az, emulator, names, tmp_path)
    emulator.call("DELETE", "/_emulator/requests")
    result = az.ok("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster).json
    by_name = {i["name"]: i for i in result["podIdentities"]}
    assert [(w["kind"], w["name"], w["pods"], w["usesWorkloadIdentity"]) for w in by_name["web"]["workloads"]] == [
        ("Deployment", "api", 2, False), ("Deployment", "moved", 1, True), ("Pod", "debug", 1, False),
        ("Pod", "probed-api", 1, False), ("StatefulSet", "db", 1, False)]
    assert by_name["web"]["pods"] == 6
    # two pod identities on one selector: both list the CronJob, and each names the other
    for name, other in (("worker", "reporter"), ("reporter", "worker")):
        assert [(w["kind"], w["name"]) for w in by_name[name]["workloads"]] == [("CronJob", "nightly")]
        assert by_name[name]["sharesSelectorWith"] == [other]
    unmatched = {(u["namespace"], u["name"]): u for u in result["unmatchedPods"]}
    assert unmatched[("other", "elsewhere")]["nearest"]["namespace"] == "shop"
    assert "only in the binding's own namespace" in unmatched[("other", "elsewhere")]["nearest"]["reason"]
    assert unmatched[("shop", "typo")]["nearest"]["selector"] == "web"
    assert "upper/lower case" in unmatched[("shop", "typo")]["nearest"]["reason"]
    (exception,) = result["exceptions"]
    assert [(w["kind"], w["name"]) for w in exception["workloads"]] == [("Pod", "probe"), ("Pod", "probed-api")]
    # list requests only: credential, then pods, replicasets, jobs, the exception's pods, one namespace's accounts
    posts = emulator.arm_requests("POST")
    assert [p["path"].rsplit("/", 1)[1] for p in posts] == ["listClusterUserCredential"]

    table = az.ok("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster,
                  "-o", "table").stdout
    assert "did you mean 'web' (shop)?" in table
    assert "exempt from pod identity" in table


def test_check_adds_the_causes_it_finds_in_the_cluster(az, emulator, names, tmp_path):
    _seed(az, emulator, names, tmp_path)
    result = az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster)
    assert result.exit_code == 1
    report = result.json
    assert report["clusterRead"] is True
    problems = {p["problem"]: p["fix"] for p in report["problems"]}
    (typo,) = [p for p in problems if "Deployment/typo" in p]
    assert "did you mean 'web'" in typo
    patch = '{"spec":{"template":{"metadata":{"labels":{"aadpodidbinding":"web"}}}}}'
    assert problems[typo] == f"kubectl -n shop patch deployment typo --type merge -p '{patch}'"
    (elsewhere,) = [p for p in problems if "Pod/elsewhere" in p]
    assert "--namespace other --name web" in problems[elsewhere] and "--binding-selector web" in problems[elsewhere]
    (exempted,) = [p for p in problems if "Exception 'probes'" in p]
    assert "Pod/probed-api" in exempted
    assert "--namespace shop --name probes" in problems[exempted]


def test_check_says_when_the_cluster_could_not_be_read_and_still_checks_arm(az, emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True},
                          properties={"disableLocalAccounts": True})
    az.ok(*pod_identity_args(names, identity, name="web"))
    result = az("aks", "pod-identity", "check", "-g", names.rg, "--cluster-name", names.cluster)
    assert result.exit_code == 0, result
    assert result.json["clusterRead"] is False
    assert "disable local accounts" in result.json["clusterReadError"]
    assert "only what ARM shows was checked" in result.stderr
    assert result.json["podIdentities"][0]["grantHeld"] is True


def test_delete_names_the_workloads_still_using_the_pod_identity(az, emulator, names, tmp_path):
    _seed(az, emulator, names, tmp_path)
    args = ("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", "shop",
            "--name", "web")
    refused = az(*args)  # no terminal, no --yes: nothing removed
    assert refused.exit_code == 1, refused
    assert "Deployment/api in namespace 'shop': 2 pod(s) using pod identity 'web'" in refused.stderr
    assert "Nothing was changed. Run again with --yes" in refused.stderr
    assert "web" in [e["name"] for e in emulator.cluster(names.rg, names.cluster)["properties"]
                     ["podIdentityProfile"]["userAssignedIdentities"]]
    done = az.ok(*args, "--yes")
    assert "StatefulSet/db in namespace 'shop'" in done.stderr
    assert "web" not in [e["name"] for e in emulator.cluster(names.rg, names.cluster)["properties"]
                         ["podIdentityProfile"]["userAssignedIdentities"]]


def test_prune_names_the_workloads_whose_pod_identity_it_would_remove(az, emulator, names, tmp_path):
    _seed(az, emulator, names, tmp_path)
    emulator.delete_identity(names.identity_rg, "app-identity")
    args = ("aks", "pod-identity", "prune", "-g", names.rg, "--cluster-name", names.cluster)
    refused = az(*args)
    assert refused.exit_code == 1, refused
    assert "Deployment/api in namespace 'shop': 2 pod(s) using pod identity 'web'" in refused.stderr
    assert "Removing 3 pod identities from cluster" in refused.stderr
    done = az.ok(*args, "--yes")
    assert "CronJob/nightly in namespace 'shop'" in done.stderr
    assert [p["action"] for p in done.json["podIdentities"]] == ["removed"] * 3


def test_disable_names_the_workloads_and_asks(az, emulator, names, tmp_path):
    _seed(az, emulator, names, tmp_path)
    refused = az("aks", "update", "-g", names.rg, "-n", names.cluster, "--disable-pod-identity")
    assert refused.exit_code == 1, refused
    assert "CronJob/nightly in namespace 'shop': 1 pod(s) using pod identity 'worker'" in refused.stderr
    assert emulator.cluster(names.rg, names.cluster)["properties"]["podIdentityProfile"]["enabled"] is True


def test_a_pod_identity_nothing_uses_is_deleted_without_a_question(az, emulator, names, cluster, identity):
    az.ok(*pod_identity_args(names, identity, name="idle"))
    result = az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                   "--namespace", "shop", "--name", "idle")
    assert "still use" not in result.stderr


def test_delete_says_when_the_cluster_could_not_be_read(az, emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True},
                          properties={"disableLocalAccounts": True})
    az.ok(*pod_identity_args(names, identity, name="web"))
    result = az.ok("aks", "pod-identity", "delete", "-g", names.rg, "--cluster-name", names.cluster,
                   "--namespace", "shop", "--name", "web")
    assert "Could not check whether running pods still use what is removed" in result.stderr
    assert "disable local accounts" in result.stderr


def test_entra_cluster_is_read_with_az_login_and_a_missing_role_is_named(az, emulator, names, tmp_path):
    from tests.emulator.services.platform.models import CLUSTER_ADMINS_GROUP
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, properties={
        "aadProfile": {"managed": True, "adminGroupObjectIDs": [CLUSTER_ADMINS_GROUP]}})
    result = az.ok("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster)
    assert result.json["podIdentities"] == []
    # without the admin group the pipeline's token is still accepted, but RBAC grants it nothing
    emulator.seed_cluster(names.rg, "locked", pod_identity={"enabled": True}, properties={
        "aadProfile": {"managed": True, "adminGroupObjectIDs": ["00000000-0000-0000-0000-00000000beef"]}})
    refused = az("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", "locked")
    assert refused.exit_code == 1
    assert "refused to list pods in all namespaces" in refused.stderr
    assert "lacks 'list' on 'pods'" in refused.stderr


def test_kubeconfig_and_context_errors(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    base = ("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster)
    missing = az(*base, "--kubeconfig", os.path.join(str(tmp_path), "nope"))
    assert missing.exit_code == 2 and "--kubeconfig: no file at" in missing.stderr
    assert not emulator.arm_requests()
    alone = az(*base, "--context", "x")
    assert alone.exit_code == 2 and "give --kubeconfig too" in alone.stderr
    path = os.path.join(str(tmp_path), "config")
    az.ok("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "-f", path)
    unknown = az(*base, "--kubeconfig", path, "--context", "other")
    assert unknown.exit_code != 0 and "no context named 'other'" in unknown.stderr
    assert names.cluster in unknown.stderr
    good = az.ok(*base, "--kubeconfig", path, "--context", names.cluster)
    assert json.loads(good.stdout)["podIdentities"] == []
    # a token the API server does not accept (expired, or another cluster's)
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    for user in config["users"]:
        user["user"] = {"token": "expired"}
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f)
    rejected = az(*base, "--kubeconfig", path)
    assert rejected.exit_code == 1 and "did not accept the credential (401" in rejected.stderr
    assert "may have expired" in rejected.stderr
    # an unreachable server
    with open(path, encoding="utf-8") as f:
        text = f.read()
    import re
    with open(path, "w", encoding="utf-8") as f:
        f.write(re.sub(r"server: https://127\.0\.0\.1:\d+", "server: https://127.0.0.1:9", text))
    unreachable = az(*base, "--kubeconfig", path)
    assert unreachable.exit_code == 1 and "could not be reached" in unreachable.stderr


def test_a_private_cluster_is_read_through_run_command(az, emulator, names, tmp_path):
    from tests.emulator.services.platform.models import CLUSTER_ADMINS_GROUP
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, properties={
        "apiServerAccessProfile": {"enablePrivateCluster": True},
        "aadProfile": {"managed": True, "adminGroupObjectIDs": [CLUSTER_ADMINS_GROUP]}})
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    az.ok(*pod_identity_args(names, identity, name="web"))
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    namespaces_ready(kubectl, "shop")
    kubectl.apply(deployment("shop", "api", {"aadpodidbinding": "web"}, replicas=2),
                  cronjob("shop", "nightly", {"aadpodidbinding": "web"}))
    kubectl.run("create", "job", "-n", "shop", "--from=cronjob/nightly", "nightly-manual")
    wait_for_pods(kubectl, 3)
    # its kubeconfig names the private FQDN, which does not resolve off the cluster's network
    path = os.path.join(str(tmp_path), "config")
    az.ok("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "-f", path)
    direct = az("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster,
                "--kubeconfig", path)
    assert direct.exit_code == 1 and "could not be reached" in direct.stderr
    emulator.call("DELETE", "/_emulator/requests")
    emulator.settings(run_command_seconds=0.5)  # the first polls answer 202, as while the command runs
    result = az.ok("aks", "pod-identity", "list-workloads", "-g", names.rg, "--cluster-name", names.cluster).json
    (web,) = result["podIdentities"]
    workloads = [(w["kind"], w["name"], w["pods"]) for w in web["workloads"]]
    assert workloads == [("CronJob", "nightly", 1), ("Deployment", "api", 2)]
    runs = emulator.arm_requests("POST", "/runCommand")
    assert [r["body"]["command"].split(" -o ")[0] for r in runs] == [
        "kubectl get pods -A -l 'aadpodidbinding'", "kubectl get replicasets.apps -A", "kubectl get jobs.batch -A"]
    # the user's Entra token goes along (the log keeps only that there was one)
    assert all(r["body"]["clusterToken"] == "(a token)" for r in runs)
    assert emulator.arm_requests("GET", "/commandResults/")
    assert not emulator.arm_requests("POST", "/listClusterUserCredential")
