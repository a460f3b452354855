# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the in-cluster half of a migration, planned per workload from the objects read off the cluster.

What users got wrong moving by hand (docs/cluster-side.md): the Workload ID label goes on the pod template (a
CronJob's ``jobTemplate.spec.template``), never on the workload's own metadata or its immutable ``spec.selector``;
the pods must run as the annotated service account; pods are not changed until they are re-created. Stage one adds
Workload ID next to pod identity: the ``aadpodidbinding`` label stays, so pods keep a working identity while they
roll. Workloads that a tool owns (Helm, Argo CD, Flux) would be reverted by its next sync: the plan names what to
change in their source instead. A bare pod cannot be changed in place: the plan says to re-create it.
"""
POD_IDENTITY_LABEL = "aadpodidbinding"
_TEMPLATE_PATHS = {"CronJob": ("spec", "jobTemplate", "spec", "template"), "Pod": None}
# the kinds whose pod template a migration patches: a Pod's and a Job's cannot change, and a ReplicaSet never
# replaces the pods it runs
PATCHED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
_NOT_PATCHED = {
    "Pod": "A bare pod cannot be changed in place: re-create it from its manifest with the changes below (or run it "
           "from a Deployment).",
    "Job": "A Job's pod template cannot be changed: run the job again from its manifest with the changes below.",
    "ReplicaSet": "A ReplicaSet does not replace the pods it runs: change its manifest as below, apply it, then "
                  "delete its pods (or run them from a Deployment)."}
CSI_DRIVER = "secrets-store.csi.k8s.io"


def template_path(kind):
    """Where the kind keeps its pod template (a tuple of keys), or None for a bare pod."""
    return _TEMPLATE_PATHS.get(kind, ("spec", "template"))


def _at(obj, path):
    for key in path:
        obj = (obj or {}).get(key)
    return obj or {}


def pod_template(obj):
    """The pod template of a workload (a bare pod: the pod itself)."""
    path = template_path(obj.get("kind"))
    return obj if path is None else _at(obj, path)


def template_labels(obj):
    """The labels of a workload's pod template."""
    return (pod_template(obj).get("metadata") or {}).get("labels") or {}


def owning_tool(obj):
    """Which tool owns the object ("Helm release 'x'", "Argo CD application 'x'", "Flux ..."), or None."""
    meta = obj.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    if labels.get("app.kubernetes.io/managed-by") == "Helm" or "meta.helm.sh/release-name" in annotations:
        release = annotations.get("meta.helm.sh/release-name") or labels.get("app.kubernetes.io/instance") or "?"
        return f"Helm release '{release}'"
    argo = labels.get("argocd.argoproj.io/instance") or annotations.get("argocd.argoproj.io/tracking-id")
    if argo:
        return f"Argo CD application '{argo.split(':')[0]}'"
    for key in ("kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"):
        if labels.get(key):
            return f"Flux {key.split('.', maxsplit=1)[0]} '{labels[key]}'"
    return None


# (resource, API group) of the Secrets Store CSI driver's SecretProviderClass (v1, as every resource here)
SPC_RESOURCE = ("secretproviderclasses", "secrets-store.csi.x-k8s.io")
# kind -> (resource, API group) of the kinds whose objects the plan reads
RESOURCES = {"Deployment": ("deployments", "apps"), "StatefulSet": ("statefulsets", "apps"),
             "DaemonSet": ("daemonsets", "apps"), "ReplicaSet": ("replicasets", "apps"), "Job": ("jobs", "batch"),
             "CronJob": ("cronjobs", "batch"), "Pod": ("pods", "")}


def workload_change(row, obj, item, patch_owned=False):
    """The change of one workload (``row`` from the inventory, ``obj`` as read) for one migration ``item``."""
    kind = row["kind"]
    change = {"kind": kind, "name": row["name"], "namespace": row["namespace"], "pods": row["pods"],
              "podIdentity": item["name"]}
    path = template_path(kind)
    if kind in _NOT_PATCHED:
        change.update(action="re-create", note=_NOT_PATCHED[kind])
    if path is None:
        template = obj
    else:
        change["templatePath"] = ".".join(path)
        template = _at(obj, path)
    spec, labels = template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    pod_changes = item["podChanges"]
    current = spec.get("serviceAccountName") or "default"
    if current != pod_changes["serviceAccountName"]:
        change["serviceAccountName"] = {"from": current, "to": pod_changes["serviceAccountName"]}
    add_labels = {k: v for k, v in (pod_changes.get("addLabels") or {}).items() if labels.get(k) != v}
    add_annotations = {k: v for k, v in (pod_changes.get("addAnnotations") or {}).items() if annotations.get(k) != v}
    if add_labels:
        change["addLabels"] = add_labels
    if add_annotations:
        change["addAnnotations"] = add_annotations
    change["keepLabels"] = {POD_IDENTITY_LABEL: labels.get(POD_IDENTITY_LABEL)}
    if pod_changes.get("containerEnv"):
        # one client id per service account: the containers that use this other identity say so themselves
        change["containersToChoose"] = {"containers": [c["name"] for c in spec.get("containers") or []],
                                        "byPodIdentity": {item["name"]: dict(pod_changes["containerEnv"])}}
    if "action" in change:
        return change
    pending = any(key in change for key in ("serviceAccountName", "addLabels", "addAnnotations"))
    tool = owning_tool(obj)
    if not pending:
        change["action"] = "none (already done)"
    elif tool and not patch_owned:
        change.update(action="change in its source", ownedBy=tool, note=(
            f"Owned by {tool}: a patch would be reverted by its next sync. Set these on the pod template in its "
            "chart or manifests (not on spec.selector)."))
    else:
        change["action"] = "patch"
        if tool:
            change["ownedBy"] = tool
    return change


def secret_provider_classes_used(obj, kind):
    """The SecretProviderClass names the workload's pods mount through the Secrets Store CSI driver."""
    path = template_path(kind)
    spec = (obj if path is None else _at(obj, path)).get("spec") or {}
    return sorted({(v.get("csi") or {}).get("volumeAttributes", {}).get("secretProviderClass")
                   for v in spec.get("volumes") or []
                   if (v.get("csi") or {}).get("driver") == CSI_DRIVER} - {None})


def secret_provider_class_change(spc, client_id, tenant_id=None):
    """The change of a SecretProviderClass that still reads through pod identity, or None when it does not."""
    parameters = (spc.get("spec") or {}).get("parameters") or {}
    if str(parameters.get("usePodIdentity", "")).lower() != "true":
        return None
    change = {"name": spc["metadata"]["name"], "namespace": spc["metadata"].get("namespace"),
              "set": {"spec.parameters.usePodIdentity": "false", "spec.parameters.clientID": client_id}}
    if tenant_id and parameters.get("tenantId") != tenant_id:
        change["set"]["spec.parameters.tenantId"] = tenant_id
    return change
