# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: whose grant the service checks (the cluster's control-plane principal), and whether listed role assignments
give it 'Managed Identity Operator' on an identity (at the identity or above it)."""
from azure.cli.core.azclierror import InvalidArgumentValueError

from azext_podidentity.grants.marks import MANAGED_IDENTITY_OPERATOR

NEEDS_MANAGED_IDENTITY = (
    "Pod identity requires a cluster that uses a managed identity; this cluster uses a service principal. "
    "Move the cluster to a managed identity with 'az aks update --enable-managed-identity' first.")


def uses_managed_identity(cluster):
    return ((cluster.get("identity") or {}).get("type") or "").lower() in ("systemassigned", "userassigned")


def cluster_principal_id(cluster):
    """The principal the service checks: system-assigned, or the single user-assigned control-plane identity."""
    identity = cluster.get("identity") or {}
    kind = (identity.get("type") or "").lower()
    if kind == "systemassigned" and identity.get("principalId"):
        return identity["principalId"]
    if kind == "userassigned":
        assigned = list((identity.get("userAssignedIdentities") or {}).values())
        if len(assigned) == 1 and (assigned[0] or {}).get("principalId"):
            return assigned[0]["principalId"]
    raise InvalidArgumentValueError(NEEDS_MANAGED_IDENTITY)


def principal_id_or_none(cluster):
    """The principal the service checks, or None for a cluster that has none (a service-principal cluster)."""
    try:
        return cluster_principal_id(cluster)
    except InvalidArgumentValueError:
        return None


def _is_within(scope, ancestor):
    scope, ancestor = scope.lower().rstrip("/"), ancestor.lower().rstrip("/")
    return scope == ancestor or scope.startswith(ancestor + "/")


def _applies_at(identity_id, scope):
    """An assignment's scope that covers the identity: the identity, a group or subscription above it, the root
    scope ``/``, or a management group (an ``atScope()`` listing at the identity returns one only when the
    identity's subscription sits below it; which one cannot be told from the ids)."""
    if scope.lower().startswith("/providers/microsoft.management/managementgroups/"):
        return True
    return _is_within(identity_id, scope)


def holds_operator_role(assignments, principal_id, identity_id):
    """Pure: does any assignment listed at the identity's scope give ``principal_id`` the role there?"""
    for a in assignments:
        if ((a.get("roleDefinitionId") or "").lower().endswith(MANAGED_IDENTITY_OPERATOR)
                and (a.get("principalId") or "").lower() == principal_id.lower()
                and _applies_at(identity_id, a.get("scope") or "")):
            return True
    return False
