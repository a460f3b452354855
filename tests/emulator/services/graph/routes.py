import re

from ...errors import ArmError
from ...http_types import Response
from ...routing import Router

router = Router()


def list_service_principals(world, req):
    odata = req.query.get("$filter", "")
    by_name = re.search(r"servicePrincipalNames/any\(c:c eq '([^']+)'\)", odata)
    if not by_name:
        raise ArmError(400, "Request_UnsupportedQuery", f"The emulator does not support the filter '{odata}'.")
    return Response(200, {"value": world.graph.find_by_name(by_name.group(1))})


def get_service_principal(world, req, object_id):
    found = world.graph.by_ids([object_id])
    if not found:
        raise ArmError(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
    return Response(200, found[0])


def get_by_ids(world, req):
    return Response(200, {"value": world.graph.by_ids((req.json() or {}).get("ids") or [])})


router.add("GET", r"/graph/v1\.0/servicePrincipals", list_service_principals)
router.add("GET", r"/graph/v1\.0/servicePrincipals/(?P<object_id>[^/]+)", get_service_principal)
router.add("POST", r"/graph/v1\.0/directoryObjects/getByIds", get_by_ids)
