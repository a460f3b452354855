"""Managed clusters: full-body PUT as a long-running operation, eTags, one write at a time, pod identity.

State transitions follow the recordings in shared/reference/real-responses: the PUT answer shows the
cluster ``Updating`` with added pod identities ``Updating`` and removed ones ``Deleting``; when the
operation ends they read back ``Assigned`` or are gone, and empty lists read back as absent keys.

As recorded in 2026 (tests/emulator_service/recorded/aks2026_etag_lro_errors.json): the eTag is a bare GUID in
a GET's body only (no ETag header, none in a PUT's answer); an operation's poll reports statuses such as
``ProvisioningControlPlane`` between ``InProgress`` and ``Succeeded`` (setting ``operation_statuses``); errors
are the provider's unwrapped shape (``errors.AksError``). Not recorded, so chosen here: a new eTag on each
accepted PUT and none when its operation ends; the body of a 412 (given the provider's shape).
"""
import copy
import datetime
import threading
import time
import uuid

from ...errors import AksError, ArmError, not_found
from ..features.models import POD_IDENTITY_FEATURE
from ..platform.models import TENANT_ID
from . import pod_identity_rules
from .cluster_api import run_kubectl

CLUSTER_TYPE = "Microsoft.ContainerService/ManagedClusters"
KUBERNETES_VERSION = "1.33.2"
# Properties the service owns: kept from the stored cluster when a PUT body leaves them out.
_SERVER_OWNED = ("provisioningState", "powerState", "fqdn", "azurePortalFQDN", "currentKubernetesVersion",
                 "maxAgentPools", "nodeResourceGroup", "identityProfile", "privateFQDN")


