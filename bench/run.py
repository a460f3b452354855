"""`make bench`: speed and request counts of the extension, measured in one run against the local emulator.

Ratios compare numbers from this same run only (core `az` without the extension is the baseline), so the
machine's speed cancels out. The machine's speed drifts from minute to minute, so compared cases are paired:
in every round the two run back to back, the first of them alternating, and a ratio is the median of the
per-round ratios. Each `az` process is measured twice: wall time, and its own CPU time (user + sys, from
wait4). Time ratios are judged on CPU time: it is the work the client does and leaves out the emulator's share;
wall-time ratios are printed beside them. The emulator's operations run 1.5 s and report the intermediate
statuses recorded in 2026 (InProgress, ProvisioningControlPlane, ReconcilingAddons) before Succeeded, polled every
second, so every write's poller meets an intermediate status. Results: a table on stdout and .bench/results.json.
"""
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.harness.azcli import AZ, AzRunner  # noqa: E402  pylint: disable=wrong-import-position
from tests.harness.emulator_client import (EmulatorClient,  # noqa: E402  pylint: disable=wrong-import-position
                                           EmulatorProcess)
from tests.harness.wheel import build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from bench import cluster_inventory  # noqa: E402  pylint: disable=wrong-import-position
from bench import workload_migration  # noqa: E402  pylint: disable=wrong-import-position

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TENANT_RUNS = int(os.environ.get("BENCH_TENANT_RUNS", "3"))
CLUSTER_RUNS = int(os.environ.get("BENCH_CLUSTER_RUNS", "5"))
TENANT_SUBSCRIPTIONS = 5000
OPERATION_SECONDS = 1.5
RETRY_AFTER = 1
# tests/emulator_service/recorded/aks2026_etag_lro_errors.json, less the final "Succeeded"
RECORDED_STATUSES = ["InProgress", "ProvisioningControlPlane", "ReconcilingAddons"]
# the poller first looks after Retry-After, and again each Retry-After until the operation has ended
OPERATION_WAIT = RETRY_AFTER * -(-OPERATION_SECONDS // RETRY_AFTER)


class Bench:
    def __init__(self, work_dir):
        self.emulator_process = EmulatorProcess(os.path.join(work_dir, "cert"))
        self.emulator = EmulatorClient(self.emulator_process.url, self.emulator_process.cert)
        self.emulator.settings(operation_seconds=OPERATION_SECONDS, retry_after=RETRY_AFTER,
                               operation_statuses=RECORDED_STATUSES)
        self.az = AzRunner(os.path.join(work_dir, "config-ext"), os.path.join(work_dir, "ext"),
                           self.emulator_process.cert, self.emulator_process.url)
        self.az.ok("extension", "add", "--source", build_wheel(os.path.join(work_dir, "dist")), "-y")
        self.az.login()
        os.makedirs(os.path.join(work_dir, "no-ext"))
        self.core_az = self.az.with_extension_dir(os.path.join(work_dir, "no-ext"),
                                                  os.path.join(work_dir, "config-core"))
        self.core_az.login()
        self.counter = 0

    def stop(self):
        self.emulator_process.stop()

    def fresh(self, identities=0, granted=True, enabled=True):
        """A new cluster (with ``identities`` pod identities) and a new identity to add to it."""
        self.counter += 1
        rg, name = f"bench-rg{self.counter}", f"bench{self.counter}"
        shared = self.emulator.seed_identity(f"bench-ids{self.counter}", "shared")
        entries = [{"name": f"existing-{i}", "namespace": "ns", "identity": {"resourceId": shared["id"]}}
                   for i in range(identities)]
        cluster = self.emulator.seed_cluster(rg, name, pod_identity={"enabled": enabled,
                                                                     "userAssignedIdentities": entries})
        principal = cluster["identity"]["principalId"]
        self.emulator.grant(shared["id"], principal)
        identity = self.emulator.seed_identity(f"bench-ids{self.counter}", "app")
        if granted:
            self.emulator.grant(identity["id"], principal)
        return rg, name, identity

    def seed_fleet(self, subscriptions, per_subscription=150):
        """Clusters in each subscription, every third with pod identity; listings come in pages of 50."""
        self.emulator.settings(list_page_size=50)
        for subscription in subscriptions:
            for i in range(per_subscription):
                self.emulator.seed_cluster(f"fleet-{i % 5}", f"fleet{i:03d}", subscription=subscription,
                                           pod_identity={"enabled": True} if i % 3 == 0 else None)

    def seed_tenant(self, work_dir, subscriptions=TENANT_SUBSCRIPTIONS):
        """A tenant of ``subscriptions`` subscriptions (a few hundred clusters with pod identity among them) and an
        az logged in to all of them; returns that az."""
        added = self.emulator.call("POST", "/_emulator/subscriptions",
                                   {"count": subscriptions - len(SUBSCRIPTIONS)})["added"]
        for i, subscription in enumerate(added[::8]):  # one subscription in eight holds a cluster
            self.emulator.seed_cluster("teams", f"team{i:04d}", subscription=subscription,
                                       pod_identity={"enabled": True} if i % 2 == 0 else None)
        tenant_az = AzRunner(os.path.join(work_dir, "config-tenant"), os.path.join(work_dir, "ext"),
                             self.emulator_process.cert, self.emulator_process.url)
        tenant_az.login()
        return tenant_az

    def timed(self, az, *args, output=None):
        """Run az once; return ({"wall", "cpu"} seconds, request counts). ``output``: a file for its stdout."""
        self.emulator.call("DELETE", "/_emulator/requests")
        with tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen([AZ, *map(str, args)], stdin=subprocess.DEVNULL,
                                    stdout=output or subprocess.DEVNULL, stderr=err, env=az.env, cwd=az.cwd)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode:
                err.seek(0)
                raise RuntimeError(f"az {' '.join(map(str, args))} failed: {err.read().decode()}")
        seconds = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}
        return seconds, count_requests(self.emulator.requests())


