# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The only places the extension waits: after a failure, bounded, with jitter; as long as the service said to (a
Retry-After, a quota's reset); and between the polls of a `wait` command, as often and as long as its user asked.

Cluster writes meet two refusals worth retrying: the cluster changed since it was read (412, and AKS's own
409 EtagMismatch "Another operation is in progress", which is its internal eTag race: read again and re-apply, a
bounded number of times), and the cluster is busy (409 OperationNotAllowed while another operation runs: wait for
it, within a time budget that `az config set podidentity.busy_wait_seconds=N` or AZURE_PODIDENTITY_BUSY_WAIT_SECONDS
changes). The service also answers 409 OperationNotAllowed for blocks that waiting never clears (for example a node
disruption policy): a 409 whose message does not say that another operation is in progress counts as busy only
while the cluster's own provisioningState says an operation runs.
"""
import random
import time

from azure.cli.core.azclierror import AzureResponseError
from knack.log import get_logger

from azext_podidentity.arm import service_errors

logger = get_logger(__name__)

MAX_CONFLICT_RETRIES = 30
DEFAULT_BUSY_WAIT_SECONDS = 900


def backoff_seconds(attempt, base=0.5, cap=15.0):
    """Exponential backoff with full jitter for retry ``attempt`` (1 for the first retry)."""
    return random.uniform(base / 2, min(cap, base * 2 ** (attempt - 1)))


def sleep_before_retry(attempt, base=0.5, cap=15.0):
    delay = backoff_seconds(attempt, base, cap)
    time.sleep(delay)
    return delay


CHANGED, BUSY, BLOCKED = "changed", "busy", "blocked"
# provisioningState values of a cluster that runs no operation; any other one means an operation runs
SETTLED_STATES = ("succeeded", "failed", "canceled")
_IN_PROGRESS_WORDS = ("in progress", "another operation")


def classify_refusal(error, read_provisioning_state):
    """(CHANGED, BUSY, BLOCKED or None, the provisioningState read or None) for a refused cluster write.

    ``read_provisioning_state()`` is called only when the service's answer leaves open whether waiting helps.
    """
    status = getattr(error, "status_code", None)
    fields = service_errors.of_exception(error)
    if status == 412 or (status == 409 and fields["code"] == "EtagMismatch"):
        return CHANGED, None
    if status != 409 or fields["code"] != "OperationNotAllowed":
        return None, None
    if any(words in (fields["message"] or "").lower() for words in _IN_PROGRESS_WORDS):
        return BUSY, None
    state = read_provisioning_state()
    return (BUSY if state and state.lower() not in SETTLED_STATES else BLOCKED), state


def blocked_error(error, cluster_name, provisioning_state):
    """A 409 that waiting cannot clear, or one that cannot be told apart (the provisioningState could not be read):
    fail now, with the service's code, subcode and message, claiming only what is known."""
    refusal = service_errors.describe(service_errors.of_exception(error))
    if provisioning_state is None:
        return AzureResponseError(
            f"{refusal}\nThe service refuses this change of cluster '{cluster_name}', and whether waiting would clear "
            "it cannot be told: the cluster's provisioningState could not be read. Nothing was changed. Run the "
            "command again; if the service refuses it again, resolve what its message names.")
    return AzureResponseError(
        f"{refusal}\nThe service refuses this change of cluster '{cluster_name}', and waiting will not clear it: the "
        f"cluster runs no other operation (provisioningState: {provisioning_state}). Nothing was changed. Resolve "
        "what the service's message names, then run the command again.")


def retry_transient(operation, transient, budget_seconds, give_up, announce):
    """Run ``operation``; while it raises an azure-core HttpResponseError that ``transient(error)`` accepts, try again
    after a jittered backoff (1 s doubling to 10 s) for at most ``budget_seconds``, each retry told by
    ``announce(delay, attempt)``; past that, raise ``give_up(error)``. For refusals that others' writes cause and then
    clear (overlapping credential writes, an identity others are giving room back on)."""
    from azure.core.exceptions import HttpResponseError
    deadline = time.monotonic() + budget_seconds
    attempt = 0
    while True:
        try:
            return operation()
        except HttpResponseError as ex:
            if not transient(ex):
                raise
            if time.monotonic() >= deadline:
                raise give_up(ex) from ex
            attempt += 1
            announce(sleep_before_retry(attempt, base=1.0, cap=10.0), attempt)


def wait_as_told(seconds):
    """A wait the service asked for: a 429's Retry-After, or the reset of a quota it said is used up."""
    if seconds > 0:
        time.sleep(seconds)


def poll(check, interval, timeout):
    """`wait` commands: call ``check`` every ``interval`` seconds (the user's --interval) until it returns True, for at
    most ``timeout`` seconds (--timeout). Returns whether it did."""
    deadline = time.monotonic() + timeout
    while not check():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))
    return True


class WriteRetries:
    """Decides, after a refused cluster write, whether to try again, and waits before it."""

    def __init__(self, cli_ctx, cluster_name):
        self.cluster_name = cluster_name
        self.busy_budget = cli_ctx.config.getint("podidentity", "busy_wait_seconds",
                                                 fallback=DEFAULT_BUSY_WAIT_SECONDS)
        self.conflicts = 0
        self.busy_retries = 0
        self._busy_since = None

    def after_conflict(self):
        self.conflicts += 1
        if self.conflicts > MAX_CONFLICT_RETRIES:
            raise AzureResponseError(
                f"Cluster '{self.cluster_name}' kept changing while this command tried to update it "
                f"({self.conflicts} attempts). Run the command again.")
        logger.warning("Cluster '%s' was changed by someone else since it was read; reading it again and "
                       "re-applying this change (retry %d).", self.cluster_name, self.conflicts)
        sleep_before_retry(self.conflicts)

    def after_refusal(self, error, read_provisioning_state, reapply=True):
        """After a refused cluster write: wait, then True when the write is to be made again on a fresh read (the
        cluster changed and the change may be re-applied, or it was busy); an error when waiting cannot clear the
        refusal; False when the refusal is none of these, for the caller to explain."""
        kind, state = classify_refusal(error, read_provisioning_state)
        if kind == CHANGED and reapply:
            self.after_conflict()
            return True
        if kind == BUSY:
            self.after_busy(error)
            return True
        if kind == BLOCKED:
            raise blocked_error(error, self.cluster_name, state) from error
        return False

    def after_busy(self, error):
        now = time.monotonic()
        self._busy_since = self._busy_since or now
        waited = now - self._busy_since
        if waited >= self.busy_budget:
            raise AzureResponseError(
                f"{service_errors.describe(service_errors.of_exception(error))}\nCluster '{self.cluster_name}' is "
                f"still busy after {waited:.0f} s of waiting: another operation is in progress. Run the command again "
                "once it has finished.") from error
        self.busy_retries += 1
        delay = min(backoff_seconds(self.busy_retries, base=2.0, cap=30.0), self.busy_budget - waited)
        logger.warning("Cluster '%s' is busy: another operation is in progress; trying again in %.0f s.",
                       self.cluster_name, max(delay, 1))
        time.sleep(delay)
