"""Wall time of `compat run` over the full grid: this checkout against another, alternating.

Each round runs the same selection once per checkout, in alternating order (so a load
change on the machine falls on both), with the same claude binary and LiteLLM release.
Prints every run, the medians, and this checkout's median over the other's.

    .venv/bin/python benchmarks/grid_wall.py --base /path/to/other/checkout --rounds 2

The other checkout needs its own venv (`make install` there, or `uv sync --frozen`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def claude_binary(version: str) -> str:
    return subprocess.run(
        [str(HERE / ".venv/bin/compat"), "install", "claude-code", "--version", version],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def one_run(checkout: Path, claude: str, selection: list[str]) -> tuple[float, Counter[str]]:
    """Seconds `compat run` took in `checkout`, and its outcomes by status."""
    with tempfile.TemporaryDirectory(prefix="grid-wall-") as out:
        started = time.perf_counter()
        done = subprocess.run(
            [
                str(checkout / ".venv/bin/compat"),
                "run",
                "--out",
                out,
                "--claude",
                claude,
                *selection,
            ],
            cwd=checkout,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{checkout}: compat run exited {done.returncode}:\n{done.stderr[-2000:]}")
        results = json.loads((Path(out) / "compat-results.json").read_text())
    return seconds, Counter(r["outcome"]["status"] for r in results["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--claude-code-version", default="2.1.329")
    parser.add_argument("selection", nargs="*", help="compat run selection flags, e.g. -p azure")
    args = parser.parse_args()
    claude = claude_binary(args.claude_code_version)
    checkouts = {"this": HERE, "base": args.base.resolve()}
    seconds: dict[str, list[float]] = {name: [] for name in checkouts}
    outcomes: dict[str, Counter[str]] = {}
    for number in range(args.rounds):
        order = list(checkouts) if number % 2 == 0 else list(reversed(checkouts))
        for name in order:
            took, counts = one_run(checkouts[name], claude, args.selection)
            seconds[name].append(took)
            outcomes[name] = counts
            print(f"round {number + 1} {name:>4}: {took:6.1f} s  {dict(sorted(counts.items()))}")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"median this {medians['this']:.1f} s, base {medians['base']:.1f} s")
    print(f"this / base = {medians['this'] / medians['base']:.3f}")
    if outcomes["this"] != outcomes["base"]:
        print(f"outcomes differ: this {dict(outcomes['this'])}, base {dict(outcomes['base'])}")


if __name__ == "__main__":
    main()
