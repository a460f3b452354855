"""Loader of the aks-preview stand-in: every `aks` argument of core plus its own, as aks-preview registers them."""
from azure.cli.core import AzCommandsLoader

POD_IDENTITY_COMMANDS = ["add", "delete", "list", "exception add", "exception update", "exception delete",
                         "exception list"]


class AksPreviewStandInLoader(AzCommandsLoader):

    def __init__(self, cli_ctx=None):
        from azure.cli.core.commands import CliCommandType
        super().__init__(cli_ctx=cli_ctx,
                         custom_command_type=CliCommandType(operations_tmpl="azext_aks_preview.custom#{}"))

    def load_command_table(self, args):
        from azure.cli.command_modules.acs._client_factory import cf_managed_clusters
        with self.command_group("aks", client_factory=cf_managed_clusters) as g:
            g.custom_command("create", "aks_create", supports_no_wait=True)
            g.custom_command("update", "aks_update", supports_no_wait=True)
        with self.command_group("aks pod-identity", client_factory=cf_managed_clusters) as g:
            for verb in POD_IDENTITY_COMMANDS:
                g.custom_command(verb, "aks_pod_identity_" + verb.replace(" ", "_"))
        return self.command_table

    def load_arguments(self, command):
        # Like aks-preview: all of core's acs arguments, then its own.
        from azure.cli.command_modules.acs._params import load_arguments as load_core_arguments
        load_core_arguments(self, command)
        for scope in ("aks create", "aks update"):
            with self.argument_context(scope) as c:
                c.argument("standin_preview_tag", options_list=["--standin-preview-tag"],
                           help="Preview-only flag of the stand-in: sets the cluster tag aks-preview-standin.")
                c.argument("enable_pod_identity", action="store_true", help="Enable pod identity addon.")
                c.argument("enable_pod_identity_with_kubenet", action="store_true",
                           help="Enable pod identity addon for cluster using Kubnet network plugin.")
        with self.argument_context("aks update") as c:
            c.argument("disable_pod_identity", action="store_true", help="Disable pod identity addon.")
        with self.argument_context("aks pod-identity") as c:
            c.argument("cluster_name", options_list=["--cluster-name"], help="The cluster name.")
            c.argument("identity_namespace", options_list=["--namespace"], help="The pod identity namespace.")
            c.argument("identity_name", options_list=["--name", "-n"], help="The pod identity name.")
            c.argument("identity_resource_id", options_list=["--identity-resource-id"], help="The identity id.")


COMMAND_LOADER_CLS = AksPreviewStandInLoader
