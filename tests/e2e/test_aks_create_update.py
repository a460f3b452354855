"""`az aks create/update` with the pod identity flags: core's commands extended, nothing of core lost."""
import re

import pytest

from azext_podidentity._help import _CORE_EXAMPLES
from tests.e2e.helpers import cluster_puts, pod_identity_args, profile

SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 test@example.com"
NEW_CREATE_FLAGS = ("--enable-pod-identity", "--enable-pod-identity-with-kubenet")
NEW_UPDATE_FLAGS = NEW_CREATE_FLAGS + ("--disable-pod-identity",)


def create(az, names, *extra):
    return az("aks", "create", "-g", names.rg, "-n", names.cluster, "--ssh-key-value", SSH_KEY, *extra)


def update(az, names, *extra):
    return az("aks", "update", "-g", names.rg, "-n", names.cluster, *extra)


def sent_profile(emulator):
    (put,) = cluster_puts(emulator)
    return put["body"]["properties"].get("podIdentityProfile")


# ----- create

def test_create_with_azure_cni_enables_pod_identity_in_the_create_put(az, emulator, names):
    emulator.seed_group(names.rg)
    result = create(az, names, "--enable-pod-identity", "--network-plugin", "azure")
    assert result.exit_code == 0, str(result)
    assert sent_profile(emulator) == {"enabled": True, "allowNetworkPluginKubenet": False}
    assert result.json["podIdentityProfile"]["enabled"] is True
    assert "altered by the following extension: podidentity" in result.stderr


def test_create_on_kubenet_needs_consent(az, emulator, names):
    emulator.seed_group(names.rg)
    refused = create(az, names, "--enable-pod-identity", "--network-plugin", "kubenet")
    assert refused.exit_code == 1 and "--enable-pod-identity-with-kubenet" in refused.stderr
    assert cluster_puts(emulator) == []
    result = create(az, names, "--enable-pod-identity", "--enable-pod-identity-with-kubenet",
                    "--network-plugin", "kubenet")
    assert result.exit_code == 0, str(result)
    assert sent_profile(emulator) == {"enabled": True, "allowNetworkPluginKubenet": True}


@pytest.mark.parametrize("extra,message", [
    (["--enable-pod-identity-with-kubenet"], "--enable-pod-identity-with-kubenet needs --enable-pod-identity"),
    (["--enable-pod-identity", "--service-principal", "0b1f6471-1bf0-4dda-aec3-111122223333",
      "--client-secret", "s3cret"], "needs a cluster with a managed identity"),
])
def test_create_refuses_bad_combinations_before_any_request(az, emulator, names, extra, message):
    result = create(az, names, *extra)
    assert result.exit_code == 2 and message in result.stderr
    assert emulator.requests() == []


