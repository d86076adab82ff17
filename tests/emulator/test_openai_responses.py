"""The OpenAI API's Responses wire, through the openai SDK: text, streams, tools, reasoning."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.capabilities import capabilities_for, tier_of
from support.openai_bodies import (
    BASH_TOOL,
    NONCE,
    PROMPT,
    SOL,
    assert_openai_error,
    png_data_url,
    sdk_error,
)

KEY = {"Authorization": "Bearer sk-test"}


def client(emulator: EmulatorServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emulator.url}/v1", api_key="sk-test", max_retries=0)


def post(emulator: EmulatorServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{emulator.url}/v1/responses", json=body, headers=KEY)


def test_gpt_tiers_are_recognised_however_spelled() -> None:
    assert tier_of("gpt-5.6-sol") == "gpt-5-6-sol"
    assert tier_of("openai.gpt-5.6-terra") == "gpt-5-6-terra"
    assert tier_of("gpt-5-6-luna") == "gpt-5-6-luna"
    assert tier_of("gpt-5.6-sol-2026-07-09") == "gpt-5-6-sol"
    caps = capabilities_for("openai", "gpt-5.6-sol")
    assert caps.context_window == 1_050_000
    assert caps.supported_betas == frozenset() and caps.supported_server_tools == frozenset()
    assert caps.min_cache_tokens == 1_024 and caps.automatic_cache_increment == 128


def test_claude_and_gpt_stay_on_their_own_wires() -> None:
    with pytest.raises(Exception, match="does not exist"):
        capabilities_for("openai", "claude-sonnet-4-6")
    with pytest.raises(Exception, match=r"model: gpt-5\.6-sol"):
        capabilities_for("anthropic", "gpt-5.6-sol")


def test_plain_request_round_trip(emulator: EmulatorServer) -> None:
    response = client(emulator).responses.create(
        model=SOL, instructions="Be brief.", input=PROMPT, max_output_tokens=200
    )
    assert response.status == "completed"
    assert NONCE in response.output_text
    assert response.usage is not None and response.usage.input_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    (recorded,) = emulator.ctx.recorder.query(provider="openai")
    assert recorded.path == "/v1/responses"


def test_stream_sends_the_documented_events_in_order(emulator: EmulatorServer) -> None:
    with client(emulator).responses.stream(
        model=SOL,
        input=[
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "sys"}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": PROMPT}],
            },
        ],
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert kinds.count("response.output_text.delta") >= 2
    assert kinds.count("response.reasoning_summary_text.delta") >= 2
    for name in (
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.done",
    ):
        assert name in kinds
    reasoning, message = final.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text
    assert reasoning.encrypted_content
    assert message.type == "message" and NONCE in final.output_text
    (recorded,) = emulator.ctx.recorder.query(provider="openai")
    assert recorded.sent_events is not None
    assert [e.type for e in recorded.sent_events] == kinds


def test_tool_call_streams_its_arguments_and_takes_the_output_back(
    emulator: EmulatorServer,
) -> None:
    sdk = client(emulator)
    ask = "Use the Bash tool to run `echo hello`."
    with sdk.responses.stream(
        model=SOL,
        input=ask,
        tools=[BASH_TOOL],  # type: ignore[list-item]
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds.count("response.function_call_arguments.delta") >= 2
    assert "response.function_call_arguments.done" in kinds
    call = next(item for item in final.output if item.type == "function_call")
    assert call.name == "Bash" and json.loads(call.arguments) == {"command": "echo hello"}
    history: list[Any] = [{"role": "user", "content": ask}]
    history += [item.model_dump(exclude_none=True) for item in final.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "hello"})
    answer = sdk.responses.create(
        model=SOL,
        input=history,
        tools=[BASH_TOOL],  # type: ignore[list-item]
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
    )
    assert "hello" in answer.output_text


def test_reasoning_summary_only_when_asked(emulator: EmulatorServer) -> None:
    sdk = client(emulator)
    plain = sdk.responses.create(model=SOL, input=PROMPT, reasoning={"effort": "medium"})
    reasoning = plain.output[0]
    assert reasoning.type == "reasoning" and reasoning.summary == []
    assert reasoning.encrypted_content is None
    summarised = sdk.responses.create(
        model=SOL, input=PROMPT, reasoning={"effort": "medium", "summary": "detailed"}
    )
    assert summarised.output[0].summary[0].type == "summary_text"


def test_an_image_is_read_from_its_pixels(emulator: EmulatorServer) -> None:
    response = client(emulator).responses.create(
        model=SOL,
        input=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_image",
                        "image_url": png_data_url((255, 0, 0)),
                        "detail": "auto",
                    },
                    {
                        "type": "input_text",
                        "text": "What colour is this image? Answer in one word.",
                    },
                ],
            }
        ],
    )
    assert "red" in response.output_text.lower()


def test_structured_output_follows_the_json_schema(emulator: EmulatorServer) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    response = client(emulator).responses.create(
        model=SOL,
        input="What is 2 + 2?",
        text={"format": {"type": "json_schema", "name": "sum", "schema": schema, "strict": True}},
    )
    assert json.loads(response.output_text) == {"answer": 4}


def test_a_repeated_long_prefix_is_cached_in_128_token_steps(emulator: EmulatorServer) -> None:
    sdk = client(emulator)
    long_text = "The quick brown fox jumps over the lazy dog. " * 500
    first = sdk.responses.create(model="gpt-5.6-terra", instructions=long_text, input=PROMPT)
    second = sdk.responses.create(model="gpt-5.6-terra", instructions=long_text, input=PROMPT)
    assert first.usage is not None and second.usage is not None
    assert first.usage.input_tokens_details.cached_tokens == 0
    cached = second.usage.input_tokens_details.cached_tokens
    assert cached >= 1_024 and (cached - 1_024) % 128 == 0
    assert cached <= second.usage.input_tokens == first.usage.input_tokens


def test_a_short_prefix_is_never_cached(emulator: EmulatorServer) -> None:
    sdk = client(emulator)
    sdk.responses.create(model="gpt-5.6-luna", input=PROMPT)
    again = sdk.responses.create(model="gpt-5.6-luna", input=PROMPT)
    assert again.usage is not None and again.usage.input_tokens_details.cached_tokens == 0


def test_missing_key_is_openai_401(emulator: EmulatorServer) -> None:
    response = httpx.post(f"{emulator.url}/v1/responses", json={"model": SOL, "input": "hi"})
    error = assert_openai_error(response, 401, None, "You didn't provide an API key")
    assert error["type"] == "invalid_request_error"


def test_unknown_field_is_refused_with_its_param(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(emulator).responses.create(model=SOL, input="hi", extra_body={"max_tokens": 10})
    error = sdk_error(caught.value)
    assert error["param"] == "max_tokens" and error["code"] == "unknown_parameter"


def test_wrong_role_is_refused(emulator: EmulatorServer) -> None:
    response = post(emulator, {"model": SOL, "input": [{"role": "tool", "content": "x"}]})
    error = assert_openai_error(response, 400, "input[0].role", "Invalid value: 'tool'")
    assert error["code"] == "invalid_value"


def test_malformed_tool_schema_is_refused(emulator: EmulatorServer) -> None:
    tool = {**BASH_TOOL, "parameters": {"type": "string"}}
    response = post(emulator, {"model": SOL, "input": "hi", "tools": [tool]})
    error = assert_openai_error(
        response, 400, "tools[0].parameters", "Invalid schema for function 'Bash'"
    )
    assert error["code"] == "invalid_function_parameters"


def test_strict_tool_needs_a_closed_schema(emulator: EmulatorServer) -> None:
    tool = {**BASH_TOOL, "strict": True}
    response = post(emulator, {"model": SOL, "input": "hi", "tools": [tool]})
    assert_openai_error(response, 400, "tools[0].parameters", "additionalProperties")


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"input": "hi"}, "model", "Missing required parameter"),
        ({"model": SOL}, "input", "Missing required parameter"),
        ({"model": SOL, "input": "hi", "max_output_tokens": 4}, "max_output_tokens", ">= 16"),
        ({"model": SOL, "input": [{"type": "bogus"}]}, "input[0].type", "Invalid value: 'bogus'"),
        (
            {"model": SOL, "input": "hi", "reasoning": {"effort": "huge"}},
            "reasoning.effort",
            "Invalid value: 'huge'",
        ),
        (
            {
                "model": SOL,
                "input": [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}],
            },
            "input[0].content[0].type",
            "Invalid value: 'input_text'",
        ),
        (
            {
                "model": SOL,
                "input": [{"type": "function_call_output", "call_id": "c1", "output": "x"}],
            },
            "input",
            "No tool call found",
        ),
        ({"model": SOL, "input": "hi", "include": ["nope"]}, "include[0]", "Invalid value"),
    ],
)
def test_request_checks(
    emulator: EmulatorServer, body: dict[str, Any], param: str, fragment: str
) -> None:
    assert_openai_error(post(emulator, body), 400, param, fragment)


def test_a_pdf_sent_as_an_image_gets_the_apis_wording(emulator: EmulatorServer) -> None:
    parts = [
        {"type": "input_text", "text": "Summarize this document"},
        {"type": "input_image", "image_url": "data:application/pdf;base64,JVBERi0="},
    ]
    response = post(emulator, {"model": SOL, "input": [{"role": "user", "content": parts}]})
    error = assert_openai_error(response, 400, "input[0].content[1].image_url", "Invalid")
    assert error["message"] == (
        "Invalid 'input[0].content[1].image_url'. Expected a base64-encoded data URL with an "
        "image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got "
        "unsupported MIME type 'application/pdf'."
    )
    assert error["code"] == "invalid_value"


def test_unknown_model_is_openai_404(emulator: EmulatorServer) -> None:
    response = post(emulator, {"model": "claude-sonnet-4-6", "input": "hi"})
    error = assert_openai_error(response, 404, None, "does not exist")
    assert error["code"] == "model_not_found"


def test_forged_encrypted_reasoning_is_refused(emulator: EmulatorServer) -> None:
    item = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAforged"}
    body = {
        "model": SOL,
        "input": [{"role": "user", "content": "hi"}, item, {"role": "user", "content": "again"}],
    }
    error = assert_openai_error(post(emulator, body), 400, None, "could not be verified")
    assert error["code"] == "invalid_encrypted_content"


def test_unserved_path_is_invalid_url(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.url}/v1/responses/resp_1", headers=KEY)
    assert_openai_error(response, 404, None, "Invalid URL (GET /v1/responses/resp_1)")
