"""When azure-cli loads every command at once (az self-test, az interactive, the reference-doc generator, azdev),
each command of the extension has its real option names and help."""
import json
import subprocess
import sys

import pytest

from tests.e2e.test_help import COMMANDS

# What `az self-test` does first (azure.cli.core.file_util), then each extension command's options and help.
LOAD_ALL = """
import json, sys
from azure.cli.core import get_default_cli
from azure.cli.core.file_util import create_invoker_and_load_cmds_and_args
cli = get_default_cli()
create_invoker_and_load_cmds_and_args(cli)
table = cli.invocation.commands_loader.command_table
out = {}
for name in json.loads(sys.argv[1]):
    arguments = table[name].arguments
    out[name] = {dest: {"options": list(a.type.settings.get("options_list") or []),
                        "help": a.type.settings.get("help")}
                 for dest, a in arguments.items() if a.type.settings.get("help") != "==SUPPRESS=="
                 and a.type.settings.get("options_list")}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def az_public_cloud(az, run_dir):
    """The extension installed, in a fresh configuration: the public cloud, whose endpoint suffixes core's modules
    read while loading their arguments. Loading needs no login."""
    return az.with_extension_dir(az.extension_dir, str(run_dir / "config-whole-table"))


@pytest.fixture(scope="module")
def loaded_all(az_public_cloud):
    proc = subprocess.run([sys.executable, "-c", LOAD_ALL, json.dumps(COMMANDS)], capture_output=True, text=True,
                          env=az_public_cloud.env, cwd=az_public_cloud.cwd, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_real_option_names(loaded_all):
    add = loaded_all["aks pod-identity add"]
    assert add["identity_namespace"]["options"] == ["--namespace"]
    assert add["identity_name"]["options"] == ["--name", "-n"]
    assert loaded_all["aks pod-identity exception update"]["pod_labels"]["options"] == ["--pod-labels"]
    assert loaded_all["aks pod-identity migrate"]["dry_run"]["options"] == ["--dry-run"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_parameter_has_help(loaded_all, command):
    missing = [dest for dest, arg in loaded_all[command].items() if not arg["help"]]
    assert not missing, f"{command}: no help for {missing}"


def test_az_self_test_passes(az_public_cloud):
    result = az_public_cloud("self-test", timeout=600)
    assert result.exit_code == 0, str(result)
    assert "CLI self-test completed: OK" in result.stdout
