"""Maps (method, path pattern) to route handlers. Paths match case-insensitively, as ARM does."""
import re


class Router:
    def __init__(self):
        self._routes = []

    def add(self, method, pattern, handler):
        self._routes.append((method, re.compile(pattern + r"/?$", re.IGNORECASE), handler))

    def include(self, other):
        self._routes.extend(other._routes)

    def match(self, method, path):
        """Return (handler, groupdict), (None, None) when nothing matches the path, or 405 info."""
        path_matched = False
        for route_method, regex, handler in self._routes:
            m = regex.match(path)
            if not m:
                continue
            path_matched = True
            if route_method == method:
                return handler, m.groupdict()
        return None, ("method" if path_matched else None)


SEGMENT = r"[^/]+"


def sub_rg(prefix=""):
    """Pattern of ``/subscriptions/{sub}/resourceGroups/{rg}`` with named groups."""
    return prefix + rf"/subscriptions/(?P<sub>{SEGMENT})/resourcegroups/(?P<rg>{SEGMENT})"
