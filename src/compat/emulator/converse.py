"""Bedrock Converse and ConverseStream: strict request parsing and reply encoding.

Shapes follow the Bedrock Runtime API reference,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html and the data
types it links (ContentBlock, SystemContentBlock, ToolConfiguration, TokenUsage, ...); botocore's
bundled `bedrock-runtime` service model is the same definition in machine-readable form. For an
Anthropic model Bedrock turns a Converse request into an Anthropic Messages body, so this module
does the same: the request becomes a `NeutralRequest`, and the model's reply (and its Anthropic
stream events) become the Converse response or ConverseStream events. No HTTP here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, Protocol, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from compat.emulator.messages_schema import BEDROCK_VERSION, validate_messages_request
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, Usage

# Converse's inferenceConfig.maxTokens is optional while Anthropic's max_tokens is required;
# Bedrock fills in a default that its docs do not state, so this value is an assumption.
DEFAULT_MAX_TOKENS = 4096

# Anthropic body fields that Converse expresses with its own members; sending them again in
# additionalModelRequestFields would give the model two conflicting values.
CONVERSE_OWNED_FIELDS = frozenset(
    {
        "anthropic_version",
        "max_tokens",
        "messages",
        "model",
        "stop_sequences",
        "stream",
        "system",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
    }
)


def _blob(value: object) -> bytes:
    # JSON carries Converse blobs as base64 strings (AWS rest-json protocol).
    if not isinstance(value, str):
        raise ValueError("expected a base64-encoded string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("invalid base64 data") from exc


Blob = Annotated[bytes, BeforeValidator(_blob)]
NonEmptyStr = Annotated[str, Field(min_length=1)]
# Patterns and lengths from the ToolUseBlock and ToolSpecification data types.
ToolUseId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_.:-]+$")]
ToolName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]


class AwsShape(BaseModel):
    """An AWS JSON structure: members outside the API model are refused, types are strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Members the API defines but the emulator does not model; named so the error says so.
    unmodelled: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_unmodelled(cls, data: object) -> object:
        if isinstance(data, Mapping):
            for name in sorted(cls.unmodelled & set(data)):
                raise ValueError(f"{cls.__name__}.{name} is not supported by this emulator")
        return data


class AwsUnion(AwsShape):
    """An AWS JSON union: exactly one member may be set."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        present = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(f"exactly one member of {type(self).__name__} must be set")
        return self


class S3Free(AwsUnion):
    """Base for sources whose s3Location member the emulator cannot fetch."""

    unmodelled = frozenset({"s3Location"})


class ImageSource(S3Free):
    """ImageSource: the image bytes."""

    data: Blob | None = Field(default=None, alias="bytes", min_length=1)


class ImageBlock(AwsShape):
    """ImageBlock: an image and its format."""

    format: Literal["png", "jpeg", "gif", "webp"]
    source: ImageSource


class DocumentText(AwsUnion):
    """DocumentContentBlock: one text part of a document."""

    text: str | None = None


class DocumentSource(S3Free):
    """DocumentSource: bytes, text or text parts."""

    data: Blob | None = Field(default=None, alias="bytes", min_length=1)
    text: str | None = None
    content: list[DocumentText] | None = None


class CitationsConfig(AwsShape):
    """CitationsConfig: whether the model cites the document."""

    enabled: bool


class DocumentBlock(AwsShape):
    """DocumentBlock: a named document."""

    format: Literal["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"] | None = None
    name: str = Field(min_length=1, max_length=200)
    source: DocumentSource
    context: str | None = None
    citations: CitationsConfig | None = None


class ToolUseBlock(AwsShape):
    """ToolUseBlock: a tool call the assistant made."""

    toolUseId: ToolUseId
    name: ToolName
    input: Any
    type: Literal["server_tool_use"] | None = None


class ToolResultContent(AwsUnion):
    """ToolResultContentBlock: one part of a tool result."""

    unmodelled = frozenset({"video", "searchResult"})

    json_: Any = Field(default=None, alias="json")
    text: str | None = None
    image: ImageBlock | None = None
    document: DocumentBlock | None = None


class ToolResultBlock(AwsShape):
    """ToolResultBlock: the result of a tool call."""

    toolUseId: ToolUseId
    content: list[ToolResultContent]
    status: Literal["success", "error"] | None = None
    type: str | None = None


class ReasoningText(AwsShape):
    """ReasoningTextBlock: reasoning text and its signature."""

    text: str
    signature: str | None = None


class ReasoningContent(AwsUnion):
    """ReasoningContentBlock: signed or redacted reasoning."""

    reasoningText: ReasoningText | None = None
    redactedContent: Blob | None = None


class CachePoint(AwsShape):
    """CachePointBlock: the end of a cached prefix."""

    type: Literal["default"]
    ttl: Literal["5m", "1h"] | None = None


class ContentBlock(AwsUnion):
    """ContentBlock: one block of a message."""

    unmodelled = frozenset(
        {
            "video",
            "audio",
            "guardContent",
            "citationsContent",
            "searchResult",
            "toolAddition",
            "toolRemoval",
        }
    )

    text: str | None = None
    image: ImageBlock | None = None
    document: DocumentBlock | None = None
    toolUse: ToolUseBlock | None = None
    toolResult: ToolResultBlock | None = None
    reasoningContent: ReasoningContent | None = None
    cachePoint: CachePoint | None = None


class Message(AwsShape):
    """Message: a role and its content blocks."""

    role: Literal["user", "assistant", "system"]
    content: list[ContentBlock]


class SystemBlock(AwsUnion):
    """SystemContentBlock: system text or a cache point."""

    unmodelled = frozenset({"guardContent"})

    text: NonEmptyStr | None = None
    cachePoint: CachePoint | None = None


class InferenceConfig(AwsShape):
    """InferenceConfiguration: the base inference parameters."""

    maxTokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=1)
    topP: float | None = Field(default=None, ge=0, le=1)
    stopSequences: list[NonEmptyStr] | None = Field(default=None, max_length=2500)


class ToolInputSchema(AwsUnion):
    """ToolInputSchema: the tool's JSON schema."""

    json_: dict[str, Any] | None = Field(default=None, alias="json")


