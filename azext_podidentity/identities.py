# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""User-assigned identities and their federated identity credentials, each read and written in the identity's
own subscription."""
from azure.cli.core.azclierror import ResourceNotFoundError

from azext_podidentity.validation import parse_identity_resource_id


def _msi_client(cmd, identity_resource_id):
    """(client of the identity's subscription, resource group, name)."""
    from azure.cli.command_modules.acs._client_factory import get_msi_client
    subscription, resource_group, name = parse_identity_resource_id(identity_resource_id)
    return get_msi_client(cmd.cli_ctx, subscription_id=subscription), resource_group, name


def get_user_assigned_identity(cmd, identity_resource_id):
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    try:
        return client.user_assigned_identities.get(resource_group_name=resource_group, resource_name=name)
    except NotFound as ex:
        raise ResourceNotFoundError(
            f"The identity given by --identity-resource-id was not found: {identity_resource_id}\n"
            f"{ex.message}") from ex


def list_credentials(cmd, identity_resource_id):
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    return [{"name": c.name, "issuer": c.issuer, "subject": c.subject}
            for c in client.federated_identity_credentials.list(resource_group, name)]


def create_credential(cmd, identity_resource_id, credential_name, issuer, subject, audience):
    from azure.cli.core.profiles import ResourceType
    # the model of the API version the CLI's profile selects for the client
    FederatedIdentityCredential = cmd.get_models("FederatedIdentityCredential",  # pylint: disable=invalid-name
                                                 resource_type=ResourceType.MGMT_MSI)
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    return client.federated_identity_credentials.create_or_update(
        resource_group, name, credential_name,
        FederatedIdentityCredential(issuer=issuer, subject=subject, audiences=[audience]))
