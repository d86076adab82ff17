"""Requests for the shared model and readers of its replies, for the model's tests."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from compat.emulator.model import Model
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, ProviderId

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "claude_requests"
CLAUDE_BODY: dict[str, Any] = json.loads((FIXTURES / "basic_request.json").read_text())
CLAUDE_HEADERS: dict[str, Any] = json.loads((FIXTURES / "basic_request.headers.json").read_text())
BASH_TOOL = next(tool for tool in CLAUDE_BODY["tools"] if tool["name"] == "Bash")
SONNET, HAIKU, OPUS = "claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-7"
NONCE = "COMPAT-ab12cd34"
SECRET = b"test-secret"
BASH_PROMPT = (
    f"Use the Bash tool to run this exact command: `echo {NONCE}`. Then reply with its output."
)
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search"}
LONG_SYSTEM = "You answer questions about the compatibility matrix. " * 160  # ~2,100 tokens
TOOL_SEARCH = next(tool for tool in CLAUDE_BODY["tools"] if tool["name"] == "ToolSearch")
WEB_SEARCH_TOOL = {
    "name": "WebSearch",
    "description": "Search the web",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
    "defer_loading": True,
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def ask(
    content: str | list[dict[str, Any]] = "Hello",
    *,
    provider: ProviderId = "anthropic",
    model: str = SONNET,
    betas: tuple[str, ...] = (),
    messages: list[dict[str, Any]] | None = None,
    **body: Any,
) -> NeutralRequest:
    """A Messages request whose last user turn is `content`."""
    body.setdefault("max_tokens", 4096)
    body["messages"] = messages or [{"role": "user", "content": content}]
    return NeutralRequest(provider=provider, model=model, body=body, betas=frozenset(betas))


def texts(reply: ModelReply) -> str:
    return " ".join(block["text"] for block in reply.content if block["type"] == "text")


def types(reply: ModelReply) -> list[str]:
    return [block["type"] for block in reply.content]


def rejection(model: Model, req: NeutralRequest, kind: str = "invalid_request_error") -> str:
    with pytest.raises(EmulatorError) as caught:
        model.respond(req)
    assert caught.value.kind == kind
    return caught.value.message


def encoded_image(width: int, height: int, colour: tuple[int, int, int], fmt: str = "PNG") -> str:
    """A solid-colour image, base64; WebP is saved lossless so the colour stays exact."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt, lossless=fmt == "WEBP")
    return base64.b64encode(buffer.getvalue()).decode()


def image_block(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def pdf(text: str) -> bytes:
    """A one-page PDF showing `text`, written by hand (offsets computed, so pypdf reads it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_block(data: bytes) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    source = {"type": "base64", "media_type": "application/pdf", "data": encoded}
    return {"type": "document", "source": source}


def bash_turns(model: Model, result: Any, **body: Any) -> tuple[ModelReply, NeutralRequest]:
    """The first reply to the Bash prompt and the follow-up carrying the tool's result."""
    first = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL], **body))
    call = first.content[-1]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": BASH_PROMPT},
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": result}],
        },
    ]
    return first, ask(messages=messages, tools=[BASH_TOOL], **body)


def calls(reply: ModelReply) -> list[tuple[str, dict[str, Any]]]:
    """(name, input) of each client tool the reply calls."""
    return [(b["name"], b["input"]) for b in reply.content if b["type"] == "tool_use"]
