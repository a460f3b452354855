# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The stages of `migrate --workloads`: what each one reads, asks, changes and says to do next.

``plan`` (the default) reads the workloads and changes none of them. ``add-workload-id`` (stage one) changes them
after the Azure half, once the user confirmed the list; ``verify`` reads their pods; ``remove-pod-identity-label``
(stage two) removes the label from the workloads verified as migrated; ``undo`` restores what the records say.
No terminal and no --yes: nothing is changed.
"""
from knack.log import get_logger

logger = get_logger(__name__)

PLAN, ADD_WORKLOAD_ID, VERIFY, REMOVE_LABEL, UNDO = (
    "plan", "add-workload-id", "verify", "remove-pod-identity-label", "undo")
STAGES = (PLAN, ADD_WORKLOAD_ID, VERIFY, REMOVE_LABEL, UNDO)
_FAILED = ("conflict", "not applied")


def open_for_change(cmd, client, resource_group_name, cluster_name, access):
    """A client of the cluster's API server that can change objects (close it when done)."""
    from azure.cli.core.azclierror import ArgumentUsageError

    from azext_podidentity.cluster.access import open_api
    if access.private and not access.kubeconfig:
        raise ArgumentUsageError(
            f"Cluster '{cluster_name}' is private: its workloads are changed only over a direct connection to its "
            "API server. Run from its network with --kubeconfig (az aks get-credentials writes one). Nothing was "
            "changed.")
    return open_api(cmd, client, resource_group_name, cluster_name, access)


def _describe(change):
    parts = []
    if change.get("serviceAccountName"):
        parts.append(f"serviceAccountName {change['serviceAccountName']['from']} -> "
                     f"{change['serviceAccountName']['to']}")
    parts += [f"label {k}={v}" for k, v in (change.get("addLabels") or {}).items()]
    parts += [f"annotation {k}={v}" for k, v in (change.get("addAnnotations") or {}).items()]
    return ", ".join(parts)


def _confirmed(summary, options):
    from azext_podidentity.profile.confirmation import user_confirms
    if options.dry_run or options.staging.yes:
        return True
    return user_confirms(summary)


def confirm_stage_one(cluster_name, items, planned, options):
    """Whether to go on with stage one: the user is shown every object it changes and asked, unless --yes."""
    from azext_podidentity.migration.plan import POD_IDENTITY_LABEL, cluster_objects
    lines = [f"Stage one of the move to Workload ID on cluster '{cluster_name}' applies these objects (the "
             f"{POD_IDENTITY_LABEL} label stays, so pods keep pod identity while they roll):"]
    for obj in cluster_objects(items):
        meta = obj["metadata"]
        lines.append(f"  {obj['kind']} {meta.get('namespace') + '/' if meta.get('namespace') else ''}{meta['name']}")
    for change in planned.output["secretProviderClasses"]:
        lines.append(f"  SecretProviderClass {change['namespace']}/{change['name']}: " + ", ".join(
            f"{k.rsplit('.', 1)[1]}={v}" for k, v in change["set"].items()))
    for change in planned.output["changes"]:
        if change["action"] == "patch":
            lines.append(f"  {change['kind']} {change['namespace']}/{change['name']} ({change['pods']} pod(s), "
                         f"re-created by its rollout): {_describe(change)}")
    new = sum(i["action"] == "create" for i in items)
    bindings = len({i["identityResourceId"].lower() for i in items if i["action"] == "create binding"})
    if new or bindings:
        lines.append(f"and in Azure creates {new} federated identity credential(s) and {bindings} identity "
                     "binding(s).")
    return _confirmed("\n".join(lines) + "\n", options)


def stage_one(api, planned, items, options):
    """Apply stage one; then, unless a dry run, verify what the pods show."""
    from azext_podidentity.migration import cluster_stages
    output = dict(planned.output, stage=ADD_WORKLOAD_ID)
    output.update(cluster_stages.apply_stage_one(api, planned, items, options.staging.force_conflicts,
                                                 options.dry_run))
    if not options.dry_run:
        output["verification"] = cluster_stages.verify(api, cluster_stages.recorded(api, options.selection))
    return output


def fail_on_failures(rows, cluster_name):
    """After the other objects were changed: an error naming each object a conflict kept unchanged."""
    from azure.cli.core.azclierror import AzureResponseError
    failed = [r for r in rows if r.get("result") in _FAILED]
    if not failed:
        return
    lines = []
    for row in failed:
        where = f"{row.get('namespace')}/" if row.get("namespace") else ""
        fields = ", ".join(f"{c['field']} (set by '{c['manager']}')" for c in row.get("conflicts") or [])
        lines.append(f"  {row['kind']} {where}{row['name']}: {fields or row.get('reason') or row.get('fix')}")
    raise AzureResponseError(
        f"{len(failed)} object(s) of cluster '{cluster_name}' were left unchanged:\n" + "\n".join(lines) + "\n"
        + (failed[0].get("fix") or "") + " The other objects were changed; running the command again changes "
        "only what is still to do.")


