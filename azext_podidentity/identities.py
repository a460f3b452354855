# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading a user-assigned identity from its own subscription."""
from azure.cli.core.azclierror import ResourceNotFoundError

from azext_podidentity.validation import parse_identity_resource_id


def get_user_assigned_identity(cmd, identity_resource_id):
    from azure.cli.command_modules.acs._client_factory import get_msi_client
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    subscription, resource_group, name = parse_identity_resource_id(identity_resource_id)
    client = get_msi_client(cmd.cli_ctx, subscription_id=subscription)
    try:
        return client.user_assigned_identities.get(resource_group_name=resource_group, resource_name=name)
    except NotFound as ex:
        raise ResourceNotFoundError(
            f"The identity given by --identity-resource-id was not found: {identity_resource_id}\n"
            f"{ex.message}") from ex
