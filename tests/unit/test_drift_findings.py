"""Pure logic behind drift: the check's report, the blocked-write explanation, the marks of a created grant."""
import shlex

import pytest

from azext_podidentity.drift import check as health_check
from azext_podidentity.grants.marks import (GRANT_DESCRIPTION, MANAGED_IDENTITY_OPERATOR, created_grant_name,
                                            grant_command, is_created_grant)
from azext_podidentity.profile import blocked_write, fixes as fix_commands
from azext_podidentity.profile import edits as e

RID = "/subscriptions/s/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
PRINCIPAL = "11111111-1111-1111-1111-111111111111"
SYSTEM = {"identity": {"type": "SystemAssigned", "principalId": PRINCIPAL}}


def entry(name, state="Assigned", client="c", obj="o"):
    result = e.identity_entry(name, "shop", RID + name, client, obj)
    result["provisioningState"] = state
    return result


def facts(exists=True, client="c", principal="o", grant=True):
    return {"exists": exists, "clientId": client, "principalId": principal, "grantHeld": grant if exists else None}


def report(entries, identity_facts, cluster=None, plugin="azure", **profile):
    return health_check.report("rg", "c1", cluster or SYSTEM, plugin,
                               dict({"enabled": True, "userAssignedIdentities": entries}, **profile),
                               {(RID + k).lower(): v for k, v in identity_facts.items()}, PRINCIPAL)


def test_a_healthy_cluster_has_no_problem():
    result = report([entry("a")], {"a": facts()})
    assert result["healthy"] and result["problems"] == []
    assert result["podIdentities"][0] == {"name": "a", "namespace": "shop", "identityResourceId": RID + "a",
                                          "identityExists": True, "idsMatch": True, "grantHeld": True,
                                          "provisioningState": "Assigned", "problems": []}


def test_ids_compare_without_case():
    assert report([entry("a", client="ABC")], {"a": facts(client="abc")})["healthy"]


def test_problems_are_ordered_so_that_each_fix_can_work():
    result = report([entry("gone"), entry("stale"), entry("nogrant")],
                    {"gone": facts(exists=False), "stale": facts(client="new"), "nogrant": facts(grant=False)})
    assert [(p["podIdentity"], p["fix"].split()[1:3]) for p in result["problems"]] == [
        ("nogrant", ["role", "assignment"]), ("gone", ["aks", "pod-identity"]), ("stale", ["aks", "pod-identity"])]
    assert "delete" in result["problems"][1]["fix"] and "add" in result["problems"][2]["fix"]
    assert not result["healthy"]


def test_a_failed_entry_is_a_problem_with_its_service_error():
    failed = entry("a", state="Failed")
    failed["provisioningInfo"] = {"error": {"error": {"code": "Boom", "message": "nmi failed"}}}
    result = report([failed], {"a": facts()})
    [problem] = result["problems"]
    assert "(Boom) nmi failed" in problem["problem"] and problem["fix"].startswith("az aks pod-identity add")
    assert result["podIdentities"][0]["provisioningInfo"] == failed["provisioningInfo"]


def test_an_unreadable_identity_is_reported_not_guessed():
    result = report([entry("a")], {"a": {"exists": None, "error": "(AuthorizationFailed) no read"}})
    assert "could not be read: (AuthorizationFailed) no read" in result["problems"][0]["problem"]
    assert result["podIdentities"][0]["idsMatch"] is None


def test_cluster_problems_service_principal_and_kubenet_consent():
    result = report([], {}, cluster={"identity": None}, plugin="kubenet")
    assert [p["fix"] for p in result["problems"]] == [
        "az aks update --resource-group rg --name c1 --enable-managed-identity",
        "az aks update --resource-group rg --name c1 --enable-pod-identity --enable-pod-identity-with-kubenet"]
    assert result["kubenetConsent"] is False and result["managedIdentity"] is False
    assert report([], {}, plugin="kubenet", allowNetworkPluginKubenet=True)["healthy"]
    assert report([], {}, plugin="azure")["kubenetConsent"] is None


def test_summary_counts():
    assert health_check.summary(report([entry("a")], {"a": facts(exists=False)})).startswith("1 problem with")


def test_every_fix_is_one_shell_command():
    grant = grant_command(PRINCIPAL, RID + "a")
    words = shlex.split(grant)
    assert words[words.index("--description") + 1] == GRANT_DESCRIPTION
    assert words[words.index("--name") + 1] == created_grant_name(PRINCIPAL, RID + "a")
    selector = dict(entry("a"), bindingSelector="sel")
    assert shlex.split(fix_commands.readd("rg", "c1", selector))[-2:] == ["--binding-selector", "sel"]


def test_the_created_grant_name_is_stable_and_case_blind():
    assert created_grant_name(PRINCIPAL, RID + "a") == created_grant_name(PRINCIPAL.upper(), (RID + "a/").upper())
    assert created_grant_name(PRINCIPAL, RID + "a") != created_grant_name(PRINCIPAL, RID + "b")
    # pinned: a different name would make the grants earlier releases created look like someone else's
    assert created_grant_name(PRINCIPAL, RID + "a") == "09a16644-5564-5363-b1e6-0e3cf5d7193d"


