"""`POST /v1/messages/count_tokens` through the proxy returns a positive count."""

from __future__ import annotations

from typing import Any

import httpx

from compat.outcome import Pass
from compat.probes import register
from compat.probes.base import Probe, ProbeContext, Verdict, clip, fail, http_error


def count_tokens_body(ctx: ProbeContext) -> dict[str, Any]:
    return {
        "model": ctx.alias,
        "messages": [{"role": "user", "content": f"How many tokens is this? {ctx.nonce}"}],
    }


def judge_count(response: httpx.Response) -> Verdict:
    if response.status_code != 200:
        return http_error(response)
    try:
        count = response.json().get("input_tokens")
    except (ValueError, AttributeError):
        return fail(
            f"count_tokens answered 200 with a body that is not JSON: {clip(response.text)}"
        )
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return fail(f"expected a positive integer input_tokens, got {clip(response.text)}")
    return Verdict(outcome=Pass(), usage={"input_tokens": count})


@register
class CountTokens(Probe):
    feature_id = "count_tokens"

    async def run(self, ctx: ProbeContext) -> Verdict:
        async with ctx.http() as client:
            response = await client.post("/v1/messages/count_tokens", json=count_tokens_body(ctx))
        return judge_count(response)
