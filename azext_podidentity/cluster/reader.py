# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading what the inventory needs off a cluster: list calls only, never one request per pod.

Pods carrying ``aadpodidbinding`` (one paged list over all namespaces); the ReplicaSets and Jobs that own them
(one list each, only when such pods exist), to reach Deployments and CronJobs; the ServiceAccounts of the
namespaces whose pods carry the Workload ID label; and, per exception label, the pods of its namespace that carry
it. ``api`` is anything with ``list(resource, namespace, label_selector, group, version)``.
"""
from azext_podidentity.cluster import inventory

_ACCOUNT_LISTS = 3


def read(api, pod_identities, exceptions):
    pods = api.list("pods", label_selector=inventory.LABEL)
    exempt = {}
    for entry in exceptions:
        found = {}
        for key, value in sorted((entry.get("podLabels") or {}).items()):
            for pod in api.list("pods", namespace=entry["namespace"], label_selector=f"{key}={value}"):
                found[pod["metadata"].get("uid") or pod["metadata"]["name"]] = pod
        exempt[(entry["namespace"], entry["name"])] = list(found.values())
    exempt_pods = [pod for group in exempt.values() for pod in group]
    namespaces = {p["metadata"].get("namespace") for p in pods + exempt_pods
                  if (p["metadata"].get("labels") or {}).get(inventory.WORKLOAD_ID_LABEL) == "true"}
    return inventory.build(pod_identities, exceptions, pods, owners_of(api, pods + exempt_pods),
                           service_account_annotations(api, namespaces), exempt)


def owners_of(api, pods):
    """(kind, namespace, name) -> the ReplicaSets and Jobs, to reach the Deployments and CronJobs of ``pods``: one
    list per kind, and only for a kind that controls one of them."""
    kinds = {(inventory.controller_of(p) or {}).get("kind") for p in pods}
    owners = {}
    for kind, resource, group in (("ReplicaSet", "replicasets", "apps"), ("Job", "jobs", "batch")):
        if kind in kinds:
            for item in api.list(resource, group=group):
                owners[(kind, item["metadata"].get("namespace"), item["metadata"]["name"])] = item
    return owners


def service_account_annotations(api, namespaces):
    """(namespace, name) -> annotations of the ServiceAccounts of ``namespaces``: a list per namespace while they
    are few; past that one list across namespaces, as the pods were read."""
    accounts = {}
    for namespace in sorted(namespaces) if len(namespaces) <= _ACCOUNT_LISTS else [None]:
        for item in api.list("serviceaccounts", namespace=namespace):
            accounts[(item["metadata"].get("namespace"), item["metadata"]["name"])] = \
                item["metadata"].get("annotations") or {}
    return accounts


def nmi_status(api):
    """{"desired", "ready"} of the add-on's NMI DaemonSet (kube-system/nmi), or None when it is missing."""
    for item in api.list("daemonsets", namespace="kube-system", group="apps"):
        if item["metadata"]["name"] == "nmi":
            status = item.get("status") or {}
            return {"desired": status.get("desiredNumberScheduled") or 0, "ready": status.get("numberReady") or 0}
    return None
