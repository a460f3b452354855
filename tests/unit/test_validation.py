import pytest
from hypothesis import given
from hypothesis import strategies as st

from azext_podidentity.inputs import validation as v
from tests.unit import grammars

# Alphabets that reach every branch of the grammars: valid characters, upper case, '.', '_', '/', others.
NAMEISH = st.text(alphabet="abcz09-._/AZ é\n", max_size=80)
LONG = st.integers(min_value=60, max_value=260).map(lambda n: "a" * n)
SUBDOMAIN_PART = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)


@given(st.one_of(NAMEISH, LONG))
def test_dns_label_matches_the_grammar(s):
    assert v.is_dns_label(s) == grammars.dns_label(s)


@given(st.one_of(NAMEISH, LONG, st.lists(SUBDOMAIN_PART, min_size=1, max_size=30).map(".".join)))
def test_dns_subdomain_matches_the_grammar(s):
    assert v.is_dns_subdomain(s) == grammars.dns_subdomain(s)


@given(st.one_of(NAMEISH, LONG))
def test_label_value_matches_the_grammar(s):
    assert v.is_label_value(s) == grammars.label_value(s)


@given(st.one_of(NAMEISH, st.tuples(SUBDOMAIN_PART, NAMEISH).map("/".join)))
def test_label_key_matches_the_grammar(s):
    assert v.is_label_key(s) == grammars.label_key(s)


@given(st.lists(st.text(max_size=20), max_size=5))
def test_pod_labels_parse_or_fail_only_with_an_option_error(items):
    try:
        labels = v.parse_pod_labels(items)
    except v.InvalidOptionValue as ex:
        assert "--pod-labels" in str(ex)
        return
    assert len(labels) == len(items) and all(grammars.label_key(k) for k in labels)


@given(st.text(max_size=300))
def test_every_checker_fails_only_with_an_option_error(s):
    for check in (lambda x: v.check_dns_label(x, "--namespace"), lambda x: v.check_dns_subdomain(x, "--name"),
                  lambda x: v.check_label_value(x, "--binding-selector"), v.parse_identity_resource_id,
                  v.parse_custom_headers):
        try:
            check(s)
        except v.InvalidOptionValue as ex:
            assert str(ex).startswith("--")


@pytest.mark.parametrize("value", ["my-app", "a", "a" * 63, "0-0"])
def test_valid_namespaces(value):
    assert v.check_dns_label(value, "--namespace") == value


@pytest.mark.parametrize("value", ["", "My-App", "my_app", "-a", "a-", "a.b", "a" * 64, "my-app\n"])
def test_invalid_namespace_names_the_option_and_the_rule(value):
    with pytest.raises(v.InvalidOptionValue) as ex:
        v.check_dns_label(value, "--namespace")
    assert str(ex.value).startswith(f"--namespace {value!r} is invalid: it must be a DNS label (RFC 1123)")


@pytest.mark.parametrize("check", [v.is_dns_label, v.is_dns_subdomain, v.is_label_value, v.is_label_key])
def test_a_trailing_newline_is_never_valid(check):
    assert check("web") and not check("web\n")


def test_pod_labels():
    assert v.parse_pod_labels(["app=web", "example.com/tier=", "a.b_c-d=E.f_g-1"]) == {
        "app": "web", "example.com/tier": "", "a.b_c-d": "E.f_g-1"}
    for bad, reason in [([], "at least one"), (["app"], "key=value"), (["a=b", "a=c"], "repeats"),
                        (["-a=b"], "label key"), (["a=b c"], "label value"), (["Bad.Prefix/a=b"], "label key")]:
        with pytest.raises(v.InvalidOptionValue, match=reason):
            v.parse_pod_labels(bad)


SUB = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"


def test_identity_resource_id():
    rid = (f"/subscriptions/{SUB}/resourceGroups/rg.1_(x)/providers/Microsoft.ManagedIdentity/"
           "userAssignedIdentities/id-1")
    assert v.parse_identity_resource_id(rid) == (SUB, "rg.1_(x)", "id-1")
    assert v.parse_identity_resource_id(rid.lower())[2] == "id-1"
    for bad in [rid + "\n", rid + "/extra", rid.replace("userAssignedIdentities", "identities"), "id-1",
                rid.replace(SUB, "not-a-guid"), f"/subscriptions/{SUB}/resourceGroups/rg"]:
        with pytest.raises(v.InvalidOptionValue, match="--identity-resource-id"):
            v.parse_identity_resource_id(bad)


def test_custom_headers():
    assert v.parse_custom_headers(None) == {}
    assert v.parse_custom_headers("A=1, B-c=two") == {"A": "1", "B-c": "two"}
    for bad in ["A", "=1", "A=1\r\nX-Evil: 1", "A B=1", "A=\x00", "A\n=1"]:
        with pytest.raises(v.InvalidOptionValue, match="--aks-custom-headers"):
            v.parse_custom_headers(bad)
