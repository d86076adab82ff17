"""A model reply as a Responses API `response` object: its output items and usage.

Thinking becomes a `reasoning` item (summary text only when `reasoning.summary` was asked
for, `encrypted_content` only when `include` names `reasoning.encrypted_content`), text a
`message` item of `output_text` parts, and each tool call a `function_call` item whose
`arguments` are a JSON string. Usage counts cached input inside `input_tokens`.
Sources: https://platform.openai.com/docs/api-reference/responses/object ,
https://platform.openai.com/docs/guides/reasoning#reasoning-summaries ,
https://platform.openai.com/docs/guides/prompt-caching (usage.input_tokens_details.cached_tokens).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from compat.emulator.openai_responses_decode import ResponsesRequest, encrypt_reasoning
from compat.emulator.types import ModelReply


def _item_id(prefix: str, reply: ModelReply, index: int) -> str:
    """A stable item id: the same reply always gets the same ids."""
    digest = hashlib.sha256(f"{reply.id}:{index}".encode()).hexdigest()[:40]
    return f"{prefix}_{digest}"


def response_id(reply: ModelReply) -> str:
    return "resp_" + hashlib.sha256(reply.id.encode()).hexdigest()[:40]


def call_id(tool_use_id: str) -> str:
    """The `call_id` of a function call: the model's tool-use id, spelled as OpenAI's."""
    return tool_use_id if tool_use_id.startswith("call_") else f"call_{tool_use_id}"


def output_items(reply: ModelReply, req: ResponsesRequest) -> list[dict[str, Any]]:
    """The `output` array: reasoning, message and function_call items in reply order."""
    items: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []

    def flush_message() -> None:
        if texts:
            items.append(
                {
                    "id": _item_id("msg", reply, len(items)),
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": list(texts),
                }
            )
            texts.clear()

    for block in reply.content:
        kind = block.get("type")
        if kind == "text":
            texts.append(
                {"type": "output_text", "text": block["text"], "annotations": [], "logprobs": []}
            )
            continue
        flush_message()
        if kind == "thinking":
            items.append(_reasoning(block, reply, len(items), req))
        elif kind == "tool_use":
            items.append(
                {
                    "id": _item_id("fc", reply, len(items)),
                    "type": "function_call",
                    "status": "completed",
                    "call_id": call_id(block["id"]),
                    "name": block["name"],
                    "arguments": json.dumps(
                        block["input"], ensure_ascii=False, separators=(",", ":")
                    ),
                }
            )
    flush_message()
    return items


def _reasoning(
    block: dict[str, Any], reply: ModelReply, index: int, req: ResponsesRequest
) -> dict[str, Any]:
    text = str(block.get("thinking", ""))
    summary = [{"type": "summary_text", "text": text}] if req.summary and text else []
    item: dict[str, Any] = {
        "id": _item_id("rs", reply, index),
        "type": "reasoning",
        "summary": summary,
    }
    if req.encrypted_reasoning:
        item["encrypted_content"] = encrypt_reasoning(text, str(block.get("signature", "")))
    return item


def usage(reply: ModelReply) -> dict[str, Any]:
    """OpenAI's usage: cached tokens are part of `input_tokens`, reasoning of `output_tokens`."""
    u = reply.usage
    cached = u.cache_read_input_tokens
    total_input = u.input_tokens + cached + u.cache_creation_input_tokens
    reasoning = sum(
        max(1, len(str(b.get("thinking", ""))) // 4)
        for b in reply.content
        if b.get("type") == "thinking"
    )
    return {
        "input_tokens": total_input,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": min(reasoning, u.output_tokens)},
        "total_tokens": total_input + u.output_tokens,
    }


def response_object(
    reply: ModelReply | None,
    req: ResponsesRequest,
    *,
    status: str,
    created_at: int | None = None,
    output: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `response` object; `status` in_progress (stream start), completed or incomplete."""
    body = req.body
    incomplete = None
    if status == "incomplete":
        incomplete = {"reason": "max_output_tokens"}
    tools = [
        {
            "type": "function",
            "name": tool["name"],
            "description": tool.get("description"),
            "parameters": tool["input_schema"],
            "strict": tool_strict(body, tool["name"]),
        }
        for tool in req.neutral.body.get("tools", [])
    ]
    reasoning = body.get("reasoning") or {}
    return {
        "id": response_id(reply) if reply is not None else "resp_pending",
        "object": "response",
        "created_at": created_at if created_at is not None else int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": req.max_output_tokens,
        "model": req.neutral.model,
        "output": output if output is not None else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {
            "effort": req.reasoning_effort,
            "summary": reasoning.get("summary") if isinstance(reasoning, dict) else None,
        },
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": tools,
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage(reply) if reply is not None and status != "in_progress" else None,
        "metadata": body.get("metadata") or {},
    }


def tool_strict(body: dict[str, Any], name: str) -> bool:
    """The `strict` a function tool arrived with; OpenAI defaults it to true."""
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("name") == name:
            strict = tool.get("strict")
            return True if strict is None else bool(strict)
    return True


def final_status(reply: ModelReply) -> str:
    """`incomplete` when the reply hit `max_output_tokens`, else `completed`."""
    return "incomplete" if reply.stop_reason == "max_tokens" else "completed"


def responses_body(reply: ModelReply, req: ResponsesRequest) -> dict[str, Any]:
    """The non-streaming response object for a model reply."""
    return response_object(reply, req, status=final_status(reply), output=output_items(reply, req))
