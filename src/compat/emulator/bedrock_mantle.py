"""Bedrock's Mantle endpoint: OpenAI's Responses and Chat Completions APIs under `/mantle/`.

The real endpoint is `https://bedrock-mantle.{region}.api.aws`; the emulator serves it
under the prefix `/mantle` (a proxy's api_base is `<emulator>/mantle`). Routes:
`/mantle/openai/v1/responses`, `/mantle/openai/v1/chat/completions`, and the same under
`/mantle/v1/`. The path prefix depends on the model: GPT-5.6 is served under `/openai/v1`
only, and a model sent to the wrong prefix is refused with "model `<id>` isn't supported on
this route" (rule mantle.gpt-route). Credentials: a Bedrock API key as a bearer token, or
SigV4 for service `bedrock` (`bedrock_auth`); those refusals come from AWS's front end, in
its shape. Model ids carry Bedrock's `openai.` prefix (`openai.gpt-5.6-sol`); the model's
and the API's refusals are OpenAI's error body.
Sources: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html ,
https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html ,
https://developers.openai.com/api/docs/guides/amazon-bedrock ,
https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html .
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator.bedrock_auth import check_auth
from compat.emulator.bedrock_errors import BedrockError, error_response
from compat.emulator.capabilities import GPT_TIERS, tier_of
from compat.emulator.openai_api import invalid_url
from compat.emulator.openai_chat import chat_completions
from compat.emulator.openai_errors import OpenAIRequestError, openai_error
from compat.emulator.openai_responses import parse_openai_json, serve_responses
from compat.emulator.types import EmulatorError
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

MANTLE_PREFIX = "/mantle"
OPENAI_ROUTE = f"{MANTLE_PREFIX}/openai/v1"
DEFAULT_ROUTE = f"{MANTLE_PREFIX}/v1"
# Bedrock names OpenAI's models with the `openai.` prefix.
# Source: https://developers.openai.com/api/docs/guides/amazon-bedrock
_MODEL_PREFIX = "openai."


def mantle_error(request: Request, error: EmulatorError) -> Response:
    """OpenAI's error body: Mantle serves OpenAI's APIs, refusals included."""
    return openai_error(request, error)


def mantle_not_found(request: Request) -> Response:
    return openai_error(request, invalid_url(request))


def _check_route(model: Any, *, openai_route: bool) -> None:
    """The model's Mantle prefix: GPT-5.6 only under /openai/v1 (rule mantle.gpt-route)."""
    if not isinstance(model, str):
        return
    if not model.startswith(_MODEL_PREFIX) or tier_of(model) not in GPT_TIERS:
        # OpenAI's 404 for a model the endpoint does not serve.
        # Source: https://platform.openai.com/docs/guides/error-codes
        raise OpenAIRequestError(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
            kind="not_found_error",
        )
    if not openai_route:
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html
        # ("A request that uses the wrong prefix for a model is rejected with model
        # `<model-id>` isn't supported on this route"); GPT-5.6 is on /openai/v1
        # (https://developers.openai.com/api/docs/guides/amazon-bedrock).
        raise OpenAIRequestError(f"model `{model}` isn't supported on this route", param="model")


def mantle_routes(ctx: EmulatorContext) -> list[Route]:
    """Responses and Chat Completions under both Mantle prefixes."""

    async def checked(request: Request, *, openai_route: bool) -> Response | None:
        try:
            check_auth(request.headers)
        except BedrockError as exc:
            return error_response(request, exc)
        try:
            payload = parse_openai_json(await request.body())
            if isinstance(payload, dict):
                _check_route(payload.get("model"), openai_route=openai_route)
        except EmulatorError as exc:
            return mantle_error(request, exc)
        return None

    async def responses(request: Request) -> Response:
        return await serve_responses(
            request, ctx, provider="bedrock_mantle", render_error=mantle_error
        )

    async def chat(request: Request) -> Response:
        return await chat_completions(ctx, request, provider="bedrock_mantle", model=None)

    def gated(
        serve: Callable[[Request], Awaitable[Response]], *, openai_route: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        """`serve` behind the front end's credentials and the model's route prefix."""

        async def handle(request: Request) -> Response:
            refused = await checked(request, openai_route=openai_route)
            if refused is not None:
                return refused
            return await serve(request)

        return handle

    # No `.../responses/input_tokens` route: AWS documents token counting on bedrock-mantle
    # only through Anthropic's count_tokens path
    # (https://docs.aws.amazon.com/bedrock/latest/userguide/count-tokens.html#count-tokens-mantle),
    # and no public source was found for the Responses count there (searched: "bedrock
    # mantle responses input_tokens" in docs, pages and issues). Such a path gets this wire's
    # ordinary 404.
    return [
        Route(f"{OPENAI_ROUTE}/responses", gated(responses, openai_route=True), methods=["POST"]),
        Route(f"{DEFAULT_ROUTE}/responses", gated(responses, openai_route=False), methods=["POST"]),
        Route(f"{OPENAI_ROUTE}/chat/completions", gated(chat, openai_route=True), methods=["POST"]),
        Route(
            f"{DEFAULT_ROUTE}/chat/completions", gated(chat, openai_route=False), methods=["POST"]
        ),
    ]


BEDROCK_MANTLE = Wire(
    provider="bedrock_mantle",
    prefixes=(f"{MANTLE_PREFIX}/",),
    routes=mantle_routes,
    render_error=mantle_error,
    not_found=mantle_not_found,
)
