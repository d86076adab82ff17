"""The LiteLLM proxy killed in the middle of a run: the runner notices, fails the cells it was
serving with "proxy died" and the exit status, records the rest without launching claude,
and never hangs."""

from __future__ import annotations

import os
import signal
import time

import pytest

from compat.emulator.faults import FaultSpec
from compat.outcome import Fail, Pass, TierResult
from compat.proxy.local import LocalRuntime
from compat.run.cells import Cell
from compat.run.scheduler import RunCounts
from reliability.chain import (
    assert_every_cell_recorded_once,
    boot_proxy,
    claude_processes,
    run_cells,
    watch_processes,
)

pytestmark = pytest.mark.integration

DURING = "proxy died (exit status -9, SIGKILL) during this cell"
BEFORE = "proxy died (exit status -9, SIGKILL) before this cell ran"
STALL_S = 60.0


@pytest.mark.timeout(240)
def test_a_proxy_killed_mid_run_fails_its_cells_and_the_run_ends(manifest, tmp_path):
    # The stalled cell is certainly in flight when the proxy dies; the others queue behind.
    stalled = Cell("basic_messaging_streaming", "azure", "haiku-4-5")
    cells = [stalled] + [
        Cell(feature, "anthropic", tier)
        # claude cells only: the assertions count the claude runs the dead proxy cut short.
        for feature in ("basic_messaging_streaming", "tool_use")
        for tier in ("haiku-4-5", "sonnet-4-6", "opus-4-7")
    ]
    with boot_proxy() as session:
        assert session.emulator is not None and isinstance(session.runtime, LocalRuntime)
        session.emulator.ctx.faults.add(
            FaultSpec(provider="azure", kind="slow_first_byte", delay_s=STALL_S)
        )
        litellm_group = session.runtime.pid
        assert litellm_group is not None

        def kill_proxy_after_the_first_result(_result: TierResult, counts: RunCounts) -> None:
            if counts.done == 1:
                os.killpg(litellm_group, signal.SIGKILL)

        started = time.monotonic()
        with watch_processes(os.getpid()) as watch:
            recorded = run_cells(
                session,
                manifest,
                cells,
                tmp_path / "j.jsonl",
                concurrency=2,
                timeout_s=STALL_S * 2,
                on_result=kill_proxy_after_the_first_result,
            )
        elapsed = time.monotonic() - started
        assert session.exit_status() == -9
    assert_every_cell_recorded_once(manifest, cells, recorded)
    # Noticed at once: not after the stalled upstream answered, nor at the cell timeout.
    assert elapsed < STALL_S
    first, *others = recorded.journal  # in the order the cells finished
    assert first.outcome == Pass()  # finished before the proxy died: a real verdict
    by_cell = {Cell(r.feature_id, r.provider, r.tier): r for r in recorded.results}
    assert by_cell[stalled].outcome == Fail(error=DURING)
    errors = [r.outcome.error for r in others if isinstance(r.outcome, Fail)]
    assert len(errors) == len(others) and set(errors) <= {DURING, BEFORE}
    skipped = [r for r in others if r.outcome == Fail(error=BEFORE)]
    # Cells that start once the death is known launch no claude: no exit code, no process.
    assert len(skipped) >= 3
    assert all(r.evidence is not None and r.evidence.exit_code is None for r in skipped)
    assert 2 <= len(claude_processes(watch.seen)) <= len(cells) - len(skipped)
    assert watch.survivors() == set()
