"""Tenant, subscriptions and the managed-identity token: what `az login --identity` needs.

Tokens are signed (RS256) with a key of the emulator's, published as Microsoft Entra ID publishes its keys (an
OpenID discovery document and a JWKS), so that the API servers of emulated AAD clusters can check them as AKS
checks tokens for its server application. Their claims are those of Entra ID's v1 access tokens (``iss``
``https://sts.windows.net/<tenant>/``, ``aud`` the resource asked for, ``oid``, ``tid``); ``groups`` lists the
groups the emulator holds the caller in. Which claim AKS maps to the Kubernetes user name is not documented: the
emulator maps ``oid`` (see services/aks/cluster_api.py).
"""
import base64
import time

from ...errors import ArmError

TENANT_ID = "6e4a2d3c-7f10-4b58-9a1e-2c3d4e5f6a7b"
# The object id of the identity the CLI logs in as (a CI pipeline's managed identity).
PIPELINE_OBJECT_ID = "9f1c2b3a-4d5e-4f60-8a7b-0c1d2e3f4a5b"
DEFAULT_SUBSCRIPTION = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
SECOND_SUBSCRIPTION = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
# A Microsoft Entra group the pipeline is a member of; AAD clusters name it in aadProfile.adminGroupObjectIDs to
# make their members cluster admins.
CLUSTER_ADMINS_GROUP = "4b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d"
ISSUER = f"https://sts.windows.net/{TENANT_ID}/"
SIGNING_KEY_ID = "emulator-signing-key"


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PlatformBackend:
    """Subscriptions, and the caller's access to them. A subscription can be left out of the caller's listing
    (``listed`` False) and closed to the caller (``readable`` False: no role in it), as ARM leaves out and refuses
    what a caller holds no role for; what ARM answers then is ``no_access``. No recording here holds that 403: its
    code and wording are ARM's AuthorizationFailed as public issue threads quote it, the action read off the path."""

    def __init__(self):
        self.subscriptions = {}
        self.unlisted, self.unreadable = set(), set()
        self.add_subscription(DEFAULT_SUBSCRIPTION, "Emulated subscription")
        self.add_subscription(SECOND_SUBSCRIPTION, "Emulated identity subscription")
        self.tokens_issued = []
        self.groups = {PIPELINE_OBJECT_ID: [CLUSTER_ADMINS_GROUP]}
        from cryptography.hazmat.primitives.asymmetric import rsa
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def listed(self):
        return [s for key, s in self.subscriptions.items() if key not in self.unlisted]

    def readable(self, subscription_id):
        return subscription_id.lower() not in self.unreadable

    @staticmethod
    def no_access(caller, method, path):
        """ARM's 403 for a request in a subscription the caller holds no role in; the action is read off the path
        (the last provider's type, then read, write, delete or action)."""
        parts = path.strip("/").split("/")
        action = "Microsoft.Resources/subscriptions/read"
        if "providers" in parts:
            at = len(parts) - 1 - parts[::-1].index("providers")
            verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(
                method, "action")
            action = "/".join(parts[at + 1:at + 2] + parts[at + 2::2] + [verb])
        scope = "/" + "/".join(parts)
        return ArmError(403, "AuthorizationFailed",
                        f"The client '{caller}' with object id '{caller}' does not have authorization to perform "
                        f"action '{action}' over scope '{scope}' or the scope is invalid. If access was "
                        "recently granted, please refresh your credentials.")

    def add_subscription(self, subscription_id, display_name, listed=True, readable=True):
        self.subscriptions[subscription_id.lower()] = {
            "id": f"/subscriptions/{subscription_id}",
            "subscriptionId": subscription_id,
            "tenantId": TENANT_ID,
            "displayName": display_name,
            "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "Internal_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased",
        }
        if not listed:
            self.unlisted.add(subscription_id.lower())
        if not readable:
            self.unreadable.add(subscription_id.lower())

    def issue_token(self, resource):
        now = int(time.time())
        claims = {"aud": resource, "iss": f"https://sts.windows.net/{TENANT_ID}/", "iat": now, "nbf": now,
                  "exp": now + 3600, "oid": PIPELINE_OBJECT_ID, "sub": PIPELINE_OBJECT_ID, "tid": TENANT_ID,
                  "idtyp": "app", "appid": PIPELINE_OBJECT_ID, "groups": self.groups.get(PIPELINE_OBJECT_ID, [])}
        token = self.sign(claims)
        self.tokens_issued.append(token)
        return {"access_token": token, "expires_on": now + 3600, "resource": resource, "token_type": "Bearer"}

    def sign(self, claims):
        import jwt  # PyJWT, which azure-cli brings
        return jwt.encode(claims, self._signing_key, algorithm="RS256", headers={"kid": SIGNING_KEY_ID})

    @staticmethod
    def openid_configuration(base_url):
        """Entra ID's v1 discovery document, with the emulator's address for its keys."""
        return {"issuer": ISSUER, "jwks_uri": f"{base_url}/common/discovery/keys",
                "authorization_endpoint": f"{base_url}/{TENANT_ID}/oauth2/authorize",
                "token_endpoint": f"{base_url}/{TENANT_ID}/oauth2/token", "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"]}

    def signing_keys(self):
        numbers = self._signing_key.public_key().public_numbers()

        def integer(value):
            return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": SIGNING_KEY_ID, "alg": "RS256",
                          "n": integer(numbers.n), "e": integer(numbers.e)}]}

    def cloud_metadata(self, base_url):
        return {
            "name": "AzureEmulator",
            "resourceManager": base_url + "/",
            "portal": base_url + "/portal",
            "authentication": {"loginEndpoint": base_url + "/", "audiences": [base_url + "/"],
                               "tenant": "common", "identityProvider": "AAD"},
            "graphAudience": base_url + "/graph/",
            "graph": base_url + "/graph/",
            "microsoftGraphResourceId": base_url + "/graph/",
            "suffixes": {},
        }

    @staticmethod
    def cloud_metadata_2015(base_url):
        """The older single-cloud shape ARM answers for api-version 2015-01-01."""
        return {"galleryEndpoint": base_url + "/gallery/", "graphEndpoint": base_url + "/graph/",
                "portalEndpoint": base_url + "/portal/",
                "authentication": {"loginEndpoint": base_url + "/", "audiences": [base_url + "/"]}}
