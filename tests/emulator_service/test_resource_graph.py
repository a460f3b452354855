"""The emulator's Resource Graph: the query subset evaluated on its own cluster state, paging, the per-user quota."""
import time

import pytest

QUERY = ("Resources | where type =~ 'Microsoft.ContainerService/managedClusters' "
         "| extend n = array_length(properties.podIdentityProfile.userAssignedIdentities) "
         "| where tobool(properties.podIdentityProfile.enabled) == true or n > 0 "
         "| project id, name, n, oidc = tobool(properties.oidcIssuerProfile.enabled) | order by id asc")


def graph(emulator, body, api_version="2022-10-01"):
    return emulator.arm("POST", "/providers/Microsoft.ResourceGraph/resources", body, api_version=api_version)


@pytest.fixture
def clusters(emulator, names):
    identity = emulator.seed_identity(names.identity_rg, "app")
    entry = {"name": "p", "namespace": "ns", "identity": {"resourceId": identity["id"]}}
    emulator.seed_cluster(names.rg, "with", pod_identity={"enabled": True, "userAssignedIdentities": [entry]},
                          oidc_issuer=True)
    emulator.seed_cluster(names.rg, "enabledonly", pod_identity={"enabled": True})
    emulator.seed_cluster(names.rg, "without")
    return names


def rows(emulator, query=QUERY, **options):
    status, headers, body = graph(emulator, {"subscriptions": [emulator.subscription], "query": query,
                                             "options": options})
    assert status == 200, body
    return body, headers


def test_the_query_filters_and_projects_from_the_emulator_state(emulator, clusters):
    body, headers = rows(emulator)
    mine = [r for r in body["data"] if f"/resourcegroups/{clusters.rg}/" in r["id"].lower()]
    assert [(r["name"], r["n"], r["oidc"]) for r in mine] == [("enabledonly", None, False), ("with", 1, True)]
    assert set(mine[0]) == {"id", "name", "n", "oidc"}
    assert body["resultTruncated"] == "false" and body["count"] == len(body["data"])
    assert int(headers["x-ms-user-quota-remaining"]) < 15 and headers["x-ms-user-quota-resets-after"] == "00:00:05"


def test_a_wrong_filter_gives_a_wrong_answer_and_a_query_it_cannot_parse_is_a_400(emulator, clusters):
    body, _ = rows(emulator, QUERY.replace("=~", "=="))  # case-sensitive: the type is lower-cased
    assert body["data"] == []
    status, _, error = graph(emulator, {"subscriptions": [emulator.subscription], "query": "Resources | summarize"})
    assert status == 400 and error["error"]["code"] == "InvalidQuery"


def test_pages_follow_the_skip_token(emulator, clusters):
    listing = "Resources | project id | order by id asc"
    first, _ = rows(emulator, listing, **{"$top": 2})
    assert first["count"] == 2 and first["$skipToken"]
    second, _ = rows(emulator, listing, **{"$top": 2, "$skipToken": first["$skipToken"]})
    assert second["data"][0]["id"] > first["data"][-1]["id"]


def test_the_quota_is_enforced_per_window_with_retry_after(emulator, clusters):
    emulator.settings(graph_quota=2, graph_window_seconds=2)
    time.sleep(2)  # a fresh window
    assert rows(emulator)[1]["x-ms-user-quota-remaining"] == "1"
    assert rows(emulator)[1]["x-ms-user-quota-remaining"] == "0"
    status, headers, error = graph(emulator, {"subscriptions": [emulator.subscription], "query": QUERY})
    assert status == 429 and error["error"]["code"] == "RateLimiting" and int(headers["Retry-After"]) >= 1


@pytest.mark.parametrize("mode,status,code", [("forbidden", 403, "AuthorizationFailed"),
                                              ("unregistered", 409, "MissingSubscriptionRegistration")])
def test_a_refused_resource_graph(emulator, clusters, mode, status, code):
    emulator.settings(resource_graph=mode)
    got, _, error = graph(emulator, {"subscriptions": [emulator.subscription], "query": QUERY})
    assert (got, error["error"]["code"]) == (status, code)


def test_at_most_1000_subscriptions_a_request(emulator):
    status, _, error = graph(emulator, {"subscriptions": [f"s{i}" for i in range(1001)], "query": "Resources"})
    assert status == 400 and "at most 1000" in error["error"]["message"]
