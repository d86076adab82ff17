"""Pacing on the real chain, judged by the times the emulator saw each upstream request."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from compat.manifest import Manifest
from compat.outcome import Pass, TierResult
from compat.probes import load_probes
from compat.probes.base import Probe, ProbeContext, Verdict
from compat.proxy.lifecycle import ProxySession
from compat.run.cells import select_cells
from compat.run.pacing import burst_size
from support.pacing import excess
from support.scheduling import schedule

pytestmark = pytest.mark.integration

PACED, UNPACED = "azure", "anthropic"
RPM = 30


class Admissions(Probe):
    """The real probe, noting when the runner let each attempt through (wall clock)."""

    def __init__(self, inner: Probe, log: list[tuple[str, str, float]]) -> None:
        self.inner = inner
        self.feature_id = inner.feature_id
        self.upstream_requests = inner.upstream_requests
        self.log = log

    async def run(self, ctx: ProbeContext) -> Verdict:
        self.log.append((ctx.cell.provider, ctx.nonce, time.time()))
        return await self.inner.run(ctx)


def run(
    proxy: ProxySession,
    manifest: Manifest,
    tmp_path: Path,
    rates: dict[str, int],
    probes: Mapping[str, Probe] | None = None,
    **select: list[str],
) -> list[TierResult]:
    """Run the selected cells at concurrency 8 with these rates; every cell recorded once."""
    cells = select_cells(manifest, **select)
    run = schedule(
        proxy,
        manifest,
        cells,
        tmp_path / "compat-results.jsonl",
        probes=probes,
        concurrency=8,
        max_attempts=1,
        backoff_s=1.0,
        requests_per_minute=rates,
    )
    assert len(run.results) == len(cells) == len(run.journal)
    return run.results


def test_a_paced_provider_keeps_to_its_bucket_and_the_other_is_not_slowed(
    proxy, manifest, tmp_path
):
    assert proxy.emulator is not None
    recorder = proxy.emulator.ctx.recorder
    log: list[tuple[str, str, float]] = []
    probes = {f: Admissions(p, log) for f, p in load_probes().items()}
    since = recorder.last_seq
    results = run(
        proxy,
        manifest,
        tmp_path,
        {PACED: RPM},
        probes,
        providers=[PACED, UNPACED],
        features=["basic_messaging_non_streaming", "basic_messaging_streaming", "thinking"],
    )
    assert all(r.outcome == Pass() for r in results), [r.outcome for r in results]
    requests = {p: recorder.query(provider=p, since=since) for p in (PACED, UNPACED)}
    # These probes make one upstream request per attempt, so requests are what was paced.
    assert len(requests[PACED]) == len(requests[UNPACED]) == 9
    sent = {p: [r.timestamp for r in requests[p]] for p in requests}
    admitted = {p: [t for provider, _, t in log if provider == p] for p in requests}
    per_second = RPM / 60
    # Admissions: a full bucket, plus the one token a cell may hold while it waits for a slot.
    in_hand = burst_size(RPM) + 1
    assert excess(admitted[PACED], burst=in_hand, per_second=per_second) <= 0, admitted
    # Each request leaves `claude` a start-up time after its admission (mostly CPU, so it
    # varies with load); the spread of those delays is all the requests may add.
    delays = [
        recorder.query(contains=nonce, since=since)[0].timestamp - t
        for provider, nonce, t in log
        if provider == PACED
    ]
    allowance = in_hand + per_second * (max(delays) - min(delays))
    assert excess(sent[PACED], burst=allowance, per_second=per_second) <= 0, (sent, delays)
    assert max(sent[PACED]) - min(sent[PACED]) >= (9 - allowance) / per_second
    # The same check catches the unpaced provider, which went as fast as the slots allowed,
    # and was let through before the paced one was half done.
    assert excess(sent[UNPACED], burst=allowance, per_second=per_second) > 0, (sent, delays)
    assert max(admitted[UNPACED]) < sorted(admitted[PACED])[4]


def test_each_probe_declares_the_upstream_requests_it_makes(proxy, manifest, tmp_path):
    probes = load_probes()
    results = run(proxy, manifest, tmp_path, {}, providers=["anthropic"], tiers=["sonnet-4-6"])
    seen = {r.feature_id: len(r.evidence.upstream_requests) for r in results}
    declared = {r.feature_id: probes[r.feature_id].upstream_requests for r in results}
    assert all(r.outcome == Pass() for r in results), [r.outcome for r in results]
    assert seen == declared
