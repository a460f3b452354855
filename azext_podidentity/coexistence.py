# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Living next to another extension that takes over `az aks create` and `az aks update` (aks-preview).

azure-cli loads extensions sorted by name and the last one to register a command replaces the others. Taking
`aks create/update` from aks-preview would make every one of its own flags an unrecognized argument, so when an
extension loaded before this one already owns them, this extension leaves them to it (aks-preview has the pod
identity flags too) and keeps only `az aks pod-identity`. The choice is made anew by every command (only the
notice that was shown is recorded): remove that extension and the next command registers this extension's
`aks create/update` again.
"""
from knack.log import get_logger

logger = get_logger(__name__)

CORE_COMMANDS_TAKEN_OVER = ("aks create", "aks update")
_NOTICE_SECTION, _NOTICE_KEY = "podidentity", "shared_aks_commands_notice"


def other_owner_of_core_commands(cli_ctx):
    """Name of an extension, loaded before this one in this run, that took over `aks create/update`; else None."""
    loader = getattr(getattr(cli_ctx, "invocation", None), "commands_loader", None)
    table = getattr(loader, "command_table", None) or {}
    for name in CORE_COMMANDS_TAKEN_OVER:
        owner = getattr(getattr(table.get(name), "command_source", None), "extension_name", None)
        if owner:
            return owner
    return None


def tell_once(cli_ctx, owner):
    """Say once per configuration which extension runs what; record that it was said."""
    if cli_ctx.config.get(_NOTICE_SECTION, _NOTICE_KEY, fallback="") == owner:
        return
    logger.warning("Extensions '%s' and 'podidentity' are both installed: '%s' runs 'az aks create' and "
                   "'az aks update', with its --enable-pod-identity, --enable-pod-identity-with-kubenet and "
                   "--disable-pod-identity; 'podidentity' runs 'az aks pod-identity'. This is shown once.",
                   owner, owner)
    cli_ctx.config.set_value(_NOTICE_SECTION, _NOTICE_KEY, owner)
