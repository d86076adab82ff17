"""Emulator latency benchmark: 8 concurrent streaming clients against `compat emulate`.

Every request is a streamed Anthropic Messages call read to its last byte; since the
emulator is the whole upstream, that time is the latency it adds to a matrix run.
The emulator runs in its own process (as it does beside claude and LiteLLM), so the
clients do not compete with it for the interpreter lock.

    .venv/bin/python benchmarks/emulator_latency.py --requests 2000 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from compat.emulator.rules import DOCUMENTED

REPO = Path(__file__).resolve().parent.parent
CLAUDE_BODY = REPO / "tests" / "fixtures" / "claude_requests" / "basic_request.json"
HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
SMALL_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 256,
    "stream": True,
    "messages": [{"role": "user", "content": "Reply with exactly: COMPAT-b3nch01"}],
}
# The real claude CLI's first request (87 KB) with the betas it sends, less those only the
# client's evidence admits: `compat emulate` enforces the documented rules alone.
CLAUDE_SENT_BETAS = (
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "context-management-2025-06-27",
    "thinking-token-count-2026-05-13",
    "advanced-tool-use-2025-11-20",
    "effort-2025-11-24",
    "thinking-display-updates-2026-08-18",
)
CLAUDE_BETAS = ",".join(
    beta
    for beta in CLAUDE_SENT_BETAS
    if beta in DOCUMENTED.accepted_betas("anthropic", "sonnet-4-6")
)


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """Run `compat emulate` on a free port; return the process and its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from compat.cli import main; sys.exit(main())",
            "emulate",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ANTHROPIC_BASE_URL="):
            return process, line.strip().split("=", 1)[1]
    raise RuntimeError("compat emulate exited before printing its URL")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of /proc/<pid>/stat (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_request(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> float:
    """Seconds from sending one streamed request to reading its last byte."""
    started = time.perf_counter()
    async with client.stream("POST", "/v1/messages", content=body, headers=headers) as response:
        async for _ in response.aiter_raw():
            pass
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
    return time.perf_counter() - started


async def run(
    base_url: str, body: bytes, headers: dict[str, str], total: int, concurrency: int
) -> tuple[list[float], float]:
    """Latencies of `total` requests issued by `concurrency` clients, and the wall time."""
    remaining = total
    latencies: list[float] = []

    async def client_loop() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while remaining > 0:
                remaining -= 1
                latencies.append(await one_request(client, body, headers))

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def report(name: str, latencies: list[float], wall: float, cpu: float | None) -> None:
    """Print p50/p99 latency, requests per second and the emulator's CPU per request."""
    cuts = statistics.quantiles(latencies, n=100)
    per_request = f", emulator CPU {cpu * 1000 / len(latencies):.2f} ms/request" if cpu else ""
    print(
        f"{name:>14}: {len(latencies)} requests, p50 {cuts[49] * 1000:.2f} ms, "
        f"p99 {cuts[98] * 1000:.2f} ms, {len(latencies) / wall:.0f} requests/s{per_request}"
    )


def report_server_side(name: str, base_url: str, last: int) -> None:
    """The emulator's own time per request (its recorder's `duration_ms`): the latency it
    adds, without the benchmark client's time or its queueing."""
    recorded = httpx.get(f"{base_url}/_emulator/requests", timeout=60).json()
    records = recorded["requests"] if isinstance(recorded, dict) else recorded
    durations = [r["duration_ms"] for r in records[-last:]]
    cuts = statistics.quantiles(durations, n=100)
    print(
        f"{'':>14}  added by the emulator (server side): p50 {cuts[49]:.2f} ms, "
        f"p99 {cuts[98]:.2f} ms"
    )
    httpx.delete(f"{base_url}/_emulator/requests", timeout=60)


def main() -> None:
    """Parse the options, run both payloads, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per payload")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent streams")
    options = parser.parse_args()
    process, base_url = start_emulator()
    try:
        payloads = {
            "small prompt": (json.dumps(SMALL_BODY).encode(), HEADERS),
            "claude request": (
                CLAUDE_BODY.read_bytes(),
                {**HEADERS, "anthropic-beta": CLAUDE_BETAS},
            ),
        }
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"emulator at {base_url}, {options.concurrency} concurrent streaming clients, "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        for name, (body, headers) in payloads.items():
            asyncio.run(run(base_url, body, headers, 50, options.concurrency))  # warm-up
            before = cpu_seconds(process.pid)
            latencies, wall = asyncio.run(
                run(base_url, body, headers, options.requests, options.concurrency)
            )
            after = cpu_seconds(process.pid)
            cpu = after - before if before is not None and after is not None else None
            report(name, latencies, wall, cpu)
            report_server_side(name, base_url, options.requests)
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
