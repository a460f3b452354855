# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""User-assigned identities and their federated identity credentials, each read and written in the identity's
own subscription."""
from azure.cli.core.azclierror import ResourceNotFoundError
from knack.log import get_logger

from azext_podidentity.inputs.validation import parse_identity_resource_id

logger = get_logger(__name__)


def _msi_client(cmd, identity_resource_id):
    """(client of the identity's subscription, resource group, name)."""
    from azure.mgmt.msi import ManagedServiceIdentityClient

    from azext_podidentity.arm.clients import client_for
    subscription, resource_group, name = parse_identity_resource_id(identity_resource_id)
    return client_for(cmd.cli_ctx, ManagedServiceIdentityClient, subscription), resource_group, name


def get_user_assigned_identity(cmd, identity_resource_id):
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    try:
        return client.user_assigned_identities.get(resource_group_name=resource_group, resource_name=name)
    except NotFound as ex:
        raise ResourceNotFoundError(
            f"The identity given by --identity-resource-id was not found: {identity_resource_id}\n"
            f"{ex.message}") from ex


def find_identity(cmd, identity_resource_id):
    """The identity's SDK model after one GET, or None when it does not exist (a 404 is a fact, not a failure); any
    other refusal (for example no access in the identity's subscription) raises azure-core's HttpResponseError."""
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    try:
        return client.user_assigned_identities.get(resource_group_name=resource_group, resource_name=name)
    except NotFound:
        return None


def identity_exists(cmd, identity_resource_id):
    """True or False after one GET; None when the identity could not be read (for example no access to it)."""
    from azure.core.exceptions import HttpResponseError
    try:
        return find_identity(cmd, identity_resource_id) is not None
    except HttpResponseError:
        return None


def read_existence(cmd, identity_ids, known=None):
    """lower-cased identity id -> whether it exists (None: unreadable): one GET per identity not in ``known``."""
    found = dict(known or {})
    for identity_id in identity_ids:
        if identity_id and identity_id.lower() not in found:
            found[identity_id.lower()] = identity_exists(cmd, identity_id)
    return found


def list_credentials(cmd, identity_resource_id):
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    return [{"name": c.name, "issuer": c.issuer, "subject": c.subject}
            for c in client.federated_identity_credentials.list(resource_group, name)]


CONCURRENT_CREDENTIAL_WRITES = "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
CREDENTIAL_WRITE_WAIT_SECONDS = 120


def _credential_write(identity_resource_id, credential_name, write):
    """Run one credential write. The service refuses credential writes to one identity that overlap (409, for
    example another `migrate` of a cluster that shares the identity): such a write is tried again with jittered
    backoff for up to two minutes."""
    from azure.cli.core.azclierror import AzureResponseError

    from azext_podidentity.arm import service_errors
    from azext_podidentity.arm.retry import retry_transient

    def overlapping(error):
        return error.status_code == 409 and service_errors.of_exception(error)["code"] == CONCURRENT_CREDENTIAL_WRITES

    def give_up(error):
        return AzureResponseError(
            f"{service_errors.describe(service_errors.of_exception(error))}\nOther writes to the federated credentials "
            f"of identity '{identity_resource_id}' kept overlapping with this one for {CREDENTIAL_WRITE_WAIT_SECONDS} "
            "s. Run the command again: credentials already created are kept and not created twice.")

    def announce(delay, attempt):
        logger.warning("Another write to the federated credentials of identity '%s' was in progress; credential "
                       "'%s' retried after %.1f s (attempt %d).", identity_resource_id, credential_name, delay,
                       attempt)
    return retry_transient(write, overlapping, CREDENTIAL_WRITE_WAIT_SECONDS, give_up, announce)


def create_credential(cmd, identity_resource_id, credential_name, issuer, subject, audience):
    """Create (or replace) one federated identity credential."""
    from azure.cli.core.profiles import ResourceType
    # the model of the API version the CLI's profile selects for the client
    FederatedIdentityCredential = cmd.get_models("FederatedIdentityCredential",  # pylint: disable=invalid-name
                                                 resource_type=ResourceType.MGMT_MSI)
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    return _credential_write(identity_resource_id, credential_name, lambda: client.federated_identity_credentials.
                             create_or_update(resource_group, name, credential_name,
                                              FederatedIdentityCredential(issuer=issuer, subject=subject,
                                                                          audiences=[audience])))


def delete_credential(cmd, identity_resource_id, credential_name):
    client, resource_group, name = _msi_client(cmd, identity_resource_id)
    return _credential_write(identity_resource_id, credential_name, lambda: client.federated_identity_credentials.
                             delete(resource_group, name, credential_name))
