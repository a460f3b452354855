from ...http_types import Response
from .models import SERVICE_CONDITIONS
from ...routing import Router, sub_rg

router = Router()
_PROVIDER = r"/providers/Microsoft\.ContainerService"
CLUSTER = sub_rg() + _PROVIDER + r"/managedClusters/(?P<name>[^/]+)"


def _retry_after(world):
    """Retry-After, only while the setting holds a number: the real service sends none (every recording), and then
    azure-cli's AKS client waits its own polling interval, 30 s, between polls; tests set ``retry_after: None``
    to see that."""
    seconds = world.settings["retry_after"]
    return {} if seconds is None else {"Retry-After": str(seconds)}


def _lro_headers(world, req, op):
    return dict({"Azure-AsyncOperation": f"{req.base_url}{op.path()}?api-version=2016-03-30"}, **_retry_after(world))


def put_cluster(world, req, sub, rg, name):
    condition = world.faults.take_condition(req.method, req.path)
    if condition:
        world.aks.get(sub, rg, name)  # a missing cluster is still a 404
        raise SERVICE_CONDITIONS[condition]()
    patch = world.faults.take_interleaved_write(req.method, req.path)
    if patch:
        world.aks.write_as_another_client(sub, rg, name, patch)
    outcome = world.faults.take_operation_outcome(req.method, req.path)
    created, cluster, op = world.aks.put(sub, rg, name, req.json(), req.headers.get("if-match"),
                                         req.headers.get("if-none-match"), outcome)
    cluster.pop("eTag", None)  # as recorded: the eTag is in a GET's body only, never in a PUT's answer
    return Response(201 if created else 200, cluster, _lro_headers(world, req, op))


def get_cluster(world, req, sub, rg, name):
    return Response(200, world.aks.get(sub, rg, name))  # no ETag header, as recorded


def delete_cluster(world, req, sub, rg, name):
    op = world.aks.delete(sub, rg, name)
    if op is None:
        return Response(204)
    headers = _lro_headers(world, req, op)
    headers["Location"] = headers["Azure-AsyncOperation"]
    return Response(202, None, headers)


def list_clusters(world, req, sub, rg=None):
    """One page, and the nextLink to the next one as ARM gives it (the same query plus a $skipToken)."""
    clusters = world.aks.list(sub, rg)
    start = int(req.query.get("$skipToken") or 0)
    size = int(world.settings["list_page_size"])
    page = {"value": clusters[start:start + size]}
    if start + size < len(clusters):
        page["nextLink"] = (f"{req.base_url}{req.path}?api-version={req.query.get('api-version', '')}"
                            f"&$skipToken={start + size}")
    return Response(200, page)


def get_operation(world, req, sub, location, op_id):
    op = world.aks.operation(op_id)
    return Response(200, op.body(), _retry_after(world) if op.running else {})


def _credentials(name, kubeconfig):
    import base64
    return Response(200, {"kubeconfigs": [{"name": name, "value": base64.b64encode(kubeconfig.encode()).decode()}]})


def list_user_credentials(world, req, sub, rg, name):
    """``format`` applies to Microsoft Entra clusters only: ``exec`` (kubelogin, the default since 1.24) or
    ``azure`` (the legacy auth-provider)."""
    cluster = world.aks.get(sub, rg, name)
    who = "user"
    if cluster["properties"].get("aadProfile"):
        who = "azure" if (req.query.get("format") or "").lower() == "azure" else "exec"
    return _credentials("clusterUser", world.aks.kubeconfig(sub, rg, name, who))


def list_admin_credentials(world, req, sub, rg, name):
    return _credentials("clusterAdmin", world.aks.kubeconfig(sub, rg, name, "admin"))


def list_monitoring_credentials(world, req, sub, rg, name):
    return _credentials("clusterMonitoringUser", world.aks.kubeconfig(sub, rg, name, "monitoring"))


def run_command(world, req, sub, rg, name):
    """`az aks command invoke`: 202 with the Location of the command's result (REST reference, RunCommandRequest
    example). The emulator runs kubectl only (the service runs any shell command in a pod that has kubectl and
    helm); it runs it at once and keeps the result for ``run_command_seconds``'s polls."""
    body = req.json() or {}
    command = world.aks.run_command(sub, rg, name, body.get("command") or "", body.get("clusterToken") or "")
    location = f"{req.base_url}{CLUSTER_PATH.format(sub=sub, rg=rg, name=name)}/commandResults/{command['id']}" \
               f"?api-version={req.query.get('api-version', '')}"
    return Response(202, None, dict({"Location": location}, **_retry_after(world)))


def command_result(world, req, sub, rg, name, command_id):
    result = world.aks.command_result(sub, rg, name, command_id)
    if result is None:
        return Response(202, None, _retry_after(world))
    return Response(200, result)


CLUSTER_PATH = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
BINDING = CLUSTER + r"/identityBindings/(?P<binding>[^/]+)"


def put_binding(world, req, sub, rg, name, binding):
    created, body = world.aks_bindings.put(sub, rg, name, binding, req.json(), req.query.get("api-version"))
    cluster = world.aks.get(sub, rg, name)
    op = world.aks.finished_operation(sub, cluster["location"])
    return Response(201 if created else 200, body, _lro_headers(world, req, op))


def get_binding(world, req, sub, rg, name, binding):
    return Response(200, world.aks_bindings.get(sub, rg, name, binding, req.query.get("api-version")))


def delete_binding(world, req, sub, rg, name, binding):
    found = world.aks_bindings.delete(sub, rg, name, binding, req.query.get("api-version"))
    return Response(200 if found else 204)


def list_bindings(world, req, sub, rg, name):
    return Response(200, {"value": world.aks_bindings.list(sub, rg, name, req.query.get("api-version"))})


router.add("PUT", BINDING, put_binding)
router.add("GET", BINDING, get_binding)
router.add("DELETE", BINDING, delete_binding)
router.add("GET", CLUSTER + r"/identityBindings", list_bindings)
router.add("PUT", CLUSTER, put_cluster)
router.add("POST", CLUSTER + r"/listClusterUserCredential", list_user_credentials)
router.add("POST", CLUSTER + r"/listClusterAdminCredential", list_admin_credentials)
router.add("POST", CLUSTER + r"/runCommand", run_command)
router.add("GET", CLUSTER + r"/commandResults/(?P<command_id>[^/]+)", command_result)
router.add("POST", CLUSTER + r"/listClusterMonitoringUserCredential", list_monitoring_credentials)
router.add("GET", CLUSTER, get_cluster)
router.add("DELETE", CLUSTER, delete_cluster)
router.add("GET", sub_rg() + _PROVIDER + r"/managedClusters", list_clusters)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)" + _PROVIDER + r"/managedClusters", list_clusters)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)" + _PROVIDER +
           r"/locations/(?P<location>[^/]+)/operations/(?P<op_id>[^/]+)", get_operation)
