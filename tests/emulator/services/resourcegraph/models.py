"""Azure Resource Graph (``POST /providers/Microsoft.ResourceGraph/resources``), served from the emulator's own state.

Modelled on Resource Graph's public documentation (the REST reference of Resources - Resources, "Working with large
data sets", "Guidance for throttled requests"); no recording of it is at hand:
- the ``resources`` table holds every managed cluster of the requested subscriptions, with ``type`` and
  ``resourceGroup`` lower-cased as Resource Graph normalises them; ``resourcecontainers`` holds the requested
  subscriptions themselves (type ``microsoft.resources/subscriptions``); the query runs through ``query.run``;
- what the caller cannot read is left out, not refused: a subscription in which the caller holds no role gives no
  rows in either table and no error ("Resource Graph returns only the resources the caller has access to");
- at most 1,000 subscriptions per request; pages of ``options.$top`` rows (default 100, at most 1,000), the next one
  asked for with ``options.$skipToken``; an answer has ``totalRecords``, ``count``, ``data`` (object array),
  ``facets``, ``resultTruncated`` and, when more rows follow, ``$skipToken``;
- a per-user quota of ``graph_quota`` queries (documented default 15) per ``graph_window_seconds`` (5), told on every
  answer in ``x-ms-user-quota-remaining`` and ``x-ms-user-quota-resets-after`` (hh:mm:ss); past it a 429 with
  Retry-After and the code ``RateLimiting``.
Settings for the circumstances: ``graph_page_size`` (the service may answer fewer rows than ``$top``),
``resource_graph`` "available", "forbidden" (a principal allowed ARM reads but not
Resource Graph: 403 AuthorizationFailed) or "unregistered" (ARM's 409 MissingSubscriptionRegistration); and
``graph_truncate`` (an answer with ``resultTruncated: "true"`` and no ``$skipToken``). Resource Graph's lag behind
ARM is not modelled: it reads the clusters as they are.
"""
import base64
import math
import time

from ...errors import ArmError
from . import query

API_VERSIONS = ("2021-03-01", "2022-10-01", "2024-04-01")
MAX_SUBSCRIPTIONS = 1000
MAX_TOP = 1000


def _resource_group(resource_id):
    parts = resource_id.split("/")
    return parts[4].lower() if len(parts) > 4 else None


def _row(cluster, subscription):
    return {"id": cluster["id"], "name": cluster["name"], "type": cluster["type"].lower(),
            "tenantId": None, "kind": cluster.get("kind"), "location": cluster.get("location"),
            "resourceGroup": _resource_group(cluster["id"]), "subscriptionId": subscription.lower(),
            "managedBy": "", "sku": cluster.get("sku"), "plan": None, "properties": cluster.get("properties") or {},
            "tags": cluster.get("tags") or {}, "identity": cluster.get("identity"), "zones": None,
            "extendedLocation": None}


def _container(subscription):
    return {"id": subscription["id"], "name": subscription["subscriptionId"],
            "type": "microsoft.resources/subscriptions",
            "tenantId": subscription["tenantId"], "subscriptionId": subscription["subscriptionId"].lower(),
            "properties": {"state": subscription["state"]}}


class ResourceGraphBackend:
    def __init__(self, clusters, platform, settings):
        self.clusters = clusters
        self.platform = platform
        self.settings = settings
        self.queries = {}  # caller -> times of its queries within the window

    def _quota(self, caller):
        """(remaining after this query, seconds until the window resets); a 429 when none is left."""
        now = time.time()
        window = float(self.settings["graph_window_seconds"])
        recent = [t for t in self.queries.get(caller, []) if now - t < window]
        resets = (recent[0] + window - now) if recent else window
        if len(recent) >= int(self.settings["graph_quota"]):
            retry = max(1, math.ceil(resets))
            raise ArmError(429, "RateLimiting",
                           "Client application has been throttled and should not attempt to repeat the request "
                           "until an amount of time has elapsed.",
                           headers=dict(_quota_headers(0, resets), **{"Retry-After": str(retry)}))
        recent.append(now)
        self.queries[caller] = recent
        return int(self.settings["graph_quota"]) - len(recent), resets

    def resources(self, caller, body, api_version):
        """One page of a query's answer and the quota headers."""
        mode = self.settings["resource_graph"]
        if mode == "forbidden":
            raise ArmError(403, "AuthorizationFailed",
                           f"The client '{caller}' with object id '{caller}' does not have authorization to perform "
                           "action 'Microsoft.ResourceGraph/resources/read' over scope '/providers/"
                           "Microsoft.ResourceGraph' or the scope is invalid.")
        if mode == "unregistered":
            raise ArmError(409, "MissingSubscriptionRegistration",
                           "The subscription is not registered to use namespace 'Microsoft.ResourceGraph'.")
        if api_version not in API_VERSIONS:
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{api_version}' is invalid. The supported versions are "
                           f"'{', '.join(API_VERSIONS)}'.")
        subscriptions = [s.lower() for s in (body or {}).get("subscriptions") or []]
        if len(subscriptions) > MAX_SUBSCRIPTIONS:
            raise ArmError(400, "BadRequest", f"A query can be made over at most {MAX_SUBSCRIPTIONS} subscriptions; "
                                              f"{len(subscriptions)} were given.")
        options = (body or {}).get("options") or {}
        top = min(int(options.get("$top") or 100), MAX_TOP, int(self.settings["graph_page_size"]))
        remaining, resets = self._quota(caller)
        wanted = {s for s in subscriptions if s in self.platform.subscriptions and self.platform.readable(s)}
        tables = {"resources": [_row(c, sub) for (sub, _, _), c in self.clusters.clusters.items() if sub in wanted],
                  "resourcecontainers": [_container(self.platform.subscriptions[s]) for s in sorted(wanted)]}
        try:
            rows = query.run(body.get("query") or "", tables)
        except query.QueryError as ex:
            raise ArmError(400, "InvalidQuery", str(ex)) from ex
        start = int(base64.b64decode(options["$skipToken"]).decode()) if options.get("$skipToken") else 0
        page = rows[start:start + top]
        answer = {"totalRecords": len(rows), "count": len(page), "data": page, "facets": [],
                  "resultTruncated": "false"}
        if self.settings["graph_truncate"]:
            answer["resultTruncated"] = "true"
        elif start + top < len(rows):
            answer["$skipToken"] = base64.b64encode(str(start + top).encode()).decode()
        return answer, _quota_headers(remaining, resets)


def _quota_headers(remaining, resets_seconds):
    seconds = max(0, math.ceil(resets_seconds))
    return {"x-ms-user-quota-remaining": str(remaining),
            "x-ms-user-quota-resets-after": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"}
