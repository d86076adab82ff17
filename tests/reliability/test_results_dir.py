"""Results that cannot be written (a read-only results directory, a disk that fills up
mid-run): one clear error naming the path, a non-zero exit, no traceback, and no
half-written results file.

Root ignores file permissions, so "read-only" is a read-only tmpfs and "full" a tiny one.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from compat.errors import CompatError
from compat.files import write_atomic
from compat.paths import JOURNAL_NAME
from compat.run.journal import Journal
from reliability.chain import (
    SAMPLE,
    finish,
    run_compat,
    start_compat,
    tmpfs,
    watch_processes,
)

pytestmark = pytest.mark.integration

ONE_CELL = ["-f", "basic_messaging_non_streaming", "-p", "azure", "-t", "haiku-4-5"]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("subdir", ["", "results"], ids=["the-mount", "a-new-dir-in-it"])
def test_a_read_only_results_directory_is_one_clear_error(tmp_path, subdir):
    with tmpfs(tmp_path / "ro", size="16k", read_only=True) as read_only:
        out = read_only / subdir
        done = run_compat(["run", *ONE_CELL, "--out", str(out)], tmp_path / "run", 120)
        assert done.code == 1
        # Refused before anything is booted or run: no cell is wasted on a doomed run.
        assert error_lines(done.stderr) == [
            f"error: {out / JOURNAL_NAME}: cannot write results: Read-only file system"
        ]
        assert list(read_only.iterdir()) == []


def test_a_disk_full_mid_run_stops_with_one_clear_error_and_no_results_file(manifest, tmp_path):
    with tmpfs(tmp_path / "full", size="24k") as full:
        compat = start_compat(["run", *SAMPLE.args(), "--out", str(full)], tmp_path / "run")
        with watch_processes(compat.pid) as watch:
            done = finish(compat, tmp_path / "run", timeout_s=300)
        assert done.code == 1, done.stderr[-3000:]
        assert "Traceback" not in done.stderr
        journal = full / JOURNAL_NAME
        assert error_lines(done.stderr)[-1] == (
            f"error: {journal}: cannot write results: No space left on device"
        )
        # No compat-results.json, not even a temp file of one: only the append-only journal.
        assert [p.name for p in full.iterdir()] == [JOURNAL_NAME]
        # Whole lines are results; the line cut short by the full disk is dropped on reading.
        recorded = Journal(journal).read()
        assert 1 <= len(recorded) < len(SAMPLE.keys(manifest))
    # The run stopped its cells and the proxy on the way out.
    assert watch.survivors() == set()


def fill(directory: Path) -> Path:
    """A file that takes every free byte of the filesystem holding `directory`."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    return filler


def test_the_results_file_is_replaced_whole_or_not_at_all_on_a_full_disk(tmp_path):
    with tmpfs(tmp_path / "full", size="64k") as full:
        target = full / "compat-results.json"
        write_atomic(target, "the previous results\n")
        fill(full)
        with pytest.raises(CompatError) as refused:
            write_atomic(target, '{"results": []}\n' * 4096)
        assert str(refused.value) == f"{target}: cannot write: No space left on device"
        assert target.read_text() == "the previous results\n"
        assert sorted(p.name for p in full.iterdir()) == ["compat-results.json", "filler"]
