"""Handlers of the aks-preview stand-in.

`aks create/update` run core's decorators and then apply the stand-in's own flags, as aks-preview's decorators do;
its pod identity commands only say that they ran, so a test can tell which extension ran a command.
"""
import inspect

from azure.cli.command_modules.acs import custom as core
from azure.cli.command_modules.acs.managed_cluster_decorator import (AKSManagedClusterCreateDecorator,
                                                                     AKSManagedClusterUpdateDecorator)
from azure.cli.core.azclierror import CLIInternalError
from azure.cli.core.profiles import ResourceType

TAG = "aks-preview-standin"
FLAGS = {"standin_preview_tag": None, "enable_pod_identity": False, "enable_pod_identity_with_kubenet": False,
         "disable_pod_identity": False}


def _apply_own_flags(cmd, mc, raw):
    if raw.get("standin_preview_tag"):
        mc.tags = dict(mc.tags or {}, **{TAG: raw.get("standin_preview_tag")})
    profile = cmd.get_models("ManagedClusterPodIdentityProfile", resource_type=ResourceType.MGMT_CONTAINERSERVICE,
                             operation_group="managed_clusters")
    if raw.get("enable_pod_identity"):
        mc.pod_identity_profile = profile(enabled=True, allow_network_plugin_kubenet=bool(
            raw.get("enable_pod_identity_with_kubenet")))
    elif raw.get("disable_pod_identity"):
        mc.pod_identity_profile = profile(enabled=False)
    return mc


class _Create(AKSManagedClusterCreateDecorator):
    def construct_mc_profile_default(self, bypass_restore_defaults=False):
        mc = super().construct_mc_profile_default(bypass_restore_defaults=bypass_restore_defaults)
        return _apply_own_flags(self.cmd, mc, self.context.raw_param)


class _Update(AKSManagedClusterUpdateDecorator):
    def update_mc_profile_default(self):
        return _apply_own_flags(self.cmd, super().update_mc_profile_default(), self.context.raw_param)


def aks_create(cmd, client, resource_group_name, name, **parameters):
    raw = dict(parameters, cmd=cmd, client=client, resource_group_name=resource_group_name, name=name)
    decorator = _Create(cmd=cmd, client=client, raw_parameters=raw, resource_type=ResourceType.MGMT_CONTAINERSERVICE)
    return decorator.create_mc(decorator.construct_mc_profile_default())


def aks_update(cmd, client, resource_group_name, name, **parameters):
    raw = dict(parameters, cmd=cmd, client=client, resource_group_name=resource_group_name, name=name)
    decorator = _Update(cmd=cmd, client=client, raw_parameters=raw, resource_type=ResourceType.MGMT_CONTAINERSERVICE)
    return decorator.update_mc(decorator.update_mc_profile_default())


def _signature(core_function, flags):
    signature = inspect.signature(core_function)
    return signature.replace(parameters=list(signature.parameters.values()) + [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in flags.items()])


aks_create.__signature__ = _signature(core.aks_create, {k: v for k, v in FLAGS.items() if k != "disable_pod_identity"})
aks_update.__signature__ = _signature(core.aks_update, FLAGS)


def _ran(command):
    def handler(cmd, client, resource_group_name, cluster_name, identity_namespace=None, identity_name=None,
                identity_resource_id=None, binding_selector=None, pod_labels=None, no_wait=False):
        raise CLIInternalError(f"aks-preview stand-in ran 'az aks pod-identity {command}'")
    return handler


aks_pod_identity_add = _ran("add")
aks_pod_identity_delete = _ran("delete")
aks_pod_identity_list = _ran("list")
aks_pod_identity_exception_add = _ran("exception add")
aks_pod_identity_exception_update = _ran("exception update")
aks_pod_identity_exception_delete = _ran("exception delete")
aks_pod_identity_exception_list = _ran("exception list")
