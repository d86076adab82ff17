"""What reached upstream: this run's requests as the emulator recorded them, on any wire.

A transcript shows what the proxy answered; only the upstream's record shows what the
proxy *sent*. A probe that judges the transcript alone passes when the proxy drops what
carries the feature and the upstream happens to answer anyway (a 1M window without its
beta, thinking without its effort, a token count the proxy made up). These readers give
the probes one view of the five wires compat emulates:

- Anthropic, Azure Foundry, Vertex AI and Bedrock InvokeModel carry an Anthropic Messages
  body (`tools`, `messages` of typed blocks, `cache_control`, `output_config`); betas
  travel in the `anthropic-beta` header, or in the body's `anthropic_beta` on Bedrock.
- Bedrock Converse carries its own shape: `toolConfig.tools[].toolSpec`, blocks keyed by
  kind (`image`, `document`, `toolUse`, `toolResult`, `reasoningContent`, `cachePoint`),
  and the Anthropic-only fields (`thinking`, `output_config`, `anthropic_beta`) in
  `additionalModelRequestFields`.
- Streaming is the body's `stream: true`, or the operation in the path
  (`invoke-with-response-stream`, `converse-stream`, `streamRawPredict`).
- The GPT columns (OpenAI, Azure OpenAI, Bedrock Mantle) carry OpenAI's shapes: a
  Responses body (`input` items: messages of `input_text`/`input_image`/`input_file`
  parts, `function_call`, `function_call_output`, `reasoning` with its
  `encrypted_content`; `tools[]` of `type: function`; `reasoning.effort`) or a Chat
  Completions body (`messages` with `image_url`/`file` parts, assistant `tool_calls`,
  `tool` messages; `tools[].function`; `reasoning_effort`). The readers map them to the
  Anthropic kinds, so a probe asks one question of every wire.

Sources: https://platform.claude.com/docs/en/api/messages/create,
https://platform.openai.com/docs/api-reference/responses/create,
https://platform.openai.com/docs/api-reference/chat/create,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html,
https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compat.upstream_log import RecordedRequest

__all__ = [
    "answered",
    "betas",
    "blocks",
    "cache_breakpoints",
    "describe",
    "effort",
    "is_count_tokens",
    "streaming",
    "tools",
]

# The operation in a path that makes a request streaming, whatever its body says.
_STREAMING_OPERATIONS = ("invoke-with-response-stream", "converse-stream", ":streamRawPredict")
_NON_STREAMING_OPERATIONS = ("/invoke", "/converse", ":rawPredict")
# Converse content blocks are keyed by kind; the Anthropic names they stand for.
_CONVERSE_KINDS = {
    "text": "text",
    "image": "image",
    "document": "document",
    "toolUse": "tool_use",
    "toolResult": "tool_result",
    "cachePoint": "cache_point",
}


# OpenAI content parts and items by the Anthropic kind they stand for.
_OPENAI_KINDS = {
    "input_text": "text",
    "output_text": "text",
    "text": "text",
    "input_image": "image",
    "image_url": "image",
    "input_file": "document",
    "file": "document",
    "function_call": "tool_use",
    "function_call_output": "tool_result",
    "reasoning": "thinking",
}
# Roles of OpenAI messages as the Anthropic turn they belong to.
_OPENAI_ROLES = {"user": "user", "assistant": "assistant", "tool": "user"}


def _body(record: RecordedRequest) -> dict[str, Any]:
    return record.body if isinstance(record.body, dict) else {}


def openai_format(record: RecordedRequest) -> str | None:
    """`responses` or `chat` for a request in one of OpenAI's APIs, else None."""
    path = record.path.split("?", 1)[0]
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/chat/completions"):
        return "chat"
    return None


def _openai_blocks(record: RecordedRequest) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(role, block) for every content part and item of an OpenAI request."""
    body = _body(record)
    if openai_format(record) == "responses":
        items = body.get("input")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type", "message")
            if kind == "message":
                content = item.get("content")
                role = _OPENAI_ROLES.get(str(item.get("role")))
                for part in content if isinstance(content, list) else []:
                    if isinstance(part, dict):
                        yield role, part
            elif kind in ("function_call", "reasoning"):
                yield "assistant", item
            else:
                yield "user", item
        return
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = _OPENAI_ROLES.get(str(message.get("role")))
        if message.get("role") == "tool":
            yield role, {**message, "type": "function_call_output"}
            continue
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict):
                yield role, part
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                yield role, {**call, "type": "function_call"}


def _extra(record: RecordedRequest) -> dict[str, Any]:
    """Bedrock Converse's `additionalModelRequestFields` (empty on the other wires)."""
    extra = _body(record).get("additionalModelRequestFields")
    return extra if isinstance(extra, dict) else {}


def answered(records: list[RecordedRequest]) -> list[RecordedRequest]:
    """The requests the upstream answered with success (not those it refused)."""
    return [r for r in records if r.status is not None and 200 <= r.status < 300]


def describe(record: RecordedRequest) -> str:
    """`POST /v1/messages (200)`: which request, to say where a field went missing."""
    return f"{record.method} {record.path} ({record.status})"


