"""User-assigned managed identities, in any subscription, and their federated identity credentials.

As recorded (tests/emulator_service/recorded/fic_create_list_update_delete.json): a credential PUT answers 201 when
it creates and 200 when it replaces, a listing has no nextLink, a DELETE answers 200 with an empty body. The
service refuses credential writes to one identity that overlap (409
``ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity``, bicep-registry-modules#1447): here a
write keeps its identity busy for ``credential_write_seconds`` (a setting), and another write meanwhile is refused.
How long a real write keeps it busy is not recorded; nor is that error's shape (given the wrapped ARM shape).
"""
import re
import time
import uuid

from ... import arm_ids
from ...errors import ArmError, bad_request, not_found
from ..platform.models import TENANT_ID

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
CREDENTIAL_TYPE = IDENTITY_TYPE + "/federatedIdentityCredentials"
MAX_CREDENTIALS = 20
_CREDENTIAL_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}")


class ManagedIdentityBackend:
    def __init__(self, resources, settings=None):
        self.resources = resources
        self.settings = settings if settings is not None else {}
        self._writing_until = {}  # normalized identity id -> when its last credential write is done
        self.identities = {}  # normalized id -> body
        self.credentials = {}  # normalized identity id -> {lower-cased name: body}

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
        key = arm_ids.normalize(self.identity_id(sub, rg, name))
        self.credentials.pop(key, None)
        return self.identities.pop(key, None) is not None

    # ----- federated identity credentials
    def _credentials_of(self, sub, rg, name):
        identity = self.get(sub, rg, name)
        return identity, self.credentials.setdefault(arm_ids.normalize(identity["id"]), {})

    def _start_credential_write(self, identity):
        key = arm_ids.normalize(identity["id"])
        now = time.time()
        if now < self._writing_until.get(key, 0):
            raise ArmError(409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity",
                           "Too many Federated Identity Credentials are written concurrently for the managed "
                           f"identity '{identity['id'].lower()}'. Concurrent Federated Identity Credentials writes "
                           "under the same managed identity are not supported.")
        self._writing_until[key] = now + float(self.settings.get("credential_write_seconds") or 0)

    def put_credential(self, sub, rg, name, credential_name, properties):
        """Create or replace a credential. The identity takes 20 at most, each issuer and subject pair once."""
        identity, credentials = self._credentials_of(sub, rg, name)
        self._start_credential_write(identity)
        if not _CREDENTIAL_NAME.fullmatch(credential_name):
            raise bad_request("InvalidParameter", f"The federated identity credential name '{credential_name}' is "
                                                  "invalid: 3 to 120 letters, digits, '-' or '_', starting with a "
                                                  "letter or digit.")
        issuer, subject = properties.get("issuer"), properties.get("subject")
        audiences = properties.get("audiences") or []
        if not (issuer or "").startswith("https://") or not subject or len(audiences) != 1:
            raise bad_request("InvalidParameter", "A federated identity credential needs an https issuer, a subject "
                                                  "and exactly one audience.")
        existed = credential_name.lower() in credentials
        for other_name, other in credentials.items():
            if other_name != credential_name.lower() and other["properties"]["issuer"] == issuer \
                    and other["properties"]["subject"] == subject:
                raise bad_request("BadRequest", "Issuer and subject combination already exists for this Managed "
                                                "Identity.")
        if not existed and len(credentials) >= MAX_CREDENTIALS:
            raise bad_request("BadRequest", f"Too many Federated Identity Credentials are present on the identity "
                                            f"'{name}'. The maximum allowed is {MAX_CREDENTIALS}.")
        body = {"id": f"{identity['id']}/federatedIdentityCredentials/{credential_name}", "name": credential_name,
                "type": CREDENTIAL_TYPE,
                "properties": {"issuer": issuer, "subject": subject, "audiences": list(audiences)}}
        credentials[credential_name.lower()] = body
        return body, existed

    def get_credential(self, sub, rg, name, credential_name):
        _, credentials = self._credentials_of(sub, rg, name)
        found = credentials.get(credential_name.lower())
        if not found:
            raise ArmError(404, "NotFound", f"The federated identity credential '{credential_name}' was not found.")
        return found

    def delete_credential(self, sub, rg, name, credential_name):
        identity, credentials = self._credentials_of(sub, rg, name)
        self._start_credential_write(identity)
        return credentials.pop(credential_name.lower(), None) is not None

    def list_credentials(self, sub, rg, name):
        return list(self._credentials_of(sub, rg, name)[1].values())

    def list(self, sub, rg=None):
        prefix = arm_ids.normalize(f"/subscriptions/{sub}" + (f"/resourcegroups/{rg}" if rg else "")) + "/"
        return [v for k, v in self.identities.items() if k.startswith(prefix)]
