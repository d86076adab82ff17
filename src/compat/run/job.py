"""One job: pick the emulator's rules, boot the proxy, schedule the cells, write the results."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import SecretStr

from compat import __version__
from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint, claude_version
from compat.errors import CompatError, InputError
from compat.files import write_atomic
from compat.manifest import Manifest
from compat.matrix import canonical_json
from compat.outcome import ResultsFile, TierResult, ToolVersions
from compat.paths import JOURNAL_NAME, RESULTS_NAME
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell
from compat.run.journal import Journal
from compat.run.pacing import effective_rates
from compat.run.scheduler import (
    ProgressCallback,
    ProxyUnderTest,
    RunningProxy,
    Scheduler,
    SchedulerSettings,
    failed_by_dead_proxy,
)
from compat.signals import run_stoppable, stopping_signal

if TYPE_CHECKING:
    from compat.emulator.rules import RuleBook

FailOn = Literal["never", "fail"]
FAIL_ON_CHOICES: tuple[FailOn, ...] = ("never", "fail")


@dataclass
class JobRequest:
    manifest: Manifest
    cells: list[Cell]
    out_dir: Path
    scheduler: SchedulerSettings
    proxy: ProxySettings
    claude: Path | None = None
    proxy_url: str | None = None
    proxy_key: SecretStr | None = None
    litellm_label: str | None = None
    """The LiteLLM version to record when using an already-running proxy."""
    resume: bool = False
    shard: str | None = None

    @property
    def upstream(self) -> Literal["emulated", "live"]:
        emulated = self.proxy_url is None and self.proxy.upstream.value == "emulated"
        return "emulated" if emulated else "live"


@dataclass
class JobEvents:
    """What a job reports while it runs; the command that started it renders these."""

    on_boot: Callable[[str], None] = lambda _line: None
    """A step of booting the proxy (or of reading the client's oracle)."""
    on_start: Callable[[int, int], None] = lambda _total, _already: None
    """Cells start: (cells in the request, cells a resume already has)."""
    on_result: ProgressCallback = lambda _result, _counts: None


@dataclass
class JobReport:
    results_file: ResultsFile
    results_path: Path
    journal_path: Path
    requested: int
    """Cells the request selected."""
    interrupted: bool = False
    stop_code: int = 0
    """The exit status a stop by signal asks for: 130 for Ctrl-C, 143 for SIGTERM."""
    skipped_resumed: int = 0

    @property
    def results(self) -> list[TierResult]:
        return self.results_file.results

    @property
    def versions(self) -> ToolVersions:
        return self.results_file.versions

    @property
    def failures(self) -> list[TierResult]:
        return [r for r in self.results if r.outcome.status == "fail"]

    @property
    def lost_to_dead_proxy(self) -> list[TierResult]:
        """Cells the proxy's death failed: not judged at all; a resume runs them again."""
        return [r for r in self.results if failed_by_dead_proxy(r)]


def exit_code(report: JobReport, *, fail_on: FailOn = "never") -> int:
    """The exit status of a command that ran `report`'s job.

    A stop by signal keeps its conventional status; a proxy that died is an error whatever
    `fail_on` says (its cells say nothing about it); red cells fail only with `fail_on`.
    """
    if report.interrupted:
        return report.stop_code
    if report.lost_to_dead_proxy:
        return 1
    if fail_on == "fail" and report.failures:
        return 1
    return 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def emulator_rules(
    request: JobRequest, binary: Path, version: str, progress: Callable[[str], None]
) -> RuleBook | None:
    """The emulator's rules for this client: documented ∪ what it sends in its own modes."""
    if request.upstream != "emulated":
        return None
    from compat.oracle import client_rules

    return client_rules(request.manifest, binary, version=version, progress=progress)


@contextlib.contextmanager
def _proxy(
    request: JobRequest, progress: Callable[[str], None], rules: RuleBook | None
) -> Iterator[tuple[ProxyUnderTest, ProxySession | None]]:
    if request.proxy_url:
        if request.proxy_key is None:
            raise InputError("--proxy-url needs --proxy-key (or $COMPAT_PROXY_KEY)")
        endpoint = ProxyEndpoint(base_url=request.proxy_url.rstrip("/"), api_key=request.proxy_key)
        yield RunningProxy(endpoint), None
        return
    with ProxySession(request.proxy, progress=progress, emulator_rules=rules) as session:
        yield session, session


def run_job(request: JobRequest, events: JobEvents | None = None) -> JobReport:
    """Run the request's cells; results reach the journal as they finish, then the results file."""
    events = events or JobEvents()
    binary = find_claude(request.claude)
    try:
        claude_v = asyncio.run(claude_version(binary))
    except (OSError, TimeoutError) as exc:
        raise CompatError(f"cannot run {binary} --version: {exc}") from None
    journal = Journal(request.out_dir / JOURNAL_NAME)
    previous = journal.read() if request.resume else []
    wanted = {c.key for c in request.cells}
    # Cells the proxy's death failed say nothing about the proxy: a resume runs them again.
    previous = [r for r in previous if r.key in wanted and not failed_by_dead_proxy(r)]
    journal.open(fresh=not request.resume)
    litellm = request.litellm_label or (
        request.proxy.litellm_version if request.proxy_url is None else "unknown"
    )
    versions = ToolVersions(litellm=litellm, claude_code=claude_v, compat=__version__)
    started_at = _now()
    stop_code: int | None = None
    results = list(previous)
    rules: RuleBook | None = None
    try:
        rules = emulator_rules(request, binary, claude_v, events.on_boot)
        with _proxy(request, events.on_boot, rules) as (proxy, session):
            if session is not None:
                versions.litellm_packages = session.installed_packages()
                if session.runtime is not None:
                    versions.litellm_runtime = session.runtime.describe()
            scheduler = _scheduler(request, proxy, journal, binary, events.on_result)
            events.on_start(len(request.cells), len(previous))
            try:
                results = run_stoppable(scheduler.run(request.cells, previous))
            except STOP_SIGNALS as exc:
                stop_code = stop_status(exc)
                results = journal.read()
    except STOP_SIGNALS as exc:
        stop_code = stop_status(exc)
        results = journal.read() if journal.path.exists() else results
    finally:
        journal.close()
    by_key = {r.key: r for r in results}
    results_file = ResultsFile(
        versions=versions,
        upstream=request.upstream,
        started_at=started_at,
        finished_at=_now(),
        shard=request.shard,
        emulator_rules=_rules_label(rules),
        results=[by_key[c.key] for c in request.cells if c.key in by_key],
    )
    results_path = request.out_dir / RESULTS_NAME
    write_atomic(results_path, canonical_json(results_file))
    return JobReport(
        results_file=results_file,
        results_path=results_path,
        journal_path=journal.path,
        requested=len(request.cells),
        interrupted=stop_code is not None,
        stop_code=stop_code or 0,
        skipped_resumed=len(previous),
    )


# Ctrl-C arrives as KeyboardInterrupt; SIGTERM and SIGHUP (a CI cancel, a closed terminal)
# as the SystemExit(128 + signum) compat.signals raises. Either way the cells that
# finished are kept and written to the results file.
STOP_SIGNALS = (KeyboardInterrupt, SystemExit)


def stop_status(exc: BaseException) -> int:
    """The exit status a stop (Ctrl-C, SIGTERM, SIGHUP) asks for; other SystemExits go on up."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    signum = stopping_signal(exc)
    if signum is None:
        raise exc
    return 128 + signum


def _rules_label(rules: RuleBook | None) -> str | None:
    if rules is None:
        return None
    source = rules.client_label or "no client"
    return f"documented rules (docs/emulator-rules.md) + what {source} sends in its own modes"


def _scheduler(
    request: JobRequest,
    proxy: ProxyUnderTest,
    journal: Journal,
    binary: Path,
    on_result: ProgressCallback,
) -> Scheduler:
    rates = effective_rates(
        request.manifest,
        live=request.upstream == "live",
        flags=request.scheduler.requests_per_minute,
    )
    settings = dataclasses.replace(
        request.scheduler, claude_binary=str(binary), requests_per_minute=rates
    )
    return Scheduler(request.manifest, proxy, settings, journal=journal, on_result=on_result)
