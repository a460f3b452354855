"""User-assigned managed identities, in any subscription."""
import uuid

from ... import arm_ids
from ...errors import not_found
from ..platform.models import TENANT_ID

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


class ManagedIdentityBackend:
    def __init__(self, resources):
        self.resources = resources
        self.identities = {}  # normalized id -> body

    @staticmethod
    def identity_id(sub, rg, name):
        return f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{IDENTITY_TYPE}/{name}"

    def put(self, sub, rg, name, location, tags=None, client_id=None, principal_id=None):
        self.resources.require(sub, rg)
        rid = self.identity_id(sub, rg, name)
        key = arm_ids.normalize(rid)
        existed = key in self.identities
        body = self.identities.get(key) or {
            "id": rid, "name": name, "type": IDENTITY_TYPE,
            "properties": {"tenantId": TENANT_ID, "principalId": principal_id or str(uuid.uuid4()),
                           "clientId": client_id or str(uuid.uuid4())},
        }
        body["location"] = location or body.get("location") or "eastus"
        body["tags"] = tags or body.get("tags") or {}
        self.identities[key] = body
        return body, existed

    def get(self, sub, rg, name):
        return self.get_by_id(self.identity_id(sub, rg, name))

    def find(self, resource_id):
        return self.identities.get(arm_ids.normalize(resource_id))

    def get_by_id(self, resource_id):
        found = self.find(resource_id)
        if not found:
            parts = arm_ids.parse(resource_id) or {}
            raise not_found(IDENTITY_TYPE, parts.get("name") or resource_id, parts.get("rg") or "")
        return found

    def delete(self, sub, rg, name):
        return self.identities.pop(arm_ids.normalize(self.identity_id(sub, rg, name)), None) is not None

    def list(self, sub, rg=None):
        prefix = arm_ids.normalize(f"/subscriptions/{sub}" + (f"/resourcegroups/{rg}" if rg else "")) + "/"
        return [v for k, v in self.identities.items() if k.startswith(prefix)]
