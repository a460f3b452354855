"""Start the emulator in its own process and talk to its /_emulator test controls over HTTPS."""
import json
import os
import ssl
import subprocess
import sys
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"


class EmulatorProcess:
    """The emulator as a child process; ``stop()`` always ends it."""

    def __init__(self, cert_dir):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--cert-dir", cert_dir],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("emulator did not start: " + self.proc.stderr.read())
        info = json.loads(line)
        self.port, self.cert = info["port"], info["cert"]
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


class EmulatorClient:
    def __init__(self, url, cert):
        self.url = url
        self._context = ssl.create_default_context(cafile=cert)
        self.info = self.call("GET", "/_emulator/health")
        self.subscription = self.info["default_subscription"]
        self.pipeline_object_id = self.info["pipeline_object_id"]
        self.tenant_id = self.info["tenant_id"]

    # ----- raw HTTPS
    def http(self, method, path, body=None, headers=None):
        """One HTTPS request to the emulator; returns (status, headers, parsed body or None)."""
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        return self.http_raw(method, path, data, headers)

    def http_raw(self, method, path, data=None, headers=None):
        """One HTTPS request with a body of bytes as given; returns (status, headers, parsed body or None)."""
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
                status, resp_headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            status, resp_headers, raw = err.code, dict(err.headers), err.read()
        return status, resp_headers, (json.loads(raw) if raw else None)

    def arm(self, method, path, body=None, headers=None, api_version="2026-06-01"):
        """An ARM call as a client would make it, with a bearer token from the emulator's token endpoint."""
        if not getattr(self, "_token", None):
            _, _, token = self.http("GET", "/msi/token?api-version=2019-08-01&resource=" + self.url + "/",
                                    headers={"X-IDENTITY-HEADER": "test"})
            self._token = token["access_token"]
        sep = "&" if "?" in path else "?"
        return self.http(method, f"{path}{sep}api-version={api_version}", body,
                         dict(headers or {}, Authorization="Bearer " + self._token))

    def call(self, method, path, body=None):
        status, _, parsed = self.http(method, path, body)
        if status >= 400:
            raise RuntimeError(f"emulator control {method} {path} failed: {status} {parsed}")
        return parsed

    # ----- seeding
    def seed_group(self, name, location="eastus", subscription=None):
        return self.call("POST", "/_emulator/resource-groups",
                         {"name": name, "location": location, "subscription": subscription or self.subscription})

    def seed_identity(self, resource_group, name, subscription=None):
        return self.call("POST", "/_emulator/identities", {
            "resource_group": resource_group, "name": name, "subscription": subscription or self.subscription})

    def delete_identity(self, resource_group, name, subscription=None):
        return self.call("POST", "/_emulator/identities/delete", {
            "resource_group": resource_group, "name": name, "subscription": subscription or self.subscription})

    def seed_cluster(self, resource_group, name, **spec):
        spec = dict(spec, resource_group=resource_group, name=name)
        spec.setdefault("subscription", self.subscription)
        return self.call("POST", "/_emulator/clusters", spec)

    def cluster_kubectl(self, resource_group, name, work_dir, subscription=None):
        """A kubectl runner with the admin credential of the cluster's real API server (started if need be)."""
        from tests.harness.kubectl import Kubectl
        answer = self.call("GET", f"/_emulator/clusters/{subscription or self.subscription}/{resource_group}/{name}"
                                  "/admin-kubeconfig")
        path = os.path.join(work_dir, f"admin-{resource_group}-{name}.kubeconfig")
        with open(path, "w", encoding="utf-8") as f:
            f.write(answer["kubeconfig"])
        return Kubectl(path)

    def seed_feature(self, state, subscription=None, namespace="Microsoft.ContainerService",
                     name="EnablePodIdentityPreview"):
        """The state a subscription starts with for a preview feature (every subscription: ``subscription="*"``)."""
        spec = {"namespace": namespace, "name": name, "state": state}
        if subscription != "*":
            spec["subscription"] = subscription or self.subscription
        return self.call("POST", "/_emulator/features", spec)

    def grant(self, scope, principal_id, role=MANAGED_IDENTITY_OPERATOR):
        return self.call("POST", "/_emulator/role-assignments",
                         {"scope": scope, "role": role, "principal_id": principal_id})

    def revoke(self, principal_id, role):
        return self.call("POST", "/_emulator/role-assignments/revoke", {"principal_id": principal_id, "role": role})

    def add_fault(self, **spec):
        return self.call("POST", "/_emulator/faults", spec)

    def settings(self, **values):
        return self.call("POST", "/_emulator/settings", values)

    def reset_test_controls(self):
        self.call("DELETE", "/_emulator/control-planes")
        self.call("DELETE", "/_emulator/faults")
        self.call("DELETE", "/_emulator/requests")
        self.seed_feature("Registered", subscription="*")
        self.settings(operation_seconds=0.0, retry_after=1, role_replication_delay_writes=0, list_page_size=100,
                      operation_statuses=["InProgress"], credential_write_seconds=0.0, identity_bindings=True,
                      resource_graph="available", graph_truncate=False, graph_quota=15, graph_window_seconds=5,
                      graph_page_size=1000, feature_registration_seconds=2.0, provider_registration_seconds=0.0)

    # ----- reading
    def state(self):
        return self.call("GET", "/_emulator/state")

    def requests(self):
        return self.call("GET", "/_emulator/requests")["value"]

    def arm_requests(self, method=None, path_contains=None):
        """Requests the CLI sent to ARM (not the token or cloud metadata endpoints)."""
        return [r for r in self.requests()
                if not r["path"].startswith(("/msi/", "/metadata/"))
                and (method is None or r["method"] == method)
                and (path_contains is None or path_contains.lower() in r["path"].lower())]

    def cluster(self, resource_group, name):
        for c in self.state()["clusters"]:
            if c["name"].lower() == name.lower() and f"/resourcegroups/{resource_group.lower()}/" in c["id"].lower():
                return c
        return None

    def role_assignments(self, principal_id=None):
        return [a for a in self.state()["role_assignments"]
                if principal_id is None or a["properties"]["principalId"].lower() == principal_id.lower()]
