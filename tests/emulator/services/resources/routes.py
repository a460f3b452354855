from ...http_types import Response
from ...routing import Router, sub_rg

router = Router()


def put_group(world, req, sub, rg):
    body = req.json() or {}
    group, existed = world.resources.put(sub, rg, body.get("location"), body.get("tags"))
    return Response(200 if existed else 201, group)


def get_group(world, req, sub, rg):
    return Response(200, world.resources.get(sub, rg))


def head_group(world, req, sub, rg):
    return Response(204 if world.resources.exists(sub, rg) else 404)


def delete_group(world, req, sub, rg):
    world.resources.delete(sub, rg)
    return Response(200)


def list_groups(world, req, sub):
    return Response(200, {"value": world.resources.list(sub)})


router.add("PUT", sub_rg(), put_group)
router.add("GET", sub_rg(), get_group)
router.add("HEAD", sub_rg(), head_group)
router.add("DELETE", sub_rg(), delete_group)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)/resourcegroups", list_groups)
