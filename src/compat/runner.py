"""Fan out cells to their probes with bounded concurrency; record every cell exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compat.driver import ProxyEndpoint
from compat.journal import Journal
from compat.manifest import Manifest
from compat.outcome import Evidence, Fail, NotApplicable, Pass, TierResult, UpstreamRequest
from compat.pacing import Pacer
from compat.probes import load_probes
from compat.probes.base import Cell, Probe, ProbeContext, Verdict, clip
from compat.probes.wire import UpstreamLog
from compat.redact import redact

MAX_UPSTREAM_EVIDENCE = 6
PROXY_DIED = "proxy died"
"""How every cell failed by the proxy's death begins (a resume runs those again)."""

UpstreamLookup = Callable[[str, int], list[UpstreamRequest]]
"""(text that appears in the request bodies, sequence number to start after) → requests."""


def default_concurrency() -> int:
    """Each `claude` process is mostly CPU for ~0.6 s; a few per core keep them all busy."""
    return max(2, min(16, (os.cpu_count() or 2) * 2))


@dataclass(frozen=True)
class RunnerSettings:
    concurrency: int = field(default_factory=default_concurrency)
    per_provider: int | None = None
    max_attempts: int = 3
    backoff_s: float = 1.0
    backoff_cap_s: float = 20.0
    timeout_s: float = 120.0
    claude_binary: str = "claude"
    scratch_root: Path | None = None
    requests_per_minute: Mapping[str, int] = field(default_factory=dict)
    """Providers to pace, and their upstream requests per minute (see compat.pacing)."""


@dataclass
class RunCounts:
    total: int
    done: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


ProgressCallback = Callable[[TierResult, RunCounts], None]


def _clip_strings(value: Any, limit: int = 160) -> Any:
    """Redact, then shorten long strings (system prompts, base64) so evidence stays readable."""
    if isinstance(value, str):
        # Redacted before clipping: a secret cut in half would no longer be recognised.
        value = redact(value)
        return value if len(value) <= limit else value[:limit] + f"… [{len(value)} chars]"
    if isinstance(value, list):
        return [_clip_strings(v, limit) for v in value[:20]] + (
            [f"… [{len(value) - 20} more]"] if len(value) > 20 else []
        )
    if isinstance(value, dict):
        return {k: _clip_strings(v, limit) for k, v in value.items()}
    return value


BULK_KEYS = ("tools", "toolConfig", "system", "messages")