def _timestamp(epoch=None):
    moment = datetime.datetime.fromtimestamp(epoch or time.time(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _merge_patch(target, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_patch(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = target[key] + value
        else:
            target[key] = value


# Refusals the service gives for conditions the emulator does not model, each in the service's words: a test asks
# for one with a "condition" fault, and the contract test holds each against its source.
SERVICE_CONDITIONS = {
    # recorded/aks2026_etag_lro_errors.json, put_update_409_unwrapped_rp_error: waiting never clears it
    "node_disruption_policy": lambda: AksError(
        409, "OperationNotAllowed", "Operation 'PutManagedClusterHandler.PUT' is blocked by node disruption policy.",
        subcode="OperationBlockedByNodeDisruptionPolicy"),
    # AKS's internal eTag race, as users pasted it (terraform-azurerm-aks#604, terraform-provider-azapi#889); the
    # thread truncates the subcode after "PutManagedClusterAndComponents_Fa": its end is the emulator's guess
    "etag_race": lambda: AksError(
        409, "EtagMismatch", "Operation is not allowed: Another operation is in progress",
        subcode="PutManagedClusterAndComponents_FailedPrecondition",
        details=[{"code": "Unspecified", "message": "rpc error: code = FailedPrecondition desc = Etag mismatched"}]),
}


class Operation:
    def __init__(self, subscription, location, cluster_key, duration, outcome=None, statuses=("InProgress",)):
        self.id = str(uuid.uuid4())
        self.statuses = list(statuses) or ["InProgress"]
        self.duration = duration
        self.subscription = subscription
        self.location = location
        self.cluster_key = cluster_key
        self.started = time.time()
        self.ended = None
        self.due = self.started + duration
        self.status = "InProgress"
        self.outcome = outcome      # None, or {"status": "Failed"|"Canceled", "code", "message"}
        self.error = None

    def path(self):
        return (f"/subscriptions/{self.subscription}/providers/Microsoft.ContainerService/locations/"
                f"{self.location}/operations/{self.id}")

    @property
    def running(self):
        return self.ended is None

    def current_status(self, now=None):
        """While running: the intermediate statuses in turn, each for an equal share of the operation's time."""
        if not self.running:
            return self.status
        share = ((now or time.time()) - self.started) / self.duration if self.duration else 0
        return self.statuses[min(int(share * len(self.statuses)), len(self.statuses) - 1)]

    def body(self):
        # 2026 recording: 'name' is the operation id (older recordings show it byte-swapped).
        body = {"name": self.id, "status": self.current_status(), "startTime": _timestamp(self.started)}
        if self.ended:
            body["endTime"] = _timestamp(self.ended)
        if self.error:
            body["error"] = self.error
        return body


class ManagedClustersBackend:
    def __init__(self, resources, msi, authz, settings, features):
        self.resources = resources
        self.features = features
        self.msi = msi
        self.authz = authz
        self.settings = settings
        self.clusters = {}      # (sub, rg, name) lower-cased -> body
        self.operations = {}    # id -> Operation
        self.running = {}       # cluster key -> Operation in progress
        self.cluster_api = None  # ClusterApiServers: told when an operation ends or a cluster goes
        self.commands = {}      # run command id -> (cluster key, due time, result)
        self._lock = threading.RLock()

    # ----- time
    def advance(self):
        """Complete every operation whose time has come (operations end lazily, on the next request)."""
        now = time.time()
        for op in list(self.running.values()):
            if now >= op.due:
                self._finish(op, now)

    def finish_running_operations(self):
        """End every running operation now (a test control: an operation that lasts until the test says so)."""
        with self._lock:
            now = time.time()
            for op in list(self.running.values()):
                self._finish(op, now)

    def _finish(self, op, now):
        op.ended = now
        self.running.pop(op.cluster_key, None)
        cluster = self.clusters.get(op.cluster_key)
        if op.outcome:
            op.status = op.outcome["status"]
            op.error = {"code": op.outcome["code"], "message": op.outcome["message"]}
        else:
            op.status = "Succeeded"
        if cluster is None:
            return
        state = "Succeeded" if op.status == "Succeeded" else "Failed"
        props = cluster["properties"]
        props["provisioningState"] = state
        for pool in props.get("agentPoolProfiles") or []:
            pool["provisioningState"] = state
        profile = props.get("podIdentityProfile") or {}
        identities = []
        for entry in profile.get("userAssignedIdentities") or []:
            if entry.get("provisioningState") in ("Updating", "Deleting"):
                if state == "Succeeded":
                    if entry["provisioningState"] == "Deleting":
                        continue
                    entry["provisioningState"] = "Assigned"
                else:
                    entry["provisioningState"] = "Failed"
                    entry["provisioningInfo"] = {"error": {"error": copy.deepcopy(op.error)}}
            identities.append(entry)
        if identities:
            profile["userAssignedIdentities"] = identities
        else:
            profile.pop("userAssignedIdentities", None)
        if self.cluster_api is not None:
            self.cluster_api.settle(op.cluster_key, copy.deepcopy(cluster))

    # ----- reads
    @staticmethod
    def key(sub, rg, name):
        return (sub.lower(), rg.lower(), name.lower())

    def get(self, sub, rg, name):
        with self._lock:
            self.advance()
            found = self.clusters.get(self.key(sub, rg, name))
            if not found:
                raise not_found("Microsoft.ContainerService/managedClusters", name, rg)
            return copy.deepcopy(found)

    def list(self, sub, rg=None):
        with self._lock:
            self.advance()
            return [copy.deepcopy(c) for (s, r, _), c in self.clusters.items()
                    if s == sub.lower() and (rg is None or r == rg.lower())]

    def operation(self, op_id):
        with self._lock:
            self.advance()
            op = self.operations.get(op_id)
            if not op:
                raise ArmError(404, "NotFound", f"Operation '{op_id}' was not found.")
            return op

    # ----- writes
    def put(self, sub, rg, name, body, if_match=None, if_none_match=None, outcome=None):
        """Start a create or update; return (created, cluster body as answered, Operation)."""
        with self._lock:
            self.advance()
            self.resources.require(sub, rg)
            key = self.key(sub, rg, name)
            existing = self.clusters.get(key)
            self._check_preconditions(name, existing, if_match, if_none_match)
            if key in self.running:
                op = self.running[key]
                # wording of azure-cli-extensions#9855 (2026)
                raise AksError(409, "OperationNotAllowed",
                               "Operation is not allowed because there's an in progress update managed cluster "
                               f"operation (operation ID: {op.id}) on the managed cluster started on UTC "
                               f"{_timestamp(op.started)[:19]}Z. Please wait for it to finish before starting a "
                               "new operation. You can also use 'az aks operation-abort ...' to abort the ongoing "
                               "operation.")
            cluster = self._merge(sub, rg, name, copy.deepcopy(body or {}), existing)
            profile = cluster["properties"].get("podIdentityProfile")
            if profile is not None:
                try:
                    registered = self.features.enabled(sub, *POD_IDENTITY_FEATURE)
                    pod_identity_rules.check_profile(profile, cluster, self.msi, self.authz,
                                                     self.cluster_principal_id(cluster), creating=existing is None,
                                                     feature_registered=registered)
                finally:
                    self.authz.note_cluster_write()
                cluster["properties"]["podIdentityProfile"] = self._next_profile(
                    profile, (existing or {}).get("properties", {}).get("podIdentityProfile") or {})
            op = Operation(sub, cluster["location"], key, self.settings["operation_seconds"], outcome,
                           self.settings["operation_statuses"])
            self.operations[op.id] = op
            self.running[key] = op
            cluster["eTag"] = str(uuid.uuid4())
            self.clusters[key] = cluster
            return existing is None, copy.deepcopy(cluster), op

    def write_as_another_client(self, sub, rg, name, patch):
        """Another writer's full-body PUT: ``patch`` merged into the stored cluster, lists appended."""
        with self._lock:
            current = self.get(sub, rg, name)
            _merge_patch(current, patch)
            self.put(sub, rg, name, current)
            self.advance()

    def finished_operation(self, sub, location):
        """An operation that has already Succeeded, for writes that end at once (identity bindings)."""
        with self._lock:
            op = Operation(sub, location, None, 0)
            self.operations[op.id] = op
            self._finish(op, time.time())
            return op

    def delete(self, sub, rg, name):
        with self._lock:
            self.advance()
            key = self.key(sub, rg, name)
            cluster = self.clusters.pop(key, None)
            if cluster is None:
                return None
            if self.cluster_api is not None:
                self.cluster_api.remove(key)
            op = Operation(sub, cluster["location"], key, 0)
            self.operations[op.id] = op
            self._finish(op, time.time())
            return op

    @staticmethod
    def _check_preconditions(name, existing, if_match, if_none_match):
        if if_match and (existing is None or (if_match.strip('"') != "*"
                                              and if_match.strip('"') != existing["eTag"])):
            current = existing["eTag"] if existing else "none"
            raise AksError(412, "PreconditionFailed",
                           f"Operation is not allowed since the If-Match header '{if_match}' does not match the "
                           f"current eTag '{current}' of managed cluster '{name}'. Get the cluster again and "
                           "retry with the new eTag.")
        if if_none_match and existing is not None and if_none_match.strip('"') in ("*", existing["eTag"]):
            raise AksError(412, "PreconditionFailed",
                           f"Operation is not allowed since the managed cluster '{name}' already exists "
                           "(If-None-Match).")

    def cluster_principal_id(self, cluster):
        identity = cluster.get("identity") or {}
        if (identity.get("type") or "").lower() == "systemassigned":
            return identity.get("principalId")
        for value in (identity.get("userAssignedIdentities") or {}).values():
            return (value or {}).get("principalId")
        return None

    def _merge(self, sub, rg, name, body, existing):
        """The stored cluster after a PUT: the request body plus what the service owns."""
        props = body.setdefault("properties", {})
        if existing is None:
            if not body.get("location"):
                raise AksError(400, "InvalidParameter", "The value of parameter location is invalid.")
            self._fill_new(sub, rg, name, body)
        else:
            body["location"] = existing["location"]
            for field in ("id", "name", "type"):
                body[field] = existing[field]
            for field in _SERVER_OWNED:
                if field in existing["properties"] and field not in props:
                    props[field] = copy.deepcopy(existing["properties"][field])
            self._fill_identity(body, existing.get("identity"))
        self._fill_oidc_issuer(body, existing)
        props["provisioningState"] = "Updating" if existing else "Creating"
        for pool in props.get("agentPoolProfiles") or []:
            pool["provisioningState"] = props["provisioningState"]
            pool.setdefault("type", "VirtualMachineScaleSets")
            pool.setdefault("osType", "Linux")
        return body

    @staticmethod
    def _fill_oidc_issuer(body, existing):
        """The service publishes an issuer URL once OIDC is on; workload identity needs it."""
        props = body["properties"]
        oidc = props.get("oidcIssuerProfile") or {}
        workload = ((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled")
        if workload and not oidc.get("enabled"):
            raise AksError(400, "InvalidParameter", "Enabling workload identity requires enabling OIDC issuer "
                                                    "(oidcIssuerProfile.enabled).")
        if oidc.get("enabled"):
            previous = ((existing or {}).get("properties", {}).get("oidcIssuerProfile") or {}).get("issuerURL")
            fresh = f"https://{body['location']}.oic.prod-aks.azure.com/{TENANT_ID}/{uuid.uuid4()}/"
            oidc["issuerURL"] = previous or fresh
            props["oidcIssuerProfile"] = oidc
        elif "oidcIssuerProfile" in props:
            props["oidcIssuerProfile"] = {"enabled": False}

    def _fill_new(self, sub, rg, name, body):
        props = body["properties"]
        body.update(id=f"/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ContainerService/"
                       f"managedClusters/{name}", name=name, type=CLUSTER_TYPE)
        # as recorded in 2026: a create that names neither answers with the defaults
        body.setdefault("sku", {"name": "Base", "tier": "Free"})
        body.setdefault("kind", "Base")
        dns_prefix = props.setdefault("dnsPrefix", f"{name[:10]}-{rg[:16]}-{sub[:6]}")
        location = body["location"]
        props.setdefault("kubernetesVersion", KUBERNETES_VERSION)
        props.update(powerState={"code": "Running"}, currentKubernetesVersion=props["kubernetesVersion"],
                     fqdn=f"{dns_prefix}-{uuid.uuid4().hex[:8]}.hcp.{location}.azmk8s.io", maxAgentPools=100)
        if (props.get("apiServerAccessProfile") or {}).get("enablePrivateCluster"):
            props["privateFQDN"] = (f"{dns_prefix}-{uuid.uuid4().hex[:8]}.{uuid.uuid4()}.privatelink."
                                    f"{location}.azmk8s.io")
        props.setdefault("nodeResourceGroup", f"MC_{rg}_{name}_{location}")
        # The service creates the node resource group with the cluster.
        if not self.resources.exists(sub, props["nodeResourceGroup"]):
            self.resources.put(sub, props["nodeResourceGroup"], location)
        network = props.setdefault("networkProfile", {})
        if not network.get("networkPlugin"):  # today's AKS default: Azure CNI in overlay mode
            network.update(networkPlugin="azure", networkPluginMode="overlay")
        self._fill_identity(body, None)
        if (body.get("identity") or {}).get("type"):
            # as recorded: a managed-identity cluster reads back with this placeholder service principal
            props["servicePrincipalProfile"] = {"clientId": "msi"}
            kubelet = self.msi.identity_id(sub, props["nodeResourceGroup"], f"{name}-agentpool")
            props.setdefault("identityProfile", {"kubeletidentity": {
                "resourceId": kubelet, "clientId": str(uuid.uuid4()), "objectId": str(uuid.uuid4())}})

    def _fill_identity(self, body, existing_identity):
        identity = body.get("identity")
        if not identity:
            return
        kind = (identity.get("type") or "").lower()
        if kind == "systemassigned":
            previous = existing_identity or {}
            identity["principalId"] = previous.get("principalId") or identity.get("principalId") \
                or str(uuid.uuid4())
            identity["tenantId"] = previous.get("tenantId") or TENANT_ID
        elif kind == "userassigned":
            for resource_id in list(identity.get("userAssignedIdentities") or {}):
                found = self.msi.find(resource_id)
                if not found:
                    raise AksError(400, "InvalidParameter",
                                   f"The user assigned identity '{resource_id}' was not found.")
                identity["userAssignedIdentities"][resource_id] = {
                    "principalId": found["properties"]["principalId"],
                    "clientId": found["properties"]["clientId"]}

    def _next_profile(self, requested, current):
        """Normalize a requested profile the way the service stores it (see the module docstring)."""
        if not requested.get("enabled"):
            return {}
        before = {(e["name"], e["namespace"]): e for e in current.get("userAssignedIdentities") or []}
        profile = {"enabled": True}
        if "allowNetworkPluginKubenet" in requested:
            profile["allowNetworkPluginKubenet"] = bool(requested["allowNetworkPluginKubenet"])
        identities, kept = [], set()
        for entry in requested.get("userAssignedIdentities") or []:
            key = (entry["name"], entry["namespace"])
            found = self.msi.find(entry["identity"]["resourceId"])["properties"]
            stored = {"name": entry["name"], "namespace": entry["namespace"],
                      "identity": {"resourceId": entry["identity"]["resourceId"],
                                   "clientId": entry["identity"].get("clientId") or found["clientId"],
                                   "objectId": entry["identity"].get("objectId") or found["principalId"]}}
            if entry.get("bindingSelector"):
                stored["bindingSelector"] = entry["bindingSelector"]
            old = before.get(key)
            unchanged = old is not None and old["identity"]["resourceId"].lower() == \
                stored["identity"]["resourceId"].lower() and old.get("bindingSelector") == \
                stored.get("bindingSelector") and old.get("provisioningState") == "Assigned"
            stored["provisioningState"] = "Assigned" if unchanged else "Updating"
            identities.append(stored)
            kept.add(key)
        for key, old in before.items():
            if key not in kept:
                removed = copy.deepcopy(old)
                removed.pop("provisioningInfo", None)
                removed["provisioningState"] = "Deleting"
                identities.append(removed)
        if identities:
            profile["userAssignedIdentities"] = identities
        exceptions = [{"name": e["name"], "namespace": e["namespace"],
                       "podLabels": dict(sorted((e.get("podLabels") or {}).items()))}
                      for e in requested.get("userAssignedIdentityExceptions") or []]
        if exceptions:
            profile["userAssignedIdentityExceptions"] = exceptions
        return profile

    def kubeconfig(self, sub, rg, name, who, server_fqdn=None):
        """The kubeconfig the credential APIs give ``who`` (cluster_api.ClusterApiServers.kubeconfig), or the
        service's refusal when local accounts are disabled."""
        cluster = self.get(sub, rg, name)
        props = cluster["properties"]
        static = who in ("admin", "user", "monitoring")
        if static and props.get("disableLocalAccounts"):
            # learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad gives the message; the code is
            # not published (BadRequest is the emulator's choice).
            raise AksError(400, "BadRequest", "Getting static credential isn't allowed because this cluster is set "
                                              "to disable local accounts.")
        server = None
        if (props.get("apiServerAccessProfile") or {}).get("enablePrivateCluster"):
            server = f"https://{props.get('privateFQDN')}:443"
        return self.cluster_api.kubeconfig(self.key(sub, rg, name), cluster, who, server)

    def run_command(self, sub, rg, name, command, cluster_token):
        """Run ``command`` (kubectl only) against the cluster as the service runs it: with the caller's Entra token
        on Microsoft Entra clusters, else with the cluster's admin credential. Output is cut at 512 kB, the
        documented cap (how the service marks a cut is not published)."""
        cluster = self.get(sub, rg, name)
        key = self.key(sub, rg, name)
        plane = self.cluster_api.control_plane(key, cluster)
        started = time.time()
        token = cluster_token if cluster["properties"].get("aadProfile") else None
        exit_code, logs = run_kubectl(plane, command, token=token)
        command_id = uuid.uuid4().hex
        self.commands[command_id] = (key, time.time() + self.settings["run_command_seconds"], {
            "id": command_id, "properties": {
                "provisioningState": "Succeeded", "exitCode": exit_code, "startedAt": _timestamp(started),
                "finishedAt": _timestamp(), "logs": logs.encode()[:512 * 1024].decode("utf-8", "ignore")}})
        return {"id": command_id}

    def command_result(self, sub, rg, name, command_id):
        """The command's result, or None while it runs."""
        found = self.commands.get(command_id)
        if found is None or found[0] != self.key(sub, rg, name):
            raise ArmError(404, "NotFound", f"Command '{command_id}' was not found.")
        return copy.deepcopy(found[2]) if time.time() >= found[1] else None

    # ----- seeding (test control)
    def seed(self, sub, rg, name, location="eastus", identity="system", network_plugin="azure",
             pod_identity=None, control_plane_identity=None, oidc_issuer=False, workload_identity=False,
             properties=None):
        """Store a cluster in its settled state, built like the recorded real clusters; ``properties`` are merged
        into its properties (``aadProfile``, ``disableLocalAccounts``, ``apiServerAccessProfile``...)."""
        with self._lock:
            if not self.resources.exists(sub, rg):
                self.resources.put(sub, rg, location)
            body = {"location": location, "properties": {
                "kubernetesVersion": KUBERNETES_VERSION, "dnsPrefix": f"{name}-dns",
                "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vmSize": "Standard_DS2_v2",
                                       "osDiskSizeGB": 128, "osDiskType": "Managed", "maxPods": 110,
                                       "type": "VirtualMachineScaleSets", "enableAutoScaling": False,
                                       "mode": "System", "osType": "Linux", "osSKU": "Ubuntu",
                                       "orchestratorVersion": KUBERNETES_VERSION,
                                       "powerState": {"code": "Running"}}],
                "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": "ssh-rsa AAAA"}]}},
                "enableRBAC": True,
                "networkProfile": {"networkPlugin": network_plugin, "loadBalancerSku": "Standard",
                                   "outboundType": "loadBalancer", "serviceCidr": "10.0.0.0/16",
                                   "dnsServiceIP": "10.0.0.10"},
                "securityProfile": {"workloadIdentity": {"enabled": True}} if workload_identity else {},
                "oidcIssuerProfile": {"enabled": bool(oidc_issuer)},
            }, "sku": {"name": "Base", "tier": "Free"}}
            if identity == "system":
                body["identity"] = {"type": "SystemAssigned"}
            elif identity == "user":
                resource_id = control_plane_identity or self.msi.put(
                    sub, rg, f"{name}-control-plane", location)[0]["id"]
                body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {resource_id: {}}}
            else:
                body["properties"]["servicePrincipalProfile"] = {"clientId": str(uuid.uuid4())}
            body["properties"].update(copy.deepcopy(properties or {}))
            key = self.key(sub, rg, name)
            self._fill_new(sub, rg, name, body)
            self._fill_oidc_issuer(body, None)
            if pod_identity is not None:
                profile = self._next_profile(pod_identity, {})
                for entry in profile.get("userAssignedIdentities") or []:
                    entry["provisioningState"] = "Assigned"
                body["properties"]["podIdentityProfile"] = profile
            body["properties"]["provisioningState"] = "Succeeded"
            for pool in body["properties"]["agentPoolProfiles"]:
                pool["provisioningState"] = "Succeeded"
            body["eTag"] = str(uuid.uuid4())
            self.clusters[key] = body
            return copy.deepcopy(body)
