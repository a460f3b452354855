# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------


def cf_managed_clusters(cli_ctx, *_):
    # Imported when a command runs, not when the command table loads.
    from azure.cli.command_modules.acs._client_factory import cf_managed_clusters as core_factory
    return core_factory(cli_ctx)
