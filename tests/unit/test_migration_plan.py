import re

import pytest
import yaml
from azure.cli.core.azclierror import ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError

from azext_podidentity.migration import plan as mp

ISSUER = "https://eastus.oic.prod-aks.azure.com/t/g/"
ID_A = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a"
ID_B = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b"


def entry(name, namespace, identity_id=ID_A, client_id="client-a"):
    return {"name": name, "namespace": namespace, "identity": {"resourceId": identity_id, "clientId": client_id}}


@pytest.mark.parametrize("cluster,missing", [
    ({}, "--enable-oidc-issuer, --enable-workload-identity"),
    ({"properties": {"oidcIssuerProfile": {"enabled": True, "issuerURL": ISSUER}}}, "--enable-workload-identity"),
    ({"properties": {"securityProfile": {"workloadIdentity": {"enabled": True}},
                     "oidcIssuerProfile": {"enabled": True}}}, "--enable-oidc-issuer"),
])
def test_prerequisites(cluster, missing):
    with pytest.raises(InvalidArgumentValueError) as ex:
        mp.issuer_of(cluster, "rg", "c")
    assert "az aks update --resource-group rg --name c --enable-oidc-issuer --enable-workload-identity" in str(ex.value)
    assert f"(missing: {missing})" in str(ex.value)


def test_issuer():
    cluster = {"properties": {"securityProfile": {"workloadIdentity": {"enabled": True}},
                              "oidcIssuerProfile": {"enabled": True, "issuerURL": ISSUER}}}
    assert mp.issuer_of(cluster, "rg", "c") == ISSUER


def test_selection():
    profile = {"userAssignedIdentities": [entry("a", "x"), entry("a", "y"), entry("b", "x")]}
    assert len(mp.select(profile)) == 3
    assert [e["name"] for e in mp.select(profile, namespace="x")] == ["a", "b"]
    assert mp.select(profile, namespace="y", name="a") == [entry("a", "y")]
    with pytest.raises(ArgumentUsageError, match="add --namespace"):
        mp.select(profile, name="a")
    with pytest.raises(ResourceNotFoundError):
        mp.select(profile, name="zzz")


def test_credential_names_are_valid_and_stable():
    assert mp.credential_name("c", "ns", "sa.v1") == "c-ns-sa-v1"
    long_name = mp.credential_name("c" * 60, "n" * 63, "s" * 253)
    assert len(long_name) == 120 and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", long_name)
    assert long_name == mp.credential_name("c" * 60, "n" * 63, "s" * 253)
    assert long_name != mp.credential_name("c" * 60, "n" * 63, "s" * 252 + "t")


def test_plan_creates_skips_existing_and_shares_a_credential_per_subject():
    entries = [entry("web", "shop"), entry("api", "shop"), entry("jobs", "batch", ID_B, "client-b")]
    existing = {ID_B.lower(): [{"name": "mine", "issuer": ISSUER, "subject": "system:serviceaccount:batch:jobs"}]}
    items = mp.plan(entries, ISSUER, "c", existing)
    assert [(i["name"], i["action"], i["credentialName"]) for i in items] == [
        ("web", "create", "c-shop-web"), ("api", "create", "c-shop-api"), ("jobs", "exists", "mine")]
    shared = mp.plan(entries[:2], ISSUER, "c", {}, service_account="shop-sa")
    assert {i["credentialName"] for i in shared} == {"c-shop-shop-sa"}


def test_one_service_account_cannot_carry_two_identities():
    with pytest.raises(ArgumentUsageError, match="carries one client id"):
        mp.plan([entry("a", "shop"), entry("b", "shop", ID_B)], ISSUER, "c", {}, service_account="sa")


def test_clash_and_limit():
    clash = {ID_A.lower(): [{"name": "c-shop-web", "issuer": "https://other/", "subject": "s"}]}
    with pytest.raises(ArgumentUsageError, match="another issuer or subject"):
        mp.plan([entry("web", "shop")], ISSUER, "c", clash)
    full = {ID_A.lower(): [{"name": f"n{i}", "issuer": "https://other/", "subject": f"s{i}"} for i in range(19)]}
    assert mp.plan([entry("web", "shop")], ISSUER, "c", full)  # 20 is allowed
    with pytest.raises(InvalidArgumentValueError, match="would need 21"):
        mp.plan([entry("web", "shop"), entry("api", "shop")], ISSUER, "c", full)


