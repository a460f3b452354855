import copy

import pytest
from azure.cli.core.azclierror import ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError
from hypothesis import given
from hypothesis import strategies as st

from azext_podidentity.profile import edits as e

RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"


def entry(name="web", ns="shop", identity="a", selector=None, state=None):
    result = e.identity_entry(name, ns, RID + identity, "client", "object", selector)
    if state:
        result["provisioningState"] = state
    return result


def test_add_appends_and_keeps_others():
    profile = {"enabled": True, "userAssignedIdentities": [entry("other")]}
    after = e.add_identity(profile, entry())
    assert after["userAssignedIdentities"] == [entry("other"), entry()]
    assert profile["userAssignedIdentities"] == [entry("other")]  # not mutated


def test_add_identical_is_a_no_op_even_with_other_case_in_the_id():
    same = entry()
    same["identity"]["resourceId"] = same["identity"]["resourceId"].upper()
    assert e.add_identity({"enabled": True, "userAssignedIdentities": [entry(state="Assigned")]}, same) is None


def test_add_identical_but_failed_is_sent_again():
    profile = {"enabled": True, "userAssignedIdentities": [entry(state="Failed")]}
    assert e.add_identity(profile, entry())["userAssignedIdentities"] == [entry()]


def test_add_refreshes_stale_ids_in_place_and_keeps_the_others():
    stale = e.identity_entry("web", "shop", RID + "a", "old-client", "old-object")
    stale["provisioningState"] = "Assigned"
    profile = {"enabled": True, "userAssignedIdentities": [stale, entry("other")]}
    after = e.add_identity(profile, entry())
    assert after["userAssignedIdentities"] == [entry(), entry("other")]
    assert profile["userAssignedIdentities"][0] is stale and stale["identity"]["clientId"] == "old-client"
    assert e.changed_identities(profile, after) == [("web", "shop")]


def test_add_resends_an_identical_entry_only_when_asked():
    profile = {"enabled": True, "userAssignedIdentities": [entry(state="Assigned")]}
    assert e.add_identity(profile, entry()) is None
    assert e.add_identity(profile, entry(), resend=True)["userAssignedIdentities"] == [entry()]


def test_an_entry_without_ids_is_not_stale():
    profile = {"enabled": True, "userAssignedIdentities": [entry(state="Assigned")]}
    assert e.add_identity(profile, e.identity_entry("web", "shop", RID + "a")) is None


def test_uses_identity_ignores_case():
    profile = {"userAssignedIdentities": [entry()]}
    assert e.uses_identity(profile, (RID + "a").upper())
    assert not e.uses_identity(profile, RID + "b") and not e.uses_identity({}, RID + "a")


@pytest.mark.parametrize("other", [entry(identity="b"), entry(selector="sel")])
def test_add_same_name_other_identity_or_selector_is_refused(other):
    with pytest.raises(ArgumentUsageError, match="already exists"):
        e.add_identity({"enabled": True, "userAssignedIdentities": [entry()]}, other)


def test_add_beyond_200_is_refused():
    profile = {"enabled": True, "userAssignedIdentities": [entry(f"n{i}") for i in range(200)]}
    with pytest.raises(InvalidArgumentValueError, match="200"):
        e.add_identity(profile, entry())
    assert e.add_identity(dict(profile, userAssignedIdentities=profile["userAssignedIdentities"][:199]), entry())


def test_remove_missing_is_none_and_present_is_removed():
    profile = {"enabled": True, "userAssignedIdentities": [entry(), entry("b")]}
    assert e.remove_identity(profile, "x", "shop") is None
    assert e.remove_identity(profile, "web", "shop")["userAssignedIdentities"] == [entry("b")]


def test_exceptions():
    profile = {"enabled": True}
    added = e.add_exception(profile, "x", "ns", {"a": "b"})
    assert added["userAssignedIdentityExceptions"] == [{"name": "x", "namespace": "ns", "podLabels": {"a": "b"}}]
    assert e.add_exception(added, "x", "ns", {"a": "b"}) is None
    with pytest.raises(ArgumentUsageError, match="exception update"):
        e.add_exception(added, "x", "ns", {"a": "c"})
    updated = e.update_exception(added, "x", "ns", {"c": "d"})
    assert updated["userAssignedIdentityExceptions"][0]["podLabels"] == {"c": "d"}
    assert e.update_exception(updated, "x", "ns", {"c": "d"}) is None
    with pytest.raises(ResourceNotFoundError):
        e.update_exception(updated, "y", "ns", {"c": "d"})
    assert e.remove_exception(updated, "y", "ns") is None
    assert e.remove_exception(updated, "x", "ns")["userAssignedIdentityExceptions"] == []


