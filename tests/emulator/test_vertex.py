"""Vertex AI: google-auth against the emulated OAuth endpoint, AnthropicVertex, Google errors."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import anthropic
import google.auth.transport.requests
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt
from google.oauth2 import service_account as google_service_account

from compat.emulator import EmulatorServer
from support.wire_bodies import NONCE, PROMPT, SONNET, assert_anthropic_error, message_body, without

PROJECT = "compat-emulated"
REGION = "us-east5"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
VERTEX_BODY = {**without(message_body(), "model"), "anthropic_version": "vertex-2023-10-16"}


def credentials(service_account: Path) -> google_service_account.Credentials:
    return google_service_account.Credentials.from_service_account_file(
        str(service_account), scopes=SCOPES
    )


@pytest.fixture
def token(service_account: Path) -> str:
    """An access token minted by google-auth from the emulator's service account."""
    creds = credentials(service_account)
    creds.refresh(google.auth.transport.requests.Request())
    return str(creds.token)


def predict_url(emulator: EmulatorServer, target: str) -> str:
    return (
        f"{emulator.url}/v1/projects/{PROJECT}/locations/{REGION}"
        f"/publishers/anthropic/models/{target}"
    )


def predict(emulator: EmulatorServer, target: str, body: Any, token: str) -> httpx.Response:
    return httpx.post(
        predict_url(emulator, target), json=body, headers={"authorization": f"Bearer {token}"}
    )


def vertex_sdk(emulator: EmulatorServer, service_account: Path) -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(
        project_id=PROJECT,
        region=REGION,
        base_url=f"{emulator.url}/v1",
        credentials=credentials(service_account),
        max_retries=0,
    )


def test_sdk_round_trip_through_google_auth(
    emulator: EmulatorServer, service_account: Path
) -> None:
    message = vertex_sdk(emulator, service_account).messages.create(
        model=SONNET, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    )
    assert NONCE in message.content[0].text
    paths = [record.path for record in emulator.ctx.recorder.query(provider="vertex_ai")]
    assert paths[0] == "/oauth2/token"
    assert paths[-1].endswith(f"/models/{SONNET}:rawPredict")


