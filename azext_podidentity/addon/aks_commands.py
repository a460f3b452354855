# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""`az aks create` and `az aks update` with the pod identity flags.

The handlers run core's own decorators, subclassed only to set ``podIdentityProfile``, so every core option
keeps its behaviour and the pod identity change travels in core's single PUT. Their signatures are core's,
read at import time, plus the new flags. This module is imported only when one of the two commands runs.
"""
import inspect

from azure.cli.command_modules.acs import custom as core_custom
from azure.cli.command_modules.acs._consts import DecoratorEarlyExitException, DecoratorMode
from azure.cli.command_modules.acs.managed_cluster_decorator import (AKSManagedClusterContext,
                                                                     AKSManagedClusterCreateDecorator,
                                                                     AKSManagedClusterParamDict,
                                                                     AKSManagedClusterUpdateDecorator)
from azure.cli.core.azclierror import ArgumentUsageError, BadRequestError, InvalidArgumentValueError
from azure.cli.core.profiles import ResourceType
from knack.log import get_logger

from azext_podidentity.arm import retry, service_errors
from azext_podidentity.grants.principals import NEEDS_MANAGED_IDENTITY, uses_managed_identity
from azext_podidentity.profile import edits
from azext_podidentity.profile import preview_feature
from azext_podidentity.profile.confirmation import user_confirms
from azext_podidentity.profile.writer import identity_of, profile_model, profile_of, provisioning_state

logger = get_logger(__name__)

CREATE_FLAGS = {"enable_pod_identity": False, "enable_pod_identity_with_kubenet": False}
UPDATE_FLAGS = dict(CREATE_FLAGS, disable_pod_identity=False)
KUBENET_CONSENT = ("Pod identity on a kubenet cluster needs --enable-pod-identity-with-kubenet: with kubenet, pods "
                   "can reach the Instance Metadata Service directly unless the cluster's network policy prevents "
                   "it. Add the flag to accept this (see https://aka.ms/aks/pod-identity).")


def _with_flags(core_function, flags):
    signature = inspect.signature(core_function)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
             for name, default in flags.items()]
    return signature.replace(parameters=list(signature.parameters.values()) + extra)


def _network_plugin(mc):
    return mc.network_profile.network_plugin if mc.network_profile is not None else None


class _PinnedETagContext(AKSManagedClusterContext):
    """Core's context, with If-Match pinned to the eTag read when the user gave none."""
    pinned_etag = None

    def get_if_match(self):
        return super().get_if_match() or self.pinned_etag


def _put_explaining_preview_feature(cmd, put_mc, mc):
    """Core's PUT, with the how-to's commands added when the service refuses pod identity for its preview feature
    (raised as core raises a 400; core's own retries never retry it)."""
    from azure.core.exceptions import HttpResponseError
    try:
        return put_mc(mc)
    except HttpResponseError as ex:
        advice = preview_feature.explain(cmd, ex.message)
        if advice is None:
            raise
        raise BadRequestError(f"{service_errors.describe(service_errors.of_exception(ex))}\n{advice}") from ex


class PodIdentityCreateDecorator(AKSManagedClusterCreateDecorator):
    def put_mc(self, mc):
        return _put_explaining_preview_feature(self.cmd, super().put_mc, mc)

    def construct_mc_profile_default(self, bypass_restore_defaults=False):
        mc = super().construct_mc_profile_default(bypass_restore_defaults=bypass_restore_defaults)
        if not self.context.raw_param.get("enable_pod_identity"):
            return mc
        if not uses_managed_identity(identity_of(mc)):
            raise InvalidArgumentValueError(NEEDS_MANAGED_IDENTITY)
        profile = {"enabled": True,
                   "allowNetworkPluginKubenet": bool(self.context.raw_param.get("enable_pod_identity_with_kubenet"))}
        if edits.needs_kubenet_consent(_network_plugin(mc), profile):
            raise ArgumentUsageError(KUBENET_CONSENT)
        mc.pod_identity_profile = profile_model(self.cmd, profile)
        return mc


