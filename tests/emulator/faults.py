"""Faults injected by tests: the next N requests matching a method and path fail in a chosen way."""
import re
import threading
from dataclasses import dataclass, field


@dataclass
class FaultRule:
    method: str                 # "*" for any
    path: str                   # regular expression searched in the path, case-insensitive
    count: int = 1
    after: int = 0              # let this many matching requests through first
    # "status": answer an error; "reset": drop the connection;
    # "operation": accept the write, end its operation Failed or Canceled;
    # "interleave": another writer changes the cluster (``patch``) just before the request is served;
    # "action": before the request is served, something else happens (``action``, see control.perform):
    # another client's change of a named cluster, or role assignments revoked;
    # "condition": the service meets a condition it answers in its own words (``condition``, see
    # services/aks/models.py SERVICE_CONDITIONS): the managed-cluster service's node disruption policy block, or its
    # internal eTag race;
    # "barrier": the first ``count`` matching requests are each held until all ``count`` have arrived (at most
    # ``timeout`` seconds), then served: several clients are made to read before any of them writes.
    kind: str = "status"
    status: int = 500
    code: str = "InternalServerError"
    message: str = "An internal server error occurred. Please try again later."
    retry_after: int = None
    # "arm": {"error": {code, message}}; "aks": the AKS provider's unwrapped {code, details, message, subcode}
    shape: str = "arm"
    subcode: str = None
    details: list = None
    operation_status: str = "Failed"
    patch: dict = None
    action: dict = None
    timeout: float = 60.0
    condition: str = None
    arrived: int = field(default=0, init=False)
    parties: int = field(default=0, init=False)

    def matches(self, method, path):
        return self.count > 0 and self.method in ("*", method) and re.search(self.path, path, re.IGNORECASE)


class Faults:
    def __init__(self):
        self.rules = []
        self.barrier_timeouts = 0
        self._barrier = threading.Condition()

    def add(self, **spec):
        rule = FaultRule(**spec)
        rule.parties = rule.count
        if rule.kind not in ("status", "reset", "operation", "interleave", "action", "barrier",
                             "condition"):
            raise ValueError(f"unknown fault kind {rule.kind!r}")
        if rule.shape not in ("arm", "aks"):
            raise ValueError(f"unknown error shape {rule.shape!r}")
        self.rules.append(rule)
        return rule

    def clear(self):
        self.rules = []

    def _take(self, method, path, kinds):
        for rule in self.rules:
            if rule.kind in kinds and rule.matches(method, path):
                if rule.after > 0:
                    rule.after -= 1
                    continue
                rule.count -= 1
                return rule
        return None

    def wait_at_barrier(self, method, path):
        """Hold a request that a barrier catches until the barrier's last party arrives (called without the world's
        lock, so that the others can arrive)."""
        with self._barrier:
            rule = self._take(method, path, ("barrier",))
            if rule is None:
                return
            rule.arrived += 1
            self._barrier.notify_all()
            if not self._barrier.wait_for(lambda: rule.arrived >= rule.parties, timeout=rule.timeout):
                self.barrier_timeouts += 1

    def take_interleaved_write(self, method, path):
        rule = self._take(method, path, ("interleave",))
        return rule.patch if rule else None

    def take_action(self, method, path):
        rule = self._take(method, path, ("action",))
        return rule.action if rule else None

    def take_condition(self, method, path):
        rule = self._take(method, path, ("condition",))
        return rule.condition if rule else None

    def take_transport_fault(self, method, path):
        return self._take(method, path, ("status", "reset"))

    def take_operation_outcome(self, method, path):
        rule = self._take(method, path, ("operation",))
        if rule is None:
            return None
        return {"status": rule.operation_status, "code": rule.code, "message": rule.message}