@pytest.mark.parametrize("change, ours", [
    ({}, True),
    ({"name": "5d1b9f1e-0000-4000-8000-000000000000"}, False),  # someone else's grant with the same role
    ({"description": None}, False),
    ({"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/owner"}, False),
])
def test_only_the_marked_grant_is_ours(change, ours):
    assignment = dict({"name": created_grant_name(PRINCIPAL, RID + "a"), "description": GRANT_DESCRIPTION,
                       "roleDefinitionId": f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
                                           f"{MANAGED_IDENTITY_OPERATOR}"}, **change)
    assert is_created_grant(assignment, PRINCIPAL, RID + "a") is ours


def test_a_blocked_write_names_the_entries_of_the_identity_in_the_message():
    profile = {"userAssignedIdentities": [entry("a"), entry("b"), e.identity_entry("c", "web", RID + "B")]}
    message = f"The user assigned identity '{(RID + 'b').lower()}' of pod identity 'b' was not found."
    assert [x["name"] for x in blocked_write.blockers(message, profile)] == ["b", "c"]
    text = blocked_write.explain(message, profile, "rg", "c1", PRINCIPAL)
    assert "Pod identity 'b' in namespace 'shop' blocks this change: its identity" in text
    assert "az aks pod-identity delete --resource-group rg --cluster-name c1 --namespace web --name c" in text


def test_a_blocked_write_on_a_missing_grant_gives_the_grant_first():
    profile = {"userAssignedIdentities": [entry("a")]}
    message = (f"Cluster identity has no assignment permission over identity 'resourceId: {RID}a'. Please grant at "
               "least 'Managed Identity Operator' permission before assigning pod identity.")
    text = blocked_write.explain(message, profile, "rg", "c1", PRINCIPAL)
    assert text.index("az role assignment create") < text.index("az aks pod-identity add") < text.index(
        "az aks pod-identity delete")
    assert "az role assignment create" not in blocked_write.explain(message, profile, "rg", "c1", None)


def test_no_assignment_permission_for_a_deleted_identity_gets_the_deleted_identity_advice():
    """The real service says the same for both causes; what the caller read of the identity decides."""
    profile = {"userAssignedIdentities": [entry("a")]}
    message = (f"Cluster identity has no assignment permission over identity 'resourceId: {RID.lower()}a - clientId: "
               "c - objectId: o'. Please grant at least 'Managed Identity Operator' permission before assigning pod "
               "identity.")
    gone = blocked_write.explain(message, profile, "rg", "c1", PRINCIPAL, {(RID + "a").lower(): False})
    assert "no longer exists (the service reports a deleted identity as a missing" in gone
    assert "az role assignment create" not in gone and "az aks pod-identity delete" in gone
    there = blocked_write.explain(message, profile, "rg", "c1", PRINCIPAL, {(RID + "a").lower(): True})
    assert "Restore the grant" in there and "no longer exists" not in there
    unknown = blocked_write.explain(message, profile, "rg", "c1", PRINCIPAL, {(RID + "a").lower(): None})
    assert "could not be read" in unknown and "Restore the grant" in unknown


def test_a_message_that_names_no_entry_adds_nothing():
    assert blocked_write.explain("Name 'X' is invalid.", {"userAssignedIdentities": [entry("a")]}, "rg", "c1") is None


def test_a_grant_that_could_not_be_listed_is_reported():
    result = report([entry("a")], {"a": dict(facts(), grantHeld=None, grantError="(AuthorizationFailed) no list")})
    [problem] = result["problems"]
    assert "could not be checked: (AuthorizationFailed) no list" in problem["problem"]
    assert problem["fix"].startswith(f"az role assignment list --assignee {PRINCIPAL} ")


def test_several_gone_identities_get_one_fix_that_removes_them_together():
    result = report([entry("a"), entry("b"), entry("c")], {"a": facts(), "b": facts(exists=False),
                                                           "c": facts(exists=False)})
    fixes = {p["podIdentity"]: p["fix"] for p in result["problems"]}
    assert fixes == {"b": fix_commands.prune("rg", "c1"), "c": fix_commands.prune("rg", "c1")}
    assert fixes["b"] == "az aks pod-identity prune --resource-group rg --cluster-name c1 --yes"
    one = report([entry("a"), entry("b")], {"a": facts(), "b": facts(exists=False)})
    assert one["problems"][0]["fix"].startswith("az aks pod-identity delete ")


def test_a_write_blocked_by_several_gone_identities_names_them_all_with_the_one_fix():
    before = {"userAssignedIdentities": [entry("a"), entry("b"), entry("c")]}
    after = {"userAssignedIdentities": [entry("a"), entry("c")]}  # deleting b
    message = (f"Cluster identity has no assignment permission over identity 'resourceId: {RID}c - clientId: c - "
               "objectId: o'. Please grant at least 'Managed Identity Operator' permission before assigning pod "
               "identity.")
    exists = {(RID + "a").lower(): True, (RID + "b").lower(): False, (RID + "c").lower(): False}
    text = blocked_write.explain(message, after, "rg", "c1", PRINCIPAL, exists, before)
    assert text.startswith("Pod identities 'b' in namespace 'shop', 'c' in namespace 'shop' block this change")
    assert text.endswith(fix_commands.prune("rg", "c1"))