def test_manifest_parses_one_service_account_per_namespace_and_account():
    items = mp.plan([entry("web", "shop"), entry("api", "shop"), entry("jobs", "batch", ID_B, "client-b")],
                    ISSUER, "c", {})
    documents = [d for d in yaml.safe_load_all(mp.manifest(items)) if d]
    assert [(d["metadata"]["namespace"], d["metadata"]["name"],
             d["metadata"]["annotations"]["azure.workload.identity/client-id"]) for d in documents] == [
        ("shop", "web", "client-a"), ("shop", "api", "client-a"), ("batch", "jobs", "client-b")]


def test_pod_identities_sharing_a_selector_share_one_service_account_and_nothing_is_dropped():
    first = dict(entry("reader", "shop", ID_A, "client-a"), bindingSelector="multi")
    second = dict(entry("writer", "shop", ID_B, "client-b"), bindingSelector="multi")
    alone = entry("web", "shop")
    items = mp.plan([first, second, alone], ISSUER, "c", {})
    assert [(i["name"], i["serviceAccount"], i["subject"]) for i in items] == [
        ("reader", "reader", "system:serviceaccount:shop:reader"),
        ("writer", "reader", "system:serviceaccount:shop:reader"),  # one credential on each identity, same subject
        ("web", "web", "system:serviceaccount:shop:web")]
    shared = items[1]["sharedBindingSelector"]
    assert shared["podIdentities"] == ["reader", "writer"] and shared["serviceAccountClientId"] == "client-a"
    assert "AZURE_CLIENT_ID=client-b" in shared["note"]
    assert items[1]["podChanges"]["containerEnv"] == {"AZURE_CLIENT_ID": "client-b"}
    assert "containerEnv" not in items[0]["podChanges"] and "sharedBindingSelector" not in items[2]
    documents = [d for d in yaml.safe_load_all(mp.manifest(items)) if d]
    assert [(d["metadata"]["name"], d["metadata"]["annotations"]["azure.workload.identity/client-id"])
            for d in documents] == [("reader", "client-a"), ("web", "client-a")]
    assert "set AZURE_CLIENT_ID=client-b" in mp.manifest(items)
    steps = mp.next_steps(items, "rg", "c", None)
    assert any("'shop/writer'" in s and "AZURE_CLIENT_ID" in s for s in steps)


def test_a_chosen_service_account_still_cannot_serve_two_selectors_with_two_identities():
    with pytest.raises(ArgumentUsageError, match="different binding selectors"):
        mp.plan([entry("a", "shop"), entry("b", "shop", ID_B)], ISSUER, "c", {}, service_account="sa")
    group = [dict(entry("a", "shop"), bindingSelector="s"), dict(entry("b", "shop", ID_B), bindingSelector="s")]
    assert {i["serviceAccount"] for i in mp.plan(group, ISSUER, "c", {}, service_account="sa")} == {"sa"}


def test_proxy_sidecar_annotations_with_their_port():
    [item] = mp.plan([entry("web", "shop")], ISSUER, "c", {}, proxy_sidecar_port=8080)
    assert item["podChanges"]["addAnnotations"] == {"azure.workload.identity/inject-proxy-sidecar": "true",
                                                    "azure.workload.identity/proxy-sidecar-port": "8080"}
    assert 'add the annotation azure.workload.identity/proxy-sidecar-port: "8080"' in mp.manifest([item])
    [plain] = mp.plan([entry("web", "shop")], ISSUER, "c", {})
    assert "addAnnotations" not in plain["podChanges"]


def test_next_steps_wait_for_new_credentials_and_end_by_turning_the_add_on_off():
    items = mp.plan([entry("web", "shop")], ISSUER, "c", {})
    steps = mp.next_steps(items, "rg", "c", "wi.yaml")
    assert any("takes a few seconds" in s for s in steps)
    assert steps[-1].endswith("az aks update --resource-group rg --name c --disable-pod-identity")
    done = [dict(i, action="exists") for i in items]
    assert not any("takes a few seconds" in s for s in mp.next_steps(done, "rg", "c", None))