def test_sdk_stream_uses_stream_raw_predict(
    emulator: EmulatorServer, service_account: Path
) -> None:
    with vertex_sdk(emulator, service_account).messages.stream(
        model=SONNET, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert NONCE in final.content[0].text
    last = emulator.ctx.recorder.query(provider="vertex_ai")[-1]
    assert last.path.endswith(":streamRawPredict")


def test_sdk_count_tokens(emulator: EmulatorServer, service_account: Path) -> None:
    counted = vertex_sdk(emulator, service_account).messages.count_tokens(
        model=SONNET, messages=[{"role": "user", "content": PROMPT}]
    )
    assert counted.input_tokens > 0
    last = emulator.ctx.recorder.query(provider="vertex_ai")[-1]
    assert last.path.endswith("/models/count-tokens:rawPredict")


def test_documented_vertex_version_is_accepted(emulator: EmulatorServer, token: str) -> None:
    response = predict(emulator, f"{SONNET}:rawPredict", VERTEX_BODY, token)
    assert response.status_code == 200, response.text
    assert NONCE in response.json()["content"][0]["text"]


def test_service_account_file(service_account: Path) -> None:
    document = json.loads(service_account.read_text())
    assert document["type"] == "service_account"
    assert document["project_id"] == PROJECT
    assert document["client_email"].endswith(f"@{PROJECT}.iam.gserviceaccount.com")
    assert document["token_uri"].endswith("/oauth2/token")
    key = serialization.load_pem_private_key(document["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert stat.S_IMODE(service_account.stat().st_mode) == 0o600


def _assertion(
    service_account: Path, *, key: rsa.RSAPrivateKey | None = None, **claims: Any
) -> str:
    """A JWT-bearer assertion for the service account, optionally with bad claims or key."""
    document = json.loads(service_account.read_text())
    pem = document["private_key"]
    if key is not None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    signer = crypt.RSASigner.from_string(pem, document["private_key_id"])
    now = int(time.time())
    payload = {
        "iss": document["client_email"],
        "scope": SCOPES[0],
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(signer, payload).decode()


def _token_request(emulator: EmulatorServer, **form: str) -> httpx.Response:
    return httpx.post(f"{emulator.url}/oauth2/token", data=form)


def test_token_endpoint_issues_bearer_tokens(
    emulator: EmulatorServer, service_account: Path
) -> None:
    response = _token_request(
        emulator,
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=_assertion(service_account),
    )
    assert response.status_code == 200
    issued = response.json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600
    assert (
        predict(emulator, f"{SONNET}:rawPredict", VERTEX_BODY, issued["access_token"]).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("foreign_key", "claims", "fragment"),
    [
        pytest.param(True, {}, "Invalid JWT Signature", id="foreign key"),
        pytest.param(False, {"aud": "https://example.com/token"}, "audience", id="audience"),
        pytest.param(False, {"iat": 1, "exp": 3601}, "short-lived", id="expired"),
        pytest.param(False, {"iss": "someone@else.iam.gserviceaccount.com"}, "issuer", id="issuer"),
    ],
)
def test_token_endpoint_refuses_bad_assertions(
    emulator: EmulatorServer,
    service_account: Path,
    foreign_key: bool,
    claims: dict[str, Any],
    fragment: str,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if foreign_key else None
    response = _token_request(
        emulator,
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=_assertion(service_account, key=key, **claims),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert fragment in response.json()["error_description"]


def test_token_endpoint_refuses_other_grants(emulator: EmulatorServer) -> None:
    response = _token_request(emulator, grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_missing_token_is_google_unauthenticated(emulator: EmulatorServer) -> None:
    response = httpx.post(predict_url(emulator, f"{SONNET}:rawPredict"), json=VERTEX_BODY)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 401 and error["status"] == "UNAUTHENTICATED"
    assert "missing required authentication credential" in error["message"]


def test_unknown_token_is_refused_in_a_stream_error_array(emulator: EmulatorServer) -> None:
    response = predict(
        emulator, f"{SONNET}:streamRawPredict", {**VERTEX_BODY, "stream": True}, "ya29.made-up"
    )
    assert response.status_code == 401
    (wrapped,) = response.json()
    assert wrapped["error"]["status"] == "UNAUTHENTICATED"
    assert "invalid authentication credentials" in wrapped["error"]["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(
            message_body(anthropic_version="vertex-2023-10-16"),
            "model: Extra inputs are not permitted",
            id="model in body",
        ),
        pytest.param(
            without(VERTEX_BODY, "anthropic_version"),
            "anthropic_version: Field required",
            id="no version",
        ),
        pytest.param(
            {**VERTEX_BODY, "anthropic_version": "2023-06-01"},
            "anthropic_version: Input should be",
            id="header version in body",
        ),
        pytest.param(
            {**VERTEX_BODY, "anthropic_beta": ["x"]},
            "anthropic_beta: Extra inputs are not permitted",
            id="bedrock betas",
        ),
    ],
)
def test_vertex_envelope_rules(
    emulator: EmulatorServer, token: str, body: dict[str, Any], fragment: str
) -> None:
    """Claude's own validation errors pass through Vertex in Anthropic's shape."""
    response = predict(emulator, f"{SONNET}:rawPredict", body, token)
    assert_anthropic_error(response, 400, "invalid_request_error", fragment)


def test_claude_api_only_beta_is_refused(emulator: EmulatorServer, token: str) -> None:
    response = httpx.post(
        predict_url(emulator, f"{SONNET}:rawPredict"),
        json=VERTEX_BODY,
        headers={"authorization": f"Bearer {token}", "anthropic-beta": "claude-code-20250219"},
    )
    assert_anthropic_error(
        response,
        400,
        "invalid_request_error",
        "Unexpected value(s) `claude-code-20250219` for the `anthropic-beta` header.",
    )


def test_unknown_model_is_google_not_found(emulator: EmulatorServer, token: str) -> None:
    response = predict(emulator, "claude-unknown-1:rawPredict", VERTEX_BODY, token)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


def test_unknown_action_is_google_not_found(emulator: EmulatorServer, token: str) -> None:
    response = predict(emulator, f"{SONNET}:generateContent", VERTEX_BODY, token)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
