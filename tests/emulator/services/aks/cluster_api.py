"""A real Kubernetes API server behind every emulated managed cluster.

Each cluster gets its own control plane (etcd, kube-apiserver, kube-controller-manager from `make controlplane`)
when something first needs it: a credential request, a run command, or a test control. Two clusters never share
objects; every control plane ends with the emulator (and, through PR_SET_PDEATHSIG, if the emulator is killed).

What is AKS's and what is the emulator's:
- Local accounts (published: learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad): the admin
  credential and, on clusters without Microsoft Entra integration, the user credential are certificates of
  cluster admins. The emulator issues them as ``masterclient`` in ``system:masters`` (the name seen in public AKS
  kubeconfig dumps). The monitoring user's certificate (``clusterMonitoringUser``) is read-only here; what AKS
  grants it is not published.
- Microsoft Entra clusters (``aadProfile``): the API server accepts Entra ID tokens for the AKS server application
  6dae42f8-4368-4678-94ff-3960e28e3630 (kubelogin docs), through kube-apiserver's structured authentication
  configuration pointed at the emulator's discovery document and keys. The user name is the token's ``oid``, the
  groups its ``groups``; members of ``aadProfile.adminGroupObjectIDs`` are bound to cluster-admin (published: "AKS
  creates a cluster role binding for the admin groups"); the binding's name here is the emulator's choice.
- The server address: AKS's kubeconfigs name ``https://<fqdn>:443``; here it is the loopback address the cluster's
  API server listens on. A private cluster's kubeconfig names its private FQDN, which does not resolve off its
  network (as from a user's machine).
"""
import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import threading
import time

from tests.harness.controlplane import object_path

from . import addon_objects

AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"  # the public client kubelogin's interactive logins use
ADMIN_BINDING = "aks-cluster-admin-binding-aad"
MONITORING_ROLE = "aks-cluster-monitoring-user"


def _aad(cluster):
    return bool(cluster.get("properties", {}).get("aadProfile"))


