# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The only place the extension waits: backoff after a failure, bounded, with jitter."""
import random
import time


def backoff_seconds(attempt, base=0.5, cap=15.0):
    """Exponential backoff with full jitter for retry ``attempt`` (1 for the first retry)."""
    return random.uniform(base / 2, min(cap, base * 2 ** (attempt - 1)))


def sleep_before_retry(attempt, base=0.5, cap=15.0):
    delay = backoff_seconds(attempt, base, cap)
    time.sleep(delay)
    return delay
