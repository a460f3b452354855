# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Changing the in-cluster half of a migration, a stage at a time, with the user's own cluster credential.

Stage one (``add-workload-id``) applies the ServiceAccounts (and the RBAC objects of identity bindings) first, since
pods cannot be created for a service account that does not exist, then the SecretProviderClasses, then each
workload's pod template: one request per object, each one whole or not at all. ``verify`` reads the pods;
stage two (``remove-pod-identity-label``) removes the label from the workloads verified as migrated, and ``undo``
restores what the records on the objects say. Those three find their workloads by the records alone, so that they
work from any machine, after any number of runs.
"""
from azext_podidentity.cluster.api import ApplyConflict
from azext_podidentity.migration import verification, workload_changes as wc, workload_edits as we

# kind -> (resource, API group) of every kind a stage changes (all at v1)
_RESOURCES = dict(wc.RESOURCES, SecretProviderClass=wc.SPC_RESOURCE, ServiceAccount=("serviceaccounts", ""),
                  ClusterRole=("clusterroles", "rbac.authorization.k8s.io"),
                  ClusterRoleBinding=("clusterrolebindings", "rbac.authorization.k8s.io"))


def _names(obj):
    meta = obj["metadata"]
    row = {"kind": obj["kind"], "name": meta["name"]}
    if meta.get("namespace"):
        row["namespace"] = meta["namespace"]
    return row


def _row(obj, result, **extra):
    return dict(_names(obj), result=result, **extra)


def _conflict(ex):
    if ex.fields:
        return {"conflicts": ex.fields, "fix": (
            "Another field manager set these fields to other values: change them where that manager sets them "
            "(its manifest or chart), or run again with --force-conflicts to take them over (its next apply "
            "reverts them).")}
    return {"conflicts": [], "fix": f"The object changed while this ran ({ex}): run the command again."}


def _apply(api, body, force, dry_run):
    resource, group = _RESOURCES[body["kind"]]
    try:
        api.apply(resource, body, group, field_manager=we.FIELD_MANAGER, force=force, dry_run=dry_run)
    except ApplyConflict as ex:
        return _row(body, "conflict", **_conflict(ex))
    return _row(body, "would apply" if dry_run else "applied")


def apply_stage_one(api, planned, items, force=False, dry_run=False):
    """Apply stage one of ``planned`` (cluster_half.Planned) for the migration ``items``; rows per object."""
    from azext_podidentity.migration.plan import cluster_objects
    objects, accounts_failed = [], set()
    for obj in cluster_objects(items):
        row = _apply(api, obj, force, dry_run)
        objects.append(row)
        if obj["kind"] == "ServiceAccount" and row["result"] == "conflict":
            accounts_failed.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))
    classes = []
    for change in planned.output["secretProviderClasses"]:
        spc = planned.classes[(change["namespace"], change["name"])]
        classes.append(dict(change, **_apply(api, we.spc_body(spc, change), force, dry_run)))
    by_name = {(i["namespace"], i["name"]): i for i in items}
    for change in planned.output["changes"]:
        if change["action"] != "patch":
            continue
        item = by_name[(change["namespace"], change["podIdentity"])]
        account = item["podChanges"]["serviceAccountName"]
        if (change["namespace"], account) in accounts_failed:
            change.update(result="not applied", reason=f"service account '{account}' was not applied (conflict)")
            continue
        obj = planned.objects[(change["kind"], change["namespace"], change["name"])]
        body = we.stage_one_body(obj, item["podChanges"], f"{item['namespace']}/{item['name']}")
        row = _apply(api, body, force, dry_run)
        change.update({k: v for k, v in row.items() if k not in ("kind", "name", "namespace")})
    return {"objects": objects, "secretProviderClasses": classes}


def _selected(record, selection):
    namespace, _, name = (record.get("podIdentity") or "/").partition("/")
    return (not selection.namespace or selection.namespace == namespace) and \
        (not selection.name or selection.name == name)


def recorded(api, selection):
    """The workloads and SecretProviderClasses that carry a migration record, for the selected pod identities."""
    found = []
    from azext_podidentity.migration.cluster_half import patched_workloads
    for obj in patched_workloads(api).values():
        record = we.record_of(obj)
        if record and _selected(record, selection):
            found.append(obj)
    if not selection.name:  # a class serves every workload that mounts it, whichever pod identity it had
        for obj in api.list(wc.SPC_RESOURCE[0], group=wc.SPC_RESOURCE[1], missing_ok=True):
            if we.record_of(obj) and (not selection.namespace or obj["metadata"]["namespace"] == selection.namespace):
                found.append(dict(obj, kind="SecretProviderClass", apiVersion=f"{wc.SPC_RESOURCE[1]}/v1"))
    return found


def verify(api, workloads):
    """A verification row per recorded workload: what its pods show (verification.status)."""
    from azext_podidentity.cluster import inventory, reader
    from azext_podidentity.migration.plan import USE_LABEL
    pods = {}
    for selector in (inventory.LABEL, USE_LABEL):
        for pod in api.list("pods", label_selector=selector):
            pods[pod["metadata"].get("uid") or pod["metadata"]["name"]] = pod
    owners = reader.owners_of(api, pods.values())
    by_workload = {}
    for pod in pods.values():
        by_workload.setdefault((pod["metadata"].get("namespace"), *inventory.top_owner(pod, owners)), []).append(pod)
    accounts = reader.service_account_annotations(api, {w["metadata"]["namespace"] for w in workloads})
    webhook = verification.webhook_installed(api.list("mutatingwebhookconfigurations",
                                                      group="admissionregistration.k8s.io"))
    rows = []
    for obj in workloads:
        if obj["kind"] == "SecretProviderClass":
            continue
        meta, record = obj["metadata"], we.record_of(obj)
        pods_of = by_workload.get((meta["namespace"], obj["kind"], meta["name"]), [])
        rows.append(dict(_names(obj), podIdentity=record.get("podIdentity"), stage=record.get("stage"),
                         **verification.status((record.get("set") or {}).get("serviceAccountName"), pods_of,
                                               accounts, webhook)))
    return rows


def remove_labels(api, workloads, checked, dry_run=False):
    """Stage two: remove the ``aadpodidbinding`` label from each workload verified as migrated (``checked``: the
    verification rows); rows per workload, the others with why not."""
    status = {(r["kind"], r["namespace"], r["name"]): r for r in checked}
    rows = []
    for obj in workloads:
        if obj["kind"] == "SecretProviderClass":
            continue
        meta = obj["metadata"]
        check = status[(obj["kind"], meta["namespace"], meta["name"])]
        ops = we.label_removal_ops(obj)
        if ops is None:
            rows.append(_row(obj, "unchanged", reason="the label is gone already"))
        elif check["status"] != verification.MIGRATED:
            rows.append(_row(obj, "not changed", reason=f"{check['status']}: {check.get('reason')}. Its pods "
                                                        "would lose their Azure identity without the label."))
        else:
            rows.append(_patch(api, obj, ops, dry_run))
    return rows


def _patch(api, obj, ops, dry_run, **extra):
    meta = obj["metadata"]
    resource, group = _RESOURCES[obj["kind"]]
    try:
        api.json_patch(resource, meta.get("namespace"), meta["name"], ops, group, field_manager=we.FIELD_MANAGER,
                       dry_run=dry_run)
    except ApplyConflict as ex:
        return _row(obj, "conflict", **_conflict(ex), **extra)
    return _row(obj, "would change" if dry_run else "changed", **extra)


def undo(api, found, dry_run=False):
    """Restore each recorded object as its record says; rows per object."""
    rows = []
    for obj in found:
        ops, kept = we.undo_ops(obj)
        extra = {"kept": kept} if kept else {}
        rows.append(_patch(api, obj, ops, dry_run, **extra))
    return rows
