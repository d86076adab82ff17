"""Re-record the probe fixtures: each CLI probe's real transcript through claude + LiteLLM +
the emulator, and each HTTP probe's real proxy answer.

Usage: .venv/bin/python scripts/capture_probe_transcripts.py [--tier sonnet-4-6]
Writes tests/fixtures/probe_transcripts/<feature>.{jsonl,json} and <feature>.meta.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import httpx
from pydantic import SecretStr

from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint
from compat.manifest import load_manifest
from compat.probes import load_probes
from compat.probes.base import Cell, CliProbe, ProbeContext
from compat.proxy.lifecycle import ProxySession, ProxySettings

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "probe_transcripts"


class Capture(httpx.AsyncClient):
    """An httpx client that remembers the last response body."""

    last: httpx.Response | None = None

    async def send(self, request, **kwargs):  # type: ignore[override]
        response = await super().send(request, **kwargs)
        await response.aread()
        Capture.last = response
        return response


async def capture(endpoint: ProxyEndpoint, tier: str) -> None:
    manifest = load_manifest("manifest.yaml")
    binary = find_claude()
    OUT.mkdir(parents=True, exist_ok=True)
    for feature, probe in load_probes().items():
        ctx = ProbeContext(
            cell=Cell(feature, "anthropic", tier),
            alias=manifest.proxy_alias("anthropic", tier),
            proxy=endpoint,
            claude_binary=binary,
        )
        if isinstance(probe, CliProbe):
            run = await ctx.claude(probe.invocation(ctx))
            (OUT / f"{feature}.jsonl").write_text(run.stdout)
        else:
            original = ctx.http

            def http(original=original):
                client = original()
                return Capture(base_url=client.base_url, headers=client.headers, timeout=60)

            ctx.http = http  # type: ignore[method-assign]
            await probe.run(ctx)
            assert Capture.last is not None
            (OUT / f"{feature}.json").write_text(
                json.dumps({"status": Capture.last.status_code, "body": Capture.last.json()})
            )
        meta = {"nonce": ctx.nonce, "alias": ctx.alias, "tier": tier}
        (OUT / f"{feature}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"captured {feature}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="sonnet-4-6")
    args = parser.parse_args()
    with ProxySession(ProxySettings()) as session:
        endpoint = ProxyEndpoint(base_url=session.base_url, api_key=SecretStr(session.master_key))
        asyncio.run(capture(endpoint, args.tier))


if __name__ == "__main__":
    main()
