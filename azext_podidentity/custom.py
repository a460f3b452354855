# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Command handlers: thin, each one edit through the cluster writer. Arguments were validated already."""
from knack.log import get_logger

from azext_podidentity.arm.sdk_models import to_rest
from azext_podidentity.inputs.validation import parse_custom_headers
from azext_podidentity.profile import edits
from azext_podidentity.profile.writer import (ClusterTarget, OwnGrant, apply_profile_edit,
                                              ensure_pod_identity_enabled, get_cluster, identity_of, profile_of)

logger = get_logger(__name__)


def _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait=False):
    return ClusterTarget(cmd, client, resource_group_name, cluster_name,
                         parse_custom_headers(aks_custom_headers), no_wait)


def _output(cluster):
    """The cluster as `az aks show` prints it. The pod identity profile, which can hold 400 entries, is converted
    with the SDK's own serializer (the same camelCase names, nulls left out) rather than by azure-cli's todict, whose
    attribute-by-attribute walk made a command on a cluster with 199 identities 20 % slower."""
    if cluster is None:
        return None
    from azure.cli.command_modules.acs.custom import _remove_nulls
    from azure.cli.core.util import todict
    profile = cluster.pod_identity_profile
    cluster.pod_identity_profile = None
    result = todict(_remove_nulls([cluster])[0])
    result["podIdentityProfile"] = to_rest(profile)
    return result


def aks_pod_identity_add(cmd, client, resource_group_name, cluster_name, identity_namespace,
                         identity_resource_id, identity_name=None, binding_selector=None, no_wait=False,
                         aks_custom_headers=None):
    """Add a pod identity, or converge an existing one: restore its grant, refresh ids of a re-created identity.

    A re-run that finds everything right reads the cluster, the identity and its grants, and writes nothing.
    """
    from azext_podidentity.arm.identities import get_user_assigned_identity
    from azext_podidentity.grants.operator_role import ensure_operator_role
    from azext_podidentity.grants.principals import cluster_principal_id
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    cluster = get_cluster(target)
    ensure_pod_identity_enabled(target, cluster)
    current = profile_of(cluster)
    # A name taken by another identity is refused before anything else is read or written.
    edits.add_identity(current, edits.identity_entry(identity_name, identity_namespace, identity_resource_id,
                                                     binding_selector=binding_selector))
    identity = get_user_assigned_identity(cmd, identity_resource_id)
    principal_id = cluster_principal_id(identity_of(cluster))
    own_grant = OwnGrant(identity_resource_id, ensure_operator_role(cmd, principal_id, identity_resource_id),
                         restore=lambda: ensure_operator_role(cmd, principal_id, identity_resource_id))
    entry = edits.identity_entry(identity_name, identity_namespace, identity_resource_id, identity.client_id,
                                 identity.principal_id, binding_selector)
    existing = edits.find(current.get(edits.IDENTITIES), identity_name, identity_namespace)
    resend = own_grant.created is not None
    try:
        result = apply_profile_edit(
            target, lambda profile: edits.add_identity(profile, entry, resend=resend), cluster,
            own_grant=own_grant, profile=current,
            unchanged_message=f"Pod identity '{identity_name}' in namespace '{identity_namespace}' already exists "
                              "with this identity and binding selector, and its grant is in place; nothing to "
                              "change.")
    except Exception:
        if own_grant.created:
            _undo_grant_unless_used(target, principal_id, identity_resource_id)
        raise
    _warn_when_refreshed(existing, entry)
    return _output(result)


def _warn_when_refreshed(existing, entry):
    if existing is None or not existing.get("identity", {}).get("clientId"):
        return
    old, new = existing["identity"], entry["identity"]
    if edits.has_stale_ids(existing, entry):
        logger.warning("Pod identity '%s' in namespace '%s' had the client id %s of an earlier identity with this "
                       "resource id; it now uses the identity's current client id %s.", entry["name"],
                       entry["namespace"], old.get("clientId"), new.get("clientId"))


def _undo_grant_unless_used(target, principal_id, identity_resource_id):
    """The change failed: remove the grant this command created, unless the cluster now has a pod identity that
    uses the identity (a parallel add, or this add's entry that the service accepted and then failed)."""
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.grants.operator_role import undo_grant
    try:
        in_use = edits.uses_identity(profile_of(get_cluster(target)), identity_resource_id)
    except HttpResponseError:
        in_use = False  # nothing of this command's change can be there without the cluster answering
    if not in_use:
        undo_grant(target.cmd, principal_id, identity_resource_id)