def count_requests(requests):
    """ARM requests of one command: LRO polls and the poller's final GET apart; tokens and metadata left out."""
    arm = [r for r in requests if not r["path"].startswith(("/msi/", "/metadata/"))]
    counts = {"requests": 0, "lro_polls": 0, "final_get": 0, "writes": 0}
    cluster_put = None
    for r in arm:
        if "/operations/" in r["path"]:
            counts["lro_polls"] += 1
        elif cluster_put and r["method"] == "GET" and r["path"].lower() == cluster_put:
            counts["final_get"] += 1
        else:
            counts["requests"] += 1
            # a credential request is a POST that reads
            counts["writes"] += r["method"] != "GET" and "/listcluster" not in r["path"].lower()
            if r["method"] == "PUT" and "/managedclusters/" in r["path"].lower():
                cluster_put = r["path"].lower()
    return counts


def add_args(rg, name, identity, pod_name="bench-app"):
    return ["aks", "pod-identity", "add", "-g", rg, "--cluster-name", name, "--namespace", "bench",
            "--name", pod_name, "--identity-resource-id", identity["id"], "-o", "none"]


PAIRS = (("show_ext", "show_core"), ("list", "show_ext"), ("add_199", "add_0"),
         ("list_clusters", "aks_list_each"))
SUBSCRIPTIONS = ("1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f")


