from ...errors import ArmError
from ...http_types import Response
from ...routing import Router

router = Router()


def metadata(world, req):
    return Response(200, world.platform.cloud_metadata(req.base_url))


def msi_token(world, req):
    if not req.headers.get("x-identity-header"):
        raise ArmError(400, "BadRequest", "Missing X-IDENTITY-HEADER.")
    return Response(200, world.platform.issue_token(req.query.get("resource", "")))


def list_subscriptions(world, req):
    return Response(200, {"value": list(world.platform.subscriptions.values())})


def get_subscription(world, req, sub):
    found = world.platform.subscriptions.get(sub.lower())
    if not found:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    return Response(200, found)


def list_tenants(world, req):
    from .models import TENANT_ID
    return Response(200, {"value": [{"id": f"/tenants/{TENANT_ID}", "tenantId": TENANT_ID}]})


router.add("GET", r"/metadata/endpoints", metadata)
router.add("GET", r"/msi/token", msi_token)
router.add("GET", r"/subscriptions", list_subscriptions)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)", get_subscription)
router.add("GET", r"/tenants", list_tenants)

# These need no bearer token.
ANONYMOUS_PATHS = ("/metadata/endpoints", "/msi/token")
