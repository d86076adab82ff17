"""The OpenAI API wire: `/v1/responses`, `/v1/responses/input_tokens`, `/v1/chat/completions`.

Requests carry `Authorization: Bearer <key>`; a missing key is OpenAI's 401 in its own
error shape. Any non-empty key is accepted, as the emulator accepts any key on every wire
(it cannot know the caller's real keys). Paths under the wire's prefixes that it does not
serve get OpenAI's 404 "Invalid URL".
Sources: https://platform.openai.com/docs/api-reference/authentication ,
https://platform.openai.com/docs/api-reference/responses/create ,
https://platform.openai.com/docs/api-reference/responses/input-tokens ,
https://platform.openai.com/docs/api-reference/chat/create ,
https://platform.openai.com/docs/guides/error-codes .
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator.openai_chat import chat_completions
from compat.emulator.openai_errors import OpenAIRequestError, openai_error
from compat.emulator.openai_input_tokens import serve_input_tokens
from compat.emulator.openai_responses import serve_responses
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

# OpenAI's 401 for a request without a key.
# Source: https://platform.openai.com/docs/guides/error-codes (401 Invalid Authentication)
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
    "(with blank username) if you're accessing the API from your browser and are prompted for "
    "a username. You can obtain an API key from https://platform.openai.com/account/api-keys."
)


def bearer_token(request: Request) -> str | None:
    """The non-empty token of an `Authorization: Bearer` header, else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def missing_key_error() -> OpenAIRequestError:
    return OpenAIRequestError(MISSING_KEY, kind="authentication_error")


def invalid_url(request: Request) -> OpenAIRequestError:
    """OpenAI's 404 for a path it does not serve: "Invalid URL (POST /v1/...)"."""
    return OpenAIRequestError(
        f"Invalid URL ({request.method} {request.url.path})", kind="not_found_error"
    )


def openai_not_found(request: Request) -> Response:
    return openai_error(request, invalid_url(request))


def openai_routes(ctx: EmulatorContext) -> list[Route]:
    """`POST /v1/responses`, its input-token count and `POST /v1/chat/completions`, Bearer auth."""

    async def responses(request: Request) -> Response:
        if bearer_token(request) is None:
            return openai_error(request, missing_key_error())
        return await serve_responses(request, ctx, provider="openai", render_error=openai_error)

    async def input_tokens(request: Request) -> Response:
        if bearer_token(request) is None:
            return openai_error(request, missing_key_error())
        return await serve_input_tokens(request, ctx, provider="openai", render_error=openai_error)

    async def chat(request: Request) -> Response:
        if bearer_token(request) is None:
            return openai_error(request, missing_key_error())
        return await chat_completions(ctx, request, provider="openai", model=None)

    return [
        Route("/v1/responses", responses, methods=["POST"]),
        # Source: https://platform.openai.com/docs/api-reference/responses/input-tokens
        Route("/v1/responses/input_tokens", input_tokens, methods=["POST"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
    ]


OPENAI = Wire(
    provider="openai",
    prefixes=("/v1/responses", "/v1/chat/"),
    routes=openai_routes,
    render_error=openai_error,
    not_found=openai_not_found,
)
