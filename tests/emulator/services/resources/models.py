"""Resource groups per subscription."""
from ...errors import ArmError


def _group_not_found(name):
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


class ResourceGroupsBackend:
    def __init__(self):
        self.groups = {}  # (sub, rg) lower-cased -> body

    def put(self, sub, name, location, tags=None):
        key = (sub.lower(), name.lower())
        existed = key in self.groups
        body = self.groups.get(key) or {
            "id": f"/subscriptions/{sub}/resourceGroups/{name}", "name": name,
            "type": "Microsoft.Resources/resourceGroups", "properties": {"provisioningState": "Succeeded"},
        }
        body["location"] = location or body.get("location")
        if tags is not None:
            body["tags"] = tags
        self.groups[key] = body
        return body, existed

    def get(self, sub, name):
        found = self.groups.get((sub.lower(), name.lower()))
        if not found:
            raise _group_not_found(name)
        return found

    def exists(self, sub, name):
        return (sub.lower(), name.lower()) in self.groups

    def require(self, sub, name):
        self.get(sub, name)

    def delete(self, sub, name):
        if self.groups.pop((sub.lower(), name.lower()), None) is None:
            raise _group_not_found(name)

    def list(self, sub):
        return [g for (s, _), g in self.groups.items() if s == sub.lower()]
