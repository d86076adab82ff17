"""The request body of OpenAI's Chat Completions API (`POST /v1/chat/completions`), as shapes.

Fields, their types and which of them are nullable follow the API reference,
https://platform.openai.com/docs/api-reference/chat/create , whose machine-readable form is
the openai/openai-openapi spec; the openai-python SDK's generated `CompletionCreateParams`
(and the `ChatCompletion*Param` types it names) spells the same definition, and is what
"nullable" below means: a field typed `Optional[...]` there accepts null. Unknown fields
are refused, at the top level and inside every object, and types are strict (a string is
no number), as the API validates them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    """An object of the request body: unknown members are refused and types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PromptCacheBreakpoint(Shape):
    """`prompt_cache_breakpoint` of a content part (GPT-5.6 and later)."""

    mode: Literal["explicit"]
    ttl: Literal["30m", "12h"] | None = None


class TextPart(Shape):
    """ChatCompletionContentPartTextParam."""

    type: Literal["text"]
    text: str
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class ImageUrl(Shape):
    """ImageURL: a URL or a base64 data URL, and the detail level."""

    url: str
    detail: Literal["auto", "low", "high", "original"] | None = None


class ImagePart(Shape):
    """ChatCompletionContentPartImageParam."""

    type: Literal["image_url"]
    image_url: ImageUrl
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class InputAudio(Shape):
    """InputAudio: base64 audio and its format."""

    data: str
    format: Literal["wav", "mp3"]


class AudioPart(Shape):
    """ChatCompletionContentPartInputAudioParam."""

    type: Literal["input_audio"]
    input_audio: InputAudio
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class FileData(Shape):
    """File.file: inline base64 data with its name, or the id of an uploaded file."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(Shape):
    """File: a file content part."""

    type: Literal["file"]
    file: FileData
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class RefusalPart(Shape):
    """ChatCompletionContentPartRefusalParam (assistant messages only)."""

    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[TextPart | ImagePart | AudioPart | FilePart, Field(discriminator="type")]
AssistantPart = Annotated[TextPart | RefusalPart, Field(discriminator="type")]


class SystemMessage(Shape):
    """ChatCompletionSystemMessageParam."""

    role: Literal["system"]
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(Shape):
    """ChatCompletionDeveloperMessageParam."""

    role: Literal["developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(Shape):
    """ChatCompletionUserMessageParam."""

    role: Literal["user"]
    content: str | list[UserPart]
    name: str | None = None


class CalledFunction(Shape):
    """The function of a tool call: its name and its arguments as a JSON string."""

    name: str
    arguments: str


class FunctionToolCall(Shape):
    """ChatCompletionMessageFunctionToolCallParam."""

    type: Literal["function"]
    id: str
    function: CalledFunction


class CalledCustom(Shape):
    """The custom tool of a tool call: its name and free-form input."""

    name: str
    input: str


class CustomToolCall(Shape):
    """ChatCompletionMessageCustomToolCallParam."""

    type: Literal["custom"]
    id: str
    custom: CalledCustom


ToolCall = Annotated[FunctionToolCall | CustomToolCall, Field(discriminator="type")]


class AudioRef(Shape):
    """The `audio` of an assistant message: a previous audio response."""

    id: str


class AssistantMessage(Shape):
    """ChatCompletionAssistantMessageParam; content may be null when it calls tools."""

    role: Literal["assistant"]
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: CalledFunction | None = None
    audio: AudioRef | None = None


class ToolMessage(Shape):
    """ChatCompletionToolMessageParam: the result of one tool call."""

    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(Shape):
    """ChatCompletionFunctionMessageParam (deprecated)."""

    role: Literal["function"]
    content: str | None
    name: str


Message = Annotated[
    SystemMessage
    | DeveloperMessage
    | UserMessage
    | AssistantMessage
    | ToolMessage
    | FunctionMessage,
    Field(discriminator="role"),
]


class FunctionDefinition(Shape):
    """FunctionDefinition; the name's pattern and the parameters are checked by the decoder."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(Shape):
    """ChatCompletionFunctionToolParam."""

    type: Literal["function"]
    function: FunctionDefinition


class CustomToolSpec(Shape):
    """The `custom` of a custom tool: its name, description and input format."""

    name: str
    description: str | None = None
    format: dict[str, Any] | None = None


class CustomTool(Shape):
    """ChatCompletionCustomToolParam."""

    type: Literal["custom"]
    custom: CustomToolSpec


Tool = Annotated[FunctionTool | CustomTool, Field(discriminator="type")]


class NamedFunction(Shape):
    """The function a named tool choice forces."""

    name: str


class NamedToolChoice(Shape):
    """ChatCompletionNamedToolChoiceParam."""

    type: Literal["function"]
    function: NamedFunction


