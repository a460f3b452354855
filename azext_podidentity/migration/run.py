# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""`az aks pod-identity migrate`: read what the plan needs, choose each identity's strategy, then make the changes.

Reads first (the cluster, each identity's credentials, and the cluster's identity bindings only when one may be
needed), plans (``migration_plan``, pure: every check before any change), then writes: an identity binding per
identity that uses one (reused when the cluster has one for it), and one credential at a time for the others.
"""
from dataclasses import dataclass, field

from knack.log import get_logger

from azext_podidentity.arm.sdk_models import to_rest
from azext_podidentity.migration import plan as mp, stage_flow as stages

logger = get_logger(__name__)


@dataclass
class Selection:
    """Which pod identities move, and to which service account (None: each one's name)."""
    namespace: str = None
    name: str = None
    service_account: str = None


@dataclass
class Staging:
    """What to do in the cluster (``workloads``: a stage_flow stage), and how."""
    workloads: str = stages.PLAN
    yes: bool = False
    force_conflicts: bool = False
    patch_tool_owned: bool = False


@dataclass
class Options:
    selection: Selection
    manifest_file: str = None
    dry_run: bool = False
    proxy_sidecar_port: int = None  # None: no proxy sidecar
    strategy: str = mp.AUTO
    no_wait: bool = False
    staging: Staging = field(default_factory=Staging)


def _issuer(cluster, resource_group_name, cluster_name):
    return mp.issuer_of({"properties": {"oidcIssuerProfile": to_rest(cluster.oidc_issuer_profile),
                                        "securityProfile": to_rest(cluster.security_profile)}},
                        resource_group_name, cluster_name)


class _ClusterBindings:
    """The cluster's identity bindings, listed at most once and only when one may be used; ``unavailable`` holds why
    there are none to be had (this azure-cli, or the service), once that is known."""

    def __init__(self, cmd, resource_group_name, cluster_name):
        self.cmd, self.resource_group_name, self.cluster_name = cmd, resource_group_name, cluster_name
        self._listed, self.unavailable = None, None

    def listed(self):
        """The bindings as REST dicts; raises BindingsUnavailable."""
        from azext_podidentity.migration import identity_bindings
        if self.unavailable is not None:
            raise self.unavailable
        if self._listed is None:
            try:
                self._listed = identity_bindings.list_bindings(self.cmd, self.resource_group_name, self.cluster_name)
            except identity_bindings.BindingsUnavailable as ex:
                self.unavailable = ex
                raise
        return self._listed

    def available(self):
        from azext_podidentity.migration import identity_bindings
        try:
            self.listed()
        except identity_bindings.BindingsUnavailable:
            return False
        return True

    def known(self):
        """The bindings, when listed already (else None: the plan then knows of none)."""
        return self._listed


def _strategies(cluster_bindings, demand, existing, requested, identity_ids):
    """Each identity's strategy: bindings are listed only when one may be used; when they are not available, `auto`
    falls back to credentials where all 20 fit, and what cannot fit is an error naming why."""
    from azext_podidentity.migration import identity_bindings
    strategies = mp.choose_strategies(demand, existing, requested)
    if all(strategy == mp.FEDERATED_CREDENTIAL for strategy, _ in strategies.values()):
        return strategies
    try:
        cluster_bindings.listed()
        return strategies
    except identity_bindings.BindingsUnavailable as unavailable:
        if requested != mp.AUTO:
            raise
        strategies = mp.choose_strategies(demand, existing, requested, bindings_supported=False)
        for key, (strategy, _) in strategies.items():
            if strategy == mp.IDENTITY_BINDING:
                raise mp.over_the_limit_without_bindings(identity_ids[key], len(existing.get(key, [])), demand[key],
                                                         unavailable.reason) from unavailable
        return strategies


def _tenant(cmd, bindings, identity_id):
    from azext_podidentity.arm.identities import get_user_assigned_identity
    from azext_podidentity.migration import identity_bindings
    known = ((identity_bindings.binding_for(bindings, identity_id) or {}).get("properties") or {})
    tenant = (known.get("managedIdentity") or {}).get("tenantId")
    return tenant or get_user_assigned_identity(cmd, identity_id).tenant_id


def _make_bindings(cmd, resource_group_name, cluster_name, items, dry_run, no_wait):
    """Create the planned bindings (one per identity); fill in the issuer each one reports."""
    made = {}
    for item in items:
        if item["action"] != "create binding":
            continue
        key = item["identityResourceId"].lower()
        if not dry_run and key not in made:
            made[key] = _create_binding(cmd, resource_group_name, cluster_name, item, no_wait)
        binding = made.get(key)
        item["issuer"] = mp.binding_issuer(binding)
        item["action"] = "would create binding" if dry_run else "binding created"


def _create_binding(cmd, resource_group_name, cluster_name, item, no_wait):
    """Create one binding. AKS needs a free credential on the identity unless it made its own already: a refusal
    while the identity is full without it, which other migrations running at once fill and then give back (see
    _make_credentials), is tried again for up to two minutes."""
    from azure.cli.core.azclierror import AzureResponseError

    from azext_podidentity.arm import service_errors
    from azext_podidentity.arm.identities import CREDENTIAL_WRITE_WAIT_SECONDS, list_credentials
    from azext_podidentity.arm.retry import retry_transient
    from azext_podidentity.migration.identity_bindings import create_binding
    identity_id = item["identityResourceId"]

    def no_room(error):
        return error.status_code == 400 and mp.full_without_binding_credential(list_credentials(cmd, identity_id))

    def give_up(error):
        return AzureResponseError(
            f"{service_errors.describe(service_errors.of_exception(error))}\nIdentity '{identity_id}' holds "
            f"{mp.MAX_CREDENTIALS_PER_IDENTITY} federated credentials, none of them AKS's '{mp.BINDING_CREDENTIAL}', "
            "so no identity binding can be made. Remove a credential the identity no longer needs, then run the "
            "command again.")

    def announce(delay, attempt):
        logger.warning("Identity '%s' has no free federated credential for AKS's binding credential yet (other "
                       "migrations at once?); retried after %.1f s (attempt %d).", identity_id, delay, attempt)
    return retry_transient(lambda: create_binding(cmd, resource_group_name, cluster_name, item["identityBinding"],
                                                  identity_id, no_wait),
                           no_room, CREDENTIAL_WRITE_WAIT_SECONDS, give_up, announce)


def _make_credentials(cmd, items, identity_ids, dry_run, may_move_to_binding):
    """Create the planned credentials, one at a time (each once: pod identities may share one); return the lower-cased
    ids of the identities that this run moved off credentials (``identity_ids``: lower-cased id -> id).

    With ``may_move_to_binding`` (`auto`; it says whether the cluster can have bindings), each identity is read again
    once this run's credentials are on it: migrations of other clusters running at once may have filled it too. When
    it holds all 20 without AKS's binding credential (or refused one more), and a binding can be made, this run
    deletes the credentials it created there and that identity moves to a binding: no identity is left full with no
    way to a binding.
    """
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.arm.identities import create_credential, delete_credential, list_credentials

    def filled(key):
        return mp.full_without_binding_credential(list_credentials(cmd, identity_ids[key])) and \
            may_move_to_binding()
    created, crossed = {}, set()
    for item in items:
        key = item["identityResourceId"].lower()
        if item["action"] != "create" or key in crossed:
            continue
        item["action"] = "would create" if dry_run else "created"
        if dry_run or item["credentialName"] in created.get(key, ()):
            continue
        try:
            create_credential(cmd, item["identityResourceId"], item["credentialName"], item["issuer"],
                              item["subject"], item["audience"])
        except HttpResponseError as ex:
            if ex.status_code != 400 or not may_move_to_binding or not filled(key):
                raise
            crossed.add(key)
            continue
        created.setdefault(key, []).append(item["credentialName"])
    if may_move_to_binding:
        crossed |= {key for key in created if filled(key)}
    for key in crossed:
        for name in created.get(key, ()):
            delete_credential(cmd, identity_ids[key], name)
        logger.warning("Identity '%s' filled up while this migration ran (other migrations at once?): the credentials "
                       "this run created there were removed again, and it moves to an identity binding.",
                       identity_ids[key])
    return crossed


def _to_bindings(cmd, items, identity_ids, crossed, bindings):
    """Move the items of the ``crossed`` identities to the identity's binding (``bindings``: the cluster's)."""
    from azext_podidentity.migration import identity_bindings
    for key in crossed:
        identity_id = identity_ids[key]
        binding, tenant = identity_bindings.binding_for(bindings, identity_id), _tenant(cmd, bindings, identity_id)
        for item in items:
            if item["identityResourceId"].lower() == key:
                mp.use_binding(item, "other migrations filled the identity's federated credentials while this one "
                                     "ran: a binding adds none", binding, tenant)


def _pod_identities(cmd, client, cluster, resource_group_name, cluster_name, access):
    """(profile, skipped): ARM's pod identity profile; on a cluster without the add-on's pod identities, those of
    aad-pod-identity installed from its chart, read off the cluster (standard mode), and the bindings skipped."""
    from azure.cli.core.azclierror import AzCLIError

    from azext_podidentity.cluster.access import open_api
    from azext_podidentity.migration import cluster_half
    from azext_podidentity.profile.writer import profile_of
    profile = profile_of(cluster)
    if profile.get("enabled") or profile.get("userAssignedIdentities") or access is None:
        return profile, None
    try:
        with open_api(cmd, client, resource_group_name, cluster_name, access) as api:
            read = cluster_half.read_standard_mode(api)
    except AzCLIError as ex:
        logger.warning("Cluster '%s' has no pod identity add-on, and its API server could not be read to look for "
                       "aad-pod-identity installed from its chart: %s", cluster_name, ex)
        return profile, None
    if read is None:
        return profile, None
    for skip in read[1]:
        logger.warning("%s is not migrated: %s.", skip["binding"], skip["reason"])
    return read


def _plan_azure(cmd, cluster, resource_group_name, cluster_name, profile, options):
    """(issuer, items, identity ids by lower-cased id, the cluster's bindings) of the Azure half: reads only."""
    from azext_podidentity.arm.identities import list_credentials
    from azext_podidentity.migration import identity_bindings
    issuer = _issuer(cluster, resource_group_name, cluster_name)
    entries = mp.select(profile, options.selection.namespace, options.selection.name)
    identity_ids = {e["identity"]["resourceId"].lower(): e["identity"]["resourceId"] for e in entries}
    existing = {key: list_credentials(cmd, resource_id) for key, resource_id in identity_ids.items()}
    demand = mp.credential_demand(entries, issuer, cluster_name, existing, options.selection.service_account)
    cluster_bindings = _ClusterBindings(cmd, resource_group_name, cluster_name)
    strategies = _strategies(cluster_bindings, demand, existing, options.strategy, identity_ids)
    bindings = cluster_bindings.known()
    items = mp.plan(entries, issuer, cluster_name, existing, options.selection.service_account,
                    options.proxy_sidecar_port,
                    strategies, {key: identity_bindings.binding_for(bindings, identity_id)
                                 for key, identity_id in identity_ids.items()},
                    {key: _tenant(cmd, bindings, identity_ids[key]) for key, (strategy, _) in strategies.items()
                     if strategy == mp.IDENTITY_BINDING})
    return issuer, items, identity_ids, cluster_bindings


def _write_azure(cmd, resource_group_name, cluster_name, items, identity_ids, cluster_bindings, options):
    _make_bindings(cmd, resource_group_name, cluster_name, items, options.dry_run, options.no_wait)
    crossed = _make_credentials(cmd, items, identity_ids, options.dry_run,
                                cluster_bindings.available if options.strategy == mp.AUTO else None)
    if crossed:
        _to_bindings(cmd, items, identity_ids, crossed, cluster_bindings.listed())
        _make_bindings(cmd, resource_group_name, cluster_name, items, options.dry_run, options.no_wait)


def migrate(cmd, client, cluster, resource_group_name, cluster_name, options, access=None):
    """``access``: how to read the cluster's workloads (cluster.access.ClusterAccess), or None not to read them.
    At stage one (``options.staging``), the workloads are changed too, after the Azure half."""
    from azext_podidentity.migration import cluster_half
    profile, skipped = _pod_identities(cmd, client, cluster, resource_group_name, cluster_name, access)
    issuer, items, identity_ids, cluster_bindings = _plan_azure(cmd, cluster, resource_group_name, cluster_name,
                                                                profile, options)
    # read before any change: what the cluster holds is seen before Azure is changed
    if options.staging.workloads == stages.ADD_WORKLOAD_ID:
        with stages.open_for_change(cmd, client, resource_group_name, cluster_name, access) as api:
            planned = cluster_half.plan_with(api, profile, items, options.staging.patch_tool_owned)
            if not stages.confirm_stage_one(cluster_name, items, planned, options):
                logger.warning("Nothing was changed.")
                return None
            _write_azure(cmd, resource_group_name, cluster_name, items, identity_ids, cluster_bindings, options)
            workloads = stages.stage_one(api, planned, items, options)
    else:
        planned = None if access is None else cluster_half.plan(
            cmd, client, resource_group_name, cluster_name, profile, items, access,
            options.staging.patch_tool_owned)
        _write_azure(cmd, resource_group_name, cluster_name, items, identity_ids, cluster_bindings, options)
        workloads = planned and planned.output
    result = _result(resource_group_name, cluster_name, issuer, items, options)
    if workloads is not None:
        result["workloads"] = workloads
    if skipped is not None:
        result["podIdentitySource"] = "cluster: aad-pod-identity installed from its chart (standard mode)"
        result["skipped"] = skipped
    if options.staging.workloads == stages.ADD_WORKLOAD_ID:
        result["nextSteps"] = stages.next_steps(stages.ADD_WORKLOAD_ID, resource_group_name, cluster_name)
        stages.fail_on_failures(stages.stage_rows(workloads), cluster_name)
    return result


def sidecar_port(proxy_sidecar, port):
    """The proxy sidecar's port, or None without --proxy-sidecar."""
    return (port or mp.DEFAULT_PROXY_PORT) if proxy_sidecar else None


def run(cmd, client, cluster, resource_group_name, cluster_name, options, access):
    """The command: the migration, or a stage that works on the recorded workloads alone."""
    if options.staging.workloads in (stages.VERIFY, stages.REMOVE_LABEL, stages.UNDO):
        return stages.run_recorded_stage(cmd, client, resource_group_name, cluster_name, options, access)
    return migrate(cmd, client, cluster, resource_group_name, cluster_name, options, access)


def _result(resource_group_name, cluster_name, issuer, items, options):
    manifest = mp.manifest(items)
    written = options.manifest_file if not options.dry_run else None
    if written:
        with open(written, "w", encoding="utf-8") as f:
            f.write(manifest)
    result = {"cluster": cluster_name, "resourceGroup": resource_group_name, "issuer": issuer,
              "dryRun": options.dry_run, "podIdentities": items, "manifestFile": written,
              "nextSteps": mp.next_steps(items, resource_group_name, cluster_name, written)}
    if options.dry_run or not options.manifest_file:
        result["manifest"] = manifest
    if options.proxy_sidecar_port:
        result["proxySidecarCaveats"] = list(mp.PROXY_SIDECAR_CAVEATS)
        logger.warning("--proxy-sidecar: %s", " ".join(mp.PROXY_SIDECAR_CAVEATS))
    return result
