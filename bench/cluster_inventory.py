"""`make bench`, the cluster side: `az aks pod-identity list-workloads` on a cluster of 2,000 pods in 200 workloads
over 50 namespaces, against what a user runs to see the same with kubectl (`kubectl get pods -A -l aadpodidbinding
-o json` plus the owners, ReplicaSets and Jobs), in the same run, paired round by round.

Requests are counted by the cluster's own kube-apiserver (its `apiserver_request_total` metric, before and after
each command, for the resources the two read), so they are what reached the API server, not what a client says.
"""
import re
import statistics
import subprocess
import time

from tests.e2e.cluster_workloads import deployment, namespaces_ready, statefulset, wait_for_pods
from tests.harness.controlplane import binary

NAMESPACES, WORKLOADS_PER_NAMESPACE, PODS_PER_WORKLOAD = 50, 4, 10
READ_RESOURCES = ("pods", "replicasets", "jobs", "serviceaccounts", "daemonsets")
_METRIC = re.compile(r'^apiserver_request_total\{([^}]*)\} (\d+)', re.M)


def seed(bench, work_dir, rg="inventory-rg", name="inventory"):
    """The cluster: a pod identity per namespace, 3 Deployments and a StatefulSet of 10 pods in each namespace."""
    identity = bench.emulator.seed_identity("inventory-ids", "app")
    entries = [{"name": f"app-{n}", "namespace": f"team-{n}", "identity": {
        "resourceId": identity["id"], "clientId": identity["properties"]["clientId"],
        "objectId": identity["properties"]["principalId"]}} for n in range(NAMESPACES)]
    bench.emulator.seed_cluster(rg, name, pod_identity={"enabled": True, "userAssignedIdentities": entries})
    kubectl = bench.emulator.cluster_kubectl(rg, name, work_dir)
    namespaces = [f"team-{n}" for n in range(NAMESPACES)]
    namespaces_ready(kubectl, *namespaces, timeout=180)
    workloads = []
    for n, namespace in enumerate(namespaces):
        labels = {"aadpodidbinding": f"app-{n}"}
        workloads += [deployment(namespace, f"web-{i}", labels, replicas=PODS_PER_WORKLOAD) for i in range(3)]
        stateful = statefulset(namespace, "db", labels, replicas=PODS_PER_WORKLOAD)
        stateful["spec"]["podManagementPolicy"] = "Parallel"
        workloads.append(stateful)
    for start in range(0, len(workloads), 50):
        kubectl.apply(*workloads[start:start + 50])
    wait_for_pods(kubectl, NAMESPACES * WORKLOADS_PER_NAMESPACE * PODS_PER_WORKLOAD, timeout=600)
    return rg, name, kubectl


def _requests(kubectl):
    """API server requests so far, by verb, for the resources the inventory and kubectl read."""
    text = kubectl.run("get", "--raw", "/metrics").stdout
    totals = {}
    for labels, value in _METRIC.findall(text):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("resource") in READ_RESOURCES and fields.get("verb") in ("LIST", "GET"):
            totals[fields["verb"]] = totals.get(fields["verb"], 0) + int(value)
    return totals


def _diff(after, before):
    return {verb: after.get(verb, 0) - before.get(verb, 0) for verb in set(after) | set(before)}


def _kubectl_way(kubectl):
    """What a user runs: the labelled pods, then the ReplicaSets and Jobs to find their owners."""
    started = time.perf_counter()
    for args in (("get", "pods", "-A", "-l", "aadpodidbinding", "-o", "json"),
                 ("get", "replicasets,jobs", "-A", "-o", "json")):
        subprocess.run([binary("kubectl"), "--kubeconfig", kubectl.kubeconfig, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(bench, work_dir, rounds):
    rg, name, kubectl = seed(bench, work_dir)
    args = ("aks", "pod-identity", "list-workloads", "-g", rg, "--cluster-name", name, "-o", "none")
    ours, theirs, ratios, ours_requests, kubectl_requests = [], [], [], None, None
    for round_number in range(rounds):
        first_ours = round_number % 2 == 0
        for which in ((0, 1) if first_ours else (1, 0)):
            before = _requests(kubectl)
            if which == 0:
                seconds, _ = bench.timed(bench.az, *args)
                ours.append(seconds["wall"])
                ours_requests = _diff(_requests(kubectl), before)
            else:
                theirs.append(_kubectl_way(kubectl))
                kubectl_requests = _diff(_requests(kubectl), before)
        ratios.append(ours[-1] / theirs[-1])
    pods = NAMESPACES * WORKLOADS_PER_NAMESPACE * PODS_PER_WORKLOAD
    result = {"pods": pods, "workloads": NAMESPACES * WORKLOADS_PER_NAMESPACE, "namespaces": NAMESPACES,
              "rounds": rounds, "median_wall_s": {"list_workloads": statistics.median(ours),
                                                  "kubectl": statistics.median(theirs)},
              "median_wall_ratio": statistics.median(ratios),
              "api_requests": {"list_workloads": ours_requests, "kubectl": kubectl_requests}}
    return result


def targets(result):
    requests = sum(result["api_requests"]["list_workloads"].values())
    return [
        (f"API requests: list-workloads, {result['pods']} pods (lists, not one per pod)", float(requests), "<= 12",
         requests <= 12 and result["api_requests"]["list_workloads"].get("GET", 0) == 0),
        ("wall: list-workloads (whole az process) / kubectl pods + owners", result["median_wall_ratio"], "<= 2.0",
         result["median_wall_ratio"] <= 2.0),
    ]
