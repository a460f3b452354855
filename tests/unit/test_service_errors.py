"""Pure: service errors in both shapes, and what a refused cluster write calls for."""
import json

import pytest

from azext_podidentity.arm import retry, service_errors

ARM = {"error": {"code": "AuthorizationFailed", "message": "no read"}}
AKS = {"code": "OperationNotAllowed", "details": None, "subcode": "OperationBlockedByNodeDisruptionPolicy",
       "message": "Operation 'PutManagedClusterHandler.PUT' is blocked by node disruption policy."}


def test_both_shapes_parse_to_code_subcode_and_message():
    assert service_errors.parse(ARM) == {"code": "AuthorizationFailed", "subcode": None, "message": "no read",
                                         "details": None}
    assert service_errors.parse(AKS) == {"code": AKS["code"], "subcode": AKS["subcode"], "message": AKS["message"],
                                         "details": None}
    for nothing in (None, "", [], {}, {"error": {}}, {"details": []}):
        assert service_errors.parse(nothing) is None


def test_describe_keeps_code_subcode_and_message_or_says_the_status():
    assert service_errors.describe(service_errors.parse(ARM)) == "(AuthorizationFailed) no read"
    assert service_errors.describe(service_errors.parse(AKS)) == (
        f"(OperationNotAllowed, subcode OperationBlockedByNodeDisruptionPolicy) {AKS['message']}")
    assert service_errors.describe(None, 403, "Forbidden") == "HTTP 403 Forbidden"


def test_the_reason_in_details_is_kept():
    """Resource Graph answers a 500 whose message asks for a correlation id, with the reason in error.details."""
    graph = {"error": {"code": "InternalServerError", "message": "Please provide below info when asking for support: "
                       "timestamp = 2026-12-03T10:00:00Z, correlationId = 0b6f.",
                       "details": [{"code": "BadRequest", "message": "Query is invalid: column 'x' not found."},
                                   {"note": "no code, no message"}]}}
    assert service_errors.describe(service_errors.parse(graph)) == (
        f"(InternalServerError) {graph['error']['message']} Details: (BadRequest) Query is invalid: column 'x' not "
        "found.")


class _Response:
    def __init__(self, body):
        self._body = body

    def json(self):
        if self._body is None:
            raise ValueError("no body")
        return json.loads(json.dumps(self._body))


class _Refusal(Exception):
    """Stands in for azure-core's HttpResponseError: what classify_refusal reads of it."""

    def __init__(self, status, body):
        super().__init__("refused")
        self.status_code, self.response, self.error, self.message = status, _Response(body), None, "refused"


def _never_read():
    raise AssertionError("the cluster was read although the answer was clear")


@pytest.mark.parametrize("status,body,kind", [
    (412, {"code": "PreconditionFailed", "message": "x"}, retry.CHANGED),
    (409, {"code": "EtagMismatch", "message": "Operation is not allowed: Another operation is in progress"},
     retry.CHANGED),
    (409, {"code": "OperationNotAllowed", "message": "Operation is not allowed because there's an in progress "
                                                     "update managed cluster operation"}, retry.BUSY),
    (409, {"error": {"code": "OperationNotAllowed", "message": "Another operation (nodepool1 - Updating) is in "
                                                               "progress"}}, retry.BUSY),
    (409, {"error": {"code": "Conflict", "message": "x"}}, None),
    (400, {"code": "OperationNotAllowed", "message": "in progress"}, None),
])
def test_clear_answers_decide_without_reading_the_cluster(status, body, kind):
    assert retry.classify_refusal(_Refusal(status, body), _never_read) == (kind, None)


@pytest.mark.parametrize("state,kind", [("Succeeded", retry.BLOCKED), ("Failed", retry.BLOCKED),
                                        (None, retry.BLOCKED), ("Updating", retry.BUSY), ("Upgrading", retry.BUSY)])
def test_a_409_that_does_not_say_why_is_decided_by_the_cluster_state(state, kind):
    assert retry.classify_refusal(_Refusal(409, AKS), lambda: state) == (kind, state)


def test_the_blocked_error_keeps_the_service_s_words():
    message = str(retry.blocked_error(_Refusal(409, AKS), "c1", "Succeeded"))
    assert message.startswith(f"(OperationNotAllowed, subcode OperationBlockedByNodeDisruptionPolicy) {AKS['message']}")
    assert "waiting will not clear it" in message and "provisioningState: Succeeded" in message
