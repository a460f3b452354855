"""The private azure-cli internals this extension builds on still exist with the shapes it expects.

They are not a public API: when azure-cli changes them, this test names what moved before users find out.
"""
import inspect

import yaml
from azure.cli.command_modules.acs import _client_factory, _consts, _params, custom
from azure.cli.command_modules.acs import managed_cluster_decorator as decorators

from azext_podidentity.arm.sdk_models import if_match_arguments


def params(function):
    return list(inspect.signature(function).parameters)


def test_core_aks_create_and_update_handlers():
    for handler in (custom.aks_create, custom.aks_update):
        names = params(handler)
        assert names[:4] == ["cmd", "client", "resource_group_name", "name"]
        assert {"no_wait", "yes", "if_match", "aks_custom_headers"} <= set(names)
        assert not any(p.kind == p.VAR_KEYWORD for p in inspect.signature(handler).parameters.values())
        assert not {"enable_pod_identity", "disable_pod_identity"} & set(names)  # core still lacks the flags
    assert callable(custom._remove_nulls)  # pylint: disable=protected-access


def test_decorators_and_context():
    assert params(decorators.AKSManagedClusterUpdateDecorator.__init__) == [
        "self", "cmd", "client", "raw_parameters", "resource_type"]
    assert params(decorators.AKSManagedClusterCreateDecorator.construct_mc_profile_default) == [
        "self", "bypass_restore_defaults"]
    for method in ("init_context", "update_mc_profile_default", "update_mc"):
        assert callable(getattr(decorators.AKSManagedClusterUpdateDecorator, method))
    assert callable(decorators.AKSManagedClusterCreateDecorator.create_mc)
    assert params(decorators.AKSManagedClusterContext.__init__)[:5] == [
        "self", "cmd", "raw_parameters", "models", "decorator_mode"]
    for method in ("get_if_match", "get_yes", "get_name"):
        assert callable(getattr(decorators.AKSManagedClusterContext, method))
    assert callable(decorators.AKSManagedClusterParamDict)
    assert _consts.DecoratorMode.UPDATE and issubclass(_consts.DecoratorEarlyExitException, Exception)


def test_client_factories_and_params():
    assert params(_client_factory.cf_managed_clusters)[0] == "cli_ctx"
    assert params(_client_factory.get_msi_client) == ["cli_ctx", "subscription_id"]
    assert params(_client_factory.get_auth_management_client)[:2] == ["cli_ctx", "scope"]
    assert len(params(_params.load_arguments)) == 2


def test_managed_clusters_client_sends_if_match():
    from azure.cli.core.mock import DummyCli
    from azure.cli.core.profiles import ResourceType, get_sdk
    operations = get_sdk(DummyCli(), ResourceType.MGMT_CONTAINERSERVICE, "ManagedClustersOperations",
                         mod="operations", operation_group="managed_clusters")
    keywords = inspect.signature(operations.begin_create_or_update).parameters
    assert set(if_match_arguments(operations.begin_create_or_update, "e1")) <= set(keywords)


def test_core_help_for_create_and_update_ends_with_examples_we_append_to():
    from azure.cli.command_modules.acs._help import helps
    import azext_podidentity._help  # noqa: F401  pylint: disable=unused-import
    for command in ("aks create", "aks update"):
        parsed = yaml.safe_load(helps[command])
        texts = [e["text"] for e in parsed["examples"]]
        assert any("--enable-pod-identity" in t for t in texts)
        assert len(texts) > 5  # core's own examples are still there


def test_msi_sdk_federated_credentials():
    import importlib

    from azure.cli.core.profiles import ResourceType
    from azure.cli.core.profiles._shared import AZURE_API_PROFILES
    version = AZURE_API_PROFILES["latest"][ResourceType.MGMT_MSI].replace("-", "_")
    package = f"azure.mgmt.msi.v{version}"
    FederatedIdentityCredential = importlib.import_module(package + ".models").FederatedIdentityCredential
    FederatedIdentityCredentialsOperations = importlib.import_module(
        package + ".operations").FederatedIdentityCredentialsOperations
    credential = FederatedIdentityCredential(issuer="https://i/", subject="s", audiences=["a"])
    assert (credential.issuer, credential.subject, credential.audiences) == ("https://i/", "s", ["a"])
    assert params(FederatedIdentityCredentialsOperations.create_or_update)[1:5] == [
        "resource_group_name", "resource_name", "federated_identity_credential_resource_name", "parameters"]
    assert params(FederatedIdentityCredentialsOperations.list)[1:3] == ["resource_group_name", "resource_name"]
