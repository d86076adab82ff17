"""Helpers shared by the Anthropic-shaped wire tests (Anthropic, Azure Foundry, Vertex)."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from compat.emulator import EmulatorServer

SONNET = "claude-sonnet-4-6"
HAIKU = "claude-haiku-4-5"
NONCE = "COMPAT-w1r3t3st"
PROMPT = f"Reply with exactly: {NONCE}"
API_HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01"}


def message_body(**overrides: Any) -> dict[str, Any]:
    """A minimal valid Anthropic Messages body; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "model": SONNET,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    body.update(copy.deepcopy(overrides))
    return body


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`body` minus the given top-level keys."""
    return {key: value for key, value in body.items() if key not in keys}


def assert_anthropic_error(response: httpx.Response, status: int, kind: str, fragment: str) -> None:
    """The response is Anthropic's error shape with this status, type and message part."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "error", "request_id"}
    assert body["type"] == "error"
    assert body["error"]["type"] == kind
    assert fragment in body["error"]["message"], body["error"]["message"]
    assert body["request_id"].startswith("req_")
    assert response.headers["request-id"] == body["request_id"]


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event name, decoded data) for each server-sent event in a response body."""
    events = []
    for frame in text.split("\n\n"):
        if not frame.strip():
            continue
        lines = dict(line.split(": ", 1) for line in frame.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def streamed_text(events: list[tuple[str, Any]]) -> str:
    """The text a stream's `text_delta` events add up to."""
    return "".join(
        data["delta"]["text"]
        for name, data in events
        if name == "content_block_delta" and data["delta"]["type"] == "text_delta"
    )


def post_messages(
    emulator: EmulatorServer, body: Any = None, *, path: str = "/v1/messages", **kw: Any
) -> httpx.Response:
    """POST a Messages body (a minimal one by default) to the emulator with API headers."""
    headers = {**API_HEADERS, **kw.pop("headers", {})}
    return httpx.post(f"{emulator.url}{path}", json=body or message_body(), headers=headers, **kw)
