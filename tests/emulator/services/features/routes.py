"""Microsoft.Features and provider registration over ARM paths (models.py holds the state and rules)."""
from ...http_types import Response
from ...routing import Router

router = Router()
_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_FEATURES = _SUB + r"/providers/Microsoft\.Features"
_FEATURE = _FEATURES + r"/providers/(?P<namespace>[^/]+)/features/(?P<feature>[^/]+)"


def get_feature(world, req, sub, namespace, feature):
    return Response(200, world.features.get(sub, namespace, feature))


def register_feature(world, req, sub, namespace, feature):
    return Response(200, world.features.register(sub, namespace, feature))


def unregister_feature(world, req, sub, namespace, feature):
    return Response(200, world.features.register(sub, namespace, feature, registering=False))


def list_features(world, req, sub, namespace=None):
    return Response(200, {"value": world.features.list(sub, namespace)})


def get_provider(world, req, sub, namespace):
    return Response(200, world.features.provider(sub, namespace))


def register_provider(world, req, sub, namespace):
    return Response(200, world.features.register_provider(sub, namespace))


def list_providers(world, req, sub):
    return Response(200, {"value": world.features.list_providers(sub)})


router.add("GET", _FEATURE, get_feature)
router.add("POST", _FEATURE + r"/register", register_feature)
router.add("POST", _FEATURE + r"/unregister", unregister_feature)
router.add("GET", _FEATURES + r"/features", list_features)
router.add("GET", _FEATURES + r"/providers/(?P<namespace>[^/]+)/features", list_features)
router.add("GET", _SUB + r"/providers/(?P<namespace>[^/]+)", get_provider)
router.add("POST", _SUB + r"/providers/(?P<namespace>[^/]+)/register", register_provider)
router.add("GET", _SUB + r"/providers", list_providers)
