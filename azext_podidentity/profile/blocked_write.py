# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: say which pod identity made the service refuse a change, and how to unblock it.

The service checks every pod identity of the profile on each PUT, so one entry whose identity was deleted or
whose grant was revoked blocks every later change of the cluster, including unrelated ones. Its message names
the identity's resource id; the entries using that id are the blockers. For both causes the real service says the
same "no assignment permission" (Azure/AKS#2943, #3833), so the caller reads each blocking identity once and says
which identities exist.
"""
from azext_podidentity.grants.marks import grant_command
from azext_podidentity.profile import fixes
from azext_podidentity.profile.edits import IDENTITIES, identity_id_of

MISSING_GRANT = "assignment permission"
_MISSING_IDENTITY = ("not found", "does not exist", "could not be found")


def blockers(message, profile):
    """The pod identities of ``profile`` whose identity the service's ``message`` names."""
    text = (message or "").lower()
    return [e for e in profile.get(IDENTITIES) or [] if identity_id_of(e) and identity_id_of(e).lower() in text]


def _missing_identity(who, identity_id, delete, readd, reported_as_grant):
    said = (" (the service reports a deleted identity as a missing 'Managed Identity Operator' grant)"
            if reported_as_grant else "")
    return (f"{who} blocks this change: its identity '{identity_id}' no longer exists{said}, and the service checks "
            f"every pod identity on each change. Remove the pod identity:\n  {delete}\n"
            f"or re-create the identity and run its add again:\n  {readd}")


def _missing_grant(who, identity_id, principal_id, delete, readd):
    lines = [f"{who} blocks this change: the cluster identity no longer holds 'Managed Identity Operator' on its "
             f"identity '{identity_id}', and the service checks every pod identity on each change."]
    if principal_id:
        lines.append(f"Restore the grant:\n  {grant_command(principal_id, identity_id)}")
    lines.append(f"or run its add again (it restores the grant when nothing else blocks the cluster):\n  {readd}\n"
                 f"or remove the pod identity:\n  {delete}")
    return "\n".join(lines)


def explain(message, profile, resource_group, cluster_name, principal_id=None, identity_exists=None, before=None):
    """What to add to the service's message: the blocking pod identities and the commands that unblock them.

    ``identity_exists``: lower-cased identity id -> True, False, or None (could not be read), for the identities
    named by a "no assignment permission" message, and for every identity of the profile once one of those is gone:
    several pod identities whose identities are gone are named together, with the one command that removes them.
    ``before``: the profile as it was read, whose entries count too (one that this change removes is gone as well).
    """
    text = (message or "").lower()
    identity_exists = identity_exists or {}
    everyone = {(e["name"], e["namespace"]): e for e in ((before or {}).get(IDENTITIES) or []) +
                (profile.get(IDENTITIES) or [])}
    gone = [e for e in everyone.values() if identity_exists.get(identity_id_of(e).lower()) is False]
    if MISSING_GRANT in text and len(gone) > 1:
        named = ", ".join(f"'{e['name']}' in namespace '{e['namespace']}'" for e in gone)
        return (f"Pod identities {named} block this change: their identities no longer exist (the service reports a "
                "deleted identity as a missing 'Managed Identity Operator' grant, one at a time), and removing any "
                "one of them alone is refused because of the others. Remove them together, in one change:\n  "
                f"{fixes.prune(resource_group, cluster_name)}")
    lines = []
    for entry in blockers(message, profile):
        identity_id = identity_id_of(entry)
        who = f"Pod identity '{entry['name']}' in namespace '{entry['namespace']}'"
        readd = fixes.readd(resource_group, cluster_name, entry)
        delete = fixes.delete(resource_group, cluster_name, entry)
        if MISSING_GRANT in text:
            exists = identity_exists.get(identity_id.lower())
            if exists is False:
                lines.append(_missing_identity(who, identity_id, delete, readd, reported_as_grant=True))
            else:
                if exists is None:
                    lines.append(f"Whether identity '{identity_id}' still exists could not be read; the service "
                                 "says the same for a deleted identity as for a missing grant.")
                lines.append(_missing_grant(who, identity_id, principal_id, delete, readd))
        elif any(phrase in text for phrase in _MISSING_IDENTITY):
            lines.append(_missing_identity(who, identity_id, delete, readd, reported_as_grant=False))
        else:
            lines.append(f"The service refused this change because of pod identity '{entry['name']}' in namespace "
                         f"'{entry['namespace']}' (identity '{identity_id}'). To remove it:\n  {delete}")
    return "\n".join(lines) or None
