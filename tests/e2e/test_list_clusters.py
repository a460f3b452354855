"""`az aks pod-identity list-clusters`: the clusters that still use pod identity, over 300 clusters in two
subscriptions whose listings come in several pages."""
import math
import time

import pytest

OTHER_SUBSCRIPTION = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
PAGE_SIZE = 40
LISTING = "/providers/Microsoft.ContainerService/managedClusters"


@pytest.fixture(scope="module")
def fleet(emulator):
    """180 clusters in the default subscription and 120 in the other; every third one uses pod identity, some with
    pod identities and exceptions, some ready for Workload ID. Returns the rows expected, in the expected order."""
    expected = []
    for subscription, count in ((emulator.subscription, 180), (OTHER_SUBSCRIPTION, 120)):
        identity = emulator.seed_identity("fleet-ids", "shared", subscription=subscription)
        for i in range(count):
            group, name = f"fleet-{i % 7}", f"c{i:03d}"
            uses = i % 3 == 0
            entries = [{"name": f"p{n}", "namespace": "apps", "identity": {"resourceId": identity["id"]}}
                       for n in range(i % 4)] if uses else []
            exceptions = [{"name": "legacy", "namespace": "apps", "podLabels": {"app": "legacy"}}] if i % 6 == 0 \
                else []
            ready = i % 9 == 0
            emulator.seed_cluster(group, name, subscription=subscription, oidc_issuer=ready, workload_identity=ready,
                                  pod_identity={"enabled": True, "userAssignedIdentities": entries,
                                                "userAssignedIdentityExceptions": exceptions} if uses else None)
            if uses:
                expected.append({"name": name, "resourceGroup": group, "subscriptionId": subscription,
                                 "podIdentities": len(entries), "podIdentityExceptions": len(exceptions),
                                 "oidcIssuerEnabled": ready, "workloadIdentityEnabled": ready})
    expected.sort(key=lambda r: (r["subscriptionId"], r["resourceGroup"], r["name"]))
    return expected


@pytest.fixture(autouse=True)
def _pages(emulator):
    emulator.settings(list_page_size=PAGE_SIZE)


def reported(rows):
    keys = ("name", "resourceGroup", "subscriptionId", "podIdentities", "podIdentityExceptions", "oidcIssuerEnabled",
            "workloadIdentityEnabled")
    return [{k: row[k] for k in keys} for row in rows]


def test_every_cluster_using_pod_identity_in_both_subscriptions_every_page(az, emulator, fleet):
    result = az.ok("aks", "pod-identity", "list-clusters")
    assert reported(result.json) == fleet
    assert len(fleet) == 100 and {r["subscriptionId"] for r in fleet} == {emulator.subscription, OTHER_SUBSCRIPTION}
    listings = emulator.arm_requests("GET", LISTING)
    assert sorted(r["path"].split("/")[2] for r in listings) == sorted(
        [emulator.subscription] * math.ceil(180 / PAGE_SIZE) + [OTHER_SUBSCRIPTION] * math.ceil(120 / PAGE_SIZE))
    assert {r["query"].get("$skipToken") for r in listings} == {None, "40", "80", "120", "160"}
    assert len(emulator.arm_requests()) == len(listings)  # nothing but the listings


def test_table_and_one_named_subscription(az, emulator, fleet):
    table = az.ok("aks", "pod-identity", "list-clusters", "--subscriptions", OTHER_SUBSCRIPTION, "-o", "table")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Subscription", "ResourceGroup", "Name", "PodIdentities", "Exceptions",
                                "OidcIssuer", "WorkloadIdentity"]
    expected = [r for r in fleet if r["subscriptionId"] == OTHER_SUBSCRIPTION]
    assert [line.split()[:3] for line in lines[2:]] == [[r["subscriptionId"], r["resourceGroup"], r["name"]]
                                                        for r in expected]
    assert {r["path"].split("/")[2] for r in emulator.arm_requests("GET", LISTING)} == {OTHER_SUBSCRIPTION}


@pytest.mark.parametrize("shape", ["arm", "aks"])  # {"error": {...}} from ARM, unwrapped from the AKS provider
def test_a_subscription_that_refuses_is_named_and_the_others_are_reported(az, emulator, fleet, shape):
    message = ("The client does not have authorization to perform action "
               "'Microsoft.ContainerService/managedClusters/read'.")
    emulator.add_fault(method="GET", path=f"/subscriptions/{OTHER_SUBSCRIPTION}{LISTING}$", status=403, shape=shape,
                       code="AuthorizationFailed", message=message, count=1)
    result = az.ok("aks", "pod-identity", "list-clusters")
    assert f"Subscription '{OTHER_SUBSCRIPTION}' was not scanned: (AuthorizationFailed) {message}" in result.stderr
    assert reported(result.json) == [r for r in fleet if r["subscriptionId"] == emulator.subscription]


def test_when_no_subscription_can_be_scanned_the_command_fails(az, emulator, fleet):
    emulator.add_fault(method="GET", path=f"{LISTING}$", status=403, code="AuthorizationFailed",
                       message="no read", count=2)
    result = az("aks", "pod-identity", "list-clusters")
    assert result.exit_code == 1 and result.stdout.strip() == ""
    assert "No subscription could be scanned" in result.stderr