def measure(bench):
    """Rounds of every case in a shuffled order, compared cases back to back; returns samples, pairs, counts."""
    samples, pairs, counts = {}, {f"{a}/{b}": [] for a, b in PAIRS}, {}
    bench.seed_fleet(SUBSCRIPTIONS)
    show_rg, show_name, _ = bench.fresh()
    big = [bench.fresh(identities=199) for _ in range(RUNS)]
    small = [bench.fresh(identities=0) for _ in range(RUNS)]
    shuffle = random.Random(20261128).shuffle

    def record(key, az, *args):
        seconds, counts[key] = bench.timed(az, *args)
        samples.setdefault(key, []).append(seconds)
        return seconds

    def aks_list_each():
        """What list-clusters replaces: core `az aks list --subscription S` for each subscription, one after the
        other (and the filtering left to the user)."""
        runs = [bench.timed(bench.core_az, "aks", "list", "--subscription", s, "-o", "none")[0]
                for s in SUBSCRIPTIONS]
        seconds = {kind: sum(run[kind] for run in runs) for kind in ("cpu", "wall")}
        samples.setdefault("aks_list_each", []).append(seconds)
        return seconds

    def lifecycle():
        # add, then the same add again, delete and exception add: one cluster, in this order
        rg, name, identity = bench.fresh(granted=True)
        record("add_grant_exists", bench.az, *add_args(rg, name, identity))
        record("add_noop", bench.az, *add_args(rg, name, identity))
        record("delete", bench.az, "aks", "pod-identity", "delete", "-g", rg, "--cluster-name", name,
               "--namespace", "bench", "--name", "bench-app", "-o", "none")
        record("exception_add", bench.az, "aks", "pod-identity", "exception", "add", "-g", rg, "--cluster-name",
               name, "--namespace", "bench", "--name", "exc", "--pod-labels", "a=b", "-o", "none")

    def add_creating_grant():
        rg, name, identity = bench.fresh(granted=False)
        record("add_grant_created", bench.az, *add_args(rg, name, identity))

    # check reads each distinct identity once: 199 pod identities sharing one identity cost three reads
    record("check_199", bench.az, "aks", "pod-identity", "check", "-g", big[0][0], "--cluster-name", big[0][1],
           "-o", "none")
    for run in range(RUNS):
        show = ("aks", "show", "-g", show_rg, "-n", show_name, "-o", "none")
        commands = {
            "show_core": lambda: record("show_core", bench.core_az, *show),
            "show_ext": lambda: record("show_ext", bench.az, *show),
            "list": lambda: record("list", bench.az, "aks", "pod-identity", "list", "-g", show_rg,
                                   "--cluster-name", show_name, "-o", "none"),
            "add_0": lambda run=run: record("add_0", bench.az, *add_args(*small[run])),
            "add_199": lambda run=run: record("add_199", bench.az, *add_args(*big[run])),
            "list_clusters": lambda: record("list_clusters", bench.az, "aks", "pod-identity", "list-clusters",
                                            "-o", "none"),
            "aks_list_each": aks_list_each,
        }

        def paired(a, b, run=run, commands=commands):
            def run_pair():
                first, second = (a, b) if run % 2 == 0 else (b, a)
                seconds = {first: commands[first](), second: commands[second]()}
                pairs[f"{a}/{b}"].append({kind: seconds[a][kind] / seconds[b][kind] for kind in ("cpu", "wall")})
            return run_pair
        cases = [paired(a, b) for a, b in PAIRS] + [lifecycle, add_creating_grant]
        shuffle(cases)
        for case in cases:
            case()
    return samples, pairs, counts


def measure_tenant(bench, work_dir):
    """list-clusters over 5,000 subscriptions, through Resource Graph and through ARM listing, paired."""
    tenant_az = bench.seed_tenant(work_dir)
    samples, outputs, counts = {"graph": [], "arm": []}, {}, {}
    for run in range(TENANT_RUNS):
        for engine in (("graph", "arm") if run % 2 == 0 else ("arm", "graph")):
            with tempfile.TemporaryFile() as out:
                seconds, counts[engine] = bench.timed(
                    tenant_az, "aks", "pod-identity", "list-clusters", "--engine",
                    "resource-graph" if engine == "graph" else "arm", "-o", "json", output=out)
                out.seek(0)
                outputs.setdefault(engine, set()).add(out.read())
            samples[engine].append(seconds)
    ratios = [g["cpu"] / a["cpu"] for g, a in zip(samples["graph"], samples["arm"])]
    rows = json.loads(next(iter(outputs["graph"])))
    return {"cpu_ratio": statistics.median(ratios), "requests": {k: counts[k]["requests"] for k in counts},
            "identical": len(outputs["graph"]) == 1 and outputs["graph"] == outputs["arm"], "rows": len(rows),
            "median_cpu_s": {k: statistics.median(s["cpu"] for s in v) for k, v in samples.items()},
            "median_wall_s": {k: statistics.median(s["wall"] for s in v) for k, v in samples.items()}}


