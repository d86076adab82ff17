"""A model reply as Converse returns it: the Converse response, or the ConverseStream events.

Shapes: ConverseOutput, TokenUsage and ConverseStreamOutput in the Bedrock Runtime API
reference, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compat.emulator.types import ModelReply, Usage

# Anthropic stop reasons without a Converse equivalent map to the closest documented value.
STOP_REASONS: dict[str, str] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "pause_turn": "end_turn",
    "refusal": "content_filtered",
    "model_context_window_exceeded": "model_context_window_exceeded",
}


def converse_usage(usage: Usage) -> dict[str, Any]:
    """Anthropic usage in TokenUsage's field names (cache fields only when caching happened)."""
    cache_read = usage.cache_read_input_tokens
    cache_write = usage.cache_creation_input_tokens
    converted: dict[str, Any] = {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        # TokenUsage only says "input and output tokens"; cache reads and writes are input
        # Claude processed, so they count here too (no public example settles this).
        "totalTokens": usage.input_tokens + usage.output_tokens + cache_read + cache_write,
    }
    if cache_read or cache_write:
        converted["cacheReadInputTokens"] = cache_read
        converted["cacheWriteInputTokens"] = cache_write
        by_ttl = (
            ("5m", usage.cache_creation.ephemeral_5m_input_tokens),
            ("1h", usage.cache_creation.ephemeral_1h_input_tokens),
        )
        details = [{"ttl": ttl, "inputTokens": tokens} for ttl, tokens in by_ttl if tokens]
        if details:
            converted["cacheDetails"] = details
    return converted


def _redacted(data: str) -> str:
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def _output_block(block: Mapping[str, Any]) -> dict[str, Any]:
    kind = block["type"]
    if kind == "text":
        return {"text": block["text"]}
    if kind == "tool_use":
        return {
            "toolUse": {"toolUseId": block["id"], "name": block["name"], "input": block["input"]}
        }
    if kind == "thinking":
        text = {"text": block["thinking"]}
        if "signature" in block:
            text["signature"] = block["signature"]
        return {"reasoningContent": {"reasoningText": text}}
    if kind == "redacted_thinking":
        return {"reasoningContent": {"redactedContent": _redacted(block["data"])}}
    raise ValueError(f"Converse cannot express a {kind!r} content block")


def _pointer_keys(pointer: str) -> list[str]:
    """The keys a JSON pointer (RFC 6901) names, unescaped."""
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _pointer_lookup(document: Mapping[str, Any], pointer: str) -> tuple[bool, Any]:
    node: Any = document
    for key in _pointer_keys(pointer):
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def response_fields(native: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """additionalModelResponseFields: the requested JSON pointers into the model's own reply."""
    # Source: additionalModelResponseFieldPaths in the Converse API reference.
    fields: dict[str, Any] = {}
    for path in paths:
        found, value = _pointer_lookup(native, path)
        if not found:
            continue
        keys = _pointer_keys(path)
        target = fields
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return fields


def converse_response(
    reply: ModelReply, *, latency_ms: int, extra_fields: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The Converse response body for a model reply."""
    response: dict[str, Any] = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [_output_block(block) for block in reply.content],
            }
        },
        "stopReason": STOP_REASONS[reply.stop_reason],
        "usage": converse_usage(reply.usage),
        "metrics": {"latencyMs": latency_ms},
    }
    if extra_fields:
        response["additionalModelResponseFields"] = dict(extra_fields)
    return response


def _stream_delta(delta: Mapping[str, Any]) -> dict[str, Any]:
    kind = delta["type"]
    if kind == "text_delta":
        return {"text": delta["text"]}
    if kind == "input_json_delta":
        return {"toolUse": {"input": delta["partial_json"]}}
    if kind == "thinking_delta":
        return {"reasoningContent": {"text": delta["thinking"]}}
    if kind == "signature_delta":
        return {"reasoningContent": {"signature": delta["signature"]}}
    raise ValueError(f"Converse cannot express a {kind!r} delta")


def _block_start(index: int, block: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    # Converse opens only tool-use blocks with contentBlockStart (ContentBlockStart union);
    # text and reasoning blocks begin with their first delta.
    if block["type"] == "tool_use":
        start = {"toolUse": {"toolUseId": block["id"], "name": block["name"]}}
        return [("contentBlockStart", {"contentBlockIndex": index, "start": start})]
    if block["type"] == "redacted_thinking":
        delta = {"reasoningContent": {"redactedContent": _redacted(block["data"])}}
        return [("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})]
    if block["type"] in {"text", "thinking"}:
        return []
    raise ValueError(f"Converse cannot express a {block['type']!r} content block")


def converse_stream_events(
    anthropic_events: Iterable[Mapping[str, Any]],
    reply: ModelReply,
    *,
    latency_ms: int,
    extra_fields: Mapping[str, Any] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """ConverseStream events (event type, payload) for the model's Anthropic stream events."""
    # Event order and shapes: ConverseStreamOutput in the API reference.
    events: list[tuple[str, dict[str, Any]]] = []
    for event in anthropic_events:
        kind = event["type"]
        if kind == "message_start":
            events.append(("messageStart", {"role": event["message"]["role"]}))
        elif kind == "content_block_start":
            events.extend(_block_start(event["index"], event["content_block"]))
        elif kind == "content_block_delta":
            delta = _stream_delta(event["delta"])
            events.append(
                ("contentBlockDelta", {"contentBlockIndex": event["index"], "delta": delta})
            )
        elif kind == "content_block_stop":
            events.append(("contentBlockStop", {"contentBlockIndex": event["index"]}))
        elif kind == "message_stop":
            stop: dict[str, Any] = {"stopReason": STOP_REASONS[reply.stop_reason]}
            if extra_fields:
                stop["additionalModelResponseFields"] = dict(extra_fields)
            events.append(("messageStop", stop))
            metadata = {"usage": converse_usage(reply.usage), "metrics": {"latencyMs": latency_ms}}
            events.append(("metadata", metadata))
    return events
