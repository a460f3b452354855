"""Federated identity credentials under a user-assigned identity, and the cluster's OIDC issuer."""
import pytest

API = "2024-11-30"
ISSUER = "https://eastus.oic.prod-aks.azure.com/tenant/guid/"


def credential_path(identity, name=None):
    return f"{identity['id']}/federatedIdentityCredentials" + (f"/{name}" if name else "")


def credential(subject, issuer=ISSUER):
    return {"properties": {"issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]}}


@pytest.fixture
def identity(emulator, names):
    return emulator.seed_identity(names.identity_rg, "app")


def test_put_get_list_delete(emulator, identity):
    status, _, created = emulator.arm("PUT", credential_path(identity, "fic-1"),
                                      credential("system:serviceaccount:ns:sa"), api_version=API)
    assert status == 201 and created["properties"]["subject"] == "system:serviceaccount:ns:sa"
    assert emulator.arm("PUT", credential_path(identity, "fic-1"), credential("system:serviceaccount:ns:sa2"),
                        api_version=API)[0] == 200
    assert emulator.arm("GET", credential_path(identity, "FIC-1"), api_version=API)[2]["properties"]["subject"] \
        == "system:serviceaccount:ns:sa2"
    assert [c["name"] for c in emulator.arm("GET", credential_path(identity), api_version=API)[2]["value"]] == \
        ["fic-1"]
    assert emulator.arm("DELETE", credential_path(identity, "fic-1"), api_version=API)[0] == 200
    assert emulator.arm("GET", credential_path(identity, "fic-1"), api_version=API)[0] == 404


def test_same_issuer_and_subject_twice_is_refused(emulator, identity):
    emulator.arm("PUT", credential_path(identity, "first"), credential("system:serviceaccount:ns:sa"),
                 api_version=API)
    status, _, error = emulator.arm("PUT", credential_path(identity, "second"),
                                    credential("system:serviceaccount:ns:sa"), api_version=API)
    assert status == 400
    assert error["error"]["message"] == "Issuer and subject combination already exists for this Managed Identity."


def test_at_most_20_credentials_per_identity(emulator, identity):
    for i in range(20):
        assert emulator.arm("PUT", credential_path(identity, f"fic-{i}"), credential(f"s:{i}"),
                            api_version=API)[0] == 201
    status, _, error = emulator.arm("PUT", credential_path(identity, "fic-20"), credential("s:20"), api_version=API)
    assert status == 400 and "The maximum allowed is 20." in error["error"]["message"]


@pytest.mark.parametrize("name,body", [("a", credential("s")), ("bad.name", credential("s")),
                                       ("ok-name", credential("s", issuer="http://plain")),
                                       ("ok-name", {"properties": {"issuer": ISSUER, "subject": "s"}})])
def test_invalid_credentials_are_refused(emulator, identity, name, body):
    assert emulator.arm("PUT", credential_path(identity, name), body, api_version=API)[0] == 400


def test_cluster_oidc_issuer_url_is_published_and_stable(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, oidc_issuer=True, workload_identity=True)
    cluster = emulator.cluster(names.rg, names.cluster)
    issuer = cluster["properties"]["oidcIssuerProfile"]["issuerURL"]
    assert issuer.startswith("https://eastus.oic.prod-aks.azure.com/") and issuer.endswith("/")
    path = (f"/subscriptions/{emulator.subscription}/resourceGroups/{names.rg}/providers/"
            f"Microsoft.ContainerService/managedClusters/{names.cluster}")
    emulator.arm("PUT", path, cluster)
    assert emulator.cluster(names.rg, names.cluster)["properties"]["oidcIssuerProfile"]["issuerURL"] == issuer


def test_workload_identity_needs_the_oidc_issuer(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    cluster = emulator.cluster(names.rg, names.cluster)
    cluster["properties"]["securityProfile"] = {"workloadIdentity": {"enabled": True}}
    path = (f"/subscriptions/{emulator.subscription}/resourceGroups/{names.rg}/providers/"
            f"Microsoft.ContainerService/managedClusters/{names.cluster}")
    status, _, error = emulator.arm("PUT", path, cluster)
    assert status == 400 and "requires enabling OIDC issuer" in error["message"]
