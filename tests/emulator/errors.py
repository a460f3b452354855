"""The ARM error shape every service raises: ``{"error": {"code", "message"}}`` with an HTTP status."""


class ArmError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message}}


def not_found(resource_type, name, resource_group):
    # Wording of the real 404 (reference/real-responses/error_managedcluster_get_404.json).
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
                    "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def bad_request(code, message):
    return ArmError(400, code, message)
