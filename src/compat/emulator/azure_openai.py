"""Azure OpenAI in Foundry: the Responses and Chat Completions APIs under `/openai/`.

Routes: `POST /openai/responses?api-version=...` (the model field names the deployment),
`POST /openai/deployments/{deployment}/chat/completions?api-version=...`, and the v1 API's
`POST /openai/v1/responses` and `POST /openai/v1/chat/completions`, which need no
api-version. Credentials: an `api-key` header or a Microsoft Entra ID bearer token.
A deployment exists when its name names a GPT-5.6 tier (`gpt-5.6-sol`, ...); any other
is Azure's 404 DeploymentNotFound. Model and validation errors keep OpenAI's error body;
the gateway's own refusals (key, api-version, path, deployment) have Azure's
`{"error": {"code", "message"}}`.
Sources: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference ,
https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle ,
https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/responses .
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.azure import AZURE_ACCESS_DENIED
from compat.emulator.capabilities import GPT_TIERS, tier_of
from compat.emulator.openai_api import bearer_token
from compat.emulator.openai_chat import chat_completions
from compat.emulator.openai_errors import openai_error
from compat.emulator.openai_responses import parse_openai_json, serve_responses
from compat.emulator.recorder import note_error
from compat.emulator.types import EmulatorError
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

# Data-plane inference api-versions: the GA and preview releases the reference lists.
# Source: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle
INFERENCE_API_VERSIONS = frozenset(
    {
        "2024-02-01",
        "2024-06-01",
        "2024-10-21",
        "2024-02-15-preview",
        "2024-03-01-preview",
        "2024-04-01-preview",
        "2024-05-01-preview",
        "2024-07-01-preview",
        "2024-08-01-preview",
        "2024-09-01-preview",
        "2024-10-01-preview",
        "2024-12-01-preview",
        "2025-01-01-preview",
        "2025-02-01-preview",
        "2025-03-01-preview",
        "2025-04-01-preview",
    }
)
# The Responses API arrived with 2025-03-01-preview.
# Source: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/responses
RESPONSES_API_VERSIONS = frozenset({"2025-03-01-preview", "2025-04-01-preview"})
# The v1 API takes no api-version, or `preview`/`latest` for preview features.
# Source: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle
V1_API_VERSIONS = frozenset({"preview", "latest"})

DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment "
    "within the last 5 minutes, please wait a moment and try again."
)


class AzureGatewayError(EmulatorError):
    """A refusal by Azure's gateway itself, in Azure's `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        kind = {401: "authentication_error", 404: "not_found_error"}.get(
            status, "invalid_request_error"
        )
        super().__init__(kind, message, status=status)  # type: ignore[arg-type]
        self.code = code


def azure_openai_error(request: Request, error: EmulatorError) -> Response:
    """Azure's shape for the gateway's refusals, OpenAI's for the model's."""
    if isinstance(error, AzureGatewayError):
        note_error(request, error.kind, error.message)
        body = {"error": {"code": error.code, "message": error.message}}
        return JSONResponse(body, status_code=error.status)
    if error.kind == "authentication_error":
        # Source: https://learn.microsoft.com/en-us/archive/blogs/kwill/http-401-access-denied-when-calling-azure-cognitive-services-apis
        return azure_openai_error(request, AzureGatewayError(401, "401", AZURE_ACCESS_DENIED))
    return openai_error(request, error)


def _resource_not_found() -> AzureGatewayError:
    # A path, or an api-version, the resource does not serve: 404 "Resource not found"
    # (observed: https://qiita.com/baku2san/items/f0568e527cf57dd40dea for an unknown
    # api-version; the reference makes api-version a required query parameter).
    return AzureGatewayError(404, "404", "Resource not found")


def azure_openai_not_found(request: Request) -> Response:
    return azure_openai_error(request, _resource_not_found())


def _has_credentials(request: Request) -> bool:
    """An `api-key` header or an Entra ID bearer token (reference: Authentication)."""
    return bool(request.headers.get("api-key", "").strip()) or bearer_token(request) is not None


def _check_gateway(request: Request, versions: frozenset[str], *, optional: bool) -> None:
    """The gateway's own checks: credentials, then the route's api-version."""
    if not _has_credentials(request):
        raise AzureGatewayError(401, "401", AZURE_ACCESS_DENIED)
    _check_api_version(request, versions, optional=optional)


async def _check_body_deployment(request: Request) -> Any:
    """The parsed body, whose model (where it has one) names the deployment."""
    payload = parse_openai_json(await request.body())
    if isinstance(payload, dict) and "model" in payload:
        _check_deployment(payload["model"])
    return payload


def _check_api_version(request: Request, allowed: frozenset[str], *, optional: bool) -> None:
    version = request.query_params.get("api-version")
    if version is None:
        if optional:
            return
        raise _resource_not_found()
    if version in allowed:
        return
    if version in INFERENCE_API_VERSIONS:
        # A real version that does not serve this operation.
        raise AzureGatewayError(400, "BadRequest", "API version not supported")
    raise _resource_not_found()


def _check_deployment(name: Any) -> None:
    """A deployment exists when it names a GPT-5.6 tier; else 404 DeploymentNotFound."""
    # Source: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference
    # (deployment-id names the deployment; an unknown one is DeploymentNotFound, e.g.
    # https://learn.microsoft.com/en-us/answers/questions/1189174/how-do-i-resolve-error-deploymentnotfound-for-azur).
    if isinstance(name, str) and tier_of(name) in GPT_TIERS:
        return
    raise AzureGatewayError(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND)


def azure_openai_routes(ctx: EmulatorContext) -> list[Route]:
    """The deployment-scoped, api-versioned routes and the v1 routes."""

    def responses(*, v1: bool):  # type: ignore[no-untyped-def]
        async def handle(request: Request) -> Response:
            try:
                if v1:
                    _check_gateway(request, V1_API_VERSIONS, optional=True)
                else:
                    _check_gateway(request, RESPONSES_API_VERSIONS, optional=False)
                payload = await _check_body_deployment(request)
            except EmulatorError as exc:
                return azure_openai_error(request, exc)
            return await serve_responses(
                request,
                ctx,
                provider="azure_openai",
                render_error=azure_openai_error,
                body=payload,
            )

        return handle

    async def deployment_chat(request: Request) -> Response:
        deployment = request.path_params["deployment"]
        try:
            _check_gateway(request, INFERENCE_API_VERSIONS, optional=False)
            _check_deployment(deployment)
        except EmulatorError as exc:
            return azure_openai_error(request, exc)
        return await chat_completions(ctx, request, provider="azure_openai", model=deployment)

    async def v1_chat(request: Request) -> Response:
        try:
            _check_gateway(request, V1_API_VERSIONS, optional=True)
            # On the v1 API the body's model names the deployment.
            await _check_body_deployment(request)
        except EmulatorError as exc:
            return azure_openai_error(request, exc)
        return await chat_completions(ctx, request, provider="azure_openai", model=None)

    # No `/openai/v1/responses/input_tokens` or `/openai/responses/input_tokens` route: no
    # Azure document lists the input-token count (searched: the Azure OpenAI reference, the
    # v1 API and Responses how-to pages, "Azure OpenAI responses input_tokens" in docs and
    # issues), and live calls on the v1 endpoint got a 404 "Unknown request URL: POST
    # /v1/responses/input_tokens" (https://github.com/openai/openai-dotnet/issues/1165 ,
    # https://github.com/UKGovernmentBEIS/inspect_ai/issues/3371). Such a path gets this
    # wire's ordinary 404.
    return [
        Route("/openai/responses", responses(v1=False), methods=["POST"]),
        Route("/openai/v1/responses", responses(v1=True), methods=["POST"]),
        Route(
            "/openai/deployments/{deployment}/chat/completions", deployment_chat, methods=["POST"]
        ),
        Route("/openai/v1/chat/completions", v1_chat, methods=["POST"]),
    ]


AZURE_OPENAI = Wire(
    provider="azure_openai",
    prefixes=("/openai/",),
    routes=azure_openai_routes,
    render_error=azure_openai_error,
    not_found=azure_openai_not_found,
)