def betas(record: RecordedRequest) -> frozenset[str]:
    """Every beta flag the request carried: `anthropic-beta` header and body fields."""
    flags: set[str] = set()
    for name, value in record.headers.items():
        if name.lower() == "anthropic-beta":
            flags.update(f.strip() for f in value.split(",") if f.strip())
    for holder in (_body(record), _extra(record)):
        listed = holder.get("anthropic_beta")
        if isinstance(listed, list):
            flags.update(str(f) for f in listed)
    return frozenset(flags)


def streaming(record: RecordedRequest) -> bool:
    """Whether the request asked for a streamed answer (body `stream`, or the operation)."""
    path = record.path
    if any(path.endswith(op) for op in _STREAMING_OPERATIONS):
        return True
    if any(path.endswith(op) for op in _NON_STREAMING_OPERATIONS):
        return False
    return _body(record).get("stream") is True


def effort(record: RecordedRequest) -> str | None:
    """`output_config.effort` as it arrived (in the body, or Converse's additional fields)."""
    if openai_format(record) is not None:
        return openai_effort(record)
    for holder in (_body(record), _extra(record)):
        config = holder.get("output_config")
        if isinstance(config, dict) and config.get("effort") is not None:
            return str(config["effort"])
    return None


def openai_effort(record: RecordedRequest) -> str | None:
    """The reasoning effort of an OpenAI request: `reasoning.effort`, or `reasoning_effort`."""
    body = _body(record)
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
        return str(reasoning["effort"])
    value = body.get("reasoning_effort")
    return str(value) if value is not None else None


def _openai_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool as `{name, type, input_schema}` (Chat nests it in `function`)."""
    spec = tool.get("function") if isinstance(tool.get("function"), dict) else tool
    kind = tool.get("type")
    return {
        "name": spec.get("name"),
        "type": None if kind == "function" else kind,
        "input_schema": spec.get("parameters"),
    }


def tools(record: RecordedRequest) -> list[dict[str, Any]]:
    """The tools offered, as `{name, type, input_schema}` (Converse toolSpecs included)."""
    body = _body(record)
    found: list[dict[str, Any]] = []
    if openai_format(record) is not None:
        return [_openai_tool(t) for t in body.get("tools") or [] if isinstance(t, dict)]
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            found.append(
                {
                    "name": tool.get("name"),
                    "type": tool.get("type"),
                    "input_schema": tool.get("input_schema"),
                }
            )
    config = body.get("toolConfig")
    for tool in config.get("tools", []) if isinstance(config, dict) else []:
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if isinstance(spec, dict):
            schema = spec.get("inputSchema")
            found.append(
                {
                    "name": spec.get("name"),
                    "type": None,
                    "input_schema": schema.get("json") if isinstance(schema, dict) else None,
                }
            )
        elif isinstance(tool, dict) and isinstance(tool.get("systemTool"), dict):
            found.append({"name": tool["systemTool"].get("name"), "type": "system_tool"})
    return found


def _kind(block: dict[str, Any]) -> str | None:
    """The Anthropic block type of a block of either shape."""
    if isinstance(block.get("type"), str):
        return block["type"]
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, dict):
        return "redacted_thinking" if "redactedContent" in reasoning else "thinking"
    return next((_CONVERSE_KINDS[k] for k in block if k in _CONVERSE_KINDS), None)


def blocks(record: RecordedRequest, kind: str, role: str | None = None) -> list[dict[str, Any]]:
    """The message content blocks of one Anthropic `kind` (Converse, OpenAI ones mapped to it)."""
    if openai_format(record) is not None:
        return [
            block
            for block_role, block in _openai_blocks(record)
            if _OPENAI_KINDS.get(str(block.get("type"))) == kind
            and (role is None or block_role == role)
        ]
    found = []
    for message in _body(record).get("messages") or []:
        if not isinstance(message, dict) or (role and message.get("role") != role):
            continue
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and _kind(block) == kind:
                found.append(block)
    return found


def thinking_signature(block: dict[str, Any]) -> str | None:
    """The signature of a thinking block of either shape."""
    if isinstance(block.get("signature"), str):
        return block["signature"]
    if block.get("type") == "reasoning" and isinstance(block.get("encrypted_content"), str):
        return block["encrypted_content"]
    reasoning = block.get("reasoningContent")
    text = reasoning.get("reasoningText") if isinstance(reasoning, dict) else None
    signature = text.get("signature") if isinstance(text, dict) else None
    return signature if isinstance(signature, str) else None


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def cache_breakpoints(record: RecordedRequest) -> list[dict[str, Any]]:
    """Every cache breakpoint: `cache_control` objects, or Converse `cachePoint`s."""
    body = _body(record)
    found = []
    for key in ("system", "messages", "tools", "toolConfig"):
        for item in _walk(body.get(key)):
            for field in ("cache_control", "cachePoint"):
                if isinstance(item.get(field), dict):
                    found.append(item[field])
    return found


def is_count_tokens(record: RecordedRequest) -> bool:
    """A token-counting request: Messages `count_tokens`, Bedrock `count-tokens`, Vertex's,
    OpenAI's `responses/input_tokens`."""
    path = record.path
    return (
        path.endswith("/count_tokens")
        or path.endswith("/responses/input_tokens")
        or path.endswith("/count-tokens")
        or ("count-tokens" in path.rsplit("/", 1)[-1])
    )