def tenant_targets(tenant):
    request_ratio = tenant["requests"]["graph"] / tenant["requests"]["arm"]
    return [
        (f"requests: list-clusters, {TENANT_SUBSCRIPTIONS} subscriptions, Resource Graph / ARM", request_ratio,
         "<= 0.05", request_ratio <= 0.05),
        (f"CPU: list-clusters, {TENANT_SUBSCRIPTIONS} subscriptions, Resource Graph / ARM", tenant["cpu_ratio"],
         "<= 0.2", tenant["cpu_ratio"] <= 0.2),
        ("output: the same rows through either engine", float(tenant["identical"]), "= 1", tenant["identical"]),
    ]


def evaluate(samples, pairs, counts):
    medians = {key: statistics.median(s["wall"] for s in values) for key, values in samples.items()}
    ratio = lambda a, b: statistics.median(r["cpu"] for r in pairs[f"{a}/{b}"])  # noqa: E731
    return [
        ("CPU: az aks show with the extension / without", ratio("show_ext", "show_core"), "<= 1.03",
         ratio("show_ext", "show_core") <= 1.03),
        ("CPU: pod-identity list / az aks show (with extension)", ratio("list", "show_ext"), "<= 1.05",
         ratio("list", "show_ext") <= 1.05),
        ("CPU: add with 199 identities / with 0", ratio("add_199", "add_0"), "<= 1.10",
         ratio("add_199", "add_0") <= 1.10),
        ("CPU: list-clusters / az aks list per subscription (2 subscriptions)",
         ratio("list_clusters", "aks_list_each"), "<= 0.70", ratio("list_clusters", "aks_list_each") <= 0.70),
        ("requests: add, grant exists", counts["add_grant_exists"]["requests"], "<= 4",
         counts["add_grant_exists"]["requests"] <= 4),
        ("requests: add, grant created", counts["add_grant_created"]["requests"], "<= 5",
         counts["add_grant_created"]["requests"] <= 5),
        ("requests: no-op add (cluster, identity, grants)", counts["add_noop"]["requests"], "<= 3",
         counts["add_noop"]["requests"] <= 3),
        ("writes: no-op add", counts["add_noop"]["writes"], "= 0", counts["add_noop"]["writes"] == 0),
        # the cluster, the identity, its grants; since 1.0.0b5 also the credential to read the cluster's API server
        ("requests: check, 199 pod identities of one identity", counts["check_199"]["requests"], "<= 4",
         counts["check_199"]["requests"] <= 4 and counts["check_199"]["writes"] == 0),
        ("polls: an add's operation, intermediate statuses reported", counts["add_grant_created"]["lro_polls"],
         ">= 2", counts["add_grant_created"]["lro_polls"] >= 2),
        (f"wall seconds: add that creates the grant, less its operation's {OPERATION_WAIT:.0f} s of polling",
         medians["add_grant_created"] - OPERATION_WAIT, "<= 2.0", medians["add_grant_created"] - OPERATION_WAIT <= 2.0),
    ]


def machine():
    model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cli_version = subprocess.run([sys.executable, "-c", "import azure.cli.core; print(azure.cli.core.__version__)"],
                                 capture_output=True, text=True, check=False).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "azure_cli": cli_version}


