# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: say which pod identity made the service refuse a change, and how to unblock it.

The service checks every pod identity of the profile on each PUT, so one entry whose identity was deleted or
whose grant was revoked blocks every later change of the cluster, including unrelated ones. Its message names
the identity's resource id; the entries using that id are the blockers.
"""
from azext_podidentity import fix_commands
from azext_podidentity.profile_edits import IDENTITIES

_MISSING_GRANT = "assignment permission"
_MISSING_IDENTITY = ("not found", "does not exist", "could not be found")


def blockers(message, profile):
    """The pod identities of ``profile`` whose identity the service's ``message`` names."""
    text = (message or "").lower()
    return [e for e in profile.get(IDENTITIES) or []
            if ((e.get("identity") or {}).get("resourceId") or "").lower() in text
            and (e.get("identity") or {}).get("resourceId")]


def explain(message, profile, resource_group, cluster_name, principal_id=None):
    """What to add to the service's message: the blocking pod identities and the commands that unblock them."""
    text = (message or "").lower()
    lines = []
    for entry in blockers(message, profile):
        identity_id = entry["identity"]["resourceId"]
        who = f"Pod identity '{entry['name']}' in namespace '{entry['namespace']}'"
        readd = fix_commands.readd(resource_group, cluster_name, entry)
        delete = fix_commands.delete(resource_group, cluster_name, entry)
        if _MISSING_GRANT in text:
            lines.append(f"{who} blocks this change: the cluster identity no longer holds 'Managed Identity "
                         f"Operator' on its identity '{identity_id}', and the service checks every pod identity "
                         "on each change.")
            if principal_id:
                lines.append(f"Restore the grant:\n  {fix_commands.grant(principal_id, identity_id)}")
            lines.append(f"or run its add again (it restores the grant when nothing else blocks the cluster):\n"
                         f"  {readd}\nor remove the pod identity:\n  {delete}")
        elif any(phrase in text for phrase in _MISSING_IDENTITY):
            lines.append(f"{who} blocks this change: its identity '{identity_id}' no longer exists, and the service "
                         f"checks every pod identity on each change. Remove the pod identity:\n  {delete}\n"
                         f"or re-create the identity and run its add again:\n  {readd}")
        else:
            lines.append(f"The service refused this change because of pod identity '{entry['name']}' in namespace "
                         f"'{entry['namespace']}' (identity '{identity_id}'). To remove it:\n  {delete}")
    return "\n".join(lines) or None