def credentials_named(*names, issuer="https://elsewhere/"):
    return [{"name": n, "issuer": issuer, "subject": f"system:serviceaccount:x:{n}"} for n in names]


@pytest.mark.parametrize("existing,new,strategy", [
    (0, 3, mp.FEDERATED_CREDENTIAL),
    (16, 3, mp.FEDERATED_CREDENTIAL),   # 19: the last of the 20 stays free
    (17, 3, mp.IDENTITY_BINDING),       # 20 would leave none for a binding
    (19, 1, mp.IDENTITY_BINDING),
])
def test_auto_keeps_one_credential_free_and_moves_to_a_binding_past_it(existing, new, strategy):
    chosen = mp.choose_strategies({ID_A.lower(): new}, {ID_A.lower(): credentials_named(
        *[f"c{i}" for i in range(existing)])}, mp.AUTO)
    assert chosen[ID_A.lower()][0] == strategy
    assert f"{existing + new} of the identity's 20" in chosen[ID_A.lower()][1]


def test_auto_prefers_a_binding_once_aks_gave_the_identity_its_binding_credential_unless_bindings_are_missing():
    existing = {ID_A.lower(): credentials_named("aks-identity-binding")}
    assert mp.choose_strategies({ID_A.lower(): 1}, existing, mp.AUTO)[ID_A.lower()][0] == mp.IDENTITY_BINDING
    assert mp.choose_strategies({ID_A.lower(): 1}, existing, mp.AUTO, bindings_supported=False)[ID_A.lower()][0] == \
        mp.FEDERATED_CREDENTIAL
    for requested in (mp.FEDERATED_CREDENTIAL, mp.IDENTITY_BINDING):
        assert mp.choose_strategies({ID_A.lower(): 30}, {}, requested)[ID_A.lower()] == (requested,
                                                                                         f"--strategy {requested}")


def test_a_binding_item_trusts_the_binding_and_its_pods_carry_the_annotation():
    entries = [entry("web", "shop"), entry("jobs", "batch"), entry("other", "shop", ID_B, "client-b")]
    strategies = {ID_A.lower(): (mp.IDENTITY_BINDING, "why"), ID_B.lower(): (mp.FEDERATED_CREDENTIAL, "fits")}
    binding = {"name": "a-ib", "properties": {"oidcIssuer": {"oidcIssuerUrl": "https://ib.oic/t/client-a"}}}
    items = mp.plan(entries, ISSUER, "c1", {}, strategies=strategies, bindings={ID_A.lower(): binding},
                    tenants={ID_A.lower(): "tenant-1"})
    web, jobs, other = items
    assert (web["strategy"], web["action"], web["identityBinding"], web["issuer"], web["credentialName"]) == (
        mp.IDENTITY_BINDING, "binding exists", "a-ib", "https://ib.oic/t/client-a", "aks-identity-binding")
    assert web["podChanges"]["addAnnotations"] == {mp.USE_IDENTITY_BINDING_ANNOTATION: "true"}
    assert (other["strategy"], other["action"], other["issuer"]) == (mp.FEDERATED_CREDENTIAL, "create", ISSUER)
    documents = list(yaml.safe_load_all(mp.manifest(items)))
    kinds = [d["kind"] for d in documents]
    assert kinds == ["ServiceAccount", "ServiceAccount", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                     "ClusterRoleBinding"]
    role, role_bindings = documents[3], documents[4:]
    assert role["rules"][0] == {"verbs": ["use-managed-identity"], "apiGroups": ["cid.wi.aks.azure.com"],
                                "resources": ["client-a"]}
    # one ClusterRoleBinding per service account, so that applying a later migration's manifest adds, never replaces
    assert [(b["metadata"]["name"], b["subjects"]) for b in role_bindings] == [
        ("use-mi-client-a-shop-web", [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]),
        ("use-mi-client-a-batch-jobs", [{"kind": "ServiceAccount", "name": "jobs", "namespace": "batch"}])]
    assert all(b["roleRef"]["name"] == role["metadata"]["name"] == "use-mi-client-a" for b in role_bindings)
    assert documents[0]["metadata"]["annotations"][mp.TENANT_ID_ANNOTATION] == "tenant-1"
    assert mp.TENANT_ID_ANNOTATION not in documents[2]["metadata"]["annotations"]
    assert any("aks-identity-binding" in step for step in mp.next_steps(items, "rg", "c1", None))


