"""Wall time of `compat history` over N releases against the N single-release runs one by one.

Every release is installed first (both sides then find it cached). The singles are
`compat run --litellm-version V` one after another; the history is one `compat history`
over the same releases with the same claude. Prints every run, both totals and
history / sum(singles): under 1.0 means releases sharing the machine (installs ahead of
runs, one release booting while another runs its tail) pays off.

    .venv/bin/python benchmarks/history_wall.py --litellm 1.83.14 1.84.10 … [-- -p vertex_ai]

The history's own output (history.json, timeline.html, releases/) is kept with --keep DIR.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMPAT = str(HERE / ".venv/bin/compat")


def compat(*args: str, check: bool = True) -> str:
    done = subprocess.run([COMPAT, *args], capture_output=True, text=True, cwd=HERE)
    if done.returncode != 0 and check:
        sys.exit(f"compat {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def timed(*args: str, check: bool = True) -> float:
    started = time.perf_counter()
    compat(*args, check=check)
    return time.perf_counter() - started


def statuses(results: Path) -> Counter[str]:
    data = json.loads(results.read_text())
    return Counter(r["outcome"]["status"] for r in data["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm", nargs="+", required=True, help="LiteLLM releases")
    parser.add_argument("--claude-code", default="2.1.329")
    parser.add_argument("--jobs", type=int, default=None, help="compat history --jobs")
    parser.add_argument("--keep", type=Path, default=None, help="keep the history here")
    parser.add_argument(
        "--measured",
        action="append",
        default=[],
        metavar="RELEASE=SECONDS",
        help="a single run already timed (by an earlier run of this script): not run again",
    )
    parser.add_argument("selection", nargs="*", help="cell selection flags, after --")
    args = parser.parse_args()

    for release in args.litellm:
        compat("install", "litellm", "--version", release)
    claude = compat("install", "claude-code", "--version", args.claude_code).strip()
    print(
        f"{len(args.litellm)} releases, Claude Code {args.claude_code}, selection: "
        f"{' '.join(args.selection) or 'the full grid'}"
    )

    with tempfile.TemporaryDirectory(prefix="history-wall-") as scratch:
        singles = {r: float(s) for r, s in (m.split("=", 1) for m in args.measured)}
        for release, seconds in singles.items():
            print(f"single {release:>10}: {seconds:7.1f} s  (measured earlier)", flush=True)
        for release in [r for r in args.litellm if r not in singles]:
            out = Path(scratch) / "single" / release
            # A release whose proxy never boots is timed too: the history pays for it as well.
            seconds = timed(
                "run", "--litellm-version", release, "--claude", claude, "--out", str(out),
                *args.selection, check=False,
            )  # fmt: skip
            singles[release] = seconds
            results = out / "compat-results.json"
            counts = dict(statuses(results)) if results.is_file() else "proxy did not boot"
            print(f"single {release:>10}: {seconds:7.1f} s  {counts}", flush=True)
        out = args.keep or Path(scratch) / "history"
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        history_s = timed(
            "history",
            *[f"--litellm={r}" for r in args.litellm],
            "--claude-code",
            args.claude_code,
            "--out",
            str(out),
            *jobs,
            *args.selection,
        )
        history = json.loads((out / "history.json").read_text())
        flips = sum(
            1
            for cell in history["cells"]
            for a, b in zip(history["columns"], history["columns"][1:], strict=False)
            if a["release"] in cell["outcomes"]
            and b["release"] in cell["outcomes"]
            and cell["outcomes"][a["release"]]["status"] != cell["outcomes"][b["release"]]["status"]
        )
    total = sum(singles.values())
    print(f"sum of singles: {total:7.1f} s")
    print(f"history:        {history_s:7.1f} s  ({flips} flips between neighbouring releases)")
    print(f"ratio history / sum of singles: {history_s / total:.3f}")


if __name__ == "__main__":
    main()
