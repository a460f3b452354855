# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Arguments. Loaded for every `az aks` command, so each part loads only for the commands it serves."""

CUSTOM_HEADERS_HELP = ("Send custom headers with every request. When specified, format should be "
                       "Key1=Value1,Key2=Value2.")


def load_arguments(self, command):
    """``command`` is the command being run, or '' when azure-cli loads every command's arguments at once."""
    if not command or command.startswith("aks pod-identity"):
        _pod_identity_arguments(self)
    if (not command or command in ("aks create", "aks update")) and self.extends_core_aks_commands:
        _create_update_arguments(self)


def _create_update_arguments(self):
    # Registering anything under a scope replaces core's whole scope: load core's arguments here first.
    from azure.cli.command_modules.acs._params import load_arguments as load_core_arguments

    from azext_podidentity._validators import validate_pod_identity_flags
    load_core_arguments(self, None)
    for scope in ("aks create", "aks update"):
        with self.argument_context(scope) as c:
            c.argument("enable_pod_identity", action="store_true", validator=validate_pod_identity_flags,
                       help="(PREVIEW) Enable pod identity addon. Needs a cluster with a managed identity, and "
                            "the subscription's 'EnablePodIdentityPreview' feature registered (az feature register "
                            "--namespace Microsoft.ContainerService --name EnablePodIdentityPreview, then az provider "
                            "register --namespace Microsoft.ContainerService).")
            # the long name is aks-preview's, kept for scripts; the short one fits the linter's 22 characters
            c.argument("enable_pod_identity_with_kubenet", action="store_true",
                       options_list=["--enable-pod-identity-with-kubenet", "--pod-identity-kubenet"],
                       help="(PREVIEW) Consent to pod identity on a kubenet cluster (with --enable-pod-identity), "
                            "where pods can reach the Instance Metadata Service unless network policy prevents it.")
    with self.argument_context("aks update") as c:
        c.argument("disable_pod_identity", action="store_true",
                   help="(PREVIEW) Disable pod identity addon. Removes every pod identity and exception of the "
                        "cluster, and the grants that 'az aks pod-identity add' created for them; asks for "
                        "confirmation first, naming the workloads whose running pods still use them, unless --yes "
                        "is given.")