def summarise_body(body: Any, limit: int = 1500) -> str:
    """The body as evidence: small fields (betas, thinking, ...) first, tools by name only."""
    if isinstance(body, dict):
        ordered = {k: v for k, v in body.items() if k not in BULK_KEYS}
        for key in BULK_KEYS:
            if key in body:
                ordered[key] = (
                    _tool_names(body[key]) if key in ("tools", "toolConfig") else body[key]
                )
        body = ordered
    text = json.dumps(_clip_strings(body), ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + "…"


def _tool_names(tools: Any) -> Any:
    if isinstance(tools, dict):
        tools = tools.get("tools", [])
    if not isinstance(tools, list):
        return tools
    names = []
    for tool in tools:
        if isinstance(tool, dict):
            spec = tool.get("toolSpec", tool)
            names.append(spec.get("name") or spec.get("type") or "?")
    return names


class Runner:
    """Runs selected cells against one proxy and reports each result as it completes.

    A proxy that dies is not restarted: the cells it was serving fail with "proxy died" and
    its exit status, and the cells still to run are recorded failed without launching claude.
    """

    def __init__(
        self,
        manifest: Manifest,
        proxy: ProxyEndpoint,
        settings: RunnerSettings,
        *,
        journal: Journal,
        upstream_lookup: UpstreamLookup | None = None,
        upstream_seq: Callable[[], int] | None = None,
        proxy_exit_status: Callable[[], int | None] | None = None,
        on_result: ProgressCallback | None = None,
        probes: Mapping[str, Probe] | None = None,
        upstream_log: UpstreamLog | None = None,
    ) -> None:
        self.manifest = manifest
        self.proxy = proxy
        self.settings = settings
        self.journal = journal
        self.upstream_lookup = upstream_lookup
        self.upstream_seq = upstream_seq or (lambda: 0)
        self.proxy_exit_status = proxy_exit_status or (lambda: None)
        self.on_result = on_result or (lambda _r, _c: None)
        self.probes = probes if probes is not None else load_probes()
        # What the upstream received (the emulator's recorder): the probes judge it too.
        self.upstream_log = upstream_log
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
        todo = [c for c in cells if (c.feature_id, c.provider, c.tier) not in finished]
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
        return [
            finished[(c.feature_id, c.provider, c.tier)]
            for c in cells
            if (c.feature_id, c.provider, c.tier) in finished
        ]

    async def _run_cell(self, cell: Cell, counts: RunCounts) -> TierResult:
        reason = self.manifest.not_applicable_reason(cell.feature_id, cell.provider, cell.tier)
        if reason is not None:
            result = TierResult(
                feature_id=cell.feature_id,
                provider=cell.provider,
                tier=cell.tier,
                outcome=NotApplicable(reason=reason),
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
        attempt = 0
        while True:
            attempt += 1
            ctx = ProbeContext(
                cell=cell,
                alias=self.manifest.proxy_alias(cell.provider, cell.tier),
                proxy=self.proxy,
                claude_binary=self.settings.claude_binary,
                timeout_s=self.settings.timeout_s,
                scratch_root=self.settings.scratch_root,
                upstream=self.upstream_log,
            )
            seq = self.upstream_seq()
            weight = self.probes[cell.feature_id].upstream_requests
            async with self._pacer.admit(cell.provider, weight, self._global):
                verdict = await self._judge(cell, ctx)
            if not verdict.retryable or attempt >= self.settings.max_attempts:
                break
            delay = min(self.settings.backoff_cap_s, self.settings.backoff_s * 2 ** (attempt - 1))
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
        if verdict.retryable and isinstance(verdict.outcome, Fail):
            verdict = verdict.model_copy(
                update={
                    "outcome": Fail(error=f"{verdict.outcome.error} (after {attempt} attempts)")
                }
            )
        upstream = self._upstream(ctx, seq)
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
                exit_code=ctx.runs[-1].exit_code if ctx.runs else None,
                attempts=attempt,
            ),
        )

    async def _judge(self, cell: Cell, ctx: ProbeContext) -> Verdict:
        status = self.proxy_exit_status()
        if status is not None:
            # claude would only be refused at a closed port (about a CPU-second per cell, a
            # few minutes over a full matrix); the verdict is known, so record it at once.
            return Verdict(outcome=Fail(error=proxy_died(status, "before this cell ran")))
        probe = self.probes[cell.feature_id]
        try:
            verdict = await probe.run(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a crashed probe is a red cell, never a lost one
            verdict = Verdict(outcome=Fail(error=f"probe crashed: {type(exc).__name__}: {exc}"))
        status = self.proxy_exit_status()
        if status is not None:
            return Verdict(
                outcome=Fail(error=proxy_died(status, "during this cell")), excerpt=verdict.excerpt
            )
        return verdict

    def _upstream(self, ctx: ProbeContext, seq: int) -> list[UpstreamRequest]:
        if self.upstream_lookup is None:
            return []
        found = self.upstream_lookup(ctx.evidence_key, seq)
        # Refused requests first: they explain a red cell (or a degraded green one).
        found.sort(key=lambda r: (r.status or 0) < 400)
        return found[:MAX_UPSTREAM_EVIDENCE]


def proxy_died(status: int, when: str) -> str:
    """The error of a cell whose proxy exited: its exit status, and the signal that killed it."""
    killed_by = ""
    if status < 0 and -status in signal.valid_signals():
        killed_by = f", {signal.Signals(-status).name}"
    return f"{PROXY_DIED} (exit status {status}{killed_by}) {when}"


def refused_then_passed(verdict: Verdict, upstream: list[UpstreamRequest]) -> list[str]:
    """A pass whose upstream refused some requests: Claude Code fell back (e.g. fewer betas)."""
    if not isinstance(verdict.outcome, Pass):
        return []
    refused = [r for r in upstream if r.status is not None and r.status >= 400]
    if not refused:
        return []
    reasons = sorted({r.summary or f"HTTP {r.status}" for r in refused})
    return [
        f"upstream refused {len(refused)} request(s) before this passed; Claude Code "
        f"retried with a reduced request: {'; '.join(reasons)}"
    ]


def recorded_to_evidence(record: Any) -> UpstreamRequest:
    """An emulator RecordedRequest as a compact evidence entry."""
    summary = None
    if record.error_kind or record.error_message:
        summary = clip(f"{record.error_kind or 'error'}: {record.error_message or ''}", 500)
    return UpstreamRequest(
        provider=record.provider,
        method=record.method,
        path=record.path,
        status=record.status,
        summary=summary,
        body_excerpt=summarise_body(record.body),
    )
