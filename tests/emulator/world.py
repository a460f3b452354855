"""Everything the emulator holds: one backend per service, settings, faults and the request log."""
import base64
import json
import threading
import time

from .faults import Faults
from .services.aks.cluster_api import ClusterApiServers
from .services.aks.identity_bindings import IdentityBindingsBackend
from .services.aks.models import ManagedClustersBackend
from .services.authorization.models import OWNER, AuthorizationBackend
from .services.features.models import FeaturesBackend
from .services.graph.models import GraphBackend
from .services.msi.models import ManagedIdentityBackend
from .services.platform.models import PIPELINE_OBJECT_ID, PlatformBackend
from .services.resourcegraph.models import ResourceGraphBackend
from .services.resources.models import ResourceGroupsBackend

# list_page_size: how many clusters one page of a cluster listing holds (ARM pages long lists, with a nextLink).
# retry_after: seconds in the Retry-After of AKS operations, or None for none, as recorded (the default of 1 keeps
# tests from waiting azure-cli's 30 s polling interval; what the product does never depends on it).
# operation_statuses: what a running operation's poll reports, in turn (recorded: "InProgress",
# "ProvisioningControlPlane", "ReconcilingAddons", ... then "Succeeded").
# credential_write_seconds: how long a federated credential write keeps its identity busy; another write to the
# same identity meanwhile gets the service's 409 for concurrent writes.
# identity_bindings: whether the managed-cluster API serves identity bindings (services/aks/identity_bindings.py).
# resource_graph, graph_truncate, graph_quota, graph_window_seconds: Resource Graph (services/resourcegraph/models.py).
# feature_registration_seconds, provider_registration_seconds: how long a feature stays Registering (or
# Unregistering) and a provider Registering (services/features/models.py; minutes in Azure).
# run_command_seconds: how long a run command's result answers 202 before its 200 (services/aks/models.py).
DEFAULT_SETTINGS = {"operation_seconds": 0.0, "retry_after": 1, "list_page_size": 100,
                    "operation_statuses": ["InProgress"], "credential_write_seconds": 0.0, "identity_bindings": True,
                    "resource_graph": "available", "graph_truncate": False, "graph_quota": 15,
                    "graph_window_seconds": 5, "graph_page_size": 1000,
                    "feature_registration_seconds": 2.0, "provider_registration_seconds": 0.0,
                    "run_command_seconds": 0.0}


class World:
    def __init__(self):
        self.lock = threading.RLock()
        self.settings = dict(DEFAULT_SETTINGS)
        self.platform = PlatformBackend()
        self.resources = ResourceGroupsBackend()
        self.features = FeaturesBackend(self.platform, self.settings)
        self.msi = ManagedIdentityBackend(self.resources, self.settings)
        self.authz = AuthorizationBackend()
        self.graph = GraphBackend(self.msi)
        self.aks = ManagedClustersBackend(self.resources, self.msi, self.authz, self.settings, self.features)
        self.aks_bindings = IdentityBindingsBackend(self.aks, self.msi, self.settings)
        self.cluster_api = ClusterApiServers(self.platform)
        self.aks.cluster_api = self.cluster_api
        self.graph_queries = ResourceGraphBackend(self.aks, self.platform, self.settings)
        self.faults = Faults()
        self.requests = []
        self._started = time.time()
        # The pipeline that logs in may write role assignments in its subscriptions, as an Owner can.
        for sub in self.platform.subscriptions.values():
            self.authz.seed_assignment(sub["id"], OWNER, PIPELINE_OBJECT_ID)

    def serve_clusters_from(self, base_url, ca_path):
        """Where the emulated clusters' API servers find the emulator (its Entra ID keys) and the CA to trust."""
        self.cluster_api.serve_from(base_url, ca_path)

    def close(self):
        """Stop every process the emulator started (the clusters' control planes)."""
        self.cluster_api.close()

    @staticmethod
    def caller_id(req):
        auth = req.headers.get("authorization", "")
        try:
            payload = auth.split(" ", 1)[1].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return claims.get("oid")
        except (IndexError, ValueError):
            return None

    def log(self, req, status, fault=None):
        try:
            body = req.json()
        except ValueError:
            body = req.raw_body.decode("utf-8", "replace")
        if isinstance(body, dict) and body.get("clusterToken"):
            body = dict(body, clusterToken="(a token)")  # a run command's Entra token is never stored
        self.requests.append({
            "seq": len(self.requests), "time": round(time.time() - self._started, 4),
            "method": req.method, "path": req.path, "query": req.query, "body": body, "status": status,
            "if_match": req.headers.get("if-match"), "fault": fault,
            # Every header but the bearer token, which must never be stored or shown.
            "headers": {k: v for k, v in req.headers.items() if k != "authorization"},
        })
