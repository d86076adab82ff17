"""A Responses API request as the model sees it: checked like OpenAI checks it, then neutral.

The body is checked against the request schema of `POST /v1/responses` (top-level fields,
input item types, roles, content part types, function tools, reasoning, text format,
tool choice) and refused in OpenAI's words with the offending `param`. What passes becomes
a `NeutralRequest`: `instructions` and system/developer messages are the system text,
message items the messages, `function_call`/`function_call_output` items `tool_use` and
`tool_result` blocks, reasoning items signed thinking blocks, function tools Anthropic
tools, `reasoning` adaptive thinking and `text.format` json_schema `output_config.format`.

Sources: https://platform.openai.com/docs/api-reference/responses/create , the request types
the openai-python SDK generates from OpenAI's OpenAPI spec
(https://github.com/openai/openai-python/blob/main/src/openai/types/responses/response_create_params.py
and the item types beside it), https://platform.openai.com/docs/guides/error-codes .
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from compat.emulator.openai_context import as_context
from compat.emulator.openai_errors import OpenAIRequestError
from compat.emulator.types import NeutralRequest, ProviderId

# Every top-level field of the create-response body; any other is "Unknown parameter".
# Source: ResponseCreateParamsBase and the streaming variants in the SDK file above.
KNOWN_FIELDS = frozenset(
    {
        "access_programs",
        "background",
        "background_options",
        "context_management",
        "conversation",
        "image",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)

# Fields the API documents but the emulator cannot honour: server-side state (stored
# responses, conversations, prompt templates) and background runs. Refusing them is more
# honest than answering as if they were applied.
_STATEFUL_FIELDS = ("previous_response_id", "conversation", "prompt")

# Source: ResponseIncludable in the SDK (src/openai/types/responses/response_includable.py).
INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
ENCRYPTED_REASONING = "reasoning.encrypted_content"

# Source: ReasoningEffort (src/openai/types/shared/reasoning_effort.py) and reasoning.summary
# (src/openai/types/shared_params/reasoning.py).
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_SUMMARIES = ("auto", "concise", "detailed")

# Input item types of ResponseInputItemParam (src/openai/types/responses/response_input_param.py).
_ITEM_TYPES = (
    "message",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "web_search_call",
    "function_call",
    "function_call_output",
    "tool_search_call",
    "tool_search_output",
    "additional_tools",
    "reasoning",
    "compaction",
    "compaction_trigger",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "custom_tool_call_output",
    "custom_tool_call",
    "item_reference",
    "program",
    "program_output",
)
_SERVED_ITEM_TYPES = frozenset(
    {"message", "function_call", "function_call_output", "reasoning", "item_reference"}
)
# Message roles: EasyInputMessageParam takes user, assistant, system and developer.
_ROLES = ("assistant", "system", "developer", "user")
# Content parts: ResponseInputContentParam for input roles, output_text/refusal for assistant
# (ResponseOutputMessageParam content).
_INPUT_PARTS = ("input_text", "input_image", "input_file")
_OUTPUT_PARTS = ("output_text", "refusal")
# Source: ImageDetail (src/openai/types/responses/image_detail.py).
_IMAGE_DETAILS = ("low", "high", "auto", "original")
# Function names: "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length
# of 64". Source: https://platform.openai.com/docs/guides/function-calling
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# `max_output_tokens` has a floor of 16 on OpenAI's API (error integer_below_min_value).
# Source: https://platform.openai.com/docs/api-reference/responses/create (max_output_tokens)
MIN_OUTPUT_TOKENS = 16
_DEFAULT_MAX_TOKENS = 4_096
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+);base64,(.*)$", re.DOTALL)
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
ENCRYPTED_PREFIX = "gAAAA"


@dataclass(frozen=True)
class ResponsesRequest:
    """A checked Responses request: the neutral request and what the reply must carry."""

    neutral: NeutralRequest
    summary: str | None
    """`reasoning.summary` when a reasoning summary was asked for."""
    include: tuple[str, ...]
    reasoning_effort: str | None
    max_output_tokens: int | None
    body: dict[str, Any]
    """The request body as it arrived, for the fields the response object echoes."""

    @property
    def encrypted_reasoning(self) -> bool:
        return ENCRYPTED_REASONING in self.include


def _invalid(message: str, param: str | None, code: str | None = None) -> OpenAIRequestError:
    return OpenAIRequestError(message, param=param, code=code)


def _invalid_value(value: Any, allowed: tuple[str, ...], param: str) -> OpenAIRequestError:
    """OpenAI's wording for a value outside an enum (code invalid_value)."""
    quoted = [f"'{v}'" for v in allowed]
    listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return _invalid(
        f"Invalid value: '{value}'. Supported values are: {listed}.", param, "invalid_value"
    )


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string"}
    names |= {list: "an array", dict: "an object", type(None): "null"}
    return names.get(type(value), "a value")