def test_throttling_is_obeyed_and_nothing_is_missed(az, emulator, fleet):
    emulator.add_fault(method="GET", path=f"/subscriptions/{emulator.subscription}{LISTING}$", status=429,
                       code="TooManyRequests", message="Too many requests.", retry_after=1, count=2)
    result = az.ok("aks", "pod-identity", "list-clusters")
    assert reported(result.json) == fleet
    throttled = [r for r in emulator.requests() if r.get("fault")]
    assert len(throttled) == 2


# ----- through Azure Resource Graph

GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def graph_queries(emulator):
    return emulator.arm_requests("POST", GRAPH)


def test_resource_graph_gives_the_same_rows_in_the_same_order_in_a_few_requests(az, emulator, fleet):
    through_arm = az.ok("aks", "pod-identity", "list-clusters", "--engine", "arm").json
    emulator.call("DELETE", "/_emulator/requests")
    emulator.settings(graph_page_size=30)  # the service may page below what was asked for: every page is followed
    through_graph = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph").json
    assert through_graph == through_arm and reported(through_graph) == fleet
    queries = graph_queries(emulator)
    assert len(emulator.arm_requests()) == len(queries)
    (covered,) = [q for q in queries if q["body"]["query"].startswith("ResourceContainers")]  # which it answers for
    pages = [q for q in queries if q is not covered]
    assert len(pages) == math.ceil(len(fleet) / 30)
    for query in queries:
        assert sorted(query["body"]["subscriptions"]) == sorted([emulator.subscription, OTHER_SUBSCRIPTION])
        assert query["query"]["api-version"] == "2022-10-01"
    assert [bool(q["body"]["options"].get("$skipToken")) for q in pages] == [False] + [True] * (len(pages) - 1)


def test_auto_lists_a_few_subscriptions_through_arm(az, emulator, fleet):
    az.ok("aks", "pod-identity", "list-clusters")
    assert graph_queries(emulator) == [] and emulator.arm_requests("GET", LISTING)


@pytest.mark.parametrize("mode,says", [("forbidden", "(AuthorizationFailed)"),
                                       ("unregistered", "MissingSubscriptionRegistration")])
def test_a_refused_resource_graph_falls_back_to_arm_with_a_warning(az, emulator, fleet, mode, says):
    emulator.settings(resource_graph=mode)
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert "Resource Graph did not answer for batch 1 of 1 (2 subscriptions" in result.stderr and says in result.stderr
    assert "Listing those subscriptions through ARM instead." in result.stderr
    assert reported(result.json) == fleet and emulator.arm_requests("GET", LISTING)


def test_a_truncated_answer_is_never_taken_for_the_result(az, emulator, fleet):
    emulator.settings(resource_graph="available", graph_truncate=True)
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert "Resource Graph truncated its answer" in result.stderr
    assert reported(result.json) == fleet  # completed through ARM


def test_the_quota_is_obeyed_without_ever_exceeding_it(az, emulator, fleet):
    emulator.settings(graph_page_size=25, graph_quota=2, graph_window_seconds=2)
    time.sleep(2)  # a fresh window
    started = time.monotonic()
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert reported(result.json) == fleet
    # which subscriptions it covers, then 4 pages; no 429: it waited for the reset
    assert [q["status"] for q in graph_queries(emulator)] == [200] * 5
    assert time.monotonic() - started >= 2


def test_a_throttled_query_is_waited_out(az, emulator, fleet):
    emulator.add_fault(method="POST", path=GRAPH, status=429, code="RateLimiting", message="Throttled.", retry_after=1)
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert reported(result.json) == fleet
    assert [q["status"] for q in graph_queries(emulator)][:2] == [429, 200]


def test_resource_graph_names_the_subscriptions_it_leaves_out_and_arm_names_the_refusal(
        az, emulator, fleet, tmp_path):
    """Resource Graph leaves out, without an error, a subscription the caller holds no role in: the ARM engine names
    it, and so must this one."""
    (closed,) = emulator.call("POST", "/_emulator/subscriptions", {"count": 1, "readable": False})["added"]
    other = az.with_extension_dir(az.extension_dir, str(tmp_path / "config"))
    other.login()  # its account list has the closed subscription
    emulator.call("DELETE", "/_emulator/requests")
    result = other.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert reported(result.json) == fleet
    assert "Resource Graph gave no answer for 1 subscription(s)" in result.stderr and closed in result.stderr
    assert f"Subscription '{closed}' was not scanned: (AuthorizationFailed)" in result.stderr
    (listing,) = emulator.arm_requests("GET", LISTING)  # only the closed one goes through ARM
    assert closed in listing["path"]


def test_a_resource_graph_failure_keeps_the_reason_it_gives_in_its_details(az, emulator, fleet):
    emulator.add_fault(method="POST", path=GRAPH, count=10, status=500, code="InternalServerError",
                       message="Please provide below info when asking for support: timestamp = "
                               "2026-12-03T10:00:00.000Z, correlationId = 3c4e7b0a-55bb-4f3c-9d1e-2f6a7b8c9d0e.",
                       details=[{"code": "ServiceUnavailable", "message": "The query backend is unavailable in "
                                                                          "this region."}])
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert reported(result.json) == fleet  # through ARM
    assert "Details: (ServiceUnavailable) The query backend is unavailable in this region." in result.stderr
