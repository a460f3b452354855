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


def sorted_rows(rows):
    return sorted(rows, key=lambda r: (r["subscriptionId"].lower(), (r["resourceGroup"] or "").lower(),
                                       (r["name"] or "").lower()))
