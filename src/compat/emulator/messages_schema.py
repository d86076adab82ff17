"""Strict validation of an Anthropic Messages request body, shared by every wire that carries one.

The Anthropic, Azure Foundry, Vertex AI and Bedrock Invoke wires all carry the same
Messages body; they differ only in the envelope (where `model`, `stream`, the API
version and the beta flags travel). `validate_messages_request` checks the envelope
for the given provider, then the body, then the betas, and returns the
`NeutralRequest` the shared model answers.

Sources, cited again beside each rule:
- Messages API reference (beta create, the superset of body fields):
  https://platform.claude.com/docs/en/api/messages/create and
  https://platform.claude.com/docs/en/api/php/beta/messages/create
- Token counting: https://platform.claude.com/docs/en/api/messages/count_tokens
- Errors: https://docs.claude.com/en/api/errors
- Beta headers: https://docs.anthropic.com/en/api/beta-headers
- Vertex AI: https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai
- Bedrock: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import ErrorDetails

from compat.emulator.types import EmulatorError, NeutralRequest, ProviderId

Endpoint = Literal["messages", "count_tokens"]

# Request size limit for the Messages and Token Counting APIs (32 MB).
# Source: https://docs.claude.com/en/api/errors ("Request size limits").
MAX_BODY_BYTES = 32 * 1024 * 1024

# The platform-specific `anthropic_version` body values the platform docs require, plus
# the dated API version the official anthropic SDK 2.11.0 now sends in their place
# (`ANTHROPIC_API_VERSION` in anthropic/_constants.py, set by lib/vertex/_client.py and
# lib/bedrock/_client.py), which the platforms therefore accept as well.
UNIFIED_API_VERSION = "2026-10-21"
VERTEX_VERSION = "vertex-2023-10-16"
BEDROCK_VERSION = "bedrock-2023-05-31"
VERTEX_VERSIONS = (VERTEX_VERSION, UNIFIED_API_VERSION)
BEDROCK_VERSIONS = (BEDROCK_VERSION, UNIFIED_API_VERSION)

# Body keys that belong to the provider envelope, not to what the model sees.
ENVELOPE_KEYS = frozenset({"model", "stream", "anthropic_version", "anthropic_beta"})

# role:"system" input messages ride on the mid-conversation betas.
# Source: https://platform.claude.com/docs/en/build-with-claude/mid-conversation-system-messages
SYSTEM_MESSAGE_BETAS = frozenset(
    {"mid-conversation-tool-changes-2026-07-01", "mid-conversation-system-clear-at-2026-08-21"}
)

# Body fields the API only knows while their beta is on; without it they are extra inputs.
# Sources: https://platform.claude.com/docs/en/build-with-claude/context-editing and
# https://platform.claude.com/docs/en/agents-and-tools/mcp-connector
BETA_GATED_FIELDS: dict[str, frozenset[str]] = {
    "context_management": frozenset({"context-management-2025-06-27"}),
    "mcp_servers": frozenset(
        {"mcp-client-2025-04-04", "mcp-client-2025-11-20", "mcp-client-2026-09-15"}
    ),
}


@dataclass(frozen=True)
class EnvelopeRules:
    """Where one provider's endpoint expects the envelope fields of a Messages body."""

    model_in_body: bool
    stream_in_body: bool
    versions: tuple[str, ...] | None
    """The `anthropic_version` values the body may carry; None means the key is not allowed."""
    version_required: bool
    betas_in_body: bool
    bedrock_messages: bool = False
    """Render schema errors the way Bedrock does ("Malformed input request: ...")."""


