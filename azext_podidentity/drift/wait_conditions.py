# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""When `az aks pod-identity wait` is done: a pure decision on one pod identity entry as the service reports it.

A pod identity is ready when the service reports it ``Assigned`` (the service never says ``Succeeded`` for one);
``Failed`` ends the wait with the entry's own error.
"""
from azure.cli.core.azclierror import AzureResponseError

from azext_podidentity.inputs.validation import InvalidOptionValue
from azext_podidentity.profile.edits import failure_message

CONDITIONS = ("created", "updated", "deleted", "exists", "custom")


def chosen_condition(created, updated, deleted, exists, custom):
    chosen = [name for name, value in zip(CONDITIONS, (created, updated, deleted, exists, custom)) if value]
    if len(chosen) != 1:
        raise InvalidOptionValue("Give exactly one of --created, --updated, --deleted, --exists or --custom JMESPATH.")
    return chosen[0]


def reached(entry, condition, custom_matches=False):
    """Is the wait over for ``entry`` (None when the cluster has no such pod identity)? Raises when it Failed."""
    if condition == "deleted":
        return entry is None
    if entry is None:
        return False
    if condition == "exists":
        return True
    failure = failure_message(entry)
    if failure:
        raise AzureResponseError(failure)
    if condition == "custom":
        return bool(custom_matches)
    return entry.get("provisioningState") == "Assigned"
