"""Prompt caching: breakpoints, writes and reads, TTLs, minimum prefixes, separate caches."""

from __future__ import annotations

import threading
from typing import Any

from compat.emulator.model import Model
from compat.emulator.types import ModelReply, NeutralRequest
from support.model_requests import (
    HAIKU,
    LONG_SYSTEM,
    SONNET,
    Clock,
    ask,
    rejection,
)


def cached(
    tail: str = "Hello",
    *,
    ttl: str | None = None,
    system: str = LONG_SYSTEM,
    **kwargs: Any,
) -> NeutralRequest:
    """A request with one breakpoint on a long system prompt and `tail` after it."""
    mark = {"type": "ephemeral"} if ttl is None else {"type": "ephemeral", "ttl": ttl}
    block = {"type": "text", "text": system, "cache_control": mark}
    return ask(tail, system=[block], **kwargs)


def test_the_first_request_writes_the_cache_and_a_repeat_reads_it() -> None:
    model = Model(clock=Clock())
    first = model.respond(cached())
    assert first.usage.cache_read_input_tokens == 0
    written = first.usage.cache_creation_input_tokens
    assert written > 1024
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == written
    second = model.respond(cached("A different question"))
    assert second.usage.cache_read_input_tokens == written
    assert second.usage.cache_creation_input_tokens == 0
    total = model.count_tokens(cached("A different question"))
    assert second.usage.input_tokens + second.usage.cache_read_input_tokens == total


def test_a_5m_entry_expires_after_five_minutes() -> None:
    clock = Clock()
    model = Model(clock=clock)
    model.respond(cached())
    clock.now += 301
    reply = model.respond(cached())
    assert reply.usage.cache_read_input_tokens == 0
    assert reply.usage.cache_creation_input_tokens > 0


def test_a_read_refreshes_the_ttl() -> None:
    clock = Clock()
    model = Model(clock=clock)
    model.respond(cached())
    clock.now += 200
    model.respond(cached())
    clock.now += 250  # 450 s after the write, 250 s after the read
    assert model.respond(cached()).usage.cache_read_input_tokens > 0


def test_a_1h_breakpoint_lives_an_hour_and_is_reported_apart() -> None:
    clock = Clock()
    model = Model(clock=clock)
    first = model.respond(cached(ttl="1h"))
    assert first.usage.cache_creation.ephemeral_1h_input_tokens > 0
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 0
    clock.now += 3000
    assert model.respond(cached(ttl="1h")).usage.cache_read_input_tokens > 0
    clock.now += 3601
    assert model.respond(cached(ttl="1h")).usage.cache_read_input_tokens == 0


def test_a_prefix_below_the_minimum_is_not_cached() -> None:
    model = Model(clock=Clock())
    reply = model.respond(cached(system="A short system prompt."))
    assert reply.usage.cache_creation_input_tokens == 0
    assert model.respond(cached(system="A short system prompt.")).usage.cache_read_input_tokens == 0


def test_haiku_needs_a_longer_prefix_than_sonnet() -> None:
    model = Model(clock=Clock())
    assert model.respond(cached(model=SONNET)).usage.cache_creation_input_tokens > 0
    assert model.respond(cached(model=HAIKU)).usage.cache_creation_input_tokens == 0


def test_providers_do_not_share_a_cache() -> None:
    model = Model(clock=Clock())
    model.respond(cached(provider="anthropic"))
    reply = model.respond(cached(provider="vertex_ai"))
    assert reply.usage.cache_read_input_tokens == 0
    assert reply.usage.cache_creation_input_tokens > 0


def test_the_longest_cached_prefix_is_read_and_the_rest_written() -> None:
    model = Model(clock=Clock())
    mark = {"type": "ephemeral"}

    def two_marks(question: str) -> NeutralRequest:
        system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": mark}]
        content: list[dict[str, Any]] = [
            {"type": "text", "text": "Context. " * 400},
            {"type": "text", "text": question, "cache_control": mark},
        ]
        return ask(content, system=system)

    first = model.respond(two_marks("First question?"))
    second = model.respond(two_marks("Second question?"))
    assert 0 < second.usage.cache_read_input_tokens < first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens > 0


def test_automatic_caching_marks_the_last_block() -> None:
    model = Model(clock=Clock())
    req = ask(LONG_SYSTEM, cache_control={"type": "ephemeral"})
    assert model.respond(req).usage.cache_creation_input_tokens > 0
    assert model.respond(req).usage.cache_read_input_tokens > 0


def marked_tools(*ttls: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"tool_{i}",
            "input_schema": {"type": "object"},
            "cache_control": {"type": "ephemeral", "ttl": ttl},
        }
        for i, ttl in enumerate(ttls)
    ]


def test_four_breakpoints_are_allowed_and_five_are_not(model: Model) -> None:
    assert model.respond(ask(tools=marked_tools("5m", "5m", "5m", "5m")))
    assert (
        rejection(model, ask(tools=marked_tools("5m", "5m", "5m", "5m", "5m")))
        == "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )


def test_a_1h_breakpoint_after_a_5m_one_is_rejected(model: Model) -> None:
    assert model.respond(ask(tools=marked_tools("1h", "5m")))
    message = rejection(model, ask(tools=marked_tools("5m", "1h")))
    assert message.startswith(
        "tools.1.cache_control.ttl: a ttl='1h' cache_control block must not come after"
    )


def test_an_unknown_ttl_is_rejected(model: Model) -> None:
    assert "Input should be '5m' or '1h'" in rejection(model, ask(tools=marked_tools("10m")))


def test_the_cache_is_safe_under_concurrent_requests() -> None:
    model = Model(clock=Clock())
    replies: list[ModelReply] = []
    threads = [
        threading.Thread(target=lambda: replies.append(model.respond(cached()))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writes = [r for r in replies if r.usage.cache_creation_input_tokens]
    assert len(replies) == 8
    assert len(writes) == 1