def _pod_identity_arguments(self):
    from azure.cli.core.commands.parameters import get_enum_type, resource_group_name_type

    from azext_podidentity.fleet.scan import ENGINES

    with self.argument_context("aks pod-identity") as c:
        c.argument("resource_group_name", resource_group_name_type)
        c.argument("cluster_name", options_list=["--cluster-name"], help="The name of the AKS cluster.")
        c.argument("aks_custom_headers", help=CUSTOM_HEADERS_HELP)

    for scope in ("aks pod-identity add", "aks pod-identity delete", "aks pod-identity wait"):
        with self.argument_context(scope) as c:
            c.argument("identity_namespace", options_list=["--namespace"],
                       help="The Kubernetes namespace of the pod identity: a DNS label (RFC 1123).")
    with self.argument_context("aks pod-identity add") as c:
        c.argument("identity_name", options_list=["--name", "-n"],
                   help="The pod identity name: a DNS subdomain name (RFC 1123). Defaults to the identity's "
                        "resource name when that is a valid name.")
        c.argument("identity_resource_id", options_list=["--identity-resource-id"],
                   help="The resource id of the user-assigned identity to bind, for example "
                        "`/subscriptions/<id>/resourceGroups/<group>/providers/"
                        "Microsoft.ManagedIdentity/userAssignedIdentities/<name>`. It may be in another "
                        "subscription than the cluster.")
        c.argument("binding_selector", options_list=["--binding-selector"],
                   help="The value of the aadpodidbinding label that pods use to select this identity "
                        "(a Kubernetes label value). Defaults to the pod identity name.")
    with self.argument_context("aks pod-identity delete") as c:
        c.argument("identity_name", options_list=["--name", "-n"], help="The name of the pod identity to delete.")
    with self.argument_context("aks pod-identity wait") as c:
        c.argument("identity_name", options_list=["--name", "-n"], help="The name of the pod identity to wait for.")
        c.argument("created", action="store_true",
                   help="Wait until the pod identity is Assigned; fail with its error if it is Failed.")
        c.argument("updated", action="store_true",
                   help="Wait until the pod identity is Assigned again after a change; fail if it is Failed.")
        c.argument("deleted", action="store_true", help="Wait until the cluster no longer has the pod identity.")
        c.argument("exists", action="store_true", help="Wait until the cluster has the pod identity.")
        c.argument("custom", help="Wait until this JMESPath query on the pod identity entry is true, for example "
                                  "\"provisioningState=='Assigned'\".")
        c.argument("interval", type=int, help="Polling interval in seconds.")
        c.argument("timeout", type=int, help="Maximum wait in seconds.")

    _cluster_access_arguments(self)
    with self.argument_context("aks pod-identity delete") as c:
        c.argument("yes", options_list=["--yes", "-y"], action="store_true",
                   help="Do not prompt when running pods still use the pod identity. Without a terminal and "
                        "without --yes such a pod identity is not deleted.")

    with self.argument_context("aks pod-identity prune") as c:
        c.argument("dry_run", options_list=["--dry-run"], action="store_true",
                   help="Change nothing; list the pod identities that would be removed.")
        c.argument("yes", options_list=["--yes", "-y"], action="store_true",
                   help="Do not prompt for confirmation. Without a terminal and without --yes nothing is removed.")
        c.extra("no_wait", options_list=["--no-wait"], action="store_true",
                help="Do not wait for the cluster's operation to finish; the output still lists the pod identities "
                     "whose removal was sent.")

    with self.argument_context("aks pod-identity list-clusters") as c:
        c.argument("subscriptions", options_list=["--subscriptions"], nargs="+",
                   help="Space-separated subscription ids (or names known to 'az account list') to scan. Defaults "
                        "to every enabled subscription of the signed-in account.")
        c.argument("engine", options_list=["--engine"], arg_type=get_enum_type(ENGINES),
                   help="How to find the clusters. arm: ARM's listing of each subscription (exact and current). "
                        "resource-graph: Azure Resource Graph, one query per 1,000 subscriptions (its data can lag "
                        "ARM's a little). auto (default): ARM for up to 24 subscriptions, Resource Graph past that. "
                        "Subscriptions that Resource Graph does not answer for are listed through ARM.")

    _migrate_arguments(self)

    for scope in ("aks pod-identity exception add", "aks pod-identity exception update",
                  "aks pod-identity exception delete"):
        with self.argument_context(scope) as c:
            c.argument("exc_name", options_list=["--name", "-n"],
                       help="The pod identity exception name: a DNS subdomain name (RFC 1123).")
            c.argument("exc_namespace", options_list=["--namespace"],
                       help="The Kubernetes namespace of the pods the exception applies to: a DNS label (RFC 1123).")
    for scope in ("aks pod-identity exception add", "aks pod-identity exception update"):
        with self.argument_context(scope) as c:
            c.argument("pod_labels", options_list=["--pod-labels"], nargs="+",
                       help="Space-separated labels in key=value form. Pods of the namespace with any one of "
                            "these labels reach the Instance Metadata Service without interception. On update they "
                            "replace the exception's labels.")


