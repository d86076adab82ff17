"""`POST /v1/messages/count_tokens` through the proxy returns the upstream's count.

A proxy can answer a token count from its own tokenizer without asking upstream (LiteLLM
does when it has no counter for the route, or the upstream refused), so a positive number
proves nothing. A pass needs the upstream to have received this run's count_tokens
request (found by its nonce) and answered it, and the proxy to return a positive count
that it does not itself label a local estimate.
"""

from __future__ import annotations

from typing import Any

import httpx

from compat.outcome import Pass
from compat.probes import register, wire
from compat.probes.base import HttpProbe, ProbeContext, Verdict, clip, fail, http_error

# LiteLLM labels where its count came from: `provider` or `token_count_model` (the
# upstream's counting API, for the route's model or a mapped one) or `local_estimate`.
COUNT_SOURCE_FIELD = "litellm_count_source"
LOCAL_SOURCE = "local_estimate"


def count_tokens_body(ctx: ProbeContext) -> dict[str, Any]:
    return {
        "model": ctx.alias,
        "messages": [{"role": "user", "content": f"How many tokens is this? {ctx.nonce}"}],
    }


def _upstream_problem(ctx: ProbeContext, source: Any) -> str | None:
    records = ctx.upstream_requests()
    if records is None:
        return None
    counted = [r for r in records if wire.is_count_tokens(r)]
    label = f" (the proxy labels its count {source!r})" if source else ""
    if not counted:
        # OpenAI's API counts a Responses request's input itself.
        # Source: https://platform.openai.com/docs/api-reference/responses/input-tokens
        counter = (
            " (OpenAI counts at POST /v1/responses/input_tokens)" if ctx.family == "gpt" else ""
        )
        return (
            "expected this run's count_tokens request upstream (found by its nonce), none "
            f"reached it{counter}: the proxy answered from its own estimate{label}"
        )
    if not wire.answered(counted):
        refused = counted[-1]
        return (
            f"upstream refused the count_tokens request ({wire.describe(refused)}: "
            f"{clip(refused.error_message or refused.error_kind or '')}), so the count is the "
            f"proxy's own estimate{label}"
        )
    return None


def judge_count(response: httpx.Response, ctx: ProbeContext) -> Verdict:
    if response.status_code != 200:
        return http_error(response)
    try:
        body = response.json()
        count = body.get("input_tokens")
    except (ValueError, AttributeError):
        return fail(
            f"count_tokens answered 200 with a body that is not JSON: {clip(response.text)}"
        )
    source = body.get(COUNT_SOURCE_FIELD)
    problem = _upstream_problem(ctx, source)
    if problem is not None:
        return fail(problem, excerpt=clip(response.text, 2000))
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return fail(f"expected a positive integer input_tokens, got {clip(response.text)}")
    if source == LOCAL_SOURCE:
        return fail(
            f"expected the upstream's count, the proxy labels its count {source!r} "
            f"({COUNT_SOURCE_FIELD}): it did not come from upstream"
        )
    return Verdict(outcome=Pass(), usage={"input_tokens": count})


@register
class CountTokens(HttpProbe):
    feature_id = "count_tokens"
    path = "/v1/messages/count_tokens"
    request_body = staticmethod(count_tokens_body)
    judge_response = staticmethod(judge_count)