# Anthropic and Foundry: `model` in the body, version and betas in headers.
# Source: https://platform.claude.com/docs/en/api/messages/create;
# Foundry "uses the same Messages API": https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry
_HEADER_ENVELOPE = EnvelopeRules(
    model_in_body=True,
    stream_in_body=True,
    versions=None,
    version_required=False,
    betas_in_body=False,
)
# Vertex: "model is not passed in the request body ... anthropic_version is passed in the
# request body (rather than as a header), and must be set to the value vertex-2023-10-16".
# Source: https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai
_VERTEX_ENVELOPE = EnvelopeRules(
    model_in_body=False,
    stream_in_body=True,
    versions=VERTEX_VERSIONS,
    version_required=True,
    betas_in_body=False,
)
# Vertex count-tokens names the model in the body, since its URL has no model segment
# (`.../models/count-tokens:rawPredict`).
# Source: https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens
_VERTEX_COUNT_ENVELOPE = EnvelopeRules(
    model_in_body=True,
    stream_in_body=False,
    versions=VERTEX_VERSIONS,
    version_required=False,
    betas_in_body=False,
)
# Bedrock InvokeModel: `anthropic_version` must be "bedrock-2023-05-31", betas travel as a
# body list `anthropic_beta`, the model is the URL's modelId and streaming is chosen by the
# operation, so `model` and `stream` are extraneous keys.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
# ("extraneous key [stream] is not permitted" as seen in
# https://github.com/fumito-ito/AnthropicSwiftSDK/issues/19).
_BEDROCK_ENVELOPE = EnvelopeRules(
    model_in_body=False,
    stream_in_body=False,
    versions=BEDROCK_VERSIONS,
    version_required=True,
    betas_in_body=True,
    bedrock_messages=True,
)


def envelope_rules(provider: ProviderId, endpoint: Endpoint) -> EnvelopeRules:
    """The envelope rules of one provider's Messages or count-tokens endpoint."""
    if provider in ("anthropic", "azure"):
        return _HEADER_ENVELOPE
    if provider == "vertex_ai":
        return _VERTEX_COUNT_ENVELOPE if endpoint == "count_tokens" else _VERTEX_ENVELOPE
    if provider == "bedrock_invoke":
        return _BEDROCK_ENVELOPE
    raise ValueError(f"{provider} does not carry an Anthropic Messages body")


# --- body schema -------------------------------------------------------------------------
# Field lists follow the beta "Create a Message" reference, the superset the real API
# accepts: https://platform.claude.com/docs/en/api/php/beta/messages/create


class _Strict(BaseModel):
    """Unknown keys are rejected with "Extra inputs are not permitted", as the real API does."""

    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    """A known block or tool type whose inner shape the emulator does not police."""

    model_config = ConfigDict(extra="allow")


class CacheControl(_Strict):
    """A `cache_control` breakpoint."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching
    type: Literal["ephemeral"]
    ttl: Literal["5m", "1h"] | None = None


class TextBlock(_Strict):
    """A `text` content block."""

    type: Literal["text"]
    text: str
    cache_control: CacheControl | None = None
    citations: list[dict[str, Any]] | None = None


class Base64ImageSource(_Strict):
    """Inline image bytes."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/vision
    type: Literal["base64"]
    media_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]
    data: str


class UrlSource(_Strict):
    """A source fetched from a URL."""

    type: Literal["url"]
    url: str


class FileSource(_Strict):
    """A source uploaded through the Files API."""

    type: Literal["file"]
    file_id: str


ImageSource = Annotated[Base64ImageSource | UrlSource | FileSource, Field(discriminator="type")]


class ImageBlock(_Strict):
    """An `image` content block."""

    type: Literal["image"]
    source: ImageSource
    cache_control: CacheControl | None = None
    transformations: dict[str, Any] | None = None


class Base64PdfSource(_Strict):
    """Inline PDF bytes."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/pdf-support
    type: Literal["base64"]
    media_type: Literal["application/pdf"]
    data: str


class PlainTextSource(_Strict):
    """Inline plain-text document."""

    type: Literal["text"]
    media_type: Literal["text/plain"]
    data: str


class ContentSource(_Strict):
    """A document made of content blocks."""

    type: Literal["content"]
    content: str | list[dict[str, Any]]


DocumentSource = Annotated[
    Base64PdfSource | PlainTextSource | ContentSource | UrlSource | FileSource,
    Field(discriminator="type"),
]


class DocumentBlock(_Strict):
    """A `document` content block (PDF, text, content, URL or file)."""

    type: Literal["document"]
    source: DocumentSource
    cache_control: CacheControl | None = None
    citations: dict[str, Any] | None = None
    context: str | None = None
    title: str | None = None


class ToolUseBlock(_Strict):
    """A `tool_use` block the model wrote."""

    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl | None = None
    caller: dict[str, Any] | None = None
    toolset_name: str | None = None


class OpenContentBlock(_Open):
    """Block types the API accepts whose contents only server tools produce or read."""

    type: Literal[
        "search_result",
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "advisor_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "tool_reference",
        "mcp_tool_use",
        "mcp_tool_result",
        "mcp_tool_listing",
        "container_upload",
        "compaction",
        "tool_addition",
        "tool_removal",
        "fallback",
    ]


ToolResultContent = Annotated[
    TextBlock | ImageBlock | DocumentBlock | OpenContentBlock, Field(discriminator="type")
]


class ToolResultBlock(_Strict):
    """A `tool_result` block answering a `tool_use`."""

    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[ToolResultContent] | None = None
    is_error: bool | None = None
    cache_control: CacheControl | None = None
    toolset_name: str | None = None


class ThinkingBlock(_Strict):
    """A signed `thinking` block sent back unaltered."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    type: Literal["thinking"]
    thinking: str
    signature: str


