# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Find the clusters that still use pod identity across subscriptions, through one of two engines.

ARM: the subscription-wide listing of managed clusters, every page by its nextLink, subscriptions scanned
concurrently; exact and current, one request per subscription and page. Resource Graph (``resource_graph``): one
query per 1,000 subscriptions; the better engine for many subscriptions, its data possibly a little behind ARM's.
``auto`` takes Resource Graph past ARM_SUBSCRIPTIONS_AT_MOST subscriptions. Either way the same rows, in the same
order; no SDK model is built. When Resource Graph is refused (no permission, provider missing), or one of its
batches fails, those subscriptions are listed through ARM instead, with a warning that names them. A subscription
that cannot be listed through ARM is named in a warning; the others are reported.
"""
import re
from concurrent.futures import ThreadPoolExecutor

from azure.cli.core.azclierror import AzureResponseError
from knack.log import get_logger

from azext_podidentity.fleet.rows import pod_identity_row, sorted_rows

logger = get_logger(__name__)

# Each subscription's pages come one after the other (each page names the next); this many subscriptions at once.
MAX_PARALLEL_SUBSCRIPTIONS = 8
# `--engine auto`: up to this many subscriptions (three rounds of parallel listings), ARM; past it, Resource Graph.
ARM_SUBSCRIPTIONS_AT_MOST = 24
ENGINES = ("auto", "arm", "resource-graph")


class _ListingFailed(Exception):
    pass


def subscriptions_to_scan(cli_ctx, named=None):
    """The subscription ids named (ids, or names known to `az account list`), else every enabled subscription of
    the signed-in account in the current cloud; each once."""
    from azure.cli.core._profile import Profile

    from azext_podidentity.inputs.validation import GUID
    profile = Profile(cli_ctx=cli_ctx)
    if named:
        ids = [value if re.fullmatch(GUID, value) else profile.get_subscription(value)["id"] for value in named]
    else:
        ids = [s["id"] for s in profile.load_cached_subscriptions() if s.get("state") == "Enabled"]
    return list({i.lower(): i for i in ids}.values())


def scan(cmd, subscription_ids, engine="auto"):
    if engine == "resource-graph" or (engine == "auto" and len(subscription_ids) > ARM_SUBSCRIPTIONS_AT_MOST):
        rows, left = _scan_through_resource_graph(cmd, subscription_ids)
    else:
        rows, left = [], subscription_ids
    if left:
        # an error only when no subscription at all could be scanned, by either engine
        rows += _scan_through_arm(cmd, left, none_scanned_is_an_error=len(left) == len(subscription_ids))
    return sorted_rows(rows)


def _by_tenant(cli_ctx, subscription_ids):
    """The subscriptions grouped by their tenant (a token, so a client and a Resource Graph query, is per tenant),
    each group with one SDK client: building a client costs tens of milliseconds, thousands of them minutes."""
    from azure.cli.core._profile import Profile
    from azure.cli.core.profiles import ResourceType

    from azext_podidentity.arm.clients import client_for
    tenants = {s["id"].lower(): s.get("tenantId") for s in Profile(cli_ctx=cli_ctx).load_cached_subscriptions()}
    groups = {}
    for subscription_id in subscription_ids:
        tenant = tenants.get(subscription_id.lower()) or f"unknown:{subscription_id}"
        groups.setdefault(tenant, []).append(subscription_id)
    return [(client_for(cli_ctx, ResourceType.MGMT_CONTAINERSERVICE, group[0]), group) for group in groups.values()]


def _scan_through_resource_graph(cmd, subscription_ids):
    """(rows, the subscriptions still to list through ARM)."""
    from azext_podidentity.fleet import resource_graph
    rows, left = [], []
    for client, group in _by_tenant(cmd.cli_ctx, subscription_ids):
        found, failures, uncovered = resource_graph.scan(client, group)
        rows.extend(found)
        if uncovered:
            shown = ", ".join(uncovered[:10]) + (f" and {len(uncovered) - 10} more" if len(uncovered) > 10 else "")
            logger.warning("Resource Graph gave no answer for %d subscription(s) (it leaves out what the caller "
                           "cannot read): %s\nListing them through ARM instead.", len(uncovered), shown)
            left.extend(uncovered)
        for number, batch, error in failures:
            logger.warning("Resource Graph did not answer for batch %d of %d (%d subscriptions, %s to %s): %s\n"
                           "Listing those subscriptions through ARM instead.", number,
                           len(resource_graph.batches(group)), len(batch), batch[0], batch[-1], error)
            left.extend(batch)
    return rows, left


def _scan_through_arm(cmd, subscription_ids, none_scanned_is_an_error=True):
    clients = {s: client for client, group in _by_tenant(cmd.cli_ctx, subscription_ids) for s in group}

    def one(subscription_id):
        try:
            return _scan_subscription(clients[subscription_id], subscription_id), None
        except _ListingFailed as ex:
            return [], str(ex)

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_SUBSCRIPTIONS, len(subscription_ids)))) as pool:
        outcomes = dict(zip(subscription_ids, pool.map(one, subscription_ids)))
    failed = {s: error for s, (_, error) in outcomes.items() if error}
    for subscription_id, error in failed.items():
        logger.warning("Subscription '%s' was not scanned: %s", subscription_id, error)
    if none_scanned_is_an_error and subscription_ids and len(failed) == len(subscription_ids):
        raise AzureResponseError("No subscription could be scanned:\n" + "\n".join(
            f"  {s}: {error}" for s, error in failed.items()))
    return [row for rows, _ in outcomes.values() for row in rows]


def _scan_subscription(client, subscription_id):
    from azure.core.exceptions import AzureError

    from azext_podidentity.arm.sdk_models import managed_clusters_api_version, send_get
    url = (f"/subscriptions/{subscription_id}/providers/Microsoft.ContainerService/managedClusters"
           f"?api-version={managed_clusters_api_version(client)}")
    rows = []
    while url:
        try:
            response = send_get(client, url)
        except AzureError as ex:
            raise _ListingFailed(str(ex)) from ex
        if response.status_code >= 400:
            raise _ListingFailed(_error_of(response))
        page = response.json()
        rows.extend(row for row in (pod_identity_row(c, subscription_id) for c in page.get("value") or []) if row)
        url = page.get("nextLink")
    return rows


def _error_of(response):
    """The service's code and message, whether its error is wrapped in ``error`` (ARM) or not (AKS)."""
    from azext_podidentity.arm import service_errors
    try:
        body = response.json()
    except ValueError:
        body = None
    return service_errors.describe(service_errors.parse(body), response.status_code, response.reason)
