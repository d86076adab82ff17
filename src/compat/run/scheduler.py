"""The scheduler: cells out to their probes with bounded concurrency, each recorded once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from compat.driver import ProxyEndpoint
from compat.manifest import Manifest
from compat.outcome import Evidence, Fail, NotApplicable, NotTested, TierResult
from compat.probes import load_probes
from compat.probes.base import Probe, ProbeContext, Verdict
from compat.run.cells import Cell
from compat.run.evidence import refused_then_passed, upstream_evidence
from compat.run.journal import Journal
from compat.run.pacing import Pacer
from compat.upstream_log import UpstreamLog


class ProxyUnderTest(Protocol):
    """What the scheduler needs of a proxy: where it is, whether it runs, what it sent upstream."""

    @property
    def endpoint(self) -> ProxyEndpoint: ...

    @property
    def upstream_log(self) -> UpstreamLog | None:
        """The upstream's record of requests (the emulator's); None against live upstreams."""

    def exit_status(self) -> int | None:
        """None while the proxy runs; its exit status once it has exited."""


@dataclass(frozen=True)
class RunningProxy:
    """A proxy compat did not start (`--proxy-url`): it never exits as far as compat can tell."""

    endpoint: ProxyEndpoint
    upstream_log: UpstreamLog | None = None

    def exit_status(self) -> int | None:
        return None


def default_concurrency() -> int:
    """Each `claude` process is mostly CPU for ~0.6 s; a few per core keep them all busy."""
    return max(2, min(16, (os.cpu_count() or 2) * 2))


@dataclass(frozen=True)
class SchedulerSettings:
    concurrency: int = field(default_factory=default_concurrency)
    per_provider: int | None = None
    max_attempts: int = 3
    backoff_s: float = 1.0
    backoff_cap_s: float = 20.0
    timeout_s: float = 120.0
    claude_binary: str = "claude"
    scratch_root: Path | None = None
    requests_per_minute: Mapping[str, int] = field(default_factory=dict)
    """Providers to pace, and their upstream requests per minute (see compat.run.pacing)."""


@dataclass
class RunCounts:
    total: int
    done: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


ProgressCallback = Callable[[TierResult, RunCounts], None]


class Scheduler:
    """Runs selected cells against one proxy and reports each result as it completes.

    A proxy that dies is not restarted: the cells it was serving fail with "proxy died" and
    its exit status, and the cells still to run are recorded failed without launching claude.
    """

    def __init__(
        self,
        manifest: Manifest,
        proxy: ProxyUnderTest,
        settings: SchedulerSettings,
        *,
        journal: Journal,
        on_result: ProgressCallback | None = None,
        probes: Mapping[str, Probe] | None = None,
    ) -> None:
        self.manifest = manifest
        self.proxy = proxy
        self.settings = settings
        self.journal = journal
        self.on_result = on_result or (lambda _r, _c: None)
        self.probes = probes if probes is not None else load_probes()
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_provider: dict[str, asyncio.Semaphore] = {}
        self._pacer = Pacer(settings.requests_per_minute)
        self._lock = asyncio.Lock()

    def _provider_gate(self, provider: str) -> asyncio.Semaphore:
        limit = self.settings.per_provider or self.settings.concurrency
        return self._per_provider.setdefault(provider, asyncio.Semaphore(limit))

    async def run(self, cells: list[Cell], done: list[TierResult]) -> list[TierResult]:
        """Run `cells` not already in `done`; returns `done` plus the new results, in order."""
        finished = {r.key: r for r in done}
        todo = [c for c in cells if c.key not in finished]
        counts = RunCounts(total=len(cells), done=len(cells) - len(todo))
        for result in done:
            counts.by_status[result.outcome.status] += 1
        # Long-context cells take longest: start them first so they don't form the tail.
        todo.sort(key=lambda c: c.feature_id != "long_context_1m")
        tasks = [asyncio.ensure_future(self._run_cell(c, counts)) for c in todo]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            # A cell that cannot be recorded (disk full) ends the run. Stop the others here,
            # while the loop still runs: left to asyncio.run's teardown, a claude caught
            # mid-spawn never finishes cancelling (its pipe-connecting task is cancelled too).
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for result in results:
            finished[result.key] = result
        return [finished[c.key] for c in cells if c.key in finished]

    async def _run_cell(self, cell: Cell, counts: RunCounts) -> TierResult:
        reason = self.manifest.not_applicable_reason(*cell.key)
        probe = self.probes.get(cell.feature_id)
        unjudgeable = (
            probe is not None and probe.needs_upstream_record and self.proxy.upstream_log is None
        )
        if reason is not None or unjudgeable:
            result = TierResult(
                feature_id=cell.feature_id,
                provider=cell.provider,
                tier=cell.tier,
                outcome=NotApplicable(reason=reason) if reason is not None else NotTested(),
            )
        else:
            # The global slot is taken per attempt, after the pacing tokens (see _attempts).
            async with self._provider_gate(cell.provider):
                result = await self._attempts(cell)
        async with self._lock:
            self.journal.append(result)
            counts.done += 1
            counts.by_status[result.outcome.status] += 1
            self.on_result(result, counts)
        return result

    async def _attempts(self, cell: Cell) -> TierResult:
        started = time.monotonic()
        upstream_log = self.proxy.upstream_log
        attempt = 0
        while True:
            attempt += 1
            ctx = ProbeContext(
                cell=cell,
                alias=self.manifest.proxy_alias(cell.provider, cell.tier),
                proxy=self.proxy.endpoint,
                claude_binary=self.settings.claude_binary,
                timeout_s=self.settings.timeout_s,
                scratch_root=self.settings.scratch_root,
                upstream=upstream_log,
                upstream_since=upstream_log.last_seq if upstream_log is not None else 0,
                upstream_model=self.manifest.upstream_model(cell.provider, cell.tier),
                family=self.manifest.provider(cell.provider).family,
            )
            weight = self.probes[cell.feature_id].upstream_requests
            async with self._pacer.admit(cell.provider, weight, self._global):
                verdict = await self._judge(cell, ctx)
            if not verdict.retryable or attempt >= self.settings.max_attempts:
                break
            delay = min(self.settings.backoff_cap_s, self.settings.backoff_s * 2 ** (attempt - 1))
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
        if verdict.retryable and isinstance(verdict.outcome, Fail):
            verdict = verdict.revised(
                outcome=Fail(error=f"{verdict.outcome.error} (after {attempt} attempts)")
            )
        upstream = upstream_evidence(
            upstream_log, verdict.evidence_key or ctx.nonce, ctx.upstream_since
        )
        return TierResult(
            feature_id=cell.feature_id,
            provider=cell.provider,
            tier=cell.tier,
            outcome=verdict.outcome,
            duration_ms=int((time.monotonic() - started) * 1000),
            evidence=Evidence(
                usage=verdict.usage,
                upstream_requests=upstream,
                warnings=refused_then_passed(verdict, upstream),
                transcript_excerpt=verdict.excerpt,
                exit_code=verdict.runs[-1].exit_code if verdict.runs else None,
                attempts=attempt,
                cause=verdict.cause,
            ),
        )

    async def _judge(self, cell: Cell, ctx: ProbeContext) -> Verdict:
        status = self.proxy.exit_status()
        if status is not None:
            # claude would only be refused at a closed port (about a CPU-second per cell, a
            # few minutes over a full matrix); the verdict is known, so record it at once.
            return proxy_died(status, "before this cell ran")
        probe = self.probes[cell.feature_id]
        try:
            verdict = await probe.run(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a crashed probe is a red cell, never a lost one
            verdict = Verdict(
                outcome=Fail(error=f"probe crashed: {type(exc).__name__}: {exc}"), cause="crashed"
            )
        status = self.proxy.exit_status()
        if status is not None:
            return proxy_died(status, "during this cell").revised(
                excerpt=verdict.excerpt, runs=verdict.runs
            )
        return verdict


def proxy_died(status: int, when: str) -> Verdict:
    """The verdict on a cell whose proxy exited: its exit status, and the signal that killed it."""
    killed_by = ""
    if status < 0 and -status in signal.valid_signals():
        killed_by = f", {signal.Signals(-status).name}"
    return Verdict(
        outcome=Fail(error=f"proxy died (exit status {status}{killed_by}) {when}"),
        cause="proxy_died",
    )


def failed_by_dead_proxy(result: TierResult) -> bool:
    """A cell the proxy's death failed: it says nothing about the proxy, so a resume reruns it."""
    return result.evidence.cause == "proxy_died"
