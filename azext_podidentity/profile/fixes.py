# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the exact commands that repair a pod identity, for error messages and `az aks pod-identity check` (the
grant's own command is grants.marks.grant_command)."""


def _cluster(resource_group, cluster_name):
    return f"--resource-group {resource_group} --cluster-name {cluster_name}"


def readd(resource_group, cluster_name, entry):
    """Re-running `add` restores a missing grant, refreshes stale ids and re-sends a failed entry."""
    command = (f"az aks pod-identity add {_cluster(resource_group, cluster_name)} --namespace {entry['namespace']} "
               f"--name {entry['name']} --identity-resource-id {(entry.get('identity') or {}).get('resourceId')}")
    if entry.get("bindingSelector"):
        command += f" --binding-selector {entry['bindingSelector']}"
    return command


def delete(resource_group, cluster_name, entry):
    return (f"az aks pod-identity delete {_cluster(resource_group, cluster_name)} --namespace {entry['namespace']} "
            f"--name {entry['name']}")


def prune(resource_group, cluster_name):
    """Removes, in one change, every pod identity whose identity no longer exists (--yes: fixes run unattended)."""
    return f"az aks pod-identity prune {_cluster(resource_group, cluster_name)} --yes"


def enable_kubenet_consent(resource_group, cluster_name):
    return (f"az aks update --resource-group {resource_group} --name {cluster_name} --enable-pod-identity "
            "--enable-pod-identity-with-kubenet")


def enable_managed_identity(resource_group, cluster_name):
    return f"az aks update --resource-group {resource_group} --name {cluster_name} --enable-managed-identity"
