"""Every group and command of the extension has an example, and every parameter has help."""
import re

import pytest

GROUPS = ["aks pod-identity", "aks pod-identity exception"]
COMMANDS = ["aks pod-identity add", "aks pod-identity delete", "aks pod-identity list", "aks pod-identity migrate",
            "aks pod-identity wait", "aks pod-identity exception add", "aks pod-identity exception update",
            "aks pod-identity exception delete", "aks pod-identity exception list",
            "aks pod-identity exception wait"]


def _section(text, title):
    match = re.search(rf"^{title}\n(.*?)(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


@pytest.mark.parametrize("command", GROUPS + COMMANDS)
def test_help_has_an_example(az, command):
    text = az.ok(*command.split(), "-h").stdout
    assert _section(text, "Examples").strip(), text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_parameter_has_help(az, command):
    arguments = _section(az.ok(*command.split(), "-h").stdout, "Arguments")
    options = [line for line in arguments.splitlines() if line.strip().startswith("-")]
    assert options
    for line in options:
        assert re.search(r":\s+\S", line), f"no help for {line.strip()}"
