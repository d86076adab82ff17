"""A model reply as Chat Completions returns it: the `chat.completion` object, or its chunks.

Shapes: ChatCompletion, ChatCompletionChunk and CompletionUsage in the API reference
(https://platform.openai.com/docs/api-reference/chat/object ,
https://platform.openai.com/docs/api-reference/chat-streaming) and the openai-python SDK
types generated from it (src/openai/types/chat/chat_completion.py,
chat_completion_chunk.py, src/openai/types/completion_usage.py).

Reasoning: Chat Completions returns no reasoning content, only its token count. The
message and the chunk delta have no reasoning field (ChatCompletionMessage: content,
refusal, role, annotations, audio, function_call, tool_calls); reasoning summaries are a
Responses API feature (https://platform.openai.com/docs/guides/reasoning#reasoning-summaries).
The model's thinking blocks are therefore dropped here and counted in
`completion_tokens_details.reasoning_tokens`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from compat.emulator.tokens import estimate_tokens
from compat.emulator.types import ModelReply

# Source: Choice.finish_reason in ChatCompletion ("`stop` if the model hit a natural stop
# point or a provided stop sequence, `length` if the maximum number of tokens ... was
# reached, `content_filter` if content was omitted ..., `tool_calls` if the model called a
# tool").
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "refusal": "content_filter",
}

# The tier a reply reports: `fast` is served as `priority` and `auto` as the project's
# default. Source: `service_tier` in the API reference ("The response will show
# `service_tier=priority` regardless of if you specify `service_tier=fast` or `priority`").
_SERVED_TIERS = {"auto": "default", "fast": "priority"}

_MAX_CHUNK = 64
_REASONING_BLOCKS = ("thinking", "redacted_thinking")


def completion_id(reply: ModelReply) -> str:
    """`chatcmpl-...`: the reply's id in OpenAI's spelling, the same for every chunk."""
    return "chatcmpl-" + reply.id.split("_", 1)[-1]


def call_id(tool_use_id: str) -> str:
    """`call_...`: a tool_use id as OpenAI spells tool call ids."""
    return "call_" + tool_use_id.split("_", 1)[-1]


def served_tier(requested: str | None) -> str:
    """The `service_tier` a reply reports for the requested one."""
    return _SERVED_TIERS.get(requested or "auto", requested or "default")


def chat_usage(reply: ModelReply) -> dict[str, Any]:
    """CompletionUsage: prompt tokens with their cached part, completion with reasoning."""
    usage = reply.usage
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    thinking = [b for b in reply.content if b.get("type") in _REASONING_BLOCKS]
    # Reasoning tokens are part of the completion tokens (`max_completion_tokens` "including
    # visible output tokens and reasoning tokens").
    reasoning = min(usage.output_tokens, sum(estimate_tokens(b) for b in thinking))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_input_tokens,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _arguments(block: Mapping[str, Any]) -> str:
    return json.dumps(block["input"], ensure_ascii=False, separators=(",", ":"))


def _tool_call(block: Mapping[str, Any]) -> dict[str, Any]:
    function = {"name": block["name"], "arguments": _arguments(block)}
    return {"id": call_id(block["id"]), "type": "function", "function": function}


def _visible(reply: ModelReply) -> list[dict[str, Any]]:
    """The blocks Chat Completions can carry: text and tool calls (see module docstring)."""
    blocks = [b for b in reply.content if b.get("type") not in _REASONING_BLOCKS]
    for block in blocks:
        if block.get("type") not in ("text", "tool_use"):
            raise ValueError(f"Chat Completions cannot express a {block.get('type')!r} block")
    return blocks


def completion_body(reply: ModelReply, *, created: int, service_tier: str | None) -> dict[str, Any]:
    """The `chat.completion` object for a model reply."""
    blocks = _visible(reply)
    texts = [b["text"] for b in blocks if b["type"] == "text"]
    calls = [_tool_call(b) for b in blocks if b["type"] == "tool_use"]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = calls
    return {
        "id": completion_id(reply),
        "object": "chat.completion",
        "created": created,
        "model": reply.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": FINISH_REASONS[reply.stop_reason],
            }
        ],
        "usage": chat_usage(reply),
        "service_tier": served_tier(service_tier),
        "system_fingerprint": None,
    }


def pieces(text: str) -> list[str]:
    """`text` cut into pieces: at least two when it has two characters or more."""
    if not text:
        return []
    size = max(1, min(_MAX_CHUNK, math.ceil(len(text) / 2)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _deltas(reply: ModelReply) -> list[dict[str, Any]]:
    """The deltas after the role: content pieces, then each tool call and its arguments."""
    deltas: list[dict[str, Any]] = []
    calls = 0
    for block in _visible(reply):
        if block["type"] == "text":
            deltas += [{"content": piece} for piece in pieces(block["text"])]
            continue
        # The first delta of a tool call names it; the arguments follow in pieces, each
        # carrying the call's `index` (ChoiceDeltaToolCall).
        opening = {
            "index": calls,
            "id": call_id(block["id"]),
            "type": "function",
            "function": {"name": block["name"], "arguments": ""},
        }
        deltas.append({"tool_calls": [opening]})
        deltas += [
            {"tool_calls": [{"index": calls, "function": {"arguments": piece}}]}
            for piece in pieces(_arguments(block))
        ]
        calls += 1
    return deltas


def _obfuscation(chunk_id: str, index: int, payload: Mapping[str, Any]) -> str:
    """Filler that rounds a chunk's size up, as OpenAI's `obfuscation` field does."""
    # The field is included by default and omitted with `include_obfuscation: false`
    # (ChatCompletionStreamOptionsParam); its text is derived from the chunk, so the stream
    # stays a function of the request.
    size = len(json.dumps(payload, separators=(",", ":")))
    digest = hashlib.sha256(f"{chunk_id}:{index}".encode()).hexdigest()
    return digest[: 1 + (-size) % 16]


def completion_chunks(
    reply: ModelReply,
    *,
    created: int,
    service_tier: str | None,
    include_usage: bool,
    include_obfuscation: bool,
) -> list[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a streamed reply, in order."""
    # The role comes first (with empty content), then the content and tool-call deltas, then
    # a chunk with an empty delta and the finish reason; with `include_usage` every chunk has
    # `usage: null` and a last chunk with no choices carries the usage.
    # Source: https://platform.openai.com/docs/api-reference/chat-streaming
    chunk_id = completion_id(reply)
    envelope = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": reply.model,
        "service_tier": served_tier(service_tier),
        "system_fingerprint": None,
    }
    deltas = [{"role": "assistant", "content": "", "refusal": None}, *_deltas(reply)]
    finish = FINISH_REASONS[reply.stop_reason]
    choices = [
        [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}] for delta in deltas
    ]
    choices.append([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}])
    chunks: list[dict[str, Any]] = []
    for choice in choices:
        chunk: dict[str, Any] = {**envelope, "choices": choice}
        if include_usage:
            chunk["usage"] = None
        chunks.append(chunk)
    if include_usage:
        chunks.append({**envelope, "choices": [], "usage": chat_usage(reply)})
    if include_obfuscation:
        chunks = [
            {**chunk, "obfuscation": _obfuscation(chunk_id, i, chunk)}
            for i, chunk in enumerate(chunks)
        ]
    return chunks


def stall_chunk(chunks: list[dict[str, Any]]) -> int | None:
    """The chunk a paced stream's stall follows: the first content delta, else the first delta."""
    # Chat Completions streams no reasoning, so the text takes the thinking delta's place
    # (`stream_pacing`).
    first_delta = None
    for index, chunk in enumerate(chunks):
        delta = chunk["choices"][0]["delta"] if chunk["choices"] else {}
        if delta.get("content"):
            return index
        if first_delta is None and delta.get("tool_calls"):
            first_delta = index
    return first_delta