def aks_pod_identity_delete(cmd, client, resource_group_name, cluster_name, identity_namespace, identity_name,
                            no_wait=False, yes=False, admin=False, kubeconfig=None, context=None,
                            aks_custom_headers=None):
    """Delete a pod identity; when no other pod identity of the cluster uses its identity, also the grant that
    `add` created for it. Running workloads whose pods use it are named first, and the user asked."""
    from azext_podidentity.cluster.access import access_for
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    cluster = get_cluster(target)
    sent = {}
    profile = profile_of(cluster)
    if edits.find(profile.get(edits.IDENTITIES), identity_name, identity_namespace) is not None and \
            not _removal_confirmed(cmd, client, resource_group_name, cluster_name, profile,
                                   [(identity_namespace, identity_name)],
                                   access_for(cluster, admin, kubeconfig, context),
                                   yes, f"Deleting pod identity '{identity_name}' in namespace "
                                        f"'{identity_namespace}'."):
        logger.warning("Nothing was changed.")
        return None

    def remove(profile):
        sent["removed"] = edits.find(profile.get(edits.IDENTITIES), identity_name, identity_namespace)
        sent["profile"] = edits.remove_identity(profile, identity_name, identity_namespace)
        return sent["profile"]

    result = apply_profile_edit(
        target, remove, cluster,
        unchanged_message=f"No pod identity named '{identity_name}' in namespace '{identity_namespace}'; "
                          "nothing to delete.", require_enabled=False)
    if sent.get("profile") is not None:
        _release_unused_grants(target, cluster, [sent["removed"]], result)
    return _output(result)


def _removal_confirmed(cmd, client, resource_group_name, cluster_name, profile, removed, access, yes, action,
                       always_ask=False):
    """Whether to go on removing the pod identities ``removed`` ((namespace, name) pairs): yes when no running pod
    uses them (or the cluster could not be read: a warning says so) unless ``always_ask``; else the user is shown
    the workloads and ``action`` and asked, unless --yes (then the workloads are named in a warning)."""
    from azext_podidentity.cluster.access import describe_users, workloads_using
    from azext_podidentity.profile.confirmation import user_confirms
    users = workloads_using(cmd, client, resource_group_name, cluster_name, profile, removed, access)
    if yes:
        if users:
            logger.warning("%s", describe_users(users).rstrip())
        return True
    if not users and not always_ask:
        return True
    return user_confirms((describe_users(users) if users else "") + action)


def _release_unused_grants(target, cluster, removed_entries, written):
    """Remove the grants `add` created for the identities of ``removed_entries`` that no pod identity uses now.

    Decided on the cluster as read after the write (``written``, the operation's final read, or a new GET), and
    checked again after each grant's removal: an `add` of the same identity that lands meanwhile gets its grant back.
    """
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.grants.operator_role import release_grants
    try:
        current = profile_of(written if written is not None else get_cluster(target))
    except HttpResponseError as ex:
        logger.warning("The change was made, but the cluster could not be read again to decide which 'Managed "
                       "Identity Operator' grants 'az aks pod-identity add' created are unused now, so all were kept: "
                       "%s", ex.message or ex)
        return
    unused = [e["identity"]["resourceId"] for e in removed_entries
              if not edits.uses_identity(current, e["identity"]["resourceId"])]
    release_grants(target.cmd, identity_of(cluster), unused,
                   still_used=lambda identity_id: edits.uses_identity(profile_of(get_cluster(target)), identity_id))


