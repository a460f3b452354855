"""The how-to's first steps: the EnablePodIdentityPreview feature and the provider registration, through the real az.

Core `az feature` and `az provider` run unchanged against the emulator's Features API; a subscription without the
feature gets the service's refusal, and the extension adds the how-to's commands that clear it.
"""
import json
import time

import pytest

from tests.e2e.helpers import cluster_puts, grant_puts, pod_identity_args

FEATURE = ["--namespace", "Microsoft.ContainerService", "--name", "EnablePodIdentityPreview"]
REFUSAL = ("PodIdentity addon is not allowed since feature 'Microsoft.ContainerService/EnablePodIdentityPreview' "
           "is not enabled.")
REGISTER = 'az feature register --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview"'
SHOW = 'az feature show --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview"'
PROVIDER = "az provider register --namespace Microsoft.ContainerService"
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 test@example.com"


def feature_state(az):
    return az.ok("feature", "show", *FEATURE, "--query", "properties.state", "-o", "tsv").stdout.strip()


def wait_for_state(az, state, polls=40):
    """Poll `az feature show` as the how-to says, bounded."""
    for _ in range(polls):
        if feature_state(az) == state:
            return
        time.sleep(0.5)
    raise AssertionError(f"feature never reached {state}")


def enable(az, names):
    return az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity")


def feature_reads(emulator):
    return emulator.arm_requests("GET", "/Microsoft.Features/")


def test_core_feature_and_provider_commands_move_through_the_documented_states(az, emulator):
    emulator.seed_feature("NotRegistered")
    emulator.settings(feature_registration_seconds=1.0)
    assert feature_state(az) == "NotRegistered"
    registered = az.ok("feature", "register", *FEATURE)
    assert registered.json == {
        "id": f"/subscriptions/{emulator.subscription}/providers/Microsoft.Features/providers/"
              "Microsoft.ContainerService/features/EnablePodIdentityPreview",
        "name": "Microsoft.ContainerService/EnablePodIdentityPreview", "properties": {"state": "Registering"},
        "type": "Microsoft.Features/providers/features"}
    assert "az provider register -n Microsoft.ContainerService" in registered.stderr  # core's own reminder
    wait_for_state(az, "Registered")
    table = az.ok("feature", "list", "--namespace", "Microsoft.ContainerService", "-o", "table").stdout
    assert ["Microsoft.ContainerService/EnablePodIdentityPreview", "Registered"] in \
        [line.split() for line in table.splitlines()]
    az.ok("provider", "register", "--namespace", "Microsoft.ContainerService")
    provider = az.ok("provider", "show", "--namespace", "Microsoft.ContainerService").json
    assert (provider["namespace"], provider["registrationState"]) == ("Microsoft.ContainerService", "Registered")
    # the how-to's tip: unregister
    unregistered = az.ok("feature", "unregister", *FEATURE)
    assert unregistered.json["properties"]["state"] == "Unregistering"
    wait_for_state(az, "Unregistered")
    assert az("feature", "show", "--namespace", "Microsoft.ContainerService", "--name", "NoSuchFeature").exit_code == 3


