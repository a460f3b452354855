# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure edits of a managed cluster's ``podIdentityProfile`` (the REST dict, camelCase keys).

Each edit takes the current profile and returns the profile to send, or ``None`` when nothing would
change, so that callers send no request for a no-op. Edits touch only the entry they target.
"""
from azure.cli.core.azclierror import (ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError)

MAX_IDENTITIES = 200
MAX_EXCEPTIONS = 200
IDENTITIES = "userAssignedIdentities"
EXCEPTIONS = "userAssignedIdentityExceptions"


def identity_entry(name, namespace, resource_id, client_id=None, object_id=None, binding_selector=None):
    identity = {"resourceId": resource_id}
    if client_id:
        identity["clientId"] = client_id
    if object_id:
        identity["objectId"] = object_id
    entry = {"name": name, "namespace": namespace, "identity": identity}
    if binding_selector:
        entry["bindingSelector"] = binding_selector
    return entry


def find(entries, name, namespace):
    for entry in entries or []:
        if entry.get("name") == name and entry.get("namespace") == namespace:
            return entry
    return None


def same_identity(a, b):
    """Same pod identity as far as a user is concerned: identity (case-insensitive) and binding selector."""
    return ((a.get("identity") or {}).get("resourceId", "").lower() ==
            (b.get("identity") or {}).get("resourceId", "").lower()
            and (a.get("bindingSelector") or None) == (b.get("bindingSelector") or None))


def _with(profile, key, entries):
    updated = dict(profile)
    updated[key] = entries
    return updated


def _ids(entry):
    identity = entry.get("identity") or {}
    return ((identity.get("clientId") or "").lower(), (identity.get("objectId") or "").lower())


def has_stale_ids(existing, entry):
    """Pure: does ``existing`` carry other client or object ids than ``entry`` (which has them)? The identity was
    re-created under the same resource id."""
    return _ids(entry) != ("", "") and _ids(existing) != _ids(entry)


def add_identity(profile, entry, resend=False):
    """Add ``entry``, or converge the existing entry of that name on it.

    An existing entry with the same identity and binding selector is replaced when its client or object id is
    stale (the identity was re-created), when the service failed it, or when ``resend`` asks the service to check
    it again (its grant was just repaired); otherwise nothing changes.
    """
    identities = list(profile.get(IDENTITIES) or [])
    existing = find(identities, entry["name"], entry["namespace"])
    if existing is not None:
        if not same_identity(existing, entry):
            raise ArgumentUsageError(
                f"Pod identity '{entry['name']}' already exists in namespace '{entry['namespace']}' with identity "
                f"'{existing['identity']['resourceId']}' and binding selector "
                f"'{existing.get('bindingSelector') or ''}'. Delete it with 'az aks pod-identity delete' first, "
                "or choose another --name.")
        if not (has_stale_ids(existing, entry) or resend or existing.get("provisioningState") == "Failed"):
            return None
        return _with(profile, IDENTITIES, [entry if e is existing else e for e in identities])
    if len(identities) >= MAX_IDENTITIES:
        raise InvalidArgumentValueError(
            f"The cluster already has {len(identities)} pod identities, the most a cluster supports "
            f"({MAX_IDENTITIES}). Delete one before adding another.")
    return _with(profile, IDENTITIES, identities + [entry])


def identity_id_of(entry):
    return (entry.get("identity") or {}).get("resourceId") or ""


def uses_identity(profile, resource_id):
    """Pure: does any pod identity of ``profile`` that is not being deleted use the identity ``resource_id``?"""
    return any(identity_id_of(e).lower() == resource_id.lower() and e.get("provisioningState") != "Deleting"
               for e in profile.get(IDENTITIES) or [])


def entries_using(profile, resource_ids):
    """Pure: the pod identities of ``profile`` whose identity is one of ``resource_ids`` (compared without case)."""
    wanted = {r.lower() for r in resource_ids}
    return [e for e in profile.get(IDENTITIES) or [] if identity_id_of(e).lower() in wanted]


def remove_entries(profile, confirmed):
    """Pure: ``profile`` without exactly the ``confirmed`` pod identities: same name, namespace, identity and ids as
    when they were read. An entry added or re-added meanwhile (a re-created identity keeps its resource id, not its
    client and object ids) is kept. None when none of them is there any more."""
    def key(entry):
        return entry.get("name"), entry.get("namespace"), identity_id_of(entry).lower(), _ids(entry)
    wanted = {key(entry) for entry in confirmed}
    entries = profile.get(IDENTITIES) or []
    kept = [entry for entry in entries if key(entry) not in wanted]
    return None if len(kept) == len(entries) else _with(profile, IDENTITIES, kept)


def remove_identity(profile, name, namespace):
    identities = profile.get(IDENTITIES) or []
    if find(identities, name, namespace) is None:
        return None
    return _with(profile, IDENTITIES, [e for e in identities if (e["name"], e["namespace"]) != (name, namespace)])


def _exception(name, namespace, labels):
    return {"name": name, "namespace": namespace, "podLabels": dict(labels)}


def add_exception(profile, name, namespace, labels):
    exceptions = list(profile.get(EXCEPTIONS) or [])
    existing = find(exceptions, name, namespace)
    if existing is not None:
        if (existing.get("podLabels") or {}) == labels:
            return None
        raise ArgumentUsageError(
            f"Pod identity exception '{name}' already exists in namespace '{namespace}' with other pod labels. "
            "Use 'az aks pod-identity exception update' to change its labels.")
    if len(exceptions) >= MAX_EXCEPTIONS:
        raise InvalidArgumentValueError(
            f"The cluster already has {len(exceptions)} pod identity exceptions, the most a cluster supports "
            f"({MAX_EXCEPTIONS}). Delete one before adding another.")
    return _with(profile, EXCEPTIONS, exceptions + [_exception(name, namespace, labels)])


def update_exception(profile, name, namespace, labels):
    exceptions = profile.get(EXCEPTIONS) or []
    existing = find(exceptions, name, namespace)
    if existing is None:
        raise ResourceNotFoundError(
            f"Pod identity exception '{name}' was not found in namespace '{namespace}'. "
            "Use 'az aks pod-identity exception add' to create it.")
    if (existing.get("podLabels") or {}) == labels:
        return None
    return _with(profile, EXCEPTIONS, [_exception(name, namespace, labels) if e is existing else e
                                       for e in exceptions])


def remove_exception(profile, name, namespace):
    exceptions = profile.get(EXCEPTIONS) or []
    if find(exceptions, name, namespace) is None:
        return None
    return _with(profile, EXCEPTIONS, [e for e in exceptions if (e["name"], e["namespace"]) != (name, namespace)])


def failure_message(entry):
    """Why the service failed a pod identity entry (its provisioningInfo), or None when it has not failed."""
    if (entry or {}).get("provisioningState") != "Failed":
        return None
    error = ((entry.get("provisioningInfo") or {}).get("error") or {}).get("error") or {}
    return (f"Pod identity '{entry['name']}' in namespace '{entry['namespace']}' is Failed: "
            f"({error.get('code', 'Unknown')}) {error.get('message', 'no details given')}")


def changed_identities(before, after):
    """Keys (name, namespace) of pod identities that ``after`` adds or changes compared with ``before``."""
    old = {(e["name"], e["namespace"]): e for e in before.get(IDENTITIES) or []}
    return [(e["name"], e["namespace"]) for e in after.get(IDENTITIES) or []
            if old.get((e["name"], e["namespace"])) != e
            or old[(e["name"], e["namespace"])].get("provisioningState") == "Failed"]


def enable(profile, allow_kubenet=False):
    """Pod identity on. An enabled profile keeps its identities and exceptions; kubenet consent is only added."""
    if profile.get("enabled"):
        if allow_kubenet and not profile.get("allowNetworkPluginKubenet"):
            return dict(profile, allowNetworkPluginKubenet=True)
        return None
    return {"enabled": True, "allowNetworkPluginKubenet": bool(allow_kubenet), IDENTITIES: [], EXCEPTIONS: []}


def disable(profile):
    return None if not profile.get("enabled") and not profile.get(IDENTITIES) else {"enabled": False}


def needs_kubenet_consent(network_plugin, profile):
    """The service refuses pod identity on kubenet unless the profile records the user's consent."""
    return (bool(profile.get("enabled")) and (network_plugin or "").lower() == "kubenet"
            and not profile.get("allowNetworkPluginKubenet"))
