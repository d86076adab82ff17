"""A ModelReply as Anthropic stream events: order, chunking, and a lossless round trip."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
from hypothesis import given
from hypothesis import strategies as st

from compat.emulator.anthropic_stream import anthropic_events, assemble
from compat.emulator.model import Model
from compat.emulator.types import ModelReply, NeutralRequest, Usage

USAGE = Usage(input_tokens=12, output_tokens=34, cache_read_input_tokens=5)
THINKING = {"type": "thinking", "thinking": "Let me think about it.", "signature": "c2lnbmF0dXJl"}
TEXT = {"type": "text", "text": "Here is the answer."}
TOOL_USE = {
    "type": "tool_use",
    "id": "toolu_01",
    "name": "Bash",
    "input": {"command": "echo COMPAT-ab12cd34", "description": "Print the nonce"},
}


def reply_of(*blocks: dict[str, Any], stop_reason: Any = "end_turn") -> ModelReply:
    return ModelReply(
        id="msg_01", model="claude-sonnet-4-6", content=list(blocks), stop_reason=stop_reason,
        usage=USAGE,
    )  # fmt: skip


def deltas(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        e["delta"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == kind
    ]


def test_events_come_in_the_real_order() -> None:
    events = anthropic_events(reply_of(THINKING, TEXT, TOOL_USE, stop_reason="tool_use"))
    kinds = [event["type"] for event in events]
    assert kinds[:2] == ["message_start", "ping"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    body = events[2:-2]
    for index in range(3):
        block_events = [e for e in body if e.get("index") == index]
        assert block_events[0]["type"] == "content_block_start"
        assert block_events[-1]["type"] == "content_block_stop"
        assert {e["type"] for e in block_events[1:-1]} == {"content_block_delta"}
    # blocks are not interleaved: indexes never go back
    indexes = [e["index"] for e in body]
    assert indexes == sorted(indexes)


def test_message_start_is_empty_and_message_delta_carries_stop_reason_and_usage() -> None:
    events = anthropic_events(reply_of(TEXT, TOOL_USE, stop_reason="tool_use"))
    start = events[0]["message"]
    assert start["content"] == []
    assert start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == 12
    assert start["usage"]["cache_read_input_tokens"] == 5
    delta = events[-2]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert delta["usage"] == USAGE.model_dump(exclude_none=True)


def test_text_thinking_and_tool_input_arrive_in_several_deltas() -> None:
    events = anthropic_events(reply_of(THINKING, TEXT, TOOL_USE))
    assert len(deltas(events, "text_delta")) >= 2
    assert len(deltas(events, "thinking_delta")) >= 2
    assert deltas(events, "signature_delta") == [
        {"type": "signature_delta", "signature": THINKING["signature"]}
    ]
    partials = deltas(events, "input_json_delta")
    assert len(partials) >= 2
    assert json.loads("".join(d["partial_json"] for d in partials)) == TOOL_USE["input"]


def test_a_tool_use_starts_with_an_empty_input() -> None:
    start = anthropic_events(reply_of(TOOL_USE))[2]
    assert start["content_block"] == {**TOOL_USE, "input": {}}


def test_server_tool_results_arrive_whole_in_their_start_event() -> None:
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
    events = anthropic_events(reply_of(result))
    assert [e["type"] for e in events[2:-2]] == ["content_block_start", "content_block_stop"]
    assert events[2]["content_block"] == result


@given(
    text=st.text(max_size=300),
    thinking=st.text(max_size=300),
    tool_input=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=5),
)
def test_assembling_the_deltas_gives_back_every_block(
    text: str, thinking: str, tool_input: dict[str, str]
) -> None:
    reply = reply_of(
        {"type": "thinking", "thinking": thinking, "signature": "c2ln"},
        {"type": "text", "text": text},
        {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": tool_input},
        stop_reason="tool_use",
    )
    message = assemble(anthropic_events(reply))
    assert message["content"] == reply.content
    assert message["stop_reason"] == "tool_use"


def model_replies() -> list[ModelReply]:
    """Replies of the real model that use every block kind it produces."""
    model = Model()
    bash = {
        "name": "Bash",
        "input_schema": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    }
    bodies: list[dict[str, Any]] = [
        {
            "tools": [bash],
            "thinking": {"type": "adaptive"},
            "messages": [{"role": "user", "content": "Run this command: `echo COMPAT-ab12cd34`"}],
        },
        {
            "tools": [{"type": "web_search_20250305", "name": "web_search"}],
            "messages": [{"role": "user", "content": "Search the web for Compat."}],
        },
    ]
    return [
        model.respond(NeutralRequest(provider="anthropic", model="claude-sonnet-4-6", body=body))
        for body in bodies
    ]


def test_model_replies_round_trip_through_the_stream() -> None:
    for reply in model_replies():
        assert assemble(anthropic_events(reply))["content"] == reply.content


def sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def test_the_anthropic_sdk_rebuilds_the_same_message() -> None:
    for reply in model_replies():
        body = sse(anthropic_events(reply))
        transport = httpx2.MockTransport(
            lambda request, body=body: httpx2.Response(
                200, content=body, headers={"content-type": "text/event-stream"}
            )
        )
        client = anthropic.Anthropic(
            api_key="test",
            base_url="http://emulator.test",
            http_client=httpx2.Client(transport=transport),
        )
        with client.beta.messages.stream(
            model=reply.model, max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            final = stream.get_final_message()
        assert final.id == reply.id
        assert final.stop_reason == reply.stop_reason
        assert [block.to_dict() for block in final.content] == reply.content
        assert final.usage.output_tokens == reply.usage.output_tokens
