"""The Anthropic Messages request body as the real API accepts it: strict pydantic shapes.

Field lists follow the beta "Create a Message" reference, the superset the real API
accepts: https://platform.claude.com/docs/en/api/messages/create and
https://platform.claude.com/docs/en/api/php/beta/messages/create. Token counting takes the
same body less the generation fields:
https://platform.claude.com/docs/en/api/messages/count_tokens
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

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


def tool_tag(value: Any) -> str:
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
        tool_tag,
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


class CountTokensBody(_Strict):
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


class MessagesBody(CountTokensBody):
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
