"""`list-clusters` over 1,502 subscriptions: Resource Graph in batches of 1,000, and a batch that fails is listed
through ARM, named in a warning. Its own emulator (module), logged in after the subscriptions exist."""
import pytest

GRAPH = "/providers/Microsoft.ResourceGraph/resources"
LISTING = "/providers/Microsoft.ContainerService/managedClusters"


@pytest.fixture(scope="module")
def fleet(emulator):
    added = emulator.call("POST", "/_emulator/subscriptions", {"count": 1500})["added"]
    expected = []
    for index in (3, 1200, 1499):
        subscription = added[index]
        emulator.seed_cluster("teams", f"team{index}", subscription=subscription, pod_identity={"enabled": True})
        expected.append((subscription, f"team{index}"))
    emulator.seed_cluster("teams", "no-pod-identity", subscription=added[7])
    return sorted(expected)


def rows(result):
    return sorted((r["subscriptionId"], r["name"]) for r in result.json)


def test_auto_queries_resource_graph_in_batches_of_1000(fleet, az, emulator):
    result = az.ok("aks", "pod-identity", "list-clusters")
    assert rows(result) == fleet
    queries = emulator.arm_requests("POST", GRAPH)
    # per batch: which subscriptions Resource Graph covers, then the clusters
    assert sorted(len(q["body"]["subscriptions"]) for q in queries) == [502, 502, 1000, 1000]
    assert emulator.arm_requests("GET", LISTING) == []


def test_a_failing_batch_is_named_and_listed_through_arm(fleet, az, emulator):
    emulator.add_fault(method="POST", path=GRAPH, after=2, status=400, code="BadRequest", message="Query failed.")
    result = az.ok("aks", "pod-identity", "list-clusters", "--engine", "resource-graph")
    assert rows(result) == fleet
    assert "Resource Graph did not answer for batch 2 of 2 (502 subscriptions" in result.stderr
    assert "(BadRequest) Query failed." in result.stderr
    assert len(emulator.arm_requests("GET", LISTING)) == 502
