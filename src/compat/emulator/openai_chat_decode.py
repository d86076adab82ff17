"""A Chat Completions request as the model sees it: checked like OpenAI checks it, then neutral.

The body is validated against `openai_chat_schema` and the rules a schema cannot express
(tool-call pairing, function names and parameters, what reasoning models refuse), each
refusal an `OpenAIRequestError` in OpenAI's words with the offending `param`. What passes
becomes a `NeutralRequest` with an Anthropic-shaped body: system and developer messages
are the system text; user text, images (data URLs as base64 image blocks) and PDF files
content blocks; assistant `tool_calls` `tool_use` blocks; `tool` messages `tool_result`
blocks; function tools Anthropic tools; `reasoning_effort` adaptive thinking;
`response_format` `output_config.format`; `max_completion_tokens` (or the deprecated
`max_tokens`) `max_tokens`.

Sources: https://platform.openai.com/docs/api-reference/chat/create , the request types the
openai-python SDK generates from OpenAI's OpenAPI spec
(https://github.com/openai/openai-python/blob/main/src/openai/types/chat/completion_create_params.py
and the `chat_completion_*_param.py` types beside it),
https://platform.openai.com/docs/guides/function-calling ,
https://platform.openai.com/docs/guides/error-codes .
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from compat.emulator.openai_chat_schema import (
    AssistantMessage,
    AudioPart,
    ChatCompletionRequest,
    CustomTool,
    CustomToolCall,
    DeveloperMessage,
    FilePart,
    FunctionMessage,
    FunctionTool,
    ImagePart,
    JsonObjectFormat,
    JsonSchemaResponseFormat,
    NamedCustomToolChoice,
    NamedToolChoice,
    RefusalPart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from compat.emulator.openai_context import as_context
from compat.emulator.openai_errors import OpenAIRequestError
from compat.emulator.types import NeutralRequest, ProviderId

# Chat Completions' max_completion_tokens is optional while the neutral body's max_tokens is
# required; OpenAI then allows the model's whole output budget (128,000 tokens for GPT-5.6,
# https://developers.openai.com/api/docs/models/gpt-5.6-sol).
DEFAULT_MAX_TOKENS = 128_000

# Source: FunctionDefinition.name and JSONSchema.name in the SDK ("Must be a-z, A-Z, 0-9,
# or contain underscores and dashes, with a maximum length of 64"); OpenAI states the
# pattern without the length in its refusal, and the length in a second one.
_NAME_CHARS = re.compile(r"[a-zA-Z0-9_-]+")
_NAME_PATTERN = "^[a-zA-Z0-9_-]+$"
MAX_NAME_LENGTH = 64

# Image inputs: PNG, JPEG, WEBP and non-animated GIF.
# Source: https://platform.openai.com/docs/guides/images-vision#image-input-requirements
IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_DATA_URL = re.compile(r"data:(?P<media>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(?P<data>.*)")

# Sampling ranges. Source: the API reference's `temperature` ("between 0 and 2"), `top_p`,
# `frequency_penalty` and `presence_penalty` ("between -2.0 and 2.0") and `top_logprobs`
# ("between 0 and 20").
_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "frequency_penalty": (-2, 2),
    "presence_penalty": (-2, 2),
    "top_logprobs": (0, 20),
}
# Source: `stop` in the API reference ("Up to 4 sequences").
MAX_STOP_SEQUENCES = 4

# Sampling parameters GPT-5 reasoning models take only with reasoning effort `none`.
# Source: https://platform.openai.com/docs/guides/latest-model#gpt-5-2-parameter-compatibility
# ("The following parameters are only supported when using GPT-5.2 with reasoning effort set
# to none: temperature, top_p, logprobs ... Requests ... with any other reasoning effort
# setting ... that include these fields will raise an error."), worded as OpenAI refuses them:
# "Unsupported parameter: 'temperature' is not supported with this model." (code
# unsupported_parameter, https://github.com/ai-christianson/RA.Aid/issues/70).
REASONING_ONLY_WITHOUT_EFFORT = ("temperature", "top_p", "logprobs")


@dataclass(frozen=True)
class ChatRequest:
    """A checked Chat Completions request: the neutral request and what the reply needs."""

    neutral: NeutralRequest
    include_usage: bool
    """`stream_options.include_usage`: a usage chunk before `[DONE]`."""
    include_obfuscation: bool
    """`stream_options.include_obfuscation` (default true): chunks carry `obfuscation`."""
    service_tier: str | None
    """The `service_tier` the reply reports, when the request set one."""
    reasoning_effort: str


# --- error wording ------------------------------------------------------------------------


def _invalid(message: str, param: str | None, code: str | None = None) -> OpenAIRequestError:
    return OpenAIRequestError(message, param=param, code=code)


def _listed(values: Sequence[str]) -> str:
    """`'a', 'b', and 'c'`: how OpenAI lists the values it supports."""
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _invalid_value(value: Any, allowed: Sequence[str], param: str) -> OpenAIRequestError:
    """OpenAI's wording for a value outside an enum (code invalid_value)."""
    # Example: "Invalid value: 'input_text'. Supported values are: 'text', 'image_url',
    # 'input_audio', 'refusal', 'audio', and 'file'." (param messages[0].content[0].type).
    return _invalid(
        f"Invalid value: '{value}'. Supported values are: {_listed(allowed)}.",
        param,
        "invalid_value",
    )


