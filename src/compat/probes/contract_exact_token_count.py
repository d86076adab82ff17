"""count_tokens is exact: the proxy answers the count the upstream gave, not its own estimate.

The guide makes token counting the one optional endpoint, served when a gateway wants
Claude Code to have exact counts. A pass needs what the `count_tokens` feature needs (this
run's request counted upstream, a positive count not labelled a local estimate) and the
number the proxy returns to be the number the upstream answered, as the emulator recorded
it (`input_tokens` on the Messages wires, `inputTokens` on Bedrock's CountTokens).
"""

from __future__ import annotations

import httpx

from compat.probes import register, wire
from compat.probes.base import HttpProbe, ProbeContext, Verdict, fail
from compat.probes.count_tokens import count_tokens_body, judge_count

COUNT_FIELDS = ("input_tokens", "inputTokens")


def upstream_count(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    for name in COUNT_FIELDS:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def judge_exact(response: httpx.Response, ctx: ProbeContext) -> Verdict:
    verdict = judge_count(response, ctx)
    records = ctx.upstream_requests()
    if verdict.cause is not None or records is None:
        return verdict
    answered = [r for r in wire.answered(records) if wire.is_count_tokens(r)]
    counts = [c for c in (upstream_count(r.response_body) for r in answered) if c is not None]
    given = response.json().get("input_tokens")
    if not counts:
        return fail(
            f"the upstream's answer to {wire.describe(answered[-1])} held no count to compare"
        )
    if given not in counts:
        return fail(
            f"the proxy answered input_tokens {given}, the upstream counted {counts[-1]}: "
            "the count Claude Code gets is not the upstream's",
            excerpt=verdict.excerpt,
        )
    return verdict


@register
class ExactTokenCount(HttpProbe):
    feature_id = "contract_exact_token_count"
    path = "/v1/messages/count_tokens"
    needs_upstream_record = True
    request_body = staticmethod(count_tokens_body)
    judge_response = staticmethod(judge_exact)
