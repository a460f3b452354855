"""What a user typed, or what a pipeline logs, must never harm them."""
import pytest

from tests.e2e.helpers import MIO, cluster_puts, pod_identity_args


def test_the_grant_is_created_at_the_identity_scope_and_nowhere_broader(az, emulator, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    az.ok(*pod_identity_args(names, identity))
    (grant,) = emulator.role_assignments(cluster["identity"]["principalId"])
    assert grant["properties"]["scope"].lower() == identity["id"].lower()
    assert grant["properties"]["roleDefinitionId"].endswith(MIO)


def test_no_access_token_in_any_output_even_with_debug(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    results = [
        az(*pod_identity_args(names, identity), "--debug"),
        az("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster, "--debug"),
        az("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
           "--namespace", "shop", "--name", "e", "--pod-labels", "a=b", "--debug"),
        az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity", "--debug"),
    ]
    assert all(r.exit_code == 0 for r in results), [str(r) for r in results if r.exit_code]
    assert all("DEBUG" in r.stderr for r in results)
    assert_no_token_in(emulator, results)


def assert_no_token_in(emulator, results):
    tokens = emulator.state()["tokens_issued"]
    assert tokens
    secrets = set(tokens) | {t.split(".")[1] for t in tokens}  # the token, and its claims part alone
    for result in results:
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr, f"token leaked by {result.args}"


def test_kubenet_consent_cannot_be_bypassed_through_custom_headers(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet")
    result = az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity",
                "--aks-custom-headers", "AllowNetworkPluginKubenet=true")
    assert result.exit_code != 0 and "--enable-pod-identity-with-kubenet" in result.stderr
    assert cluster_puts(emulator) == []


@pytest.mark.parametrize("headers", ["X-A=1\nX-Injected=2", "X-A=1\r\n", "Bad Name=1", "X-A"])
def test_custom_headers_cannot_smuggle_anything(az, emulator, names, headers):
    result = az("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster,
                "--aks-custom-headers", headers)
    assert result.exit_code == 2 and "--aks-custom-headers" in result.stderr
    assert emulator.requests() == []
