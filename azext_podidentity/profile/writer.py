# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The one read-modify-write path for every change of a cluster's pod identity profile.

GET the cluster, apply a pure edit to its profile, send nothing when the edit changes nothing, else PUT
the whole cluster with ``If-Match`` set to the eTag just read. When another writer got there first
(412, or AKS's 409 EtagMismatch) the cluster is read again and the same edit re-applied, so concurrent changes are
never lost; a busy cluster is waited for; a 409 that waiting cannot clear fails at once (``retry``).
"""
import functools
import time
from dataclasses import dataclass, field

from azure.cli.core.azclierror import AzureResponseError, InvalidArgumentValueError
from knack.log import get_logger

from azext_podidentity.arm import retry
from azext_podidentity.arm.sdk_models import from_rest, if_match_arguments, to_rest
from azext_podidentity.profile import edits as profile_edits

logger = get_logger(__name__)

GRANT_REPLICATION_WAIT_SECONDS = 120


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
    from azext_podidentity.grants.principals import cluster_principal_id
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
            return _write(target, cluster, before, after, own_grant, retries)
        except _ReadAgain:
            cluster = None  # the other writer or operation may have changed it


class _ReadAgain(Exception):
    """The write was refused in a way that waiting and re-applying the edit on a fresh read answers (retry)."""


def _write(target, cluster, before, after, own_grant, retries):
    from azure.cli.core.commands import LongRunningOperation
    from azure.core.exceptions import HttpResponseError
    cluster.pod_identity_profile = profile_model(target.cmd, after)
    poller = _begin_put(target, cluster, own_grant, after, before, retries)
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
    from azext_podidentity.profile.blocked_write import MISSING_GRANT
    message = str(error.message).lower()
    return (own_grant is not None and error.status_code == 400 and MISSING_GRANT in message
            and own_grant.identity_id.lower() in message)


def _begin_put(target, cluster, own_grant, profile, before, retries):
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
            if retries.after_refusal(ex, functools.partial(provisioning_state, target.client,
                                                           target.resource_group_name, target.cluster_name,
                                                           target.headers)):
                raise _ReadAgain() from ex
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
                from azext_podidentity.grants.principals import principal_id_or_none
                from azext_podidentity.profile.refused_write import raise_explained
                raise_explained(target, principal_id_or_none(identity_of(cluster)), profile, before, ex)
            attempt += 1
            delay = retry.sleep_before_retry(attempt, base=1.0, cap=10.0)
            logger.warning("The new 'Managed Identity Operator' role assignment is not visible to AKS yet; "
                           "retried after %.1f s (attempt %d).", delay, attempt)


def provisioning_state(client, resource_group_name, cluster_name, headers=None):
    """The cluster's provisioningState now, or None when it cannot be read (for deciding whether to wait)."""
    from azure.core.exceptions import HttpResponseError
    try:
        return client.get(resource_group_name, cluster_name, headers=headers or {}).provisioning_state
    except HttpResponseError:
        return None


def _raise_failed_entries(cluster, touched, operation_error):
    # Only the failed entries are converted: the profile can hold 200 of them.
    profile = cluster.pod_identity_profile if cluster is not None else None
    touched = set(touched)
    failures = [profile_edits.failure_message(to_rest(entry))
                for entry in (profile.user_assigned_identities or [] if profile is not None else [])
                if (entry.name, entry.namespace) in touched and entry.provisioning_state == "Failed"]
    if failures:
        raise AzureResponseError("\n".join(([operation_error] if operation_error else []) + failures))
