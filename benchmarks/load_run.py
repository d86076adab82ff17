"""Load: the emulator, a local LiteLLM proxy and the runner under N concurrent cells for M minutes.

Every runnable cell of the matrix is run again and again (each pass over the matrix gets
its own runner and results journal, so a cell recorded twice or not at all shows up) by
N workers until the time or the cell budget is spent; cells already running then finish.
Everything stays on 127.0.0.1. compat's own RSS (VmRSS of this process, which hosts the
runner and the emulator; `claude` and LiteLLM are separate processes) is sampled as it runs.

The emulator's recorder keeps full request bodies up to a byte cap by design (256 MB by
default), so this process grows until that buffer is full. The cap is set lower here
(--recorder-mb) so the steady state is reached within the run; memory is judged flat on
the samples taken once the recorder is full and every feature has run.

Usage: .venv/bin/python benchmarks/load_run.py [--minutes 5] [--concurrency 32]
       [--max-cells 5000] [--timeout 900] [--recorder-mb 32] [--sample-every 5]
Asserts (exit 1 otherwise): every launched cell recorded exactly once; no cell timed out;
after warm-up, the RSS slope stays under --max-slope MB/min and the Python heap (traced
with tracemalloc, which sees past the allocator's noise) keeps under --max-heap-per-cell
bytes per cell. Memory is judged only when the run reached a steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from compat.claude_install import find_claude
from compat.emulator.recorder import Recorder
from compat.manifest import Manifest, load_manifest
from compat.oracle import client_rules
from compat.outcome import TierResult
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell, select_cells
from compat.run.journal import Journal
from compat.run.scheduler import Scheduler, SchedulerSettings

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
TIMED_OUT = "did not finish within"


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process, from /proc/<pid>/status (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    recorder_requests: int
    recorder_mb: float
    proxy_rss_mb: float


class MemorySampler(threading.Thread):
    """Samples RSS every few seconds from its own thread, however busy the event loop is."""

    def __init__(self, every_s: float, recorder: Recorder, proxy_pid: int | None) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.every_s = every_s
        self.recorder = recorder
        self.proxy_pid = proxy_pid
        self.samples: list[Sample] = []
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        while True:
            requests, held = self.recorder.held
            self.samples.append(
                Sample(
                    seconds=time.monotonic() - self._t0,
                    rss_mb=rss_mb(),
                    recorder_requests=requests,
                    recorder_mb=held / MB,
                    proxy_rss_mb=rss_mb(self.proxy_pid) if self.proxy_pid else 0.0,
                )
            )
            if self._halt.wait(self.every_s):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


@dataclass(frozen=True)
class Finished:
    """What the figures need of one result (whole results would weigh on the RSS measured)."""

    key: tuple[str, str, str]
    status: str
    seconds: float
    timed_out: bool

    @classmethod
    def of(cls, result: TierResult) -> Finished:
        error = getattr(result.outcome, "error", "")
        seconds = (result.duration_ms or 0) / 1000
        return cls(result.key, result.outcome.status, seconds, TIMED_OUT in error)


@dataclass
class MatrixPass:
    """One pass over the matrix: its own runner and journal, and what was launched in it."""

    runner: Scheduler
    journal: Journal
    launched: list[Cell] = field(default_factory=list)
    returned: Counter[tuple[str, str, str]] = field(default_factory=Counter)


class Load:
    """N workers taking the next cell of an endless walk over the matrix until time is up."""

    def __init__(
        self,
        manifest: Manifest,
        session: ProxySession,
        cells: list[Cell],
        args: argparse.Namespace,
        journal_dir: Path,
    ) -> None:
        self.manifest = manifest
        self.session = session
        self.args = args
        self.journal_dir = journal_dir
        self.binary = str(find_claude())
        self.passes: dict[int, MatrixPass] = {}
        self.finished: list[Finished] = []
        self.cells = cells
        self._walk: Iterator[tuple[int, Cell]] = (
            (number, cell) for number in itertools.count() for cell in cells
        )
        self.launched = 0
        self.first_done: set[str] = set()
        self.warm_at: float | None = None
        """When the recorder was full and every feature had run: memory should be flat after."""
        self.finished_when_warm = 0
        self.recorder_bytes_when_warm = 0
        self.warm_heap: tracemalloc.Snapshot | None = None

    def _pass(self, number: int) -> MatrixPass:
        if number not in self.passes:
            journal = Journal(self.journal_dir / f"pass-{number:03d}.jsonl")
            journal.open(fresh=True)
            # The session as `compat run` wires it: a scan of the recorder per cell.
            runner = Scheduler(
                self.manifest,
                self.session,
                SchedulerSettings(
                    concurrency=self.args.concurrency,
                    claude_binary=self.binary,
                    timeout_s=self.args.timeout,
                ),
                journal=journal,
            )
            self.passes[number] = MatrixPass(runner=runner, journal=journal)
        return self.passes[number]

    async def _worker(self, deadline: float) -> None:
        while time.monotonic() < deadline and self.launched < self.args.max_cells:
            number, cell = next(self._walk)
            matrix_pass = self._pass(number)
            matrix_pass.launched.append(cell)
            self.launched += 1
            results = await matrix_pass.runner.run([cell], [])
            matrix_pass.returned.update(r.key for r in results)
            self.finished.extend(Finished.of(r) for r in results)
            self.first_done.add(cell.feature_id)
            if self.warm_at is None and self._warm():
                self._mark_warm()

    def recorder_bytes(self) -> int:
        """Body bytes the emulator's recorder holds now."""
        assert self.session.emulator is not None
        return self.session.emulator.ctx.recorder.held[1]

    def _warm(self) -> bool:
        full = self.recorder_bytes() >= self.args.recorder_mb * MB * 0.9
        return full and self.first_done == {c.feature_id for c in self.cells}

    def _mark_warm(self) -> None:
        self.warm_at = time.monotonic()
        self.finished_when_warm = len(self.finished)
        self.recorder_bytes_when_warm = self.recorder_bytes()
        if tracemalloc.is_tracing():
            gc.collect()
            self.warm_heap = tracemalloc.take_snapshot()

    async def run(self) -> float:
        """Run until the deadline; returns when the last launched cell has finished."""
        deadline = time.monotonic() + self.args.minutes * 60
        # Cells still running at the deadline finish; past this, something hangs.
        await asyncio.wait_for(
            asyncio.gather(*(self._worker(deadline) for _ in range(self.args.concurrency))),
            timeout=self.args.minutes * 60 + self.args.timeout + 120,
        )
        return time.monotonic()

    def bookkeeping_errors(self) -> list[str]:
        """Every launched cell must be in its pass's journal, and returned, exactly once."""
        errors = []
        for number, matrix_pass in sorted(self.passes.items()):
            matrix_pass.journal.close()
            launched = Counter((c.feature_id, c.provider, c.tier) for c in matrix_pass.launched)
            journaled = Counter(r.key for r in matrix_pass.journal.read())
            for what, seen in (("journal", journaled), ("returned results", matrix_pass.returned)):
                lost = launched - seen
                doubled = seen - launched
                if lost:
                    errors.append(f"pass {number}: {len(lost)} cells missing from the {what}")
                if doubled:
                    errors.append(f"pass {number}: {sum(doubled.values())} extra in the {what}")
            if any(n != 1 for n in launched.values()):
                errors.append(f"pass {number}: a cell was launched twice in one pass")
        return errors