class ToolSpec(AwsShape):
    """ToolSpecification: a tool the model may call."""

    name: ToolName
    description: NonEmptyStr | None = None
    inputSchema: ToolInputSchema
    strict: bool | None = None


class Tool(AwsUnion):
    """Tool: a tool specification or a cache point."""

    unmodelled = frozenset({"systemTool"})

    toolSpec: ToolSpec | None = None
    cachePoint: CachePoint | None = None


class Empty(AwsShape):
    """A union member with no fields (AutoToolChoice, AnyToolChoice)."""


class SpecificToolChoice(AwsShape):
    """SpecificToolChoice: the tool the model must call."""

    name: ToolName


class ToolChoice(AwsUnion):
    """ToolChoice: auto, any or one named tool."""

    auto: Empty | None = None
    any_: Empty | None = Field(default=None, alias="any")
    tool: SpecificToolChoice | None = None


class ToolConfig(AwsShape):
    """ToolConfiguration: the tools and the tool choice."""

    tools: list[Tool] = Field(min_length=1)
    toolChoice: ToolChoice | None = None


class PerformanceConfig(AwsShape):
    """PerformanceConfiguration: standard or latency-optimized inference."""

    latency: Literal["standard", "optimized"] | None = None


class ServiceTier(AwsShape):
    """ServiceTier: the processing tier requested."""

    type: Literal["priority", "default", "flex", "reserved"]


class JsonSchemaDefinition(AwsShape):
    """JsonSchemaDefinition: a JSON schema, as a string."""

    schema_: str = Field(alias="schema")
    name: str | None = None
    description: str | None = None


class OutputFormatStructure(AwsUnion):
    """OutputFormatStructure: how structured output is described."""

    jsonSchema: JsonSchemaDefinition | None = None


class OutputFormat(AwsShape):
    """OutputFormat: structured output as a JSON schema."""

    type: Literal["json_schema"]
    structure: OutputFormatStructure


class OutputConfig(AwsShape):
    """OutputConfig: structured output and effort."""

    textFormat: OutputFormat | None = None
    effort: str | None = Field(default=None, max_length=16)


MetadataKey = Annotated[str, Field(pattern=r"^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$")]
MetadataValue = Annotated[str, Field(pattern=r"^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$")]
FieldPath = Annotated[str, Field(min_length=1, max_length=256)]


class ConverseTokensInput(AwsShape):
    """The part of a Converse request CountTokens accepts (ConverseTokensRequest)."""

    messages: list[Message]
    system: list[SystemBlock] | None = None
    toolConfig: ToolConfig | None = None
    additionalModelRequestFields: dict[str, Any] | None = None


