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

from compat.emulator.anthropic import HEADER_ENVELOPES
from compat.emulator.messages_api import anthropic_error, messages_routes
from compat.emulator.recorder import note_error
from compat.emulator.types import EmulatorError
from compat.emulator.wire import Wire

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


def azure_error(request: Request, error: EmulatorError) -> Response:
    """Foundry errors: Azure's shape for authentication, Anthropic's for everything else."""
    # Claude in Foundry runs on Anthropic's Messages API behind Azure's gateway, so model
    # and validation errors are Anthropic's own (source: module docstring).
    if error.kind != "authentication_error":
        return anthropic_error(request, error)
    note_error(request, error.kind, error.message)
    return JSONResponse({"error": {"code": "401", "message": AZURE_ACCESS_DENIED}}, status_code=401)


def azure_not_found(request: Request) -> Response:
    """Azure AI services' 404 for a path under `/anthropic/` that Foundry does not serve."""
    # Source: Azure AI services' 404 body, https://learn.microsoft.com/en-us/azure/ai-services/openai/reference
    return JSONResponse(
        {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
    )


def azure_routes(ctx: EmulatorContext) -> list[Route]:
    """`POST /anthropic/v1/messages` and `POST /anthropic/v1/messages/count_tokens`."""
    return messages_routes(ctx, AZURE, under="/anthropic/v1", key_headers=FOUNDRY_KEY_HEADERS)


# Foundry "uses the same Messages API", envelope included (source: module docstring).
AZURE = Wire(
    provider="azure",
    prefixes=("/anthropic/",),
    routes=azure_routes,
    render_error=azure_error,
    not_found=azure_not_found,
    envelope_rules=HEADER_ENVELOPES,
)
