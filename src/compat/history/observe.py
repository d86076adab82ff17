"""One cell at one release, for a bisect: its status and every request that reached upstream."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from compat.errors import CompatError
from compat.history.bisect import Observation
from compat.history.model import Axis
from compat.manifest import Manifest
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell
from compat.run.journal import Journal
from compat.run.scheduler import Scheduler, SchedulerSettings
from compat.signals import run_stoppable

if TYPE_CHECKING:
    from compat.emulator.rules import RuleBook


class CellObserver:
    """Runs one cell at any release of an axis, keeping the last release's proxy booted.

    A bisect observes each release a few times in a row (to tell a flaky cell from a
    flip), so the proxy is booted once per release, not once per observation.
    """

    def __init__(
        self,
        *,
        axis: Axis,
        manifest: Manifest,
        cell: Cell,
        proxy: ProxySettings,
        scheduler: SchedulerSettings,
        claude: Path | None,
        work_dir: Path,
        note: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.axis = axis
        self.manifest = manifest
        self.cell = cell
        self.proxy = proxy
        self.scheduler = scheduler
        self.claude = claude
        self.work_dir = work_dir
        self.note = note
        self._session: ProxySession | None = None
        self._release: str | None = None
        self._binary: Path | None = None
        self._rules: dict[Path, RuleBook] = {}
        self._runs = 0

    def __enter__(self) -> CellObserver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.__exit__(None, None, None)
        self._session, self._release = None, None

    def _install(self, release: str) -> Path:
        """The claude binary for this release (installing the release first)."""
        if self.axis == "litellm":
            from compat.proxy.venv import ensure_litellm

            ensure_litellm(release)
            assert self.claude is not None
            return self.claude
        from compat.claude_install import install_claude_code

        return install_claude_code(release)

    def _rules_for(self, binary: Path) -> RuleBook | None:
        if self.proxy.upstream.value != "emulated":
            return None
        if binary not in self._rules:
            from compat.driver import claude_version
            from compat.oracle import client_rules

            version = asyncio.run(claude_version(binary))
            self._rules[binary] = client_rules(self.manifest, binary, version=version)
        return self._rules[binary]

    def _boot(self, release: str, binary: Path) -> ProxySession:
        if self._release == release and self._session is not None:
            return self._session
        self.close()
        litellm = release if self.axis == "litellm" else self.proxy.litellm_version
        settings = self.proxy.model_copy(update={"litellm_version": litellm})
        self.note(f"{release}: booting LiteLLM {litellm}")
        session = ProxySession(settings, emulator_rules=self._rules_for(binary))
        session.__enter__()
        self._session, self._release, self._binary = session, release, binary
        return session

    def observe(self, release: str) -> Observation:
        """Run the cell once at `release`; a release that will not install says so."""
        try:
            binary = self._install(release)
            session = self._boot(release, binary)
        except CompatError as exc:
            self.close()
            reason = getattr(exc, "reason", None) or str(exc)
            return Observation(release=release, status="install_failed", error=reason, requests=[])
        log = session.upstream_log
        since = log.last_seq if log is not None else 0
        self._runs += 1
        journal = Journal(self.work_dir / f"{release}-run{self._runs}.jsonl")
        journal.open(fresh=True)
        settings = dataclasses.replace(self.scheduler, claude_binary=str(binary), concurrency=1)
        try:
            scheduler = Scheduler(self.manifest, session, settings, journal=journal)
            (result,) = run_stoppable(scheduler.run([self.cell], []))
        finally:
            journal.close()
        requests = log.query(since=since) if log is not None else []
        error = getattr(result.outcome, "error", None)
        return Observation(
            release=release, status=result.outcome.status, error=error, requests=requests
        )
