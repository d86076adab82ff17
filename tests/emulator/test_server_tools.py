"""Server tools: web search and tool search, where each platform offers them."""

from __future__ import annotations

from typing import Any

import pytest

from compat.emulator.model import Model
from compat.emulator.types import ProviderId
from support.model_requests import (
    HAIKU,
    NONCE,
    WEB_SEARCH,
    ask,
    rejection,
    types,
)


def test_web_search_returns_a_search_a_result_and_a_citing_answer(model: Model) -> None:
    reply = model.respond(
        ask(f"Search the web for the Compat release notes. {NONCE}", tools=[WEB_SEARCH])
    )
    use, result, answer = reply.content
    assert types(reply) == ["server_tool_use", "web_search_tool_result", "text"]
    assert use["id"].startswith("srvtoolu_")
    assert use["name"] == "web_search"
    assert use["input"]["query"] == "the Compat release notes"
    assert result["tool_use_id"] == use["id"]
    hit = result["content"][0]
    assert hit["type"] == "web_search_result"
    assert hit["url"].startswith("https://example.com/")
    assert {"title", "encrypted_content", "page_age"} <= hit.keys()
    assert answer["citations"][0]["url"] == hit["url"]
    assert NONCE in answer["text"]
    assert reply.usage.server_tool_use == {"web_search_requests": 1}


@pytest.mark.parametrize("provider", ["bedrock_invoke", "bedrock_converse"])
def test_web_search_is_not_offered_on_bedrock(model: Model, provider: ProviderId) -> None:
    message = rejection(model, ask("Search", provider=provider, tools=[WEB_SEARCH]))
    assert "web_search_20250305" in message


def test_dynamic_web_search_needs_a_4_6_model(model: Model) -> None:
    tool = {"type": "web_search_20260209", "name": "web_search"}
    assert model.respond(ask("Search", tools=[tool])).usage.server_tool_use
    assert "web_search_20260209" in rejection(model, ask("Search", model=HAIKU, tools=[tool]))
    assert "web_search_20260209" in rejection(model, ask("Search", provider="azure", tools=[tool]))


def deferred(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
        "defer_loading": True,
    }


SEARCHABLE = [
    {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
    deferred("get_weather", "Get the current weather for a city"),
    deferred("search_files", "Search through files in the workspace"),
]


def test_tool_search_references_the_matching_deferred_tool(model: Model) -> None:
    reply = model.respond(ask("What is the weather in Paris?", tools=SEARCHABLE))
    use, result, answer = reply.content
    assert types(reply) == ["server_tool_use", "tool_search_tool_result", "text"]
    assert use["name"] == "tool_search_tool_regex"
    assert "weather" in use["input"]["query"]
    assert result["tool_use_id"] == use["id"]
    assert result["content"] == {
        "type": "tool_search_tool_search_result",
        "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
    }
    assert "get_weather" in answer["text"]


def test_the_bm25_variant_searches_with_words(model: Model) -> None:
    tools = [{"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"}]
    reply = model.respond(ask("Search the workspace files", tools=tools + SEARCHABLE[1:]))
    assert reply.content[0]["input"] == {"query": "search workspace files"}
    assert reply.content[1]["content"]["tool_references"] == [
        {"type": "tool_reference", "tool_name": "search_files"}
    ]


def test_all_tools_deferred_is_rejected(model: Model) -> None:
    assert "At least one tool must be non-deferred" in rejection(model, ask(tools=SEARCHABLE[1:]))


def test_a_deferred_tool_search_tool_is_rejected(model: Model) -> None:
    tools = [{**SEARCHABLE[0], "defer_loading": True}, *SEARCHABLE[1:]]
    assert "cannot have `defer_loading`" in rejection(model, ask(tools=tools))


def test_tool_search_is_not_offered_through_converse(model: Model) -> None:
    message = rejection(model, ask(provider="bedrock_converse", tools=SEARCHABLE))
    assert "tool_search_tool_regex_20251119" in message


def test_an_unsupported_server_tool_is_rejected_by_name(model: Model) -> None:
    tool = {"type": "code_execution_20250825", "name": "code_execution"}
    assert "code_execution_20250825" in rejection(model, ask(tools=[tool]))


def test_a_forced_web_search_server_tool_runs_the_search(model: Model) -> None:
    reply = model.respond(
        ask(
            f"Perform a web search for the query: {NONCE}",
            tools=[WEB_SEARCH],
            tool_choice={"type": "tool", "name": "web_search"},
        )
    )
    assert types(reply)[:2] == ["server_tool_use", "web_search_tool_result"]
