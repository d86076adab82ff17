"""Re-record the probe fixtures: each CLI probe's real transcript through claude + LiteLLM +
the emulator, each HTTP probe's real proxy answer, and what the emulator received.

Usage: .venv/bin/python scripts/capture_probe_transcripts.py [--tier sonnet-4-6] [FEATURE…]
Writes tests/fixtures/probe_transcripts/<feature>.{jsonl,json}, <feature>.upstream.json
(the emulator's records of the run, long strings cut in the middle) and <feature>.meta.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from compat.claude_install import find_claude
from compat.driver import ProxyEndpoint
from compat.emulator.recorder import Recorder
from compat.manifest import load_manifest
from compat.oracle import client_rules
from compat.probes import load_probes
from compat.probes.base import CliProbe, ProbeContext
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "probe_transcripts"
# Strings longer than this (system prompts, tool descriptions, the long-context filler) keep
# their two ends, where the nonces and markers sit; media payloads (`data`, `bytes`) stay
# whole, since the judges find a run's requests by a slice from their middle.
LONG_STRING = 600
KEPT_END = 250
MEDIA_KEYS = frozenset({"data", "bytes"})


def cut(value: Any, key: str = "") -> Any:
    if isinstance(value, str) and len(value) > LONG_STRING and key not in MEDIA_KEYS:
        return f"{value[:KEPT_END]}…[{len(value) - 2 * KEPT_END} chars cut]…{value[-KEPT_END:]}"
    if isinstance(value, list):
        return [cut(item, key) for item in value]
    if isinstance(value, dict):
        return {name: cut(item, name) for name, item in value.items()}
    return value


class Capture(httpx.AsyncClient):
    """An httpx client that remembers the last response body."""

    last: httpx.Response | None = None

    async def send(self, request, **kwargs):  # type: ignore[override]
        response = await super().send(request, **kwargs)
        await response.aread()
        Capture.last = response
        return response


async def capture(
    endpoint: ProxyEndpoint, recorder: Recorder, tier: str, features: list[str]
) -> None:
    manifest = load_manifest("manifest.yaml")
    binary = find_claude()
    OUT.mkdir(parents=True, exist_ok=True)
    for feature, probe in load_probes().items():
        if features and feature not in features:
            continue
        # The open-list check fails on the model-list route at the default release (LiteLLM
        # drops the unseen body field); the pass-through route forwards the body as it is,
        # so its recording is that of a proxy that keeps the contract.
        faithful = feature == "contract_open_lists"
        ctx = ProbeContext(
            cell=Cell(feature, "anthropic", tier),
            alias=(
                manifest.upstream_model("anthropic", tier)
                if faithful
                else manifest.proxy_alias("anthropic", tier)
            ),
            proxy=endpoint.model_copy(update={"base_url": endpoint.base_url + "/anthropic"})
            if faithful
            else endpoint,
            claude_binary=binary,
            upstream=recorder,
            upstream_since=recorder.last_seq,
            upstream_model=manifest.upstream_model("anthropic", tier),
        )
        if isinstance(probe, CliProbe):
            run = await ctx.claude(probe.invocation(ctx))
            (OUT / f"{feature}.jsonl").write_text(run.stdout)
            # When each line arrived, for the judges that compare it with the upstream's clock.
            (OUT / f"{feature}.arrivals.json").write_text(json.dumps(run.arrivals))
        else:
            original = ctx.http

            def http(original=original):
                client = original()
                return Capture(base_url=client.base_url, headers=client.headers, timeout=60)

            object.__setattr__(ctx, "http", http)  # the context is frozen for probes only
            await probe.run(ctx)
            assert Capture.last is not None
            answer = {
                "status": Capture.last.status_code,
                "content_type": Capture.last.headers.get("content-type"),
                "body": Capture.last.json(),
            }
            (OUT / f"{feature}.json").write_text(json.dumps(answer))
        records = recorder.query(since=ctx.upstream_since or 0)
        (OUT / f"{feature}.upstream.json").write_text(
            json.dumps([cut(r.model_dump(mode="json")) for r in records], ensure_ascii=False)
        )
        meta = {"nonce": ctx.nonce, "alias": ctx.alias, "tier": tier}
        (OUT / f"{feature}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"captured {feature}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="sonnet-4-6")
    parser.add_argument("features", nargs="*", help="only these features (default: all)")
    args = parser.parse_args()
    rules = client_rules(load_manifest("manifest.yaml"))
    with ProxySession(ProxySettings(), emulator_rules=rules) as session:
        assert session.emulator is not None
        endpoint = ProxyEndpoint(base_url=session.base_url, api_key=SecretStr(session.master_key))
        asyncio.run(capture(endpoint, session.emulator.ctx.recorder, args.tier, args.features))


if __name__ == "__main__":
    main()