def aks_pod_identity_prune(cmd, client, resource_group_name, cluster_name, dry_run=False, yes=False, no_wait=False,
                           admin=False, kubeconfig=None, context=None, aks_custom_headers=None):
    """Remove, in one change, every pod identity whose identity no longer exists; then the grants `add` made."""
    from azext_podidentity.arm.identities import read_existence
    from azext_podidentity.cluster.access import access_for
    from azext_podidentity.drift import prune_plan
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    cluster = get_cluster(target)
    profile = profile_of(cluster)  # read before the write, which changes ``cluster``
    identity_ids = {edits.identity_id_of(e).lower(): edits.identity_id_of(e)
                    for e in profile.get(edits.IDENTITIES) or []}
    exists = read_existence(cmd, identity_ids.values())
    for key, found in exists.items():
        if found is None:
            logger.warning("Identity '%s' could not be read, so its pod identities are kept.", identity_ids[key])
    # exactly these go, even when the write is re-applied on a cluster read again
    to_remove = edits.entries_using(profile, [identity_ids[key] for key, found in exists.items() if found is False])
    plan = prune_plan.rows(to_remove)
    result = {"cluster": cluster_name, "resourceGroup": resource_group_name, "dryRun": dry_run,
              "podIdentities": plan}
    if not plan:
        logger.warning("Every pod identity of cluster '%s' has an identity that exists; nothing to remove.",
                       cluster_name)
        return result
    if dry_run:
        return prune_plan.mark(result, "would remove")
    if not _removal_confirmed(cmd, client, resource_group_name, cluster_name, profile,
                              [(e["namespace"], e["name"]) for e in to_remove],
                              access_for(cluster, admin, kubeconfig, context), yes,
                              prune_plan.confirmation(plan, cluster_name), always_ask=True):
        logger.warning("Nothing was changed.")
        return prune_plan.mark(result, "kept")
    written = apply_profile_edit(target, lambda current: edits.remove_entries(current, to_remove), cluster,
                                 require_enabled=False)
    _release_unused_grants(target, cluster, to_remove, written)
    return prune_plan.mark(result, "removal sent" if no_wait else "removed")


def aks_pod_identity_check(cmd, client, resource_group_name, cluster_name, admin=False, kubeconfig=None,
                           context=None, aks_custom_headers=None):
    """Read the cluster, then each identity once and its grants once, then the cluster's own API server; fail after
    printing when problems exist."""
    from azext_podidentity.cluster.access import access_for, read_in_cluster
    from azext_podidentity.drift import check as health_check
    from azext_podidentity.drift.identity_facts import read_identity_facts
    from azext_podidentity.grants.principals import principal_id_or_none
    cluster = get_cluster(_target(cmd, client, resource_group_name, cluster_name, aks_custom_headers))
    profile = profile_of(cluster)
    cluster_identity = identity_of(cluster)
    principal_id = principal_id_or_none(cluster_identity)
    identity_ids = {e["identity"]["resourceId"].lower(): e["identity"]["resourceId"]
                    for e in profile.get(edits.IDENTITIES) or []}
    facts = {key: read_identity_facts(cmd, identity_id, principal_id) for key, identity_id in identity_ids.items()}
    network_plugin = cluster.network_profile.network_plugin if cluster.network_profile is not None else None
    in_cluster = None
    if profile.get("enabled"):
        in_cluster = read_in_cluster(cmd, client, resource_group_name, cluster_name, profile,
                                     access_for(cluster, admin, kubeconfig, context))
    result = health_check.report(resource_group_name, cluster_name, cluster_identity, network_plugin, profile,
                                 facts, principal_id, in_cluster)
    if result["problems"]:
        _fail_after_output(cmd.cli_ctx, health_check.summary(result))
    return result


def _fail_after_output(cli_ctx, message):
    """Exit 1 once the report is printed, so that a pipeline can gate on `check` and still read what it found."""
    from azure.cli.core.azclierror import UnclassifiedUserFault
    from knack.events import EVENT_CLI_SUCCESSFUL_EXECUTE

    def fail(_cli_ctx, **_):
        raise UnclassifiedUserFault(message)
    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, fail)


def aks_pod_identity_list_clusters(cmd, subscriptions=None, engine="auto"):
    from azext_podidentity.fleet import scan as fleet_scan
    return fleet_scan.scan(cmd, fleet_scan.subscriptions_to_scan(cmd.cli_ctx, subscriptions), engine)


def aks_pod_identity_list_workloads(cmd, client, resource_group_name, cluster_name, admin=False, kubeconfig=None,
                                    context=None, aks_custom_headers=None):
    """The cluster's pod identities with the workloads whose pods use them, the pods whose label matches none, and
    the pods each exception exempts."""
    from azext_podidentity.cluster.access import access_for, read_inventory
    cluster = get_cluster(_target(cmd, client, resource_group_name, cluster_name, aks_custom_headers))
    found = read_inventory(cmd, client, resource_group_name, cluster_name, profile_of(cluster),
                           access_for(cluster, admin, kubeconfig, context))
    return dict({"cluster": cluster_name, "resourceGroup": resource_group_name}, **found)


