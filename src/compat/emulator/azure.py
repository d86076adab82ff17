"""Azure AI Foundry's Anthropic endpoint: the Messages API under `/anthropic/v1/`.

Foundry serves the same Messages API as Anthropic at
`https://{resource}.services.ai.azure.com/anthropic/v1/*`, authenticated by an API key
in `api-key` or `x-api-key`, or by a Microsoft Entra ID bearer token.
Source: https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry
(the `AnthropicFoundry` client in the anthropic SDK sends both key headers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.anthropic import anthropic_error, messages_routes, note_error
from compat.emulator.types import EmulatorError

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

FOUNDRY_KEY_HEADERS = ("api-key", "x-api-key")

# Azure's gateway answers a missing or wrong key itself, in Azure AI services' shape.
# Source: https://learn.microsoft.com/en-us/archive/blogs/kwill/http-401-access-denied-when-calling-azure-cognitive-services-apis
AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


def azure_error(
    request: Request,
    error: EmulatorError,
    *,
    status: int | None = None,
    retry_after_s: int | None = None,
) -> Response:
    """Foundry errors: Azure's shape for authentication, Anthropic's for everything else."""
    # Claude in Foundry runs on Anthropic's Messages API behind Azure's gateway, so model
    # and validation errors are Anthropic's own (source: module docstring).
    if error.kind != "authentication_error":
        return anthropic_error(request, error, status=status, retry_after_s=retry_after_s)
    note_error(request, error)
    return JSONResponse({"error": {"code": "401", "message": AZURE_ACCESS_DENIED}}, status_code=401)


def azure_routes(ctx: EmulatorContext) -> list[Route]:
    """`POST /anthropic/v1/messages` and `POST /anthropic/v1/messages/count_tokens`."""
    return messages_routes(
        ctx,
        prefix="/anthropic/v1",
        provider="azure",
        key_headers=FOUNDRY_KEY_HEADERS,
        render_error=azure_error,
    )