def flakes(results: list[Finished]) -> list[str]:
    """Cells whose outcome changed between passes: load should never change a verdict."""
    statuses: dict[tuple[str, str, str], set[str]] = {}
    for result in results:
        statuses.setdefault(result.key, set()).add(result.status)
    return ["/".join(key) for key, seen in statuses.items() if len(seen) > 1]


def memory_figures(samples: list[Sample], steady: list[Sample]) -> dict[str, object]:
    """First, last and peak RSS, and its slope over the whole run and after warm-up."""
    step = samples[1].seconds - samples[0].seconds if len(samples) > 1 else 60
    return {
        "samples": len(samples),
        "first_mb": round(samples[0].rss_mb, 1),
        "last_mb": round(samples[-1].rss_mb, 1),
        "peak_mb": round(max(s.rss_mb for s in samples), 1),
        "whole_run_slope_mb_per_min": round(
            slope_per_minute([(s.seconds, s.rss_mb) for s in samples]), 2
        ),
        "steady_from_s": round(steady[0].seconds) if steady else None,
        "steady_samples": len(steady),
        "steady_min_max_mb": [
            round(min(s.rss_mb for s in steady), 1),
            round(max(s.rss_mb for s in steady), 1),
        ]
        if steady
        else None,
        "steady_slope_mb_per_min": round(
            slope_per_minute([(s.seconds, s.rss_mb) for s in steady]), 2
        ),
        "rss_each_minute_mb": [
            round(s.rss_mb) for s in samples if s.seconds // 60 != (s.seconds - step) // 60
        ],
        "recorder_at_end": f"{samples[-1].recorder_requests} requests, "
        f"{samples[-1].recorder_mb:.1f} MB",
        "proxy_rss_first_last_peak_mb": [
            round(samples[0].proxy_rss_mb),
            round(samples[-1].proxy_rss_mb),
            round(max(s.proxy_rss_mb for s in samples)),
        ],
    }