def _unsupported_parameter(name: str) -> OpenAIRequestError:
    return _invalid(
        f"Unsupported parameter: '{name}' is not supported with this model.",
        name,
        "unsupported_parameter",
    )


def _emulator_limit(what: str, param: str) -> OpenAIRequestError:
    """A documented feature the emulator cannot honour: refused, never silently ignored."""
    return _invalid(f"{what} is not supported by this emulator.", param, "unsupported_value")


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string"}
    names |= {list: "an array", dict: "an object", type(None): "null"}
    return names.get(type(value), "a value")


# What each pydantic type error expected, in OpenAI's words.
_EXPECTED: dict[str, str] = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a decimal",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def param_path(parts: Sequence[str | int]) -> str:
    """`messages[0].content[1].type`: a JSON path as OpenAI's `param` spells it."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _located(payload: Any, loc: tuple[int | str, ...], *, missing: bool) -> list[str | int]:
    """The JSON path of a pydantic location, without the union members pydantic inserts."""
    node, path, tag_skipped = payload, [], False
    for part in loc:
        if isinstance(node, Mapping):
            # A tagged union puts the tag (`role`, `type`) before the member's fields, once;
            # a field may share the tag's name (`{"type": "text", "text": ...}`).
            if not tag_skipped and part in (node.get("role"), node.get("type")):
                tag_skipped = True
                continue
            if part in node:
                node, tag_skipped = node[part], False
                path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node, tag_skipped = node[part], False
            path.append(part)
    if missing and loc and (not path or path[-1] != loc[-1]):
        path.append(loc[-1])
    return path


def _schema_error(payload: dict[str, Any], errors: list[ErrorDetails]) -> OpenAIRequestError:
    """The one refusal OpenAI reports for a body that fails its schema: the deepest error."""
    located = [(_located(payload, e["loc"], missing=e["type"] == "missing"), e) for e in errors]
    depth = max(len(path) for path, _ in located)
    deepest = [(path, e) for path, e in located if len(path) == depth]
    path, error = deepest[0]
    param = param_path(path)
    kind = error["type"]
    if kind == "extra_forbidden":
        if len(path) == 1:
            # Example: "Unrecognized request argument supplied: reasoning_effort" (param and
            # code null), https://github.com/davidmigloz/langchain_dart/issues/712
            return _invalid(f"Unrecognized request argument supplied: {path[0]}", None)
        return _invalid(f"Unknown parameter: '{param}'.", param, "unknown_parameter")
    if kind in ("missing", "union_tag_not_found"):
        if kind == "union_tag_not_found":
            param = param_path([*path, error.get("ctx", {}).get("discriminator", "type")])
            param = param.replace("'", "")
        return _invalid(
            f"Missing required parameter: '{param}'.", param, "missing_required_parameter"
        )
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        tag_name = str(ctx.get("discriminator", "'type'")).strip("'")
        allowed = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return _invalid_value(ctx.get("tag"), allowed, param_path([*path, tag_name]))
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        allowed = re.findall(r"'([^']*)'", expected)
        return _invalid_value(error.get("input"), allowed, param)
    expected_types = [_EXPECTED[e["type"]] for _, e in deepest if e["type"] in _EXPECTED]
    if expected_types:
        got = _type_name(error.get("input"))
        unique = list(dict.fromkeys(expected_types))
        wanted = unique[0] if len(unique) == 1 else "one of " + " or ".join(unique)
        return _invalid(
            f"Invalid type for '{param}': expected {wanted}, but got {got} instead.",
            param,
            "invalid_type",
        )
    return _invalid(f"Invalid '{param}': {error['msg']}.", param, "invalid_value")


# --- checks a schema cannot express -------------------------------------------------------


def _check_ranges(request: ChatCompletionRequest) -> None:
    for name, (low, high) in _RANGES.items():
        value = getattr(request, name)
        if value is None:
            continue
        number = "integer" if isinstance(value, int) else "decimal"
        if value < low:
            raise _invalid(
                f"Invalid '{name}': {number} below minimum value. Expected a value >= {low}, "
                f"but got {value} instead.",
                name,
                f"{number}_below_min_value",
            )
        if value > high:
            raise _invalid(
                f"Invalid '{name}': {number} above maximum value. Expected a value <= {high}, "
                f"but got {value} instead.",
                name,
                f"{number}_above_max_value",
            )
    for name in ("max_completion_tokens", "max_tokens", "n"):
        value = getattr(request, name)
        if value is not None and value < 1:
            raise _invalid(
                f"Invalid '{name}': integer below minimum value. Expected a value >= 1, but "
                f"got {value} instead.",
                name,
                "integer_below_min_value",
            )
    if isinstance(request.stop, list) and len(request.stop) > MAX_STOP_SEQUENCES:
        raise _invalid(
            f"Invalid 'stop': array too long. Expected an array with maximum length "
            f"{MAX_STOP_SEQUENCES}, but got an array with length {len(request.stop)} instead.",
            "stop",
            "array_above_max_length",
        )


def _check_name(name: str, param: str) -> None:
    """A function or response-format name: letters, digits, `_` and `-`, at most 64."""
    # Wording: "Invalid 'tools[0].function.name': string does not match pattern. Expected a
    # string that matches the pattern '^[a-zA-Z0-9_-]+$'." (code invalid_value,
    # https://github.com/run-llama/llama_index/issues/16093) and "string too long. Expected
    # a string with maximum length 1024, ..." for lengths
    # (https://github.com/nanbingxyz/5ire/issues/33).
    if _NAME_CHARS.fullmatch(name) is None:
        raise _invalid(
            f"Invalid '{param}': string does not match pattern. Expected a string that "
            f"matches the pattern '{_NAME_PATTERN}'.",
            param,
            "invalid_value",
        )
    if len(name) > MAX_NAME_LENGTH:
        raise _invalid(
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{MAX_NAME_LENGTH}, but got a string with length {len(name)} instead.",
            param,
            "string_above_max_length",
        )


def _check_reasoning_parameters(request: ChatCompletionRequest, effort: str) -> None:
    """What GPT-5.6, a reasoning model, refuses: see the constants' sources."""
    if effort != "none":
        for name in REASONING_ONLY_WITHOUT_EFFORT:
            if getattr(request, name) is not None:
                raise _unsupported_parameter(name)
    if request.prediction is not None:
        # Predicted Outputs are limited to the GPT-4o and GPT-4.1 series.
        # Source: https://platform.openai.com/docs/guides/predicted-outputs#limitations
        raise _unsupported_parameter("prediction")
    if request.web_search_options is not None:
        # On Chat Completions web search is a feature of the dedicated search models.
        # Source: https://platform.openai.com/docs/guides/tools-web-search?api-mode=chat
        raise _invalid("Web search options not supported with this model.", "web_search_options")


