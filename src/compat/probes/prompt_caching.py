"""Shared judging of the two prompt-caching probes (5 minute and 1 hour TTL)."""

from __future__ import annotations

from typing import Any

from compat.driver import AssistantEvent, ClaudeRun


def turn_usages(run: ClaudeRun) -> list[dict[str, Any]]:
    """Usage per upstream response (one per assistant message id), in order."""
    seen: dict[str, dict[str, Any]] = {}
    for event in run.of_type(AssistantEvent):
        if event.message.usage is not None and not event.is_api_error_message:
            seen[event.message.id or str(len(seen))] = event.message.usage
    return list(seen.values())


def number(usage: dict[str, Any], *path: str) -> int:
    value: Any = usage
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int) else 0


def caching_problem(run: ClaudeRun, *, ttl_field: str | None) -> str | None:
    """Writes on some turn and reads on a later one; with `ttl_field`, writes of that TTL."""
    usages = turn_usages(run)
    if len(usages) < 2:
        return f"expected two model turns (a repeat of the prefix), saw {len(usages)}"
    writes = [number(u, "cache_creation_input_tokens") for u in usages]
    reads = [number(u, "cache_read_input_tokens") for u in usages]
    if not any(reads[1:]):
        return (
            "expected cache_read_input_tokens > 0 on the repeat of the same prefix, saw "
            f"reads {reads} and writes {writes} per turn (the breakpoints, or the cache usage "
            "upstream reported, did not make it back through the proxy)"
        )
    if ttl_field is not None:
        ttl_writes = [number(u, "cache_creation", ttl_field) for u in usages]
        if not any(ttl_writes):
            return (
                f"expected cache_creation.{ttl_field} > 0, saw {ttl_writes} per turn "
                f"(total writes {writes}): the 1h TTL did not survive"
            )
    return None
