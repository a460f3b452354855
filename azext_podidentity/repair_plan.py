# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure planning of `az aks pod-identity prune`: which pod identities go, and the confirmation that lists them.

The service checks every pod identity on each change, so two or more pod identities whose identities were deleted
(commonly: the resource group that held them) refuse each other's removal one at a time. They go in one change.
"""
from azure.cli.core.azclierror import ArgumentUsageError

from azext_podidentity.profile_edits import entries_using, identity_id_of


def prune(profile, gone_identity_ids):
    """One row per pod identity of ``profile`` whose identity is one of ``gone_identity_ids``."""
    return [{"name": e["name"], "namespace": e["namespace"], "identityResourceId": identity_id_of(e),
             "reason": "its identity no longer exists", "action": None}
            for e in entries_using(profile, gone_identity_ids)]


def mark(result, action):
    for row in result["podIdentities"]:
        row["action"] = action
    return result


def confirm(plan, cluster_name):
    """Ask before removing; without a terminal nothing is removed (pipelines pass --yes)."""
    from knack.prompting import NoTTYException, prompt_y_n
    listing = "\n".join(f"  {row['namespace']}/{row['name']} (identity {row['identityResourceId']})" for row in plan)
    summary = (f"Removing {len(plan)} pod identit{'y' if len(plan) == 1 else 'ies'} from cluster '{cluster_name}' "
               f"whose identity no longer exists:\n{listing}\n")
    try:
        if not prompt_y_n(summary + "Continue?", default="n"):
            raise ArgumentUsageError("Operation cancelled. Nothing was changed.")
    except NoTTYException as ex:
        raise ArgumentUsageError(summary + "Nothing was changed. Run again with --yes to confirm.") from ex
