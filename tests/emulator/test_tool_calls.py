"""Client tool calls: Bash, its result in the final answer, Claude Code's WebSearch."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from compat.emulator.model import Model
from support.model_requests import (
    BASH_PROMPT,
    BASH_TOOL,
    NONCE,
    TOOL_SEARCH,
    WEB_SEARCH_TOOL,
    ask,
    bash_turns,
    calls,
    texts,
    types,
)


def test_a_bash_request_calls_the_bash_tool(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL]))
    call = reply.content[-1]
    assert reply.stop_reason == "tool_use"
    assert call["type"] == "tool_use"
    assert call["id"].startswith("toolu_")
    assert call["name"] == "Bash"
    assert call["input"]["command"] == f"echo {NONCE}"
    assert call["input"]["description"]
    jsonschema.validate(call["input"], BASH_TOOL["input_schema"])


def test_without_a_bash_tool_the_command_is_not_called(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT))
    assert reply.stop_reason == "end_turn"
    assert texts(reply) == NONCE


def test_a_deferred_bash_tool_is_not_called(model: Model) -> None:
    other = {"name": "Read", "input_schema": {"type": "object"}}
    reply = model.respond(ask(BASH_PROMPT, tools=[other, {**BASH_TOOL, "defer_loading": True}]))
    assert "tool_use" not in types(reply)


def test_tool_choice_none_suppresses_the_call(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL], tool_choice={"type": "none"}))
    assert reply.stop_reason == "end_turn"


@pytest.mark.parametrize("result", [NONCE + "\n", [{"type": "text", "text": NONCE}]])
def test_a_tool_result_is_reported_in_the_final_answer(model: Model, result: Any) -> None:
    _, follow_up = bash_turns(model, result)
    reply = model.respond(follow_up)
    assert reply.stop_reason == "end_turn"
    assert types(reply) == ["text"]
    assert NONCE in texts(reply)


SEARCH_TASK = f"Search the web for {NONCE} using the WebSearch tool, then reply with the title."


def test_claude_code_web_search_loads_the_deferred_tool_then_calls_it(model: Model) -> None:
    first = model.respond(ask(SEARCH_TASK, tools=[TOOL_SEARCH]))
    assert calls(first) == [("ToolSearch", {"query": "select:WebSearch", "max_results": 1})]
    load_id = next(b["id"] for b in first.content if b["type"] == "tool_use")
    loaded = [{"type": "tool_reference", "tool_name": "WebSearch"}]
    history = [
        {"role": "user", "content": SEARCH_TASK},
        {"role": "assistant", "content": [b for b in first.content if b["type"] == "tool_use"]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": load_id, "content": loaded},
                {"type": "text", "text": "Tool loaded."},
            ],
        },
    ]
    second = model.respond(ask(messages=history, tools=[TOOL_SEARCH, WEB_SEARCH_TOOL]))
    assert calls(second) == [("WebSearch", {"query": NONCE})]
    search_id = next(b["id"] for b in second.content if b["type"] == "tool_use")
    history += [
        {"role": "assistant", "content": [b for b in second.content if b["type"] == "tool_use"]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": search_id,
                    "content": f'Web search results for query: "{NONCE}"',
                }
            ],
        },
    ]
    third = model.respond(ask(messages=history, tools=[TOOL_SEARCH, WEB_SEARCH_TOOL]))
    assert calls(third) == [] and "Web search results" in texts(third)
