"""Two promises about speed that code review alone would not keep."""
import ast
import os
import subprocess
import sys

from tests.harness.emulator_client import REPO

PACKAGE = os.path.join(REPO, "azext_podidentity")
# The only waits allowed: backoff after a failure or a busy cluster, a wait the service asked for (Retry-After, a
# quota's reset) and a wait command's --interval (retry.py).
ALLOWED_SLEEPS = {("retry.py", "sleep_before_retry"), ("retry.py", "after_busy"), ("retry.py", "poll"),
                  ("retry.py", "wait_as_told")}


def _sleep_calls():
    found = []
    for name in sorted(os.listdir(PACKAGE)):
        if not name.endswith(".py"):
            continue
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
                                                  "azext_podidentity.custom", "azext_podidentity.aks_create_update"))]
    assert heavy == []