class RedactedThinkingBlock(_Strict):
    """An encrypted `redacted_thinking` block."""

    type: Literal["redacted_thinking"]
    data: str


ContentBlock = Annotated[
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | OpenContentBlock,
    Field(discriminator="type"),
]


class ConversationMessage(_Strict):
    """A `user` or `assistant` turn."""

    role: Literal["user", "assistant"]
    content: str | list[ContentBlock]


class SystemMessage(_Strict):
    """A mid-conversation `role: "system"` message (beta)."""

    role: Literal["system"]
    content: str | list[ContentBlock]
    clear_at: Literal["next_user_message", "never"] | None = None
    output_config: dict[str, Any] | None = None


Message = Annotated[ConversationMessage | SystemMessage, Field(discriminator="role")]


class InputSchema(_Open):
    """A tool's JSON Schema; only its top-level `type` is policed."""

    # Tool input schemas must be JSON Schema objects.
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    type: Literal["object"]


class CustomTool(_Strict):
    """A client tool the caller defines and runs."""

    # Custom tool names: ^[a-zA-Z0-9_-]{1,128}$ (source as above, "name" parameter).
    type: Literal["custom"] | None = None
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,128}$")
    description: str | None = None
    input_schema: InputSchema
    cache_control: CacheControl | None = None
    defer_loading: bool | None = None
    eager_input_streaming: bool | None = None
    input_examples: list[dict[str, Any]] | None = None
    strict: bool | None = None
    allowed_callers: list[str] | None = None


class ServerTool(_Open):
    """A versioned Anthropic-defined tool; the capability table decides where it is offered."""

    type: str
    name: str


# Versioned tool types of the "tools" parameter.
# Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview (tool reference).
SERVER_TOOL_TYPES: frozenset[str] = frozenset(
    {
        "bash_20241022",
        "bash_20250124",
        "code_execution_20250522",
        "code_execution_20250825",
        "code_execution_20260120",
        "code_execution_20260521",
        "computer_20241022",
        "computer_20250124",
        "computer_20251124",
        "text_editor_20241022",
        "text_editor_20250124",
        "text_editor_20250429",
        "text_editor_20250728",
        "memory_20250818",
        "web_search_20250305",
        "web_search_20260209",
        "web_search_20260318",
        "web_fetch_20250910",
        "web_fetch_20260209",
        "web_fetch_20260309",
        "web_fetch_20260318",
        "advisor_20260301",
        "tool_search_tool_regex_20251119",
        "tool_search_tool_bm25_20251119",
        "tool_search_tool_regex",
        "tool_search_tool_bm25",
        "mcp_toolset",
        "browser_toolset_20260801",
        "computer_toolset_20260801",
    }
)


def _tool_tag(value: Any) -> str:
    """Custom tools may omit `type`; every other tool is tagged by its versioned type."""
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind is None or kind == "custom":
            return "custom"
        return "server" if kind in SERVER_TOOL_TYPES else str(kind)
    return "custom"


Tool = Annotated[
    Annotated[CustomTool, Tag("custom")] | Annotated[ServerTool, Tag("server")],
    Discriminator(
        _tool_tag,
        custom_error_type="invalid_tool_type",
        custom_error_message="Input tag does not match any of the expected tool types",
    ),
]


