"""Vertex AI wire for Claude: rawPredict, streamRawPredict, count-tokens, and Google OAuth.

Claude on Vertex takes the Messages body with `anthropic_version: "vertex-2023-10-16"`
and the model in the URL, under
`/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:{action}`.
Source: https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai

Requests need a bearer token that `POST /oauth2/token` issued (`google_auth`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.google_auth import TOKEN_LIFETIME_S, OAuthError, grant_token
from compat.emulator.messages_api import anthropic_error, serve_messages
from compat.emulator.messages_decode import parse_beta_header
from compat.emulator.messages_envelope import UNIFIED_API_VERSION, Endpoint, EnvelopeRules
from compat.emulator.recorder import note_error
from compat.emulator.types import EmulatorError
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

VERTEX_VERSION = "vertex-2023-10-16"
VERTEX_VERSIONS = (VERTEX_VERSION, UNIFIED_API_VERSION)

# Vertex: "model is not passed in the request body ... anthropic_version is passed in the
# request body (rather than as a header), and must be set to the value vertex-2023-10-16".
# Source: https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai
# Count-tokens names the model in the body, since its URL has no model segment
# (`.../models/count-tokens:rawPredict`).
# Source: https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens
VERTEX_ENVELOPES: dict[Endpoint, EnvelopeRules] = {
    "messages": EnvelopeRules(model_in_body=False, versions=VERTEX_VERSIONS, version_required=True),
    "count_tokens": EnvelopeRules(stream_in_body=False, versions=VERTEX_VERSIONS),
}

PREDICT_ACTIONS = ("rawPredict", "streamRawPredict")

# google.rpc.Code names for the HTTP statuses Google's front end returns.
# Source: https://cloud.google.com/apis/design/errors#handling_errors
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, message: str, *, stream: bool) -> JSONResponse:
    """Google's error body; streamRawPredict wraps it in a JSON array."""
    # Sources: `{"error": {"code", "message", "status"}}` at
    # https://cloud.google.com/apis/design/errors#http_mapping, and the array form of a
    # streamRawPredict 401 in https://github.com/BerriAI/litellm/issues/18890.
    body: dict[str, Any] = {
        "error": {"code": status, "message": message, "status": _GOOGLE_STATUS[status]}
    }
    return JSONResponse([body] if stream else body, status_code=status)


def _quota_message(model: str) -> str:
    # Source: Vertex's quota error for Claude, e.g. https://github.com/cline/cline/issues/651
    base = model.split("@", 1)[0]
    return (
        "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
        f"with base model: anthropic-{base}. Please submit a quota increase request. "
        "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai."
    )


def _prediction(request: Request) -> tuple[str, str]:
    """The model and the action (`rawPredict`, `streamRawPredict`, ...) a predict URL names."""
    model, _, action = request.path_params.get("target", "").rpartition(":")
    return model, action


def vertex_error(request: Request, error: EmulatorError) -> Response:
    """Vertex errors: Google's front end answers auth, routing and quota; Claude's pass through."""
    # Anthropic's own error JSON reaches the caller unchanged for validation and model
    # errors, e.g. `{"type":"error","error":{"type":"invalid_request_error","message":
    # "output_config: Extra inputs are not permitted"},"request_id":"req_vrtx_..."}`
    # (https://github.com/OpenHands/software-agent-sdk/issues/1630).
    if error.status not in _GOOGLE_STATUS or error.status == 400:
        return anthropic_error(request, error)
    note_error(request, error.kind, error.message)
    model, action = _prediction(request)
    message = _quota_message(model) if error.status == 429 else error.message
    return google_error(error.status, message, stream=action == "streamRawPredict")


def vertex_not_found(request: Request) -> Response:
    """Google's 404 for a path under the Vertex prefixes that no route serves."""
    return google_error(404, f"Requested entity was not found: {request.url.path}", stream=False)


_MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# Source: https://github.com/BerriAI/litellm/issues/18890 (a real Vertex 401 body).
_INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def _credential_error(request: Request, ctx: EmulatorContext) -> EmulatorError | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return EmulatorError("authentication_error", _MISSING_CREDENTIALS)
    if not ctx.vertex_tokens.valid(token.strip()):
        return EmulatorError("authentication_error", _INVALID_CREDENTIALS)
    return None


async def _predict(request: Request, ctx: EmulatorContext) -> Response:
    """`.../publishers/anthropic/models/{model}:rawPredict|streamRawPredict`, and count-tokens."""
    model, action = _prediction(request)
    if action not in PREDICT_ACTIONS or not model:
        path = request.url.path
        return vertex_error(
            request, EmulatorError("not_found_error", f"Requested entity was not found: {path}")
        )
    refused = _credential_error(request, ctx)
    if refused is not None:
        return vertex_error(request, refused)
    counting = model == "count-tokens"
    return await serve_messages(
        request,
        ctx,
        wire=VERTEX,
        endpoint="count_tokens" if counting else "messages",
        model=None if counting else model,
        # Vertex takes beta flags in the `anthropic-beta` header, as the anthropic SDK sends them.
        header_betas=parse_beta_header(request.headers.get("anthropic-beta")),
        # streamRawPredict always streams; rawPredict streams when the body asks for it.
        stream=True if action == "streamRawPredict" else None,
    )


async def _token(request: Request, ctx: EmulatorContext) -> Response:
    """`POST /oauth2/token`: trade a signed service-account assertion for an access token."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        token = grant_token(form, ctx.service_accounts, ctx.vertex_tokens)
    except OAuthError as exc:
        # RFC 6749 section 5.2: https://datatracker.ietf.org/doc/html/rfc6749#section-5.2
        note_error(request, exc.error, exc.description)
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description}, status_code=400
        )
    return JSONResponse(
        {"access_token": token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"}
    )


def vertex_routes(ctx: EmulatorContext) -> list[Route]:
    """The Vertex prediction route and the Google OAuth token endpoint."""

    async def predict(request: Request) -> Response:
        return await _predict(request, ctx)

    async def token(request: Request) -> Response:
        return await _token(request, ctx)

    return [
        Route(
            "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{target}",
            predict,
            methods=["POST"],
        ),
        Route("/oauth2/token", token, methods=["POST"]),
    ]


VERTEX = Wire(
    provider="vertex_ai",
    prefixes=("/v1/projects/", "/oauth2/"),
    routes=vertex_routes,
    render_error=vertex_error,
    not_found=vertex_not_found,
    envelope_rules=VERTEX_ENVELOPES,
)
