"""What the fault suite shares: the booted chain, a runner over it, the process tree, tmpfs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compat.manifest import Manifest
from compat.matrix import LoadedResults, build_matrix
from compat.outcome import Fail, ResultsFile, TierResult, ToolVersions
from compat.proxy.lifecycle import ProxySession
from compat.run.cells import Cell, select_cells
from compat.run.scheduler import ProgressCallback
from support.cli import compat_command
from support.processes import spawn
from support.scheduling import schedule
from support.sessions import emulated_session

ROOT = Path(__file__).resolve().parents[2]


def boot_proxy() -> ProxySession:
    """The embedded default: the emulator for every provider behind a local LiteLLM."""
    return emulated_session()


@dataclass(frozen=True)
class Recorded:
    """A finished run: the runner's results, and what the journal on disk holds."""

    results: list[TierResult]
    journal: list[TierResult]

    def by_provider(self) -> dict[str, TierResult]:
        """The results keyed by provider (for runs of one cell per provider)."""
        return {r.provider: r for r in self.results}


def run_cells(
    session: ProxySession,
    manifest: Manifest,
    cells: list[Cell],
    journal_path: Path,
    *,
    concurrency: int,
    max_attempts: int = 2,
    timeout_s: float = 90.0,
    on_result: ProgressCallback | None = None,
) -> Recorded:
    """Run `cells` through the scheduler on `session`, as `compat run` wires it (short backoff)."""
    run = schedule(
        session,
        manifest,
        cells,
        journal_path,
        on_result=on_result,
        concurrency=concurrency,
        max_attempts=max_attempts,
        timeout_s=timeout_s,
    )
    return Recorded(results=run.results, journal=run.journal)


def assert_every_cell_recorded_once(
    manifest: Manifest, cells: list[Cell], recorded: Recorded
) -> None:
    """Results, journal lines and the matrix built from them all account for every cell."""
    wanted = sorted(c.key for c in cells)
    assert sorted(r.key for r in recorded.results) == wanted
    assert sorted(r.key for r in recorded.journal) == wanted
    results_file = ResultsFile(
        versions=ToolVersions(litellm="test", claude_code="test", compat="test"),
        upstream="emulated",
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:00Z",
        results=recorded.journal,
    )
    matrix = build_matrix(manifest, [LoadedResults(Path("compat-results.jsonl"), results_file)])
    for result in recorded.results:
        cell = matrix.cell(result.feature_id, result.provider)
        # A failed tier is named in its matrix cell's error, and only a failed one.
        named = isinstance(cell, Fail) and f"[{result.tier}]" in cell.error
        assert named == isinstance(result.outcome, Fail), (result.key, cell)


# ------------------------------------------------------------------ the process tree


@dataclass(frozen=True)
class Proc:
    """One process, told apart from a later one with the same pid by its start time."""

    pid: int
    start: int
    command: str


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, start time in clock ticks, state) from /proc/PID/stat; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields follow the last `)`.
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19]), fields[0]


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def descendants(root: int) -> set[Proc]:
    """Every live process whose parent chain leads to `root`."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None and stat[2] != "Z":
            children.setdefault(stat[0], []).append(int(entry.name))
            starts[int(entry.name)] = stat[1]
    found: set[Proc] = set()
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.add(Proc(pid, starts[pid], _command(pid)))
        todo += children.get(pid, [])
    return found


def alive(proc: Proc) -> bool:
    """Whether that very process still runs (a zombie has exited; a reused pid is another)."""
    stat = _stat(proc.pid)
    return stat is not None and stat[1] == proc.start and stat[2] != "Z"


def claude_processes(procs: set[Proc]) -> set[Proc]:
    """The `claude` CLI processes among `procs`."""
    return {p for p in procs if "claude" in Path(p.command.split(" ", 1)[0]).name}


class ProcessWatch:
    """Every descendant of a process seen while a run went on, sampled from /proc."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.before = descendants(root)
        """What already ran (a proxy booted earlier): not the run's to clean up."""
        self.seen: set[Proc] = set()

    def survivors(self, grace_s: float = 5.0) -> set[Proc]:
        """Processes the run started that still run after `grace_s` seconds."""
        deadline = time.monotonic() + grace_s
        while True:
            left = {p for p in self.seen - self.before if alive(p)}
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.1)


