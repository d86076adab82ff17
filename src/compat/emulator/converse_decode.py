"""A Converse request as Claude receives it: the Anthropic Messages body Bedrock makes of it.

For an Anthropic model Bedrock turns a Converse request into the equivalent InvokeModel
body, so this module does the same and hands it to the Messages decoder: the result is
the `NeutralRequest` the model answers.
Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from compat.emulator.bedrock_invoke import BEDROCK_ENVELOPE, BEDROCK_VERSION
from compat.emulator.converse_schema import (
    CachePoint,
    ContentBlock,
    ConverseRequest,
    ConverseTokensInput,
    DocumentBlock,
    ImageBlock,
    InferenceConfig,
    Message,
    OutputConfig,
    ReasoningContent,
    SystemBlock,
    Tool,
    ToolChoice,
    ToolResultContent,
)
from compat.emulator.messages_decode import validate_messages_request
from compat.emulator.types import EmulatorError, NeutralRequest

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
            raise EmulatorError.invalid(f"{where}: a cachePoint must follow the content it caches")
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
        raise EmulatorError.invalid(
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
            raise EmulatorError.invalid(
                f"The {document.format} document is not valid UTF-8 text."
            ) from None
    if document.format is None:
        raise EmulatorError.invalid("A document with a bytes source must have a format.")
    raise EmulatorError.invalid(
        f"Document format {document.format!r} is not supported by this emulator."
    )


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


def _text_or_media(block: ContentBlock | ToolResultContent) -> dict[str, Any] | None:
    """The text, image or document member that message and tool-result blocks share."""
    if block.text is not None:
        return {"type": "text", "text": block.text}
    if block.image is not None:
        return _image(block.image)
    if block.document is not None:
        return _document(block.document)
    return None


def _tool_result_part(part: ToolResultContent) -> dict[str, Any]:
    converted = _text_or_media(part)
    if converted is not None:
        return converted
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
    converted = _text_or_media(block)
    if converted is not None:
        return converted
    if block.toolUse is not None:
        if block.toolUse.type is not None:
            raise EmulatorError.invalid("Server tool use blocks are not supported for this model.")
        use = block.toolUse
        return {"type": "tool_use", "id": use.toolUseId, "name": use.name, "input": use.input}
    if block.toolResult is not None:
        result = block.toolResult
        tool_result: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": result.toolUseId,
            "content": [_tool_result_part(part) for part in result.content],
        }
        if result.status == "error":
            tool_result["is_error"] = True
        return tool_result
    assert block.reasoningContent is not None  # the union guarantees one member
    return _reasoning(block.reasoningContent)


def _message(index: int, message: Message) -> dict[str, Any]:
    if message.role == "system":
        raise EmulatorError.invalid(
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
            raise EmulatorError.invalid(
                "outputConfig.textFormat: the JSON schema is not valid JSON."
            ) from None
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
        raise EmulatorError.invalid(
            "additionalModelRequestFields must not set fields the Converse request already "
            f"defines: {', '.join(clashes)}"
        )
    betas = body.pop("anthropic_beta", [])
    if not isinstance(betas, list) or not all(isinstance(beta, str) for beta in betas):
        raise EmulatorError.invalid(
            "additionalModelRequestFields.anthropic_beta must be a list of strings."
        )
    return body, frozenset(betas)


def anthropic_body(
    request: ConverseTokensInput,
    inference: InferenceConfig | None = None,
    output: OutputConfig | None = None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Translate a Converse request into an Anthropic Messages body and its beta flags."""
    if request.toolConfig is None and _uses_tools(request.messages):
        # Bedrock's own wording, as quoted by the many clients that have hit it.
        raise EmulatorError.invalid(
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
    invoke_body = {**body, "anthropic_version": BEDROCK_VERSION, "anthropic_beta": sorted(betas)}
    neutral = validate_messages_request(
        invoke_body, provider="bedrock_invoke", envelope=BEDROCK_ENVELOPE, model=model_id
    )
    return neutral.model_copy(update={"provider": "bedrock_converse", "stream": stream})


def request_to_neutral(request: ConverseRequest, *, model_id: str, stream: bool) -> NeutralRequest:
    """The model's view of a Converse or ConverseStream request body."""
    if request.performanceConfig and request.performanceConfig.latency == "optimized":
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/latency-optimized-inference.html
        # (latency-optimized inference covers a short list of older models only).
        raise EmulatorError.invalid("Latency-optimized inference is not supported for this model.")
    return to_neutral(
        request,
        model_id=model_id,
        stream=stream,
        inference=request.inferenceConfig,
        output=request.outputConfig,
    )
