"""What `compat bisect` shows: each step on stderr, the wire diff, the answer alone on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from compat.commands.proxy_options import ProxyOptions
from compat.console import err, out
from compat.errors import CompatError
from compat.files import write_atomic
from compat.history.bisect import BisectResult, BisectStep, bisect_releases
from compat.history.model import Axis
from compat.history.observe import CellObserver
from compat.history.runner import PlannedRelease
from compat.history.wire_diff import format_wire_diff, wire_diff_of_logs
from compat.manifest import Manifest
from compat.redact import redact
from compat.run.cells import Cell
from compat.run.scheduler import SchedulerSettings

BISECT_NAME = "bisect.json"


def _say(line: str) -> None:
    err.print(line, markup=False, highlight=False)


def execute(
    *,
    axis: Axis,
    planned: list[PlannedRelease],
    manifest: Manifest,
    manifest_path: Path,
    cell: Cell,
    other_tiers: list[str],
    proxy: ProxyOptions,
    claude_code: str | None,
    repeats: int,
    out_dir: Path,
    timeout: float,
    known_issues: Path | None,
) -> int:
    """Bisect `planned` on `cell`; print the steps and the diff; record a fix if asked."""
    from compat.history.plan import fixed_claude_code

    for release in planned:
        if release.refused:
            _say(f"{release.release}: skipped, {release.refused}")
    releases = [p.release for p in planned if not p.refused]
    if len(releases) < 2:
        raise CompatError("fewer than two installable releases between the ends: nothing to bisect")
    if other_tiers:
        _say(f"bisecting {cell} (also in the selection: tiers {', '.join(other_tiers)}; use -t)")
    claude = None
    if axis == "litellm":
        claude, version = fixed_claude_code(claude_code)
        span = f"{releases[0]} … {releases[-1]}"
        _say(f"{len(releases)} LiteLLM releases {span}; Claude Code {version}")
    else:
        _say(f"{len(releases)} Claude Code releases {releases[0]} … {releases[-1]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = proxy.settings()

    def on_step(step: BisectStep) -> None:
        seen = " / ".join(step.statuses)
        why = f": {redact(step.error)[:160]}" if step.error else ""
        _say(f"  {step.release}: {seen}{why}")

    with CellObserver(
        axis=axis,
        manifest=manifest,
        cell=cell,
        proxy=settings,
        scheduler=SchedulerSettings(timeout_s=timeout, max_attempts=2),
        claude=claude,
        work_dir=out_dir,
        note=_say,
    ) as observer:
        result = bisect_releases(releases, observer.observe, repeats=repeats, on_step=on_step)
    _report(result, out_dir)
    if known_issues is not None and result.first_flipped is not None:
        _record_fix(known_issues, manifest, cell, result)
    if result.first_flipped is None:
        return 1
    out.print(result.first_flipped)
    return 0


def _report(result: BisectResult, out_dir: Path) -> None:
    diff = wire_diff_of_logs(result.before_obs.requests, result.after_obs.requests)
    if result.first_flipped is None:
        low, high = result.ambiguous_between or (result.last_before, result.after_obs.release)
        _say(
            f"the flip lies between {low} and {high}: no release in between could be run "
            f"({', '.join(result.skipped)})"
        )
    else:
        _say(
            f"{result.first_status} at {result.last_before} → {result.last_status} at "
            f"{result.first_flipped}, found in {result.runs} runs"
        )
    _say(f"what changed upstream between {result.last_before} and {result.after_obs.release}:")
    lines = format_wire_diff(
        diff, before_label=result.last_before, after_label=result.after_obs.release
    )
    for line in lines or ["  (no field of the upstream request changed)"]:
        _say(line)
    record = {
        "first_flipped": result.first_flipped,
        "last_before": result.last_before,
        "from_status": result.first_status,
        "to_status": result.last_status,
        "runs": result.runs,
        "skipped": result.skipped,
        "steps": [
            {"release": s.release, "statuses": list(s.statuses), "error": s.error}
            for s in result.steps
        ],
        "wire_diff": diff.as_json(),
    }
    write_atomic(out_dir / BISECT_NAME, redact(json.dumps(record, indent=2)) + "\n")
    _say(f"steps and diff: {out_dir / BISECT_NAME}")


def _record_fix(path: Path, manifest: Manifest, cell: Cell, result: BisectResult) -> None:
    from compat.known_issues import load_known_issues, record_fixed_in

    if result.last_status != "pass" or result.first_status != "fail":
        return
    assert result.first_flipped is not None
    known = load_known_issues(path, manifest)
    for issue in known.for_cell(cell.feature_id, cell.provider):
        if record_fixed_in(path, issue.id, result.first_flipped):
            _say(f"{path}: {issue.id} fixed_in {result.first_flipped}")
