# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The EnablePodIdentityPreview feature: a refusal for it told apart, and the how-to's commands that clear it.

The feature is read only after the service refused a write for it, never before: a check before every enable would
cost a request on the path that succeeds, would need read access to the subscription's features (which a cluster
operator with rights on one resource group lacks), and could still not see what the service checks (a feature
that is Registered reaches the provider only once the provider is registered again). docs/reliability.md says
more.
"""
from knack.log import get_logger

logger = get_logger(__name__)

NAMESPACE = "Microsoft.ContainerService"
FEATURE = "EnablePodIdentityPreview"
_REFUSAL = f"feature '{NAMESPACE}/{FEATURE}' is not enabled".lower()


def is_refusal(message):
    """Whether a service message refuses pod identity for the feature (Azure/azure-quickstart-templates#12928)."""
    return _REFUSAL in (message or "").lower()


def commands(subscription=None):
    """The how-to's three commands, in its order: register, show until Registered, refresh the provider;
    ``subscription`` when the cluster is not in the account's default subscription."""
    suffix = f" --subscription {subscription}" if subscription else ""
    return {"register": f'az feature register --namespace "{NAMESPACE}" --name "{FEATURE}"{suffix}',
            "show": f'az feature show --namespace "{NAMESPACE}" --name "{FEATURE}" --query properties.state{suffix}',
            "provider": f"az provider register --namespace {NAMESPACE}{suffix}"}


def advice(state, subscription, other_than_default=False, read_error=None):
    """Pure: what to run, given the feature's state (None when it could not be read, ``read_error`` says why);
    the commands name the subscription when it is ``other_than_default``."""
    run = commands(subscription if other_than_default else None)
    where = f"subscription '{subscription}'"
    then = "then run this command again"
    if state == "Registered":
        return (f"Feature {FEATURE} is Registered in {where}, but the service has not taken it in yet: refresh the "
                f"registration of the {NAMESPACE} provider, {then}:\n  {run['provider']}")
    if state == "Registering":
        return (f"Feature {FEATURE} is still Registering in {where} (it takes a few minutes). Run the first command "
                f"until it prints Registered, refresh the provider, {then}:\n  {run['show']}\n  {run['provider']}")
    if state is None:
        intro = (f"The state of feature {FEATURE} could not be read ({read_error}). If it is not Registered yet, "
                 "register it")
    else:
        intro = f"Feature {FEATURE} is not registered in {where} (state: {state}). Register it"
    return (f"{intro}, run the second command until it prints Registered (it takes a few minutes), refresh the "
            f"provider, {then}:\n  {run['register']}\n  {run['show']}\n  {run['provider']}")


def explain(cmd, message):
    """The advice for a refusal of the feature (one GET of its state), or None for any other message."""
    if not is_refusal(message):
        return None
    from azure.cli.core._profile import Profile
    from azure.cli.core.commands.client_factory import get_mgmt_service_client, get_subscription_id
    from azure.cli.core.profiles import ResourceType
    from azure.core.exceptions import HttpResponseError
    state, read_error = None, None
    try:
        client = get_mgmt_service_client(cmd.cli_ctx, ResourceType.MGMT_RESOURCE_FEATURES)
        state = client.features.get(NAMESPACE, FEATURE).properties.state
    except HttpResponseError as ex:
        from azext_podidentity.arm import service_errors
        read_error = service_errors.describe(service_errors.of_exception(ex), ex.status_code)
        logger.debug("reading feature %s failed: %s", FEATURE, ex)
    subscription = get_subscription_id(cmd.cli_ctx)
    other = subscription.lower() != (Profile(cli_ctx=cmd.cli_ctx).get_subscription_id() or "").lower()
    return advice(state, subscription, other, read_error)