def _migrate_arguments(self):
    from azure.cli.core.commands.parameters import get_enum_type

    from azext_podidentity.migration.plan import STRATEGIES
    from azext_podidentity.migration.stage_flow import STAGES as WORKLOAD_STAGES

    with self.argument_context("aks pod-identity migrate") as c:
        c.argument("identity_namespace", options_list=["--namespace"],
                   help="Migrate only the pod identities of this Kubernetes namespace.")
        c.argument("identity_name", options_list=["--name", "-n"],
                   help="Migrate only the pod identity with this name (add --namespace when the name is used in "
                        "several namespaces).")
        c.argument("service_account", options_list=["--service-account"],
                   help="The Kubernetes service account the workloads will run as. Defaults to each pod "
                        "identity's name.")
        c.argument("manifest_file", options_list=["--manifest-file"],
                   help="Write the Kubernetes ServiceAccounts (annotated with the identities' client ids) to this "
                        "file instead of returning them in the output.")
        c.argument("dry_run", options_list=["--dry-run"], action="store_true",
                   help="Change nothing; show exactly what would be done.")
        c.extra("no_wait", options_list=["--no-wait"], action="store_true",
                help="Do not wait for the identity bindings' operations to finish; the plan, the ServiceAccounts "
                     "and the next steps are still printed.")
        c.argument("proxy_sidecar", options_list=["--proxy-sidecar"], action="store_true",
                   help="For workloads whose Azure SDK cannot use Workload ID yet: the pod changes add the "
                        "annotations that inject the workload identity proxy sidecar. Linux pods only, not for "
                        "production, not injected into hostNetwork pods, and it can keep Jobs from completing.")
        c.argument("proxy_sidecar_port", options_list=["--proxy-sidecar-port"], type=int,
                   help="The port of the proxy sidecar (with --proxy-sidecar). Default: 8000.")
        c.argument("strategy", options_list=["--strategy"], arg_type=get_enum_type(STRATEGIES),
                   help="How each identity trusts the cluster. federated-credential: a credential per service "
                        "account (an identity holds 20). identity-binding: one identity binding per cluster and "
                        "identity, sharing the identity's single AKS-managed credential. auto (default): "
                        "credentials while the identity keeps one of its 20 free, an identity binding past that "
                        "or when the identity already has AKS's binding credential.")
        c.argument("workloads", options_list=["--workloads"], arg_type=get_enum_type(WORKLOAD_STAGES),
                   help="What to do with the workloads in the cluster. plan (default): read them and show each "
                        "one's change; change none. add-workload-id (stage one): after the Azure half, apply the "
                        "ServiceAccounts, the SecretProviderClasses and each workload's pod template, keeping the "
                        "aadpodidbinding label. verify: read the pods of the changed workloads and say per "
                        "workload whether it runs on Workload ID. remove-pod-identity-label (stage two): remove the "
                        "label from the workloads verified as migrated. undo: restore what the migration changed "
                        "on the workloads and SecretProviderClasses.")
        c.argument("yes", options_list=["--yes", "-y"], action="store_true",
                   help="Change the workloads without asking (stages add-workload-id, remove-pod-identity-label, "
                        "undo). Without a terminal and without --yes, nothing is changed.")
        c.argument("force_conflicts", options_list=["--force-conflicts"], action="store_true",
                   help="With --workloads add-workload-id: take over the fields another field manager set to other "
                        "values instead of reporting them as conflicts. That manager's next apply reverts them "
                        "unless its source is changed too; undo restores the values from before.")
        c.argument("patch_tool_owned", options_list=["--patch-tool-owned"], action="store_true",
                   help="With --workloads add-workload-id: patch the workloads that Helm, Argo CD or Flux own too "
                        "(by default the plan names what to change in their source, since their next sync "
                        "reverts a patch).")


def _cluster_access_arguments(self):
    """How the commands that read the cluster reach its API server."""
    for scope in ("aks pod-identity list-workloads", "aks pod-identity check", "aks pod-identity delete",
                  "aks pod-identity prune", "aks pod-identity migrate"):
        with self.argument_context(scope) as c:
            c.argument("admin", options_list=["--admin", "-a"], action="store_true",
                       help="Read the cluster with its admin credential (a local account) instead of the user "
                            "credential that 'az aks get-credentials' gets by default.")
            c.argument("kubeconfig", options_list=["--kubeconfig"],
                       help="Read the cluster through this kubeconfig file instead of the credential ARM gives. A "
                            "kubelogin user gets its token from az's own login.")
            c.argument("context", options_list=["--context"],
                       help="The context of --kubeconfig to use. Defaults to its current context.")