def _check_unmodelled(request: ChatCompletionRequest) -> None:
    """Documented fields whose effect the emulator cannot produce are refused, never ignored."""
    if request.n is not None and request.n != 1:
        raise _emulator_limit("More than one choice (n > 1)", "n")
    if request.logprobs:
        raise _emulator_limit("Log probabilities (logprobs)", "logprobs")
    if request.top_logprobs is not None and not request.logprobs:
        # Source: `top_logprobs` in the API reference ("`logprobs` must be set to `true` if
        # this parameter is used").
        raise _invalid(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when "
            "'top_logprobs' is used.",
            "top_logprobs",
        )
    if request.audio is not None or (request.modalities and "audio" in request.modalities):
        raise _emulator_limit("Audio output", "modalities" if request.audio is None else "audio")
    if request.moderation is not None:
        raise _emulator_limit("Moderated completions (moderation)", "moderation")
    if request.functions is not None or request.function_call is not None:
        # Deprecated in favour of `tools` and `tool_choice` (API reference).
        name = "functions" if request.functions is not None else "function_call"
        raise _emulator_limit(f"The deprecated '{name}' parameter", name)


# --- messages -----------------------------------------------------------------------------


def _text_blocks(content: str | list[TextPart]) -> list[dict[str, Any]]:
    """A string or text parts as text blocks; empty texts carry nothing the model reads."""
    texts = [content] if isinstance(content, str) else [part.text for part in content]
    return [{"type": "text", "text": text} for text in texts if text]


