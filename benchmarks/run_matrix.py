"""Time the matrix three ways on one booted proxy (emulated upstream, local LiteLLM):

(a) `compat run`'s runner on every selected cell at its default concurrency;
(b) the same cells one at a time;
(c) the same `claude` invocations (same argv, env and stdin) and HTTP calls, run by a
    plain bounded process pool at the same concurrency, with no judging or recording.

Usage: .venv/bin/python benchmarks/run_matrix.py [--feature F ...] [--provider P ...]
       [--concurrency N] [--skip-sequential]
Targets: (a) at least 4x faster than (b); (a) within 1.15x of (c).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint, build_argv, build_env, stdin_payload
from compat.journal import Journal
from compat.manifest import load_manifest
from compat.probes import load_probes
from compat.probes.base import Cell, CliProbe, ProbeContext
from compat.probes.count_tokens import count_tokens_body
from compat.probes.tool_search import TOOL_SEARCH_BETA, tool_search_body
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.runner import Runner, RunnerSettings, default_concurrency
from compat.selection import select_cells


def runnable(manifest, cells: list[Cell]) -> list[Cell]:
    return [
        c for c in cells if manifest.not_applicable_reason(c.feature_id, c.provider, c.tier) is None
    ]


async def with_runner(manifest, endpoint, cells, concurrency: int, binary: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.jsonl")
        journal.open(fresh=True)
        runner = Runner(
            manifest,
            endpoint,
            RunnerSettings(concurrency=concurrency, claude_binary=str(binary)),
            journal=journal,
        )
        started = time.perf_counter()
        results = await runner.run(cells, [])
        elapsed = time.perf_counter() - started
        journal.close()
    statuses = [r.outcome.status for r in results]
    return {"seconds": elapsed, "pass": statuses.count("pass"), "fail": statuses.count("fail")}


async def plain_pool(manifest, endpoint, cells, concurrency: int, binary: Path) -> float:
    """The same work with nothing of compat's around it: spawn, feed stdin, wait."""
    probes = load_probes()
    gate = asyncio.Semaphore(concurrency)

    async def one(cell: Cell) -> None:
        ctx = ProbeContext(
            cell=cell,
            alias=manifest.proxy_alias(cell.provider, cell.tier),
            proxy=endpoint,
            claude_binary=binary,
        )
        probe = probes[cell.feature_id]
        async with gate:
            if isinstance(probe, CliProbe):
                invocation = probe.invocation(ctx)
                scratch = Path(tempfile.mkdtemp(prefix="bench-claude-"))
                try:
                    for sub in ("home", "config", "work"):
                        (scratch / sub).mkdir()
                    process = await asyncio.create_subprocess_exec(
                        *build_argv(binary, invocation),
                        cwd=scratch / "work",
                        env=build_env(
                            invocation,
                            endpoint,
                            home=scratch / "home",
                            config_dir=scratch / "config",
                        ),
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                    await process.communicate(stdin_payload(invocation))
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
            else:
                async with ctx.http() as client:
                    if cell.feature_id == "count_tokens":
                        await client.post("/v1/messages/count_tokens", json=count_tokens_body(ctx))
                    else:
                        await client.post(
                            "/v1/messages",
                            json=tool_search_body(ctx),
                            headers={"anthropic-beta": TOOL_SEARCH_BETA},
                        )

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in cells))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--feature", action="append")
    parser.add_argument("--provider", action="append")
    parser.add_argument("--tier", action="append")
    parser.add_argument("--concurrency", type=int, default=default_concurrency())
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    manifest = load_manifest("manifest.yaml")
    cells = runnable(
        manifest,
        select_cells(manifest, features=args.feature, providers=args.provider, tiers=args.tier),
    )
    binary = find_claude()
    figures: dict[str, object] = {"cells": len(cells), "concurrency": args.concurrency}
    with ProxySession(ProxySettings()) as session:
        endpoint = ProxyEndpoint(base_url=session.base_url, api_key=SecretStr(session.master_key))
        # One warm-up cell, so no variant pays for first-request costs alone.
        asyncio.run(with_runner(manifest, endpoint, cells[:1], 1, binary))
        a = asyncio.run(with_runner(manifest, endpoint, cells, args.concurrency, binary))
        figures["a_compat_run"] = a
        c = asyncio.run(plain_pool(manifest, endpoint, cells, args.concurrency, binary))
        figures["c_plain_pool_seconds"] = c
        if not args.skip_sequential:
            b = asyncio.run(with_runner(manifest, endpoint, cells, 1, binary))
            figures["b_one_at_a_time"] = b
            figures["speedup_a_vs_b"] = round(b["seconds"] / a["seconds"], 2)
        figures["overhead_a_vs_c"] = round(a["seconds"] / c, 3)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
