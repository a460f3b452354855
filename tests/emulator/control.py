"""Test controls under /_emulator: seed state, inject faults, change settings, read the request log.

They are answered without faults and are not logged, so tests see only what the CLI sent.
"""
from .http_types import Response
from .routing import Router
from .services.authorization.models import ROLE_DEFINITIONS
from .services.platform.models import DEFAULT_SUBSCRIPTION, PIPELINE_OBJECT_ID, TENANT_ID

router = Router()
PREFIX = "/_emulator"


def _role_guid(role):
    for guid, (name, _) in ROLE_DEFINITIONS.items():
        if role.lower() in (guid, name.lower()):
            return guid
    raise ValueError(f"unknown role {role!r}")


def health(world, req):
    return Response(200, {"status": "ok", "pipeline_object_id": PIPELINE_OBJECT_ID,
                          "default_subscription": DEFAULT_SUBSCRIPTION, "tenant_id": TENANT_ID})


def settings(world, req):
    spec = req.json() or {}
    if "role_replication_delay_writes" in spec:
        world.authz.replication_delay_writes = int(spec.pop("role_replication_delay_writes"))
    unknown = set(spec) - set(world.settings)
    if unknown:
        return Response(400, {"error": {"code": "UnknownSetting", "message": ", ".join(sorted(unknown))}})
    world.settings.update(spec)
    return Response(200, dict(world.settings, role_replication_delay_writes=world.authz.replication_delay_writes))


def seed_subscriptions(world, req):
    """``{"count": N, "listed": true, "readable": true}``: N more enabled subscriptions of the tenant, with stable
    ids (for fleets of thousands); ``listed`` false leaves them out of the caller's `az account list`, ``readable``
    false gives the caller no role in them."""
    import uuid
    spec = req.json()
    count = int(spec["count"])
    start = len(world.platform.subscriptions)
    added = []
    for i in range(start, start + count):
        subscription_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator-subscription-{i}"))
        world.platform.add_subscription(subscription_id, f"Fleet subscription {i}", spec.get("listed", True),
                                        spec.get("readable", True))
        added.append(subscription_id)
    return Response(200, {"added": added})


def seed_feature(world, req):
    """``{"subscription", "namespace", "name", "state"}``: the state a subscription starts with for a preview feature
    (``Registered`` counts as seen by its provider already); without a subscription, the default of every
    subscription whose state was not chosen."""
    spec = req.json()
    try:
        if spec.get("subscription"):
            world.features.seed(spec["subscription"], spec["namespace"], spec["name"], spec["state"])
        else:
            world.features.seed_default(spec["state"])
    except ValueError as ex:
        return Response(400, {"error": {"code": "InvalidFeatureState", "message": str(ex)}})
    return Response(200, {})


def seed_group(world, req):
    spec = req.json()
    group, _ = world.resources.put(spec.get("subscription", DEFAULT_SUBSCRIPTION), spec["name"],
                                   spec.get("location", "eastus"))
    return Response(200, group)


def seed_identity(world, req):
    spec = req.json()
    sub = spec.get("subscription", DEFAULT_SUBSCRIPTION)
    if not world.resources.exists(sub, spec["resource_group"]):
        world.resources.put(sub, spec["resource_group"], spec.get("location", "eastus"))
    identity, _ = world.msi.put(sub, spec["resource_group"], spec["name"], spec.get("location", "eastus"))
    return Response(200, identity)


def delete_identity(world, req):
    """An identity deleted from under the cluster (its grants stay, as role assignments do in Azure)."""
    spec = req.json()
    deleted = world.msi.delete(spec.get("subscription", DEFAULT_SUBSCRIPTION), spec["resource_group"], spec["name"])
    return Response(200, {"deleted": deleted})


def seed_role_assignment(world, req):
    spec = req.json()
    return Response(200, world.authz.seed_assignment(spec["scope"], _role_guid(spec["role"]),
                                                     spec["principal_id"]))


def _revoke(world, principal_id, role, scope=None):
    guid = _role_guid(role)
    removed = [key for key, a in world.authz.assignments.items()
               if a["properties"]["principalId"].lower() == principal_id.lower()
               and a["properties"]["roleDefinitionId"].lower().endswith(guid)
               and (scope is None or a["properties"]["scope"].lower() == scope.lower())]
    for key in removed:
        del world.authz.assignments[key]
    return len(removed)


def revoke_role_assignments(world, req):
    spec = req.json()
    return Response(200, {"removed": _revoke(world, spec["principal_id"], spec["role"])})


