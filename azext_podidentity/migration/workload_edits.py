# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the edits that apply the in-cluster half of a migration, and the record that lets them be undone.

Stage one is a server-side apply by the field manager ``azext-podidentity``: a field another manager set to
another value is then the API server's conflict, reported, never overwritten unless asked (``force``). It adds
Workload ID next to pod identity. Stage two removes the ``aadpodidbinding`` label, a field another manager owns,
with a JSON patch whose ``test`` operations make it fail, not overwrite, when the object changed since it was read.

What a stage changed is recorded on the object itself (annotation ``RECORD``: what was set, and what was there
before), so that ``undo`` restores it from the cluster alone, after any number of runs, from any machine; the
record never holds a time, so a re-run's apply is byte for byte the last one and changes nothing.
"""
import copy
import json

from azext_podidentity.migration.workload_changes import (POD_IDENTITY_LABEL, pod_template, template_labels,
                                                          template_path)

FIELD_MANAGER = "azext-podidentity"
RECORD = "azext-podidentity.azure.com/migration"
ADD_WORKLOAD_ID, REMOVE_LABEL = "add-workload-id", "remove-pod-identity-label"


def _nested(path, value):
    for key in reversed(path):
        value = {key: value}
    return value


def _pointer(*keys):
    """A JSON pointer (RFC 6901) to ``keys``."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def _dumps(record):
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def record_of(obj):
    """The migration record on an object (a dict), or None."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(RECORD)
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _identity(obj):
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {
        "name": meta["name"], **({"namespace": meta["namespace"]} if meta.get("namespace") else {})}}


def stage_one_body(obj, pod_changes, pod_identity):
    """The server-side apply body that adds Workload ID to the pod template of ``obj`` (a workload as read), and
    records what it set and what was there before. ``pod_changes``: the migration item's ``podChanges``."""
    path = template_path(obj["kind"])
    template = pod_template(obj)
    meta = template.get("metadata") or {}
    labels, annotations = dict(pod_changes.get("addLabels") or {}), dict(pod_changes.get("addAnnotations") or {})
    account = pod_changes["serviceAccountName"]
    record = {"podIdentity": pod_identity, "stage": ADD_WORKLOAD_ID,
              "set": {"serviceAccountName": account, "labels": labels, "annotations": annotations},
              "before": {"serviceAccountName": (template.get("spec") or {}).get("serviceAccountName"),
                         "labels": {k: (meta.get("labels") or {}).get(k) for k in labels},
                         "annotations": {k: (meta.get("annotations") or {}).get(k) for k in annotations}}}
    previous = record_of(obj)
    if previous and previous.get("podIdentity") == pod_identity:
        record["before"] = previous["before"]  # a re-run keeps what was there before the first one
    pod_meta = {"labels": labels}
    if annotations:
        pod_meta["annotations"] = annotations
    body = _identity(obj)
    body["metadata"]["annotations"] = {RECORD: _dumps(record)}
    body.update(_nested(path, {"metadata": pod_meta, "spec": {"serviceAccountName": account}}))
    return body


def spc_body(spc, change):
    """The server-side apply body of a SecretProviderClass change (``change["set"]``: dotted paths -> values),
    with its record."""
    parameters = (spc.get("spec") or {}).get("parameters") or {}
    values = {key.rsplit(".", 1)[1]: value for key, value in change["set"].items()}
    record = {"stage": ADD_WORKLOAD_ID, "set": {"parameters": values},
              "before": {"parameters": {k: parameters.get(k) for k in values}}}
    previous = record_of(spc)
    if previous:
        record["before"] = previous["before"]
    body = _identity(spc)
    body["metadata"]["annotations"] = {RECORD: _dumps(record)}
    body["spec"] = {"parameters": values}
    return body


def _replace_map(ops, keys, current, wanted):
    """Ops that turn the map at ``keys`` from ``current`` into ``wanted``, failing if it is no longer ``current``."""
    if current == wanted:
        return
    if current is None:
        ops.append({"op": "add", "path": _pointer(*keys), "value": copy.deepcopy(wanted)})
        return
    ops += [{"op": "test", "path": _pointer(*keys), "value": copy.deepcopy(current)},
            {"op": "add", "path": _pointer(*keys), "value": copy.deepcopy(wanted)}]