def _image(part: ImagePart, param: str) -> dict[str, Any]:
    url = part.image_url.url
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    found = _DATA_URL.fullmatch(url)
    media_type = (found.group("media") or "").lower() if found else ""
    if found is None or media_type not in IMAGE_MEDIA_TYPES:
        # Chat Completions' words and param, observed live: "Invalid image URL:
        # 'messages[0].content[1].image_url.url'. Expected a base64-encoded data URL with an
        # image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a
        # value without the 'data:' prefix." with param 'messages[0].content[1].image_url.url'
        # and code invalid_value (https://github.com/Alibaba-NLP/OmniSearch/issues/3). A
        # non-image data URL ends "but got unsupported MIME type 'application/pdf'." (live on
        # the Responses API: https://github.com/mkht/PSOpenAI/issues/43). No public report of
        # a data URL without ';base64' on this API was found; its ending follows the pattern.
        where = f"{param}.url"
        if found is not None:
            got = f"unsupported MIME type '{media_type}'"
        elif url.startswith("data:"):
            got = "a value without the ';base64' separator"
        else:
            got = "a value without the 'data:' prefix"
        raise _invalid(
            f"Invalid image URL: '{where}'. Expected a base64-encoded data URL with an image "
            f"MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got {got}.",
            where,
            "invalid_value",
        )
    data = _base64(found.group("data"), f"{param}.url")
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _base64(data: str, param: str) -> str:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(
            f"Invalid '{param}': the data is not valid base64.", param, "invalid_value"
        ) from None
    return data


def _file(part: FilePart, param: str) -> dict[str, Any]:
    """A file part: inline PDF or text data becomes a document block."""
    # Source: https://platform.openai.com/docs/guides/pdf-files ("file_data":
    # "data:application/pdf;base64,..." with a filename, or a file_id from the Files API).
    file = part.file
    if file.file_id is not None:
        raise _emulator_limit("Files uploaded to the Files API (file_id)", f"{param}.file_id")
    if file.file_data is None:
        raise _invalid(
            f"Missing required parameter: '{param}.file_data'.",
            f"{param}.file_data",
            "missing_required_parameter",
        )
    found = _DATA_URL.fullmatch(file.file_data)
    media_type = (found.group("media") or "").lower() if found else "application/pdf"
    # The SDK documents file_data as "the base64 encoded file data"; without a data URL's
    # media type the guide's only inline type, PDF, is assumed.
    data = _base64(found.group("data") if found else file.file_data, f"{param}.file_data")
    block: dict[str, Any]
    if media_type == "application/pdf":
        source = {"type": "base64", "media_type": "application/pdf", "data": data}
        block = {"type": "document", "source": source}
    elif media_type.startswith("text/"):
        text = base64.b64decode(data).decode("utf-8", errors="replace")
        block = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": text},
        }
    else:
        raise _emulator_limit(f"A file of type '{media_type}'", f"{param}.file_data")
    if file.filename:
        block["title"] = file.filename
    return block


def _user_blocks(message: UserMessage, param: str) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return _text_blocks(message.content)
    blocks: list[dict[str, Any]] = []
    for j, part in enumerate(message.content):
        where = f"{param}.content[{j}]"
        if isinstance(part, TextPart):
            blocks += _text_blocks([part])
        elif isinstance(part, ImagePart):
            blocks.append(_image(part, f"{where}.image_url"))
        elif isinstance(part, FilePart):
            blocks.append(_file(part, where))
        else:
            assert isinstance(part, AudioPart)  # the union's last member
            raise _emulator_limit("Audio input (input_audio)", f"{where}.input_audio")
    return blocks