def test_a_binding_needs_a_free_credential_unless_aks_made_it_already():
    full = {ID_A.lower(): credentials_named(*[f"c{i}" for i in range(20)])}
    strategies = {ID_A.lower(): (mp.IDENTITY_BINDING, "--strategy identity-binding")}
    with pytest.raises(InvalidArgumentValueError, match="none of them AKS's 'aks-identity-binding'"):
        mp.plan([entry("web", "shop")], ISSUER, "c1", full, strategies=strategies)
    full[ID_A.lower()][0]["name"] = "aks-identity-binding"
    assert mp.plan([entry("web", "shop")], ISSUER, "c1", full, strategies=strategies)[0]["action"] == \
        "create binding"


def test_binding_names_are_stable_and_differ_for_identities_of_the_same_name():
    other = ID_A.replace("/rg/", "/rg2/")
    assert mp.binding_name(ID_A) == mp.binding_name(ID_A.upper()) and mp.binding_name(ID_A) != mp.binding_name(other)
    # the API's pattern for identity binding names: a lower-case letter, then lower-case letters and digits
    assert re.fullmatch(r"a[0-9a-f]{8}", mp.binding_name(ID_A))
    for name in ("My-Identity_1", "1st.identity", "-", "x" * 200):
        assert re.fullmatch(r"[a-z][a-z0-9]{0,63}", mp.binding_name(ID_A.replace("/a", "/" + name)))


def test_auto_keeps_this_clusters_credentials_when_nothing_is_to_add():
    """A re-run after another cluster bound the identity, or on an identity at 20 that holds this cluster's own."""
    for credentials in (credentials_named("aks-identity-binding", "mine"), credentials_named(
            *[f"c{i}" for i in range(20)])):
        strategy, why = mp.choose_strategies({ID_A.lower(): 0}, {ID_A.lower(): credentials}, mp.AUTO)[ID_A.lower()]
        assert strategy == mp.FEDERATED_CREDENTIAL and "nothing to add" in why


@pytest.mark.parametrize("existing,new,strategy", [(19, 1, mp.FEDERATED_CREDENTIAL), (17, 3, mp.FEDERATED_CREDENTIAL),
                                                   (19, 2, mp.IDENTITY_BINDING)])
def test_without_bindings_auto_may_use_all_20(existing, new, strategy):
    chosen = mp.choose_strategies({ID_A.lower(): new}, {ID_A.lower(): credentials_named(
        *[f"c{i}" for i in range(existing)])}, mp.AUTO, bindings_supported=False)[ID_A.lower()]
    assert chosen[0] == strategy and "kept free" not in chosen[1]


def test_the_error_without_bindings_says_how_many_credentials_there_are_and_are_needed():
    error = mp.over_the_limit_without_bindings(ID_A, 19, 2, "this azure-cli's AKS API version 2024-10-01 has no "
                                                            "identityBindings.")
    assert "would pass its 20 federated identity credentials: it has 19 and this migration needs 2 more (21)" in \
        str(error)
    assert "2024-10-01 has no identityBindings" in str(error) and "Nothing was changed" in str(error)


def test_an_explicit_binding_on_an_identity_full_of_this_clusters_credentials_is_refused_before_any_change():
    full = {ID_A.lower(): [{"name": f"c{i}", "issuer": ISSUER, "subject": f"system:serviceaccount:shop:s{i}"}
                           for i in range(19)] + [{"name": "mine", "issuer": ISSUER,
                                                   "subject": "system:serviceaccount:shop:web"}]}
    strategies = {ID_A.lower(): (mp.IDENTITY_BINDING, "--strategy identity-binding")}
    with pytest.raises(InvalidArgumentValueError, match="none of them AKS's"):
        mp.plan([entry("web", "shop")], ISSUER, "c1", full, strategies=strategies)