def heap_growth(load: Load) -> tuple[float, list[str]] | None:
    """Python heap kept since warm-up, per cell finished since, and the lines that kept most."""
    if load.warm_heap is None:
        return None
    gc.collect()
    grown = [
        stat
        for stat in tracemalloc.take_snapshot().compare_to(load.warm_heap, "lineno")
        if stat.size_diff > 0
    ]
    cells = max(1, len(load.finished) - load.finished_when_warm)
    top = [f"{s.size_diff / 1024:+.1f} KB {s.traceback[0]}" for s in grown[:5]]
    # The recorder may have filled the last few percent of its cap since: that is by design.
    recorder = max(0, load.recorder_bytes() - load.recorder_bytes_when_warm)
    return max(0, sum(s.size_diff for s in grown) - recorder) / cells, top


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=5.0, help="launch cells this long")
    parser.add_argument("--concurrency", type=int, default=32, help="cells at once")
    parser.add_argument("--max-cells", type=int, default=5000, help="launch at most this many")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds one claude run may take"
    )
    parser.add_argument("--recorder-mb", type=float, default=32.0, help="recorder body cap")
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS sample period, s")
    parser.add_argument(
        "--max-slope", type=float, default=5.0, help="flat: steady RSS slope under this MB/min"
    )
    parser.add_argument(
        "--max-heap-per-cell",
        type=float,
        default=2048,
        help="flat: Python heap kept after warm-up under these bytes per cell",
    )
    parser.add_argument("--no-trace", action="store_true", help="skip tracemalloc (the heap check)")
    parser.add_argument("--journals", type=Path, help="keep the journals here (default: temp)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    manifest = load_manifest(REPO / "manifest.yaml")
    cells = [
        c
        for c in select_cells(manifest)
        if manifest.not_applicable_reason(c.feature_id, c.provider, c.tier) is None
    ]
    # Column by column, so every kind of cell has run within the first few dozen.
    cells.sort(
        key=lambda c: (manifest.tier_ids.index(c.tier), manifest.provider_ids.index(c.provider))
    )
    with (
        tempfile.TemporaryDirectory(prefix="compat-load-") as tmp,
        ProxySession(
            ProxySettings(config=REPO / "proxy_config.yaml", timeout=300),
            emulator_rules=client_rules(manifest),
        ) as session,
    ):
        assert session.emulator is not None
        recorder = session.emulator.ctx.recorder
        recorder.max_body_bytes = int(args.recorder_mb * MB)
        journal_dir = args.journals or Path(tmp)
        load = Load(manifest, session, cells, args, journal_dir)
        sampler = MemorySampler(args.sample_every, recorder, getattr(session.runtime, "pid", None))
        print(
            f"load: {len(cells)} runnable cells per pass, concurrency {args.concurrency}, "
            f"{args.minutes:g} min, per-cell timeout {args.timeout:g} s, recorder cap "
            f"{args.recorder_mb:g} MB; compat RSS {rss_mb():.0f} MB at start",
            flush=True,
        )
        load_at_start = [round(x, 1) for x in os.getloadavg()]
        if not args.no_trace:
            tracemalloc.start()
        started = time.monotonic()
        sampler.start()
        try:
            finished = asyncio.run(load.run())
        finally:
            sampler.stop()
        errors = load.bookkeeping_errors()
        heap = heap_growth(load)
        proxy_status = session.exit_status()
    minutes = (finished - started) / 60
    statuses = Counter(f.status for f in load.finished)
    timed_out = [f for f in load.finished if f.timed_out]
    warm = load.warm_at - started if load.warm_at is not None else float("inf")
    steady = [s for s in sampler.samples if s.seconds >= warm]
    # Under a minute of steady samples says more about the allocator than about a trend.
    judged = len(steady) >= 3 and steady[-1].seconds - steady[0].seconds >= 60
    slope = slope_per_minute([(s.seconds, s.rss_mb) for s in steady])
    durations = sorted(f.seconds for f in load.finished)
    figures = {
        "cells_launched": load.launched,
        "cells_recorded": len(load.finished),
        "passes": len(load.passes),
        "elapsed_min": round(minutes, 2),
        "cells_per_min": round(len(load.finished) / minutes, 1),
        "pass": statuses["pass"],
        "fail": statuses["fail"],
        "timed_out": len(timed_out),
        "outcome_changed_between_passes": flakes(load.finished),
        "cell_seconds_median_p95_max": [
            round(durations[len(durations) // 2], 1),
            round(durations[int(len(durations) * 0.95)], 1),
            round(durations[-1], 1),
        ]
        if durations
        else None,
        "compat_rss": memory_figures(sampler.samples, steady),
        "compat_heap_kept_after_warm_up": {
            "bytes_per_cell": round(heap[0]),
            "most_by_line": heap[1],
        }
        if heap
        else None,
        "proxy_exit_status": proxy_status,
        "load_average_start_end": [load_at_start, [round(x, 1) for x in os.getloadavg()]],
    }
    print(json.dumps(figures, indent=2))
    if timed_out:
        errors.append(f"{len(timed_out)} cells timed out: raise --timeout")
    if judged and slope > args.max_slope:
        errors.append(f"compat's RSS grows {slope:.2f} MB/min after warm-up")
    if judged and heap and heap[0] > args.max_heap_per_cell:
        errors.append(f"compat's Python heap keeps {heap[0]:.0f} bytes per cell after warm-up")
    for error in errors:
        print(f"FAIL: {error}")
    if not errors:
        print("OK: every launched cell recorded exactly once, none timed out")
    if not judged:
        # A short run ends before the recorder is full and every feature has run.
        print("memory: not judged, under a minute of steady state (run longer)")
    elif not errors:
        print(f"OK: memory flat after warm-up (RSS {slope:+.2f} MB/min)")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
