"""Chat Completions on the emulator, driven by the openai SDK through the OpenAI and Azure wires."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import AzureOpenAI, OpenAI

from compat.emulator import EmulatorServer
from compat.emulator.openai_chat import CHUNK_EVENT, DONE_EVENT
from support.openai_bodies import NONCE, PROMPT, SOL, png_data_url, sdk_error

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{emulator.url}/v1", api_key="sk-test", max_retries=0) as sdk:
        yield sdk


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_plain_reply(client: OpenAI) -> None:
    completion = client.chat.completions.create(model=SOL, messages=_user(PROMPT))
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == NONCE
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None
    # Without reasoning_effort GPT-5.6 does not reason.
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_reasoning_effort_counts_reasoning_tokens_without_returning_reasoning(
    client: OpenAI,
) -> None:
    completion = client.chat.completions.create(
        model=SOL, messages=_user(PROMPT), reasoning_effort="high"
    )
    message = completion.choices[0].message
    assert message.content == NONCE
    assert "reasoning" not in (message.model_extra or {})
    assert completion.usage is not None and completion.usage.completion_tokens_details
    reasoning = completion.usage.completion_tokens_details.reasoning_tokens
    assert reasoning is not None and 0 < reasoning < completion.usage.completion_tokens


def test_streaming_sends_several_deltas_usage_and_done(
    client: OpenAI, emulator: EmulatorServer
) -> None:
    stream = client.chat.completions.create(
        model=SOL,
        messages=_user(PROMPT),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    contents = [delta.content for delta in deltas if delta.content]
    assert len(contents) >= 2
    assert "".join(contents) == NONCE
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1
    (record,) = emulator.ctx.recorder.query(provider="openai")
    kinds = [event.type for event in record.sent_events or []]
    assert kinds == [CHUNK_EVENT] * len(chunks) + [DONE_EVENT]


def test_stream_ends_with_done_line(emulator: EmulatorServer) -> None:
    body = {"model": SOL, "messages": _user(PROMPT), "stream": True}
    response = httpx.post(
        f"{emulator.url}/v1/chat/completions",
        json=body,
        headers={"authorization": "Bearer sk-test"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: {") for e in events[:-1])
    # Without include_usage the chunks carry no usage field at all.
    assert all("usage" not in json.loads(e[6:]) for e in events[:-1])


def test_paced_stream_spaces_its_chunks(client: OpenAI, emulator: EmulatorServer) -> None:
    messages = _user(f"[compat-stream pace=0.05] {PROMPT}")
    list(client.chat.completions.create(model=SOL, messages=messages, stream=True))
    (record,) = emulator.ctx.recorder.query(provider="openai")
    times = [event.t for event in record.sent_events or []]
    assert len(times) >= 4
    assert all(later - earlier >= 0.04 for earlier, later in itertools.pairwise(times))


def test_streamed_tool_call_and_tool_result_round_trip(client: OpenAI) -> None:
    messages: list[dict[str, Any]] = _user("Use the get_weather tool with city Paris.")
    stream = client.chat.completions.create(
        model=SOL, messages=messages, tools=[WEATHER_TOOL], stream=True
    )
    calls = [
        call
        for chunk in stream
        if chunk.choices
        for call in chunk.choices[0].delta.tool_calls or []
    ]
    assert calls[0].id and calls[0].id.startswith("call_")
    assert calls[0].function and calls[0].function.name == "get_weather"
    pieces = [c.function.arguments for c in calls[1:] if c.function and c.function.arguments]
    assert len(pieces) >= 2
    assert {c.index for c in calls} == {0}
    arguments = json.loads("".join(pieces))
    assert set(arguments) == {"city"}
    tool_call = {
        "id": calls[0].id,
        "type": "function",
        "function": {"name": "get_weather", "arguments": "".join(pieces)},
    }
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [tool_call]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "Sunny, 21 C"},
    ]
    answer = client.chat.completions.create(
        model=SOL, messages=messages, tools=[WEATHER_TOOL], reasoning_effort="low"
    )
    assert answer.choices[0].finish_reason == "stop"
    assert "Sunny, 21 C" in (answer.choices[0].message.content or "")


def test_non_streamed_tool_call(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=SOL,
        messages=_user("What is the weather?"),
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        reasoning_effort="medium",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


def test_image_data_url(client: OpenAI) -> None:
    content = [
        {"type": "text", "text": "What colour is this image? Answer in one word."},
        {"type": "image_url", "image_url": {"url": png_data_url((255, 0, 0))}},
    ]
    completion = client.chat.completions.create(
        model=SOL, messages=[{"role": "user", "content": content}]
    )
    assert (completion.choices[0].message.content or "").strip(" .").lower() == "red"


def test_response_format_json_schema(client: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    completion = client.chat.completions.create(
        model=SOL,
        messages=_user("What is 2 + 2?"),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "sum", "schema": schema, "strict": True},
        },
    )
    assert json.loads(completion.choices[0].message.content or "") == {"answer": 4}


def test_repeated_long_prefix_is_cached(client: OpenAI) -> None:
    system = "You are a careful assistant. " + " ".join(f"Rule {i}: be exact." for i in range(400))
    first = client.chat.completions.create(
        model=SOL, messages=[{"role": "system", "content": system}, *_user("Say 'one'")]
    )
    second = client.chat.completions.create(
        model=SOL, messages=[{"role": "system", "content": system}, *_user("Say 'two'")]
    )
    assert first.usage and first.usage.prompt_tokens >= 1024
    assert first.usage.prompt_tokens_details
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    assert second.usage and second.usage.prompt_tokens_details
    cached = second.usage.prompt_tokens_details.cached_tokens or 0
    assert 1024 <= cached <= second.usage.prompt_tokens


def test_azure_deployment(emulator: EmulatorServer) -> None:
    with AzureOpenAI(
        azure_endpoint=emulator.url, api_version="2024-10-21", api_key="k", max_retries=0
    ) as azure:
        completion = azure.chat.completions.create(model=SOL, messages=_user(PROMPT))
        assert completion.choices[0].message.content == NONCE
        stream = azure.chat.completions.create(model=SOL, messages=_user(PROMPT), stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == NONCE
    (record, _) = emulator.ctx.recorder.query(provider="azure_openai")
    assert record.path == f"/openai/deployments/{SOL}/chat/completions"


def _refused(client: OpenAI, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("model", SOL)
    kwargs.setdefault("messages", _user("hi"))
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**kwargs)
    assert caught.value.status_code == 400
    error = sdk_error(caught.value)
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    return error


def test_unknown_top_level_field_is_refused(client: OpenAI) -> None:
    error = _refused(client, extra_body={"thinking": {"type": "enabled"}})
    assert error["message"] == "Unrecognized request argument supplied: thinking"
    assert error["param"] is None


def test_unknown_nested_field_is_refused(client: OpenAI) -> None:
    error = _refused(client, messages=[{"role": "user", "content": "hi", "cache_control": {}}])
    assert error["param"] == "messages[0].cache_control"
    assert error["code"] == "unknown_parameter"


def test_unknown_role_is_refused(client: OpenAI) -> None:
    error = _refused(client, messages=[{"role": "model", "content": "hi"}])
    assert error["param"] == "messages[0].role"
    assert error["code"] == "invalid_value"
    assert "'model'" in error["message"]


def test_unknown_content_part_type_is_refused(client: OpenAI) -> None:
    parts = [{"type": "text", "text": "hi"}, {"type": "input_text", "text": "hi"}]
    error = _refused(client, messages=[{"role": "user", "content": parts}])
    assert error["param"] == "messages[0].content[1].type"
    assert "'input_text'" in error["message"]


def test_tool_message_without_matching_call_is_refused(client: OpenAI) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        *_user("hi"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_2", "content": "result"},
    ]
    error = _refused(client, messages=messages)
    assert error["param"] == "messages.[2].role"
    assert "must be a response to a preceeding message with 'tool_calls'" in error["message"]


def test_unanswered_tool_call_is_refused(client: OpenAI) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [*_user("hi"), {"role": "assistant", "tool_calls": [call]}, *_user("again")]
    error = _refused(client, messages=messages)
    assert error["param"] == "messages.[1].role"
    assert "call_1" in error["message"]


def test_bad_function_name_is_refused(client: OpenAI) -> None:
    tool = {"type": "function", "function": {"name": "get weather"}}
    error = _refused(client, tools=[tool])
    assert error["param"] == "tools[0].function.name"
    assert "^[a-zA-Z0-9_-]+$" in error["message"]
    long_tool = {"type": "function", "function": {"name": "f" * 65}}
    assert _refused(client, tools=[long_tool])["code"] == "string_above_max_length"


def test_parameters_that_are_no_object_schema_are_refused(client: OpenAI) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}
    error = _refused(client, tools=[tool])
    assert error["param"] == "tools[0].function.parameters"
    assert error["code"] == "invalid_function_parameters"


@pytest.mark.parametrize("name", ["temperature", "top_p"])
def test_sampling_parameters_with_reasoning_are_refused(client: OpenAI, name: str) -> None:
    error = _refused(client, reasoning_effort="medium", **{name: 0.5})
    assert error["param"] == name
    assert error["code"] == "unsupported_parameter"


def test_sampling_parameters_without_reasoning_are_accepted(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=SOL, messages=_user(PROMPT), temperature=0.2, reasoning_effort="none"
    )
    assert completion.choices[0].message.content == NONCE


def test_wrong_types_and_values_are_refused(client: OpenAI) -> None:
    error = _refused(client, messages=[{"role": "user", "content": 5}])
    assert error["param"] == "messages[0].content" and error["code"] == "invalid_type"
    error = _refused(client, reasoning_effort="extreme")
    assert error["param"] == "reasoning_effort" and error["code"] == "invalid_value"
    error = _refused(client, temperature=3)
    assert error["param"] == "temperature"


def test_stream_options_need_stream(client: OpenAI) -> None:
    error = _refused(client, stream_options={"include_usage": True})
    assert error["param"] == "stream_options"


def test_image_that_is_no_image_data_url_is_refused(client: OpenAI) -> None:
    part = {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,JVBERi0="}}
    error = _refused(client, messages=[{"role": "user", "content": [part]}])
    assert error["param"] == "messages[0].content[0].image_url.url"
    assert error["code"] == "invalid_value"
    assert error["message"] == (
        "Invalid image URL: 'messages[0].content[0].image_url.url'. Expected a base64-encoded "
        "data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), "
        "but got unsupported MIME type 'application/pdf'."
    )


def test_forced_tool_choice_needs_a_matching_tool(client: OpenAI) -> None:
    error = _refused(client, tool_choice="required")
    assert error["param"] == "tool_choice"
    named = {"type": "function", "function": {"name": "get_time"}}
    error = _refused(client, tools=[WEATHER_TOOL], tool_choice=named)
    assert error["param"] == "tool_choice.function.name"
