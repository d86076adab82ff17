"""The scheduler's guarantees: every cell exactly once, bounded concurrency, bounded retries."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from compat.driver import ProxyEndpoint
from compat.manifest import load_manifest
from compat.outcome import Fail, Pass, TierResult
from compat.probes.base import Probe, ProbeContext, Verdict
from compat.run.cells import Cell, select_cells
from compat.run.job import failed_by_dead_proxy
from compat.run.journal import Journal
from compat.run.scheduler import Scheduler, SchedulerSettings

PROXY = ProxyEndpoint(base_url="http://127.0.0.1:9", api_key=SecretStr("sk-test"))


@dataclass
class ExitingProxy:
    """A proxy with no upstream record whose exit status the test decides."""

    status: Callable[[], int | None] = lambda: None
    endpoint: ProxyEndpoint = PROXY
    upstream_log: None = None

    def exit_status(self) -> int | None:
        return self.status()


class ScriptedProbe(Probe):
    """Answers from a script of verdicts per cell and measures concurrency."""

    feature_id = "scripted"

    def __init__(self, script=None, delay: float = 0.01) -> None:
        self.script = script or {}
        self.delay = delay
        self.calls: Counter[Cell] = Counter()
        self.running: Counter[str] = Counter()
        self.peak = 0
        self.peak_per_provider: Counter[str] = Counter()

    async def run(self, ctx: ProbeContext) -> Verdict:
        self.calls[ctx.cell] += 1
        self.running["*"] += 1
        self.running[ctx.cell.provider] += 1
        self.peak = max(self.peak, self.running["*"])
        self.peak_per_provider[ctx.cell.provider] = max(
            self.peak_per_provider[ctx.cell.provider], self.running[ctx.cell.provider]
        )
        try:
            await asyncio.sleep(self.delay)
            steps = self.script.get(ctx.cell.feature_id, ["pass"])
            step = steps[min(self.calls[ctx.cell], len(steps)) - 1]
            if step == "crash":
                raise RuntimeError("judge exploded")
            if step == "busy":
                return Verdict(outcome=Fail(error="API error 529: Overloaded"), retryable=True)
            if step == "fail":
                return Verdict(outcome=Fail(error="nope"))
            return Verdict(outcome=Pass())
        finally:
            self.running["*"] -= 1
            self.running[ctx.cell.provider] -= 1


@pytest.fixture
def manifest(manifest_path):
    return load_manifest(manifest_path)


def run_cells(manifest, cells, probe, tmp_path, *, done=(), exit_status=None, **settings):
    journal = Journal(tmp_path / "j.jsonl")
    journal.open(fresh=not done)
    runner = Scheduler(
        manifest,
        ExitingProxy(exit_status) if exit_status else ExitingProxy(),
        SchedulerSettings(backoff_s=0.01, **settings),
        journal=journal,
        probes={f: probe for f in manifest.row_ids},
    )
    try:
        results = asyncio.run(runner.run(cells, list(done)))
    finally:
        journal.close()
    return results, journal.read()


def test_every_cell_is_recorded_exactly_once_in_order(manifest, tmp_path):
    cells = select_cells(manifest)
    probe = ScriptedProbe(delay=0)
    results, journal = run_cells(manifest, cells, probe, tmp_path, concurrency=8)
    assert [r.key for r in results] == [c.key for c in cells]
    assert sorted(r.key for r in journal) == sorted(r.key for r in results)
    assert len({r.key for r in journal}) == len(cells) == 16 * 9 * 3 + 8 * 5


def test_declared_not_applicable_cells_never_run(manifest, tmp_path):
    cells = select_cells(manifest, features=["long_context_1m"])
    probe = ScriptedProbe()
    results, _ = run_cells(manifest, cells, probe, tmp_path)
    haiku = [r for r in results if r.tier == "haiku-4-5"]
    assert {r.outcome.status for r in haiku} == {"not_applicable"}
    assert all(c.tier != "haiku-4-5" for c in probe.calls)
    assert len(probe.calls) == 10


def test_concurrency_is_bounded_globally_and_per_provider(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision", "thinking", "tool_use"])
    probe = ScriptedProbe(delay=0.02)
    run_cells(manifest, cells, probe, tmp_path, concurrency=6, per_provider=2)
    assert probe.peak <= 6 and probe.peak >= 3
    assert max(probe.peak_per_provider.values()) == 2


def test_overloads_are_retried_with_backoff_then_pass(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"], tiers=["opus-4-7"])
    probe = ScriptedProbe({"vision": ["busy", "busy", "pass"]})
    results, _ = run_cells(manifest, cells, probe, tmp_path, max_attempts=3)
    assert results[0].outcome == Pass()
    assert results[0].evidence.attempts == 3


def test_retries_are_bounded(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"], tiers=["opus-4-7"])
    probe = ScriptedProbe({"vision": ["busy"] * 10})
    results, _ = run_cells(manifest, cells, probe, tmp_path, max_attempts=2)
    assert results[0].outcome == Fail(error="API error 529: Overloaded (after 2 attempts)")
    assert sum(probe.calls.values()) == 2


def test_a_plain_failure_is_not_retried(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"], tiers=["opus-4-7"])
    probe = ScriptedProbe({"vision": ["fail", "pass"]})
    results, _ = run_cells(manifest, cells, probe, tmp_path)
    assert results[0].outcome == Fail(error="nope") and sum(probe.calls.values()) == 1


def test_a_crashing_probe_is_a_red_cell_not_a_lost_one(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision", "thinking"], providers=["azure"])
    probe = ScriptedProbe({"vision": ["crash"]})
    results, journal = run_cells(manifest, cells, probe, tmp_path)
    assert len(results) == len(journal) == 6
    crashed = [r for r in results if r.feature_id == "vision"]
    assert all(
        r.outcome == Fail(error="probe crashed: RuntimeError: judge exploded") for r in crashed
    )


def test_a_dead_proxy_fails_the_cells_with_its_exit_status(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"])
    probe = ScriptedProbe()
    results, _ = run_cells(manifest, cells, probe, tmp_path, exit_status=lambda: 137)
    assert {r.outcome.error for r in results} == {
        "proxy died (exit status 137) before this cell ran"
    }
    assert not probe.calls  # nothing is launched against a proxy known to be dead


def test_a_proxy_killed_during_a_cell_fails_it_and_skips_the_rest(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"])
    probe = ScriptedProbe()
    results, journal = run_cells(
        manifest,
        cells,
        probe,
        tmp_path,
        exit_status=lambda: -9 if probe.calls else None,
        concurrency=1,
    )
    assert [r.outcome.error for r in results] == [
        "proxy died (exit status -9, SIGKILL) during this cell",
        "proxy died (exit status -9, SIGKILL) before this cell ran",
        "proxy died (exit status -9, SIGKILL) before this cell ran",
    ]
    assert sum(probe.calls.values()) == 1 and len(journal) == len(cells)


def test_resume_skips_recorded_cells(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"])
    earlier = TierResult(
        feature_id="vision", provider="azure", tier="haiku-4-5", outcome=Fail(error="earlier")
    )
    probe = ScriptedProbe()
    results, _ = run_cells(manifest, cells, probe, tmp_path, done=[earlier])
    assert results[0] == earlier
    assert [c.tier for c in probe.calls] == ["sonnet-4-6", "opus-4-7"]


def test_cells_failed_by_a_dead_proxy_are_marked_for_a_rerun(manifest, tmp_path):
    cells = select_cells(manifest, features=["vision"], providers=["azure"])
    dead, _ = run_cells(manifest, cells, ScriptedProbe(), tmp_path, exit_status=lambda: 137)
    assert all(failed_by_dead_proxy(r) for r in dead)
    judged, _ = run_cells(manifest, cells, ScriptedProbe({"vision": ["fail"]}), tmp_path / "b")
    assert not any(failed_by_dead_proxy(r) for r in judged)


def test_a_check_judged_on_the_record_is_not_tested_against_live_upstreams(manifest, tmp_path):
    cells = select_cells(manifest, features=["contract_keep_alive", "vision"], providers=["azure"])
    probe = ScriptedProbe()
    probe.needs_upstream_record = True
    results, _ = run_cells(manifest, cells, probe, tmp_path)
    assert {r.outcome.status for r in results} == {"not_tested"}
    assert not probe.calls
