"""Helpers shared by the OpenAI-shaped wire tests: models, prompts, images, error checks."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import openai
from PIL import Image

SOL = "gpt-5.6-sol"
MANTLE_SOL = "openai.gpt-5.6-sol"
NONCE = "COMPAT-gpt56test"
PROMPT = f"Reply with exactly: {NONCE}"
BASH_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "Bash",
    "description": "Run a shell command",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


def png_data_url(rgb: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> str:
    """A data URL of a solid PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", size, rgb).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def assert_openai_error(
    response: httpx.Response, status: int, param: str | None, fragment: str
) -> dict[str, Any]:
    """The response is OpenAI's error body with this status, `param` and message fragment."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["param"] == param, error
    assert fragment in error["message"], error
    return error


def sdk_error(caught: openai.APIStatusError) -> dict[str, Any]:
    """The `error` object of an SDK exception's body."""
    body = caught.body
    assert isinstance(body, dict), body
    inner = body.get("error", body)
    assert isinstance(inner, dict)
    return inner
