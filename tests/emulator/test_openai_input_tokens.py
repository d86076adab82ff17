"""`POST /v1/responses/input_tokens` through the openai SDK, and where it is not served."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.openai_responses_decode import decode_responses
from support.openai_bodies import (
    BASH_TOOL,
    MANTLE_SOL,
    PROMPT,
    SOL,
    assert_openai_error,
    sdk_error,
)

KEY = {"Authorization": "Bearer sk-test"}
# A request using every counted part: instructions, message items, a tool, reasoning and
# a structured-output format.
REQUEST: dict[str, Any] = {
    "model": "gpt-5.6-luna",
    "instructions": "Be brief.",
    "input": [
        {"role": "developer", "content": "Answer in English."},
        {"role": "user", "content": [{"type": "input_text", "text": PROMPT}]},
    ],
    "tools": [BASH_TOOL],
    "tool_choice": "auto",
    "reasoning": {"effort": "low"},
    "text": {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "schema": {"type": "object", "properties": {"text": {"type": "string"}}},
        }
    },
}


def client(emulator: EmulatorServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emulator.url}/v1", api_key="sk-test", max_retries=0)


def test_count_is_the_models_count_for_the_same_request(emulator: EmulatorServer) -> None:
    counted = client(emulator).responses.input_tokens.count(**REQUEST)
    assert counted.object == "response.input_tokens"
    expected = emulator.ctx.model.count_tokens(decode_responses(REQUEST, provider="openai").neutral)
    assert counted.input_tokens == expected > 0
    (recorded,) = emulator.ctx.recorder.query(provider="openai")
    assert recorded.path == "/v1/responses/input_tokens"
    assert recorded.status == 200
    created = client(emulator).responses.create(**REQUEST)
    assert created.usage is not None and created.usage.input_tokens == expected


def test_input_is_optional(emulator: EmulatorServer) -> None:
    counted = client(emulator).responses.input_tokens.count(model=SOL, instructions="Be brief.")
    assert counted.input_tokens > 0


@pytest.mark.parametrize(
    "extra",
    [{"stream": True}, {"max_output_tokens": 100}, {"include": []}, {"max_tokens": 10}],
)
def test_a_field_count_does_not_take_is_unknown(
    emulator: EmulatorServer, extra: dict[str, Any]
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(emulator).responses.input_tokens.count(model=SOL, input="hi", extra_body=extra)
    assert caught.value.status_code == 400
    error = sdk_error(caught.value)
    (name,) = extra
    assert error == {
        "message": f"Unknown parameter: '{name}'.",
        "type": "invalid_request_error",
        "param": name,
        "code": "unknown_parameter",
    }


def test_the_input_is_checked_like_create(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(emulator).responses.input_tokens.count(
            model=SOL,
            input=[{"role": "tool", "content": "x"}],  # type: ignore[list-item]
        )
    error = sdk_error(caught.value)
    assert error["param"] == "input[0].role" and error["code"] == "invalid_value"


def test_personality_is_a_short_string(emulator: EmulatorServer) -> None:
    sdk = client(emulator)
    plain = sdk.responses.input_tokens.count(model=SOL, input="hi")
    styled = sdk.responses.input_tokens.count(model=SOL, input="hi", personality="friendly")
    assert styled.input_tokens == plain.input_tokens
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.responses.input_tokens.count(model=SOL, input="hi", personality="x" * 65)
    error = sdk_error(caught.value)
    assert error["param"] == "personality" and error["code"] == "string_above_max_length"


def test_unknown_model_is_openai_404(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(emulator).responses.input_tokens.count(model="claude-sonnet-4-6", input="hi")
    assert sdk_error(caught.value)["code"] == "model_not_found"


def test_missing_key_is_openai_401(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/v1/responses/input_tokens", json={"model": SOL, "input": "hi"}
    )
    assert_openai_error(response, 401, None, "You didn't provide an API key")


def test_azure_does_not_serve_the_count(emulator: EmulatorServer) -> None:
    for path in ("/openai/v1/responses/input_tokens", "/openai/responses/input_tokens"):
        response = httpx.post(
            f"{emulator.url}{path}",
            params={"api-version": "2025-04-01-preview"} if "v1" not in path else None,
            json={"model": SOL, "input": "hi"},
            headers={"api-key": "azure-key"},
        )
        assert response.status_code == 404, path
        assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_mantle_does_not_serve_the_count(emulator: EmulatorServer) -> None:
    for route in ("openai/v1", "v1"):
        path = f"/mantle/{route}/responses/input_tokens"
        response = httpx.post(
            f"{emulator.url}{path}",
            json={"model": MANTLE_SOL, "input": "hi"},
            headers={"Authorization": "Bearer bedrock-api-key"},
        )
        assert_openai_error(response, 404, None, f"Invalid URL (POST {path})")
