# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""A small client of the Kubernetes API: list (paged) and get, over `requests`, which azure-cli already loads.

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
        base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
        return self._get(f"{base}/namespaces/{namespace}/{resource}/{name}", {}, ("get", resource, group, namespace))

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
        import requests
        self.requests += 1
        try:
            response = self.session.get(self.connection.server.rstrip("/") + path, params=params,
                                        timeout=self.timeout)
        except requests.exceptions.SSLError as ex:
            raise AzureConnectionError(f"The API server of context '{self.connection.context}' "
                                       f"({self.connection.server}) failed the TLS check: {ex}") from ex
        except requests.exceptions.RequestException as ex:
            raise AzureConnectionError(
                f"The API server of context '{self.connection.context}' ({self.connection.server}) could not be "
                f"reached: {type(ex).__name__}. A private cluster's API server is reachable only from its network: "
                "run from there, or pass --run-command to read it through ARM (az aks command invoke).") from ex
        if response.status_code == 200:
            return response.json()
        if response.status_code == 404 and missing_ok:
            return {"items": []}
        raise refusal(response.status_code, _message(response), what)


def _message(response):
    try:
        return response.json().get("message") or response.text
    except ValueError:
        return response.text


def refusal(status, message, what):
    """The error for an API server's refusal of ``what`` (verb, resource, group, namespace)."""
    verb, resource, group, namespace = what
    where = f"in namespace '{namespace}'" if namespace else "in all namespaces"
    resource_name = f"{resource}.{group}" if group else resource
    if status == 401:
        return UnauthorizedError(f"The API server did not accept the credential (401: {message}). The token may have "
                                 "expired or be for another cluster: run the command again (it gets a new one), or "
                                 "renew the kubeconfig with 'az aks get-credentials'.")
    if status == 403:
        return ForbiddenError(f"The API server refused to {verb} {resource_name} {where}: the signed-in user lacks "
                              f"'{verb}' on '{resource_name}' {where} ({message}). Ask for a role that grants it "
                              "(for example the built-in 'view' ClusterRole), or pass --admin where the cluster "
                              "allows local accounts.")
    return AzureResponseError(f"The API server answered {status} to {verb} {resource_name} {where}: {message}")
