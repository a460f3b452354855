# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Command validators: every option checked before any request. Failures exit with code 2.

azure-cli passes the parsed arguments as ``namespace``; the Kubernetes namespace option is therefore stored
as ``identity_namespace`` / ``exc_namespace``, so the two are never confused.
"""
from azext_podidentity.inputs.validation import (InvalidOptionValue, check_dns_label, check_dns_subdomain,
                                                 check_label_value, is_dns_subdomain, parse_custom_headers,
                                                 parse_identity_resource_id, parse_pod_labels)


def _common(namespace):
    parse_custom_headers(getattr(namespace, "aks_custom_headers", None))
    _cluster_access(namespace)


def _cluster_access(namespace):
    """--admin, --kubeconfig and --context of the commands that read the cluster."""
    import os
    kubeconfig, context = getattr(namespace, "kubeconfig", None), getattr(namespace, "context", None)
    if context is not None and kubeconfig is None:
        raise InvalidOptionValue("--context selects a context of --kubeconfig: give --kubeconfig too.")
    if kubeconfig is not None:
        if getattr(namespace, "admin", False):
            raise InvalidOptionValue("--admin and --kubeconfig exclude each other: --admin reads the cluster with "
                                     "the admin credential ARM gives, --kubeconfig with the file's.")
        if not os.path.isfile(os.path.expanduser(kubeconfig)):
            raise InvalidOptionValue(f"--kubeconfig: no file at '{kubeconfig}'.")


def validate_pod_identity_add(namespace):
    check_dns_label(namespace.identity_namespace, "--namespace")
    _, _, identity_name = parse_identity_resource_id(namespace.identity_resource_id)
    if namespace.identity_name is None:
        if not is_dns_subdomain(identity_name):
            raise InvalidOptionValue(
                f"--name is required: the identity's name {identity_name!r} cannot be used as the pod identity "
                "name because it is not a DNS subdomain name (RFC 1123: lower-case letters, digits, '-' and '.').")
        namespace.identity_name = identity_name
    check_dns_subdomain(namespace.identity_name, "--name")
    if namespace.binding_selector is not None:
        check_label_value(namespace.binding_selector, "--binding-selector")
    _common(namespace)


def validate_pod_identity_name(namespace):
    check_dns_label(namespace.identity_namespace, "--namespace")
    check_dns_subdomain(namespace.identity_name, "--name")
    _common(namespace)


def validate_pod_identity_wait(namespace):
    from azext_podidentity.drift.wait_conditions import chosen_condition
    chosen_condition(namespace.created, namespace.updated, namespace.deleted, namespace.exists, namespace.custom)
    validate_pod_identity_name(namespace)


def validate_exception_delete(namespace):
    check_dns_label(namespace.exc_namespace, "--namespace")
    check_dns_subdomain(namespace.exc_name, "--name")
    _common(namespace)


def validate_exception_labels(namespace):
    validate_exception_delete(namespace)
    namespace.pod_labels = parse_pod_labels(namespace.pod_labels)


def validate_cluster_read(namespace):
    _common(namespace)


def validate_cluster_access(namespace):
    _common(namespace)


def validate_pod_identity_flags(namespace):
    """`aks create/update`: flag combinations that can be refused before anything is read."""
    enable = getattr(namespace, "enable_pod_identity", False)
    kubenet = getattr(namespace, "enable_pod_identity_with_kubenet", False)
    disable = getattr(namespace, "disable_pod_identity", False)
    if enable and disable:
        raise InvalidOptionValue("--enable-pod-identity and --disable-pod-identity are mutually exclusive.")
    if kubenet and disable:
        raise InvalidOptionValue("--enable-pod-identity-with-kubenet cannot be used with --disable-pod-identity.")
    creating = not hasattr(namespace, "disable_pod_identity")
    if creating and kubenet and not enable:
        raise InvalidOptionValue("--enable-pod-identity-with-kubenet needs --enable-pod-identity.")
    if creating and enable and (getattr(namespace, "service_principal", None)
                                or getattr(namespace, "enable_managed_identity", True) is False):
        raise InvalidOptionValue("--enable-pod-identity needs a cluster with a managed identity: remove "
                                 "--service-principal/--client-secret (or --enable-managed-identity false).")


def validate_migrate(namespace):
    if namespace.identity_namespace is not None:
        check_dns_label(namespace.identity_namespace, "--namespace")
    if namespace.identity_name is not None:
        check_dns_subdomain(namespace.identity_name, "--name")
    if namespace.service_account is not None:
        check_dns_subdomain(namespace.service_account, "--service-account")
    if namespace.proxy_sidecar_port is not None:
        if not namespace.proxy_sidecar:
            raise InvalidOptionValue("--proxy-sidecar-port is used with --proxy-sidecar; add --proxy-sidecar.")
        if not 1 <= namespace.proxy_sidecar_port <= 65535:
            raise InvalidOptionValue(f"--proxy-sidecar-port {namespace.proxy_sidecar_port} is invalid: a port "
                                     "number from 1 to 65535.")
    if namespace.manifest_file is not None:
        import os
        folder = os.path.dirname(os.path.abspath(namespace.manifest_file))
        if os.path.isdir(namespace.manifest_file) or not os.path.isdir(folder):
            raise InvalidOptionValue(f"--manifest-file {namespace.manifest_file!r} is invalid: it must be a file "
                                     "path in an existing folder.")
    _migrate_stage(namespace)
    _common(namespace)


def _migrate_stage(namespace):
    """The options that only some stages of --workloads take."""
    stage = namespace.workloads
    only_stage_one = [option for option, given in (("--force-conflicts", namespace.force_conflicts),
                                                   ("--patch-tool-owned", namespace.patch_tool_owned)) if given]
    if only_stage_one and stage != "add-workload-id":
        raise InvalidOptionValue(f"{' and '.join(only_stage_one)} change how stage one applies: use with "
                                 "--workloads add-workload-id.")
    if namespace.yes and stage in ("plan", "verify"):
        raise InvalidOptionValue(f"--yes confirms a change of the workloads; --workloads {stage} changes none.")
    if stage in ("verify", "remove-pod-identity-label", "undo"):
        azure_half = [option for option, given in (
            ("--service-account", namespace.service_account), ("--manifest-file", namespace.manifest_file),
            ("--proxy-sidecar", namespace.proxy_sidecar), ("--strategy", namespace.strategy not in (None, "auto")),
            ("--no-wait", namespace.no_wait)) if given]
        if azure_half:
            raise InvalidOptionValue(f"{', '.join(azure_half)} belong to the Azure half of the migration, which "
                                     f"--workloads {stage} does not touch: leave them out.")