def _arguments(arguments: str) -> dict[str, Any]:
    """A tool call's arguments as the tool_use input."""
    # The SDK warns the model "does not always generate valid JSON", so a history may carry
    # arguments that are no JSON object; they reach the model whole, under `arguments`.
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": arguments}


def _assistant_blocks(message: AssistantMessage, param: str) -> list[dict[str, Any]]:
    if message.audio is not None:
        raise _emulator_limit("Audio responses in the history", f"{param}.audio")
    if message.function_call is not None:
        raise _emulator_limit("The deprecated 'function_call' message field", param)
    if message.content is None and not message.tool_calls:
        # Source: ChatCompletionAssistantMessageParam.content ("Required unless `tool_calls`
        # or `function_call` is specified").
        raise _invalid(
            f"Missing required parameter: '{param}.content'.",
            f"{param}.content",
            "missing_required_parameter",
        )
    blocks: list[dict[str, Any]] = []
    if isinstance(message.content, str):
        blocks += _text_blocks(message.content)
    for part in message.content if isinstance(message.content, list) else []:
        # A refusal the model wrote is text the model said; Anthropic blocks have no refusal.
        text = part.refusal if isinstance(part, RefusalPart) else part.text
        blocks += _text_blocks(text)
    for k, call in enumerate(message.tool_calls or []):
        if isinstance(call, CustomToolCall):
            raise _emulator_limit("Custom tool calls", f"{param}.tool_calls[{k}]")
        _check_name(call.function.name, f"{param}.tool_calls[{k}].function.name")
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": _arguments(call.function.arguments),
            }
        )
    return blocks


def _tool_result(message: ToolMessage) -> dict[str, Any]:
    content: str | list[dict[str, Any]]
    content = message.content if isinstance(message.content, str) else _text_blocks(message.content)
    return {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content}


# Sources for the pairing rules: the function-calling guide (each tool call is answered by a
# `tool` message carrying its `tool_call_id`,
# https://platform.openai.com/docs/guides/function-calling), worded as OpenAI refuses a
# stray result ("Invalid parameter: messages with role 'tool' must be a response to a
# preceeding message with 'tool_calls'.", param messages.[3].role,
# https://github.com/miurla/morphic/issues/136) and a missing one ("An assistant message
# with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.",
# https://github.com/microsoft/promptflow/pull/3130).
_STRAY_TOOL = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
    "with 'tool_calls'."
)
_UNANSWERED = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to "
    "each 'tool_call_id'. The following tool_call_ids did not have response messages: {ids}"
)


class _Conversation:
    """The neutral messages being built, with the tool calls still waiting for results."""

    def __init__(self) -> None:
        self.system: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self._pending: dict[str, None] = {}
        self._asked_at: int | None = None

    def add(self, role: str, blocks: list[dict[str, Any]]) -> None:
        """Append blocks to the conversation, merging consecutive turns of one role."""
        if not blocks:
            return
        if self.messages and self.messages[-1]["role"] == role:
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": role, "content": list(blocks)})

    def ask(self, index: int, blocks: list[dict[str, Any]]) -> None:
        self._pending = {b["id"]: None for b in blocks if b["type"] == "tool_use"}
        self._asked_at = index if self._pending else None

    def answer(self, index: int, message: ToolMessage) -> None:
        if message.tool_call_id not in self._pending:
            raise _invalid(_STRAY_TOOL, f"messages.[{index}].role")
        del self._pending[message.tool_call_id]

    def close_turn(self) -> None:
        """Every tool call of the last assistant turn must have had its result by now."""
        if self._pending:
            ids = ", ".join(self._pending)
            raise _invalid(_UNANSWERED.format(ids=ids), f"messages.[{self._asked_at}].role")
        self._asked_at = None


