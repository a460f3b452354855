"""The command output: azure-cli's own conversion of the cluster, with the pod identity profile's nulls removed."""
import copy

from azure.cli.command_modules.acs.custom import _remove_nulls
from azure.cli.core.util import todict

from azext_podidentity.arm.sdk_models import from_rest
from azext_podidentity.custom import _output
from tests.unit.sdk import model_class

CLUSTER = {
    "id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
    "name": "c", "location": "eastus", "eTag": "e1", "identity": {"type": "SystemAssigned", "principalId": "p"},
    "properties": {"provisioningState": "Succeeded", "agentPoolProfiles": [{"name": "np", "count": 1}],
                   "servicePrincipalProfile": {"clientId": "msi"},
                   "podIdentityProfile": {
                       "enabled": True, "allowNetworkPluginKubenet": False,
                       "userAssignedIdentities": [
                           {"name": "a", "namespace": "ns", "bindingSelector": "sel", "provisioningState": "Assigned",
                            "identity": {"resourceId": "/x", "clientId": "c1", "objectId": "o1"}},
                           {"name": "b", "namespace": "ns", "provisioningState": "Failed",
                            "identity": {"resourceId": "/y", "clientId": "c2", "objectId": "o2"},
                            "provisioningInfo": {"error": {"error": {"code": "E", "message": "m"}}}}],
                       "userAssignedIdentityExceptions": [{"name": "e", "namespace": "ns",
                                                           "podLabels": {"a": "b", "c": "d"}}]}}}


def _without_nulls(value):
    # msrest-style models (azure-cli before 2.85) also carry an empty additionalProperties, which is not REST data
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items()
                if v is not None and not (k == "additionalProperties" and v == {})}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def cluster_model(rest):
    return from_rest(model_class("ManagedCluster"), copy.deepcopy(rest))


def test_output_is_todict_with_the_profile_nulls_removed():
    expected = todict(_remove_nulls([cluster_model(CLUSTER)])[0])
    expected["podIdentityProfile"] = _without_nulls(expected["podIdentityProfile"])
    assert _output(cluster_model(CLUSTER)) == expected


def test_output_without_a_profile():
    bare = copy.deepcopy(CLUSTER)
    del bare["properties"]["podIdentityProfile"]
    result = _output(cluster_model(bare))
    assert result["podIdentityProfile"] is None and result["name"] == "c"
