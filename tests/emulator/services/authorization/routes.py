from ...http_types import Response
from ...routing import Router

router = Router()
_SCOPE = r"(?P<scope>(/[^/]+)*?)/providers/Microsoft\.Authorization"


def list_definitions(world, req, scope):
    role_name = None
    odata = req.query.get("$filter", "")
    if "rolename eq" in odata.lower():
        role_name = odata.split("'")[1]
    return Response(200, {"value": world.authz.list_definitions(scope or "/", role_name)})


def get_definition(world, req, scope, guid):
    return Response(200, world.authz.get_definition(scope or "/", guid))


def put_assignment(world, req, scope, name):
    body = req.json() or {}
    created = world.authz.create_assignment(scope, name, body.get("properties") or {}, world.caller_id(req))
    return Response(201, created)


def get_assignment(world, req, scope, name):
    return Response(200, world.authz.get_assignment(scope, name))


def delete_assignment(world, req, scope, name):
    found = world.authz.delete_assignment(scope, name, world.caller_id(req))
    return Response(200, found) if found else Response(204)


def list_assignments(world, req, scope):
    return Response(200, {"value": world.authz.list_assignments(scope or "/", req.query.get("$filter"))})


router.add("GET", _SCOPE + r"/roleDefinitions", list_definitions)
router.add("GET", _SCOPE + r"/roleDefinitions/(?P<guid>[^/]+)", get_definition)
router.add("PUT", _SCOPE + r"/roleAssignments/(?P<name>[^/]+)", put_assignment)
router.add("GET", _SCOPE + r"/roleAssignments/(?P<name>[^/]+)", get_assignment)
router.add("DELETE", _SCOPE + r"/roleAssignments/(?P<name>[^/]+)", delete_assignment)
router.add("GET", _SCOPE + r"/roleAssignments", list_assignments)