class ConverseRequest(ConverseTokensInput):
    """A Converse or ConverseStream request body (modelId comes from the path)."""

    unmodelled = frozenset({"guardrailConfig", "promptVariables"})

    inferenceConfig: InferenceConfig | None = None
    additionalModelResponseFieldPaths: list[FieldPath] | None = Field(default=None, max_length=10)
    requestMetadata: dict[MetadataKey, MetadataValue] | None = Field(
        default=None, min_length=1, max_length=16
    )
    performanceConfig: PerformanceConfig | None = None
    serviceTier: ServiceTier | None = None
    outputConfig: OutputConfig | None = None

    @field_validator("additionalModelResponseFieldPaths")
    @classmethod
    def _json_pointers(cls, paths: list[str] | None) -> list[str] | None:
        for path in paths or []:
            if not path.startswith("/"):
                raise ValueError(f"{path!r} is not a JSON pointer (it must start with '/')")
        return paths


ShapeT = TypeVar("ShapeT", bound=BaseModel)


def _aws_path(location: Sequence[int | str]) -> str:
    # AWS validation messages name list items 1-based with a `.member` suffix.
    return ".".join(f"{part + 1}.member" if isinstance(part, int) else part for part in location)


# AWS's wording for each kind of constraint violation, keyed by pydantic error type.
_CONSTRAINTS: dict[str, str] = {
    "missing": "Member must not be null",
    "extra_forbidden": "Member is not defined in the API model",
    "literal_error": "Member must satisfy enum value set: [{expected}]",
    "greater_than_equal": "Member must have value greater than or equal to {ge}",
    "less_than_equal": "Member must have value less than or equal to {le}",
    "too_short": "Member must have length greater than or equal to {min_length}",
    "bytes_too_short": "Member must have length greater than or equal to {min_length}",
    "string_too_short": "Member must have length greater than or equal to {min_length}",
    "too_long": "Member must have length less than or equal to {max_length}",
    "string_too_long": "Member must have length less than or equal to {max_length}",
    "string_pattern_mismatch": "Member must satisfy regular expression pattern: {pattern}",
}


def _constraint(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx", {})
    if error["type"] == "value_error":
        return str(ctx["error"])
    template = _CONSTRAINTS.get(error["type"])
    return template.format(**ctx) if template else str(error["msg"])


def validation_message(exc: ValidationError) -> str:
    """Render pydantic errors in the shape of AWS's own validation messages."""
    errors = exc.errors()
    parts = [
        f"Value at '{_aws_path(error['loc'])}' failed to satisfy constraint: {_constraint(error)}"
        if error["loc"]
        else _constraint(error)
        for error in errors
    ]
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(parts)


def parse(shape: type[ShapeT], body: object) -> ShapeT:
    """Validate a decoded JSON body against a Converse shape or raise ValidationException."""
    try:
        return shape.model_validate(body)
    except ValidationError as exc:
        raise EmulatorError("invalid_request_error", validation_message(exc)) from None


def _invalid(message: str) -> EmulatorError:
    return EmulatorError("invalid_request_error", message)


def _cache_control(point: CachePoint) -> dict[str, str]:
    control = {"type": "ephemeral"}
    if point.ttl is not None:
        control["ttl"] = point.ttl
    return control


class _Cacheable(Protocol):
    """A union that may be a cachePoint (ContentBlock, SystemContentBlock, Tool)."""

    @property
    def cachePoint(self) -> CachePoint | None: ...


CacheableT = TypeVar("CacheableT", bound=_Cacheable)


def _with_cache_points(
    items: Iterable[CacheableT], convert: Callable[[CacheableT], dict[str, Any]], where: str
) -> list[dict[str, Any]]:
    """Convert items, turning each cachePoint into cache_control on the item before it."""
    # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
    # (a cachePoint marks the end of the prefix made of the blocks before it).
    converted: list[dict[str, Any]] = []
    for item in items:
        if item.cachePoint is None:
            converted.append(convert(item))
        elif converted:
            converted[-1] = {**converted[-1], "cache_control": _cache_control(item.cachePoint)}
        else:
            raise _invalid(f"{where}: a cachePoint must follow the content it caches")
    return converted


def _image(image: ImageBlock) -> dict[str, Any]:
    data = image.source.data or b""
    return {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": f"image/{image.format}",
            "data": base64.b64encode(data).decode("ascii"),
        },
    }


_DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_()\[\] -]{1,200}")


