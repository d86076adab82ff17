"""One `compat run`: pick Claude Code and the proxy, run the selected cells, write results."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from compat import __version__
from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint, claude_version
from compat.errors import CompatError, InputError
from compat.files import write_atomic
from compat.journal import JOURNAL_NAME, Journal
from compat.manifest import Manifest
from compat.matrix import canonical_json
from compat.outcome import ResultsFile, TierResult, ToolVersions
from compat.pacing import effective_rates
from compat.probes.base import Cell
from compat.proxy.lifecycle import ProxySession, ProxySettings

if TYPE_CHECKING:
    from compat.emulator.rules import RuleBook
from compat.runner import PROXY_DIED, ProgressCallback, Runner, RunnerSettings, recorded_to_evidence
from compat.signals import run_stoppable

RESULTS_NAME = "compat-results.json"


@dataclass
class JobRequest:
    manifest: Manifest
    cells: list[Cell]
    out_dir: Path
    runner: RunnerSettings
    proxy: ProxySettings
    claude: Path | None = None
    proxy_url: str | None = None
    proxy_key: SecretStr | None = None
    litellm_label: str | None = None
    """The LiteLLM version to record when using an already-running proxy."""
    resume: bool = False
    shard: str | None = None


@dataclass
class JobReport:
    results: list[TierResult]
    results_path: Path
    journal_path: Path
    versions: ToolVersions
    upstream: str
    interrupted: bool = False
    stop_code: int = 0
    """The exit status a stop by signal asks for: 130 for Ctrl-C, 143 for SIGTERM."""
    skipped_resumed: int = 0
    notes: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def emulator_rules(
    request: JobRequest, binary: Path, version: str, progress: Callable[[str], None]
) -> RuleBook | None:
    """The emulator's rules for this client: documented ∪ what it sends in its own modes."""
    if request.proxy_url is not None or request.proxy.upstream.value != "emulated":
        return None
    from compat.oracle import load_or_capture, rule_book

    return rule_book(load_or_capture(binary, version, request.manifest, progress=progress))


@contextlib.contextmanager
def _proxy(
    request: JobRequest, progress: Callable[[str], None], rules: RuleBook | None
) -> Iterator[tuple[ProxyEndpoint, ProxySession | None]]:
    if request.proxy_url:
        if request.proxy_key is None:
            raise InputError("--proxy-url needs --proxy-key (or $COMPAT_PROXY_KEY)")
        yield ProxyEndpoint(base_url=request.proxy_url.rstrip("/"), api_key=request.proxy_key), None
        return
    with ProxySession(request.proxy, progress=progress, emulator_rules=rules) as session:
        yield (
            ProxyEndpoint(base_url=session.base_url, api_key=SecretStr(session.master_key)),
            session,
        )


