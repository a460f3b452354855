# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: the code, subcode and message of a refused request, in either shape Azure answers with.

ARM and most resource providers wrap their errors, ``{"error": {"code", "message", ...}}``; the AKS resource
provider puts its own fields at the top, ``{"code", "subcode", "message", "details"}``. Every message the extension
prints about a refusal keeps the service's code (and subcode) and message, whichever shape it came in.
"""


def parse(body):
    """{"code", "subcode", "message", "details"} of an error body (each None when absent; ``details``: the
    ``(code) message`` of each detail, where services such as Resource Graph put the reason); None for a body that is
    none."""
    if not isinstance(body, dict):
        return None
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    fields = {key: inner.get(key) if isinstance(inner.get(key), str) else None
              for key in ("code", "subcode", "message")}
    details = [d for d in inner.get("details") or [] if isinstance(d, dict) and (d.get("code") or d.get("message"))]
    fields["details"] = [f"({d.get('code') or 'Error'}) {d.get('message') or ''}".strip() for d in details] or None
    return fields if fields["code"] or fields["message"] else None


def describe(fields, status=None, reason=None):
    """``(code, subcode S) message Details: (code) message; ...``; ``HTTP status reason`` when the body said
    nothing."""
    if not fields:
        return f"HTTP {status} {reason or ''}".strip()
    label = fields["code"] or "Error"
    if fields.get("subcode"):
        label += f", subcode {fields['subcode']}"
    text = f"({label}) {fields['message'] or ''}".strip()
    if fields.get("details"):
        text += " Details: " + "; ".join(fields["details"])
    return text


def of_exception(error):
    """The fields of an azure-core HttpResponseError: from its response body, else from what the SDK parsed."""
    response = getattr(error, "response", None)
    try:
        fields = parse(response.json()) if response is not None else None
    except (ValueError, AttributeError, TypeError):
        fields = None
    if fields:
        return fields
    parsed = getattr(error, "error", None)
    return {"code": getattr(parsed, "code", None), "subcode": None, "details": None,
            "message": getattr(parsed, "message", None) or getattr(error, "message", None) or str(error)}
