"""The real LiteLLM proxy, run locally, against the real emulator: every alias, both modes."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import unquote

import httpx
import pytest

from compat.manifest import Manifest
from compat.proxy.lifecycle import ProxySession
from compat.proxy.local import LocalRuntime
from compat.upstream_log import RecordedRequest
from support.proc import environment_of

pytestmark = pytest.mark.integration

# The upstream operation each provider's wire must receive, non-streaming and streaming.
OPERATIONS = {
    "bedrock_invoke": ("invoke", "invoke-with-response-stream"),
    "bedrock_converse": ("converse", "converse-stream"),
    "vertex_ai": ("rawPredict", "streamRawPredict"),
}


Cell = tuple[str, str]


def _cells(manifest: Manifest) -> list[Cell]:
    return [(p.id, t.id) for p, t in manifest.deployments()]


async def _ask(
    client: httpx.AsyncClient, alias: str, nonce: str, *, stream: bool
) -> httpx.Response:
    body = {
        "model": alias,
        "max_tokens": 64,
        "stream": stream,
        "messages": [{"role": "user", "content": f"Reply with exactly: {nonce}"}],
    }
    return await client.post("/v1/messages", json=body)


def _ask_all(
    proxy: ProxySession, manifest: Manifest, *, stream: bool
) -> dict[Cell, tuple[str, httpx.Response]]:
    """One request per alias, all at once; returns each cell's nonce and response."""

    async def run() -> dict[Cell, tuple[str, httpx.Response]]:
        headers = {"authorization": f"Bearer {proxy.master_key}", "anthropic-version": "2023-06-01"}
        async with httpx.AsyncClient(
            base_url=proxy.base_url, headers=headers, timeout=120
        ) as client:
            cells = _cells(manifest)
            nonces = [f"COMPAT-{uuid.uuid4().hex[:12]}" for _ in cells]
            responses = await asyncio.gather(
                *(
                    _ask(client, manifest.proxy_alias(p, t), nonce, stream=stream)
                    for (p, t), nonce in zip(cells, nonces, strict=True)
                )
            )
        return {
            cell: (nonce, response)
            for cell, nonce, response in zip(cells, nonces, responses, strict=True)
        }

    return asyncio.run(run())


def _upstream_requests(proxy: ProxySession, nonce: str) -> list[RecordedRequest]:
    assert proxy.emulator is not None
    # The Vertex token exchange carries no prompt, so only model calls match the nonce.
    return proxy.emulator.ctx.recorder.query(contains=nonce)


def _assert_reached_its_provider(
    recorded: list[RecordedRequest], provider: str, upstream_model: str, *, stream: bool
) -> None:
    assert recorded, "the request never reached the emulator"
    for request in recorded:
        assert request.provider == provider
        assert request.status == 200, request.error_message
        path = unquote(request.path)
        if provider in OPERATIONS:
            operation = OPERATIONS[provider][stream]
            separator = ":" if provider == "vertex_ai" else "/"
            assert path.endswith(f"{upstream_model}{separator}{operation}"), path
        else:
            assert request.body["model"] == upstream_model


def test_every_alias_answers_through_its_own_provider(
    proxy: ProxySession, manifest: Manifest
) -> None:
    answers = _ask_all(proxy, manifest, stream=False)
    # Five Claude routes and three GPT routes, three tiers each (Vertex AI has no GPT model).
    assert len(answers) == 5 * 3 + 3 * 3
    for (provider, tier), (nonce, response) in answers.items():
        alias = manifest.proxy_alias(provider, tier)
        assert response.status_code == 200, f"{alias}: {response.text[:500]}"
        message = response.json()
        assert message["type"] == "message" and message["role"] == "assistant", alias
        assert any(block["type"] == "text" for block in message["content"]), alias
        recorded = _upstream_requests(proxy, nonce)
        _assert_reached_its_provider(
            recorded, provider, manifest.upstream_model(provider, tier), stream=False
        )


def test_every_alias_streams_through_its_own_provider(
    proxy: ProxySession, manifest: Manifest
) -> None:
    answers = _ask_all(proxy, manifest, stream=True)
    for (provider, tier), (nonce, response) in answers.items():
        alias = manifest.proxy_alias(provider, tier)
        assert response.status_code == 200, f"{alias}: {response.text[:500]}"
        assert response.headers["content-type"].startswith("text/event-stream"), alias
        events = [
            line.split(":", 1)[1].strip()
            for line in response.text.splitlines()
            if line.startswith("event:")
        ]
        # Pings may come anywhere (LiteLLM sends one first on some routes); the flow may not.
        events = [event for event in events if event != "ping"]
        assert events[0] == "message_start" and events[-1] == "message_stop", f"{alias}: {events}"
        assert "content_block_delta" in events, alias
        recorded = _upstream_requests(proxy, nonce)
        _assert_reached_its_provider(
            recorded, provider, manifest.upstream_model(provider, tier), stream=True
        )


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer sk-not-the-master-key-0000000000000000"}]
)
def test_without_the_master_key_nothing_reaches_upstream(
    proxy: ProxySession, headers: dict[str, str]
) -> None:
    nonce = f"COMPAT-{uuid.uuid4().hex[:12]}"
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 8,
        "messages": [{"role": "user", "content": nonce}],
    }
    response = httpx.post(proxy.base_url + "/v1/messages", json=body, headers=headers, timeout=30)
    # LiteLLM 1.106.2 without a database refuses with 500 or 400 rather than 401
    # (docs/proxy-findings.md); what matters here is that it refuses.
    assert response.status_code >= 400
    assert _upstream_requests(proxy, nonce) == []


def test_no_secret_reaches_the_proxy_log(proxy: ProxySession) -> None:
    assert isinstance(proxy.runtime, LocalRuntime) and proxy.runtime.pid is not None
    seen = environment_of(proxy.runtime.pid)
    secrets = [
        seen[name]
        for name in (
            "LITELLM_MASTER_KEY",
            "ANTHROPIC_API_KEY",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AZURE_FOUNDRY_API_KEY",
        )
    ]
    assert seen["LITELLM_MASTER_KEY"] == proxy.master_key
    assert proxy.log is not None
    text = proxy.log.path.read_text()
    assert "Uvicorn running on http://127.0.0.1" in text
    for secret in secrets:
        assert secret not in text
