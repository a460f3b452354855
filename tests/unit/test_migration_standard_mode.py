"""aad-pod-identity's standard-mode objects as pod identities to migrate (pure)."""
from azext_podidentity.migration import standard_mode


def _identity(name, namespace="infra", kind=0, old_names=False, annotations=None):
    spec = {"Type": kind, "ResourceID": f"/id/{name}", "ClientID": f"client-{name}"} if old_names else \
        {"type": kind, "resourceID": f"/id/{name}", "clientID": f"client-{name}"}
    return {"metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}}, "spec": spec}


def _binding(name, identity, selector, namespace="infra", old_names=False):
    spec = {"AzureIdentity": identity, "Selector": selector} if old_names else \
        {"azureIdentity": identity, "selector": selector}
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def test_a_binding_reaches_every_namespace_whose_pods_carry_its_selector_once():
    found, skipped = standard_mode.entries(
        [_identity("a")], [_binding("b1", "a", "web"), _binding("b2", "a", "web")], {"web": {"shop", "batch"}})
    assert [(e["namespace"], e["name"], e["identity"]["clientId"]) for e in found] == \
        [("batch", "a", "client-a"), ("shop", "a", "client-a")]
    assert skipped == []


def test_namespaced_identities_and_a_namespaced_mic_keep_to_the_bindings_namespace():
    identities = [_identity("a", annotations={standard_mode.BEHAVIOR_ANNOTATION: "namespaced"}), _identity("b")]
    bindings = [_binding("ba", "a", "web"), _binding("bb", "b", "api")]
    namespaces = {"web": {"shop"}, "api": {"shop"}}
    found, _ = standard_mode.entries(identities, bindings, namespaces)
    assert [(e["namespace"], e["name"]) for e in found] == [("infra", "a"), ("shop", "b")]
    found, _ = standard_mode.entries(identities, bindings, namespaces, force_namespaced=True)
    assert [(e["namespace"], e["name"]) for e in found] == [("infra", "a"), ("infra", "b")]


def test_objects_from_before_1_6_with_pascal_case_fields_are_read():
    found, _ = standard_mode.entries([_identity("a", old_names=True)], [_binding("b", "a", "web", old_names=True)],
                                     {"web": {"infra"}})
    assert found[0]["identity"] == {"resourceId": "/id/a", "clientId": "client-a"}
    assert found[0]["bindingSelector"] == "web"


def test_service_principals_and_dangling_bindings_are_skipped_with_why():
    found, skipped = standard_mode.entries([_identity("sp", kind=1)],
                                           [_binding("b1", "sp", "x"), _binding("b2", "gone", "y")], {})
    assert found == []
    assert [s["binding"] for s in skipped] == ["AzureIdentityBinding infra/b1", "AzureIdentityBinding infra/b2"]
    assert "service principal (type 1)" in skipped[0]["reason"] and "no AzureIdentity 'gone'" in skipped[1]["reason"]


def test_mic_with_force_namespaced_is_found_by_its_image_and_flag_or_variable():
    def mic(args=(), env=()):
        return {"spec": {"template": {"spec": {"containers": [{
            "image": "mcr.microsoft.com/oss/azure/aad-pod-identity/mic:v1.8.17", "args": list(args),
            "env": [{"name": k, "value": v} for k, v in env]}]}}}}
    assert standard_mode.mic_forces_namespaced([mic(args=["--forceNamespaced"])])
    assert standard_mode.mic_forces_namespaced([mic(env=[("FORCENAMESPACED", "true")])])
    assert not standard_mode.mic_forces_namespaced([mic(args=["--cloudconfig=/etc/kubernetes/azure.json"])])
    other = mic(args=["--forceNamespaced"])
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "example/app"
    assert not standard_mode.mic_forces_namespaced([other])