def _conversation(request: ChatCompletionRequest) -> _Conversation:
    conversation = _Conversation()
    for i, message in enumerate(request.messages):
        param = f"messages[{i}]"
        if not isinstance(message, ToolMessage):
            conversation.close_turn()
        if isinstance(message, SystemMessage | DeveloperMessage):
            conversation.system += _text_blocks(message.content)
        elif isinstance(message, UserMessage):
            conversation.add("user", as_context(_user_blocks(message, param)))
        elif isinstance(message, AssistantMessage):
            blocks = _assistant_blocks(message, param)
            conversation.add("assistant", blocks)
            conversation.ask(i, blocks)
        elif isinstance(message, ToolMessage):
            conversation.answer(i, message)
            conversation.add("user", [_tool_result(message)])
        else:
            assert isinstance(message, FunctionMessage)  # the union's last member
            # Reasoning models refuse the deprecated function role: "Unsupported value:
            # 'messages[59].role' does not support 'function' with this model." (o3,
            # https://github.com/TheR1D/shell_gpt/issues/717).
            raise _invalid(
                f"Unsupported value: '{param}.role' does not support 'function' with this model.",
                f"{param}.role",
                "unsupported_value",
            )
    conversation.close_turn()
    return conversation


# --- tools, tool choice, output format ------------------------------------------------------


def _tool(index: int, tool: FunctionTool | CustomTool) -> dict[str, Any]:
    param = f"tools[{index}]"
    if isinstance(tool, CustomTool):
        raise _emulator_limit("Custom tools", f"{param}.custom")
    function = tool.function
    _check_name(function.name, f"{param}.function.name")
    # "Omitting `parameters` defines a function with an empty parameter list" (SDK).
    schema = function.parameters
    if schema is None:
        schema = {"type": "object", "properties": {}}
    elif schema.get("type") != "object":
        # Wording: "Invalid schema for function 'x': schema must be a JSON Schema of 'type:
        # "object"', got 'type: "None"'." (code invalid_function_parameters,
        # https://github.com/ComposioHQ/composio/issues/1829); the parameters are "described
        # as a JSON Schema object" (FunctionDefinition.parameters).
        raise _invalid(
            f"Invalid schema for function '{function.name}': schema must be a JSON Schema of "
            f"'type: \"object\"', got 'type: \"{schema.get('type')}\"'.",
            f"{param}.function.parameters",
            "invalid_function_parameters",
        )
    converted: dict[str, Any] = {"name": function.name, "input_schema": schema}
    if function.description is not None:
        converted["description"] = function.description
    if function.strict is not None:
        converted["strict"] = function.strict
    return converted


def _allowed_names(tools: list[dict[str, Any]], param: str) -> set[str]:
    names = set()
    for i, tool in enumerate(tools):
        function = tool.get("function") if tool.get("type") == "function" else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            raise _invalid(
                f"Missing required parameter: '{param}[{i}].function.name'.",
                f"{param}[{i}].function.name",
                "missing_required_parameter",
            )
        names.add(name)
    return names


def _tool_choice(
    request: ChatCompletionRequest, tools: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The neutral tool_choice, and the tools the model may call under it."""
    choice = request.tool_choice
    if choice is None:
        return None, tools
    if not tools and choice not in ("none", "auto"):
        # A choice that forces a tool needs `tools`: "Invalid value for 'tool_choice':
        # 'tool_choice' is only allowed when 'tools' are specified." (quoted in
        # https://github.com/writer/writer-framework/pull/1013).
        raise _invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            "tool_choice",
        )
    if isinstance(choice, str):
        kinds = {"none": "none", "auto": "auto", "required": "any"}
        return {"type": kinds[choice]}, tools
    if isinstance(choice, NamedToolChoice):
        name = choice.function.name
        if name not in {tool["name"] for tool in tools}:
            # The named choice "forces the model to call that tool" (API reference,
            # `tool_choice`): one of the `tools`.
            raise _invalid(
                f"Invalid value for 'tool_choice': function '{name}' is not one of the "
                "functions in 'tools'.",
                "tool_choice.function.name",
                "invalid_value",
            )
        return {"type": "tool", "name": name}, tools
    if isinstance(choice, NamedCustomToolChoice):
        raise _emulator_limit("Custom tools", "tool_choice.custom")
    # allowed_tools constrains the model to a subset of `tools` without changing `tools`
    # (ChatCompletionAllowedToolsParam); the model, which has no such choice, sees the subset.
    allowed = _allowed_names(choice.allowed_tools.tools, "tool_choice.allowed_tools.tools")
    subset = [tool for tool in tools if tool["name"] in allowed]
    return {"type": "any" if choice.allowed_tools.mode == "required" else "auto"}, subset


def _mentions_json(request: ChatCompletionRequest) -> bool:
    """Whether any message's text contains the word JSON, in any case."""
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            texts = [content]
        else:
            texts = [p.text for p in content or [] if isinstance(p, TextPart)]
        if any("json" in text.lower() for text in texts):
            return True
    return False


def _output_format(request: ChatCompletionRequest) -> dict[str, Any] | None:
    fmt = request.response_format
    if isinstance(fmt, JsonSchemaResponseFormat):
        _check_name(fmt.json_schema.name, "response_format.json_schema.name")
        return {"type": "json_schema", "schema": fmt.json_schema.schema_ or {}}
    if isinstance(fmt, JsonObjectFormat):
        if not _mentions_json(request):
            # Source: https://platform.openai.com/docs/guides/structured-outputs#json-mode
            # ("the API will throw an error if the string "JSON" does not appear somewhere
            # in the context").
            raise _invalid(
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
                "messages",
            )
        return {"type": "json_schema", "schema": {"type": "object"}}
    return None


def _may_think(messages: list[dict[str, Any]]) -> bool:
    """Whether the shared model's thinking can run on this history."""
    # Chat Completions never returns reasoning, so a client cannot send it back: the
    # assistant message has no reasoning field (ChatCompletionAssistantMessageParam) and
    # "Chat Completions ... discards reasoning between turns"
    # (https://developers.openai.com/blog/responses-api/). The shared model, like Claude,
    # wants a tool turn answered by tool results to start with its thinking; such a turn is
    # answered without reasoning rather than refused.
    if len(messages) < 2 or messages[-2]["role"] != "assistant":
        return True
    return not any(block["type"] == "tool_use" for block in messages[-2]["content"])


# --- the request --------------------------------------------------------------------------


def _validated(payload: dict[str, Any]) -> ChatCompletionRequest:
    try:
        return ChatCompletionRequest.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=True, include_input=True)
        raise _schema_error(payload, errors) from None