def _invalid_type(param: str, expected: str, value: Any) -> OpenAIRequestError:
    return _invalid(
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
        param,
        "invalid_type",
    )


def _missing(param: str) -> OpenAIRequestError:
    return _invalid(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _require_type(value: Any, kind: type | tuple[type, ...], param: str, expected: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise _invalid_type(param, expected, value)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def decode_responses(
    payload: Any, *, provider: ProviderId, model: str | None = None
) -> ResponsesRequest:
    """Check a Responses body like OpenAI does and turn it into a neutral request."""
    if not isinstance(payload, dict):
        raise _invalid("The request body must be a JSON object.", None, "invalid_type")
    for name in payload:
        if name not in KNOWN_FIELDS:
            # Source: https://platform.openai.com/docs/guides/error-codes (400 invalid
            # request); the body schema in the module docstring lists every field.
            raise _invalid(f"Unknown parameter: '{name}'.", name, "unknown_parameter")
    for name in _STATEFUL_FIELDS:
        if payload.get(name) is not None:
            raise _invalid(
                f"The emulator keeps no stored state, so '{name}' cannot be served.", name
            )
    if payload.get("background"):
        raise _invalid("The emulator does not run background responses.", "background")
    model_id = model if model is not None else payload.get("model")
    if model_id is None:
        raise _missing("model")
    _require_type(model_id, str, "model", "a string")
    stream = payload.get("stream")
    if stream is not None:
        _require_type(stream, bool, "stream", "a boolean")
    include = _include(payload.get("include"))
    max_output = _max_output_tokens(payload.get("max_output_tokens"))
    effort, summary = _reasoning(payload.get("reasoning"))
    tools = _tools(payload.get("tools"))
    tool_choice = _tool_choice(payload.get("tool_choice"), tools)
    system, messages = _input(payload.get("input"), payload.get("instructions"))
    body: dict[str, Any] = {"max_tokens": max_output or _DEFAULT_MAX_TOKENS, "messages": messages}
    if system:
        body["system"] = system
    if tools:
        body["tools"] = tools
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    output_format = _text_format(payload.get("text"))
    if output_format is not None:
        body["output_config"] = {"format": output_format}
    forced = isinstance(tool_choice, dict) and tool_choice.get("type") in ("any", "tool")
    # A reasoning model reasons unless told `effort: "none"`; OpenAI allows a forced tool
    # with reasoning (the model's adaptive thinking does not), so a forced call skips it.
    # Source: https://platform.openai.com/docs/guides/reasoning
    if effort is not None and effort != "none" and not forced and _may_think(messages):
        body["thinking"] = {"type": "adaptive"}
    for name in ("temperature", "top_p"):
        value = payload.get(name)
        if value is not None:
            _require_type(value, (int, float), name, "a decimal")
    neutral = NeutralRequest(provider=provider, model=model_id, body=body, stream=bool(stream))
    return ResponsesRequest(neutral, summary, include, effort, max_output, payload)


def _include(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    _require_type(value, list, "include", "an array")
    for i, item in enumerate(value):
        if item not in INCLUDABLE:
            raise _invalid_value(item, INCLUDABLE, f"include[{i}]")
    return tuple(value)


def _max_output_tokens(value: Any) -> int | None:
    if value is None:
        return None
    _require_type(value, int, "max_output_tokens", "an integer")
    if value < MIN_OUTPUT_TOKENS:
        raise _invalid(
            "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
            f"{MIN_OUTPUT_TOKENS}, but got {value} instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )
    return int(value)


def _reasoning(value: Any) -> tuple[str | None, str | None]:
    """`reasoning.effort` (default medium when `reasoning` arrives) and `reasoning.summary`."""
    if value is None:
        return None, None
    _require_type(value, dict, "reasoning", "an object")
    for name in value:
        if name not in ("effort", "summary", "generate_summary", "context", "mode"):
            raise _invalid(f"Unknown parameter: 'reasoning.{name}'.", f"reasoning.{name}")
    effort = value.get("effort")
    if effort is not None and effort not in _EFFORTS:
        raise _invalid_value(effort, _EFFORTS, "reasoning.effort")
    summary = value.get("summary") or value.get("generate_summary")
    if summary is not None and summary not in _SUMMARIES:
        raise _invalid_value(summary, _SUMMARIES, "reasoning.summary")
    return (effort or "medium"), summary


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    _require_type(value, list, "tools", "an array")
    tools: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, tool in enumerate(value):
        param = f"tools[{i}]"
        _require_type(tool, dict, param, "an object")
        kind = tool.get("type")
        if kind is None:
            raise _missing(f"{param}.type")
        if kind != "function":
            # Built-in tools (web search, file search, ...) run on OpenAI's side; the
            # emulator has none, so it says so rather than pretending to run one.
            raise _invalid(
                f"The emulator serves only function tools, not '{kind}'.", f"{param}.type"
            )
        converted = _function_tool(tool, param)
        if converted["name"] in names:
            # Source: https://platform.openai.com/docs/guides/function-calling (names are
            # how the model calls a function, so they are unique).
            raise _invalid(
                f"Duplicate function name: '{converted['name']}'.", f"{param}.name", "invalid_value"
            )
        names.add(converted["name"])
        tools.append(converted)
    return tools


def _function_tool(tool: dict[str, Any], param: str) -> dict[str, Any]:
    """A function tool (FunctionToolParam) as an Anthropic custom tool."""
    for name in tool:
        if name not in (
            "type",
            "name",
            "description",
            "parameters",
            "strict",
            "defer_loading",
            "allowed_callers",
            "output_schema",
        ):
            raise _invalid(f"Unknown parameter: '{param}.{name}'.", f"{param}.{name}")
    name = tool.get("name")
    if name is None:
        raise _missing(f"{param}.name")
    _require_type(name, str, f"{param}.name", "a string")
    if not _FUNCTION_NAME.match(name):
        raise _invalid(
            f"Invalid '{param}.name': string does not match pattern. Expected a string that "
            "matches the pattern '^[a-zA-Z0-9_-]+$'.",
            f"{param}.name",
            "invalid_value",
        )
    description = tool.get("description")
    if description is not None:
        _require_type(description, str, f"{param}.description", "a string")
    # `strict` and `parameters` are required but nullable in FunctionToolParam; the API
    # defaults a missing `strict` to true (https://platform.openai.com/docs/guides/function-calling).
    strict = tool.get("strict")
    if strict is not None:
        _require_type(strict, bool, f"{param}.strict", "a boolean")
    parameters = tool.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    _check_parameters(name, parameters, f"{param}.parameters", strict=strict is True)
    converted: dict[str, Any] = {"name": name, "input_schema": parameters}
    if description:
        converted["description"] = description
    return converted


def _check_parameters(name: str, schema: Any, param: str, *, strict: bool) -> None:
    """A function's parameters: a JSON Schema object; under `strict`, closed and all required.

    Source: https://platform.openai.com/docs/guides/function-calling (parameters are a JSON
    Schema object; strict mode needs `additionalProperties: false` and every property in
    `required`), https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
    """
    if not isinstance(schema, dict):
        raise _invalid_type(param, "an object", schema)
    if schema.get("type") != "object":
        got = schema.get("type")
        raise _invalid(
            f"Invalid schema for function '{name}': schema must be a JSON Schema of 'type: "
            f'"object"\', got \'type: "{got}"\'.',
            param,
            "invalid_function_parameters",
        )
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise _invalid(
            f"Invalid schema for function '{name}': 'properties' must be an object.",
            param,
            "invalid_function_parameters",
        )
    if not strict:
        return
    if schema.get("additionalProperties") is not False:
        raise _invalid(
            f"Invalid schema for function '{name}': In context=(), 'additionalProperties' is "
            "required to be supplied and to be false.",
            param,
            "invalid_function_parameters",
        )
    missing = sorted(set(properties) - set(schema.get("required") or []))
    if missing:
        raise _invalid(
            f"Invalid schema for function '{name}': In context=(), 'required' is required to "
            "be supplied and to be an array including every key in properties. Missing "
            f"'{missing[0]}'.",
            param,
            "invalid_function_parameters",
        )


def _tool_choice(value: Any, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`tool_choice`: none, auto, required or one function, as Anthropic's tool_choice.

    Source: ToolChoiceOptions and ToolChoiceFunctionParam in the SDK, and
    https://platform.openai.com/docs/guides/function-calling#tool-choice
    """
    if value is None:
        return None
    if isinstance(value, str):
        options = ("none", "auto", "required")
        if value not in options:
            raise _invalid_value(value, options, "tool_choice")
        if not tools:
            return None
        return {"type": {"none": "none", "auto": "auto", "required": "any"}[value]}
    _require_type(value, dict, "tool_choice", "a string or an object")
    kind = value.get("type")
    if kind != "function":
        raise _invalid(
            f"The emulator serves tool_choice 'none', 'auto', 'required' or a function, not "
            f"'{kind}'.",
            "tool_choice.type",
        )
    name = value.get("name")
    if name is None:
        raise _missing("tool_choice.name")
    if name not in {tool["name"] for tool in tools}:
        raise _invalid(
            f"Tool choice '{name}' not found in 'tools' parameter.", "tool_choice", "invalid_value"
        )
    return {"type": "tool", "name": name}


def _text_format(value: Any) -> dict[str, Any] | None:
    """`text.format`: text, json_object, or json_schema (Structured Outputs).

    Source: ResponseTextConfigParam and ResponseFormatTextJSONSchemaConfigParam in the SDK,
    https://platform.openai.com/docs/guides/structured-outputs
    """
    if value is None:
        return None
    _require_type(value, dict, "text", "an object")
    for name in value:
        if name not in ("format", "verbosity"):
            raise _invalid(
                f"Unknown parameter: 'text.{name}'.", f"text.{name}", "unknown_parameter"
            )
    verbosity = value.get("verbosity")
    if verbosity is not None and verbosity not in ("low", "medium", "high"):
        raise _invalid_value(verbosity, ("low", "medium", "high"), "text.verbosity")
    fmt = value.get("format")
    if fmt is None:
        return None
    _require_type(fmt, dict, "text.format", "an object")
    kinds = ("text", "json_schema", "json_object")
    kind = fmt.get("type")
    if kind not in kinds:
        raise _invalid_value(kind, kinds, "text.format.type")
    if kind != "json_schema":
        return None
    for name in ("name", "schema"):
        if name not in fmt:
            raise _missing(f"text.format.{name}")
    if not isinstance(fmt["name"], str) or not _FUNCTION_NAME.match(fmt["name"]):
        raise _invalid(
            "Invalid 'text.format.name': string does not match pattern. Expected a string that "
            "matches the pattern '^[a-zA-Z0-9_-]+$'.",
            "text.format.name",
            "invalid_value",
        )
    schema = fmt["schema"]
    _require_type(schema, dict, "text.format.schema", "an object")
    return {"type": "json_schema", "schema": schema}


# ---------------------------------------------------------------------------- input items


def _input(value: Any, instructions: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """System blocks and Anthropic messages from `instructions` and `input`."""
    system: list[dict[str, Any]] = []
    if instructions is not None:
        _require_type(instructions, str, "instructions", "a string")
        if instructions:
            system.append({"type": "text", "text": instructions})
    if value is None:
        raise _missing("input")
    if isinstance(value, str):
        return system, [{"role": "user", "content": [{"type": "text", "text": value}]}]
    _require_type(value, list, "input", "a string or an array")
    messages: list[dict[str, Any]] = []
    calls: set[str] = set()
    for i, item in enumerate(value):
        param = f"input[{i}]"
        _require_type(item, dict, param, "an object")
        kind = item.get("type", "message" if "role" in item else None)
        if kind is None:
            raise _missing(f"{param}.type")
        if kind not in _ITEM_TYPES:
            raise _invalid_value(kind, _ITEM_TYPES, f"{param}.type")
        if kind not in _SERVED_ITEM_TYPES:
            raise _invalid(
                f"The emulator has no built-in tools, so it cannot take '{kind}' items.",
                f"{param}.type",
            )
        if kind == "message":
            role, blocks = _message(item, param)
            if role in ("system", "developer"):
                # System and developer messages instruct the model; the neutral request
                # carries instructions as its system text, in order.
                system.extend(blocks)
                continue
            _append(messages, role, as_context(blocks) if role == "user" else blocks)
        elif kind == "function_call":
            block = _function_call(item, param)
            calls.add(block["id"])
            _append(messages, "assistant", [block])
        elif kind == "function_call_output":
            _append(messages, "user", [_function_call_output(item, param, calls)])
        elif kind == "reasoning":
            block = _reasoning_item(item, param)
            if block is not None:
                _append(messages, "assistant", [block])
        else:
            # Source: https://platform.openai.com/docs/api-reference/responses/create
            # (item_reference points at a stored item; the emulator stores none).
            raise _invalid(
                f"Item with id '{item.get('id')}' not found.", f"{param}.id", "invalid_value"
            )
    return system, messages


def _append(messages: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Consecutive items of one side make one message, as the Messages API wants turns."""
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": list(blocks)})


def _message(item: dict[str, Any], param: str) -> tuple[str, list[dict[str, Any]]]:
    """A message item (EasyInputMessageParam, Message, ResponseOutputMessageParam)."""
    role = item.get("role")
    if role is None:
        raise _missing(f"{param}.role")
    if role not in _ROLES:
        raise _invalid_value(role, _ROLES, f"{param}.role")
    if "content" not in item:
        raise _missing(f"{param}.content")
    content = item["content"]
    if isinstance(content, str):
        return role, ([{"type": "text", "text": content}] if content else [])
    _require_type(content, list, f"{param}.content", "a string or an array")
    allowed = _OUTPUT_PARTS if role == "assistant" else _INPUT_PARTS
    return role, _parts(content, f"{param}.content", allowed)


def _parts(parts: list[Any], param: str, allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    """Content parts of the `allowed` types as blocks; empty text parts add none."""
    blocks = []
    for j, part in enumerate(parts):
        where = f"{param}[{j}]"
        _require_type(part, dict, where, "an object")
        kind = part.get("type")
        if kind not in allowed:
            raise _invalid_value(kind, allowed, f"{where}.type")
        block = _part(part, where)
        if block is not None:
            blocks.append(block)
    return blocks


def _part(part: dict[str, Any], where: str) -> dict[str, Any] | None:
    kind = part["type"]
    if kind in ("input_text", "output_text", "refusal"):
        key = "refusal" if kind == "refusal" else "text"
        text = part.get(key)
        if text is None:
            raise _missing(f"{where}.{key}")
        _require_type(text, str, f"{where}.{key}", "a string")
        return {"type": "text", "text": text} if text else None
    if kind == "input_image":
        return _image(part, where)
    return _file(part, where)


def _image(part: dict[str, Any], where: str) -> dict[str, Any]:
    """input_image: a data URL becomes a base64 image block, a web URL a URL image block.

    Source: https://platform.openai.com/docs/guides/images-vision (image_url takes a fully
    qualified URL or a base64-encoded data URL; detail low, high or auto).
    """
    detail = part.get("detail")
    if detail is not None and detail not in _IMAGE_DETAILS:
        raise _invalid_value(detail, _IMAGE_DETAILS, f"{where}.detail")
    url = _source(part, "image_url", where)
    data = _DATA_URL.match(url)
    if data is not None:
        media_type, payload = data.groups()
        if media_type not in _IMAGE_TYPES:
            # The Responses API's words, observed live for a PDF sent as input_image:
            # "Invalid 'input[0].content[1].image_url'. Expected a base64-encoded data URL
            # with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='),
            # but got unsupported MIME type 'application/pdf'."
            # (https://github.com/mkht/PSOpenAI/issues/43). That report shows no code; this
            # family of refusals carries `invalid_value` with the quoted path as `param`
            # (live: https://github.com/Alibaba-NLP/OmniSearch/issues/3).
            param = f"{where}.image_url"
            raise _invalid(
                f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type "
                "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME "
                f"type '{media_type}'.",
                param,
                "invalid_value",
            )
        _check_base64(payload, f"{where}.image_url")
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": payload},
        }
    if not url.startswith(("http://", "https://")):
        raise _invalid(
            "Invalid 'image_url': expected a URL or a base64-encoded data URL.",
            f"{where}.image_url",
            "invalid_value",
        )
    return {"type": "image", "source": {"type": "url", "url": url}}


def _file(part: dict[str, Any], where: str) -> dict[str, Any]:
    """input_file: a base64 PDF becomes a document block; text files a text document.

    Source: https://platform.openai.com/docs/guides/pdf-files (file_data is a base64 data
    URL with a filename, or file_url, or a file_id of an uploaded file).
    """
    if part.get("file_data") is None and part.get("file_url") is not None:
        return {"type": "document", "source": {"type": "url", "url": part["file_url"]}}
    data = _source(part, "file_data", where)
    match = _DATA_URL.match(data)
    if match is None:
        raise _invalid(
            "Invalid 'file_data': expected a base64-encoded data URL.",
            f"{where}.file_data",
            "invalid_value",
        )
    media_type, payload = match.groups()
    raw = _check_base64(payload, f"{where}.file_data")
    block: dict[str, Any]
    if media_type == "application/pdf":
        block = {
            "type": "document",
            "source": {"type": "base64", "media_type": media_type, "data": payload},
        }
    elif media_type.startswith("text/"):
        text = raw.decode("utf-8", errors="replace")
        block = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": text},
        }
    else:
        raise _invalid(
            f"The emulator reads PDF and text files, not '{media_type}'.",
            f"{where}.file_data",
        )
    filename = part.get("filename")
    if isinstance(filename, str) and filename:
        block["title"] = filename
    return block


def _source(part: dict[str, Any], key: str, where: str) -> str:
    """A part's inline `key` string; a `file_id` in its place names a file the emulator lacks."""
    value = part.get(key)
    if value is None:
        if part.get("file_id") is not None:
            raise _invalid(
                f"The emulator has no Files API, so file '{part['file_id']}' cannot be read.",
                f"{where}.file_id",
            )
        raise _missing(f"{where}.{key}")
    _require_type(value, str, f"{where}.{key}", "a string")
    return value


def _check_base64(payload: str, param: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(
            f"Invalid '{param}': the base64 data could not be decoded.", param, "invalid_value"
        ) from None


def _function_call(item: dict[str, Any], param: str) -> dict[str, Any]:
    """A function_call item (ResponseFunctionToolCallParam) as a tool_use block."""
    for name in ("call_id", "name", "arguments"):
        if name not in item:
            raise _missing(f"{param}.{name}")
        _require_type(item[name], str, f"{param}.{name}", "a string")
    try:
        arguments = json.loads(item["arguments"]) if item["arguments"].strip() else {}
    except json.JSONDecodeError:
        raise _invalid(
            f"Invalid '{param}.arguments': the arguments are not valid JSON.",
            f"{param}.arguments",
            "invalid_value",
        ) from None
    if not isinstance(arguments, dict):
        arguments = {"value": arguments}
    return {"type": "tool_use", "id": item["call_id"], "name": item["name"], "input": arguments}


def _function_call_output(item: dict[str, Any], param: str, calls: set[str]) -> dict[str, Any]:
    """A function_call_output item as a tool_result block, answering an earlier call.

    A call id the input never called is refused ("No tool call found for function call
    output with call_id ..."). Source: https://platform.openai.com/docs/guides/function-calling
    (each output answers the function_call with the same call_id).
    """
    call_id = item.get("call_id")
    if call_id is None:
        raise _missing(f"{param}.call_id")
    _require_type(call_id, str, f"{param}.call_id", "a string")
    if "output" not in item:
        raise _missing(f"{param}.output")
    if call_id not in calls:
        raise _invalid(
            f"No tool call found for function call output with call_id {call_id}.",
            "input",
        )
    output = item["output"]
    if isinstance(output, str):
        content: list[dict[str, Any]] = [{"type": "text", "text": output}] if output else []
    else:
        _require_type(output, list, f"{param}.output", "a string or an array")
        content = _parts(output, f"{param}.output", _INPUT_PARTS)
    return {"type": "tool_result", "tool_use_id": call_id, "content": content}


def encrypt_reasoning(thinking: str, signature: str) -> str:
    """The opaque `encrypted_content` of a reasoning item: its text and the model's signature."""
    packed = json.dumps({"t": thinking, "s": signature}, separators=(",", ":")).encode()
    return ENCRYPTED_PREFIX + base64.urlsafe_b64encode(packed).decode()


def _reasoning_item(item: dict[str, Any], param: str) -> dict[str, Any] | None:
    """A reasoning item sent back: its encrypted content is the thinking block it came from.

    Without `encrypted_content` the item is only a reference to reasoning kept on OpenAI's
    side, which the emulator does not keep, so it adds nothing to the conversation.
    Source: https://platform.openai.com/docs/guides/reasoning#encrypted-reasoning-items
    """
    if "summary" not in item:
        raise _missing(f"{param}.summary")
    _require_type(item["summary"], list, f"{param}.summary", "an array")
    encrypted = item.get("encrypted_content")
    if encrypted is None:
        return None
    _require_type(encrypted, str, f"{param}.encrypted_content", "a string")
    try:
        if not encrypted.startswith(ENCRYPTED_PREFIX):
            raise ValueError
        packed = json.loads(base64.urlsafe_b64decode(encrypted[len(ENCRYPTED_PREFIX) :]))
        thinking, signature = str(packed["t"]), str(packed["s"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        # OpenAI's answer to encrypted content it did not produce.
        raise _invalid(
            f"The encrypted content for item {item.get('id')} could not be verified.",
            None,
            "invalid_encrypted_content",
        ) from None
    return {"type": "thinking", "thinking": thinking, "signature": signature}


def _may_think(messages: list[dict[str, Any]]) -> bool:
    """Whether the model's thinking can run on this history.

    The shared model (like Claude) needs a tool-calling turn answered by tool results to
    start with its thinking; OpenAI has no such rule, so a history whose last tool turn
    carries no reasoning is answered without a reasoning item instead of being refused.
    """
    if len(messages) < 2 or messages[-2]["role"] != "assistant":
        return True
    assistant = messages[-2]["content"]
    if not any(block.get("type") == "tool_use" for block in assistant):
        return True
    return bool(assistant) and assistant[0].get("type") == "thinking"
