"""The two error shapes the emulated services answer with, each as recorded.

- ``ArmError``: ``{"error": {"code", "message"}}``: ARM's gateway (the 404 of a missing resource,
  recorded with ``x-ms-failure-cause: gateway``) and the other resource providers (identity, authorization).
- ``AksError``: the managed-cluster resource provider's own errors are not wrapped: ``{"code", "details",
  "message", "subcode"}`` (recorded/aks2026_etag_lro_errors.json, a 409 of 2026; the EtagMismatch body users
  pasted has the same keys). The older recordings hold no AKS error body, so the emulator gives this shape to
  every error the AKS provider itself raises.
"""


class ArmError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message}}


class AksError(ArmError):
    def __init__(self, status, code, message, subcode=None, details=None, headers=None):
        super().__init__(status, code, message, headers)
        self.subcode = subcode
        self.details = details

    def body(self):
        return {"code": self.code, "details": self.details, "message": self.message, "subcode": self.subcode}


def error_body(shape, code, message, subcode=None, details=None):
    """The body of an injected error: ``shape`` "arm" (wrapped, with ``details`` when given, as Resource Graph and
    other providers add them) or "aks" (the AKS provider's own)."""
    if shape == "aks":
        return AksError(0, code, message, subcode, details).body()
    body = ArmError(0, code, message).body()
    if details:
        body["error"]["details"] = details
    return body


def not_found(resource_type, name, resource_group):
    # Wording of the real 404 (reference/real-responses/error_managedcluster_get_404.json).
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
                    "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def bad_request(code, message):
    return ArmError(400, code, message)


def aks_bad_request(code, message, subcode=None):
    return AksError(400, code, message, subcode)
