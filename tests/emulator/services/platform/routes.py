from urllib.parse import parse_qs

from ...errors import ArmError
from ...http_types import Response
from ...routing import Router

router = Router()


def metadata(world, req):
    # azure-cli before 2.73 asks for the 2015-01-01 shape when registering a cloud; later releases for 2022-09-01
    if req.query.get("api-version") == "2015-01-01":
        return Response(200, world.platform.cloud_metadata_2015(req.base_url))
    return Response(200, world.platform.cloud_metadata(req.base_url))


def msi_token(world, req):
    if not req.headers.get("x-identity-header"):
        raise ArmError(400, "BadRequest", "Missing X-IDENTITY-HEADER.")
    return Response(200, world.platform.issue_token(req.query.get("resource", "")))


def msi_token_form_post(world, req):
    # The flavour azure-cli's older msrestazure-based login uses when MSI_ENDPOINT is set (as in Cloud Shell):
    # a form POST with the header Metadata: true.
    if req.headers.get("metadata") != "true":
        raise ArmError(400, "BadRequest", "Required metadata header not specified.")
    form = parse_qs(req.raw_body.decode("utf-8"))
    return Response(200, world.platform.issue_token(form.get("resource", [""])[0]))


def list_subscriptions(world, req):
    return Response(200, {"value": world.platform.listed()})


def get_subscription(world, req, sub):
    found = world.platform.subscriptions.get(sub.lower())
    if not found:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    return Response(200, found)


def list_tenants(world, req):
    from .models import TENANT_ID
    return Response(200, {"value": [{"id": f"/tenants/{TENANT_ID}", "tenantId": TENANT_ID}]})


def openid_configuration(world, req, tenant):
    return Response(200, world.platform.openid_configuration(req.base_url))


def signing_keys(world, req):
    return Response(200, world.platform.signing_keys())


router.add("GET", r"/(?P<tenant>[0-9a-f-]{36})/\.well-known/openid-configuration", openid_configuration)
router.add("GET", r"/common/discovery/keys", signing_keys)
router.add("GET", r"/metadata/endpoints", metadata)
router.add("GET", r"/msi/token", msi_token)
router.add("POST", r"/msi/token", msi_token_form_post)
router.add("GET", r"/subscriptions", list_subscriptions)
router.add("GET", r"/subscriptions/(?P<sub>[^/]+)", get_subscription)
router.add("GET", r"/tenants", list_tenants)

# These need no bearer token.
ANONYMOUS_PATHS = ("/metadata/endpoints", "/msi/token", "/common/discovery/keys")
# Entra ID's published keys are read by the emulated clusters' API servers, also while a request that started
# one of them holds the emulator's lock: they are answered without it (they read nothing that changes).
UNLOCKED_PATHS = ("/common/discovery/keys",)
UNLOCKED_SUFFIXES = ("/.well-known/openid-configuration",)
