"""The managed-cluster service's pod identity rules, with the messages users have seen from the real service.

Every error is the AKS provider's own, unwrapped (see ``errors.AksError``). The messages come from
recorded/errors_from_github_threads.json; where a thread gives a message but no code, the code here is the
emulator's choice (the product must not depend on it). Two facts from those threads shape the rules:
- an identity that was deleted is not reported as missing: the service answers the same
  ``PodIdentityAddonIdentitiesAssignmentError`` "no assignment permission" as for a missing grant, naming the
  entry's resource id, client id and object id (Azure/AKS#2943, #3833, #2203);
- pod identities cannot be sent when the cluster is created (azure-rest-api-specs#13417).
The order in which the real service applies its rules is not recorded; the emulator stops at the first broken one.

The refusals for enabling, each with the report it is shaped on. Each report gives the message and the status
(400, "Bad Request") but no code: the code "BadRequest" of each is the emulator's choice.
- the subscription has not registered EnablePodIdentityPreview, as the provider last saw it (see
  services/features/models.py): Azure/azure-quickstart-templates#12928 (2022). The reports show it when a cluster
  is created or updated with pod identity enabled; whether the service also refuses a later change of a cluster
  that already has the add-on, once the feature is unregistered, is not reported: the emulator refuses every write
  that keeps pod identity enabled (the stricter reading).
- a cluster without a managed identity: MicrosoftDocs/azure-docs#72221 (2021).
- kubenet without the consent flag: Azure/AKS#2011, MicrosoftDocs/azure-docs#68104 and #67309 (2020).
"""
import re

from ...errors import aks_bad_request as bad_request

FEATURE = "Microsoft.ContainerService/EnablePodIdentityPreview"
MAX_IDENTITIES = 200
MAX_EXCEPTIONS = 200
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_DNS_LABEL = re.compile(_LABEL)


def _valid_subdomain(value):
    return isinstance(value, str) and len(value) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(value))


def _valid_label(value):
    return isinstance(value, str) and len(value) <= 63 and bool(_DNS_LABEL.fullmatch(value))


def _invalid_name(value):
    return bad_request("InvalidParameter",
                       f"Name '{value}' is invalid. Please provide a valid and fully qualified DNS name.")


def _no_assignment_permission(identity):
    return bad_request("PodIdentityAddonIdentitiesAssignmentError",
                       f"Cluster identity has no assignment permission over identity 'resourceId: "
                       f"{identity.get('resourceId') or ''} - clientId: {identity.get('clientId') or ''} - objectId: "
                       f"{identity.get('objectId') or ''}'. Please grant at least 'Managed Identity Operator' "
                       "permission before assigning pod identity.")


def check_profile(profile, cluster, msi, authz, cluster_principal_id, creating=False, feature_registered=True):
    """Raise the service's error for the first rule ``profile`` breaks; ``cluster`` is the request body."""
    if not profile.get("enabled"):
        return
    if not feature_registered:
        raise bad_request("BadRequest", f"PodIdentity addon is not allowed since feature '{FEATURE}' is not enabled.")
    if creating and profile.get("userAssignedIdentities"):
        raise bad_request("PodIdentityAddonUserAssignedIdentitiesNotAllowedInCreation",
                          "PodIdentity addon does not support assigning pod identities on creation.")
    identity_type = ((cluster.get("identity") or {}).get("type") or "").lower()
    if identity_type not in ("systemassigned", "userassigned"):
        raise bad_request("BadRequest", "PodIdentity addon requires managed identity.")
    network_plugin = ((cluster["properties"].get("networkProfile") or {}).get("networkPlugin") or "").lower()
    if network_plugin == "kubenet" and not profile.get("allowNetworkPluginKubenet"):
        # The real message, as users reported it (it does not mention the consent flag).
        raise bad_request("BadRequest", "Network plugin kubenet is not supported to use with PodIdentity addon.")
    identities = profile.get("userAssignedIdentities") or []
    exceptions = profile.get("userAssignedIdentityExceptions") or []
    if len(identities) > MAX_IDENTITIES:
        raise bad_request("BadRequest", f"The number of pod identities {len(identities)} exceeds the limit "
                                        f"of {MAX_IDENTITIES} per cluster.")
    if len(exceptions) > MAX_EXCEPTIONS:
        raise bad_request("BadRequest", f"The number of pod identity exceptions {len(exceptions)} exceeds the "
                                        f"limit of {MAX_EXCEPTIONS} per cluster.")
    for entry in identities + exceptions:
        for value in (entry.get("name"), ):
            if not _valid_subdomain(value):
                raise _invalid_name(value)
        if not _valid_label(entry.get("namespace")):
            raise _invalid_name(entry.get("namespace"))
    seen = {}
    for entry in identities:
        key = (entry["name"], entry["namespace"])
        resource_id = ((entry.get("identity") or {}).get("resourceId") or "").lower()
        if key in seen:
            if seen[key] != resource_id:
                raise bad_request("BadRequest",
                                  f"Found pod identities use different identities with the same name "
                                  f"'{entry['name']}' in namespace '{entry['namespace']}'. "
                                  "Please update the pod identity name.")
            raise bad_request("BadRequest", f"Found duplicate pod identity '{entry['name']}' in namespace "
                                            f"'{entry['namespace']}'.")
        seen[key] = resource_id
    seen_exceptions = set()
    for entry in exceptions:
        key = (entry["name"], entry["namespace"])
        if key in seen_exceptions:
            raise bad_request("BadRequest", f"Found duplicate pod identity exception '{entry['name']}' in "
                                            f"namespace '{entry['namespace']}'.")
        seen_exceptions.add(key)
        if not entry.get("podLabels"):
            raise bad_request("InvalidParameter", f"Pod identity exception '{entry['name']}' must have pod labels.")
    for entry in identities:
        identity = entry.get("identity") or {}
        resource_id = identity.get("resourceId") or ""
        # a deleted identity and a missing grant read the same (see the module docstring)
        if not msi.find(resource_id) or not authz.can_assign_identity(cluster_principal_id, resource_id):
            raise _no_assignment_permission(identity)
