# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: which listed clusters still use pod identity, as the rows `az aks pod-identity list-clusters` prints."""


def _resource_group(resource_id):
    parts = (resource_id or "").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else None


def pod_identity_row(cluster, subscription_id):
    """The row of a cluster (REST dict, as ARM lists it) whose pod identity is enabled or still holds entries;
    None for any other cluster."""
    properties = cluster.get("properties") or {}
    profile = properties.get("podIdentityProfile") or {}
    identities = profile.get("userAssignedIdentities") or []
    exceptions = profile.get("userAssignedIdentityExceptions") or []
    if not (profile.get("enabled") or identities or exceptions):
        return None
    return {"name": cluster.get("name"), "resourceGroup": _resource_group(cluster.get("id")),
            "subscriptionId": subscription_id, "location": cluster.get("location"),
            "podIdentityEnabled": bool(profile.get("enabled")), "podIdentities": len(identities),
            "podIdentityExceptions": len(exceptions),
            "oidcIssuerEnabled": bool((properties.get("oidcIssuerProfile") or {}).get("enabled")),
            "workloadIdentityEnabled": bool(
                ((properties.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled"))}


def graph_row(record, subscription_ids):
    """The row of a Resource Graph record (``resource_graph.QUERY``'s projection), the same as ``pod_identity_row``
    gives for the cluster: the resource group as the id spells it (Resource Graph lower-cases its own column), the
    subscription id as it was asked for (``subscription_ids``: lower-cased -> as given)."""
    return {"name": record.get("name"), "resourceGroup": _resource_group(record.get("id")),
            "subscriptionId": subscription_ids.get((record.get("subscriptionId") or "").lower(),
                                                   record.get("subscriptionId")),
            "location": record.get("location"), "podIdentityEnabled": bool(record.get("podIdentityEnabled")),
            "podIdentities": record.get("podIdentities") or 0,
            "podIdentityExceptions": record.get("podIdentityExceptions") or 0,
            "oidcIssuerEnabled": bool(record.get("oidcIssuerEnabled")),
            "workloadIdentityEnabled": bool(record.get("workloadIdentityEnabled"))}


def sorted_rows(rows):
    return sorted(rows, key=lambda r: (r["subscriptionId"].lower(), (r["resourceGroup"] or "").lower(),
                                       (r["name"] or "").lower()))
