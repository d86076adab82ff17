"""Azure AI Foundry's Anthropic endpoint: the SDK's AnthropicFoundry client, auth, errors."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from compat.emulator import EmulatorServer
from support.wire_bodies import HAIKU, NONCE, PROMPT, assert_anthropic_error, message_body

VERSION = {"anthropic-version": "2023-06-01"}


def foundry(emulator: EmulatorServer, **auth: object) -> anthropic.AnthropicFoundry:
    return anthropic.AnthropicFoundry(
        base_url=f"{emulator.url}/anthropic/",
        max_retries=0,
        **auth,  # type: ignore[arg-type]
    )


def test_foundry_sdk_round_trip_with_api_key(emulator: EmulatorServer) -> None:
    message = foundry(emulator, api_key="foundry-key").messages.create(
        model=HAIKU, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    )
    assert NONCE in message.content[0].text
    recorded = emulator.ctx.recorder.query(provider="azure")
    assert [r.path for r in recorded] == ["/anthropic/v1/messages"]


def test_foundry_sdk_stream_with_entra_token(emulator: EmulatorServer) -> None:
    client = foundry(emulator, azure_ad_token_provider=lambda: "entra-token")
    with client.messages.stream(
        model=HAIKU, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds.count("content_block_delta") >= 1
    assert NONCE in final.content[0].text
    (recorded,) = emulator.ctx.recorder.query(provider="azure")
    assert recorded.headers["authorization"] == "Bearer <redacted>"


def test_foundry_count_tokens(emulator: EmulatorServer) -> None:
    counted = foundry(emulator, api_key="foundry-key").messages.count_tokens(
        model=HAIKU, messages=[{"role": "user", "content": PROMPT}]
    )
    assert counted.input_tokens > 0


@pytest.mark.parametrize("header", ["api-key", "x-api-key"])
def test_either_key_header_is_enough(emulator: EmulatorServer, header: str) -> None:
    response = httpx.post(
        f"{emulator.url}/anthropic/v1/messages",
        json=message_body(model=HAIKU),
        headers={header: "foundry-key", **VERSION},
    )
    assert response.status_code == 200, response.text


def test_missing_key_gets_azure_access_denied(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/anthropic/v1/messages", json=message_body(model=HAIKU), headers=VERSION
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "401"
    assert error["message"].startswith("Access denied due to invalid subscription key")


def test_validation_errors_are_anthropic_shaped(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/anthropic/v1/messages",
        json=message_body(model=HAIKU, top_k=-1),
        headers={"api-key": "foundry-key", **VERSION},
    )
    assert_anthropic_error(response, 400, "invalid_request_error", "top_k")
    (recorded,) = emulator.ctx.recorder.query(provider="azure")
    assert recorded.status == 400
    assert recorded.error_kind == "invalid_request_error"


def test_unknown_path_gets_azure_404(emulator: EmulatorServer) -> None:
    response = httpx.post(f"{emulator.url}/anthropic/v1/complete", json={})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}
