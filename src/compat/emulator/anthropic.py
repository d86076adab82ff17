"""Anthropic Messages wire: `POST /v1/messages` (JSON, or SSE with `stream: true`) and count_tokens.

Also `GET /v1/models` (`anthropic_models`), and the rate-limit headers of the first-party
API on its Messages responses (`rate_limits`).

Sources: https://platform.claude.com/docs/en/api/messages/create,
https://platform.claude.com/docs/en/build-with-claude/streaming,
https://docs.claude.com/en/api/errors, https://docs.claude.com/en/api/versioning,
https://docs.claude.com/en/api/rate-limits#response-headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator.anthropic_models import list_models
from compat.emulator.messages_api import anthropic_error, messages_routes
from compat.emulator.messages_envelope import Endpoint, EnvelopeRules
from compat.emulator.types import EmulatorError
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

# `model` in the body, version and betas in headers.
# Source: https://platform.claude.com/docs/en/api/messages/create
HEADER_ENVELOPE = EnvelopeRules()
HEADER_ENVELOPES: dict[Endpoint, EnvelopeRules] = {
    "messages": HEADER_ENVELOPE,
    "count_tokens": HEADER_ENVELOPE,
}


def anthropic_routes(ctx: EmulatorContext) -> list[Route]:
    """The Anthropic API: `x-api-key` or `Authorization: Bearer` credentials."""
    return [
        *messages_routes(ctx, ANTHROPIC, under="/v1", key_headers=("x-api-key",)),
        Route("/v1/models", list_models, methods=["GET"]),
    ]


def anthropic_not_found(request: Request) -> Response:
    """The Anthropic API's 404 for a path it does not serve."""
    return anthropic_error(request, EmulatorError("not_found_error", "Not Found"))


ANTHROPIC = Wire(
    provider="anthropic",
    prefixes=("/",),
    routes=anthropic_routes,
    render_error=anthropic_error,
    not_found=anthropic_not_found,
    envelope_rules=HEADER_ENVELOPES,
    # The rate-limit headers are documented for the Claude API itself, not for the clouds
    # that serve Claude (https://docs.claude.com/en/api/rate-limits#response-headers).
    rate_limit_headers=True,
)
"""The first-party API; it answers every path no other wire owns."""
