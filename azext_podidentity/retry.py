# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The only places the extension waits: after a failure, bounded, with jitter; and between the polls of a `wait`
command, as often and as long as its user asked.

Cluster writes meet two refusals worth retrying: 412 (another writer changed the cluster since it was read:
read again and re-apply, a bounded number of times) and 409 OperationNotAllowed (another operation is
running: wait for it, within a time budget that `az config set podidentity.busy_wait_seconds=N` or
AZURE_PODIDENTITY_BUSY_WAIT_SECONDS changes).
"""
import random
import time

from azure.cli.core.azclierror import AzureResponseError
from knack.log import get_logger

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


def is_cluster_changed(error):
    """412: another writer changed the cluster since it was read (older SDKs do not map it to an error type)."""
    return getattr(error, "status_code", None) == 412


def is_cluster_busy(error):
    """409 OperationNotAllowed: the service refuses a write while another operation runs on the cluster."""
    code = getattr(getattr(error, "error", None), "code", None)
    return getattr(error, "status_code", None) == 409 and (code == "OperationNotAllowed"
                                                           or "OperationNotAllowed" in str(error))


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

    def after_busy(self, error):
        now = time.monotonic()
        self._busy_since = self._busy_since or now
        waited = now - self._busy_since
        if waited >= self.busy_budget:
            raise AzureResponseError(
                f"{error.message if hasattr(error, 'message') else error}\nCluster '{self.cluster_name}' is still "
                f"busy after {waited:.0f} s of waiting: another operation is in progress. Run the command again "
                "once it has finished.") from error
        self.busy_retries += 1
        delay = min(backoff_seconds(self.busy_retries, base=2.0, cap=30.0), self.busy_budget - waited)
        logger.warning("Cluster '%s' is busy: another operation is in progress; trying again in %.0f s.",
                       self.cluster_name, max(delay, 1))
        time.sleep(delay)
