# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The clusters that still use pod identity, through Azure Resource Graph: one query over up to 1,000 subscriptions
per request (the service's limit), every page followed with ``$skipToken``.

Resource Graph leaves out what the caller cannot read instead of refusing it: a subscription the caller holds no role
in gives no rows and no error. Each batch therefore also asks which of its subscriptions Resource Graph covers
(``ResourceContainers``); the others are listed through ARM, which names a refusal.

Resource Graph throttles per user and tells the quota on every answer (``x-ms-user-quota-remaining``, and when it
resets, ``x-ms-user-quota-resets-after``): once none is left the next request waits for the reset, and a 429 is waited
out as its Retry-After says. An answer that says ``resultTruncated`` without a way to the rest is a failure, never a
result. Its data can lag ARM's by a little.
"""
import time

from knack.log import get_logger

from azext_podidentity.arm import service_errors
from azext_podidentity.arm.retry import wait_as_told
from azext_podidentity.fleet.rows import graph_row

logger = get_logger(__name__)

API_VERSION = "2022-10-01"
URL = f"/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}"
MAX_SUBSCRIPTIONS_PER_QUERY = 1000
PAGE_SIZE = 1000
MAX_THROTTLED_RETRIES = 5
# Managed clusters whose pod identity is enabled or still holds entries; only what the rows need, and the id (which
# paging needs, and the resource group is read from).
QUERY = ("Resources"
         " | where type =~ 'Microsoft.ContainerService/managedClusters'"
         " | extend podIdentityEnabled = tobool(properties.podIdentityProfile.enabled),"
         " podIdentities = array_length(properties.podIdentityProfile.userAssignedIdentities),"
         " podIdentityExceptions = array_length(properties.podIdentityProfile.userAssignedIdentityExceptions)"
         " | where podIdentityEnabled == true or podIdentities > 0 or podIdentityExceptions > 0"
         " | project id, name, subscriptionId, location, podIdentityEnabled, podIdentities, podIdentityExceptions,"
         " oidcIssuerEnabled = tobool(properties.oidcIssuerProfile.enabled),"
         " workloadIdentityEnabled = tobool(properties.securityProfile.workloadIdentity.enabled)"
         " | order by id asc")
# The subscriptions of a batch that Resource Graph answers for (the ones the caller can read).
COVERED_QUERY = ("ResourceContainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId"
                 " | order by subscriptionId asc")


class QueryFailed(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def batches(subscription_ids):
    return [subscription_ids[i:i + MAX_SUBSCRIPTIONS_PER_QUERY]
            for i in range(0, len(subscription_ids), MAX_SUBSCRIPTIONS_PER_QUERY)]


def _seconds(hms):
    """``hh:mm:ss`` (the quota header's form) in seconds; 0 for anything else."""
    try:
        hours, minutes, seconds = (float(part) for part in (hms or "").split(":"))
    except ValueError:
        return 0.0
    return hours * 3600 + minutes * 60 + seconds


class Quota:
    """The per-user quota as the last answer told it: wait for its reset before a request it has no room for."""

    def __init__(self):
        self.remaining, self.resets_at = None, 0.0

    def before_request(self):
        if self.remaining is not None and self.remaining <= 0:
            delay = self.resets_at - time.monotonic()
            if delay > 0:
                logger.info("Resource Graph quota used up: waiting %.1f s for it to reset.", delay)
                wait_as_told(delay)
            self.remaining = None

    def after_response(self, response):
        remaining = response.headers.get("x-ms-user-quota-remaining")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
            self.resets_at = time.monotonic() + _seconds(response.headers.get("x-ms-user-quota-resets-after"))


def _post(client, body, quota):
    from azure.core.exceptions import AzureError

    from azext_podidentity.arm.sdk_models import send
    for attempt in range(MAX_THROTTLED_RETRIES + 1):
        quota.before_request()
        try:
            response = send(client, "POST", URL, body)
        except AzureError as ex:
            raise QueryFailed(str(ex)) from ex
        except ValueError as ex:
            # azure-mgmt-core answers a 409 MissingSubscriptionRegistration by registering the provider in the
            # request's subscription; a tenant-level query has none, and that policy raises this instead
            raise QueryFailed(f"Resource Graph could not be queried ({ex}): its provider may not be registered "
                              "(409 MissingSubscriptionRegistration).") from ex
        quota.after_response(response)
        if response.status_code != 429 or attempt == MAX_THROTTLED_RETRIES:
            return response
        delay = float(response.headers.get("Retry-After") or 0) or _seconds(
            response.headers.get("x-ms-user-quota-resets-after")) or 1.0
        logger.warning("Resource Graph throttled the query; trying again in %.0f s.", delay)
        wait_as_told(delay)
    return response


def query_batch(client, subscription_ids, quota, query=QUERY):
    """Every record of ``query`` over ``subscription_ids`` (at most 1,000), page after page."""
    records, token = [], None
    while True:
        options = {"resultFormat": "objectArray", "$top": PAGE_SIZE}
        if token:
            options["$skipToken"] = token
        response = _post(client, {"subscriptions": subscription_ids, "query": query, "options": options}, quota)
        try:
            page = response.json() if response.text() else {}
        except ValueError:
            page = {}
        if response.status_code >= 400:
            raise QueryFailed(service_errors.describe(service_errors.parse(page), response.status_code,
                                                      response.reason), response.status_code)
        records.extend(page.get("data") or [])
        token = page.get("$skipToken")
        if not token:
            if str(page.get("resultTruncated")).lower() == "true":
                raise QueryFailed(f"Resource Graph truncated its answer ({len(records)} of "
                                  f"{page.get('totalRecords')} records) and gave no way to the rest.")
            return records


def scan(client, subscription_ids):
    """(rows, failures, uncovered): failures are (batch number, its subscriptions, error) for the batches that failed;
    uncovered, the subscriptions of the other batches that Resource Graph does not answer for."""
    asked = {s.lower(): s for s in subscription_ids}
    rows, failures, uncovered, quota = [], [], [], Quota()
    for number, batch in enumerate(batches(subscription_ids), start=1):
        try:
            covered = {(record.get("subscriptionId") or "").lower()
                       for record in query_batch(client, batch, quota, COVERED_QUERY)}
            found = [graph_row(record, asked) for record in query_batch(client, batch, quota)]
        except QueryFailed as ex:
            failures.append((number, batch, ex))
            continue
        rows.extend(found)
        uncovered.extend(s for s in batch if s.lower() not in covered)
    return rows, failures, uncovered