def perform(world, action):
    """What an "action" fault does before its request is served, to force an interleaving; its keys, in this order:
    ``{"create_identity": {"subscription", "resource_group", "name"}}`` (someone creates an identity, or re-creates
    a deleted one under the same id, with new client and object ids);
    ``{"revoke": {"principal_id", "role", "scope" (optional)}}`` (someone removes role assignments);
    ``{"cluster_patch": {"subscription", "resource_group", "name", "patch"}}`` (another client changes a cluster,
    lists appended, as an ``interleave`` fault does);
    ``{"finish_operations": true}`` (every running cluster operation ends now, Succeeded);
    ``{"settings": {...}}`` (settings change, as the settings control changes them);
    ``{"add_fault": {...}}`` (a fault is armed from now on: something that fails only after this request)."""
    if "create_identity" in action:
        spec = action["create_identity"]
        world.msi.put(spec.get("subscription", DEFAULT_SUBSCRIPTION), spec["resource_group"], spec["name"],
                      spec.get("location", "eastus"))
    if "revoke" in action:
        spec = action["revoke"]
        _revoke(world, spec["principal_id"], spec["role"], spec.get("scope"))
    if "cluster_patch" in action:
        spec = action["cluster_patch"]
        world.aks.write_as_another_client(spec.get("subscription", DEFAULT_SUBSCRIPTION), spec["resource_group"],
                                          spec["name"], spec["patch"])
    if action.get("finish_operations"):
        world.aks.finish_running_operations()
    if "settings" in action:
        world.settings.update(action["settings"])
    if "add_fault" in action:
        world.faults.add(**action["add_fault"])


def cluster_admin_kubeconfig(world, req, sub, rg, name):
    """The admin kubeconfig of a cluster's control plane (started if need be), for tests to seed workloads with
    kubectl whatever the cluster's own credential rules."""
    key = world.aks.key(sub, rg, name)
    plane = world.cluster_api.control_plane(key, world.aks.get(sub, rg, name))
    with open(plane.kubeconfig, encoding="utf-8") as f:
        return Response(200, {"kubeconfig": f.read(), "server": plane.server})


def seed_cluster(world, req):
    spec = dict(req.json())
    sub = spec.pop("subscription", DEFAULT_SUBSCRIPTION)
    return Response(200, world.aks.seed(sub, spec.pop("resource_group"), spec.pop("name"), **spec))


def add_fault(world, req):
    try:
        rule = world.faults.add(**req.json())
    except (TypeError, ValueError) as ex:
        return Response(400, {"error": {"code": "InvalidFault", "message": str(ex)}})
    return Response(200, vars(rule))


def clear_faults(world, req):
    world.faults.clear()
    world.faults.barrier_timeouts = 0
    return Response(200, {})


def get_requests(world, req):
    return Response(200, {"value": world.requests})


def stop_control_planes(world, req):
    """Stop the clusters' API servers (each test starts without any: they cost memory)."""
    world.cluster_api.stop_all()
    return Response(200, {})


def clear_requests(world, req):
    world.requests.clear()
    return Response(200, {})


def state(world, req):
    world.aks.advance()
    return Response(200, {
        "clusters": list(world.aks.clusters.values()),
        "identities": list(world.msi.identities.values()),
        "role_assignments": list(world.authz.assignments.values()),
        "resource_groups": list(world.resources.groups.values()),
        "tokens_issued": world.platform.tokens_issued,
        "barrier_timeouts": world.faults.barrier_timeouts,
    })


router.add("GET", PREFIX + "/health", health)
router.add("POST", PREFIX + "/settings", settings)
router.add("POST", PREFIX + "/subscriptions", seed_subscriptions)
router.add("POST", PREFIX + "/resource-groups", seed_group)
router.add("POST", PREFIX + "/features", seed_feature)
router.add("POST", PREFIX + "/identities", seed_identity)
router.add("POST", PREFIX + "/identities/delete", delete_identity)
router.add("POST", PREFIX + "/role-assignments", seed_role_assignment)
router.add("POST", PREFIX + "/role-assignments/revoke", revoke_role_assignments)
router.add("POST", PREFIX + "/clusters", seed_cluster)
router.add("GET", PREFIX + "/clusters/(?P<sub>[^/]+)/(?P<rg>[^/]+)/(?P<name>[^/]+)/admin-kubeconfig",
           cluster_admin_kubeconfig)
router.add("POST", PREFIX + "/faults", add_fault)
router.add("DELETE", PREFIX + "/faults", clear_faults)
router.add("GET", PREFIX + "/requests", get_requests)
router.add("DELETE", PREFIX + "/control-planes", stop_control_planes)
router.add("DELETE", PREFIX + "/requests", clear_requests)
router.add("GET", PREFIX + "/state", state)
