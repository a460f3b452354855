"""`make bench`: speed and request counts of the extension, measured in one run against the local emulator.

Ratios compare numbers from this same run only (core `az` without the extension is the baseline), so the
machine's speed cancels out. Runs of the compared cases are interleaved to spread drift evenly. The emulator's
operations complete on the first poll. Results: a table on stdout and .bench/results.json.
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from demo.run import build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from tests.harness.azcli import AzRunner  # noqa: E402  pylint: disable=wrong-import-position
from tests.harness.emulator_client import (EmulatorClient,  # noqa: E402  pylint: disable=wrong-import-position
                                           EmulatorProcess)

RUNS = int(os.environ.get("BENCH_RUNS", "9"))


class Bench:
    def __init__(self, work_dir):
        self.emulator_process = EmulatorProcess(os.path.join(work_dir, "cert"))
        self.emulator = EmulatorClient(self.emulator_process.url, self.emulator_process.cert)
        self.emulator.settings(operation_seconds=0.0, retry_after=1)
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

    def timed(self, az, *args):
        self.emulator.call("DELETE", "/_emulator/requests")
        started = time.perf_counter()
        az.ok(*args)
        return time.perf_counter() - started, count_requests(self.emulator.requests())


def count_requests(requests):
    """ARM requests of one command: LRO polls and the poller's final GET apart; tokens and metadata left out."""
    arm = [r for r in requests if not r["path"].startswith(("/msi/", "/metadata/"))]
    counts = {"requests": 0, "lro_polls": 0, "final_get": 0}
    cluster_put = None
    for r in arm:
        if "/operations/" in r["path"]:
            counts["lro_polls"] += 1
        elif cluster_put and r["method"] == "GET" and r["path"].lower() == cluster_put:
            counts["final_get"] += 1
        else:
            counts["requests"] += 1
            if r["method"] == "PUT" and "/managedclusters/" in r["path"].lower():
                cluster_put = r["path"].lower()
    return counts


def add_args(rg, name, identity, pod_name="bench-app"):
    return ["aks", "pod-identity", "add", "-g", rg, "--cluster-name", name, "--namespace", "bench",
            "--name", pod_name, "--identity-resource-id", identity["id"], "-o", "none"]


def measure(bench):
    samples = {key: [] for key in ("show_core", "show_ext", "list", "add_grant_exists", "add_grant_created",
                                   "add_noop", "delete", "exception_add", "add_0", "add_199")}
    counts = {}
    show_rg, show_name, _ = bench.fresh()
    big = [bench.fresh(identities=199) for _ in range(RUNS)]
    small = [bench.fresh(identities=0) for _ in range(RUNS)]
    for run in range(RUNS):
        show = ["aks", "show", "-g", show_rg, "-n", show_name, "-o", "none"]
        samples["show_core"].append(bench.timed(bench.core_az, *show)[0])
        samples["show_ext"].append(bench.timed(bench.az, *show)[0])
        samples["list"].append(bench.timed(bench.az, "aks", "pod-identity", "list", "-g", show_rg,
                                           "--cluster-name", show_name, "-o", "none")[0])

        rg, name, identity = bench.fresh(granted=True)
        for key, args in (("add_grant_exists", add_args(rg, name, identity)),
                          ("add_noop", add_args(rg, name, identity)),
                          ("delete", ["aks", "pod-identity", "delete", "-g", rg, "--cluster-name", name,
                                      "--namespace", "bench", "--name", "bench-app", "-o", "none"]),
                          ("exception_add", ["aks", "pod-identity", "exception", "add", "-g", rg, "--cluster-name",
                                             name, "--namespace", "bench", "--name", "exc", "--pod-labels", "a=b",
                                             "-o", "none"])):
            seconds, counts[key] = bench.timed(bench.az, *args)
            samples[key].append(seconds)
        rg, name, identity = bench.fresh(granted=False)
        seconds, counts["add_grant_created"] = bench.timed(bench.az, *add_args(rg, name, identity))
        samples["add_grant_created"].append(seconds)

        for key, (rg, name, identity) in (("add_0", small[run]), ("add_199", big[run])):
            seconds, counts[key] = bench.timed(bench.az, *add_args(rg, name, identity))
            samples[key].append(seconds)
    return {key: statistics.median(values) for key, values in samples.items()}, counts, samples


def evaluate(medians, counts):
    ratio = lambda a, b: medians[a] / medians[b]  # noqa: E731
    return [
        ("az aks show with the extension / without", ratio("show_ext", "show_core"), "<= 1.03",
         ratio("show_ext", "show_core") <= 1.03),
        ("pod-identity list / az aks show (with extension)", ratio("list", "show_ext"), "<= 1.05",
         ratio("list", "show_ext") <= 1.05),
        ("add with 199 identities / with 0", ratio("add_199", "add_0"), "<= 1.10", ratio("add_199", "add_0") <= 1.10),
        ("requests: add, grant exists", counts["add_grant_exists"]["requests"], "<= 4",
         counts["add_grant_exists"]["requests"] <= 4),
        ("requests: add, grant created", counts["add_grant_created"]["requests"], "<= 5",
         counts["add_grant_created"]["requests"] <= 5),
        ("requests: no-op add", counts["add_noop"]["requests"], "= 1", counts["add_noop"]["requests"] == 1),
        ("seconds: add that creates the grant (operations take 0 s)", medians["add_grant_created"], "<= 2.0",
         medians["add_grant_created"] <= 2.0),
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
        print(f"Setting up (wheel, emulator, two logins); then {RUNS} interleaved runs of each case ...", flush=True)
        bench = Bench(work_dir)
        try:
            medians, counts, samples = measure(bench)
        finally:
            bench.stop()
    targets = evaluate(medians, counts)
    print(f"\n{'case':<34}{'median s':>10}{'requests':>10}{'LRO polls':>11}{'final GET':>11}")
    for key, value in medians.items():
        c = counts.get(key, {})
        print(f"{key:<34}{value:>10.3f}{c.get('requests', ''):>10}{c.get('lro_polls', ''):>11}"
              f"{c.get('final_get', ''):>11}")
    print(f"\n{'target':<58}{'value':>8}  {'goal':<8} result")
    for name, value, goal, ok in targets:
        print(f"{name:<58}{value:>8.3f}  {goal:<8} {'PASS' if ok else 'FAIL'}")
    os.makedirs(os.path.join(REPO, ".bench"), exist_ok=True)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "runs": RUNS, "medians_s": medians,
              "requests": counts, "samples_s": samples,
              "targets": [{"name": n, "value": v, "goal": g, "pass": ok} for n, v, g, ok in targets]}
    path = os.path.join(REPO, ".bench", "results.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"\nWritten: {path}")
    return 0 if all(ok for *_, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
