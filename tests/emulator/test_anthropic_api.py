"""The Anthropic Messages wire over real HTTP: SDK round trips, SSE, auth and every body rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.capabilities import tier_of
from compat.emulator.context import EmulatorContext
from compat.emulator.rules import RuleBook
from support.wire_bodies import (
    API_HEADERS,
    HAIKU,
    NONCE,
    PROMPT,
    SONNET,
    assert_anthropic_error,
    message_body,
    sse_events,
    streamed_text,
    without,
)

CLAUDE_REQUESTS = Path(__file__).resolve().parent.parent / "fixtures" / "claude_requests"


def sdk(emulator: EmulatorServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emulator.url, api_key="sk-test-key", max_retries=0)


def post(
    emulator: EmulatorServer, body: Any, *, path: str = "/v1/messages", **headers: str
) -> httpx.Response:
    return httpx.post(f"{emulator.url}{path}", json=body, headers={**API_HEADERS, **headers})


def test_sdk_message_round_trip(emulator: EmulatorServer) -> None:
    message = sdk(emulator).messages.create(
        model=SONNET, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    )
    assert message.content[0].type == "text"
    assert NONCE in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    assert message._request_id is not None and message._request_id.startswith("req_")


def test_sdk_stream_arrives_as_incremental_events(emulator: EmulatorServer) -> None:
    with sdk(emulator).messages.stream(
        model=SONNET, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds
    assert NONCE in final.content[0].text


def test_raw_sse_framing(emulator: EmulatorServer) -> None:
    response = post(emulator, message_body(stream=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    events = sse_events(response.text)
    assert [name for name, _ in events][:2] == ["message_start", "ping"]
    assert all(name == data["type"] for name, data in events)
    assert NONCE in streamed_text(events)


def test_count_tokens(emulator: EmulatorServer) -> None:
    counted = sdk(emulator).messages.count_tokens(
        model=SONNET, messages=[{"role": "user", "content": PROMPT}]
    )
    assert counted.input_tokens > 0


def test_real_claude_cli_request_is_accepted() -> None:
    """The request the real claude CLI 2.1.329 sent (captured) passes every rule and streams.

    Its betas are accepted on the evidence of that same client's first-party sends, which
    is how `compat run` sets the emulator up for the release under test.
    """
    body = json.loads((CLAUDE_REQUESTS / "basic_request.json").read_text())
    captured = json.loads((CLAUDE_REQUESTS / "basic_request.headers.json").read_text())
    sent = captured["headers"]["anthropic-beta"].split(",")
    tier = tier_of(body["model"])
    assert tier is not None
    book = RuleBook.with_client({"first_party": {tier: sent}}, "Claude Code 2.1.329")
    with EmulatorServer(EmulatorContext(rules=book)) as emulator:
        _post_captured(emulator, body, captured)


def test_without_its_client_evidence_the_captured_request_is_refused(
    emulator: EmulatorServer,
) -> None:
    body = json.loads((CLAUDE_REQUESTS / "basic_request.json").read_text())
    captured = json.loads((CLAUDE_REQUESTS / "basic_request.headers.json").read_text())
    response = _post(emulator, body, captured)
    assert response.status_code == 400
    assert "Unsupported beta header" in response.json()["error"]["message"]


def _post(emulator: EmulatorServer, body: dict, captured: dict) -> httpx.Response:
    headers = {
        k: v
        for k, v in captured["headers"].items()
        if k.lower() not in ("host", "content-length", "connection", "accept-encoding")
    }
    headers["Authorization"] = "Bearer test-token"
    return httpx.post(
        f"{emulator.url}{captured['path']}?{captured['query']}", json=body, headers=headers
    )


def _post_captured(emulator: EmulatorServer, body: dict, captured: dict) -> None:
    response = _post(emulator, body, captured)
    assert response.status_code == 200, response.text
    assert [name for name, _ in sse_events(response.text)][-1] == "message_stop"


def test_bearer_token_is_accepted(emulator: EmulatorServer) -> None:
    headers = {"authorization": "Bearer sk-other", "anthropic-version": "2023-06-01"}
    response = httpx.post(f"{emulator.url}/v1/messages", json=message_body(), headers=headers)
    assert response.status_code == 200


def test_missing_credentials_is_authentication_error(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/v1/messages",
        json=message_body(),
        headers={"anthropic-version": "2023-06-01"},
    )
    assert_anthropic_error(response, 401, "authentication_error", "x-api-key header is required")


def test_missing_anthropic_version_header_is_rejected(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/v1/messages", json=message_body(), headers={"x-api-key": "k"}
    )
    assert_anthropic_error(response, 400, "invalid_request_error", "anthropic-version")


def test_body_that_is_not_json_is_rejected(emulator: EmulatorServer) -> None:
    response = httpx.post(f"{emulator.url}/v1/messages", content=b"{not json", headers=API_HEADERS)
    assert_anthropic_error(response, 400, "invalid_request_error", "parsing the body")


def test_unknown_model_is_not_found(emulator: EmulatorServer) -> None:
    response = post(emulator, message_body(model="claude-nonexistent-9"))
    assert_anthropic_error(response, 404, "not_found_error", "claude-nonexistent-9")


def test_unknown_path_is_anthropic_404(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.url}/v1/nothing-here", headers=API_HEADERS)
    assert_anthropic_error(response, 404, "not_found_error", "Not Found")


TOOL = {"name": "Bash", "description": "Run", "input_schema": {"type": "object"}}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}


def _turns(*messages: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"role": role, "content": content} for role, content in messages]


# (case id, body, anthropic-beta header, expected message fragment); every one is a 400
# invalid_request_error whose message names the offending field as the real API does.
REJECTED: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("unknown top-level field", message_body(foo=1), None, "foo: Extra inputs are not permitted"),
    (
        "anthropic_version belongs to Vertex/Bedrock",
        message_body(anthropic_version="vertex-2023-10-16"),
        None,
        "anthropic_version: Extra inputs are not permitted",
    ),
    (
        "missing max_tokens",
        without(message_body(), "max_tokens"),
        None,
        "max_tokens: Field required",
    ),
    ("missing messages", without(message_body(), "messages"), None, "messages: Field required"),
    ("missing model", without(message_body(), "model"), None, "model: Field required"),
    ("negative max_tokens", message_body(max_tokens=-1), None, "max_tokens:"),
    ("temperature above 1", message_body(temperature=1.5), None, "temperature:"),
    ("no messages", message_body(messages=[]), None, "messages:"),
    (
        "system role without its beta",
        message_body(messages=_turns(("user", "hi"), ("system", "be brief"))),
        None,
        "messages.1.role: Input should be 'user' or 'assistant'",
    ),
    ("unknown role", message_body(messages=_turns(("robot", "hi"))), None, "messages.0"),
    (
        "empty message",
        message_body(messages=_turns(("user", ""))),
        None,
        "all messages must have non-empty content",
    ),
    (
        "empty text block",
        message_body(messages=_turns(("user", [{"type": "text", "text": ""}]))),
        None,
        "text content blocks must be non-empty",
    ),
    (
        "first message from the assistant",
        message_body(messages=_turns(("assistant", "hi"), ("user", "yo"))),
        None,
        'first message must use the "user" role',
    ),
    (
        "unknown content block type",
        message_body(messages=_turns(("user", [{"type": "hologram"}]))),
        None,
        "messages.0.content.0: Input tag 'hologram'",
    ),
    (
        "unknown field in a text block",
        message_body(messages=_turns(("user", [{"type": "text", "text": "x", "colour": 1}]))),
        None,
        "messages.0.content.0.colour: Extra inputs are not permitted",
    ),
    (
        "unsupported image media type",
        message_body(
            messages=_turns(
                (
                    "user",
                    [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/bmp", "data": "AA"},
                        }
                    ],
                )
            )
        ),
        None,
        "messages.0.content.0.source.media_type",
    ),
    (
        "tool_use without its tool_result",
        message_body(
            tools=[TOOL],
            messages=_turns(("user", "go"), ("assistant", [TOOL_USE]), ("user", "next")),
        ),
        None,
        "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
    ),
    (
        "tool_result without its tool_use",
        message_body(tools=[TOOL], messages=_turns(("user", [TOOL_RESULT]))),
        None,
        "unexpected `tool_use_id` found in `tool_result` blocks: toolu_1",
    ),
    (
        "tool_result in an assistant turn",
        message_body(messages=_turns(("user", "go"), ("assistant", [TOOL_RESULT]))),
        None,
        "`tool_result` blocks can only be in `user` messages",
    ),
    (
        "thinking block in a user turn",
        message_body(
            messages=_turns(("user", [{"type": "thinking", "thinking": "x", "signature": "s"}]))
        ),
        None,
        "`thinking` blocks can only be in `assistant` messages",
    ),
    (
        "tool without input_schema",
        message_body(tools=[{"name": "Bash"}]),
        None,
        "tools.0.input_schema: Field required",
    ),
    (
        "tool name with spaces",
        message_body(tools=[{**TOOL, "name": "run bash"}]),
        None,
        "tools.0.name: String should match pattern",
    ),
    ("duplicate tool names", message_body(tools=[TOOL, TOOL]), None, "Tool names must be unique"),
    (
        "unknown server tool type",
        message_body(tools=[{"type": "web_search_20990101", "name": "web_search"}]),
        None,
        "tools.0: Input tag 'web_search_20990101'",
    ),
    (
        "input_schema that is not an object schema",
        message_body(tools=[{**TOOL, "input_schema": {"type": "string"}}]),
        None,
        "tools.0.input_schema.type",
    ),
    (
        "tool_choice naming a missing tool",
        message_body(tools=[TOOL], tool_choice={"type": "tool", "name": "Edit"}),
        None,
        "tool_choice.name: Tool 'Edit' not found",
    ),
    (
        "thinking budget below 1024",
        message_body(thinking={"type": "enabled", "budget_tokens": 100}),
        None,
        "thinking.budget_tokens: Input should be greater than or equal to 1024",
    ),
    (
        "thinking budget not below max_tokens",
        message_body(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 4000}),
        None,
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    ("unknown thinking type", message_body(thinking={"type": "deep"}), None, "thinking:"),
    (
        "unknown effort",
        message_body(output_config={"effort": "extreme"}),
        None,
        "output_config.effort",
    ),
    (
        "cache_control with an unknown ttl",
        message_body(
            system=[
                {"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": "2h"}}
            ]
        ),
        None,
        "system.0.cache_control.ttl",
    ),
    (
        "unsupported beta header",
        message_body(),
        "not-a-real-beta-2020-01-01",
        "Unsupported beta header: not-a-real-beta-2020-01-01",
    ),
    (
        "beta-only field without its beta",
        message_body(context_management={"edits": []}),
        None,
        "context_management: Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(
    ("body", "beta", "fragment"),
    [pytest.param(body, beta, fragment, id=case) for case, body, beta, fragment in REJECTED],
)
def test_invalid_bodies_are_rejected_like_the_real_api(
    emulator: EmulatorServer, body: dict[str, Any], beta: str | None, fragment: str
) -> None:
    headers = {"anthropic-beta": beta} if beta else {}
    assert_anthropic_error(post(emulator, body, **headers), 400, "invalid_request_error", fragment)


def test_the_same_rules_accept_their_fixed_bodies(emulator: EmulatorServer) -> None:
    """Counterparts of the rejections that must pass, so the rules are not over-broad."""
    accepted = [
        message_body(messages=_turns(("user", "hi"), ("system", "be brief"))),
        message_body(
            tools=[TOOL],
            messages=_turns(("user", "go"), ("assistant", [TOOL_USE]), ("user", [TOOL_RESULT])),
        ),
        message_body(context_management={"edits": []}),
        message_body(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 4000}),
    ]
    betas = ",".join(
        [
            "mid-conversation-tool-changes-2026-07-01",
            "context-management-2025-06-27",
            "interleaved-thinking-2025-05-14",
        ]
    )
    for body in accepted:
        response = post(emulator, body, **{"anthropic-beta": betas})
        assert response.status_code == 200, response.text


def test_count_tokens_rejects_messages_only_fields(emulator: EmulatorServer) -> None:
    response = post(emulator, message_body(), path="/v1/messages/count_tokens")
    assert_anthropic_error(
        response, 400, "invalid_request_error", "max_tokens: Extra inputs are not permitted"
    )


def test_haiku_accepts_budgeted_thinking(emulator: EmulatorServer) -> None:
    body = message_body(
        model=HAIKU, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024}
    )
    response = post(emulator, body)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["type"] == "thinking"
