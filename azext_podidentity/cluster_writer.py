# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The one read-modify-write path for every change of a cluster's pod identity profile.

GET the cluster, apply a pure edit to its profile, send nothing when the edit changes nothing, else PUT
the whole cluster with ``If-Match`` set to the eTag just read. When another writer got there first
(412, or AKS's 409 EtagMismatch) the cluster is read again and the same edit re-applied, so concurrent changes are
never lost; a busy cluster is waited for; a 409 that waiting cannot clear fails at once (``retry``).
"""
import time
from dataclasses import dataclass, field

from azure.cli.core.azclierror import AzureResponseError, InvalidArgumentValueError
from knack.log import get_logger

from azext_podidentity import profile_edits
from azext_podidentity import retry
from azext_podidentity.sdk_models import from_rest, if_match_arguments, to_rest

logger = get_logger(__name__)

GRANT_REPLICATION_WAIT_SECONDS = 120
_NO_GRANT_YET = "no assignment permission over identity"


@dataclass
class OwnGrant:
    """The grant a change needs for the identity it adds: ``created`` names the one this command created (None when it
    found one in place); ``restore()`` makes sure one exists again and returns the name of a grant it created."""
    identity_id: str
    created: str = None
    restore: object = None


@dataclass
class ClusterTarget:
    cmd: object
    client: object
    resource_group_name: str
    cluster_name: str
    headers: dict = field(default_factory=dict)
    no_wait: bool = False


def get_cluster(target):
    return target.client.get(target.resource_group_name, target.cluster_name, headers=target.headers)


def profile_of(cluster):
    return to_rest(cluster.pod_identity_profile) or {}


def profile_model(cmd, profile):
    """The SDK model of a profile dict, of the API version the CLI's profile selects."""
    from azure.cli.core.profiles import ResourceType
    model = cmd.get_models("ManagedClusterPodIdentityProfile", resource_type=ResourceType.MGMT_CONTAINERSERVICE,
                           operation_group="managed_clusters")
    return from_rest(model, profile)


def identity_of(cluster):
    """The cluster's identity as a REST dict (cheap: not the whole cluster)."""
    return {"identity": to_rest(cluster.identity)}


def ensure_pod_identity_enabled(target, cluster):
    from azext_podidentity.role_grant import cluster_principal_id
    cluster_principal_id(identity_of(cluster))  # a service-principal cluster cannot use pod identity at all
    if cluster.pod_identity_profile is not None and cluster.pod_identity_profile.enabled:
        return
    kubenet = ((cluster.network_profile and cluster.network_profile.network_plugin) or "").lower() == "kubenet"
    command = (f"az aks update --resource-group {target.resource_group_name} --name {target.cluster_name} "
               "--enable-pod-identity" + (" --enable-pod-identity-with-kubenet" if kubenet else ""))
    raise InvalidArgumentValueError(
        f"Pod identity is not enabled on cluster '{target.cluster_name}'. Enable it first with:\n  {command}")


def apply_profile_edit(target, edit, cluster=None, own_grant=None, unchanged_message=None,
                       require_enabled=True, profile=None):
    """Apply ``edit`` (profile dict -> new profile dict, or None for no change); return the cluster.

    ``cluster`` is a copy just read, to save a GET, and ``profile`` its profile when the caller converted it
    already (a 200-entry profile costs tens of milliseconds on older SDKs); ``unchanged_message`` is logged when
    nothing changes. Removals pass ``require_enabled=False``: removing what is not there is a no-op even when pod
    identity is off.
    """
    retries = retry.WriteRetries(target.cmd.cli_ctx, target.cluster_name)
    while True:
        if cluster is None:
            cluster, profile = get_cluster(target), None
        if require_enabled:
            ensure_pod_identity_enabled(target, cluster)
        before = profile if profile is not None else profile_of(cluster)
        after = edit(before)
        if after is None:
            if unchanged_message:
                logger.warning(unchanged_message)
            return cluster
        try:
            return _write(target, cluster, before, after, own_grant)
        except _ClusterChanged:
            retries.after_conflict()
        except _ClusterBusy as busy:
            retries.after_busy(busy.error)
        cluster = None  # read again: the other writer or operation may have changed it


class _ClusterChanged(Exception):
    pass


class _ClusterBusy(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _write(target, cluster, before, after, own_grant):
    from azure.cli.core.commands import LongRunningOperation
    from azure.core.exceptions import HttpResponseError
    cluster.pod_identity_profile = profile_model(target.cmd, after)
    poller = _begin_put(target, cluster, own_grant, after, before)
    if target.no_wait:
        return None
    touched = profile_edits.changed_identities(before, after)
    try:
        result = LongRunningOperation(target.cmd.cli_ctx)(poller)
    except HttpResponseError as ex:
        try:
            current = get_cluster(target)
        except HttpResponseError:
            raise ex from None  # the operation's own error matters more than this read's
        _raise_failed_entries(current, touched, str(ex.message or ex))
        raise
    _raise_failed_entries(result, touched, None)
    return result


def _refused_for_own_grant(error, own_grant):
    message = str(error.message).lower()
    return (own_grant is not None and error.status_code == 400 and _NO_GRANT_YET in message
            and own_grant.identity_id.lower() in message)


def _begin_put(target, cluster, own_grant, profile, before):
    from azure.core.exceptions import HttpResponseError
    deadline = time.monotonic() + GRANT_REPLICATION_WAIT_SECONDS
    attempt = 0
    kwargs = if_match_arguments(target.client.begin_create_or_update, cluster.e_tag)
    if target.no_wait:
        kwargs["polling"] = False
    while True:
        try:
            return target.client.begin_create_or_update(
                target.resource_group_name, target.cluster_name, cluster, headers=target.headers, **kwargs)
        except HttpResponseError as ex:
            kind, state = retry.classify_refusal(ex, lambda: _provisioning_state(target))
            if kind == retry.CHANGED:
                raise _ClusterChanged() from ex
            if kind == retry.BUSY:
                raise _ClusterBusy(ex) from ex
            if kind == retry.BLOCKED:
                raise retry.blocked_error(ex, target.cluster_name, state) from ex
            own = _refused_for_own_grant(ex, own_grant)
            if own and not own_grant.created and own_grant.restore:
                # The grant was in place when this command looked; a concurrent delete may have removed it since.
                own_grant.created = own_grant.restore()
                if own_grant.created:
                    deadline = time.monotonic() + GRANT_REPLICATION_WAIT_SECONDS
                    logger.warning("The 'Managed Identity Operator' grant on '%s' was removed while this command ran "
                                   "(a concurrent delete?); it was created again.", own_grant.identity_id)
                    continue
            # A grant this command just created takes a while to reach AKS: wait for it, bounded.
            waiting = own and own_grant.created
            if not waiting or time.monotonic() >= deadline:
                _raise_with_blockers(target, cluster, profile, before, ex)
            attempt += 1
            delay = retry.sleep_before_retry(attempt, base=1.0, cap=10.0)
            logger.warning("The new 'Managed Identity Operator' role assignment is not visible to AKS yet; "
                           "retried after %.1f s (attempt %d).", delay, attempt)


def _provisioning_state(target):
    """The cluster's provisioningState now, or None when it cannot be read (for deciding whether to wait)."""
    from azure.core.exceptions import HttpResponseError
    try:
        return get_cluster(target).provisioning_state
    except HttpResponseError:
        return None


def _read_existence(cmd, entries, known):
    """lower-cased identity id -> whether it exists (None: unreadable), one GET per identity not in ``known``."""
    from azext_podidentity.identities import identity_exists
    found = dict(known)
    for entry in entries:
        identity_id = profile_edits.identity_id_of(entry)
        if identity_id and identity_id.lower() not in found:
            found[identity_id.lower()] = identity_exists(cmd, identity_id)
    return found


def _raise_with_blockers(target, cluster, profile, before, error):
    """A refused write: keep the service's code and message, and say what to do: the preview feature's commands
    when the service refused pod identity for it, else the pod identities that blocked the write."""
    from azext_podidentity import preview_feature
    explanation = None
    if error.status_code == 400:
        message = str(error.message)
        explanation = preview_feature.explain(target.cmd, message) or \
            _blocking_entries(target, cluster, profile, before, message)
    if not explanation:
        raise error
    raise AzureResponseError(f"{error.message}\n{explanation}") from error


def _blocking_entries(target, cluster, profile, before, message):
    """What blocked the write, or None. The service says "no assignment permission" both for a revoked grant and for an
    identity that was deleted, so each blocking identity is read once to tell which advice applies; when one is gone,
    so are the others read: the service names one blocker at a time, and several deleted identities are removed
    together."""
    from azext_podidentity import blocked_write
    from azext_podidentity.role_grant import principal_id_or_none
    existing = {}
    if blocked_write.MISSING_GRANT in message.lower():
        existing = _read_existence(target.cmd, blocked_write.blockers(message, profile), {})
        if False in existing.values():  # a deleted identity: are there others? they go together
            everyone = (before.get(profile_edits.IDENTITIES) or []) + (profile.get(profile_edits.IDENTITIES) or [])
            existing = _read_existence(target.cmd, everyone, existing)
    return blocked_write.explain(message, profile, target.resource_group_name, target.cluster_name,
                                 principal_id_or_none(identity_of(cluster)), existing, before)


def _raise_failed_entries(cluster, touched, operation_error):
    # Only the failed entries are converted: the profile can hold 200 of them.
    profile = cluster.pod_identity_profile if cluster is not None else None
    touched = set(touched)
    failures = [profile_edits.failure_message(to_rest(entry))
                for entry in (profile.user_assigned_identities or [] if profile is not None else [])
                if (entry.name, entry.namespace) in touched and entry.provisioning_state == "Failed"]
    if failures:
        raise AzureResponseError("\n".join(([operation_error] if operation_error else []) + failures))
