"""A one-turn prompt round-trips without streaming; the reply carries the fresh nonce.

Claude Code always streams, so the probe makes the non-streaming call itself, through
the proxy and authenticated like the CLI: `POST /v1/messages` with `stream: false`. A pass
needs the upstream to have received a non-streaming request (no `stream: true`, not a
streaming operation) and the proxy to answer one JSON message that carries the nonce.
"""

from __future__ import annotations

from typing import Any

import httpx

from compat.outcome import Pass
from compat.probes import register, wire
from compat.probes.base import (
    HttpProbe,
    ProbeContext,
    Verdict,
    clip,
    expect_nonce,
    fail,
    http_error,
)
from compat.probes.prompts import echo_prompt


def non_streaming_body(ctx: ProbeContext) -> dict[str, Any]:
    return {
        "model": ctx.alias,
        "max_tokens": 1024,
        "stream": False,
        "messages": [{"role": "user", "content": echo_prompt(ctx.nonce)}],
    }


def judge_non_streaming(response: httpx.Response, ctx: ProbeContext) -> Verdict:
    records = ctx.upstream_requests()
    streamed = [r for r in records or [] if wire.streaming(r)]
    if streamed:
        return fail(
            "expected a non-streaming upstream request (`stream: false`), the proxy sent "
            f"{wire.describe(streamed[0])} as a streaming one",
            excerpt=clip(response.text, 2000),
        )
    if response.status_code != 200:
        return http_error(response)
    kind = response.headers.get("content-type", "")
    if "json" not in kind:
        return fail(
            f"expected one JSON message, the proxy answered {kind or 'without a content type'}: "
            f"{clip(response.text)}"
        )
    try:
        body = response.json()
        content = body["content"]
        text = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    except (ValueError, KeyError, TypeError):
        return fail(f"expected a Messages response, got {clip(response.text)}")
    if records is not None and not wire.answered(records):
        return fail(
            "no upstream request carrying the nonce was answered: the reply is not upstream's"
        )
    problem = expect_nonce(text, ctx.nonce)
    if problem is not None:
        return fail(problem, usage=body.get("usage"))
    return Verdict(outcome=Pass(), usage=body.get("usage"), excerpt=clip(response.text, 2000))


@register
class BasicMessagingNonStreaming(HttpProbe):
    feature_id = "basic_messaging_non_streaming"
    path = "/v1/messages"
    request_body = staticmethod(non_streaming_body)
    judge_response = staticmethod(judge_non_streaming)