class PodIdentityUpdateDecorator(AKSManagedClusterUpdateDecorator):
    def __init__(self, cmd, client, raw_parameters, resource_type, removal_confirmed=False):
        self._raw_parameters = raw_parameters
        self.removal_confirmed = removal_confirmed
        self.removed = []
        self.released_identities = []  # identity ids of the pod identities that disabling removes
        self.cluster_identity = None
        super().__init__(cmd, client, raw_parameters, resource_type)

    def init_context(self):
        self.context = _PinnedETagContext(self.cmd, AKSManagedClusterParamDict(self._raw_parameters), self.models,
                                          DecoratorMode.UPDATE)

    def put_mc(self, mc):
        return _put_explaining_preview_feature(self.cmd, super().put_mc, mc)

    def update_mc_profile_default(self):
        mc = super().update_mc_profile_default()
        return self.update_pod_identity_profile(mc)

    def update_pod_identity_profile(self, mc):
        raw = self.context.raw_param
        enable, kubenet, disable = (raw.get("enable_pod_identity"), raw.get("enable_pod_identity_with_kubenet"),
                                    raw.get("disable_pod_identity"))
        if not (enable or kubenet or disable):
            return mc
        # The whole cluster is PUT: pin its eTag so that a concurrent pod identity change is never overwritten.
        self.context.pinned_etag = mc.e_tag
        current = profile_of(mc)
        if disable:
            self._confirm_removal(current, mc)
            changed = edits.disable(current)
            self.cluster_identity = identity_of(mc)
            self.released_identities = [e["identity"]["resourceId"] for e in current.get(edits.IDENTITIES) or []]
        else:
            if not uses_managed_identity(identity_of(mc)):
                raise InvalidArgumentValueError(NEEDS_MANAGED_IDENTITY)
            if kubenet and not enable and not current.get("enabled"):
                raise ArgumentUsageError("--enable-pod-identity-with-kubenet records consent for pod identity on "
                                         "kubenet; pod identity is not enabled on this cluster. Add "
                                         "--enable-pod-identity to enable it.")
            changed = edits.enable(current, allow_kubenet=kubenet)
            if edits.needs_kubenet_consent(_network_plugin(mc), changed or current):
                raise ArgumentUsageError(KUBENET_CONSENT)
        if changed is not None:
            mc.pod_identity_profile = profile_model(self.cmd, changed)
        return mc

    def _confirm_removal(self, current, mc):
        identities = current.get(edits.IDENTITIES) or []
        exceptions = current.get(edits.EXCEPTIONS) or []
        self.removed = [f"pod identity '{e['name']}' in namespace '{e['namespace']}'" for e in identities] + \
            [f"pod identity exception '{e['name']}' in namespace '{e['namespace']}'" for e in exceptions]
        if not self.removed or self.removal_confirmed:
            return
        from azext_podidentity.cluster.access import access_for, describe_users, workloads_using
        users = workloads_using(self.cmd, self.client, self.context.get_resource_group_name(),
                                self.context.get_name(), current,
                                [(e["namespace"], e["name"]) for e in identities], access_for(mc))
        if self.context.get_yes():
            if users:
                logger.warning("%s", describe_users(users).rstrip())
            self.removal_confirmed = True
            return
        summary = (f"Disabling pod identity removes {len(identities)} pod identities and {len(exceptions)} pod "
                   f"identity exceptions from cluster '{self.context.get_name()}'.")
        if not user_confirms((describe_users(users) if users else "") + summary):
            raise DecoratorEarlyExitException()
        self.removal_confirmed = True


def aks_create(cmd, client, resource_group_name, name, **parameters):
    # Core's checks first: an existing cluster is refused, exactly as core does.
    existing = None
    try:
        existing = client.get(resource_group_name, name)
    except Exception as ex:  # pylint: disable=broad-except
        logger.debug("failed to get cluster, error: %s", ex)
    if existing:
        from azure.cli.core.azclierror import ClientRequestError
        raise ClientRequestError(
            f"The cluster '{name}' under resource group '{resource_group_name}' already exists. Please use command "
            "'az aks update' to update the existing cluster, or select a different cluster name to create a new "
            "cluster.")
    raw_parameters = dict(parameters, cmd=cmd, client=client, resource_group_name=resource_group_name, name=name)
    decorator = PodIdentityCreateDecorator(cmd=cmd, client=client, raw_parameters=raw_parameters,
                                           resource_type=ResourceType.MGMT_CONTAINERSERVICE)
    try:
        mc = decorator.construct_mc_profile_default()
    except DecoratorEarlyExitException:
        return None
    return decorator.create_mc(mc)


def aks_update(cmd, client, resource_group_name, name, **parameters):
    from azure.core.exceptions import HttpResponseError
    raw_parameters = dict(parameters, cmd=cmd, client=client, resource_group_name=resource_group_name, name=name)
    confirmed = False
    retries = retry.WriteRetries(cmd.cli_ctx, name)
    while True:
        decorator = PodIdentityUpdateDecorator(cmd, client, raw_parameters, ResourceType.MGMT_CONTAINERSERVICE,
                                               removal_confirmed=confirmed)
        try:
            mc = decorator.update_mc_profile_default()
        except DecoratorEarlyExitException:
            return None
        confirmed = decorator.removal_confirmed
        try:
            result = decorator.update_mc(mc)
        except HttpResponseError as ex:
            if decorator.context.pinned_etag is None:
                raise  # core's behaviour without the pod identity flags
            # the user's own --if-match is never re-applied on a fresh read: its refusal is theirs to see
            if not retries.after_refusal(ex, lambda: provisioning_state(client, resource_group_name, name),
                                         reapply=not parameters.get("if_match")):
                raise
            continue
        for item in decorator.removed:
            logger.warning("Removed %s.", item)
        if decorator.released_identities:
            from azext_podidentity.grants.operator_role import release_grants
            release_grants(cmd, decorator.cluster_identity, decorator.released_identities,
                           still_used=lambda identity_id: edits.uses_identity(
                               profile_of(client.get(resource_group_name, name)), identity_id))
        return result


aks_create.__signature__ = _with_flags(core_custom.aks_create, CREATE_FLAGS)
aks_update.__signature__ = _with_flags(core_custom.aks_update, UPDATE_FLAGS)
