# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: which workloads use which pod identity, from the objects read off the cluster.

The add-on's matching rule (managed mode, docs/cluster-side.md): a pod gets the identities of the bindings in its
own namespace whose selector equals its ``aadpodidbinding`` label exactly; several pod identities may share one
selector. A pod is exempt from NMI when any one label of an exception in its namespace matches.
"""
LABEL = "aadpodidbinding"
WORKLOAD_ID_LABEL = "azure.workload.identity/use"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# top owners reached through these kinds' own controller
_INTERMEDIATE = {"ReplicaSet": "Deployment", "Job": "CronJob"}


def selector_of(entry):
    return entry.get("bindingSelector") or entry["name"]


def _labels(obj):
    return (obj.get("metadata") or {}).get("labels") or {}


def controller_of(obj):
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def top_owner(pod, owners):
    """(kind, name) of what runs the pod: Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, another
    controller's kind, or ("Pod", name) for a bare pod. ``owners`` maps (kind, namespace, name) to the ReplicaSets
    and Jobs read from the cluster."""
    namespace = pod["metadata"].get("namespace")
    ref = controller_of(pod)
    if ref is None:
        return "Pod", pod["metadata"]["name"]
    kind, name = ref["kind"], ref["name"]
    if kind in _INTERMEDIATE:
        parent = controller_of(owners.get((kind, namespace, name)) or {})
        if parent is not None and parent.get("kind") == _INTERMEDIATE[kind]:
            return parent["kind"], parent["name"]
    return kind, name


def _uses_workload_identity(pod, service_accounts):
    if _labels(pod).get(WORKLOAD_ID_LABEL) != "true":
        return False
    account = (pod.get("spec") or {}).get("serviceAccountName") or "default"
    annotations = service_accounts.get((pod["metadata"].get("namespace"), account)) or {}
    return bool(annotations.get(CLIENT_ID_ANNOTATION))


def _workloads(pods, owners, service_accounts):
    grouped = {}
    for pod in pods:
        kind, name = top_owner(pod, owners)
        key = (pod["metadata"].get("namespace"), kind, name)
        row = grouped.setdefault(key, {"namespace": key[0], "kind": kind, "name": name, "pods": 0,
                                       "workloadIdentityPods": 0})
        row["pods"] += 1
        row["workloadIdentityPods"] += _uses_workload_identity(pod, service_accounts)
    rows = sorted(grouped.values(), key=lambda r: (r["namespace"], r["kind"], r["name"]))
    for row in rows:
        row["usesWorkloadIdentity"] = row.pop("workloadIdentityPods") == row["pods"]
    return rows


def _distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def nearest_selector(label, namespace, selectors):
    """Why a pod's label matches no binding, with the selector it most likely meant: {"selector", "namespace",
    "reason"}, or None when nothing is near. ``selectors``: (namespace, selector) of every pod identity."""
    elsewhere = sorted(ns for ns, sel in selectors if sel == label and ns != namespace)
    if elsewhere:
        return {"selector": label, "namespace": elsewhere[0],
                "reason": f"a binding with this selector exists in namespace '{elsewhere[0]}', but the add-on "
                          "matches pods only in the binding's own namespace"}
    candidates = []
    for ns, sel in selectors:
        if sel.lower() == label.lower():
            candidates.append((0, ns != namespace, ns, sel, "differs only in upper/lower case (matching is exact)"))
            continue
        distance = _distance(label, sel)
        if distance <= max(2, len(sel) // 4):
            candidates.append((distance, ns != namespace, ns, sel, f"differs in {distance} character(s)"))
    if not candidates:
        return None
    _, other_namespace, ns, sel, reason = min(candidates)
    if other_namespace:
        reason += f", and it is in namespace '{ns}'"
    return {"selector": sel, "namespace": ns, "reason": reason}


def build(pod_identities, exceptions, pods, owners, service_accounts, exempt_pods):
    """The inventory of a cluster (see `az aks pod-identity list-workloads`).

    ``pods``: every pod carrying the ``aadpodidbinding`` label; ``exempt_pods``: (namespace, exception name) ->
    the pods that exception matches."""
    by_key = {}
    for pod in pods:
        by_key.setdefault((pod["metadata"].get("namespace"), _labels(pod)[LABEL]), []).append(pod)
    selectors = {(e["namespace"], selector_of(e)) for e in pod_identities}
    identities = []
    for entry in sorted(pod_identities, key=lambda e: (e["namespace"], e["name"])):
        matched = by_key.get((entry["namespace"], selector_of(entry)), [])
        shared = sorted(e["name"] for e in pod_identities if e is not entry and e["namespace"] == entry["namespace"]
                        and selector_of(e) == selector_of(entry))
        identities.append({"name": entry["name"], "namespace": entry["namespace"],
                           "bindingSelector": selector_of(entry),
                           "clientId": (entry.get("identity") or {}).get("clientId"),
                           "sharesSelectorWith": shared, "pods": len(matched),
                           "workloads": _workloads(matched, owners, service_accounts)})
    unmatched = []
    for (namespace, label), group in sorted(by_key.items()):
        if (namespace, label) in selectors:
            continue
        near = nearest_selector(label, namespace, selectors)
        for workload in _workloads(group, owners, service_accounts):
            unmatched.append(dict(workload, label=label, nearest=near))
    exempt = []
    for entry in sorted(exceptions, key=lambda e: (e["namespace"], e["name"])):
        group = exempt_pods.get((entry["namespace"], entry["name"]), [])
        # pods that carry a pod identity's selector, which the exception keeps from getting it
        users = [p for p in group if (entry["namespace"], _labels(p).get(LABEL)) in selectors]
        exempt.append({"name": entry["name"], "namespace": entry["namespace"],
                       "podLabels": dict(entry.get("podLabels") or {}), "pods": len(group),
                       "workloads": _workloads(group, owners, service_accounts),
                       "exemptedPodIdentityUsers": [dict(w, label=_labels(p)[LABEL])
                                                    for p in users for w in _workloads([p], owners, {})]})
    return {"podIdentities": identities, "unmatchedPods": unmatched, "exceptions": exempt}


def users_of(inventory, removed):
    """The workloads whose pods use the pod identities ``removed`` ((namespace, name) pairs): a list of
    (pod identity name, namespace, workload row)."""
    wanted = set(removed)
    return [(i["name"], i["namespace"], w) for i in inventory["podIdentities"]
            if (i["namespace"], i["name"]) in wanted for w in i["workloads"]]