def aks_pod_identity_list(cmd, client, resource_group_name, cluster_name, aks_custom_headers=None):
    return _output(get_cluster(_target(cmd, client, resource_group_name, cluster_name, aks_custom_headers)))


def aks_pod_identity_wait(cmd, client, resource_group_name, cluster_name, identity_namespace, identity_name,
                          created=False, updated=False, deleted=False, exists=False, custom=None, interval=30,
                          timeout=3600, aks_custom_headers=None):
    from azure.cli.core.azclierror import AzureResponseError
    from azure.cli.core.commands.arm import verify_property

    from azext_podidentity.arm.retry import poll
    from azext_podidentity.drift import wait_conditions
    condition = wait_conditions.chosen_condition(created, updated, deleted, exists, custom)
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers)

    def done():
        entry = edits.find(profile_of(get_cluster(target)).get(edits.IDENTITIES), identity_name, identity_namespace)
        return wait_conditions.reached(entry, condition, entry is not None and condition == "custom"
                                       and verify_property(entry, custom))

    if not poll(done, interval, timeout):
        raise AzureResponseError(f"Pod identity '{identity_name}' in namespace '{identity_namespace}' did not "
                                 f"reach the wait condition --{condition} within {timeout} seconds.")


def aks_pod_identity_exception_wait(cmd, client, resource_group_name, cluster_name, aks_custom_headers=None):
    """The cluster, for core's wait: exception changes are done when the cluster's operation is."""
    return get_cluster(_target(cmd, client, resource_group_name, cluster_name, aks_custom_headers))


def aks_pod_identity_exception_add(cmd, client, resource_group_name, cluster_name, exc_namespace, exc_name,
                                   pod_labels, no_wait=False, aks_custom_headers=None):
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    return _output(apply_profile_edit(
        target, lambda profile: edits.add_exception(profile, exc_name, exc_namespace, pod_labels),
        unchanged_message=f"Pod identity exception '{exc_name}' in namespace '{exc_namespace}' already exists with "
                          "these pod labels; nothing to change."))


def aks_pod_identity_exception_update(cmd, client, resource_group_name, cluster_name, exc_namespace, exc_name,
                                      pod_labels, no_wait=False, aks_custom_headers=None):
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    return _output(apply_profile_edit(
        target, lambda profile: edits.update_exception(profile, exc_name, exc_namespace, pod_labels),
        unchanged_message=f"Pod identity exception '{exc_name}' in namespace '{exc_namespace}' already has these pod "
                          "labels; nothing to change."))


def aks_pod_identity_exception_delete(cmd, client, resource_group_name, cluster_name, exc_namespace, exc_name,
                                      no_wait=False, aks_custom_headers=None):
    target = _target(cmd, client, resource_group_name, cluster_name, aks_custom_headers, no_wait)
    return _output(apply_profile_edit(
        target, lambda profile: edits.remove_exception(profile, exc_name, exc_namespace),
        unchanged_message=f"No pod identity exception named '{exc_name}' in namespace '{exc_namespace}'; "
                          "nothing to delete.", require_enabled=False))


def aks_pod_identity_exception_list(cmd, client, resource_group_name, cluster_name, aks_custom_headers=None):
    return aks_pod_identity_list(cmd, client, resource_group_name, cluster_name, aks_custom_headers)


def aks_pod_identity_migrate(cmd, client, resource_group_name, cluster_name, identity_namespace=None,
                             identity_name=None, service_account=None, manifest_file=None, dry_run=False,
                             proxy_sidecar=False, proxy_sidecar_port=None, strategy="auto", no_wait=False,
                             workloads="plan", yes=False, force_conflicts=False, patch_tool_owned=False,
                             admin=False, kubeconfig=None, context=None, aks_custom_headers=None):
    from azext_podidentity.cluster.access import access_for
    from azext_podidentity.migration import run as migration_run
    cluster = get_cluster(_target(cmd, client, resource_group_name, cluster_name, aks_custom_headers))
    return migration_run.run(cmd, client, cluster, resource_group_name, cluster_name, migration_run.Options(
        migration_run.Selection(identity_namespace, identity_name, service_account), manifest_file, dry_run,
        migration_run.sidecar_port(proxy_sidecar, proxy_sidecar_port), strategy, no_wait,
        migration_run.Staging(workloads, yes, force_conflicts, patch_tool_owned)),
        access_for(cluster, admin, kubeconfig, context))
