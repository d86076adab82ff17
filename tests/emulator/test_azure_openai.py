"""Azure OpenAI's Responses routes via the SDK's AzureOpenAI: keys, versions, deployments."""

from __future__ import annotations

import httpx
import openai
import pytest

from compat.emulator import EmulatorServer
from support.openai_bodies import BASH_TOOL, NONCE, PROMPT, SOL, assert_openai_error

VERSION = "2025-04-01-preview"


def azure(emulator: EmulatorServer, **auth: object) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=emulator.url,
        api_version=VERSION,
        max_retries=0,
        **auth,  # type: ignore[arg-type]
    )


def test_responses_round_trip_with_api_key(emulator: EmulatorServer) -> None:
    response = azure(emulator, api_key="azure-key").responses.create(
        model=SOL,
        input=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPT}],
        tools=[{**BASH_TOOL, "strict": None}],  # type: ignore[list-item]
    )
    assert NONCE in response.output_text
    (recorded,) = emulator.ctx.recorder.query(provider="azure_openai")
    assert recorded.path == "/openai/responses"
    assert "api-key" in recorded.headers


def test_stream_with_entra_token(emulator: EmulatorServer) -> None:
    client = azure(emulator, azure_ad_token_provider=lambda: "entra-token")
    with client.responses.stream(model=SOL, input=PROMPT) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[-1] == "response.completed" and NONCE in final.output_text


def test_v1_route_needs_no_api_version(emulator: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=f"{emulator.url}/openai/v1", api_key="azure-key", max_retries=0)
    assert NONCE in client.responses.create(model=SOL, input=PROMPT).output_text


def test_missing_key_is_azure_401(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/openai/responses?api-version={VERSION}", json={"model": SOL, "input": "hi"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "401"


@pytest.mark.parametrize("query", ["", "?api-version=2031-01-01"])
def test_missing_or_unknown_api_version_is_resource_not_found(
    emulator: EmulatorServer, query: str
) -> None:
    response = httpx.post(
        f"{emulator.url}/openai/responses{query}",
        json={"model": SOL, "input": "hi"},
        headers={"api-key": "k"},
    )
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_a_version_without_responses_is_bad_request(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/openai/responses?api-version=2024-10-21",
        json={"model": SOL, "input": "hi"},
        headers={"api-key": "k"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_unknown_deployment_is_deployment_not_found(emulator: EmulatorServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        azure(emulator, api_key="k").responses.create(model="my-gpt4o", input="hi")
    body = caught.value.body
    assert isinstance(body, dict)
    assert body.get("code", body.get("error", {}).get("code")) == "DeploymentNotFound"


def test_validation_errors_keep_openai_shape(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/openai/responses?api-version={VERSION}",
        json={"model": SOL, "input": "hi", "bogus": 1},
        headers={"api-key": "k"},
    )
    assert_openai_error(response, 400, "bogus", "Unknown parameter")
