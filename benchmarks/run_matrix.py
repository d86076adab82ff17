"""Time the matrix three ways on one booted proxy (emulated upstreams, local LiteLLM).

(a) compat's scheduler, wired as `compat run` wires it (compat.run.job: evidence lookups in
    the emulator's recorder, proxy-death checks, an fsync'd journal), at --concurrency;
(b) the same runner one cell at a time;
(c) a replay of (a)'s own work by a plain asyncio semaphore pool at the same concurrency:
    spawn, feed stdin, drain, wait; no parsing, judging, journal or evidence lookups.

How (c) is the same work as (a):
- Capture. While (a) runs, every probe is wrapped so each attempt sets a context variable
  naming where its calls go, and `asyncio.create_subprocess_exec` and
  `httpx.AsyncClient.send` are wrapped to record the calls made inside an attempt: the
  exact argv and spawn keywords (cwd, env, stdio modes, new session, the die-with-parent
  preexec_fn, stream limit), the bytes handed to `communicate()`, and each HTTP request's
  method, URL, headers, body and timeout (count_tokens, tool_search).
- Replay. (c) recreates each run's scratch directories at the very same paths (the driver
  deletes its mkdtemp dirs after each run), spawns with the identical argv, env and
  keywords, feeds the identical stdin, drains stdout and stderr, waits, kills the process
  group as the driver does, and removes the scratch. HTTP requests are resent byte for
  byte from a fresh client per call, as the probes do.
- Order and concurrency. Cells are replayed in the order (a) started them (long-context
  cells first, as the runner sorts them) through one `asyncio.Semaphore(--concurrency)`,
  one slot per attempt as the runner takes them.
- Retries. Every attempt (a) made is replayed, in order, within its cell; the runner's
  backoff sleeps (which hold no slot) are not. Retries are printed per pass.
- Emulator state. Before every pass the recorder's ring buffer is cleared (sequence
  numbers keep rising, so the runner's `since` lookups stay right), the fault plan is
  emptied and the model's prompt cache is cleared in place (the model keeps its rules and
  signing key): no pass reads cache entries another pass wrote. Vertex access tokens are
  kept (LiteLLM caches the one it got). LiteLLM's in-memory state cannot be reset without
  a reboot; an untimed warm-up (a cell of every feature and provider/tier) runs first.
- Check. Each replayed call's exit code or HTTP status is compared with (a)'s, and every
  pass counts the upstream requests the emulator served; differences are printed.

Passes interleave (a, b, c, a, b, c, ...; a, c, ... with --skip-sequential) and figures
are medians over --repeats. CPU-seconds per cell are split into compat's own process
(RUSAGE_SELF: the runner's or the replay's event loop *and* the in-process emulator's
threads; the main thread alone is shown as "loop"), its reaped children (the `claude`
processes and whatever they ran) and the LiteLLM proxy (a long-lived child, reaped only at
the end, so read from /proc: utime+stime of it and its descendants, plus what they reaped).

Targets: (a) <= 1.10 x (c); (a) <= 1.2 x the ideal time, (b) / min(cores, concurrency).
That ideal assumes one cell keeps one core busy; "cores kept busy" (CPU-s per wall second)
and the CPU floor ((a)'s CPU-seconds / cores) show how far that holds.

An earlier (c) gave every claude a stdin pipe, also those whose prompt is on the command
line, and called `communicate(None)`: on Python 3.11 that leaves the pipe open, and Claude
Code waits 3 s for stdin data ("no stdin data received in 3s") before it starts. It also
ran in manifest order, without retries, once, always after (a), against the prompt cache
(a) had filled. Replaying the captured keywords and order rules such drift out.

Usage: .venv/bin/python benchmarks/run_matrix.py [-f FEATURE ...] [-p PROVIDER ...]
       [-t TIER ...] [--concurrency N] [--repeats N] [--skip-sequential] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint, claude_version
from compat.emulator.prompt_cache import PromptCache
from compat.emulator.server import EmulatorServer
from compat.errors import CompatError
from compat.manifest import Manifest, load_manifest
from compat.oracle import client_rules
from compat.outcome import Fail, TierResult
from compat.probes.base import Probe, ProbeContext, Verdict
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell, select_cells
from compat.run.job import JobRequest, _scheduler
from compat.run.journal import Journal
from compat.run.scheduler import SchedulerSettings, default_concurrency

REPO = Path(__file__).resolve().parent.parent
REPLAY_GUARD_S = 900.0
"""A replayed claude still running after this long is killed (the runner's cap is 300 s)."""
SCRATCH_PREFIX = "compat-claude-"
"""What the driver's scratch directories are called (compat.driver.run_claude)."""
TARGET_VS_REPLAY = 1.10
TARGET_VS_IDEAL = 1.20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- capture


@dataclass
class SpawnCall:
    """One `claude` process as the driver started it."""

    argv: tuple[str, ...]
    kwargs: dict[str, Any]
    stdin: bytes | None = None
    exit_code: int | None = None


@dataclass
class HttpCall:
    """One HTTP request a probe sent to the proxy itself."""

    method: str
    url: str
    headers: list[tuple[bytes, bytes]]
    content: bytes
    timeout: httpx.Timeout
    status: int | None = None


Call = SpawnCall | HttpCall
Attempt = list[Call]


@dataclass
class Capture:
    """The attempts of one runner pass, per cell, in the order their cells first started."""

    attempts: dict[Cell, list[Attempt]] = field(default_factory=dict)

    @property
    def calls(self) -> list[Call]:
        """Every call of every attempt."""
        return [call for tries in self.attempts.values() for a in tries for call in a]

    @property
    def retries(self) -> int:
        """Attempts beyond the first, over all cells."""
        return sum(len(tries) - 1 for tries in self.attempts.values())


# Where the calls of the attempt running in this task go; None outside a probe's attempt.
_ATTEMPT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "bench_attempt", default=None
)


