# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading a private cluster through ARM's run command (what `az aks command invoke` uses).

A private cluster's API server is reachable only from its network. ARM's runCommand runs kubectl inside the
cluster and returns its output (capped at 512 kB by the service), so each list here is one `kubectl get` whose
output is cut down to the fields the inventory reads, one line per object. The user's Entra token goes along for
clusters with Microsoft Entra integration, as `az aks command invoke` sends it.
"""
import json

from azure.cli.core.azclierror import AzureResponseError, ForbiddenError

# the kinds the inventory lists, read through the compact template below
_INVENTORY_KINDS = ("pods", "replicasets", "jobs", "serviceaccounts", "daemonsets")

# one tab-separated line per object: what the inventory and the NMI check read, whatever the kind
_FIELDS = ("{.metadata.namespace}", "{.metadata.name}", "{.metadata.uid}", "{.metadata.labels.aadpodidbinding}",
           "{.metadata.labels.azure\\.workload\\.identity/use}",
           "{.metadata.ownerReferences[?(@.controller==true)].kind}",
           "{.metadata.ownerReferences[?(@.controller==true)].name}", "{.spec.serviceAccountName}",
           "{.metadata.annotations.azure\\.workload\\.identity/client-id}", "{.status.desiredNumberScheduled}",
           "{.status.numberReady}")
# (single-quoted for the shell the service runs the command in, so the template's own literals use double quotes)
_TEMPLATE = "{range .items[*]}" + '{"\\t"}'.join(_FIELDS) + '{"\\n"}{end}'


def parse_lines(text):
    """The objects (as much of them as the inventory reads) from the lines the template prints."""
    objects = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != len(_FIELDS):
            continue
        namespace, name, uid, binding, workload_id, owner_kind, owner_name, account, client_id, desired, ready = parts
        labels = {k: v for k, v in (("aadpodidbinding", binding), ("azure.workload.identity/use", workload_id)) if v}
        metadata = {"namespace": namespace or None, "name": name, "uid": uid, "labels": labels,
                    "annotations": {"azure.workload.identity/client-id": client_id} if client_id else {}}
        if owner_kind:
            metadata["ownerReferences"] = [{"kind": owner_kind, "name": owner_name, "controller": True}]
        status = {}
        if desired:
            status = {"desiredNumberScheduled": int(desired), "numberReady": int(ready or 0)}
        objects.append({"metadata": metadata, "spec": {"serviceAccountName": account or None}, "status": status})
    return objects


class RunCommandApi:
    """``list`` as ClusterApi has it, through runCommand."""

    def __init__(self, cmd, client, resource_group, cluster_name, cluster_token=None):
        self.cmd, self.client = cmd, client
        self.resource_group, self.cluster_name = resource_group, cluster_name
        self.cluster_token = cluster_token
        self.requests = 0

    def __enter__(self):
        return self

    def __exit__(self, *_):
        pass

    def close(self):
        pass

    def list(self, resource, namespace=None, label_selector=None, group="", version="v1", missing_ok=False):
        """As ClusterApi.list; but for the kinds the inventory reads, only the fields it reads (the output cap)."""
        del version  # kubectl picks the served version
        kind = f"{resource}.{group}" if group else resource
        scope = f"-n {namespace}" if namespace else "-A"
        selector = f" -l '{label_selector}'" if label_selector else ""
        if resource not in _INVENTORY_KINDS:
            logs = self._run(f"kubectl get {kind} {scope}{selector} -o json", ("list", resource, group, namespace),
                             missing_ok)
            return json.loads(logs).get("items") or [] if logs.strip() else []
        command = f"kubectl get {kind} {scope}{selector} -o jsonpath='{_TEMPLATE}'"
        return parse_lines(self._run(command, ("list", resource, group, namespace)))

    def get(self, resource, namespace, name, group="", version="v1"):
        del version
        kind = f"{resource}.{group}" if group else resource
        return json.loads(self._run(f"kubectl get {kind} {name} -n {namespace} -o json",
                                    ("get", resource, group, namespace)))

    def _run(self, command, what, missing_ok=False):
        from azure.cli.core.profiles import ResourceType
        from azure.core.exceptions import HttpResponseError

        from azext_podidentity.arm import service_errors
        from azext_podidentity.arm.sdk_models import from_rest
        from azext_podidentity.cluster.api import refusal
        request_class = self.cmd.get_models("RunCommandRequest", resource_type=ResourceType.MGMT_CONTAINERSERVICE,
                                            operation_group="managed_clusters")
        payload = from_rest(request_class, {"command": command, "context": "",
                                            "clusterToken": self.cluster_token or ""})
        self.requests += 1
        try:
            result = self.client.begin_run_command(self.resource_group, self.cluster_name, payload,
                                                   polling_interval=2).result()
        except HttpResponseError as ex:
            fields = service_errors.of_exception(ex)
            error = ForbiddenError if getattr(ex, "status_code", None) == 403 else AzureResponseError
            raise error(f"The private cluster could not be read through 'az aks command invoke' (runCommand): "
                        f"{service_errors.describe(fields)} It needs 'Microsoft.ContainerService/managedClusters/"
                        "runcommand/action' on the cluster; or run from the cluster's network with --kubeconfig.") \
                from ex
        logs = getattr(result, "logs", None) or ""
        if getattr(result, "exit_code", 0) and missing_ok and "the server doesn't have a resource type" in logs:
            return ""
        if getattr(result, "exit_code", 0):
            status = 403 if "forbidden" in logs.lower() else 500
            raise refusal(status, logs.strip()[-500:], what)
        return logs
