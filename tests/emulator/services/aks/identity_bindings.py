"""Identity bindings (``managedClusters/{c}/identityBindings/{name}``), modelled on what the public documentation
states, and no more (learn.microsoft.com "Set up identity bindings on AKS" and "Identity bindings concepts"):

- a binding maps one user-assigned identity to one cluster; its properties echo the identity (``managedIdentity``:
  resourceId, objectId, clientId, tenantId) and carry ``oidcIssuer.oidcIssuerUrl``, which is the same for every
  binding of one identity: ``https://ib.oic.prod-aks.azure.com/<identity's tenant>/<identity's client id>``;
- creating one makes AKS create, or reuse, a single federated identity credential named ``aks-identity-binding``
  on the identity, shared by every binding of that identity (it counts toward the identity's 20).

Names follow the REST specification of ``identityBindings`` (stable 2026-04-01): ``^[a-z][a-z0-9]{0,63}$``; the
code and message of the refusal of another name are not documented (chosen here).

Where the documentation is silent the emulator says so rather than invent: that credential's subject and audiences
(placeholders here, never read by the product); what the service answers when the identity has no room for it (the
identity service's 400 for too many credentials, here); how long creation takes (it ends at once, as an operation
that has Succeeded); what an API version or subscription without identity bindings answers (setting
``identity_bindings: false``: ARM's general 400 ``InvalidResourceType`` for a resource type an API version lacks).
"""
import copy
import re

from ... import arm_ids
from ...errors import ArmError, not_found
from ..msi.models import MAX_CREDENTIALS

BINDING_TYPE = "Microsoft.ContainerService/managedClusters/identityBindings"
BINDING_CREDENTIAL = "aks-identity-binding"
_NAME = re.compile(r"[a-z][a-z0-9]{0,63}")


class IdentityBindingsBackend:
    def __init__(self, clusters, msi, settings):
        self.clusters = clusters
        self.msi = msi
        self.settings = settings
        self.bindings = {}  # cluster key -> {lower-cased name: body}

    def _require_support(self, api_version):
        if not self.settings.get("identity_bindings", True):
            raise ArmError(400, "InvalidResourceType",
                           "The resource type 'managedClusters/identityBindings' could not be found in the namespace "
                           f"'Microsoft.ContainerService' for api version '{api_version}'.")

    def _of(self, sub, rg, cluster_name, api_version):
        self._require_support(api_version)
        cluster = self.clusters.get(sub, rg, cluster_name)  # 404 for a missing cluster
        return cluster, self.bindings.setdefault(self.clusters.key(sub, rg, cluster_name), {})

    def list(self, sub, rg, cluster_name, api_version):
        return [copy.deepcopy(b) for b in self._of(sub, rg, cluster_name, api_version)[1].values()]

    def get(self, sub, rg, cluster_name, name, api_version):
        found = self._of(sub, rg, cluster_name, api_version)[1].get(name.lower())
        if not found:
            raise not_found("Microsoft.ContainerService/managedClusters/identityBindings", name, rg)
        return copy.deepcopy(found)

    def put(self, sub, rg, cluster_name, name, body, api_version):
        """Create or update; returns (created, binding)."""
        cluster, bindings = self._of(sub, rg, cluster_name, api_version)
        if not _NAME.fullmatch(name):
            raise ArmError(400, "InvalidParameter", f"The identity binding name '{name}' is invalid: it must match "
                                                    "^[a-z][a-z0-9]{0,63}$.")
        resource_id = (((body or {}).get("properties") or {}).get("managedIdentity") or {}).get("resourceId") or ""
        identity = self.msi.find(resource_id)
        if not identity:
            raise ArmError(400, "InvalidParameter", f"The user assigned identity '{resource_id}' was not found.")
        props = identity["properties"]
        issuer = f"https://ib.oic.prod-aks.azure.com/{props['tenantId']}/{props['clientId']}"
        self._ensure_credential(identity, issuer)
        created = name.lower() not in bindings
        binding = {"id": f"{cluster['id']}/identityBindings/{name}", "name": name, "type": BINDING_TYPE,
                   "properties": {"managedIdentity": {"resourceId": identity["id"], "objectId": props["principalId"],
                                                      "clientId": props["clientId"], "tenantId": props["tenantId"]},
                                  "oidcIssuer": {"oidcIssuerUrl": issuer}, "provisioningState": "Succeeded"}}
        bindings[name.lower()] = binding
        return created, copy.deepcopy(binding)

    def _ensure_credential(self, identity, issuer):
        credentials = self.msi.credentials.setdefault(arm_ids.normalize(identity["id"]), {})
        if BINDING_CREDENTIAL in credentials:
            return
        if len(credentials) >= MAX_CREDENTIALS:
            raise ArmError(400, "BadRequest", f"Too many Federated Identity Credentials are present on the identity "
                                              f"'{identity['name']}'. The maximum allowed is {MAX_CREDENTIALS}.")
        credentials[BINDING_CREDENTIAL] = {
            "id": f"{identity['id']}/federatedIdentityCredentials/{BINDING_CREDENTIAL}", "name": BINDING_CREDENTIAL,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            # subject and audience: not documented (placeholders)
            "properties": {"issuer": issuer, "subject": "undocumented", "audiences": ["undocumented"]}}

    def delete(self, sub, rg, cluster_name, name, api_version):
        return self._of(sub, rg, cluster_name, api_version)[1].pop(name.lower(), None) is not None
