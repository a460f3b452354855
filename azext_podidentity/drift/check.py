# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the report of `az aks pod-identity check`, from what was read of the cluster, its identities and grants.

Every problem names the pod identity (or the cluster), what is wrong and the one command that repairs it. The
problems are listed in the order their fixes work: the service checks every pod identity on each change, so grants
are restored first (a grant is not a change of the cluster), then what changes the cluster. Pod identities whose
identities are gone block each other's removal one at a time, so when there are several, the fix of each is the one
command that removes them all in one change (``prune``); run again, it finds nothing left to remove.
"""
from azext_podidentity.drift import cluster_causes
from azext_podidentity.grants.marks import grant_command
from azext_podidentity.grants.principals import uses_managed_identity
from azext_podidentity.profile import fixes
from azext_podidentity.profile.edits import IDENTITIES, failure_message, identity_id_of


# the order in which fixes can be applied
_MANAGED_IDENTITY, _GRANT, _KUBENET, _REMOVE, _REFRESH, _IN_CLUSTER = range(6)


def _problem(entry, problem, fix, rank):
    return rank, {"podIdentity": entry["name"] if entry else None,
                  "namespace": entry["namespace"] if entry else None, "problem": problem, "fix": fix}


def _cluster_problems(resource_group, cluster_name, cluster, profile, network_plugin):
    problems = []
    if not uses_managed_identity(cluster):
        problems.append(_problem(None, "The cluster uses a service principal; pod identity needs a managed "
                                       "identity.", fixes.enable_managed_identity(resource_group, cluster_name),
                                 _MANAGED_IDENTITY))
    if (profile.get("enabled") and (network_plugin or "").lower() == "kubenet"
            and not profile.get("allowNetworkPluginKubenet")):
        problems.append(_problem(None, "The cluster uses kubenet and pod identity has no recorded kubenet consent; "
                                       "the service refuses every change of the profile until it has.",
                                 fixes.enable_kubenet_consent(resource_group, cluster_name), _KUBENET))
    return problems


def _entry_problems(resource_group, cluster_name, entry, facts, principal_id, several_gone=False):
    identity = entry.get("identity") or {}
    readd = fixes.readd(resource_group, cluster_name, entry)
    if facts.get("exists") is False:
        if several_gone:
            return [_problem(entry, f"Its identity '{identity.get('resourceId')}' does not exist; the service refuses "
                                    "every change of the cluster while this pod identity is there, and other pod "
                                    "identities whose identities are gone block removing it alone. Remove them "
                                    "together (or re-create the identities and run their adds again).",
                             fixes.prune(resource_group, cluster_name), _REMOVE)]
        return [_problem(entry, f"Its identity '{identity.get('resourceId')}' does not exist; the service refuses "
                                "every change of the cluster while this pod identity is there. Remove it (or "
                                "re-create the identity and run its add again).",
                         fixes.delete(resource_group, cluster_name, entry), _REMOVE)]
    if facts.get("exists") is None:
        return [_problem(entry, f"Its identity '{identity.get('resourceId')}' could not be read: {facts.get('error')}",
                         f"az identity show --ids {identity.get('resourceId')}", _REFRESH)]
    problems = []
    if not _ids_match(identity, facts):
        problems.append(_problem(entry, f"Its client and object ids ({identity.get('clientId')}, "
                                        f"{identity.get('objectId')}) are not those of the identity now "
                                        f"({facts.get('clientId')}, {facts.get('principalId')}): the identity was "
                                        "re-created. Pods would get tokens for the old identity.", readd, _REFRESH))
    if facts.get("grantHeld") is False:
        problems.append(_problem(entry, "The cluster identity does not hold 'Managed Identity Operator' on its "
                                        "identity or above it; the service refuses every change of the cluster "
                                        "until it does. (Running its add again also restores it, when nothing "
                                        "else blocks the cluster.)",
                                 grant_command(principal_id, identity.get("resourceId")) if principal_id
                                 else readd, _GRANT))
    if facts.get("grantError"):
        problems.append(_problem(entry, "Whether the cluster identity holds 'Managed Identity Operator' on its "
                                        f"identity could not be checked: {facts['grantError']}",
                                 f"az role assignment list --assignee {principal_id} "
                                 f"--scope {identity.get('resourceId')} --include-inherited", _GRANT))
    failed = failure_message(entry)
    if failed and not problems:
        problems.append(_problem(entry, failed, readd, _REFRESH))
    return problems


def _ids_match(identity, facts):
    return ((identity.get("clientId") or "").lower() == (facts.get("clientId") or "").lower()
            and (identity.get("objectId") or "").lower() == (facts.get("principalId") or "").lower())


def report(resource_group, cluster_name, cluster, network_plugin, profile, identity_facts, principal_id=None,
           in_cluster=None):
    """``cluster``: {"identity": ...} as REST; ``identity_facts``: lower-cased identity id -> {"exists",
    "clientId", "principalId", "grantHeld" (None when it was not checked), "error", "grantError"};
    ``principal_id``: the cluster identity's principal, when it has one; ``in_cluster``: None when the cluster
    was not read, else {"error"} or {"inventory", "nmi"} (cluster_causes.problems)."""
    problems = _cluster_problems(resource_group, cluster_name, cluster, profile, network_plugin)
    if in_cluster and not in_cluster.get("error"):
        problems.extend((_IN_CLUSTER, p) for p in cluster_causes.problems(
            resource_group, cluster_name, in_cluster["inventory"], profile.get(IDENTITIES) or [],
            in_cluster["nmi"]))
    pod_identities = []

    def facts_of(entry):
        return identity_facts.get(identity_id_of(entry).lower()) or {}
    gone = [e for e in profile.get(IDENTITIES) or [] if facts_of(e).get("exists") is False]
    for entry in profile.get(IDENTITIES) or []:
        identity = entry.get("identity") or {}
        facts = facts_of(entry)
        found = _entry_problems(resource_group, cluster_name, entry, facts, principal_id, several_gone=len(gone) > 1)
        problems.extend(found)
        row = {"name": entry.get("name"), "namespace": entry.get("namespace"),
               "identityResourceId": identity.get("resourceId"), "identityExists": facts.get("exists"),
               "idsMatch": _ids_match(identity, facts) if facts.get("exists") else None,
               "grantHeld": facts.get("grantHeld"), "provisioningState": entry.get("provisioningState"),
               "problems": [p["problem"] for _, p in found]}
        if entry.get("provisioningState") == "Failed":
            row["provisioningInfo"] = entry.get("provisioningInfo")
        pod_identities.append(row)
    kubenet = (network_plugin or "").lower() == "kubenet"
    return {"cluster": cluster_name, "resourceGroup": resource_group, "healthy": not problems,
            "managedIdentity": uses_managed_identity(cluster), "podIdentityEnabled": bool(profile.get("enabled")),
            "networkPlugin": network_plugin,
            "kubenetConsent": bool(profile.get("allowNetworkPluginKubenet")) if kubenet else None,
            "podIdentities": pod_identities,
            "clusterRead": None if in_cluster is None else not in_cluster.get("error"),
            "clusterReadError": (in_cluster or {}).get("error"),
            "problems": [p for _, p in sorted(problems, key=lambda ranked: ranked[0])]}


def summary(result):
    """The one line a failed gate prints on stderr."""
    count = len(result["problems"])
    return (f"{count} problem{'s' if count != 1 else ''} with the pod identities of cluster '{result['cluster']}'; "
            "each one has the command that fixes it in the output.")
