"""Per-provider pacing: a token bucket per provider keeps a run under its requests per minute."""

# Tokens are taken per probe attempt, before its `claude` run or HTTP call starts, and an
# attempt takes as many tokens as upstream requests a working attempt makes
# (`Probe.upstream_requests`: one per model turn). Requests the CLI or the proxy add on
# their own (a retry with fewer betas after a refusal, Vertex AI's token exchange) are not
# charged, so leave some headroom under a provider's published limit.
#
# Each bucket holds one second's worth of tokens (at least one) and refills at the
# configured rate: Anthropic enforces its per-minute limits with a token bucket over
# shorter intervals (its example: 60 RPM may be enforced as one request per second,
# https://docs.anthropic.com/en/api/rate-limits), so a whole minute's requests sent at
# once can be refused even when the minute's total is within the limit.

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping

from aiolimiter import AsyncLimiter
from pydantic import PositiveInt, TypeAdapter, ValidationError

from compat.errors import InputError
from compat.manifest import Manifest, suggest

_RATE = TypeAdapter(PositiveInt)


def burst_size(requests_per_minute: int) -> int:
    """Tokens a full bucket holds: one second's worth of requests, at least one."""
    return max(1, requests_per_minute // 60)


class Pacer:
    """Token buckets per provider; a provider without a rate is never held back."""

    def __init__(self, requests_per_minute: Mapping[str, int]) -> None:
        self.requests_per_minute = dict(requests_per_minute)
        self._buckets = {
            provider: AsyncLimiter(burst_size(rpm), burst_size(rpm) * 60 / rpm)
            for provider, rpm in self.requests_per_minute.items()
        }
        self._queues = {provider: asyncio.Lock() for provider in self._buckets}

    async def take(self, provider: str, amount: int = 1) -> None:
        """Wait until `amount` of the provider's tokens are free, and take them."""
        bucket = self._buckets.get(provider)
        if bucket is None:
            return
        # An attempt worth more tokens than a full bucket holds takes them a bucketful at a
        # time, so its charge stays exact without widening the burst for everyone else.
        while amount > 0:
            step = min(amount, bucket.max_rate)
            await bucket.acquire(step)
            amount -= step

    @contextlib.asynccontextmanager
    async def admit(
        self, provider: str, amount: int, slots: asyncio.Semaphore
    ) -> AsyncIterator[None]:
        """Take the provider's tokens, then one of `slots`, held while the body runs."""
        queue = self._queues.get(provider)
        if queue is None:
            async with slots:
                yield
            return
        # Waiting for tokens holds no slot, so a paced provider never starves the others.
        # Only one cell per provider holds tokens while it waits for a slot: tokens taken
        # during a long wait would otherwise pile up and all start at once when slots free.
        async with queue:
            await self.take(provider, amount)
            await slots.acquire()
        try:
            yield
        finally:
            slots.release()


def parse_rpm_flags(values: Iterable[str], manifest: Manifest) -> dict[str, int]:
    """`--rpm PROVIDER=N` values as {provider: N}; InputError names the first bad one."""
    rates: dict[str, int] = {}
    for value in values:
        provider, sep, number = value.partition("=")
        provider = provider.strip()
        if not sep or not provider or not number.strip():
            raise InputError(f"--rpm: expected PROVIDER=N such as anthropic=50, got {value!r}")
        if provider not in manifest.provider_ids:
            raise InputError(
                f"--rpm {value}: unknown provider {provider!r}"
                f"{suggest(provider, manifest.provider_ids)}"
            )
        try:
            rate = _RATE.validate_python(number.strip())
        except ValidationError:
            raise InputError(
                f"--rpm {value}: N must be a whole number of requests per minute above 0"
            ) from None
        if provider in rates:
            raise InputError(f"--rpm: {provider} given twice")
        rates[provider] = rate
    return rates


def effective_rates(manifest: Manifest, *, live: bool, flags: Mapping[str, int]) -> dict[str, int]:
    """The rates a run paces by: the manifest's for live upstreams, overridden by `--rpm`."""
    # The emulator has no limits to respect: manifest rates would only slow emulated runs.
    base = manifest.requests_per_minute if live else {}
    return {**base, **flags}
