"""Extended thinking, alone and across a tool call."""

from __future__ import annotations

import re

from compat.outcome import Pass
from support.recorded import (
    Records,
    drop_effort,
    each_body,
    failed,
    judge,
    recorded_context,
    transcript,
)


def test_thinking_passes_on_the_recorded_transcript():
    assert judge("thinking", transcript("thinking")).outcome == Pass()


def test_thinking_fails_without_a_signature():
    run = transcript("thinking", lambda t: re.sub(r'"signature":"[^"]*"', '"signature":""', t))
    failed(judge("thinking", run), "non-empty signature")


def test_thinking_fails_when_the_effort_never_reached_upstream():
    ctx = recorded_context("thinking", drop_effort)
    failed(
        judge("thinking", transcript("thinking"), ctx),
        "expected `output_config.effort: high` (claude --effort high) in the upstream request, "
        "POST /v1/messages (200) carried no effort",
    )


def test_a_tier_without_effort_does_not_need_one_upstream():
    ctx = recorded_context("thinking", drop_effort, tier="haiku-4-5")
    assert judge("thinking", transcript("thinking"), ctx).outcome == Pass()


def test_thinking_with_tool_use_passes_on_the_recorded_transcript():
    verdict = judge("thinking_with_tool_use", transcript("thinking_with_tool_use"))
    assert verdict.outcome == Pass()


def test_thinking_with_tool_use_fails_without_thinking_in_the_first_turn():
    run = transcript(
        "thinking_with_tool_use",
        lambda t: "\n".join(line for line in t.splitlines() if '"type":"thinking"' not in line),
    )
    failed(judge("thinking_with_tool_use", run), "expected the first turn to hold a thinking block")


def test_thinking_with_tool_use_fails_when_the_thinking_block_did_not_go_back_up():
    def drop_history_thinking(records: Records) -> Records:
        def edit(body: dict) -> None:
            for message in body.get("messages", []):
                if message.get("role") == "assistant" and isinstance(message["content"], list):
                    message["content"] = [b for b in message["content"] if b["type"] != "thinking"]

        return each_body(records, edit)

    ctx = recorded_context("thinking_with_tool_use", drop_history_thinking)
    failed(
        judge("thinking_with_tool_use", transcript("thinking_with_tool_use"), ctx),
        "expected the first turn's signed thinking block back upstream",
    )
