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
