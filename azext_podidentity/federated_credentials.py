# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Federated identity credentials of user-assigned identities, each read and written in its own subscription."""
from azext_podidentity.validation import parse_identity_resource_id


def _client(cmd, identity_resource_id):
    from azure.cli.command_modules.acs._client_factory import get_msi_client
    subscription, resource_group, name = parse_identity_resource_id(identity_resource_id)
    return get_msi_client(cmd.cli_ctx, subscription_id=subscription), resource_group, name


def list_credentials(cmd, identity_resource_id):
    client, resource_group, name = _client(cmd, identity_resource_id)
    return [{"name": c.name, "issuer": c.issuer, "subject": c.subject}
            for c in client.federated_identity_credentials.list(resource_group, name)]


def create_credential(cmd, identity_resource_id, credential_name, issuer, subject, audience):
    from azure.cli.core.profiles import ResourceType
    # the model of the API version the CLI's profile selects for the client
    FederatedIdentityCredential = cmd.get_models("FederatedIdentityCredential",  # pylint: disable=invalid-name
                                                 resource_type=ResourceType.MGMT_MSI)
    client, resource_group, name = _client(cmd, identity_resource_id)
    return client.federated_identity_credentials.create_or_update(
        resource_group, name, credential_name,
        FederatedIdentityCredential(issuer=issuer, subject=subject, audiences=[audience]))
