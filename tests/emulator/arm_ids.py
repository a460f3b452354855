"""ARM resource id helpers. Ids compare case-insensitively; scopes are ancestors by path segments."""
import re

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(/resourcegroups/(?P<rg>[^/]+))?"
    r"(/providers/(?P<namespace>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+))?$",
    re.IGNORECASE,
)


def normalize(resource_id):
    return "/" + resource_id.strip("/").lower()


def parse(resource_id):
    m = _ID.match("/" + resource_id.strip("/"))
    return m.groupdict() if m else None


def is_within(scope, ancestor):
    """True when ``scope`` equals ``ancestor`` or lies below it."""
    scope, ancestor = normalize(scope), normalize(ancestor)
    return scope == ancestor or scope.startswith(ancestor.rstrip("/") + "/")