class NamedCustomToolChoice(Shape):
    """ChatCompletionNamedToolChoiceCustomParam."""

    type: Literal["custom"]
    custom: NamedFunction


class AllowedTools(Shape):
    """ChatCompletionAllowedToolsParam: the subset of `tools` the model may call."""

    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


class AllowedToolChoice(Shape):
    """ChatCompletionAllowedToolChoiceParam."""

    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


ToolChoiceObject = Annotated[
    NamedToolChoice | NamedCustomToolChoice | AllowedToolChoice, Field(discriminator="type")
]
ToolChoice = Literal["none", "auto", "required"] | ToolChoiceObject


class JsonSchemaFormat(Shape):
    """ResponseFormatJSONSchema.json_schema; the name's pattern is checked by the decoder."""

    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class TextFormat(Shape):
    """ResponseFormatText."""

    type: Literal["text"]


class JsonObjectFormat(Shape):
    """ResponseFormatJSONObject (JSON mode)."""

    type: Literal["json_object"]


class JsonSchemaResponseFormat(Shape):
    """ResponseFormatJSONSchema (Structured Outputs)."""

    type: Literal["json_schema"]
    json_schema: JsonSchemaFormat


ResponseFormat = Annotated[
    TextFormat | JsonObjectFormat | JsonSchemaResponseFormat, Field(discriminator="type")
]


class StreamOptions(Shape):
    """ChatCompletionStreamOptionsParam."""

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class PromptCacheOptions(Shape):
    """PromptCacheOptions (GPT-5.6 and later)."""

    mode: Literal["implicit", "explicit"] | None = None
    ttl: Literal["30m"] | None = None


class ModerationPolicyMode(Shape):
    """ModerationPolicyInput / ModerationPolicyOutput."""

    mode: Literal["score", "block"]


class ModerationPolicy(Shape):
    """ModerationPolicy."""

    input: ModerationPolicyMode | None = None
    output: ModerationPolicyMode | None = None


class Moderation(Shape):
    """Moderation: run a moderation model on the input and output."""

    model: str
    policy: ModerationPolicy | None = None


class ApproximateLocation(Shape):
    """WebSearchOptionsUserLocationApproximate."""

    city: str | None = None
    country: str | None = None
    region: str | None = None
    timezone: str | None = None


class UserLocation(Shape):
    """WebSearchOptionsUserLocation."""

    type: Literal["approximate"]
    approximate: ApproximateLocation


class WebSearchOptions(Shape):
    """WebSearchOptions."""

    search_context_size: Literal["low", "medium", "high"] | None = None
    user_location: UserLocation | None = None


class Prediction(Shape):
    """ChatCompletionPredictionContentParam."""

    type: Literal["content"]
    content: str | list[TextPart]


class AudioOutput(Shape):
    """ChatCompletionAudioParam."""

    format: str
    voice: str | dict[str, Any]


class DeprecatedFunction(Shape):
    """The deprecated `functions` entries."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
ServiceTier = Literal["auto", "default", "flex", "scale", "priority", "fast"]


class ChatCompletionRequest(Shape):
    """CreateChatCompletionRequest: every field the API reference defines."""

    # `model` may be absent only where the route names the deployment (Azure); the decoder
    # checks that. Non-nullable fields (`tools`, `tool_choice`, `response_format`, `user`,
    # `parallel_tool_calls`, ...) refuse null, as their SDK types do: their default None
    # stands for "absent", which pydantic does not validate.

    messages: list[Message]
    model: str | None = None
    audio: AudioOutput | None = None
    frequency_penalty: float | None = None
    function_call: Literal["none", "auto"] | NamedFunction = None  # type: ignore[assignment]
    functions: list[DeprecatedFunction] = None  # type: ignore[assignment]
    logit_bias: dict[str, int] | None = None
    logprobs: bool | None = None
    max_completion_tokens: int | None = None
    max_tokens: int | None = None
    metadata: dict[str, str] | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    moderation: Moderation | None = None
    n: int | None = None
    parallel_tool_calls: bool = None  # type: ignore[assignment]
    prediction: Prediction | None = None
    presence_penalty: float | None = None
    prompt_cache_key: str | None = None
    prompt_cache_options: PromptCacheOptions = None  # type: ignore[assignment]
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    reasoning_effort: ReasoningEffort | None = None
    response_format: ResponseFormat = None  # type: ignore[assignment]
    safety_identifier: str | None = None
    seed: int | None = None
    service_tier: ServiceTier | None = None
    stop: str | list[str] | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    tool_choice: ToolChoice = None  # type: ignore[assignment]
    tools: list[Tool] = None  # type: ignore[assignment]
    top_logprobs: int | None = None
    top_p: float | None = None
    user: str = None  # type: ignore[assignment]
    verbosity: Literal["low", "medium", "high"] | None = None
    web_search_options: WebSearchOptions = None  # type: ignore[assignment]
