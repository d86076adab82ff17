"""Calibration: the emulated grid at each published live matrix's exact versions, cell by cell.

For every (LiteLLM, Claude Code) pair among the live matrices LiteLLM published
(tests/fixtures/live-matrices/), run `compat run --build` on the emulated default at those
versions, then compare each cell the live run tested (pass or fail) with compat's verdict.
Prints, per pair, the agreement and every disagreement with both sides' errors.

Usage: .venv/bin/python benchmarks/fidelity.py [--pair LITELLM:CLAUDE_CODE ...]
       [--out DIR] [--reuse] [--json FILE] [-- extra `compat run` flags]
Target: 100% agreement on tested cells, except deliberate judgement differences, each
argued in docs/fidelity.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from compat.matrix import Matrix, load_matrix

ROOT = Path(__file__).resolve().parents[1]
LIVE = ROOT / "tests" / "fixtures" / "live-matrices"
COMPAT = [sys.executable, "-m", "compat.cli"]
TESTED = frozenset({"pass", "fail"})


@dataclass
class Disagreement:
    feature: str
    provider: str
    live: str
    emulated: str
    live_error: str | None
    emulated_error: str | None


@dataclass
class PairReport:
    litellm: str
    claude_code: str
    live_files: list[str]
    tested: int = 0
    agree: int = 0
    seconds: float = 0.0
    disagreements: list[Disagreement] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)
    """Cells the live run tested that compat's grid does not have (rows or columns)."""


def live_pairs() -> dict[tuple[str, str], list[Path]]:
    """(LiteLLM, Claude Code) → the live matrices published at those versions."""
    pairs: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in sorted(LIVE.glob("*.json")):
        matrix = load_matrix(path)
        pairs[(matrix.litellm_version.removeprefix("v"), matrix.claude_code_version)].append(path)
    return dict(pairs)


def _cell_error(matrix: Matrix, feature: str, provider: str) -> tuple[str, str | None]:
    cell = matrix.cell(feature, provider)
    return cell.status, getattr(cell, "error", None) or getattr(cell, "reason", None)


def compare(report: PairReport, emulated: Matrix, live: list[Matrix]) -> None:
    """Every cell some live run tested, against compat's verdict; a flaky live cell counts
    as a fail only when every live run of it failed."""
    ours = {row.id: row for row in emulated.features}
    for feature_id in dict.fromkeys(row.id for m in live for row in m.features):
        for provider in dict.fromkeys(p for m in live for p in m.providers):
            outcomes = [
                _cell_error(m, feature_id, provider)
                for m in live
                if provider in m.providers and any(r.id == feature_id for r in m.features)
            ]
            tested = [o for o in outcomes if o[0] in TESTED]
            if not tested:
                continue
            passed = [o for o in tested if o[0] == "pass"]
            live_status, live_error = passed[0] if passed else tested[0]
            if feature_id not in ours or provider not in emulated.providers:
                report.not_compared.append(f"{feature_id} × {provider}")
                continue
            status, error = _cell_error(emulated, feature_id, provider)
            report.tested += 1
            if status == live_status:
                report.agree += 1
            else:
                report.disagreements.append(
                    Disagreement(feature_id, provider, live_status, status, live_error, error)
                )


def run_grid(litellm: str, claude_code: str, out: Path, extra: list[str]) -> float:
    """`compat run --build` at these versions on the emulated default; its wall time."""
    binary = subprocess.run(
        [*COMPAT, "install", "claude-code", "--version", claude_code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    started = time.monotonic()
    done = subprocess.run(
        [
            *COMPAT,
            "run",
            "--build",
            *("--litellm-version", litellm),
            *("--claude", binary),
            *("--out", str(out)),
            *extra,
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode not in (0, 3) and not (out / "compatibility-matrix.json").exists():
        raise SystemExit(f"compat run failed at LiteLLM {litellm} × Claude Code {claude_code}")
    return time.monotonic() - started


def print_report(report: PairReport) -> None:
    share = report.agree / report.tested if report.tested else 0.0
    print(
        f"\nLiteLLM {report.litellm} × Claude Code {report.claude_code} "
        f"({', '.join(report.live_files)}): {report.agree} of {report.tested} tested cells "
        f"agree ({share:.0%}); grid run {report.seconds:.0f} s"
    )
    for d in report.disagreements:
        print(f"  ✗ {d.feature} × {d.provider}: live {d.live}, emulated {d.emulated}")
        if d.live_error:
            print(f"      live: {d.live_error[:400]}")
        if d.emulated_error:
            print(f"      emulated: {d.emulated_error[:600]}")
    if report.not_compared:
        print(
            f"  not in compat's grid ({len(report.not_compared)}): "
            + ", ".join(report.not_compared)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", action="append", default=[], help="LITELLM:CLAUDE_CODE")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fidelity")
    parser.add_argument("--reuse", action="store_true", help="compare matrices already in --out")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("extra", nargs="*", help="flags passed on to `compat run`")
    args = parser.parse_args()
    pairs = live_pairs()
    wanted = [tuple(p.split(":", 1)) for p in args.pair] or list(pairs)
    reports = []
    for litellm, claude_code in wanted:
        files = pairs.get((litellm, claude_code))
        if files is None:
            raise SystemExit(f"no live matrix at LiteLLM {litellm} × Claude Code {claude_code}")
        out = args.out / f"{litellm}_{claude_code}"
        report = PairReport(litellm, claude_code, [f.name for f in files])
        if not (args.reuse and (out / "compatibility-matrix.json").exists()):
            report.seconds = run_grid(litellm, claude_code, out, args.extra)
        compare(
            report, load_matrix(out / "compatibility-matrix.json"), [load_matrix(f) for f in files]
        )
        print_report(report)
        reports.append(report)
    tested = sum(r.tested for r in reports)
    agree = sum(r.agree for r in reports)
    print(f"\nall pairs: {agree} of {tested} tested cells agree ({agree / max(tested, 1):.0%})")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
