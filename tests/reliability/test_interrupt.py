"""Ctrl-C during `compat run`: exit 130 within seconds, no child left, finished cells on disk,
and `--resume` completes the rest to exactly what a clean run gives."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from compat.outcome import ResultsFile, TierResult
from compat.paths import JOURNAL_NAME
from compat.proxy.venv import installed_packages
from compat.run.journal import Journal
from reliability.chain import (
    SAMPLE,
    claude_processes,
    compat_alongside,
    finish,
    run_compat,
    start_compat,
    watch_processes,
)

pytestmark = pytest.mark.integration

INTERRUPT_AFTER = 3
"""Cells in the journal before Ctrl-C: some done, some running, some not started."""


def results_of(out: Path) -> ResultsFile:
    return ResultsFile.model_validate_json((out / "compat-results.json").read_text())


def statuses(results: list[TierResult]) -> dict[tuple[str, str, str], str]:
    return {r.key: r.outcome.status for r in results}


def matrix_statuses(out: Path) -> dict[tuple[str, str], str]:
    matrix = json.loads((out / "compatibility-matrix.json").read_text())
    return {
        (row["id"], provider): cell["status"]
        for row in matrix["features"]
        for provider, cell in row["providers"].items()
    }


def journal_lines(out: Path) -> int:
    path = out / JOURNAL_NAME
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.timeout(600)
def test_ctrl_c_keeps_finished_cells_and_resume_completes_the_run(manifest, tmp_path):
    wanted = SAMPLE.keys(manifest)
    clean = tmp_path / "clean"
    # The clean run to compare with needs nothing from the others: it runs alongside them.
    with compat_alongside(
        ["run", *SAMPLE.args(), "--out", str(clean), "--build"], tmp_path / "clean-run"
    ) as reference:
        merged = interrupt_then_resume(wanted, tmp_path)
        fresh = finish(reference, tmp_path / "clean-run", timeout_s=300)
    assert fresh.code == 0, fresh.stderr[-3000:]
    # The results name exactly what the LiteLLM venv held, not just its release number.
    versions = results_of(clean).versions
    assert versions.litellm_packages == installed_packages(versions.litellm)
    assert f"litellm=={versions.litellm}" in (versions.litellm_packages or [])
    # And which client's sends the emulator accepted besides the documented rules.
    assert "Claude Code" in (results_of(clean).emulator_rules or "")
    assert statuses(merged) == statuses(results_of(clean).results)
    # (The sample once held a red cell, pdf_input × Bedrock Converse; that red came from an
    # emulator rule live evidence contradicted, so the sample is all green now.)
    assert "pass" in statuses(merged).values()
    assert matrix_statuses(tmp_path / "out") == matrix_statuses(clean)


def interrupt_then_resume(wanted: set[tuple[str, str, str]], tmp_path: Path) -> list[TierResult]:
    """Ctrl-C a run once a few cells are done, check what it left, resume it: the results."""
    out = tmp_path / "out"
    compat = start_compat(["run", *SAMPLE.args(), "--out", str(out)], tmp_path / "interrupted")
    with watch_processes(compat.pid) as watch:
        deadline = time.monotonic() + 240
        while journal_lines(out) < INTERRUPT_AFTER and compat.poll() is None:
            assert time.monotonic() < deadline, "no cell finished in time"
            time.sleep(0.1)
        os.killpg(compat.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        interrupted_at = time.monotonic()
        stopped = finish(compat, tmp_path / "interrupted", timeout_s=30)
        took = time.monotonic() - interrupted_at
    assert stopped.code == 130, stopped.stderr[-3000:]
    assert took < 15, f"compat took {took:.1f}s to stop after Ctrl-C"
    assert "interrupted: finished cells are saved" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    # Its claude runs and the LiteLLM proxy (both in their own process groups) went with it.
    assert claude_processes(watch.seen) and any("litellm" in p.command for p in watch.seen)
    assert watch.survivors() == set()

    # Every journal line is a whole result, and compat-results.json holds exactly those.
    lines = (out / JOURNAL_NAME).read_text().splitlines()
    kept = [TierResult.model_validate_json(line) for line in lines]
    assert INTERRUPT_AFTER <= len(kept) < len(wanted), "Ctrl-C came after the run finished"
    assert {r.key: r for r in results_of(out).results} == {r.key: r for r in kept}

    resumed = run_compat(
        ["run", *SAMPLE.args(), "--out", str(out), "--resume", "--build"], tmp_path / "resumed"
    )
    assert resumed.code == 0, resumed.stderr[-3000:]
    assert f"resuming: {len(kept)} of {len(wanted)} cells already recorded" in resumed.stderr
    merged = results_of(out).results
    assert len(merged) == len(wanted) and {r.key for r in merged} == wanted
    assert len(Journal(out / JOURNAL_NAME).read()) == len(wanted)  # nothing run twice
    by_key = {r.key: r for r in merged}
    assert all(by_key[r.key] == r for r in kept), "a finished cell was run again"
    return merged


@pytest.mark.timeout(300)
def test_sigterm_is_a_stop_like_ctrl_c(tmp_path):
    """A CI cancel sends SIGTERM: the same clean stop, with the finished cells written."""
    out = tmp_path / "out"
    compat = start_compat(["run", *SAMPLE.args(), "--out", str(out)], tmp_path / "terminated")
    with watch_processes(compat.pid) as watch:
        deadline = time.monotonic() + 240
        while journal_lines(out) < 1 and compat.poll() is None:
            assert time.monotonic() < deadline, "no cell finished in time"
            time.sleep(0.1)
        os.kill(compat.pid, signal.SIGTERM)
        stopped = finish(compat, tmp_path / "terminated", timeout_s=30)
    assert stopped.code == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    assert "Traceback" not in stopped.stderr
    assert watch.survivors() == set()
    kept = Journal(out / JOURNAL_NAME).read()
    assert kept and {r.key: r for r in results_of(out).results} == {r.key: r for r in kept}