def run_job(
    request: JobRequest,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_result: ProgressCallback | None = None,
    boot_progress: Callable[[str], None] | None = None,
) -> JobReport:
    """Run the request's cells; results reach the journal as they finish, then the results file."""
    binary = find_claude(request.claude)
    try:
        claude_v = asyncio.run(claude_version(binary))
    except (OSError, TimeoutError) as exc:
        raise CompatError(f"cannot run {binary} --version: {exc}") from None
    journal = Journal(request.out_dir / JOURNAL_NAME)
    previous = journal.read() if request.resume else []
    wanted = {(c.feature_id, c.provider, c.tier) for c in request.cells}
    # Cells the proxy's death failed say nothing about the proxy: a resume runs them again.
    previous = [r for r in previous if r.key in wanted and not failed_by_dead_proxy(r)]
    journal.open(fresh=not request.resume)
    upstream = (
        "emulated"
        if request.proxy_url is None and request.proxy.upstream.value == "emulated"
        else "live"
    )
    litellm = request.litellm_label or (
        request.proxy.litellm_version if request.proxy_url is None else "unknown"
    )
    versions = ToolVersions(litellm=litellm, claude_code=claude_v, compat=__version__)
    started_at = _now()
    stop_code: int | None = None
    results = list(previous)
    rules: RuleBook | None = None
    try:
        progress = boot_progress or (lambda _l: None)
        rules = emulator_rules(request, binary, claude_v, progress)
        with _proxy(request, progress, rules) as (endpoint, session):
            if session is not None:
                versions.litellm_packages = session.installed_packages()
            runner = _runner(
                request, endpoint, session, journal, binary, on_result, live=upstream == "live"
            )
            if on_start is not None:
                on_start(len(request.cells), len(previous))
            try:
                results = run_stoppable(runner.run(request.cells, previous))
            except STOP_SIGNALS as exc:
                stop_code = _stop_code(exc)
                results = journal.read()
    except STOP_SIGNALS as exc:
        stop_code = _stop_code(exc)
        results = journal.read() if journal.path.exists() else results
    finally:
        journal.close()
    results = _in_order(request.cells, results)
    results_file = ResultsFile(
        versions=versions,
        upstream=upstream,
        started_at=started_at,
        finished_at=_now(),
        shard=request.shard,
        emulator_rules=_rules_label(rules),
        results=results,
    )
    results_path = request.out_dir / RESULTS_NAME
    write_atomic(results_path, canonical_json(results_file))
    return JobReport(
        results=results,
        results_path=results_path,
        journal_path=journal.path,
        versions=versions,
        upstream=upstream,
        interrupted=stop_code is not None,
        stop_code=stop_code or 0,
        skipped_resumed=len(previous),
    )


# Ctrl-C arrives as KeyboardInterrupt; SIGTERM and SIGHUP (a CI cancel, a closed terminal)
# as the SystemExit(128 + signum) the proxy session's handlers raise. Either way the cells
# that finished are kept and written to the results file.
STOP_SIGNALS = (KeyboardInterrupt, SystemExit)


def _stop_code(exc: BaseException) -> int:
    if isinstance(exc, SystemExit) and isinstance(exc.code, int) and exc.code > 128:
        return exc.code
    if isinstance(exc, SystemExit):
        raise exc
    return 130


def _rules_label(rules: RuleBook | None) -> str | None:
    if rules is None:
        return None
    source = rules.client_label or "no client"
    return f"documented rules (docs/emulator-rules.md) + what {source} sends in its own modes"


def failed_by_dead_proxy(result: TierResult) -> bool:
    error = getattr(result.outcome, "error", "")
    return error.startswith(PROXY_DIED)


def _in_order(cells: list[Cell], results: list[TierResult]) -> list[TierResult]:
    by_key = {r.key: r for r in results}
    return [
        by_key[(c.feature_id, c.provider, c.tier)]
        for c in cells
        if (c.feature_id, c.provider, c.tier) in by_key
    ]


def _runner(
    request: JobRequest,
    endpoint: ProxyEndpoint,
    session: ProxySession | None,
    journal: Journal,
    binary: Path,
    on_result: ProgressCallback | None,
    *,
    live: bool,
) -> Runner:
    rates = effective_rates(request.manifest, live=live, flags=request.runner.requests_per_minute)
    settings = dataclasses.replace(
        request.runner, claude_binary=str(binary), requests_per_minute=rates
    )
    lookup = seq = upstream_log = None
    if session is not None and session.emulator is not None:
        recorder = upstream_log = session.emulator.ctx.recorder

        def lookup(key: str, since: int) -> list:
            return [recorded_to_evidence(r) for r in recorder.query(contains=key, since=since)]

        def seq() -> int:
            return recorder.last_seq

    return Runner(
        request.manifest,
        endpoint,
        settings,
        journal=journal,
        upstream_lookup=lookup,
        upstream_seq=seq,
        upstream_log=upstream_log,
        proxy_exit_status=session.exit_status if session is not None else None,
        on_result=on_result,
    )
