# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure planning of `az aks pod-identity prune`: which pod identities go, and the question that lists them.

The service checks every pod identity on each change, so two or more pod identities whose identities were deleted
(commonly: the resource group that held them) refuse each other's removal one at a time. They go in one change.
"""
from azext_podidentity.profile.edits import identity_id_of


def rows(entries):
    """One row per pod identity to remove (``entries``: those whose identity no longer exists)."""
    return [{"name": e["name"], "namespace": e["namespace"], "identityResourceId": identity_id_of(e),
             "reason": "its identity no longer exists", "action": None} for e in entries]


def mark(result, action):
    for row in result["podIdentities"]:
        row["action"] = action
    return result


def confirmation(plan, cluster_name):
    """The question asked before removing: which pod identities go, and why."""
    listing = "\n".join(f"  {row['namespace']}/{row['name']} (identity {row['identityResourceId']})" for row in plan)
    return (f"Removing {len(plan)} pod identit{'y' if len(plan) == 1 else 'ies'} from cluster '{cluster_name}' "
            f"whose identity no longer exists:\n{listing}\n")
