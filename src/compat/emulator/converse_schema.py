"""The request shapes of Bedrock's Converse, ConverseStream and CountTokens operations.

Shapes follow the Bedrock Runtime API reference,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html and the data
types it links (ContentBlock, SystemContentBlock, ToolConfiguration, ...); botocore's bundled
`bedrock-runtime` service model is the same definition in machine-readable form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from compat.emulator.aws_shapes import AwsShape, AwsUnion, Blob

NonEmptyStr = Annotated[str, Field(min_length=1)]
# Patterns and lengths from the ToolUseBlock and ToolSpecification data types.
ToolUseId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_.:-]+$")]
ToolName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]


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


class InvokeModelTokens(AwsShape):
    """InvokeModelTokensRequest: an InvokeModel body."""

    body: Blob


class CountTokensInput(AwsUnion):
    """CountTokensInput: an InvokeModel body or a Converse request."""

    invokeModel: InvokeModelTokens | None = None
    converse: ConverseTokensInput | None = None


class CountTokensRequest(AwsShape):
    """The CountTokens body (modelId comes from the path)."""

    # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
    input: CountTokensInput
