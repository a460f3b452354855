"""Which listed clusters `list-clusters` reports, and in which order."""
from azext_podidentity.fleet.rows import pod_identity_row, sorted_rows

SUB = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"


def listed(name, group="rg", profile=None, oidc=False, workload=False):
    properties = {"oidcIssuerProfile": {"enabled": oidc},
                  "securityProfile": {"workloadIdentity": {"enabled": workload}}}
    if profile is not None:
        properties["podIdentityProfile"] = profile
    return {"id": f"/subscriptions/{SUB}/resourcegroups/{group}/providers/Microsoft.ContainerService/managedClusters/"
                  f"{name}", "name": name, "location": "eastus", "properties": properties}


def test_clusters_without_pod_identity_are_not_reported():
    assert pod_identity_row(listed("a"), SUB) is None
    assert pod_identity_row(listed("a", profile={}), SUB) is None
    assert pod_identity_row(listed("a", profile={"enabled": False}), SUB) is None


def test_a_cluster_with_pod_identity_enabled_or_entries_left_is_reported_with_its_counts():
    row = pod_identity_row(listed("a", "MyGroup", {"enabled": True, "userAssignedIdentities": [{}, {}],
                                                   "userAssignedIdentityExceptions": [{}]}, oidc=True), SUB)
    assert row == {"name": "a", "resourceGroup": "MyGroup", "subscriptionId": SUB, "location": "eastus",
                   "podIdentityEnabled": True, "podIdentities": 2, "podIdentityExceptions": 1,
                   "oidcIssuerEnabled": True, "workloadIdentityEnabled": False}
    leftover = pod_identity_row(listed("b", profile={"enabled": False, "userAssignedIdentities": [{}]}), SUB)
    assert leftover["podIdentityEnabled"] is False and leftover["podIdentities"] == 1


def test_the_resource_group_is_read_from_the_id_in_any_case():
    cluster = listed("a", "Group-1", {"enabled": True})
    cluster["id"] = cluster["id"].replace("/resourcegroups/", "/resourceGroups/")
    assert pod_identity_row(cluster, SUB)["resourceGroup"] == "Group-1"


def test_rows_sort_by_subscription_group_and_name_ignoring_case():
    rows = [{"subscriptionId": s, "resourceGroup": g, "name": n}
            for s, g, n in (("b", "x", "a"), ("a", "Y", "b"), ("a", "y", "A"), ("a", "x", "z"))]
    assert [(r["subscriptionId"], r["resourceGroup"], r["name"]) for r in sorted_rows(rows)] == [
        ("a", "x", "z"), ("a", "y", "A"), ("a", "Y", "b"), ("b", "x", "a")]


def test_a_resource_graph_record_gives_the_row_the_arm_listing_gives():
    from azext_podidentity.fleet.rows import graph_row, pod_identity_row
    cluster = {"id": "/subscriptions/AB-1/resourcegroups/MyGroup/providers/Microsoft.ContainerService/"
                     "managedClusters/c1", "name": "c1", "location": "eastus",
               "properties": {"podIdentityProfile": {"enabled": True, "userAssignedIdentities": [{}, {}]},
                              "oidcIssuerProfile": {"enabled": True}}}
    # what resource_graph.QUERY projects: Resource Graph lower-cases the subscription id
    record = {"id": cluster["id"], "name": "c1", "subscriptionId": "ab-1", "location": "eastus",
              "podIdentityEnabled": True, "podIdentities": 2, "podIdentityExceptions": None,
              "oidcIssuerEnabled": True, "workloadIdentityEnabled": None}
    assert graph_row(record, {"ab-1": "AB-1"}) == pod_identity_row(cluster, "AB-1")


def test_resource_graph_batches_and_quota_header():
    from azext_podidentity.fleet import resource_graph
    assert [len(b) for b in resource_graph.batches([str(i) for i in range(2500)])] == [1000, 1000, 500]
    seconds = resource_graph._seconds  # pylint: disable=protected-access
    assert seconds("00:01:05") == 65 and seconds("soon") == 0