def test_enabling_without_the_feature_gives_the_services_message_and_the_how_tos_commands(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.seed_feature("NotRegistered")
    refused = enable(az, names)
    assert refused.exit_code == 1, str(refused)
    assert f"(BadRequest) {REFUSAL}" in refused.stderr
    assert "is not registered in subscription" in refused.stderr and "(state: NotRegistered)" in refused.stderr
    for command in (REGISTER, SHOW, PROVIDER):
        assert command in refused.stderr
    assert "--subscription" not in refused.stderr  # the default subscription: the how-to's commands verbatim
    assert len(cluster_puts(emulator)) == 1 and len(feature_reads(emulator)) == 1
    # The commands it printed, in turn, make the same command succeed.
    emulator.settings(feature_registration_seconds=0.5)
    az.ok("feature", "register", *FEATURE)
    wait_for_state(az, "Registered")
    az.ok("provider", "register", "--namespace", "Microsoft.ContainerService")
    result = enable(az, names)
    assert result.exit_code == 0, str(result)
    assert result.json["podIdentityProfile"]["enabled"] is True


def test_create_without_the_feature_is_refused_with_the_same_commands(az, emulator, names):
    emulator.seed_group(names.rg)
    emulator.seed_feature("Unregistered")
    refused = az("aks", "create", "-g", names.rg, "-n", names.cluster, "--ssh-key-value", SSH_KEY,
                 "--enable-pod-identity", "--network-plugin", "azure")
    assert refused.exit_code == 1, str(refused)
    assert REFUSAL in refused.stderr and "(state: Unregistered)" in refused.stderr and REGISTER in refused.stderr
    assert len(cluster_puts(emulator)) == 1  # core's retries do not repeat a refusal
    assert emulator.cluster(names.rg, names.cluster) is None


def test_a_feature_still_registering_is_named_as_such(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.seed_feature("NotRegistered")
    emulator.settings(feature_registration_seconds=600)
    az.ok("feature", "register", *FEATURE)
    refused = enable(az, names)
    assert refused.exit_code == 1 and REFUSAL in refused.stderr
    assert "is still Registering" in refused.stderr and "not registered" not in refused.stderr
    assert SHOW in refused.stderr and PROVIDER in refused.stderr and REGISTER not in refused.stderr


def test_a_registered_feature_the_provider_has_not_seen_asks_only_for_the_provider(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.seed_feature("NotRegistered")
    emulator.settings(feature_registration_seconds=0.0)
    az.ok("feature", "register", *FEATURE)
    assert feature_state(az) == "Registered"
    refused = enable(az, names)
    assert refused.exit_code == 1 and REFUSAL in refused.stderr
    assert "is Registered in subscription" in refused.stderr and PROVIDER in refused.stderr
    assert REGISTER not in refused.stderr
    az.ok("provider", "register", "--namespace", "Microsoft.ContainerService")
    assert enable(az, names).exit_code == 0


def test_a_cluster_in_another_subscription_gets_commands_that_name_it(az, emulator, names):
    other = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    emulator.seed_cluster(names.rg, names.cluster, subscription=other)
    emulator.seed_feature("NotRegistered", subscription=other)
    refused = az("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity",
                 "--subscription", other)
    assert refused.exit_code == 1 and REFUSAL in refused.stderr
    assert f"{REGISTER} --subscription {other}" in refused.stderr
    assert f"{PROVIDER} --subscription {other}" in refused.stderr


def test_add_on_a_subscription_that_unregistered_the_feature_explains_and_leaves_no_grant(az, emulator, names,
                                                                                          cluster, identity):
    emulator.seed_feature("Unregistered")
    az.ok("provider", "register", "--namespace", "Microsoft.ContainerService")  # the provider takes it in
    emulator.call("DELETE", "/_emulator/requests")
    refused = az(*pod_identity_args(names, identity))
    assert refused.exit_code == 1, str(refused)
    assert REFUSAL in refused.stderr and "(state: Unregistered)" in refused.stderr and REGISTER in refused.stderr
    assert len(cluster_puts(emulator)) == 1
    assert len(grant_puts(emulator)) == 1  # the grant add created first ...
    principal = cluster["identity"]["principalId"]
    assert [a for a in emulator.role_assignments(principal)
            if a["properties"]["scope"].lower() == identity["id"].lower()] == []  # ... is removed again


def test_the_feature_state_that_cannot_be_read_still_gives_every_command(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.seed_feature("NotRegistered")
    emulator.add_fault(method="GET", path="/Microsoft.Features/", status=403, code="AuthorizationFailed",
                       message="The client does not have authorization to perform action "
                               "'Microsoft.Features/providers/features/read'.")
    refused = enable(az, names)
    assert refused.exit_code == 1 and REFUSAL in refused.stderr
    assert "could not be read ((AuthorizationFailed)" in refused.stderr
    for command in (REGISTER, SHOW, PROVIDER):
        assert command in refused.stderr


@pytest.mark.parametrize("seed,message", [
    ({"network_plugin": "kubenet"}, "Network plugin kubenet is not supported to use with PodIdentity addon."),
    ({"identity": "service-principal"}, "PodIdentity addon requires managed identity."),
    ({}, REFUSAL),
])
def test_the_services_refusals_for_enabling_each_with_code_and_message(az, emulator, names, seed, message):
    """Each refusal as the service gives it, sent with core `az rest` (the extension checks the first two itself)."""
    cluster = emulator.seed_cluster(names.rg, names.cluster, **seed)
    if message == REFUSAL:
        emulator.seed_feature("NotRegistered")
    body = {"location": cluster["location"], "identity": cluster.get("identity"),
            "properties": dict(cluster["properties"], podIdentityProfile={"enabled": True})}
    url = f"{emulator.url}{cluster['id']}?api-version=2024-10-01"
    refused = az("rest", "--method", "put", "--url", url, "--body", json.dumps(body))
    assert refused.exit_code == 1
    assert '"code": "BadRequest"' in refused.stderr and message in refused.stderr
