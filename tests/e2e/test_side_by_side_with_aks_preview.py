"""Installed next to aks-preview (a stand-in the tests build): aks-preview keeps `aks create/update` with all of its
flags, this extension keeps `aks pod-identity`, the user is told once, and removing aks-preview gives this
extension's `aks create/update` back without reinstalling anything."""
import os

import pytest

from tests.e2e.helpers import cluster_puts, grant_puts, pod_identity_args
from tests.harness.azcli import AzRunner
from tests.harness.emulator_client import REPO
from tests.harness.wheel import build_wheel

SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 test@example.com"
NOTICE = "'aks-preview' runs 'az aks create' and 'az aks update'"
STANDIN_RAN = "aks-preview stand-in ran"


@pytest.fixture(scope="module")
def standin_wheel(run_dir):
    return build_wheel(str(run_dir / "standin-dist"), os.path.join(REPO, "tests", "standins", "aks_preview"))


def _both_installed(run_dir, name, wheel, standin_wheel, emulator_process):
    runner = AzRunner(str(run_dir / name / "config"), str(run_dir / name / "extensions"), emulator_process.cert,
                      emulator_process.url)
    runner.ok("extension", "add", "--source", standin_wheel, "-y")
    runner.ok("extension", "add", "--source", wheel, "-y")
    runner.login()
    return runner


@pytest.fixture(scope="module")
def both(run_dir, wheel, standin_wheel, emulator_process):
    return _both_installed(run_dir, "both", wheel, standin_wheel, emulator_process)


def test_aks_preview_flags_work_on_update_with_its_pod_identity_flag(both, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    result = both("aks", "update", "-g", names.rg, "-n", names.cluster, "--standin-preview-tag", "t1",
                  "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    assert "altered by the following extension: aks-preview" in result.stderr
    (put,) = cluster_puts(emulator)
    assert put["body"]["tags"]["aks-preview-standin"] == "t1"
    assert put["body"]["properties"]["podIdentityProfile"]["enabled"] is True


def test_aks_preview_flags_work_on_create_and_disable(both, emulator, names):
    emulator.seed_group(names.rg)
    created = both("aks", "create", "-g", names.rg, "-n", names.cluster, "--ssh-key-value", SSH_KEY,
                   "--network-plugin", "azure", "--standin-preview-tag", "t2", "--enable-pod-identity")
    assert created.exit_code == 0, str(created)
    disabled = both("aks", "update", "-g", names.rg, "-n", names.cluster, "--disable-pod-identity")
    assert disabled.exit_code == 0, str(disabled)
    create_put, disable_put = cluster_puts(emulator)
    assert create_put["body"]["tags"]["aks-preview-standin"] == "t2"
    assert create_put["body"]["properties"]["podIdentityProfile"]["enabled"] is True
    assert disable_put["body"]["properties"]["podIdentityProfile"]["enabled"] is False


def test_pod_identity_commands_are_this_extensions(both, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})
    identity = emulator.seed_identity(names.identity_rg, "app")
    added = both(*pod_identity_args(names, identity))
    assert added.exit_code == 0 and STANDIN_RAN not in added.stderr, str(added)
    (put,) = cluster_puts(emulator)
    assert put["if_match"]  # this extension's read-modify-write
    assert len(grant_puts(emulator)) == 1
    others = (["list", "-o", "table"], ["exception", "list"],
              ["exception", "add", "--namespace", "shop", "--name", "e", "--pod-labels", "a=b"])
    for args in others:
        result = both("aks", "pod-identity", *args, "-g", names.rg, "--cluster-name", names.cluster)
        assert result.exit_code == 0 and STANDIN_RAN not in result.stderr, str(result)
    assert "--identity-resource-id" in both.ok("aks", "pod-identity", "add", "-h").stdout


def test_the_user_is_told_once_which_extension_runs_what(both, emulator, names, run_dir):
    emulator.seed_cluster(names.rg, names.cluster)
    fresh = both.with_extension_dir(both.extension_dir, str(run_dir / "both" / "config-notice"))
    fresh.login()
    assert NOTICE not in fresh.ok("aks", "show", "-g", names.rg, "-n", names.cluster).stderr
    first = fresh.ok("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster)
    again = fresh.ok("aks", "pod-identity", "list", "-g", names.rg, "--cluster-name", names.cluster)
    update = fresh.ok("aks", "update", "-g", names.rg, "-n", names.cluster, "--standin-preview-tag", "t3")
    assert first.stderr.count(NOTICE) == 1
    assert NOTICE not in again.stderr and NOTICE not in update.stderr


def test_removing_aks_preview_gives_back_this_extensions_create_and_update(
        run_dir, wheel, standin_wheel, emulator_process, emulator, names):
    runner = _both_installed(run_dir, "removal", wheel, standin_wheel, emulator_process)
    emulator.seed_cluster(names.rg, names.cluster)
    runner.ok("extension", "remove", "--name", "aks-preview")
    refused = runner("aks", "update", "-g", names.rg, "-n", names.cluster, "--standin-preview-tag", "t4")
    assert refused.exit_code == 2 and "unrecognized arguments: --standin-preview-tag" in refused.stderr
    result = runner("aks", "update", "-g", names.rg, "-n", names.cluster, "--enable-pod-identity")
    assert result.exit_code == 0, str(result)
    assert "altered by the following extension: podidentity" in result.stderr
    (put,) = cluster_puts(emulator)
    assert put["if_match"]  # this extension's update pins the eTag
