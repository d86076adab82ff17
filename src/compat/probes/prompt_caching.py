"""Shared judging of the two prompt-caching probes (5 minute and 1 hour TTL)."""

from __future__ import annotations

import json
from typing import Any

from compat.driver import AssistantEvent, ClaudeRun
from compat.probes import wire
from compat.upstream_log import RecordedRequest


def model_turns(run: ClaudeRun) -> int:
    """Upstream responses in the run (one per assistant message id)."""
    ids = {
        event.message.id or str(i)
        for i, event in enumerate(run.of_type(AssistantEvent))
        if not event.is_api_error_message
    }
    return len(ids)


def number(usage: dict[str, Any] | None, *path: str) -> int:
    value: Any = usage
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int) else 0


def caching_problem(
    run: ClaudeRun, *, ttl_field: str | None, automatic: bool = False
) -> str | None:
    """Reads on the repeat, judged on the final usage; with `ttl_field`, writes of that TTL.

    The final usage is the `result` event's: Claude Code sums each turn's usage as the
    stream ends it. The assistant messages only copy `message_start`, which on a Bedrock
    Converse stream has no cache counts yet (ConverseStream reports them in its closing
    `metadata` event, which the proxy relays as `message_delta`).
    """
    turns = model_turns(run)
    if turns < 2:
        return f"expected two model turns (a repeat of the prefix), saw {turns}"
    usage = run.usage
    reads = number(usage, "cache_read_input_tokens")
    writes = number(usage, "cache_creation_input_tokens")
    if reads <= 0 and automatic:
        return (
            "expected cache_read_input_tokens > 0 on the repeat of the same prefix, the "
            f"final usage over {turns} turns reports reads {reads}: the upstream's automatic "
            "cache hit (`cached_tokens`) did not make it back through the proxy"
        )
    if reads <= 0:
        # The reads are the repeat's: the first turn's prefix carries this run's own
        # prompt (in Claude Code's billing header), new to the cache.
        return (
            "expected cache_read_input_tokens > 0 on the repeat of the same prefix, the "
            f"final usage over {turns} turns reports reads {reads} and writes {writes} (the "
            "breakpoints, or the cache usage upstream reported, did not make it back through "
            "the proxy)"
        )
    if ttl_field is not None:
        ttl_writes = number(usage, "cache_creation", ttl_field)
        if ttl_writes <= 0:
            return (
                f"expected cache_creation.{ttl_field} > 0 in the final usage, saw {ttl_writes} "
                f"(total writes {writes}): the 1h TTL did not survive"
            )
    return None


def breakpoints_problem(records: list[RecordedRequest], *, ttl: str | None) -> str | None:
    """The answered requests carried cache breakpoints (of `ttl`, when given)."""
    sent = wire.answered(records)
    if not sent:
        return "no upstream request carrying this run's prompt was answered"
    points = [point for record in sent for point in wire.cache_breakpoints(record)]
    if not points:
        return (
            f"expected cache breakpoints (`cache_control`) in the upstream requests, the "
            f"{len(sent)} answered ones carried none: the proxy dropped them"
        )
    if ttl is not None and not any(point.get("ttl") == ttl for point in points):
        seen = json.dumps(points[:3])
        return (
            f'expected cache breakpoints with `ttl: "{ttl}"` upstream, they arrived as {seen}: '
            "the proxy dropped the TTL"
        )
    return None