class ClusterApiServers:
    def __init__(self, platform):
        self.platform = platform
        self.base_url = None
        self.ca_path = None
        self._root = None
        self._planes = {}       # cluster key -> ControlPlane
        self._lock = threading.RLock()
        # Control planes are started from this one long-lived thread: the kernel's parent-death signal follows
        # the thread that started a process, and the threads that answer requests end with their request.
        self._starter = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="control-planes")

    def serve_from(self, base_url, ca_path):
        self.base_url, self.ca_path = base_url, ca_path

    # ----- lifecycle
    def control_plane(self, key, cluster):
        """The cluster's control plane, started (and brought in step with ``cluster``) on first use."""
        from tests.harness.controlplane import ControlPlane  # pylint: disable=import-outside-toplevel
        with self._lock:
            plane = self._planes.get(key)
            if plane is not None:
                return plane
            if self._root is None:
                self._root = tempfile.mkdtemp(prefix="emulated-aks-")
            work = os.path.join(self._root, "-".join(key))
            plane = ControlPlane(work, controllers=True, authentication_config=self._authentication(cluster))
            self._starter.submit(plane.start).result()
            self._planes[key] = plane
            self._bootstrap(plane)
            self.settle(key, cluster)
            return plane

    def running(self, key):
        return self._planes.get(key)

    def remove(self, key):
        with self._lock:
            plane = self._planes.pop(key, None)
        if plane:
            plane.stop()

    def stop_all(self):
        """Stop every running control plane; a cluster gets a fresh one when next needed."""
        with self._lock:
            planes, self._planes = list(self._planes.values()), {}
        for plane in planes:
            plane.stop()
            shutil.rmtree(plane.work_dir, ignore_errors=True)

    def close(self):
        self.stop_all()
        self._starter.shutdown(wait=False)
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    # ----- what AKS keeps in the cluster
    def _authentication(self, cluster):
        jwt = []
        if _aad(cluster):
            with open(self.ca_path, encoding="utf-8") as f:
                ca = f.read()
            from ..platform.models import ISSUER, TENANT_ID
            jwt.append({"issuer": {"url": ISSUER, "audiences": [AKS_SERVER_APP], "certificateAuthority": ca,
                                   "discoveryURL": f"{self.base_url}/{TENANT_ID}/.well-known/openid-configuration"},
                        "claimMappings": {"username": {"claim": "oid", "prefix": ""},
                                          "groups": {"claim": "groups", "prefix": ""}}})
        return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": jwt}

    @staticmethod
    def _bootstrap(plane):
        plane.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                     "metadata": {"name": MONITORING_ROLE, "labels": dict(addon_objects.MANAGED_BY)},
                     "rules": [{"apiGroups": ["", "apps", "batch"], "verbs": ["get", "list", "watch"],
                                "resources": ["pods", "nodes", "namespaces", "events", "deployments", "replicasets",
                                              "daemonsets", "statefulsets", "jobs", "cronjobs"]}]}, "aks")
        plane.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                     "metadata": {"name": MONITORING_ROLE, "labels": dict(addon_objects.MANAGED_BY)},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                 "name": MONITORING_ROLE},
                     "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                   "name": "clusterMonitoringUser"}]}, "aks")

    def settle(self, key, cluster):
        """Bring a running cluster in step with its ARM body after an operation: authentication, admin groups,
        the pod identity add-on's objects."""
        plane = self._planes.get(key)
        if plane is None:
            return
        wanted_auth = self._authentication(cluster)
        if wanted_auth != plane.authentication_config:
            plane.write_authentication_config(wanted_auth)
        groups = (cluster.get("properties", {}).get("aadProfile") or {}).get("adminGroupObjectIDs") or []
        admin_binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                         "metadata": {"name": ADMIN_BINDING, "labels": dict(addon_objects.MANAGED_BY)},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                     "name": "cluster-admin"},
                         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g}
                                      for g in groups]}
        if groups:
            plane.apply(admin_binding, "aks")
        else:
            plane.request("DELETE", object_path(admin_binding))
        self._settle_addon(plane, cluster)

    @staticmethod
    def _settle_addon(plane, cluster):
        namespaces, wanted = addon_objects.desired(cluster)
        selector = ",".join(f"{k}={v}" for k, v in addon_objects.MANAGED_BY.items())
        if not wanted:
            plane.request("DELETE", object_path(addon_objects.nmi_daemonset()))
            for crd in addon_objects.CRDS:
                plane.request("DELETE", object_path(crd))
            return
        for crd in addon_objects.CRDS:
            plane.apply(crd, "aks")
        for crd in addon_objects.CRDS:
            _wait_established(plane, object_path(crd))
        for namespace in namespaces:
            plane.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, "aks")
        for obj in wanted:
            plane.apply(obj, "aks")
        keep = {object_path(o) for o in wanted}
        for plural in addon_objects.IDENTITY_KINDS:
            _, listed = plane.request("GET", f"/apis/{addon_objects.GROUP}/v1/{plural}?labelSelector={selector}")
            for item in listed["items"]:
                path = (f"/apis/{addon_objects.GROUP}/v1/namespaces/{item['metadata']['namespace']}/{plural}/"
                        f"{item['metadata']['name']}")
                if path not in keep:
                    plane.request("DELETE", path)

    # ----- credentials
    def kubeconfig(self, key, cluster, who, server=None):
        """A kubeconfig for ``who``: "admin", "user", "monitoring" (certificates) or "exec"/"azure" (Entra ID)."""
        import yaml
        from ..platform.models import TENANT_ID
        plane = self.control_plane(key, cluster)
        name, rg = cluster["name"], cluster["id"].split("/")[4]
        user_name = {"admin": "clusterAdmin", "monitoring": "clusterMonitoringUser"}.get(who, "clusterUser")
        user_name = f"{user_name}_{rg}_{name}"
        if who in ("admin", "user"):
            cert, cert_key = plane.pki.client_certificate(f"{who}-{name}", "masterclient", ["system:masters"])
            user = {"client-certificate-data": _data(cert), "client-key-data": _data(cert_key)}
        elif who == "monitoring":
            cert, cert_key = plane.pki.client_certificate(f"monitoring-{name}", "clusterMonitoringUser")
            user = {"client-certificate-data": _data(cert), "client-key-data": _data(cert_key)}
        elif who == "exec":
            user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
                             "args": ["get-token", "--login", "devicecode", "--server-id", AKS_SERVER_APP,
                                      "--client-id", AKS_CLIENT_APP, "--tenant-id", TENANT_ID,
                                      "--environment", "AzurePublicCloud"],
                             "env": None, "provideClusterInfo": False, "interactiveMode": "IfAvailable",
                             "installHint": "\nkubelogin is not installed which is required to connect to AAD "
                                            "enabled cluster.\n\nTo learn more, please go to "
                                            "https://aka.ms/aks/kubelogin\n"}}
        else:
            user = {"auth-provider": {"name": "azure", "config": {
                "apiserver-id": AKS_SERVER_APP, "client-id": AKS_CLIENT_APP, "config-mode": "1",
                "environment": "AzurePublicCloud", "tenant-id": TENANT_ID}}}
        cluster_entry = {"certificate-authority-data": _data(plane.pki.ca), "server": server or plane.server}
        config = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": name,
                  "clusters": [{"name": name, "cluster": cluster_entry}],
                  "contexts": [{"name": name, "context": {"cluster": name, "user": user_name}}],
                  "users": [{"name": user_name, "user": user}]}
        return yaml.safe_dump(config, default_flow_style=False, sort_keys=False)


def _wait_established(plane, path, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        _, crd = plane.request("GET", path)
        if any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or []):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} not Established after {timeout} s")
        time.sleep(0.05)


def _data(path):
    import base64
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def run_kubectl(plane, command, token=None, timeout=120):
    """Run one kubectl command line (as `az aks command invoke` runs it) against the cluster: with ``token`` as
    the user's credential, else as admin; (exit code, output)."""
    import shlex
    from tests.harness.controlplane import binary
    args = shlex.split(command)
    if not args or args[0] != "kubectl":
        return 127, f"the emulator runs kubectl commands only, not: {command}\n"
    if token:
        credential = ["--server", plane.server, "--certificate-authority", plane.pki.ca, "--token", token]
    else:
        credential = ["--kubeconfig", plane.kubeconfig]
    proc = subprocess.run([binary("kubectl"), *credential, *args[1:]], capture_output=True, text=True,
                          timeout=timeout, check=False, env={"KUBECONFIG": os.devnull, "HOME": plane.work_dir})
    return proc.returncode, proc.stdout + proc.stderr
