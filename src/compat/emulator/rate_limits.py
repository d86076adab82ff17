"""The Claude API's rate-limit response headers, from per-minute token buckets.

Every Messages response of the first-party API carries `anthropic-ratelimit-*` headers: the
limit, what remains and when the bucket is full again (RFC 3339), for requests, for input
and output tokens, and as `tokens-*` for the most restrictive token limit in effect; a 429
adds `retry-after` in seconds. The limits are token buckets "continuously replenished up to
your maximum limit, rather than being reset at fixed intervals", counting `input_tokens` and
`cache_creation_input_tokens` (not cache reads) against the input limit.
Source: https://docs.claude.com/en/api/rate-limits#response-headers

The emulator never refuses because a bucket ran dry (only a fault makes a 429); the buckets
exist so the headers tell a consistent story. A 429 also carries `x-should-retry: true`, as
a real one from api.anthropic.com does (the captured response headers in
https://github.com/anthropics/anthropic-sdk-typescript/issues/357, which also show the
second-precision `Z` form of the reset times); the anthropic SDKs obey that header before
their status rules (`_should_retry` in anthropic-sdk-python's `_base_client.py`).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

# Fixed, plausible limits: the Tier 4 row for Claude Sonnet 4.x in the rate-limit tables.
# Source: https://docs.claude.com/en/api/rate-limits#rate-limits
REQUESTS_PER_MINUTE = 4_000
INPUT_TOKENS_PER_MINUTE = 2_000_000
OUTPUT_TOKENS_PER_MINUTE = 400_000

_MINUTE_S = 60.0


def rfc3339(timestamp: float) -> str:
    """A POSIX time as the API writes its reset times: whole seconds, UTC, `Z`."""
    return _whole_second(math.ceil(timestamp))


@functools.lru_cache(maxsize=256)
def _whole_second(second: int) -> str:
    # Cached: the resets of a busy minute name the same few seconds over and over.
    return datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Bucket:
    """One per-minute limit: refilled continuously, drained by what the requests used."""

    limit: int
    level: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.level = min(self.limit, self.level + elapsed * self.limit / _MINUTE_S)
        self.updated = now

    def take(self, amount: float) -> None:
        self.level = max(0.0, self.level - amount)

    @property
    def remaining(self) -> int:
        return math.floor(self.level)

    def reset(self, now: float) -> float:
        """When the bucket will be full again."""
        return now + (self.limit - self.level) * _MINUTE_S / self.limit

    def headers(self, name: str, now: float) -> dict[str, str]:
        prefix = f"anthropic-ratelimit-{name}"
        return {
            f"{prefix}-limit": str(self.limit),
            f"{prefix}-remaining": str(self.remaining),
            f"{prefix}-reset": rfc3339(self.reset(now)),
        }


class RateLimits:
    """The buckets of one emulated organization, and the headers each response reports."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        now = clock()
        self._requests = _Bucket(REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE, now)
        self._input = _Bucket(INPUT_TOKENS_PER_MINUTE, INPUT_TOKENS_PER_MINUTE, now)
        self._output = _Bucket(OUTPUT_TOKENS_PER_MINUTE, OUTPUT_TOKENS_PER_MINUTE, now)
        self._lock = threading.Lock()

    def served(self, *, input_tokens: int, output_tokens: int) -> dict[str, str]:
        """Count one answered request against the buckets; the headers of its response."""
        with self._lock:
            now = self._refilled()
            self._requests.take(1)
            self._input.take(input_tokens)
            self._output.take(output_tokens)
            return self._headers(now)

    def refused(self, retry_after_s: int | None) -> dict[str, str]:
        """The headers of a 429: the request bucket is empty, retry in `retry_after_s`."""
        with self._lock:
            now = self._refilled()
            self._requests.take(self._requests.level)
            headers = self._headers(now)
        if retry_after_s is not None:
            headers["retry-after"] = str(retry_after_s)
        headers["x-should-retry"] = "true"
        return headers

    def _refilled(self) -> float:
        now = self._clock()
        for bucket in (self._requests, self._input, self._output):
            bucket.refill(now)
        return now

    def _headers(self, now: float) -> dict[str, str]:
        # `tokens-*` repeat the most restrictive token limit: the one with the smaller
        # share left.
        tightest = min((self._input, self._output), key=lambda bucket: bucket.level / bucket.limit)
        return {
            **self._requests.headers("requests", now),
            **tightest.headers("tokens", now),
            **self._input.headers("input-tokens", now),
            **self._output.headers("output-tokens", now),
        }
