"""`make bench`, moving the workloads: `migrate` planning and applying stage one for 500 workloads over 50
namespaces, against the `kubectl patch` loop a user scripts for the same changes (a ServiceAccount per namespace,
then one patch per workload), on two identical clusters in the same run.

Requests are counted by each cluster's own kube-apiserver (`apiserver_request_total`, before and after), by verb.
The Azure half is done before the measured run (its credentials exist), so both sides make the same cluster
changes; the measured `migrate` still reads the identities' credentials from ARM, as a re-run does.
"""
import json
import re
import subprocess
import time

from tests.e2e.cluster_workloads import deployment, namespaces_ready, wait_for_pods
from tests.harness.controlplane import binary

NAMESPACES, WORKLOADS_PER_NAMESPACE = 50, 10
_METRIC = re.compile(r'^apiserver_request_total\{([^}]*)\} (\d+)', re.M)
_COUNTED = ("pods", "deployments", "statefulsets", "daemonsets", "cronjobs", "replicasets", "jobs",
            "serviceaccounts", "secretproviderclasses", "mutatingwebhookconfigurations")


def _seed_cluster(bench, work_dir, rg, name, identities):
    entries = [{"name": f"app-{n}", "namespace": f"team-{n}", "identity": {
        "resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
        "objectId": identity["properties"]["principalId"]}} for n, identity in enumerate(identities)]
    bench.emulator.seed_cluster(rg, name, pod_identity={"enabled": True, "userAssignedIdentities": entries},
                                oidc_issuer=True, workload_identity=True)
    kubectl = bench.emulator.cluster_kubectl(rg, name, work_dir)
    namespaces_ready(kubectl, *[f"team-{n}" for n in range(NAMESPACES)], timeout=180)
    workloads = [deployment(f"team-{n}", f"web-{i}", {"aadpodidbinding": f"app-{n}"})
                 for n in range(NAMESPACES) for i in range(WORKLOADS_PER_NAMESPACE)]
    for start in range(0, len(workloads), 50):
        kubectl.apply(*workloads[start:start + 50])
    wait_for_pods(kubectl, len(workloads), timeout=600)
    return kubectl


def _requests(kubectl):
    """Requests so far by verb: the clients' reads and changes (APPLY is a server-side apply). The controllers'
    own creates and updates of the rollouts (POST, PUT) are left out: both sides cause the same ones."""
    text = kubectl.run("get", "--raw", "/metrics").stdout
    totals = {}
    for labels, value in _METRIC.findall(text):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("resource") in _COUNTED and fields.get("verb") in ("GET", "LIST", "APPLY", "PATCH"):
            totals[fields["verb"]] = totals.get(fields["verb"], 0) + int(value)
    return totals


def _counted(kubectl, run):
    before = _requests(kubectl)
    seconds = run()
    after = _requests(kubectl)
    return seconds, {verb: after.get(verb, 0) - before.get(verb, 0) for verb in after
                     if after.get(verb, 0) != before.get(verb, 0)}


def _kubectl_loop(kubectl, identities):
    """The user's script: apply an annotated ServiceAccount per namespace, then patch each Deployment's pod
    template (service account and label), one kubectl process per object."""
    started = time.perf_counter()

    def kubectl_run(*args, stdin=None):
        subprocess.run([binary("kubectl"), "--kubeconfig", kubectl.kubeconfig, *args], check=True, input=stdin,
                       text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for n, identity in enumerate(identities):
        account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
            "name": f"app-{n}", "namespace": f"team-{n}",
            "annotations": {"azure.workload.identity/client-id": identity["properties"]["clientId"]}}}
        kubectl_run("apply", "-f", "-", stdin=json.dumps(account))
        patch = json.dumps({"spec": {"template": {"metadata": {"labels": {"azure.workload.identity/use": "true"}},
                                                  "spec": {"serviceAccountName": f"app-{n}"}}}})
        for i in range(WORKLOADS_PER_NAMESPACE):
            kubectl_run("patch", "deployment", f"web-{i}", "-n", f"team-{n}", "--type", "strategic", "-p", patch)
    return time.perf_counter() - started


def measure(bench, work_dir):
    identities = [bench.emulator.seed_identity("migration-ids", f"app-{n}") for n in range(NAMESPACES)]
    ours_kubectl = _seed_cluster(bench, work_dir, "migration-rg", "ours", identities)
    theirs_kubectl = _seed_cluster(bench, work_dir, "migration-rg", "theirs", identities)
    base = ("aks", "pod-identity", "migrate", "-g", "migration-rg", "--cluster-name", "ours", "-o", "none")
    bench.az.ok(*base)  # the Azure half, not measured: both sides then make the same cluster changes
    plan_seconds, plan_requests = _counted(ours_kubectl, lambda: bench.timed(bench.az, *base, "--dry-run")[0])
    apply_seconds, apply_requests = _counted(ours_kubectl, lambda: bench.timed(
        bench.az, *base, "--workloads", "add-workload-id", "--yes")[0])
    rerun_seconds, rerun_requests = _counted(ours_kubectl, lambda: bench.timed(
        bench.az, *base, "--workloads", "add-workload-id", "--yes")[0])
    loop_seconds, loop_requests = _counted(theirs_kubectl, lambda: _kubectl_loop(theirs_kubectl, identities))
    workloads = NAMESPACES * WORKLOADS_PER_NAMESPACE
    return {"workloads": workloads, "namespaces": NAMESPACES, "pods": workloads,
            "wall_s": {"plan": plan_seconds["wall"], "apply": apply_seconds["wall"], "rerun": rerun_seconds["wall"],
                       "kubectl_loop": loop_seconds},
            "api_requests": {"plan": plan_requests, "apply": apply_requests, "rerun": rerun_requests,
                             "kubectl_loop": loop_requests},
            "wall_ratio_apply_vs_kubectl_loop": apply_seconds["wall"] / loop_seconds}


def targets(result):
    apply_requests, changed = result["api_requests"]["apply"], result["workloads"] + result["namespaces"]
    reads = apply_requests.get("LIST", 0) + apply_requests.get("GET", 0)
    writes = apply_requests.get("APPLY", 0) + apply_requests.get("PATCH", 0)
    rerun_writes = result["api_requests"]["rerun"].get("APPLY", 0) + result["api_requests"]["rerun"].get("PATCH", 0)
    return [
        (f"API writes: stage one, {result['workloads']} workloads + {result['namespaces']} service accounts",
         float(writes), f"== {changed}", writes == changed),
        ("API reads: stage one and its verification (paged lists; no GET per workload or pod)", float(reads),
         "<= 30", reads <= 30),
        ("API writes: re-run of stage one (service accounts only, stored as no-ops)", float(rerun_writes),
         f"<= {result['namespaces']}", rerun_writes <= result["namespaces"]),
        ("wall: migrate stage one (whole az process) / kubectl patch loop", result["wall_ratio_apply_vs_kubectl_loop"],
         "<= 0.5", result["wall_ratio_apply_vs_kubectl_loop"] <= 0.5),
    ]