def stage_rows(workloads):
    """Every row of a stage-one output that says what happened to an object."""
    if not workloads or "stage" not in workloads:
        return []
    return [r for key in ("objects", "secretProviderClasses", "changes") for r in workloads.get(key) or []]


def run_recorded_stage(cmd, client, resource_group_name, cluster_name, options, access):
    """`verify`, `remove-pod-identity-label` and `undo`: on the objects that carry a migration record."""
    from azext_podidentity.cluster.access import open_api
    from azext_podidentity.migration import cluster_stages, verification
    stage, dry_run = options.staging.workloads, options.dry_run
    opener = open_api if stage == VERIFY else open_for_change
    with opener(cmd, client, resource_group_name, cluster_name, access) as api:
        found = cluster_stages.recorded(api, options.selection)
        if not found:
            logger.warning("No workload of cluster '%s' carries a migration record%s: run 'az aks pod-identity "
                           "migrate --workloads add-workload-id' first.", cluster_name,
                           " for the selected pod identities" if options.selection.name or
                           options.selection.namespace else "")
        rows = None
        if stage == VERIFY:
            rows = cluster_stages.verify(api, found)
        elif stage == REMOVE_LABEL:
            checked = cluster_stages.verify(api, found)
            # asked only when a label is to go (the others get rows that say why not, and no request)
            if not any(r["status"] == verification.MIGRATED for r in checked) or \
                    _confirmed(_removal_summary(cluster_name, checked), options):
                rows = cluster_stages.remove_labels(api, found, checked, dry_run)
        elif not found or _confirmed(_undo_summary(cluster_name, found), options):
            rows = cluster_stages.undo(api, found, dry_run)
    if rows is None:
        logger.warning("Nothing was changed.")
        return None
    result = {"cluster": cluster_name, "resourceGroup": resource_group_name, "stage": stage, "dryRun": dry_run,
              "workloads": rows, "nextSteps": next_steps(stage, resource_group_name, cluster_name, rows)}
    fail_on_failures(rows, cluster_name)
    return result


def _removal_summary(cluster_name, checked):
    from azext_podidentity.migration import verification
    from azext_podidentity.migration.plan import POD_IDENTITY_LABEL
    lines = [f"Stage two on cluster '{cluster_name}' removes the {POD_IDENTITY_LABEL} label from the pod templates "
             "of these workloads, verified as migrated (their pods are re-created without it):"]
    lines += [f"  {r['kind']} {r['namespace']}/{r['name']}" for r in checked if r["status"] == verification.MIGRATED]
    others = [r for r in checked if r["status"] != verification.MIGRATED]
    if others:
        lines.append("and keeps it on these, not verified:")
        lines += [f"  {r['kind']} {r['namespace']}/{r['name']}: {r['status']}" for r in others]
    return "\n".join(lines) + "\n"


def _undo_summary(cluster_name, found):
    lines = [f"Undo on cluster '{cluster_name}' restores what the migration changed on these objects (their pods "
             "are re-created as they were):"]
    lines += [f"  {o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}" for o in found]
    return "\n".join(lines) + "\n"


def next_steps(stage, resource_group_name, cluster_name, rows=()):
    from azext_podidentity.migration import verification
    base = f"az aks pod-identity migrate --resource-group {resource_group_name} --cluster-name {cluster_name}"
    if stage == ADD_WORKLOAD_ID:
        return [f"Wait for the rollouts, then check the pods: {base} --workloads verify",
                f"Once every workload reads 'migrated': {base} --workloads remove-pod-identity-label",
                f"To go back: {base} --workloads undo"]
    if stage == VERIFY:
        if rows and all(r["status"] == verification.MIGRATED for r in rows):
            return [f"Every workload is migrated: {base} --workloads remove-pod-identity-label"]
        return ["Fix what each workload's 'reason' says, then verify again."]
    if stage == REMOVE_LABEL:
        return ["Once no pod uses a pod identity, delete it (the command checks that first): az aks pod-identity "
                f"delete --resource-group {resource_group_name} --cluster-name {cluster_name} --namespace <namespace> "
                "--name <name>",
                "Once none is left, turn the add-on off: az aks update --resource-group "
                f"{resource_group_name} --name {cluster_name} --disable-pod-identity"]
    return ["The ServiceAccounts, RBAC objects and Azure credentials the migration made stay: they give nothing to "
            "pods that do not use them. Remove them when you no longer want them."]