def _check_document_name(name: str) -> None:
    """Rule converse.document-name: ASCII only, underscores allowed, no doubled spaces."""
    if _DOCUMENT_NAME.fullmatch(name) is None or "  " in name:
        raise _invalid(
            "The document file name can only contain alphanumeric characters, whitespace "
            "characters, hyphens, parentheses, and square brackets. The name can't contain "
            "more than one consecutive whitespace character. Check that the file name "
            "conforms to these restrictions and retry your request."
        )


_TEXT_FORMATS = frozenset({"txt", "md", "csv", "html"})


def _document_source(document: DocumentBlock) -> dict[str, Any]:
    source = document.source
    if source.text is not None:
        return {"type": "text", "media_type": "text/plain", "data": source.text}
    if source.content is not None:
        parts = [{"type": "text", "text": part.text} for part in source.content]
        return {"type": "content", "content": parts}
    data = source.data or b""
    if document.format == "pdf":
        encoded = base64.b64encode(data).decode("ascii")
        return {"type": "base64", "media_type": "application/pdf", "data": encoded}
    if document.format in _TEXT_FORMATS:
        try:
            return {"type": "text", "media_type": "text/plain", "data": data.decode("utf-8")}
        except UnicodeDecodeError:
            raise _invalid(f"The {document.format} document is not valid UTF-8 text.") from None
    if document.format is None:
        raise _invalid("A document with a bytes source must have a format.")
    raise _invalid(f"Document format {document.format!r} is not supported by this emulator.")


def _document(document: DocumentBlock) -> dict[str, Any]:
    _check_document_name(document.name)
    block: dict[str, Any] = {
        "type": "document",
        "source": _document_source(document),
        "title": document.name,
    }
    if document.context is not None:
        block["context"] = document.context
    if document.citations is not None:
        block["citations"] = {"enabled": document.citations.enabled}
    return block


def _tool_result_part(part: ToolResultContent) -> dict[str, Any]:
    if part.text is not None:
        return {"type": "text", "text": part.text}
    if part.image is not None:
        return _image(part.image)
    if part.document is not None:
        return _document(part.document)
    return {"type": "text", "text": json.dumps(part.json_, separators=(",", ":"))}


def _reasoning(reasoning: ReasoningContent) -> dict[str, Any]:
    if reasoning.reasoningText is not None:
        block = {"type": "thinking", "thinking": reasoning.reasoningText.text}
        if reasoning.reasoningText.signature is not None:
            block["signature"] = reasoning.reasoningText.signature
        return block
    # Anthropic's redacted_thinking data is an opaque string; Converse carries it as a blob.
    data = (reasoning.redactedContent or b"").decode("utf-8")
    return {"type": "redacted_thinking", "data": data}


def _content_block(block: ContentBlock) -> dict[str, Any]:
    if block.text is not None:
        return {"type": "text", "text": block.text}
    if block.image is not None:
        return _image(block.image)
    if block.document is not None:
        return _document(block.document)
    if block.toolUse is not None:
        if block.toolUse.type is not None:
            raise _invalid("Server tool use blocks are not supported for this model.")
        use = block.toolUse
        return {"type": "tool_use", "id": use.toolUseId, "name": use.name, "input": use.input}
    if block.toolResult is not None:
        result = block.toolResult
        converted: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": result.toolUseId,
            "content": [_tool_result_part(part) for part in result.content],
        }
        if result.status == "error":
            converted["is_error"] = True
        return converted
    assert block.reasoningContent is not None  # the union guarantees one member
    return _reasoning(block.reasoningContent)


def _message(index: int, message: Message) -> dict[str, Any]:
    if message.role == "system":
        raise _invalid(
            f"messages.{index}: the role 'system' is not supported by this model; "
            "put system content in the system field."
        )
    content = _with_cache_points(message.content, _content_block, f"messages.{index}.content")
    return {"role": message.role, "content": content}


def _tool(tool: Tool) -> dict[str, Any]:
    assert tool.toolSpec is not None  # cachePoints are handled by _with_cache_points
    spec = tool.toolSpec
    converted: dict[str, Any] = {"name": spec.name, "input_schema": spec.inputSchema.json_}
    if spec.description is not None:
        converted["description"] = spec.description
    if spec.strict is not None:
        converted["strict"] = spec.strict
    return converted


def _tool_choice(choice: ToolChoice) -> dict[str, str]:
    if choice.tool is not None:
        return {"type": "tool", "name": choice.tool.name}
    return {"type": "auto"} if choice.auto is not None else {"type": "any"}


