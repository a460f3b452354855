"""The emulator's identity bindings, as the public documentation describes them (services/aks/identity_bindings.py)."""
import re

import pytest


def bindings_path(emulator, rg, cluster):
    return (f"/subscriptions/{emulator.subscription}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{cluster}/identityBindings")


def credentials(emulator, identity):
    return emulator.arm("GET", identity["id"] + "/federatedIdentityCredentials")[2]["value"]


@pytest.fixture
def identity(emulator, names):
    return emulator.seed_identity(names.identity_rg, "shared")


def bind(emulator, rg, cluster, name, identity):
    return emulator.arm("PUT", f"{bindings_path(emulator, rg, cluster)}/{name}",
                        {"properties": {"managedIdentity": {"resourceId": identity["id"]}}})


def test_bindings_of_one_identity_share_one_issuer_and_one_aks_managed_credential(emulator, names, identity):
    for c in ("a", "b"):
        emulator.seed_cluster(names.rg, f"{names.cluster}{c}")
    status, headers, first = bind(emulator, names.rg, f"{names.cluster}a", "ib", identity)
    assert status == 201 and "Azure-AsyncOperation" in headers
    props = first["properties"]
    assert props["managedIdentity"] == {"resourceId": identity["id"], "objectId": identity["properties"]["principalId"],
                                        "clientId": identity["properties"]["clientId"],
                                        "tenantId": identity["properties"]["tenantId"]}
    assert props["oidcIssuer"]["oidcIssuerUrl"] == (f"https://ib.oic.prod-aks.azure.com/"
                                                    f"{identity['properties']['tenantId']}/"
                                                    f"{identity['properties']['clientId']}")
    _, _, second = bind(emulator, names.rg, f"{names.cluster}b", "ib", identity)
    assert second["properties"]["oidcIssuer"] == props["oidcIssuer"]
    assert [c["name"] for c in credentials(emulator, identity)] == ["aks-identity-binding"]
    assert bind(emulator, names.rg, f"{names.cluster}a", "ib", identity)[0] == 200  # the same again: an update
    listed = emulator.arm("GET", bindings_path(emulator, names.rg, f"{names.cluster}a"))[2]["value"]
    assert [b["name"] for b in listed] == ["ib"]
    assert re.search(r"/operations/", headers["Azure-AsyncOperation"])


def test_a_binding_needs_room_for_its_credential(emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster)
    for i in range(20):
        emulator.arm("PUT", f"{identity['id']}/federatedIdentityCredentials/fic-{i}", {"properties": {
            "issuer": "https://issuer.example/", "subject": f"system:serviceaccount:ns:sa{i}",
            "audiences": ["api://AzureADTokenExchange"]}})
    status, _, error = bind(emulator, names.rg, names.cluster, "ib", identity)
    assert status == 400 and "The maximum allowed is 20." in error["error"]["message"]


def test_an_api_without_identity_bindings_is_arms_invalid_resource_type(emulator, names, identity):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.settings(identity_bindings=False)
    status, _, error = emulator.arm("GET", bindings_path(emulator, names.rg, names.cluster))
    assert status == 400 and error["error"]["code"] == "InvalidResourceType"
    assert bind(emulator, names.rg, names.cluster, "ib", identity)[0] == 400


@pytest.mark.parametrize("name", ["id18-2089ab6f", "Shared", "1binding", "a" * 65, "with_underscore"])
def test_binding_names_outside_the_api_pattern_are_refused(emulator, names, identity, name):
    """The REST specification of identityBindings allows ^[a-z][a-z0-9]{0,63}$ (no hyphen)."""
    emulator.seed_cluster(names.rg, names.cluster)
    status, _, error = bind(emulator, names.rg, names.cluster, name, identity)
    assert status == 400 and error["error"]["code"] == "InvalidParameter"
    assert bind(emulator, names.rg, names.cluster, "a" * 64, identity)[0] == 201
