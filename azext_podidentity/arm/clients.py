# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Management clients for the subscription a resource lives in.

azure-cli builds a client only for a subscription that `az account list` shows, and raises "Subscription '…' not
found" for any other. An identity may live in such a subscription: the signed-in account can hold a role on the
identity or its resource group there without seeing the subscription. Such a subscription is reached with the
signed-in account's own credential, and ARM decides what may be read (a refusal is then the service's, with its
code and message, not azure-cli's).
"""


def client_for(cli_ctx, client_type, subscription_id):
    from azure.cli.core._profile import Profile
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from knack.util import CLIError
    profile = Profile(cli_ctx=cli_ctx)
    try:
        profile.get_subscription(subscription_id)
        credential = None
    except CLIError:
        credential = profile.get_login_credentials()[0]
    return get_mgmt_service_client(cli_ctx, client_type, subscription_id=subscription_id, credential=credential)
