# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""A small client of the Kubernetes API: list (paged), get, server-side apply and JSON patch, over `requests`,
which azure-cli already loads.

Why not the `kubernetes` package: docs/cluster-side.md ("The Kubernetes client") gives the measurements (37.0.2
brings aiohttp and pydantic, 15 more packages and about 170 MB into every install, and takes 0.2 s to import).
The extension reads a handful of list endpoints; their JSON is used as the API server sends it.
"""
import base64
import os
import shutil
import tempfile

from azure.cli.core.azclierror import (AzureConnectionError, AzureResponseError, ForbiddenError,
                                       UnauthorizedError)

PAGE = 500


class ClusterApi:
    def __init__(self, connection, token=None, timeout=30):
        import requests
        self.connection = connection
        self.timeout = timeout
        self._folder = tempfile.mkdtemp(prefix="azext-podidentity-")  # private (0700): key material for requests
        self.session = requests.Session()
        self.session.trust_env = False  # the API server is reached directly, never through az's proxy settings
        if connection.insecure:
            self.session.verify = False
        elif connection.ca_data:
            self.session.verify = self._file("ca.crt", connection.ca_data)
        if connection.client_certificate_data and connection.client_key_data:
            self.session.cert = (self._file("client.crt", connection.client_certificate_data),
                                 self._file("client.key", connection.client_key_data))
        bearer = token or connection.token
        if bearer:
            self.session.headers["Authorization"] = f"Bearer {bearer}"
        self.session.headers["Accept"] = "application/json"
        self.requests = 0

    def _file(self, name, data):
        path = os.path.join(self._folder, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        self.session.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def get(self, resource, namespace, name, group="", version="v1"):
        """One object."""
        return self._get(_object_path(resource, namespace, name, group, version), {},
                         ("get", resource, group, namespace))

    def apply(self, resource, body, group="", version="v1", field_manager=None, force=False, dry_run=False):
        """Server-side apply of ``body`` by ``field_manager``: the object as the API server has it afterwards.
        Raises ApplyConflict when a field another manager owns would change (unless ``force``)."""
        meta = body["metadata"]
        params = {"fieldManager": field_manager, "force": "true" if force else "false"}
        return self._write(_object_path(resource, meta.get("namespace"), meta["name"], group, version), params,
                           body, "application/apply-patch+yaml", ("apply", resource, group, meta.get("namespace")),
                           dry_run)

    def json_patch(self, resource, namespace, name, ops, group="", version="v1", field_manager=None,
                   dry_run=False):
        """A JSON patch (RFC 6902) of one object; its ``test`` operations make it fail (ApplyConflict) when the
        object changed since it was read."""
        return self._write(_object_path(resource, namespace, name, group, version), {"fieldManager": field_manager},
                           ops, "application/json-patch+json", ("patch", resource, group, namespace), dry_run)

    def _write(self, path, params, body, content_type, what, dry_run):
        import json
        if dry_run:
            params = dict(params, dryRun="All")
        response = self._send("patch", path, params, data=json.dumps(body),
                              headers={"Content-Type": content_type})
        if response.status_code in (200, 201):
            return response.json()
        status = _status(response)
        if response.status_code == 409 or (response.status_code == 422 and "test operation" in status["message"]):
            raise ApplyConflict(status)
        raise refusal(response.status_code, status["message"], what)

    def list(self, resource, namespace=None, label_selector=None, group="", version="v1", missing_ok=False):
        """Every object of ``resource`` (all namespaces unless ``namespace``), PAGE at a time; with ``missing_ok``,
        none when the API server does not serve the resource (its CRD is not installed)."""
        base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
        path = f"{base}/namespaces/{namespace}/{resource}" if namespace else f"{base}/{resource}"
        params = {"limit": PAGE}
        if label_selector:
            params["labelSelector"] = label_selector
        items = []
        while True:
            page = self._get(path, params, ("list", resource, group, namespace), missing_ok)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = token

    def _get(self, path, params, what, missing_ok=False):
        response = self._send("get", path, params)
        if response.status_code == 200:
            return response.json()
        if response.status_code == 404 and missing_ok:
            return {"items": []}
        raise refusal(response.status_code, _status(response)["message"], what)

    def _send(self, method, path, params, **kwargs):
        import requests
        self.requests += 1
        try:
            return self.session.request(method, self.connection.server.rstrip("/") + path, params=params,
                                        timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as ex:
            raise AzureConnectionError(f"The API server of context '{self.connection.context}' "
                                       f"({self.connection.server}) failed the TLS check: {ex}") from ex
        except requests.exceptions.RequestException as ex:
            raise AzureConnectionError(
                f"The API server of context '{self.connection.context}' ({self.connection.server}) could not be "
                f"reached: {type(ex).__name__}. An API server behind authorized IP ranges or a private endpoint is "
                "reachable only from its network: run from there. (A private cluster without --kubeconfig is read "
                "through ARM's run command instead.)") from ex


def _object_path(resource, namespace, name, group, version):
    base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{where}/{resource}/{name}"


class ApplyConflict(AzureResponseError):
    """The API server refused a change because another field manager owns a field it would change (409), or
    because the object changed since it was read (a failed JSON patch test). ``fields``: [{"field", "manager"}]."""

    def __init__(self, status):
        self.fields = [{"field": c.get("field"), "manager": _manager(c.get("message") or "")}
                       for c in (status.get("details") or {}).get("causes") or []
                       if c.get("reason") == "FieldManagerConflict"]
        super().__init__(status["message"])


def _manager(message):
    # 'conflict with "kubectl-client-side-apply" using apps/v1'
    parts = message.split('"')
    return parts[1] if len(parts) > 2 else message


def _status(response):
    try:
        status = response.json()
    except ValueError:
        return {"message": response.text}
    return status if isinstance(status, dict) and status.get("message") else {"message": response.text}


def refusal(status, message, what):
    """The error for an API server's refusal of ``what`` (verb, resource, group, namespace)."""
    verb, resource, group, namespace = what
    verb = "patch" if verb == "apply" else verb  # the RBAC verb of a server-side apply
    where = f"in namespace '{namespace}'" if namespace else "in all namespaces"
    resource_name = f"{resource}.{group}" if group else resource
    if status == 401:
        return UnauthorizedError(f"The API server did not accept the credential (401: {message}). The token may have "
                                 "expired or be for another cluster: run the command again (it gets a new one), or "
                                 "renew the kubeconfig with 'az aks get-credentials'.")
    if status == 403:
        role = "view" if verb in ("get", "list") else "edit"
        return ForbiddenError(f"The API server refused to {verb} {resource_name} {where}: the signed-in user lacks "
                              f"'{verb}' on '{resource_name}' {where} ({message}). Ask for a role that grants it "
                              f"(for example the built-in '{role}' ClusterRole), or pass --admin where the cluster "
                              "allows local accounts.")
    return AzureResponseError(f"The API server answered {status} to {verb} {resource_name} {where}: {message}")
