"""What the pod identity add-on keeps in a cluster, derived from the cluster's ARM body (pure functions).

Published: the add-on runs aad-pod-identity in managed mode (NMI only, namespaced matching); for each
``podIdentityProfile.userAssignedIdentities`` entry AKS creates an AzureIdentity and an AzureIdentityBinding in the
entry's namespace whose selector is the binding selector, else the name; AKS adds the exception
``aks-addon-exception`` in kube-system (podLabels ``kubernetes.azure.com/managedby: aks``) [how-to; aad-pod-identity
deploy/infra/managed-mode-deployment.yaml and mic-exception.yaml]. The CRDs are the chart's v1 CRDs, structural,
with their printer columns (charts/aad-pod-identity/crds/crd.yaml); managed mode installs three of the four.

Not published, so chosen here (the AKS add-on's manifests are not public):
- the names: AzureIdentity ``<name>``, AzureIdentityBinding ``<name>-binding``, AzurePodIdentityException
  ``<exception name>``; the NMI DaemonSet is the OSS managed-mode manifest's ``nmi`` in kube-system;
- the label ``kubernetes.azure.com/managedby: aks`` on every object the add-on owns (it is the label AKS's own
  exception names, so NMI leaves AKS's pods alone), by which the emulator finds what to remove;
- the namespace of an entry is created when missing (the objects need it; the how-to never creates it).
"""
GROUP = "aadpodidentity.k8s.io"
MANAGED_BY = {"kubernetes.azure.com/managedby": "aks"}
IDENTITY_KINDS = ("azureidentities", "azureidentitybindings", "azurepodidentityexceptions")
NMI_IMAGE = "mcr.microsoft.com/oss/azure/aad-pod-identity/nmi:v1.8.17"

_STATUS = {"type": "object", "properties": {"availableReplicas": {"type": "integer", "format": "int32"},
                                            "metadata": {"type": "object"}}}
_IDENTITY_SPEC = {
    "type": {"type": "integer"}, "resourceID": {"type": "string"}, "clientID": {"type": "string"},
    "clientPassword": {"type": "object", "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}}},
    "tenantID": {"type": "string"}, "auxiliaryTenantIDs": {"type": "array", "nullable": True,
                                                           "items": {"type": "string"}},
    "adResourceID": {"type": "string"}, "adEndpoint": {"type": "string"},
    "replicas": {"type": "integer", "format": "int32", "nullable": True}, "metadata": {"type": "object"}}
_BINDING_SPEC = {"azureIdentity": {"type": "string"}, "selector": {"type": "string"}, "weight": {"type": "integer"},
                 "metadata": {"type": "object"}}
_EXCEPTION_SPEC = {"podLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                   "metadata": {"type": "object"}}
_EXCEPTION_STATUS = {"type": "object", "properties": {"status": {"type": "string"}, "metadata": {"type": "object"}}}


def _crd(kind, plural, spec, status, columns=()):
    printer = [{"name": name, "type": "string", "jsonPath": path} for name, path in columns]
    if columns:
        printer.append({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"})
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
        "type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": spec}, "status": status}}}}
    if printer:
        version["additionalPrinterColumns"] = printer
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            # *.k8s.io groups are protected: the published CRDs carry this annotation, and the API server refuses
            # them without it
            "metadata": {"name": f"{plural}.{GROUP}", "labels": dict(MANAGED_BY),
                         "annotations": {"api-approved.kubernetes.io": "unapproved"}},
            "spec": {"group": GROUP, "scope": "Namespaced", "versions": [version],
                     "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                               "singular": kind.lower()}}}


CRDS = (
    _crd("AzureIdentity", "azureidentities", _IDENTITY_SPEC, _STATUS,
         (("Type", ".spec.type"), ("ClientID", ".spec.clientID"))),
    _crd("AzureIdentityBinding", "azureidentitybindings", _BINDING_SPEC, _STATUS,
         (("AzureIdentity", ".spec.azureIdentity"), ("Selector", ".spec.selector"))),
    _crd("AzurePodIdentityException", "azurepodidentityexceptions", _EXCEPTION_SPEC, _EXCEPTION_STATUS),
)


def _meta(name, namespace):
    return {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}


def nmi_daemonset():
    labels = {"component": "nmi", "tier": "node"}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": dict(_meta("nmi", "kube-system"), labels=dict(MANAGED_BY, **labels)),
            "spec": {"selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": dict(MANAGED_BY, **labels)},
                "spec": {"hostNetwork": True, "nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{
                    "name": "nmi", "image": NMI_IMAGE,
                    "args": ["--operation-mode=managed", "--forceNamespaced", "--http-probe-port=8085",
                             "--metadata-header-required=true"]}]}}}}


def desired(cluster):
    """(namespaces, objects) the add-on keeps for this cluster body; nothing when pod identity is off."""
    profile = cluster.get("properties", {}).get("podIdentityProfile") or {}
    if not profile.get("enabled"):
        return [], []
    objects = [{"apiVersion": f"{GROUP}/v1", "kind": "AzurePodIdentityException",
                "metadata": _meta("aks-addon-exception", "kube-system"), "spec": {"podLabels": dict(MANAGED_BY)}},
               nmi_daemonset()]
    namespaces = set()
    for entry in profile.get("userAssignedIdentities") or []:
        if entry.get("provisioningState") in ("Deleting", "Failed"):
            continue
        name, namespace = entry["name"], entry["namespace"]
        namespaces.add(namespace)
        identity = entry.get("identity") or {}
        objects.append({"apiVersion": f"{GROUP}/v1", "kind": "AzureIdentity", "metadata": _meta(name, namespace),
                        "spec": {"type": 0, "resourceID": identity.get("resourceId", ""),
                                 "clientID": identity.get("clientId", "")}})
        objects.append({"apiVersion": f"{GROUP}/v1", "kind": "AzureIdentityBinding",
                        "metadata": _meta(f"{name}-binding", namespace),
                        "spec": {"azureIdentity": name, "selector": entry.get("bindingSelector") or name}})
    for entry in profile.get("userAssignedIdentityExceptions") or []:
        namespaces.add(entry["namespace"])
        objects.append({"apiVersion": f"{GROUP}/v1", "kind": "AzurePodIdentityException",
                        "metadata": _meta(entry["name"], entry["namespace"]),
                        "spec": {"podLabels": dict(entry.get("podLabels") or {})}})
    return sorted(namespaces), objects
