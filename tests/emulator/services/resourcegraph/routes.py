from ...http_types import Response
from ...routing import Router

router = Router()


def resources(world, req):
    answer, headers = world.graph_queries.resources(world.caller_id(req) or "anonymous", req.json(),
                                                    req.query.get("api-version"))
    return Response(200, answer, headers)


router.add("POST", r"/providers/Microsoft\.ResourceGraph/resources", resources)