def decode_chat(payload: Any, *, provider: ProviderId, model: str | None = None) -> ChatRequest:
    """Check a Chat Completions body like OpenAI does and turn it into a neutral request."""
    # `model` is the deployment an Azure route names; elsewhere the body's `model` is used.
    if not isinstance(payload, dict):
        raise _invalid("The request body must be a JSON object.", None)
    request = _validated(payload)
    model_id = model if model is not None else request.model
    if model_id is None:
        raise _invalid(
            "Missing required parameter: 'model'.", "model", "missing_required_parameter"
        )
    # Every model this wire serves is GPT-5.6, a reasoning model (capabilities); without
    # `reasoning_effort` it does not reason, as GPT-5.1 and later default to `none`
    # (https://learn.microsoft.com/en-us/javascript/api/@azure/ai-projects/reasoningeffort).
    effort = request.reasoning_effort or "none"
    _check_ranges(request)
    _check_reasoning_parameters(request, effort)
    _check_unmodelled(request)
    if request.stream_options is not None and not request.stream:
        # Source: `stream_options` in the API reference ("Only set this when you set
        # `stream: true`").
        raise _invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    conversation = _conversation(request)
    tools = [_tool(i, tool) for i, tool in enumerate(request.tools or [])]
    tool_choice, offered = _tool_choice(request, tools)
    max_tokens = request.max_completion_tokens or request.max_tokens or DEFAULT_MAX_TOKENS
    body: dict[str, Any] = {"max_tokens": max_tokens, "messages": conversation.messages}
    if conversation.system:
        body["system"] = conversation.system
    if offered:
        body["tools"] = offered
    if tool_choice is not None and (offered or tool_choice["type"] != "none"):
        body["tool_choice"] = tool_choice
    output_format = _output_format(request)
    if output_format is not None:
        body["output_config"] = {"format": output_format}
    forced = tool_choice is not None and tool_choice["type"] in ("any", "tool")
    # OpenAI lets a reasoning model call a forced tool; the shared model's adaptive thinking
    # refuses a forced tool (as Claude does), so a forced call is answered without it.
    if effort != "none" and not forced and _may_think(conversation.messages):
        body["thinking"] = {"type": "adaptive"}
    neutral = NeutralRequest(
        provider=provider, model=model_id, body=body, stream=bool(request.stream)
    )
    options = request.stream_options
    return ChatRequest(
        neutral=neutral,
        include_usage=bool(options and options.include_usage),
        include_obfuscation=not (options and options.include_obfuscation is False),
        service_tier=request.service_tier,
        reasoning_effort=effort,
    )