@contextlib.contextmanager
def watch_processes(root: int, interval_s: float = 0.05) -> Iterator[ProcessWatch]:
    """Sample `root`'s descendants every `interval_s` seconds until the block ends."""
    watch = ProcessWatch(root)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            watch.seen |= descendants(root)
            stop.wait(interval_s)

    sampler = threading.Thread(target=sample, name="process-watch", daemon=True)
    sampler.start()
    try:
        yield watch
    finally:
        stop.set()
        sampler.join()


# ------------------------------------------------------------------ compat as a user runs it


@dataclass(frozen=True)
class Selection:
    """A `compat run` selection: every combination of these features, providers and tiers."""

    features: tuple[str, ...]
    providers: tuple[str, ...]
    tiers: tuple[str, ...]

    def args(self) -> list[str]:
        """The selection as `compat run` flags, two cells at a time."""
        flags = [("-f", self.features), ("-p", self.providers), ("-t", self.tiers)]
        return [arg for flag, ids in flags for value in ids for arg in (flag, value)] + ["-j", "2"]

    def keys(self, manifest: Manifest) -> set[tuple[str, str, str]]:
        """The (feature, provider, tier) cells it selects."""
        cells = select_cells(
            manifest,
            features=list(self.features),
            providers=list(self.providers),
            tiers=list(self.tiers),
        )
        return {c.key for c in cells}


# Eight claude cells across two wires, text and a PDF, quickly.
SAMPLE = Selection(
    features=("basic_messaging_streaming", "pdf_input"),
    providers=("anthropic", "bedrock_converse"),
    tiers=("haiku-4-5", "sonnet-4-6"),
)


def start_compat(args: list[str], logs: Path) -> subprocess.Popen[bytes]:
    """`compat ARGS` in its own process group, as a terminal runs it; output to `logs`.*."""
    with (
        logs.with_suffix(".stdout").open("wb") as stdout,
        logs.with_suffix(".stderr").open("wb") as stderr,
    ):
        return spawn(compat_command(*args), cwd=ROOT, stdout=stdout, stderr=stderr)


@dataclass(frozen=True)
class Finished:
    """A `compat` process that has exited: its code and what it printed."""

    code: int
    stdout: str
    stderr: str


def finish(process: subprocess.Popen[bytes], logs: Path, timeout_s: float) -> Finished:
    """Wait for `process` (killing its group if it overstays) and read what it printed."""
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"compat did not exit within {timeout_s:.0f}s")
    return Finished(
        code=code,
        stdout=logs.with_suffix(".stdout").read_text(errors="replace"),
        stderr=logs.with_suffix(".stderr").read_text(errors="replace"),
    )


@contextlib.contextmanager
def compat_alongside(args: list[str], logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`compat ARGS` running while the block does other things; Ctrl-C'd if still running."""
    process = start_compat(args, logs)
    try:
        yield process
    finally:
        if process.poll() is None:
            # Ctrl-C, not SIGKILL: a killed compat would leave its proxy running.
            os.killpg(process.pid, signal.SIGINT)
            finish(process, logs, timeout_s=30)


def run_compat(args: list[str], logs: Path, timeout_s: float = 300.0) -> Finished:
    """`compat ARGS` to completion."""
    return finish(start_compat(args, logs), logs, timeout_s)


# ------------------------------------------------------------------ small filesystems


@contextlib.contextmanager
def tmpfs(path: Path, *, size: str = "64k", read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `path` (read-only if asked), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (make test runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs on {path}: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        # Lazy: a file still open elsewhere must not leave the mount behind.
        subprocess.run(["umount", "-l", str(path)], check=False)
