"""Bedrock's Mantle endpoint: Responses for GPT-5.6 under /openai/v1, API keys and SigV4."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from compat.emulator import EmulatorServer
from support.bedrock_client import CREDENTIALS
from support.openai_bodies import MANTLE_SOL, NONCE, PROMPT, SOL, assert_openai_error


def mantle(emulator: EmulatorServer, route: str = "openai/v1") -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{emulator.url}/mantle/{route}", api_key="bedrock-api-key", max_retries=0
    )


def test_responses_round_trip_with_api_key(emulator: EmulatorServer) -> None:
    response = mantle(emulator).responses.create(model=MANTLE_SOL, input=PROMPT)
    assert NONCE in response.output_text
    (recorded,) = emulator.ctx.recorder.query(provider="bedrock_mantle")
    assert recorded.path == "/mantle/openai/v1/responses"


def test_stream_with_reasoning_summary(emulator: EmulatorServer) -> None:
    with mantle(emulator).responses.stream(
        model=MANTLE_SOL, input=PROMPT, reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        kinds = [event.type for event in stream]
    assert "response.reasoning_summary_text.delta" in kinds
    assert kinds[-1] == "response.completed"


def test_gpt_56_is_refused_on_the_v1_route(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        mantle(emulator, "v1").responses.create(model=MANTLE_SOL, input=PROMPT)
    assert "isn't supported on this route" in caught.value.message


def test_an_id_without_the_bedrock_prefix_is_not_found(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.NotFoundError):
        mantle(emulator).responses.create(model=SOL, input=PROMPT)


def test_sigv4_for_bedrock_is_accepted(emulator: EmulatorServer) -> None:
    url = f"{emulator.url}/mantle/openai/v1/responses"
    body = json.dumps({"model": MANTLE_SOL, "input": PROMPT})
    request = AWSRequest("POST", url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(CREDENTIALS, "bedrock", "us-east-1").add_auth(request)
    response = httpx.post(url, content=body, headers=dict(request.headers.items()))
    assert response.status_code == 200, response.text


def test_missing_credentials_are_aws_front_end_errors(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/mantle/openai/v1/responses", json={"model": MANTLE_SOL, "input": "hi"}
    )
    assert response.status_code == 403
    assert "MissingAuthenticationTokenException" in response.headers["x-amzn-ErrorType"]


def test_validation_errors_are_openai_shaped(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/mantle/openai/v1/responses",
        json={"model": MANTLE_SOL, "input": [{"role": "tool", "content": "x"}]},
        headers={"Authorization": "Bearer k"},
    )
    assert_openai_error(response, 400, "input[0].role", "Invalid value: 'tool'")
