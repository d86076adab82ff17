"""Time from `compat boot-proxy` to a healthy proxy (local runtime, emulated upstreams).

Each run spawns the real command, waits for its "ready" line, then Ctrl-Cs it. Reported:
wall time from spawn to ready (what a user waits), and the proxy's own start-to-healthy
time as the command prints it. The LiteLLM venv must be cached (`compat install litellm`).

Usage: python benchmarks/boot_proxy.py [--runs 5] [--litellm-version 1.106.2]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from compat.proxy.venv import DEFAULT_LITELLM_VERSION, installed_binary

REPO = Path(__file__).resolve().parent.parent
READY = re.compile(r"LiteLLM proxy ready at \S+ \(.*healthy after ([0-9.]+) s\)")
RUN_TIMEOUT_SECONDS = 300


def one_run(version: str) -> tuple[float, float]:
    """(seconds from spawn to the ready line, seconds the proxy took to become healthy)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "compat.cli", "boot-proxy", "--litellm-version", version],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            found = READY.search(line)
            if found:
                return time.monotonic() - started, float(found.group(1))
            if time.monotonic() - started > RUN_TIMEOUT_SECONDS:
                break
        raise SystemExit(f"boot-proxy never became ready (exit {process.poll()})")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def describe(label: str, values: list[float]) -> str:
    return (
        f"{label:<28} min {min(values):6.2f} s   median {statistics.median(values):6.2f} s"
        f"   max {max(values):6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--litellm-version", default=DEFAULT_LITELLM_VERSION)
    args = parser.parse_args()
    if installed_binary(args.litellm_version) is None:
        raise SystemExit(f"run `compat install litellm --version {args.litellm_version}` first")
    totals: list[float] = []
    healthy: list[float] = []
    for run in range(1, args.runs + 1):
        total, proxy = one_run(args.litellm_version)
        totals.append(total)
        healthy.append(proxy)
        print(f"run {run}: command → ready {total:.2f} s (proxy start → healthy {proxy:.2f} s)")
    print(f"\n{args.runs} runs, LiteLLM {args.litellm_version}, local runtime, emulated upstreams")
    print(describe("command → ready", totals))
    print(describe("proxy start → healthy", healthy))


if __name__ == "__main__":
    main()
