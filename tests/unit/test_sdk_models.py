"""REST dicts round-trip through the SDK models of the running azure-cli, whichever model generation it ships."""
import copy

from azext_podidentity.arm.sdk_models import from_rest, to_rest
from tests.unit.sdk import model_class
from tests.unit.test_output import CLUSTER

PROFILE = CLUSTER["properties"]["podIdentityProfile"]


def test_profile_round_trips_with_rest_keys_and_read_only_fields():
    model = from_rest(model_class("ManagedClusterPodIdentityProfile"), copy.deepcopy(PROFILE))
    assert to_rest(model) == PROFILE


def test_models_built_from_rest_have_their_attributes():
    model = from_rest(model_class("ManagedClusterPodIdentityProfile"), copy.deepcopy(PROFILE))
    first = model.user_assigned_identities[0]
    assert (model.enabled, first.name, first.identity.resource_id, first.provisioning_state) == \
        (True, "a", "/x", "Assigned")


def test_cluster_keeps_its_etag_and_identity():
    cluster = from_rest(model_class("ManagedCluster"), copy.deepcopy(CLUSTER))
    assert cluster.e_tag == "e1"
    assert to_rest(cluster.identity) == {"type": "SystemAssigned", "principalId": "p"}
    assert to_rest(cluster.pod_identity_profile) == PROFILE


def test_none_stays_none():
    assert to_rest(None) is None