def main():
    with tempfile.TemporaryDirectory(prefix="podidentity-bench-") as work_dir:
        print(f"Setting up (wheel, emulator, two logins); then {RUNS} shuffled rounds of every case ...", flush=True)
        bench = Bench(work_dir)
        try:
            samples, pairs, counts = measure(bench)
            print(f"Tenant scale: {TENANT_SUBSCRIPTIONS} subscriptions, {TENANT_RUNS} paired rounds ...", flush=True)
            tenant = measure_tenant(bench, work_dir)
            print(f"Cluster side: {CLUSTER_RUNS} paired rounds on a cluster of 2,000 pods (seeding it takes a "
                  "minute) ...", flush=True)
            cluster = cluster_inventory.measure(bench, work_dir, CLUSTER_RUNS)
            print(f"Moving the workloads: {workload_migration.NAMESPACES * workload_migration.WORKLOADS_PER_NAMESPACE}"
                  " workloads, migrate against a kubectl patch loop on two clusters (seeding takes minutes) ...",
                  flush=True)
            migration = workload_migration.measure(bench, work_dir)
        finally:
            bench.stop()
    targets = evaluate(samples, pairs, counts) + tenant_targets(tenant) + cluster_inventory.targets(cluster) + \
        workload_migration.targets(migration)
    wall = {key: statistics.median(s["wall"] for s in values) for key, values in samples.items()}
    cpu = {key: statistics.median(s["cpu"] for s in values) for key, values in samples.items()}
    print(f"\n{'case':<20}{'wall s':>9}{'CPU s':>9}{'requests':>10}{'LRO polls':>11}{'final GET':>11}")
    for key in ("show_core", "show_ext", "list", "add_grant_exists", "add_grant_created", "add_noop", "delete",
                "exception_add", "add_0", "add_199", "check_199", "list_clusters", "aks_list_each"):
        c = counts.get(key, {}) if key.startswith(("add", "delete", "exception", "check", "list_")) else {}
        print(f"{key:<20}{wall[key]:>9.3f}{cpu[key]:>9.3f}{c.get('requests', ''):>10}{c.get('lro_polls', ''):>11}"
              f"{c.get('final_get', ''):>11}")
    print(f"\nlist-clusters over {TENANT_SUBSCRIPTIONS} subscriptions ({tenant['rows']} clusters reported): "
          f"Resource Graph {tenant['requests']['graph']} requests, CPU {tenant['median_cpu_s']['graph']:.3f} s, "
          f"wall {tenant['median_wall_s']['graph']:.3f} s; ARM {tenant['requests']['arm']} requests, CPU "
          f"{tenant['median_cpu_s']['arm']:.3f} s, wall {tenant['median_wall_s']['arm']:.3f} s")
    print(f"\nlist-workloads on {cluster['pods']} pods, {cluster['workloads']} workloads, {cluster['namespaces']} "
          f"namespaces: wall {cluster['median_wall_s']['list_workloads']:.3f} s (the whole az process), kubectl "
          f"pods + owners {cluster['median_wall_s']['kubectl']:.3f} s; API server requests: list-workloads "
          f"{cluster['api_requests']['list_workloads']}, kubectl {cluster['api_requests']['kubectl']}")
    print(f"\nmigrate, {migration['workloads']} workloads over {migration['namespaces']} namespaces: wall "
          + ", ".join(f"{k} {v:.2f} s" for k, v in migration["wall_s"].items())
          + f"; API server requests {migration['api_requests']}")
    wall_ratios = {name: statistics.median(r["wall"] for r in values) for name, values in pairs.items()}
    print("\npaired wall-time ratios (for comparison): " +
          ", ".join(f"{name} {value:.3f}" for name, value in wall_ratios.items()))
    print(f"\n{'target':<68}{'value':>8}  {'goal':<8} result")
    for name, value, goal, ok in targets:
        print(f"{name:<68}{value:>8.3f}  {goal:<8} {'PASS' if ok else 'FAIL'}")
    os.makedirs(os.path.join(REPO, ".bench"), exist_ok=True)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "runs": RUNS,
              "median_wall_s": wall, "median_cpu_s": cpu, "requests": counts, "samples_s": samples,
              "paired_ratios": pairs, "median_paired_wall_ratios": wall_ratios, "tenant_scale": tenant,
              "cluster_inventory": cluster, "workload_migration": migration,
              "targets": [{"name": n, "value": v, "goal": g, "pass": ok} for n, v, g, ok in targets]}
    path = os.path.join(REPO, ".bench", "results.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"\nWritten: {path}")
    return 0 if all(ok for *_, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