def label_removal_ops(obj):
    """The JSON patch (stage two) that removes the pod template's ``aadpodidbinding`` label and records its value;
    None when the label is gone already."""
    path = template_path(obj["kind"])
    labels = template_labels(obj)
    if POD_IDENTITY_LABEL not in labels:
        return None
    record = dict(record_of(obj) or {}, stage=REMOVE_LABEL)
    record["before"] = dict(record.get("before") or {}, podIdentityLabel=labels[POD_IDENTITY_LABEL])
    annotations = obj["metadata"].get("annotations") or {}
    ops = []
    _replace_map(ops, (*path, "metadata", "labels"), labels,
                 {k: v for k, v in labels.items() if k != POD_IDENTITY_LABEL})
    _replace_map(ops, ("metadata", "annotations"), annotations or None, dict(annotations, **{RECORD: _dumps(record)}))
    return ops


def _restore(current, recorded_set, before, kept, what):
    """``current`` (a map) with each key that still holds what the migration set put back to its value before."""
    restored = dict(current)
    for key, value in recorded_set.items():
        if current.get(key) != value:
            kept.append(f"{what} '{key}' was changed since the migration set it; left as it is")
            continue
        if before.get(key) is None:
            restored.pop(key, None)
        else:
            restored[key] = before[key]
    return restored


def undo_ops(obj):
    """(JSON patch, notes) that restore what the record on ``obj`` says the migration changed, and remove the
    record; a field changed since by someone else is left alone and named in the notes. None without a record."""
    record = record_of(obj)
    if record is None:
        return None, []
    kept, ops, before, done = [], [], record.get("before") or {}, record.get("set") or {}
    if obj["kind"] == "SecretProviderClass":
        parameters = (obj.get("spec") or {}).get("parameters") or {}
        _replace_map(ops, ("spec", "parameters"), parameters, _restore(
            parameters, done.get("parameters") or {}, before.get("parameters") or {}, kept, "parameter"))
    else:
        path = template_path(obj["kind"])
        template = pod_template(obj)
        meta, spec = template.get("metadata") or {}, template.get("spec") or {}
        labels = _restore(meta.get("labels") or {}, done.get("labels") or {}, before.get("labels") or {}, kept,
                          "label")
        if before.get("podIdentityLabel") is not None and POD_IDENTITY_LABEL not in labels:
            labels[POD_IDENTITY_LABEL] = before["podIdentityLabel"]
        _replace_map(ops, (*path, "metadata", "labels"), meta.get("labels"), labels)
        if done.get("annotations"):
            _replace_map(ops, (*path, "metadata", "annotations"), meta.get("annotations"), _restore(
                meta.get("annotations") or {}, done["annotations"], before.get("annotations") or {}, kept,
                "pod annotation"))
        account = spec.get("serviceAccountName")
        if account != done.get("serviceAccountName"):
            kept.append(f"serviceAccountName is '{account}', no longer what the migration set; left as it is")
        elif before.get("serviceAccountName") is None:
            ops += [{"op": "test", "path": _pointer(*path, "spec", "serviceAccountName"), "value": account},
                    {"op": "remove", "path": _pointer(*path, "spec", "serviceAccountName")}]
            if spec.get("serviceAccount") == account:  # the deprecated alias the API server fills in
                ops.append({"op": "remove", "path": _pointer(*path, "spec", "serviceAccount")})
        else:
            ops += [{"op": "test", "path": _pointer(*path, "spec", "serviceAccountName"), "value": account},
                    {"op": "add", "path": _pointer(*path, "spec", "serviceAccountName"),
                     "value": before["serviceAccountName"]}]
    annotations = obj["metadata"]["annotations"]
    ops += [{"op": "test", "path": _pointer("metadata", "annotations", RECORD), "value": annotations[RECORD]},
            {"op": "remove", "path": _pointer("metadata", "annotations", RECORD)}]
    return ops, kept
