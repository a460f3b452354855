"""When `az aks pod-identity wait` is done, decided on the entry as the service reports it."""
import pytest
from azure.cli.core.azclierror import AzureResponseError

from azext_podidentity.drift.wait_conditions import chosen_condition, reached
from azext_podidentity.inputs.validation import InvalidOptionValue

ENTRY = {"name": "web", "namespace": "shop", "identity": {"resourceId": "/x"}}


@pytest.mark.parametrize("state,done", [("Updating", False), ("Assigned", True), ("Deleting", False)])
def test_created_and_updated_wait_for_assigned(state, done):
    for condition in ("created", "updated"):
        assert reached(dict(ENTRY, provisioningState=state), condition) is done
    assert reached(None, "created") is False


def test_failed_ends_the_wait_with_the_entry_error():
    failed = dict(ENTRY, provisioningState="Failed",
                  provisioningInfo={"error": {"error": {"code": "NMIReconcileFailed", "message": "nmi failed"}}})
    with pytest.raises(AzureResponseError, match=r"'web' in namespace 'shop' is Failed: \(NMIReconcileFailed\)"):
        reached(failed, "created")


def test_deleted_exists_and_custom():
    assert reached(None, "deleted") and not reached(dict(ENTRY, provisioningState="Deleting"), "deleted")
    assert reached(dict(ENTRY, provisioningState="Updating"), "exists") and not reached(None, "exists")
    assert reached(dict(ENTRY, provisioningState="Updating"), "custom", custom_matches=True)
    assert not reached(dict(ENTRY, provisioningState="Assigned"), "custom", custom_matches=False)


@pytest.mark.parametrize("flags", [(False, False, False, False, None), (True, True, False, False, None)])
def test_exactly_one_condition(flags):
    with pytest.raises(InvalidOptionValue, match="exactly one of --created"):
        chosen_condition(*flags)
    assert chosen_condition(False, False, False, False, "a") == "custom"
