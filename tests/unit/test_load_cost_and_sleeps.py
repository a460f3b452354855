"""Two promises about speed that code review alone would not keep."""
import ast
import json
import os
import subprocess
import sys

import pytest

from tests.harness.emulator_client import REPO

PACKAGE = os.path.join(REPO, "azext_podidentity")
# The only waits allowed: backoff after a failure or a busy cluster, a wait the service asked for (Retry-After, a
# quota's reset) and a wait command's --interval (retry.py).
ALLOWED_SLEEPS = {("arm/retry.py", "sleep_before_retry"), ("arm/retry.py", "after_busy"), ("arm/retry.py", "poll"),
                  ("arm/retry.py", "wait_as_told")}


def _modules():
    """Every module of the package, subpackages included, as a path relative to it."""
    return sorted(os.path.relpath(os.path.join(folder, name), PACKAGE)
                  for folder, _, names in os.walk(PACKAGE) for name in names if name.endswith(".py"))


def _sleep_calls():
    found = []
    for name in _modules():
        tree = ast.parse(open(os.path.join(PACKAGE, name), encoding="utf-8").read())
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Module))]:
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if callee == "sleep":
                        found.append((name, getattr(function, "name", "<module>")))
    return found


def test_no_fixed_sleep_in_the_product():
    calls = _sleep_calls()
    assert calls, "the scan found no sleep at all: it is not looking at the package"
    inner = {c for c in calls if c[1] != "<module>"}
    assert inner <= ALLOWED_SLEEPS, f"sleeps outside the retry backoff: {sorted(inner - ALLOWED_SLEEPS)}"


LOAD_SCRIPT = """
import sys
import types
from azure.cli.core import get_default_cli
cli = get_default_cli()
sys.stderr.write("-- loading the extension --\\n")
sys.stderr.flush()
from azext_podidentity import COMMAND_LOADER_CLS
loader = COMMAND_LOADER_CLS(cli_ctx=cli)
loader.load_command_table(None)
for command in ("aks show", "aks get-credentials", "aks pod-identity list"):
    # what azure-cli's invocation provides while it loads one command's arguments
    cli.invocation = types.SimpleNamespace(data={"command_string": command})
    loader.command_name = command
    loader.load_arguments(command)
"""


def test_loading_the_extension_imports_no_sdk_or_handler_module():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", LOAD_SCRIPT], cwd=REPO, capture_output=True,
                          text=True, check=True)
    after = proc.stderr.split("-- loading the extension --", 1)[1]
    imported = [line.split("|")[-1].strip() for line in after.splitlines() if line.startswith("import time:")]
    assert "azext_podidentity.commands" in imported  # the measurement sees the extension load
    heavy = [m for m in imported if m.startswith(("azure.mgmt", "azure.cli.command_modules.acs.custom",
                                                  "azure.cli.command_modules.acs.managed_cluster_decorator",
                                                  "azext_podidentity.custom", "azext_podidentity.addon"))]
    assert heavy == []


# The extension's modules that `az aks -h` and `az aks show` import (the extension loads for every `az aks` command):
# the command surface only. A module added here costs every user of `az aks`.
AKS_COMMAND_MODULES = ["azext_podidentity", "azext_podidentity._client_factory", "azext_podidentity._format",
                       "azext_podidentity._help", "azext_podidentity.coexistence", "azext_podidentity.commands"]
MODULES_SCRIPT = """
import json
import sys
import types
from azure.cli.core import get_default_cli
cli = get_default_cli()
before = set(sys.modules)
from azext_podidentity import COMMAND_LOADER_CLS
loader = COMMAND_LOADER_CLS(cli_ctx=cli)
loader.load_command_table(sys.argv[1:])
command = " ".join(a for a in sys.argv[1:] if not a.startswith("-"))
cli.invocation = types.SimpleNamespace(data={"command_string": command})
loader.command_name = command
loader.load_arguments(command)
print(json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith("azext_podidentity"))))
"""


@pytest.mark.parametrize("args", [["aks", "-h"], ["aks", "show"]])
def test_az_aks_commands_import_only_the_command_surface(args):
    proc = subprocess.run([sys.executable, "-c", MODULES_SCRIPT, *args], cwd=REPO, capture_output=True, text=True,
                          check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == AKS_COMMAND_MODULES
