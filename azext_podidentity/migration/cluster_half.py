# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading what the in-cluster half of a migration needs: the inventory (the pods that carry the label), the
Deployments, StatefulSets, DaemonSets and CronJobs (one list each: a workload whose template carries the label is
found with no pod running, as a CronJob between runs is), a GET for each other workload kind a pod belongs to, and
the SecretProviderClasses of the namespaces whose workloads mount one."""
from dataclasses import dataclass, field

from knack.log import get_logger

from azext_podidentity.migration import workload_changes as wc

logger = get_logger(__name__)


@dataclass
class Planned:
    """``output``: {"read": True, "changes", "secretProviderClasses"}, or {"read": False, "error"}; the objects as
    read, for the stage that changes them: ``objects`` (kind, namespace, name) -> workload, ``classes``
    (namespace, name) -> SecretProviderClass."""
    output: dict
    objects: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)


def plan(cmd, client, resource_group, cluster_name, profile, items, access, patch_owned=False):
    """The plan for the migrated pod identities' workloads; when the cluster could not be read, a warning and a
    plan of the Azure half only."""
    from azure.cli.core.azclierror import AzCLIError

    from azext_podidentity.cluster.access import open_api
    try:
        with open_api(cmd, client, resource_group, cluster_name, access) as api:
            return plan_with(api, profile, items, patch_owned)
    except AzCLIError as ex:
        logger.warning("The cluster could not be read, so the plan covers only the Azure half; the workloads were "
                       "not looked at: %s", ex)
        return Planned({"read": False, "error": str(ex)})


def plan_with(api, profile, items, patch_owned=False):
    """The plan, read through ``api``; ``patch_owned``: patch the workloads a tool owns too."""
    from azext_podidentity.cluster.access import inventory_of
    return _plan(api, inventory_of(api, profile), items, patch_owned)


def patched_workloads(api):
    """The workloads of the patched kinds, (kind, namespace, name) -> object (kind and apiVersion filled in)."""
    objects = {}
    for kind in wc.PATCHED_KINDS:
        resource, group = wc.RESOURCES[kind]
        for obj in api.list(resource, group=group):
            objects[(kind, obj["metadata"]["namespace"], obj["metadata"]["name"])] = dict(
                obj, kind=kind, apiVersion=f"{group}/v1")
    return objects


def read_standard_mode(api):
    """The pod identities of aad-pod-identity installed from its chart (standard mode) as a profile dict, and the
    bindings skipped with why; None when the cluster has no AzureIdentity. Requests: the three CRDs' lists, the
    labelled pods and the four patched kinds (whose namespaces a binding of any namespace reaches)."""
    from azext_podidentity.migration import standard_mode
    group = "aadpodidentity.k8s.io"
    identities = api.list("azureidentities", group=group, missing_ok=True)
    if not identities:
        return None
    bindings = api.list("azureidentitybindings", group=group, missing_ok=True)
    namespaces, templates = {}, patched_workloads(api)
    for pod in api.list("pods", label_selector=wc.POD_IDENTITY_LABEL):
        namespaces.setdefault(pod["metadata"]["labels"][wc.POD_IDENTITY_LABEL], set()).add(
            pod["metadata"]["namespace"])
    for (_, namespace, _), obj in templates.items():
        label = wc.template_labels(obj).get(wc.POD_IDENTITY_LABEL)
        if label:
            namespaces.setdefault(label, set()).add(namespace)
    found, skipped = standard_mode.entries(identities, bindings, namespaces, standard_mode.mic_forces_namespaced(
        [obj for (kind, _, _), obj in templates.items() if kind == "Deployment"]))
    exceptions = standard_mode.exceptions(api.list("azurepodidentityexceptions", group=group, missing_ok=True))
    return {"userAssignedIdentities": found, "userAssignedIdentityExceptions": exceptions}, skipped


def _rows(item, found, templates):
    """The workloads of one migration item: those whose pods carry its selector, and those of the patched kinds
    whose pod template does (with no pod running)."""
    by_identity = {(i["namespace"], i["name"]): i for i in found["podIdentities"]}
    rows = list((by_identity.get((item["namespace"], item["name"])) or {}).get("workloads") or [])
    seen = {(r["kind"], r["namespace"], r["name"]) for r in rows}
    selector = item["podChanges"]["removeLabels"][wc.POD_IDENTITY_LABEL]
    for (kind, namespace, name), obj in sorted(templates.items()):
        if namespace == item["namespace"] and wc.template_labels(obj).get(wc.POD_IDENTITY_LABEL) == selector and \
                (kind, namespace, name) not in seen:
            rows.append({"kind": kind, "namespace": namespace, "name": name, "pods": 0})
    return rows


def _also(change, item, obj):
    """Add another pod identity of the same selector to a workload's change: the service account carries the
    first one's client id, so the containers that use this one set its AZURE_CLIENT_ID themselves."""
    change.setdefault("alsoPodIdentities", []).append(item["name"])
    env = item["podChanges"].get("containerEnv")
    if env:
        choose = change.setdefault("containersToChoose", {
            "containers": [c["name"] for c in (wc.pod_template(obj).get("spec") or {}).get("containers") or []]})
        choose.setdefault("byPodIdentity", {})[item["name"]] = dict(env)


def _plan(api, found, items, patch_owned):
    templates = patched_workloads(api)
    changes, spc_changes, classes, objects, planned_classes, planned = [], [], {}, {}, {}, {}
    for item in items:
        for row in _rows(item, found, templates):
            if row["kind"] not in wc.RESOURCES:
                changes.append({"kind": row["kind"], "name": row["name"], "namespace": row["namespace"],
                                "pods": row["pods"], "podIdentity": item["name"], "action": "change by hand",
                                "note": f"Pods of a {row['kind']}: change its pod template as listed for the "
                                        "others."})
                continue
            key = (row["kind"], row["namespace"], row["name"])
            if key in planned:  # pods of one selector that used several pod identities: one change
                _also(planned[key], item, objects[key])
                continue
            if key not in templates:
                resource, group = wc.RESOURCES[row["kind"]]
                templates[key] = api.get(resource, row["namespace"], row["name"], group)
            obj = objects[key] = templates[key]
            planned[key] = wc.workload_change(row, obj, item, patch_owned)
            changes.append(planned[key])
            for name in wc.secret_provider_classes_used(obj, row["kind"]):
                if row["namespace"] not in classes:
                    classes[row["namespace"]] = {c["metadata"]["name"]: c for c in api.list(
                        wc.SPC_RESOURCE[0], namespace=row["namespace"], group=wc.SPC_RESOURCE[1], missing_ok=True)}
                spc = classes[row["namespace"]].get(name)
                change = spc and wc.secret_provider_class_change(spc, item["clientId"], item.get("tenantId"))
                if change and (row["namespace"], name) not in planned_classes:
                    planned_classes[(row["namespace"], name)] = dict(spc, kind="SecretProviderClass",
                                                                     apiVersion=f"{wc.SPC_RESOURCE[1]}/v1")
                    spc_changes.append(dict(change, usedBy=f"{row['kind']}/{row['name']}"))
    return Planned({"read": True, "changes": changes, "secretProviderClasses": spc_changes}, objects,
                   planned_classes)