class ToolChoiceAuto(_Strict):
    """Let the model decide whether to call a tool."""

    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    type: Literal["auto"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(_Strict):
    """The model must call one of the tools."""

    type: Literal["any"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(_Strict):
    """The model must call the named tool."""

    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(_Strict):
    """The model must not call tools."""

    type: Literal["none"]


ToolChoice = Annotated[
    ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone, Field(discriminator="type")
]

ThinkingDisplay = Literal["summarized", "omitted", "updates"]


class ThinkingEnabled(_Strict):
    """Extended thinking with a token budget."""

    # budget_tokens >= 1024. Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    type: Literal["enabled"]
    budget_tokens: int = Field(ge=1024)
    display: ThinkingDisplay | None = None
    block_binding: dict[str, Any] | None = None


class ThinkingAdaptive(_Strict):
    """Adaptive thinking: the model sizes its own budget."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/adaptive-thinking
    type: Literal["adaptive"]
    display: ThinkingDisplay | None = None
    block_binding: dict[str, Any] | None = None


class ThinkingDisabled(_Strict):
    """Thinking explicitly off."""

    type: Literal["disabled"]


Thinking = Annotated[
    ThinkingEnabled | ThinkingAdaptive | ThinkingDisabled, Field(discriminator="type")
]


class JsonSchemaFormat(_Strict):
    """Structured output constrained by a JSON Schema."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/structured-outputs
    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")


class OutputConfig(_Strict):
    """`output_config`: effort, output format, task budget."""

    # Source: https://platform.claude.com/docs/en/build-with-claude/effort
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    format: JsonSchemaFormat | None = None
    task_budget: dict[str, Any] | None = None


class Metadata(_Strict):
    """Request metadata."""

    user_id: str | None = None


class _CountTokensBody(_Strict):
    """Body fields of `POST /v1/messages/count_tokens` besides the envelope."""

    # Source: https://platform.claude.com/docs/en/api/messages/count_tokens
    messages: list[Message] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    context_management: dict[str, Any] | None = None
    output_config: OutputConfig | None = None
    output_format: JsonSchemaFormat | None = None
    cache_control: CacheControl | None = None
    speed: Literal["standard", "fast"] | None = None


class _MessagesBody(_CountTokensBody):
    """Body fields of `POST /v1/messages` besides the envelope."""

    # Source: https://platform.claude.com/docs/en/api/php/beta/messages/create
    # max_tokens is required; 0 only pre-warms the cache (same source).
    max_tokens: int = Field(ge=0)
    metadata: Metadata | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=0)
    service_tier: Literal["auto", "standard_only"] | None = None
    container: str | dict[str, Any] | None = None
    inference_geo: str | None = None
    diagnostics: dict[str, Any] | None = None
    fallbacks: list[dict[str, Any]] | None = None
    fallback_credit_token: str | None = None


def _adapter(rules: EnvelopeRules, endpoint: Endpoint) -> TypeAdapter[BaseModel]:
    """A validator for one envelope: the shared body plus that provider's envelope keys."""
    fields: dict[str, Any] = {}
    if rules.model_in_body:
        fields["model"] = (str, ...)
    if rules.stream_in_body and endpoint == "messages":
        fields["stream"] = (bool | None, None)
    if rules.versions is not None:
        version_type = Literal[rules.versions]  # type: ignore[valid-type]
        fields["anthropic_version"] = (
            (version_type, ...)
            if rules.version_required
            else (
                version_type | None,
                None,
            )
        )
    if rules.betas_in_body:
        fields["anthropic_beta"] = (list[str] | None, None)
    base = _MessagesBody if endpoint == "messages" else _CountTokensBody
    model = create_model(f"{base.__name__}Envelope", __base__=base, **fields)
    return TypeAdapter(model)


_ADAPTERS: dict[tuple[EnvelopeRules, Endpoint], TypeAdapter[BaseModel]] = {
    (rules, endpoint): _adapter(rules, endpoint)
    for rules in (_HEADER_ENVELOPE, _VERTEX_ENVELOPE, _VERTEX_COUNT_ENVELOPE, _BEDROCK_ENVELOPE)
    for endpoint in ("messages", "count_tokens")
}


# --- error messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Violation:
    """One schema error, located by its JSON path in the request body."""

    path: tuple[str, ...]
    kind: str
    message: str


def _json_path(payload: Any, loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The JSON path of a pydantic location, without the union tags pydantic inserts."""
    node, path = payload, []
    for part in loc:
        # A tagged union puts the tag (the block's `type`, the message's `role`) before the
        # member's fields; skip it even when a field has the same name (`text.text`).
        if isinstance(node, Mapping) and part in (node.get("type"), node.get("role")):
            continue
        in_object = isinstance(node, Mapping) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_object or in_array:
            node = node[part]
            path.append(str(part))
    return tuple(path)


def _violations(payload: Any, errors: list[ErrorDetails]) -> list[_Violation]:
    """Schema errors located in the body, minus union branches a deeper error explains."""
    # A content list that fails also fails the `str` alternative at the list itself; only
    # the error inside the list says what is wrong.
    located = []
    for error in errors:
        loc = error["loc"]
        path = _json_path(payload, loc)
        message = error["msg"]
        if error["type"] == "missing":
            path = (*_json_path(payload, loc[:-1]), str(loc[-1]))
        elif error["type"] == "invalid_tool_type":
            tags = ", ".join(f"'{tag}'" for tag in ("custom", *sorted(SERVER_TOOL_TYPES)))
            message = (
                f"Input tag '{_tool_tag(_node(payload, path))}' found using 'type' does not "
                f"match any of the expected tags: {tags}"
            )
        located.append(_Violation(path, error["type"], message))
    return [
        v
        for v in located
        if not any(len(o.path) > len(v.path) and o.path[: len(v.path)] == v.path for o in located)
    ]


def _node(payload: Any, path: tuple[str, ...]) -> Any:
    node = payload
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _anthropic_message(violation: _Violation) -> str:
    """`path: msg`, the shape of the real API's validation errors."""
    # Example from the wild: "output_config: Extra inputs are not permitted"
    # (https://github.com/OpenHands/software-agent-sdk/issues/1630).
    path = ".".join(violation.path)
    return f"{path}: {violation.message}" if path else violation.message


def _bedrock_message(violations: list[_Violation]) -> str:
    """Bedrock's schema-validator wording, every violation listed."""
    # Source: "Malformed input request: #: extraneous key [stream] is not permitted, please
    # reformat your input and try again." (https://github.com/sigoden/aichat/issues/543).
    parts = []
    for v in violations:
        if v.kind in ("extra_forbidden", "missing") and v.path:
            where = "/".join(("#", *v.path[:-1]))
            if v.kind == "extra_forbidden":
                parts.append(f"{where}: extraneous key [{v.path[-1]}] is not permitted")
            else:
                parts.append(f"{where}: required key [{v.path[-1]}] not found")
        else:
            parts.append(f"{'/'.join(('#', *v.path))}: {v.message}")
    return f"Malformed input request: {''.join(parts)}, please reformat your input and try again."


def _invalid(message: str) -> EmulatorError:
    return EmulatorError("invalid_request_error", message)


# --- semantic rules pydantic cannot express -------------------------------------------------


def _blocks(content: str | list[BaseModel]) -> list[BaseModel]:
    return [] if isinstance(content, str) else content


def _check_messages(
    messages: list[ConversationMessage | SystemMessage], betas: frozenset[str]
) -> None:
    """Roles, non-empty content, block placement and tool_use/tool_result pairing."""
    conversation = [m for m in messages if isinstance(m, ConversationMessage)]
    last_index = len(messages) - 1
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            if not betas & SYSTEM_MESSAGE_BETAS:
                raise _invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
            continue
        final_assistant = index == last_index and message.role == "assistant"
        # Source: https://platform.claude.com/docs/en/api/messages/create ("messages" parameter).
        if not message.content and not final_assistant:
            raise _invalid(
                f"messages.{index}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for position, block in enumerate(_blocks(message.content)):
            _check_block_role(block, message.role, f"messages.{index}.content.{position}")
    if conversation and conversation[0].role != "user":
        # Source: https://platform.claude.com/docs/en/api/messages/create ("messages" parameter).
        raise _invalid('messages: first message must use the "user" role')
    _check_tool_pairing(messages)


def _check_block_role(block: BaseModel, role: str, where: str) -> None:
    """Blocks only the model writes live in assistant turns; tool results in user turns."""
    if isinstance(block, TextBlock) and not block.text:
        # Source: https://docs.claude.com/en/api/errors (invalid_request_error examples).
        raise _invalid("messages: text content blocks must be non-empty")
    assistant_only = (ToolUseBlock, ThinkingBlock, RedactedThinkingBlock)
    if role == "user" and isinstance(block, assistant_only):
        raise _invalid(f"{where}.type: `{block.type}` blocks can only be in `assistant` messages")
    if role == "assistant" and isinstance(block, ToolResultBlock):
        raise _invalid(f"{where}.type: `tool_result` blocks can only be in `user` messages")


def _check_tool_pairing(messages: list[ConversationMessage | SystemMessage]) -> None:
    """Each tool_use is answered by a tool_result in the next message, and only there."""
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    # ("tool result blocks must immediately follow their corresponding tool use blocks").
    turns = [(i, m) for i, m in enumerate(messages) if isinstance(m, ConversationMessage)]
    for position, (index, message) in enumerate(turns):
        blocks = _blocks(message.content)
        results = [b.tool_use_id for b in blocks if isinstance(b, ToolResultBlock)]
        if results:
            previous = _blocks(turns[position - 1][1].content) if position else []
            asked = {b.id for b in previous if isinstance(b, ToolUseBlock)}
            stray = [r for r in results if r not in asked]
            if stray:
                raise _invalid(
                    f"messages.{index}.content.0: unexpected `tool_use_id` found in "
                    f"`tool_result` blocks: {', '.join(stray)}. Each `tool_result` block must "
                    "have a corresponding `tool_use` block in the previous message."
                )
        uses = [b.id for b in blocks if isinstance(b, ToolUseBlock)]
        if uses and position + 1 < len(turns):
            answered = {
                b.tool_use_id
                for b in _blocks(turns[position + 1][1].content)
                if isinstance(b, ToolResultBlock)
            }
            missing = [u for u in uses if u not in answered]
            if missing:
                raise _invalid(
                    f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message."
                )


def _check_system(system: str | list[TextBlock] | None) -> None:
    if isinstance(system, list) and any(not block.text for block in system):
        raise _invalid("system: text content blocks must be non-empty")


def _check_tools(tools: list[CustomTool | ServerTool] | None, choice: BaseModel | None) -> None:
    """Tool names are unique, and a forced tool choice names a defined tool."""
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use
    names = [tool.name for tool in tools or []]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise _invalid(f"tools: Tool names must be unique. Duplicate: {', '.join(duplicates)}")
    if isinstance(choice, ToolChoiceTool) and choice.name not in names:
        raise _invalid(f"tool_choice.name: Tool '{choice.name}' not found in tools")


# --- entry points --------------------------------------------------------------------------


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body into a JSON object, or raise the API's error for it."""
    if len(raw) > MAX_BODY_BYTES:
        # Source: https://docs.claude.com/en/api/errors (413 request_too_large).
        raise EmulatorError(
            "request_too_large", "Request exceeds the maximum allowed number of bytes."
        )
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(f"There was an error parsing the body of your request: {exc}") from exc
    if not isinstance(payload, dict):
        raise _invalid("The request body must be a JSON object")
    return payload


def parse_beta_header(value: str | None) -> frozenset[str]:
    """The flags of a comma-separated `anthropic-beta` header."""
    # Source: https://docs.anthropic.com/en/api/beta-headers ("anthropic-beta: feature1,feature2").
    if not value:
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def validate_messages_request(
    payload: dict[str, Any],
    *,
    provider: ProviderId,
    endpoint: Endpoint = "messages",
    model: str | None = None,
    header_betas: Iterable[str] = (),
) -> NeutralRequest:
    """Check one Messages (or count-tokens) body as `provider` would, and neutralise it."""
    # `model` is the model named by the URL (Vertex, Bedrock); `header_betas` are the flags
    # of the `anthropic-beta` header. Refusals raise `EmulatorError` in the provider's words.
    rules = envelope_rules(provider, endpoint)
    try:
        body = _ADAPTERS[(rules, endpoint)].validate_python(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        violations = _violations(payload, errors)
        message = (
            _bedrock_message(violations)
            if rules.bedrock_messages
            else _anthropic_message(violations[0])
        )
        raise _invalid(message) from None
    betas = frozenset(header_betas) | frozenset(getattr(body, "anthropic_beta", None) or ())
    resolved_model = getattr(body, "model", None) or model
    if not resolved_model:
        raise _invalid("model: Field required")
    _check_system(body.system)
    _check_messages(body.messages, betas)
    _check_tools(body.tools, body.tool_choice)
    # What the platform accepts (betas, beta-gated fields, thinking, tools, the context
    # window) is checked once, by the model's capability check, on the neutral request.
    stream = bool(getattr(body, "stream", None))
    return NeutralRequest(
        provider=provider,
        model=resolved_model,
        body={key: value for key, value in payload.items() if key not in ENVELOPE_KEYS},
        betas=betas,
        stream=stream,
    )
