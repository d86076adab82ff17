"""A `ModelReply` as the Anthropic Messages stream: the list of SSE event payloads.

The order is the real API's: `message_start`, `ping`, then per content block
`content_block_start`, its deltas and `content_block_stop`, then `message_delta` (stop
reason and usage) and `message_stop`. Text, thinking and tool input arrive in at least
two deltas each (when they are two characters or longer), so a client or proxy that
buffers the stream can be told apart from one that passes it through.
Source: https://platform.claude.com/docs/en/build-with-claude/streaming#event-types
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from compat.emulator.types import ModelReply

_MAX_CHUNK = 64
_STREAMED_INPUT_BLOCKS = ("tool_use", "server_tool_use")


def anthropic_events(reply: ModelReply) -> list[dict[str, Any]]:
    """The stream events for `reply`, each a dict whose `type` names the SSE event."""
    usage = reply.usage.model_dump(exclude_none=True)
    # message_start carries the input side of the usage; output tokens so far are few.
    start_usage = {**usage, "output_tokens": min(1, reply.usage.output_tokens)}
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": reply.id,
                "type": "message",
                "role": "assistant",
                "model": reply.model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
        {"type": "ping"},
    ]
    for index, block in enumerate(reply.content):
        events.extend(_block_events(index, block))
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
            # Usage in message_delta is cumulative for the whole message.
            "usage": usage,
        }
    )
    events.append({"type": "message_stop"})
    return events


def assemble(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The message a client rebuilds from the events (the inverse of `anthropic_events`)."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    partial_json: dict[int, str] = {}
    for event in events:
        kind = event["type"]
        if kind == "message_start":
            message = copy.deepcopy(event["message"])
        elif kind == "content_block_start":
            blocks[event["index"]] = copy.deepcopy(event["content_block"])
        elif kind == "content_block_delta":
            _apply_delta(blocks[event["index"]], event["delta"], partial_json, event["index"])
        elif kind == "content_block_stop" and event["index"] in partial_json:
            blocks[event["index"]]["input"] = json.loads(partial_json.pop(event["index"]))
        elif kind == "message_delta":
            message.update(event["delta"])
            message["usage"] = {**message.get("usage", {}), **event["usage"]}
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def _block_events(index: int, block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block.get("type")
    deltas: list[dict[str, Any]]
    if kind == "text":
        start: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "citations_delta", "citation": c} for c in block.get("citations", [])]
        deltas += [{"type": "text_delta", "text": t} for t in _chunks(block["text"])]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": t} for t in _chunks(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind in _STREAMED_INPUT_BLOCKS:
        start = {**block, "input": {}}
        encoded = json.dumps(block["input"], ensure_ascii=False, separators=(",", ":"))
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _chunks(encoded)]
    else:
        # Server tool results and redacted thinking arrive whole in their start event.
        start, deltas = block, []
    return [
        {"type": "content_block_start", "index": index, "content_block": start},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


def _apply_delta(
    block: dict[str, Any], delta: dict[str, Any], partial_json: dict[int, str], index: int
) -> None:
    kind = delta["type"]
    if kind == "text_delta":
        block["text"] += delta["text"]
    elif kind == "citations_delta":
        block.setdefault("citations", []).append(delta["citation"])
    elif kind == "thinking_delta":
        block["thinking"] += delta["thinking"]
    elif kind == "signature_delta":
        block["signature"] += delta["signature"]
    elif kind == "input_json_delta":
        partial_json[index] = partial_json.get(index, "") + delta["partial_json"]


def _chunks(text: str) -> list[str]:
    """`text` cut into pieces: at least two when it has two characters or more."""
    if not text:
        return []
    size = max(1, min(_MAX_CHUNK, math.ceil(len(text) / 2)))
    return [text[i : i + size] for i in range(0, len(text), size)]