class CapturingProbe(Probe):
    """A probe whose every attempt records the calls it makes, for the replay."""

    def __init__(self, inner: Probe, capture: Capture) -> None:
        self.inner = inner
        self.capture = capture
        self.feature_id = inner.feature_id  # type: ignore[misc]
        # The runner's pacer charges these (none on emulated runs, but keep them exact).
        self.upstream_requests = inner.upstream_requests  # type: ignore[misc]

    def __getattr__(self, name: str) -> Any:
        # Whatever else the runner asks of a probe is the wrapped probe's to answer.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    async def run(self, ctx: ProbeContext) -> Verdict:
        """The wrapped probe's attempt, with its calls recorded."""
        attempt: Attempt = []
        self.capture.attempts.setdefault(ctx.cell, []).append(attempt)
        token = _ATTEMPT.set(attempt)
        try:
            return await self.inner.run(ctx)
        finally:
            _ATTEMPT.reset(token)


@contextlib.contextmanager
def capturing_calls() -> Iterator[None]:
    """Record the subprocesses and HTTP requests made inside probe attempts."""
    original_exec = asyncio.create_subprocess_exec
    original_send = httpx.AsyncClient.send

    async def create_subprocess_exec(
        program: str, *args: str, **kwargs: Any
    ) -> asyncio.subprocess.Process:
        attempt = _ATTEMPT.get()
        if attempt is None:
            return await original_exec(program, *args, **kwargs)
        call = SpawnCall(argv=(program, *args), kwargs={**kwargs, "env": dict(kwargs["env"])})
        attempt.append(call)
        process = await original_exec(program, *args, **kwargs)
        communicate = process.communicate

        async def recorded(input: bytes | None = None) -> tuple[bytes, bytes]:
            call.stdin = input
            try:
                return await communicate(input)
            finally:
                call.exit_code = process.returncode

        process.communicate = recorded  # type: ignore[method-assign]
        return process

    async def send(client: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        attempt = _ATTEMPT.get()
        if attempt is None:
            return await original_send(client, request, **kwargs)
        call = HttpCall(
            method=request.method,
            url=str(request.url),
            headers=list(request.headers.raw),
            content=request.content,
            timeout=client.timeout,
        )
        attempt.append(call)
        response = await original_send(client, request, **kwargs)
        call.status = response.status_code
        return response

    asyncio.create_subprocess_exec = create_subprocess_exec  # type: ignore[assignment]
    httpx.AsyncClient.send = send  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        asyncio.create_subprocess_exec = original_exec
        httpx.AsyncClient.send = original_send  # type: ignore[method-assign]


# ---------------------------------------------------------------- replay


def _scratch_of(call: SpawnCall) -> tuple[Path, list[Path]]:
    """The scratch root of a captured run and the directories it held (cwd, HOME, config)."""
    dirs = [Path(call.kwargs["cwd"]), Path(call.kwargs["env"]["HOME"])]
    if "CLAUDE_CONFIG_DIR" in call.kwargs["env"]:
        dirs.append(Path(call.kwargs["env"]["CLAUDE_CONFIG_DIR"]))
    root = Path(os.path.commonpath(dirs))
    # Only ever recreate (and later delete) a driver scratch directory, nothing else.
    if not root.name.startswith(SCRATCH_PREFIX):
        raise RuntimeError(f"unexpected scratch layout for a replayed claude: {dirs}")
    return root, dirs


async def replay_spawn(call: SpawnCall) -> int | None:
    """Run one captured claude again: same paths, argv, env, keywords and stdin."""
    root, dirs = _scratch_of(call)
    root.mkdir(mode=0o700)  # fails if it exists: never run in (or delete) a live scratch
    try:
        for directory in dirs:
            directory.mkdir(exist_ok=True)
        process = await asyncio.create_subprocess_exec(*call.argv, **call.kwargs)
        try:
            await asyncio.wait_for(process.communicate(call.stdin), REPLAY_GUARD_S)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        finally:
            # As the driver does: nothing the CLI started may outlive the run.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        return process.returncode
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def replay_http(call: HttpCall) -> int:
    """Send one captured request again from a fresh client, as the probe did."""
    async with httpx.AsyncClient(timeout=call.timeout) as client:
        request = httpx.Request(call.method, call.url, headers=call.headers, content=call.content)
        response = await client.send(request)
        return response.status_code


async def replay(capture: Capture, concurrency: int) -> tuple[int, int]:
    """(calls replayed, calls whose exit code or status differs from the capture's)."""
    gate = asyncio.Semaphore(concurrency)
    differing = 0

    async def cell(attempts: list[Attempt]) -> None:
        """Replay one cell's attempts in order, each in a slot of its own."""
        nonlocal differing
        for attempt in attempts:
            async with gate:  # one slot per attempt, as the runner holds them
                for call in attempt:
                    if isinstance(call, SpawnCall):
                        same = await replay_spawn(call) == call.exit_code
                    else:
                        same = await replay_http(call) == call.status
                    differing += not same

    await asyncio.gather(*(cell(tries) for tries in capture.attempts.values()))
    return len(capture.calls), differing


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class CpuTimes:
    """CPU-seconds so far of compat (and its main thread), reaped children, and LiteLLM."""

    compat: float
    loop: float
    claude: float
    litellm: float

    def __sub__(self, other: CpuTimes) -> CpuTimes:
        """What was used between two readings."""
        return CpuTimes(
            self.compat - other.compat,
            self.loop - other.loop,
            self.claude - other.claude,
            self.litellm - other.litellm,
        )

    @property
    def total(self) -> float:
        """compat (its loop included once), claude and LiteLLM together."""
        return self.compat + self.claude + self.litellm


def _rusage_seconds(who: int) -> float:
    """User plus system CPU-seconds of `who` (RUSAGE_SELF, _THREAD or _CHILDREN)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(root: int | None) -> float:
    """utime+stime of `root` and its live descendants, plus all they reaped (/proc)."""
    if root is None:
        return 0.0
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited while we looked
        # Fields after the parenthesised command name: state, ppid, ..., then utime (14th
        # field of the line), stime, cutime, cstime.
        fields = text[text.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(value) for value in fields[11:15])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += ticks.get(pid, 0)
        stack += [child for child, parent in parents.items() if parent == pid]
    return total / CLOCK_TICKS


def cpu_now(litellm_pid: int | None) -> CpuTimes:
    """The CPU-seconds every party has used so far."""
    return CpuTimes(
        compat=_rusage_seconds(resource.RUSAGE_SELF),
        loop=_rusage_seconds(resource.RUSAGE_THREAD),
        claude=_rusage_seconds(resource.RUSAGE_CHILDREN),
        litellm=tree_cpu_seconds(litellm_pid),
    )


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


@dataclass
class PassFigures:
    """One timed pass: wall time, attempts, what the emulator served, CPU, load."""

    kind: str
    repeat: int
    seconds: float
    cells: int
    attempts: int
    retries: int
    upstream_requests: int
    cpu: CpuTimes
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def cores_busy(self) -> float:
        """CPU-seconds of compat, claude and LiteLLM per wall second: cores kept busy."""
        return self.cpu.total / self.seconds if self.seconds else 0.0

    def cpu_per_cell(self) -> CpuTimes:
        """The pass's CPU-seconds divided by its cells."""
        n = max(1, self.cells)
        return CpuTimes(
            self.cpu.compat / n, self.cpu.loop / n, self.cpu.claude / n, self.cpu.litellm / n
        )


@dataclass
class Bench:
    """What every pass shares: the manifest, the booted proxy, claude and the cells."""

    manifest: Manifest
    session: ProxySession
    endpoint: ProxyEndpoint
    binary: Path
    cells: list[Cell]

    @property
    def emulator(self) -> EmulatorServer:
        """The in-process emulator behind the proxy."""
        assert self.session.emulator is not None
        return self.session.emulator

    @property
    def litellm_pid(self) -> int | None:
        """The LiteLLM process (None for a runtime without a local pid)."""
        return getattr(self.session.runtime, "pid", None)

    def reset_emulator(self) -> None:
        """Empty the recorder and fault plan, and start a cold prompt cache."""
        ctx = self.emulator.ctx
        ctx.recorder.clear()
        ctx.faults.clear()
        cold_prompt_cache(ctx.model)

    async def measured(
        self, kind: str, repeat: int, work: Callable[[], Awaitable[PassFigures]]
    ) -> PassFigures:
        """Run one pass from a reset emulator, and time it and its CPU."""
        self.reset_emulator()
        recorder = self.emulator.ctx.recorder
        load_before, seq = load_average(), recorder.last_seq
        cpu, started = cpu_now(self.litellm_pid), time.perf_counter()
        figures = await work()
        figures.seconds = time.perf_counter() - started
        figures.cpu = cpu_now(self.litellm_pid) - cpu
        figures.upstream_requests = recorder.last_seq - seq
        figures.kind, figures.repeat = kind, repeat
        figures.load_before, figures.load_after = load_before, load_average()
        return figures

    async def runner_pass(
        self, cells: list[Cell], concurrency: int, capture: Capture
    ) -> PassFigures:
        """compat's runner over `cells`, as `compat run` builds it, recording its calls."""
        with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
            request = JobRequest(
                manifest=self.manifest,
                cells=cells,
                out_dir=Path(tmp),
                scheduler=SchedulerSettings(concurrency=concurrency),
                proxy=self.session.settings,
            )
            journal = Journal(Path(tmp) / "journal.jsonl")
            journal.open(fresh=True)
            try:
                runner = _scheduler(
                    request, self.session, journal, self.binary, lambda _r, _c: None
                )
                runner.probes = {k: CapturingProbe(p, capture) for k, p in runner.probes.items()}
                with capturing_calls():
                    results = await runner.run(cells, [])
            finally:
                journal.close()
        return runner_figures(results)

    async def replay_pass(self, capture: Capture, concurrency: int) -> PassFigures:
        """The captured pass again through a plain semaphore pool."""
        calls, differing = await replay(capture, concurrency)
        attempts = sum(len(tries) for tries in capture.attempts.values())
        return blank_figures(
            cells=len(capture.attempts),
            attempts=attempts,
            retries=capture.retries,
            outcomes={"same": calls - differing, "different": differing},
        )


def cold_prompt_cache(model: object) -> None:
    """Forget every prefix the emulator's model has cached, keeping the rest of the model."""
    # There is no public reset, and a new Model() could differ from the one the emulator
    # was built with (its rules, clock, signing key): clear the one cache in place.
    cache = getattr(model, "_cache", None)
    if not isinstance(cache, PromptCache):
        raise RuntimeError("the emulator's model no longer keeps its prompt cache in `_cache`")
    with cache._lock:
        cache._expiry.clear()


def blank_figures(**values: Any) -> PassFigures:
    """Figures whose timing fields `Bench.measured` fills in."""
    zero = CpuTimes(0, 0, 0, 0)
    return PassFigures(
        kind="",
        repeat=0,
        seconds=0.0,
        upstream_requests=0,
        cpu=zero,
        load_before=(0, 0, 0),
        load_after=(0, 0, 0),
        **values,
    )


def runner_figures(results: list[TierResult]) -> PassFigures:
    """A runner pass's attempts, retries and outcomes, from its results."""
    attempts = [r.evidence.attempts or 1 for r in results]
    failures = [
        f"{r.feature_id}/{r.provider}/{r.tier}: {r.outcome.error[:200]}"
        for r in results
        if isinstance(r.outcome, Fail)
    ]
    return blank_figures(
        cells=len(results),
        attempts=sum(attempts),
        retries=sum(attempts) - len(results),
        outcomes=dict(Counter(r.outcome.status for r in results)),
        failures=failures,
    )


def warmup_cells(cells: list[Cell]) -> list[Cell]:
    """A cell of every feature and of every provider/tier: LiteLLM's first-use costs."""
    seen: set[object] = set()
    chosen = []
    for cell in cells:
        keys = {("feature", cell.feature_id), ("alias", cell.provider, cell.tier)}
        if not keys <= seen:
            chosen.append(cell)
            seen |= keys
    return chosen


# ---------------------------------------------------------------- reporting

LABELS = {"a": "(a) compat runner", "b": "(b) one at a time", "c": "(c) plain replay pool"}


def describe_pass(figures: PassFigures) -> str:
    """One line per pass, printed as it finishes."""
    per = figures.cpu_per_cell()
    outcomes = " ".join(f"{k} {v}" for k, v in sorted(figures.outcomes.items()))
    return (
        f"  {figures.kind} #{figures.repeat}  {figures.seconds:7.2f} s  {figures.cells} cells  "
        f"{figures.attempts} attempts ({figures.retries} retries)  "
        f"upstream {figures.upstream_requests}  [{outcomes}]  CPU-s/cell: compat "
        f"{per.compat:.3f} (loop {per.loop:.3f}) claude {per.claude:.3f} litellm "
        f"{per.litellm:.3f} total {per.total:.3f}  busy {figures.cores_busy:.2f} cores  "
        f"load {figures.load_before[0]:.2f}→{figures.load_after[0]:.2f}"
    )


def median_cpu(passes: list[PassFigures]) -> CpuTimes:
    """Median CPU-seconds per cell of each party over the passes."""
    per = [p.cpu_per_cell() for p in passes]
    return CpuTimes(
        statistics.median(c.compat for c in per),
        statistics.median(c.loop for c in per),
        statistics.median(c.claude for c in per),
        statistics.median(c.litellm for c in per),
    )


def verdict(ratio: float | None, target: float) -> str:
    """PASS when `ratio` meets `target`, MISS when not, n/a without a ratio."""
    if ratio is None:
        return "n/a"
    return "PASS" if ratio <= target else "MISS"


def summarise(passes: list[PassFigures], concurrency: int, cores: int) -> dict[str, Any]:
    """Medians per pass kind, the two ratios and their verdicts."""
    by_kind = {k: [p for p in passes if p.kind == k] for k in "abc"}
    medians = {k: statistics.median(p.seconds for p in v) for k, v in by_kind.items() if v}
    parallel = min(cores, concurrency)
    ideal = medians["b"] / parallel if "b" in medians else None
    vs_replay = medians["a"] / medians["c"]
    vs_ideal = medians["a"] / ideal if ideal else None
    cpu_a = statistics.median(p.cpu.total for p in by_kind["a"])
    return {
        "median_seconds": medians,
        "median_cores_busy": {
            k: statistics.median(p.cores_busy for p in v) for k, v in by_kind.items() if v
        },
        "cpu_floor_seconds": cpu_a / cores,
        "ideal_seconds": ideal,
        "ideal_parallelism": parallel,
        "cores": cores,
        "a_over_c": vs_replay,
        "a_over_c_median_of_repeats": statistics.median(
            a.seconds / c.seconds for a, c in zip(by_kind["a"], by_kind["c"], strict=True)
        ),
        "a_over_c_per_repeat": [
            a.seconds / c.seconds for a, c in zip(by_kind["a"], by_kind["c"], strict=True)
        ],
        "a_over_ideal": vs_ideal,
        "target_a_over_c": TARGET_VS_REPLAY,
        "target_a_over_ideal": TARGET_VS_IDEAL,
        "verdict_a_over_c": verdict(vs_replay, TARGET_VS_REPLAY),
        "verdict_a_over_ideal": verdict(vs_ideal, TARGET_VS_IDEAL),
        "median_cpu_per_cell": {k: asdict(median_cpu(v)) for k, v in by_kind.items() if v},
    }


def print_summary(summary: dict[str, Any], passes: list[PassFigures]) -> None:
    """The medians, ratios with their targets, CPU split and the sameness check."""
    medians = summary["median_seconds"]
    print("\nmedians over the repeats")
    for kind, seconds in medians.items():
        print(f"  {LABELS[kind]:<24} {seconds:7.2f} s")
    print(
        f"  (a)/(c)                  {summary['a_over_c']:7.3f}   target ≤ "
        f"{TARGET_VS_REPLAY:.2f}  {summary['verdict_a_over_c']}   per repeat: "
        + ", ".join(f"{r:.3f}" for r in summary["a_over_c_per_repeat"])
        + f" (median {summary['a_over_c_median_of_repeats']:.3f})"
    )
    if summary["ideal_seconds"] is not None:
        print(
            f"  ideal = (b)/{summary['ideal_parallelism']}            "
            f"{summary['ideal_seconds']:7.2f} s"
        )
        print(
            f"  (a)/ideal                {summary['a_over_ideal']:7.3f}   target ≤ "
            f"{TARGET_VS_IDEAL:.2f}  {summary['verdict_a_over_ideal']}"
        )
    else:
        print("  (a)/ideal                    n/a   (--skip-sequential)")
    # (b)/cores assumes one cell keeps one core busy; `busy` says how many it really does.
    busy = ", ".join(f"({k}) {v:.2f}" for k, v in summary["median_cores_busy"].items())
    print(f"  cores kept busy            {busy}")
    floor = summary["cpu_floor_seconds"]
    print(
        f"  CPU floor = (a) CPU-s / {summary['cores']}    {floor:7.2f} s   "
        f"(a)/floor {medians['a'] / floor:.3f}"
    )
    print("\nCPU-seconds per cell (medians; compat = runner or replay loop + emulator threads)")
    print(f"  {'':<24} {'compat':>8} {'(loop)':>8} {'claude':>8} {'litellm':>8} {'total':>8}")
    for kind, cpu in summary["median_cpu_per_cell"].items():
        total = cpu["compat"] + cpu["claude"] + cpu["litellm"]
        print(
            f"  {LABELS[kind]:<24} {cpu['compat']:8.3f} {cpu['loop']:8.3f} {cpu['claude']:8.3f}"
            f" {cpu['litellm']:8.3f} {total:8.3f}"
        )
    a_up = [p.upstream_requests for p in passes if p.kind == "a"]
    c_up = [p.upstream_requests for p in passes if p.kind == "c"]
    different = sum(p.outcomes.get("different", 0) for p in passes if p.kind == "c")
    print(
        f"\nsameness: upstream requests per (a) pass {a_up}, per (c) pass {c_up}; "
        f"replayed calls whose exit code/status differed from (a): {different}"
    )


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-f", "--feature", action="append", help="repeatable")
    parser.add_argument("-p", "--provider", action="append", help="repeatable")
    parser.add_argument("-t", "--tier", action="append", help="repeatable")
    parser.add_argument("--concurrency", type=int, default=default_concurrency())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-sequential", action="store_true", help="no (b) passes")
    parser.add_argument("--json", type=Path, help="write every raw figure to this file")
    args = parser.parse_args()
    if args.json is not None:
        args.json = args.json.resolve()  # before main() moves to the repository
    if args.repeats < 1 or args.concurrency < 1:
        parser.error("--repeats and --concurrency must be at least 1")
    return args


def select(manifest: Manifest, args: argparse.Namespace) -> list[Cell]:
    """The selected cells that can run (not-applicable ones are recorded without a run)."""
    cells = select_cells(manifest, features=args.feature, providers=args.provider, tiers=args.tier)
    return [
        c for c in cells if manifest.not_applicable_reason(c.feature_id, c.provider, c.tier) is None
    ]


def run_passes(bench: Bench, args: argparse.Namespace) -> list[PassFigures]:
    """Warm up, then interleave a, b, c (or a, c) --repeats times, printing each pass."""
    warm = warmup_cells(bench.cells)
    print(f"warm-up: {len(warm)} cells (every feature and provider/tier), untimed", flush=True)
    asyncio.run(bench.runner_pass(warm, args.concurrency, Capture()))
    passes: list[PassFigures] = []
    for repeat in range(1, args.repeats + 1):
        capture = Capture()
        kinds: list[tuple[str, Callable[[], Awaitable[PassFigures]]]] = [
            ("a", lambda c=capture: bench.runner_pass(bench.cells, args.concurrency, c))
        ]
        if not args.skip_sequential:
            kinds.append(("b", lambda: bench.runner_pass(bench.cells, 1, Capture())))
        kinds.append(("c", lambda c=capture: bench.replay_pass(c, args.concurrency)))
        for kind, work in kinds:
            figures = asyncio.run(bench.measured(kind, repeat, work))
            passes.append(figures)
            print(describe_pass(figures), flush=True)
            for failure in figures.failures[:5]:
                print(f"      fail: {failure}")
    return passes


def main() -> None:
    """Boot the proxy, run the interleaved passes, print (and maybe write) the figures."""
    args = parse_args()
    os.chdir(REPO)  # manifest.yaml and the proxy config are found relative to the repo
    manifest = load_manifest("manifest.yaml")
    try:
        cells = select(manifest, args)
    except CompatError as exc:
        sys.exit(f"run_matrix: {exc}")
    if not cells:
        sys.exit("run_matrix: no runnable cells selected")
    binary = find_claude()
    cores = len(os.sched_getaffinity(0))
    load_start = load_average()
    settings = ProxySettings()
    print(
        f"{len(cells)} cells, concurrency {args.concurrency}, {cores} cores, "
        f"{args.repeats} repeats; claude {asyncio.run(claude_version(binary))}, "
        f"litellm {settings.litellm_version}, Python {platform.python_version()}; "
        f"load average at start {load_start}",
        flush=True,
    )
    with ProxySession(settings, emulator_rules=client_rules(manifest, binary)) as session:
        endpoint = ProxyEndpoint(base_url=session.base_url, api_key=SecretStr(session.master_key))
        bench = Bench(manifest, session, endpoint, binary, cells)
        passes = run_passes(bench, args)
    load_end = load_average()
    summary = summarise(passes, args.concurrency, cores)
    print_summary(summary, passes)
    print(f"\nload average at start {load_start}, at end {load_end} ({cores} cores, shared)")
    if args.json:
        report: Mapping[str, Any] = {
            "cells": [str(c) for c in cells],
            "concurrency": args.concurrency,
            "cores": cores,
            "repeats": args.repeats,
            "load_average": {"start": load_start, "end": load_end},
            "passes": [asdict(p) for p in passes],
            "summary": summary,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"raw figures written to {args.json}")


if __name__ == "__main__":
    main()
