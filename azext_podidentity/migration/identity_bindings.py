# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Identity bindings of a cluster (``managedClusters/{c}/identityBindings``): one per cluster and identity; AKS then
creates, or reuses, the identity's single federated credential ``aks-identity-binding``, shared by every cluster that
binds the identity, so the identity's 20 credentials no longer limit how many clusters and service accounts use it.
"""
from azure.cli.core.azclierror import InvalidArgumentValueError

from azext_podidentity.arm import service_errors


class BindingsUnavailable(InvalidArgumentValueError):
    """No identity bindings here; ``reason`` says why in one sentence."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def list_bindings(cmd, resource_group_name, cluster_name):
    """The cluster's identity bindings as REST dicts; BindingsUnavailable naming what is missing when this azure-cli
    or the service does not offer them."""
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.arm.sdk_models import identity_bindings_operations, managed_clusters_api_version, to_rest
    operations = identity_bindings_operations(cmd.cli_ctx)
    if operations is None:
        from azure.cli.command_modules.acs._client_factory import get_container_service_client
        version = managed_clusters_api_version(get_container_service_client(cmd.cli_ctx))
        reason = f"this azure-cli's AKS API version {version} has no identityBindings."
        raise BindingsUnavailable(
            f"Identity bindings are not available in this azure-cli: its AKS API version {version} has no "
            "identityBindings (core 'az aks identity-binding' comes with the releases whose API has them). Nothing "
            "was changed. Upgrade azure-cli, or migrate with --strategy federated-credential.", reason)
    try:
        return [to_rest(b) for b in operations.list_by_managed_cluster(resource_group_name, cluster_name)]
    except HttpResponseError as ex:
        if ex.status_code in (400, 404):
            refusal = service_errors.describe(service_errors.of_exception(ex))
            raise BindingsUnavailable(
                f"{refusal}\nThe service offers no identity bindings for cluster '{cluster_name}' (API version or "
                "feature not available). Nothing was changed. Migrate with --strategy federated-credential, or make "
                "identity bindings available first.",
                f"the service offers no identity bindings for cluster '{cluster_name}' ({refusal}).") from ex
        raise


def binding_for(bindings, identity_id):
    """The binding of ``bindings`` for the identity, whatever its name (one made by hand counts), or None."""
    return next((b for b in bindings or []
                 if (((b.get("properties") or {}).get("managedIdentity") or {}).get("resourceId") or "").lower()
                 == identity_id.lower()), None)


def create_binding(cmd, resource_group_name, cluster_name, name, identity_id, no_wait=False):
    """Create the binding; its REST dict once the operation has ended, or None with ``no_wait``."""
    from azure.cli.core.commands import LongRunningOperation
    from azure.cli.core.profiles import ResourceType

    from azext_podidentity.arm.sdk_models import from_rest, identity_bindings_operations, to_rest
    model = cmd.get_models("IdentityBinding", resource_type=ResourceType.MGMT_CONTAINERSERVICE,
                           operation_group="identity_bindings")
    binding = from_rest(model, {"properties": {"managedIdentity": {"resourceId": identity_id}}})
    poller = identity_bindings_operations(cmd.cli_ctx).begin_create_or_update(
        resource_group_name, cluster_name, name, binding, polling=not no_wait)
    if no_wait:
        return None
    return to_rest(LongRunningOperation(cmd.cli_ctx)(poller))
