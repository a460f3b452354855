"""linter_exclusions.yml excludes only what core owns: options of core's `aks create`/`aks update` and core's `aks`
group. An exclusion of anything this extension defines would hide a defect of its own."""
import inspect
import os

import pytest
import yaml
from azure.cli.command_modules.acs import custom as core

from azext_podidentity.addon.aks_commands import CREATE_FLAGS, UPDATE_FLAGS
from tests.harness.emulator_client import REPO

PINNED_CLI = "2.91.0"  # exclusions are generated from the linter run on the pinned release


def exclusions():
    with open(os.path.join(REPO, "linter_exclusions.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_only_core_commands_and_groups():
    assert set(exclusions()) <= {"aks", "aks create", "aks update"}
    assert set(exclusions()["aks"]) == {"rule_exclusions"}  # the group itself, not one of its commands


def test_no_option_of_this_extension_is_excluded():
    ours = set(CREATE_FLAGS) | set(UPDATE_FLAGS)
    for command in ("aks create", "aks update"):
        excluded = set(exclusions()[command]["parameters"])
        assert not excluded & ours, f"{command}: {sorted(excluded & ours)} are this extension's options"


def test_every_excluded_option_is_cores():
    from azure.cli.core import __version__
    if __version__ != PINNED_CLI:
        pytest.skip(f"the exclusions name core {PINNED_CLI}'s options; this is {__version__}")
    for command, handler in (("aks create", core.aks_create), ("aks update", core.aks_update)):
        core_options = set(inspect.signature(handler).parameters)
        excluded = set(exclusions()[command]["parameters"])
        assert excluded <= core_options, f"{command}: not core's: {sorted(excluded - core_options)}"
        for parameter, entry in exclusions()[command]["parameters"].items():
            assert entry["rule_exclusions"], parameter