def test_changed_identities_lists_added_changed_and_failed_ones():
    before = {"userAssignedIdentities": [entry("a", state="Assigned"), entry("b", state="Failed"),
                                         entry("c", state="Assigned")]}
    untouched, failed = before["userAssignedIdentities"][:2]
    after = {"userAssignedIdentities": [untouched, failed, entry("c", selector="new"), entry("d")]}
    assert e.changed_identities(before, after) == [("b", "shop"), ("c", "shop"), ("d", "shop")]


NAMES = st.sampled_from(["a", "b", "c", "d"])
ENTRIES = st.builds(entry, NAMES, st.sampled_from(["x", "y"]), st.sampled_from(["i1", "i2"]),
                    st.sampled_from([None, "s"]), st.sampled_from([None, "Assigned", "Failed"]))
LABELS = st.dictionaries(st.sampled_from(["k1", "k2"]), st.sampled_from(["v1", "v2"]), min_size=1)
EXCEPTIONS = st.builds(lambda n, ns, labels: {"name": n, "namespace": ns, "podLabels": labels},
                       NAMES, st.sampled_from(["x", "y"]), LABELS)


def _unique(items):
    seen, result = set(), []
    for item in items:
        if (item["name"], item["namespace"]) not in seen:
            seen.add((item["name"], item["namespace"]))
            result.append(item)
    return result


PROFILES = st.builds(lambda ids, excs: {"enabled": True, "userAssignedIdentities": _unique(ids),
                                        "userAssignedIdentityExceptions": _unique(excs)},
                     st.lists(ENTRIES, max_size=6), st.lists(EXCEPTIONS, max_size=6))
EDITS = st.one_of(
    st.builds(lambda x: ("add", lambda p: e.add_identity(p, x), (x["name"], x["namespace"]), e.IDENTITIES), ENTRIES),
    st.builds(lambda n, ns: ("remove", lambda p: e.remove_identity(p, n, ns), (n, ns), e.IDENTITIES),
              NAMES, st.sampled_from(["x", "y"])),
    st.builds(lambda x: ("exc-add", lambda p: e.add_exception(p, x["name"], x["namespace"], x["podLabels"]),
                         (x["name"], x["namespace"]), e.EXCEPTIONS), EXCEPTIONS),
    st.builds(lambda x: ("exc-update", lambda p: e.update_exception(p, x["name"], x["namespace"], x["podLabels"]),
                         (x["name"], x["namespace"]), e.EXCEPTIONS), EXCEPTIONS),
    st.builds(lambda n, ns: ("exc-remove", lambda p: e.remove_exception(p, n, ns), (n, ns), e.EXCEPTIONS),
              NAMES, st.sampled_from(["x", "y"])),
)


@given(PROFILES, EDITS)
def test_edits_touch_only_their_target_and_never_mutate_the_input(profile, edit):
    _, apply, target, key = edit
    original = copy.deepcopy(profile)
    try:
        after = apply(profile)
    except (ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError):
        assert profile == original
        return
    assert profile == original
    if after is None:
        return
    other = e.EXCEPTIONS if key == e.IDENTITIES else e.IDENTITIES
    assert after.get(other) == profile.get(other)
    untouched_before = [x for x in profile.get(key) or [] if (x["name"], x["namespace"]) != target]
    untouched_after = [x for x in after.get(key) or [] if (x["name"], x["namespace"]) != target]
    assert untouched_after == untouched_before
    keys = [(x["name"], x["namespace"]) for x in after.get(key) or []]
    assert len(keys) == len(set(keys))


def test_removing_exactly_the_confirmed_pod_identities():
    rid = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
    entries = [e.identity_entry(n, "ns", rid + i, client_id=f"c-{n}", object_id=f"o-{n}")
               for n, i in (("a", "x"), ("b", "y"), ("c", "X"), ("d", "z"))]
    profile = {"enabled": True, "userAssignedIdentities": entries}
    confirmed = [dict(entries[0], identity=dict(entries[0]["identity"], resourceId=(rid + "x").upper())), entries[3]]
    after = e.remove_entries(profile, confirmed)
    assert [x["name"] for x in after["userAssignedIdentities"]] == ["b", "c"]  # c uses x too, but was not confirmed
    assert len(profile["userAssignedIdentities"]) == 4  # the input is not changed
    assert e.remove_entries(profile, [e.identity_entry("a", "other", rid + "x")]) is None
    # re-added meanwhile under the same name for a re-created identity (new client and object ids): kept
    readded = dict(entries[0], identity=dict(entries[0]["identity"], clientId="new", objectId="new"))
    assert e.remove_entries({"userAssignedIdentities": [readded]}, [entries[0]]) is None


def test_an_entry_being_deleted_no_longer_uses_its_identity():
    rid = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x"
    entry = e.identity_entry("a", "ns", rid)
    assert e.uses_identity({"userAssignedIdentities": [entry]}, rid.upper())
    assert not e.uses_identity({"userAssignedIdentities": [dict(entry, provisioningState="Deleting")]}, rid)
