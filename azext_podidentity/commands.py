# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
from azext_podidentity._client_factory import cf_managed_clusters
from azext_podidentity._format import (check_table, fleet_table, migration_table, pod_identities_table,
                                       pod_identity_exceptions_table, prune_table, workloads_table)


def _validator(name):
    """A validator that imports the validation code only when its command runs, not for every `az aks` command."""
    def validate(namespace):
        from azext_podidentity import _validators
        getattr(_validators, name)(namespace)
    validate.__name__ = name
    return validate


validate_cluster_access = _validator("validate_cluster_access")
validate_cluster_read = _validator("validate_cluster_read")
validate_exception_delete = _validator("validate_exception_delete")
validate_exception_labels = _validator("validate_exception_labels")
validate_migrate = _validator("validate_migrate")
validate_pod_identity_add = _validator("validate_pod_identity_add")
validate_pod_identity_name = _validator("validate_pod_identity_name")
validate_pod_identity_wait = _validator("validate_pod_identity_wait")


def load_command_table(self, args):
    from azure.cli.core.commands import CliCommandType

    from azext_podidentity.coexistence import other_owner_of_core_commands, tell_once
    custom = CliCommandType(operations_tmpl="azext_podidentity.custom#{}", client_factory=cf_managed_clusters)

    owner = other_owner_of_core_commands(self.cli_ctx)
    self.extends_core_aks_commands = owner is None
    if owner is None:
        # Takes over core's `aks create` and `aks update`: same arguments and behaviour, plus the pod identity flags.
        extended = CliCommandType(operations_tmpl="azext_podidentity.addon.aks_commands#{}",
                                  client_factory=cf_managed_clusters)
        with self.command_group("aks", custom_command_type=extended, client_factory=cf_managed_clusters) as g:
            g.custom_command("create", "aks_create", supports_no_wait=True)
            g.custom_command("update", "aks_update", supports_no_wait=True)
    elif args and args[:1] == ["aks"] and args[1:2] in (["create"], ["update"], ["pod-identity"]):
        tell_once(self.cli_ctx, owner)

    with self.command_group("aks pod-identity", custom_command_type=custom, client_factory=cf_managed_clusters,
                            is_preview=True) as g:
        g.custom_command("add", "aks_pod_identity_add", supports_no_wait=True,
                         validator=validate_pod_identity_add)
        g.custom_command("delete", "aks_pod_identity_delete", supports_no_wait=True,
                         validator=validate_pod_identity_name)
        g.custom_command("list", "aks_pod_identity_list", table_transformer=pod_identities_table,
                         validator=validate_cluster_read)
        # migrate and prune print what they did with --no-wait too: their --no-wait is their own (_params.py), as
        # azure-cli drops the result of a command registered with supports_no_wait
        g.custom_command("migrate", "aks_pod_identity_migrate", table_transformer=migration_table,
                         validator=validate_migrate)
        g.custom_command("wait", "aks_pod_identity_wait", validator=validate_pod_identity_wait)
        g.custom_command("check", "aks_pod_identity_check", table_transformer=check_table,
                         validator=validate_cluster_read)
        g.custom_command("list-clusters", "aks_pod_identity_list_clusters", table_transformer=fleet_table)
        g.custom_command("list-workloads", "aks_pod_identity_list_workloads", table_transformer=workloads_table,
                         validator=validate_cluster_access)
        g.custom_command("prune", "aks_pod_identity_prune", table_transformer=prune_table,
                         validator=validate_cluster_read)

    with self.command_group("aks pod-identity exception", custom_command_type=custom,
                            client_factory=cf_managed_clusters, is_preview=True) as g:
        g.custom_command("add", "aks_pod_identity_exception_add", supports_no_wait=True,
                         validator=validate_exception_labels)
        g.custom_command("update", "aks_pod_identity_exception_update", supports_no_wait=True,
                         validator=validate_exception_labels)
        g.custom_command("delete", "aks_pod_identity_exception_delete", supports_no_wait=True,
                         validator=validate_exception_delete)
        g.custom_command("list", "aks_pod_identity_exception_list", table_transformer=pod_identity_exceptions_table,
                         validator=validate_cluster_read)
        g.custom_wait_command("wait", "aks_pod_identity_exception_wait", validator=validate_cluster_read)
