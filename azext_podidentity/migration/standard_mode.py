# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the pod identities of a cluster that runs aad-pod-identity from its chart (standard mode), which ARM
does not know, as entries of the shape of ARM's pod identity profile, so that they migrate the same way.

The rules (docs/cluster-side.md, from aad-pod-identity's MIC): a pod carrying ``aadpodidbinding: S`` is bound by
every AzureIdentityBinding whose ``spec.selector`` is S, **in any namespace**, unless MIC runs with
``--forceNamespaced`` or the AzureIdentity carries ``aadpodidentity.k8s.io/Behavior: namespaced``; then only in the
binding's own namespace. The AzureIdentity is looked up by ``spec.azureIdentity`` in the binding's namespace. Only
user-assigned identities (``spec.type`` 0) have federated credentials an ARM call can add; service principals
(types 1 and 2) are named with why they are skipped.

A migration's service account lives in the pod's namespace, so a binding that matches pods of several namespaces
becomes one entry per such namespace.
"""
BEHAVIOR_ANNOTATION = "aadpodidentity.k8s.io/Behavior"
USER_ASSIGNED = 0


def _spec(obj, key, old_key):
    # field names became lower camel case in aad-pod-identity 1.6; older objects still carry the PascalCase ones
    spec = obj.get("spec") or {}
    return spec.get(key) if spec.get(key) is not None else spec.get(old_key)


def mic_forces_namespaced(deployments):
    """Whether a MIC Deployment among ``deployments`` runs with --forceNamespaced (flag or FORCENAMESPACED)."""
    for obj in deployments:
        for container in ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
                          or []):
            if "aad-pod-identity/mic" not in (container.get("image") or ""):
                continue
            args = [a.lower() for a in (container.get("args") or []) + (container.get("command") or [])]
            env = {e.get("name"): str(e.get("value", "")).lower() for e in container.get("env") or []}
            if "--forcenamespaced" in args or "--forcenamespaced=true" in args or env.get("FORCENAMESPACED") == "true":
                return True
    return False


def entries(identities, bindings, namespaces_by_selector, force_namespaced=False):
    """(entries, skipped): the pod identities as ARM profile entries, and the bindings that cannot migrate with
    why. ``namespaces_by_selector``: selector -> the namespaces whose pods or pod templates carry it."""
    by_key = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in identities}
    found, skipped, seen = [], [], set()
    for binding in sorted(bindings, key=lambda b: (b["metadata"]["namespace"], b["metadata"]["name"])):
        namespace, selector = binding["metadata"]["namespace"], _spec(binding, "selector", "Selector")
        identity_name = _spec(binding, "azureIdentity", "AzureIdentity")
        identity = by_key.get((namespace, identity_name))
        where = f"AzureIdentityBinding {namespace}/{binding['metadata']['name']}"
        if identity is None:
            skipped.append({"binding": where, "reason": f"no AzureIdentity '{identity_name}' in namespace "
                                                        f"'{namespace}': it binds nothing"})
            continue
        kind = _spec(identity, "type", "Type")
        if kind != USER_ASSIGNED:
            skipped.append({"binding": where, "identity": f"{namespace}/{identity_name}", "reason": (
                f"a service principal (type {kind}): Workload ID trusts it through a federated credential on its "
                "app registration (az ad app federated-credential create), which this command does not "
                "change; move it by hand or to a user-assigned identity")})
            continue
        if not selector:
            continue
        namespaced = force_namespaced or ((identity["metadata"].get("annotations") or {}).get(
            BEHAVIOR_ANNOTATION) == "namespaced")
        pod_namespaces = [namespace] if namespaced else sorted(namespaces_by_selector.get(selector) or {namespace})
        for pod_namespace in pod_namespaces:
            key = (identity_name, pod_namespace, selector, _spec(identity, "resourceID", "ResourceID"))
            if key in seen:  # two bindings of one identity and selector
                continue
            seen.add(key)
            found.append({"name": identity_name, "namespace": pod_namespace, "bindingSelector": selector,
                          "identity": {"resourceId": _spec(identity, "resourceID", "ResourceID"),
                                       "clientId": _spec(identity, "clientID", "ClientID")},
                          "source": {"azureIdentity": f"{namespace}/{identity_name}", "binding": where,
                                     "namespaced": namespaced}})
    return found, skipped


def exceptions(objects):
    """AzurePodIdentityException objects as ARM profile exceptions."""
    return [{"name": o["metadata"]["name"], "namespace": o["metadata"]["namespace"],
             "podLabels": dict(_spec(o, "podLabels", "PodLabels") or {})} for o in objects]
