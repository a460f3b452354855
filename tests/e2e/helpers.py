"""Shared steps for end-to-end tests."""
MIO = "f1a07417-d97a-45cb-824c-7a7467783830"


def pod_identity_args(names, identity, *extra, name="web", namespace="shop"):
    return ["aks", "pod-identity", "add", "-g", names.rg, "--cluster-name", names.cluster, "--namespace", namespace,
            "--name", name, "--identity-resource-id", identity["id"], *extra]


def cluster_puts(emulator):
    return emulator.arm_requests("PUT", "/managedClusters/")


def grant_puts(emulator):
    return emulator.arm_requests("PUT", "/roleAssignments/")


def profile(emulator, names):
    return emulator.cluster(names.rg, names.cluster)["properties"].get("podIdentityProfile")


def arm_writes(emulator):
    """The ARM requests that change something. The POST for a cluster's credential (commands read the cluster's API
    server with it) reads: it is left out."""
    return [r for r in emulator.arm_requests() if r["method"] in ("PUT", "POST", "PATCH", "DELETE")
            and "/listcluster" not in r["path"].lower()]