def _uses_tools(messages: Iterable[Message]) -> bool:
    return any(
        block.toolUse is not None or block.toolResult is not None
        for message in messages
        for block in message.content
    )


def _output_config(config: OutputConfig) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    if config.effort is not None:
        converted["effort"] = config.effort
    if config.textFormat is not None:
        definition = config.textFormat.structure.jsonSchema
        assert definition is not None  # the union guarantees one member
        try:
            schema = json.loads(definition.schema_)
        except json.JSONDecodeError:
            raise _invalid("outputConfig.textFormat: the JSON schema is not valid JSON.") from None
        converted["format"] = {"type": "json_schema", "schema": schema}
    return converted


def _additional_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Split additionalModelRequestFields into Anthropic body fields and beta flags."""
    # Source: additionalModelRequestFields in the Converse API reference, and
    # https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html
    # (thinking and anthropic_beta travel here for Claude on Converse).
    body = dict(fields)
    clashes = sorted(CONVERSE_OWNED_FIELDS & set(body))
    if clashes:
        raise _invalid(
            "additionalModelRequestFields must not set fields the Converse request already "
            f"defines: {', '.join(clashes)}"
        )
    betas = body.pop("anthropic_beta", [])
    if not isinstance(betas, list) or not all(isinstance(beta, str) for beta in betas):
        raise _invalid("additionalModelRequestFields.anthropic_beta must be a list of strings.")
    return body, frozenset(betas)


def anthropic_body(
    request: ConverseTokensInput,
    inference: InferenceConfig | None = None,
    output: OutputConfig | None = None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Translate a Converse request into an Anthropic Messages body and its beta flags."""
    if request.toolConfig is None and _uses_tools(request.messages):
        # Bedrock's own wording, as quoted by the many clients that have hit it.
        raise _invalid(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    config = inference or InferenceConfig()
    body: dict[str, Any] = {
        "messages": [_message(i, message) for i, message in enumerate(request.messages)],
        "max_tokens": config.maxTokens or DEFAULT_MAX_TOKENS,
    }
    if request.system:
        body["system"] = _with_cache_points(request.system, _system_block, "system")
    if config.temperature is not None:
        body["temperature"] = config.temperature
    if config.topP is not None:
        body["top_p"] = config.topP
    if config.stopSequences:
        body["stop_sequences"] = list(config.stopSequences)
    if request.toolConfig is not None:
        body["tools"] = _with_cache_points(request.toolConfig.tools, _tool, "toolConfig.tools")
        if request.toolConfig.toolChoice is not None:
            body["tool_choice"] = _tool_choice(request.toolConfig.toolChoice)
    if output is not None:
        body["output_config"] = _output_config(output)
    extra, betas = _additional_fields(request.additionalModelRequestFields or {})
    body.update(extra)
    return body, betas


def _system_block(block: SystemBlock) -> dict[str, Any]:
    return {"type": "text", "text": block.text}


def to_neutral(
    request: ConverseTokensInput,
    *,
    model_id: str,
    stream: bool = False,
    inference: InferenceConfig | None = None,
    output: OutputConfig | None = None,
) -> NeutralRequest:
    """The model's view of a Converse request, checked as the Anthropic model checks it."""
    body, betas = anthropic_body(request, inference, output)
    # Bedrock hands Claude the equivalent InvokeModel body, so the model's own validation
    # (tool pairing, thinking budget, unknown additional fields) applies as it does there.
    envelope = {**body, "anthropic_version": BEDROCK_VERSION, "anthropic_beta": sorted(betas)}
    neutral = validate_messages_request(envelope, provider="bedrock_invoke", model=model_id)
    return neutral.model_copy(update={"provider": "bedrock_converse", "stream": stream})


def request_to_neutral(request: ConverseRequest, *, model_id: str, stream: bool) -> NeutralRequest:
    """The model's view of a Converse or ConverseStream request body."""
    if request.performanceConfig and request.performanceConfig.latency == "optimized":
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/latency-optimized-inference.html
        # (latency-optimized inference covers a short list of older models only).
        raise _invalid("Latency-optimized inference is not supported for this model.")
    return to_neutral(
        request,
        model_id=model_id,
        stream=stream,
        inference=request.inferenceConfig,
        output=request.outputConfig,
    )


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


def _pointer_lookup(document: Mapping[str, Any], pointer: str) -> tuple[bool, Any]:
    node: Any = document
    for raw in pointer.split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
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
        keys = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
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
