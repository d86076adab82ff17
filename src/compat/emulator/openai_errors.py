"""OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, for the OpenAI wires.

Every OpenAI-shaped wire (the OpenAI API, Azure OpenAI, Bedrock's Mantle endpoint) refuses
a request with this body. Statuses and types follow OpenAI's error-code guide: 400
`invalid_request_error`, 401 for a missing or wrong key, 403 `permission_error`-like
refusals, 404 for an unknown model, 429 rate limits, 500 `server_error`, 503 overloaded.
Sources: https://platform.openai.com/docs/guides/error-codes ,
https://platform.openai.com/docs/api-reference/responses-streaming (the `error` object),
the openai-python SDK's `ErrorObject` (message, type, param, code; param and code nullable).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compat.emulator.recorder import note_error
from compat.emulator.types import ANTHROPIC_STATUS_BY_KIND, EmulatorError, ErrorKind

__all__ = ["OPENAI_STATUS_BY_KIND", "OpenAIRequestError", "openai_error", "openai_error_body"]

# HTTP status per error kind on OpenAI's API: Anthropic's statuses, but for an overloaded
# engine, which is 503 (OpenAI has no 529).
# Source: https://platform.openai.com/docs/guides/error-codes (API errors table: 401
# invalid authentication, 403 unsupported region, 429 rate limit, 500 server error, 503
# overloaded); 400 and 404 are the statuses the SDK maps to BadRequestError/NotFoundError
# (https://github.com/openai/openai-python#handling-errors).
OPENAI_STATUS_BY_KIND: dict[str, int] = {**ANTHROPIC_STATUS_BY_KIND, "overloaded_error": 503}

# The `type` OpenAI's body carries for each kind. OpenAI reports authentication, unknown
# models and bad requests as `invalid_request_error` (e.g. 401 "Incorrect API key provided"
# with code `invalid_api_key`), server faults as `server_error`, rate limits as `requests`
# or `tokens`. Source: https://platform.openai.com/docs/guides/error-codes
_TYPE_BY_KIND: dict[str, str] = {
    "invalid_request_error": "invalid_request_error",
    "authentication_error": "invalid_request_error",
    "permission_error": "invalid_request_error",
    "not_found_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "rate_limit_error": "requests",
    "api_error": "server_error",
    "overloaded_error": "server_error",
}

# Machine-readable codes of the kinds that have one on OpenAI's API.
# Source: https://platform.openai.com/docs/guides/error-codes (`invalid_api_key`,
# `model_not_found`, `rate_limit_exceeded`).
_CODE_BY_KIND: dict[str, str] = {
    "authentication_error": "invalid_api_key",
    "not_found_error": "model_not_found",
    "rate_limit_error": "rate_limit_exceeded",
}


class OpenAIRequestError(EmulatorError):
    """A refusal in OpenAI's terms: a message, the offending `param` and a `code`."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: ErrorKind = "invalid_request_error",
        status: int | None = None,
    ) -> None:
        super().__init__(
            kind, message, status=status if status is not None else OPENAI_STATUS_BY_KIND[kind]
        )
        self.param = param
        self.code = code


def openai_error_body(error: EmulatorError) -> dict[str, object]:
    """The `{"error": {...}}` body for any emulator error, in OpenAI's field names."""
    if isinstance(error, OpenAIRequestError):
        param, code = error.param, error.code
    else:
        param, code = None, _CODE_BY_KIND.get(error.kind)
    return {
        "error": {
            "message": error.message,
            "type": _TYPE_BY_KIND[error.kind],
            "param": param,
            "code": code,
        }
    }


def _status(error: EmulatorError) -> int:
    """The error's status; an Anthropic-only 529 is OpenAI's 503 overloaded."""
    # OpenAI has no 529; an overloaded engine is 503 (error-codes guide, module docstring).
    return 503 if error.status == 529 else error.status


def openai_error(request: Request, error: EmulatorError) -> Response:
    """OpenAI's error response, with `x-request-id` (and `retry-after` on a 429)."""
    # OpenAI returns `x-request-id` on every response; the SDK reads `retry-after`.
    # Sources: https://platform.openai.com/docs/api-reference/debugging-requests ,
    # https://github.com/openai/openai-python#retries
    note_error(request, error.kind, error.message)
    headers = {"x-request-id": f"req_{secrets.token_hex(16)}"}
    if error.retry_after_s is not None:
        headers["retry-after"] = str(error.retry_after_s)
    return JSONResponse(openai_error_body(error), status_code=_status(error), headers=headers)
