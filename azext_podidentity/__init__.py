# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Azure CLI extension: Microsoft Entra pod-managed identities on AKS.

This module is imported for every `az aks ...` command (the extension extends `aks create/update`), so it
imports nothing heavy: command handlers, SDK models and core acs modules load only when a command runs.
"""
from azure.cli.core import AzCommandsLoader

from azext_podidentity._help import helps  # noqa: F401  pylint: disable=unused-import


class PodIdentityCommandsLoader(AzCommandsLoader):

    def __init__(self, cli_ctx=None):
        from azure.cli.core.commands import CliCommandType
        super().__init__(cli_ctx=cli_ctx,
                         custom_command_type=CliCommandType(operations_tmpl="azext_podidentity.custom#{}"))
        # False when another extension (aks-preview) already took over `aks create/update` in this run
        self.extends_core_aks_commands = True

    def load_command_table(self, args):
        from azext_podidentity.commands import load_command_table
        load_command_table(self, args)
        return self.command_table

    def load_arguments(self, command):
        # Runs for every `az aks` command: only this extension's commands need its arguments. A whole-table load
        # (az self-test, az interactive, reference docs, azdev) asks once, with an empty command name.
        if not command or command.startswith("aks pod-identity") or command in ("aks create", "aks update"):
            from azext_podidentity._params import load_arguments
            load_arguments(self, command)


COMMAND_LOADER_CLS = PodIdentityCommandsLoader  # pylint: disable=invalid-name
