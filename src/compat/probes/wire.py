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

Sources: https://platform.claude.com/docs/en/api/messages/create,
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


def _body(record: RecordedRequest) -> dict[str, Any]:
    return record.body if isinstance(record.body, dict) else {}


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
    for holder in (_body(record), _extra(record)):
        config = holder.get("output_config")
        if isinstance(config, dict) and config.get("effort") is not None:
            return str(config["effort"])
    return None


def tools(record: RecordedRequest) -> list[dict[str, Any]]:
    """The tools offered, as `{name, type, input_schema}` (Converse toolSpecs included)."""
    body = _body(record)
    found: list[dict[str, Any]] = []
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
    """The message content blocks of one Anthropic `kind` (Converse blocks mapped to it)."""
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
    """A token-counting request: Messages `count_tokens`, Bedrock `count-tokens`, Vertex's."""
    path = record.path
    return (
        path.endswith("/count_tokens")
        or path.endswith("/count-tokens")
        or ("count-tokens" in path.rsplit("/", 1)[-1])
    )