def test_create_still_refuses_an_existing_cluster(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    result = create(az, names, "--enable-pod-identity")
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert cluster_puts(emulator) == []


def test_create_keeps_core_options(az, emulator, names):
    emulator.seed_group(names.rg)
    result = create(az, names, "--enable-pod-identity", "--tags", "team=payments", "--enable-cluster-autoscaler",
                    "--min-count", "1", "--max-count", "4", "--node-count", "2")
    assert result.exit_code == 0, str(result)
    (put,) = cluster_puts(emulator)
    (pool,) = put["body"]["properties"]["agentPoolProfiles"]
    assert (pool["enableAutoScaling"], pool["minCount"], pool["maxCount"], pool["count"]) == (True, 1, 4, 2)
    assert put["body"]["tags"] == {"team": "payments"}


# ----- update

def test_update_enables_with_empty_lists(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    result = update(az, names, "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    assert sent_profile(emulator) == {"enabled": True, "allowNetworkPluginKubenet": False,
                                      "userAssignedIdentities": [], "userAssignedIdentityExceptions": []}
    assert profile(emulator, names) == {"enabled": True, "allowNetworkPluginKubenet": False}


@pytest.fixture(name="populated")
def populated_cluster(az, emulator, names):
    cluster = emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    emulator.grant(identity["id"], cluster["identity"]["principalId"])
    az.ok(*pod_identity_args(names, identity))
    az.ok("aks", "pod-identity", "exception", "add", "-g", names.rg, "--cluster-name", names.cluster,
          "--namespace", "shop", "--name", "exc", "--pod-labels", "a=b")
    emulator.reset_test_controls()
    return cluster


def test_update_enable_on_an_enabled_cluster_keeps_identities_and_exceptions(az, emulator, names, populated):
    assert update(az, names, "--enable-pod-identity").exit_code == 0
    after = profile(emulator, names)
    assert [e["name"] for e in after["userAssignedIdentities"]] == ["web"]
    assert [e["name"] for e in after["userAssignedIdentityExceptions"]] == ["exc"]


def test_update_on_kubenet_needs_consent_and_stored_consent_counts(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet")
    refused = update(az, names, "--enable-pod-identity")
    assert refused.exit_code == 1 and "--enable-pod-identity-with-kubenet" in refused.stderr
    assert cluster_puts(emulator) == []
    assert update(az, names, "--enable-pod-identity", "--enable-pod-identity-with-kubenet").exit_code == 0
    emulator.reset_test_controls()
    again = update(az, names, "--enable-pod-identity")  # consent already stored on the cluster
    assert again.exit_code == 0, str(again)
    assert sent_profile(emulator)["allowNetworkPluginKubenet"] is True


def test_kubenet_flag_alone_records_consent_on_an_enabled_cluster(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="azure", pod_identity={"enabled": True})
    result = update(az, names, "--enable-pod-identity-with-kubenet")
    assert result.exit_code == 0, str(result)
    assert sent_profile(emulator) == {"enabled": True, "allowNetworkPluginKubenet": True}


def test_kubenet_flag_alone_on_a_disabled_cluster_says_to_add_enable(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, network_plugin="kubenet")
    result = update(az, names, "--enable-pod-identity-with-kubenet")
    assert result.exit_code == 1 and "Add --enable-pod-identity" in result.stderr
    assert cluster_puts(emulator) == []


def test_enable_and_disable_together_are_mutually_exclusive(az, emulator, names):
    result = update(az, names, "--enable-pod-identity", "--disable-pod-identity")
    assert result.exit_code == 2 and "mutually exclusive" in result.stderr
    assert emulator.requests() == []


def test_enable_on_service_principal_cluster_is_refused_before_any_put(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, identity="service-principal")
    result = update(az, names, "--enable-pod-identity")
    assert result.exit_code == 1 and "requires a cluster that uses a managed identity" in result.stderr
    assert cluster_puts(emulator) == []


def test_disable_without_a_terminal_and_without_yes_removes_nothing(az, emulator, names, populated):
    result = update(az, names, "--disable-pod-identity")
    assert result.exit_code == 1
    assert "removes 1 pod identities and 1 pod identity exceptions" in result.stderr
    assert "--yes" in result.stderr
    assert cluster_puts(emulator) == []


def test_disable_with_yes_removes_and_lists_what_it_removed(az, emulator, names, populated):
    result = update(az, names, "--disable-pod-identity", "--yes")
    assert result.exit_code == 0, str(result)
    assert sent_profile(emulator) == {"enabled": False}
    assert profile(emulator, names) == {}
    assert "Removed pod identity 'web' in namespace 'shop'." in result.stderr
    assert "Removed pod identity exception 'exc' in namespace 'shop'." in result.stderr


def test_disable_with_an_answer_at_the_prompt(az, emulator, names, populated, tmp_path):
    import os
    import pty
    import subprocess
    from tests.harness.azcli import AZ
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([AZ, "aks", "update", "-g", names.rg, "-n", names.cluster, "--disable-pod-identity"],
                            stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=az.env, text=True,
                            cwd=az.cwd)
    os.close(secondary)
    os.write(primary, b"n\n")
    _, stderr = proc.communicate(timeout=120)
    os.close(primary)
    assert proc.returncode == 0
    assert cluster_puts(emulator) == []  # answered no: nothing removed
    assert profile(emulator, names)["userAssignedIdentities"]


def test_update_pins_the_etag_and_reapplies_after_a_concurrent_change(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    emulator.add_fault(method="PUT", path="managedClusters/" + names.cluster, kind="interleave", patch={
        "properties": {"podIdentityProfile": {"userAssignedIdentityExceptions": [
            {"name": "concurrent", "namespace": "ops", "podLabels": {"app": "x"}}]}}})
    result = update(az, names, "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    assert [p["status"] for p in cluster_puts(emulator)] == [412, 200]
    assert all(p["if_match"] for p in cluster_puts(emulator))
    assert [e["name"] for e in profile(emulator, names)["userAssignedIdentityExceptions"]] == ["concurrent"]


def test_update_keeps_core_options(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    result = update(az, names, "--tags", "team=payments", "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    (put,) = cluster_puts(emulator)
    assert put["body"]["tags"] == {"team": "payments"}
    assert put["body"]["properties"]["podIdentityProfile"]["enabled"] is True
    emulator.reset_test_controls()
    result = update(az, names, "--enable-cluster-autoscaler", "--min-count", "1", "--max-count", "5")
    assert result.exit_code == 0, str(result)
    (put,) = cluster_puts(emulator)
    pool = put["body"]["properties"]["agentPoolProfiles"][0]
    assert (pool["enableAutoScaling"], pool["minCount"], pool["maxCount"]) == (True, 1, 5)
    assert put["if_match"] is None  # without pod identity flags, core's behaviour is untouched


def test_update_no_wait(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.settings(operation_seconds=5)
    result = update(az, names, "--enable-pod-identity", "--no-wait")
    assert result.exit_code == 0 and result.stdout.strip() == ""
    assert emulator.arm_requests("GET", "/operations/") == []


# ----- help

def _option_blocks(help_text):
    """Split help output into blocks: an option line with its wrapped continuation lines, or any other line.

    Blocks are compared without their whitespace (``_same_text``): a longer option name widens the option column
    and rewraps every block, even inside hyphenated words, on releases whose own longest option is shorter; that
    changes no option and no help text.
    """
    blocks = []
    for line in help_text.splitlines():
        if re.match(r"^ {20,}\S", line) and blocks:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


def _same_text(block):
    return "".join(block.split())


@pytest.mark.parametrize("command,flags", [("create", NEW_CREATE_FLAGS), ("update", NEW_UPDATE_FLAGS)])
def test_help_is_core_help_plus_exactly_the_new_flags_and_examples(az, core_az, command, flags):
    extended = az.ok("aks", command, "-h").stdout
    core = core_az.ok("aks", command, "-h").stdout
    core_texts = {_same_text(b) for b in _option_blocks(core)}
    extended_texts = {_same_text(b) for b in _option_blocks(extended)}
    added = [b for b in _option_blocks(extended) if _same_text(b) not in core_texts]
    removed = [b for b in _option_blocks(core) if _same_text(b) not in extended_texts]
    assert removed == []
    flag_blocks = [b for b in added if b.strip().startswith("--")]
    assert sorted(b.split()[0] for b in flag_blocks) == sorted(flags)
    others = [" ".join(b.split()) for b in added if not b.strip().startswith("--") and b.strip()]
    examples = " ".join(_CORE_EXAMPLES[f"aks {command}"].split())
    assert others and all(line in examples for line in others), others
