# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""`az aks pod-identity migrate`: read what the plan needs, choose each identity's strategy, then make the changes.

Reads first (the cluster, each identity's credentials, and the cluster's identity bindings only when one may be
needed), plans (``migration_plan``, pure: every check before any change), then writes: an identity binding per
identity that uses one (reused when the cluster has one for it), and one credential at a time for the others.
"""
from dataclasses import dataclass

from knack.log import get_logger

from azext_podidentity import migration_plan as mp
from azext_podidentity.sdk_models import to_rest

logger = get_logger(__name__)


@dataclass
class Selection:
    """Which pod identities move, and to which service account (None: each one's name)."""
    namespace: str = None
    name: str = None
    service_account: str = None


@dataclass
class Options:
    selection: Selection
    manifest_file: str = None
    dry_run: bool = False
    proxy_sidecar: bool = False
    proxy_sidecar_port: int = None
    strategy: str = mp.AUTO
    no_wait: bool = False


def _issuer(cluster, resource_group_name, cluster_name):
    return mp.issuer_of({"properties": {"oidcIssuerProfile": to_rest(cluster.oidc_issuer_profile),
                                        "securityProfile": to_rest(cluster.security_profile)}},
                        resource_group_name, cluster_name)


def _strategies(cmd, resource_group_name, cluster_name, demand, existing, requested):
    """(strategies, the cluster's bindings or None): bindings are listed only when one may be used; when they are
    not available, `auto` falls back to credentials where they fit, and what cannot fit is an error naming why."""
    from azext_podidentity import identity_bindings
    strategies = mp.choose_strategies(demand, existing, requested)
    if all(strategy == mp.FEDERATED_CREDENTIAL for strategy, _ in strategies.values()):
        return strategies, None
    try:
        return strategies, identity_bindings.list_bindings(cmd, resource_group_name, cluster_name)
    except identity_bindings.BindingsUnavailable:
        if requested != mp.AUTO:
            raise
        strategies = mp.choose_strategies(demand, existing, requested, bindings_supported=False)
        if any(strategy == mp.IDENTITY_BINDING for strategy, _ in strategies.values()):
            raise
        return strategies, None


def _tenants(cmd, strategies, identity_ids, bindings):
    from azext_podidentity import identity_bindings
    from azext_podidentity.identities import get_user_assigned_identity
    tenants = {}
    for key, (strategy, _) in strategies.items():
        if strategy == mp.IDENTITY_BINDING:
            known = ((identity_bindings.binding_for(bindings, identity_ids[key]) or {}).get("properties") or {})
            tenants[key] = (known.get("managedIdentity") or {}).get("tenantId") or \
                get_user_assigned_identity(cmd, identity_ids[key]).tenant_id
    return tenants


def _make_bindings(cmd, resource_group_name, cluster_name, items, dry_run, no_wait):
    """Create the planned bindings (one per identity); fill in the issuer each one reports."""
    from azext_podidentity.identity_bindings import create_binding
    made = {}
    for item in items:
        if item["action"] != "create binding":
            continue
        key = item["identityResourceId"].lower()
        if not dry_run and key not in made:
            made[key] = create_binding(cmd, resource_group_name, cluster_name, item["identityBinding"],
                                       item["identityResourceId"], no_wait)
        binding = made.get(key)
        item["issuer"] = ((binding or {}).get("properties") or {}).get("oidcIssuer", {}).get("oidcIssuerUrl")
        item["action"] = "would create binding" if dry_run else "binding created"


def _make_credentials(cmd, items, dry_run):
    """Create the planned credentials, one at a time (each once: pod identities may share one)."""
    from azext_podidentity.identities import create_credential
    created = set()
    for item in items:
        key = (item["identityResourceId"].lower(), item["credentialName"])
        if item["action"] == "create":
            if not dry_run and key not in created:
                create_credential(cmd, item["identityResourceId"], item["credentialName"], item["issuer"],
                                  item["subject"], item["audience"])
                created.add(key)
            item["action"] = "would create" if dry_run else "created"


def migrate(cmd, cluster, resource_group_name, cluster_name, options):
    from azext_podidentity import identity_bindings
    from azext_podidentity.cluster_writer import profile_of
    from azext_podidentity.identities import list_credentials
    issuer = _issuer(cluster, resource_group_name, cluster_name)
    selection = options.selection
    entries = mp.select(profile_of(cluster), selection.namespace, selection.name)
    identity_ids = {e["identity"]["resourceId"].lower(): e["identity"]["resourceId"] for e in entries}
    existing = {key: list_credentials(cmd, resource_id) for key, resource_id in identity_ids.items()}
    demand = mp.credential_demand(entries, issuer, cluster_name, existing, selection.service_account)
    strategies, bindings = _strategies(cmd, resource_group_name, cluster_name, demand, existing, options.strategy)
    port = (options.proxy_sidecar_port or mp.DEFAULT_PROXY_PORT) if options.proxy_sidecar else None
    items = mp.plan(entries, issuer, cluster_name, existing, selection.service_account, port, strategies,
                    {key: identity_bindings.binding_for(bindings, identity_id)
                     for key, identity_id in identity_ids.items()},
                    _tenants(cmd, strategies, identity_ids, bindings))
    _make_bindings(cmd, resource_group_name, cluster_name, items, options.dry_run, options.no_wait)
    _make_credentials(cmd, items, options.dry_run)
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
    if options.proxy_sidecar:
        result["proxySidecarCaveats"] = list(mp.PROXY_SIDECAR_CAVEATS)
        logger.warning("--proxy-sidecar: %s", " ".join(mp.PROXY_SIDECAR_CAVEATS))
    return result
