"""Model discovery: `GET /v1/models?limit=1000` answers fast, without a redirect, with usable ids.

With `CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1` Claude Code asks the gateway for its
models with a 3-second timeout, treats any redirect as failure, and keeps the entries whose
`id` contains `claude` or `anthropic` in any case. The request is made as Claude Code makes
it (its bearer token and `anthropic-version`); the route passes when this provider's alias
for the tier is among the ids kept.
"""

from __future__ import annotations

import time

import httpx

from compat.outcome import Fail, Pass
from compat.probes import register
from compat.probes.base import Probe, ProbeContext, Verdict, clip, fail

DISCOVERY_PATH = "/v1/models"
DISCOVERY_QUERY = {"limit": "1000"}
TIMEOUT_S = 3.0
KEPT_WORDS = ("claude", "anthropic")


def kept_ids(body: object) -> list[str] | None:
    """The ids Claude Code keeps from a models answer, or None when it is not one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    ids = [str(entry.get("id")) for entry in data if isinstance(entry, dict) and "id" in entry]
    return [i for i in ids if any(word in i.lower() for word in KEPT_WORDS)]


def judge_discovery(response: httpx.Response, elapsed_s: float, ctx: ProbeContext) -> Verdict:
    excerpt = clip(response.text, 2000)
    if response.is_redirect:
        where = response.headers.get("location", "(no location)")
        return fail(
            f"GET {DISCOVERY_PATH} answered {response.status_code} redirecting to "
            f"{clip(where, 120)}: Claude Code treats any redirect as a failed discovery",
            excerpt=excerpt,
        )
    if response.status_code != 200:
        return fail(
            f"GET {DISCOVERY_PATH}?limit=1000 answered HTTP {response.status_code}: "
            f"{clip(response.text)}",
            excerpt=excerpt,
        )
    if elapsed_s > TIMEOUT_S:
        return fail(
            f"GET {DISCOVERY_PATH} took {elapsed_s:.1f} s, past Claude Code's {TIMEOUT_S:.0f} s",
            excerpt=excerpt,
        )
    try:
        kept = kept_ids(response.json())
    except ValueError:
        kept = None
    if kept is None:
        return fail(f"expected a models list (`data`), got: {clip(response.text)}", excerpt=excerpt)
    if ctx.alias not in kept:
        return fail(
            f"expected {ctx.alias} among the ids Claude Code keeps (containing claude or "
            f"anthropic), got {len(kept)}: {clip(', '.join(kept), 200) or 'none'}",
            excerpt=excerpt,
        )
    outcome: Pass | Fail = Pass()
    return Verdict(outcome=outcome, excerpt=excerpt)


@register
class ModelDiscovery(Probe):
    feature_id = "contract_model_discovery"
    upstream_requests = 0

    async def run(self, ctx: ProbeContext) -> Verdict:
        async with ctx.http() as client:
            started = time.monotonic()
            try:
                response = await client.get(
                    DISCOVERY_PATH,
                    params=DISCOVERY_QUERY,
                    follow_redirects=False,
                    timeout=TIMEOUT_S + 2,
                )
            except httpx.TimeoutException:
                return fail(f"GET {DISCOVERY_PATH} did not answer within {TIMEOUT_S + 2:.0f} s")
            elapsed = time.monotonic() - started
        return judge_discovery(response, elapsed, ctx)
