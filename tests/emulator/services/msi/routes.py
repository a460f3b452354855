from ...http_types import Response
from ...routing import Router, sub_rg

router = Router()
IDENTITY = sub_rg() + r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)"


def put_identity(world, req, sub, rg, name):
    body = req.json() or {}
    identity, existed = world.msi.put(sub, rg, name, body.get("location"), body.get("tags"))
    return Response(200 if existed else 201, identity)


def get_identity(world, req, sub, rg, name):
    return Response(200, world.msi.get(sub, rg, name))


def delete_identity(world, req, sub, rg, name):
    return Response(200 if world.msi.delete(sub, rg, name) else 204)


def list_identities(world, req, sub, rg=None):
    return Response(200, {"value": world.msi.list(sub, rg)})


CREDENTIAL = IDENTITY + r"/federatedIdentityCredentials/(?P<credential>[^/]+)"


def put_credential(world, req, sub, rg, name, credential):
    body, existed = world.msi.put_credential(sub, rg, name, credential, (req.json() or {}).get("properties") or {})
    return Response(200 if existed else 201, body)


def get_credential(world, req, sub, rg, name, credential):
    return Response(200, world.msi.get_credential(sub, rg, name, credential))


def delete_credential(world, req, sub, rg, name, credential):
    return Response(200 if world.msi.delete_credential(sub, rg, name, credential) else 204)


def list_credentials(world, req, sub, rg, name):
    return Response(200, {"value": world.msi.list_credentials(sub, rg, name)})


router.add("PUT", CREDENTIAL, put_credential)
router.add("GET", CREDENTIAL, get_credential)
router.add("DELETE", CREDENTIAL, delete_credential)
router.add("GET", IDENTITY + r"/federatedIdentityCredentials", list_credentials)
router.add("PUT", IDENTITY, put_identity)
router.add("GET", IDENTITY, get_identity)
router.add("DELETE", IDENTITY, delete_identity)
router.add("GET", sub_rg() + r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities", list_identities)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.ManagedIdentity/userAssignedIdentities",
           list_identities)
