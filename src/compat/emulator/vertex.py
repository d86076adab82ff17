"""Vertex AI wire for Claude: rawPredict, streamRawPredict, count-tokens, and Google OAuth.

Claude on Vertex takes the Messages body with `anthropic_version: "vertex-2023-10-16"`
and the model in the URL, under
`/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:{action}`.
Source: https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai

Requests need a bearer token, and only tokens this emulator issued are accepted. They
come from `POST /oauth2/token`, the JWT-bearer grant (RFC 7523) that google-auth runs
for a service-account JSON: the emulator generates that JSON with a real RSA key, its
`token_uri` pointing here, and verifies the signed assertion against the public key.
Source: https://developers.google.com/identity/protocols/oauth2/service-account#httprest
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator.anthropic import ErrorRenderer, anthropic_error, note_error, serve_messages
from compat.emulator.messages_schema import parse_beta_header
from compat.emulator.types import EmulatorError

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

TOKEN_LIFETIME_S = 3600
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google accepts assertions at most an hour long and tolerates a little clock skew.
# Source: https://developers.google.com/identity/protocols/oauth2/service-account#httprest
_MAX_ASSERTION_LIFETIME_S = 3600
_CLOCK_SKEW_S = 300
# The assertion's audience is Google's token endpoint, whatever `token_uri` the file names
# (google-auth always signs for it); the emulator also accepts its own token URI.
# Source: https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class ServiceAccount:
    """A generated service account: who it is, where it gets tokens, how to check its JWTs."""

    client_email: str
    key_id: str
    token_uri: str
    project_id: str
    public_key: rsa.RSAPublicKey


class ServiceAccountKeys:
    """The service accounts this emulator generated, by private_key_id and by email."""

    def __init__(self) -> None:
        self._by_key_id: dict[str, ServiceAccount] = {}
        self._lock = threading.Lock()

    def register(self, account: ServiceAccount) -> None:
        """Trust JWTs signed by this account's key."""
        with self._lock:
            self._by_key_id[account.key_id] = account

    def find(self, *, key_id: str | None, email: str | None) -> ServiceAccount | None:
        """The account a JWT names, by its `kid` header or else its `iss` claim."""
        with self._lock:
            if key_id is not None:
                return self._by_key_id.get(key_id)
            matches = [a for a in self._by_key_id.values() if a.client_email == email]
        return matches[-1] if matches else None

    def write_service_account(
        self, path: Path, *, token_uri: str, project_id: str = "compat-emulated"
    ) -> Path:
        """Write a Google service-account JSON with a fresh RSA-2048 key, and trust that key."""
        # Field list source: https://cloud.google.com/iam/docs/keys-create-delete (key file).
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        key_id = secrets.token_hex(20)
        email = f"compat-emulator@{project_id}.iam.gserviceaccount.com"
        document = {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**21)).rjust(21, "1"),
            "auth_uri": token_uri,
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email}",
            "universe_domain": "googleapis.com",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds a private key: create it readable by its owner only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        self.register(
            ServiceAccount(
                client_email=email,
                key_id=key_id,
                token_uri=token_uri,
                project_id=project_id,
                public_key=key.public_key(),
            )
        )
        return path


class TokenRegistry:
    """Access tokens the emulated OAuth endpoint issued, with their expiry."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
        """A new opaque access token, valid for `lifetime_s` seconds."""
        token = "ya29.emulated." + secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = time.time() + lifetime_s
        return token

    def valid(self, token: str) -> bool:
        """True for a token this registry issued that has not expired."""
        with self._lock:
            expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.time()


class OAuthError(Exception):
    """A refused token request, reported as RFC 6749 section 5.2 describes."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_assertion(assertion: str, accounts: ServiceAccountKeys, now: float) -> ServiceAccount:
    """Check an RS256 JWT-bearer assertion: signature, issuer, audience and lifetime."""
    # The JWT is decoded here because the runtime dependencies carry no JWT library; the
    # signature itself is checked by `cryptography`. Rules: RFC 7523 section 3
    # (https://datatracker.ietf.org/doc/html/rfc7523#section-3) and Google's service-account
    # flow (source in the module docstring).
    try:
        encoded_header, encoded_claims, encoded_signature = assertion.split(".")
        header = json.loads(_b64url(encoded_header))
        claims = json.loads(_b64url(encoded_claims))
        signature = _b64url(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.")
    if header.get("alg") != "RS256":
        raise OAuthError("invalid_grant", "Invalid JWT: the signing algorithm must be RS256.")
    account = accounts.find(key_id=header.get("kid"), email=claims.get("iss"))
    if account is None:
        raise OAuthError("invalid_grant", "Invalid grant: account not found")
    try:
        account.public_key.verify(
            signature,
            f"{encoded_header}.{encoded_claims}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature as exc:
        raise OAuthError("invalid_grant", "Invalid JWT Signature.") from exc
    if claims.get("iss") != account.client_email:
        raise OAuthError("invalid_grant", "Invalid JWT: the issuer is not the service account.")
    if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, account.token_uri):
        raise OAuthError(
            "invalid_grant",
            f"Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_AUDIENCE}",
        )
    issued, expires = claims.get("iat"), claims.get("exp")
    if (
        not isinstance(issued, int | float)
        or not isinstance(expires, int | float)
        or issued > now + _CLOCK_SKEW_S
        or expires < now - _CLOCK_SKEW_S
        or expires - issued > _MAX_ASSERTION_LIFETIME_S
    ):
        raise OAuthError(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
            "timeframe. Check your iat and exp values in the JWT claim.",
        )
    return account


async def _token(request: Request, ctx: EmulatorContext) -> Response:
    """`POST /oauth2/token`: trade a signed service-account assertion for an access token."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        if form.get("grant_type") != JWT_BEARER_GRANT:
            raise OAuthError(
                "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}"
            )
        if not form.get("assertion"):
            raise OAuthError("invalid_request", "Missing required parameter: assertion")
        verify_assertion(form["assertion"], ctx.service_accounts, time.time())
    except OAuthError as exc:
        request.state.error_kind = exc.error
        request.state.error_message = exc.description
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description}, status_code=400
        )
    token = ctx.vertex_tokens.issue()
    return JSONResponse(
        {"access_token": token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"}
    )


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


def vertex_error_renderer(model: str, *, stream: bool) -> ErrorRenderer:
    """Vertex errors: Google's front end answers auth, routing and quota; Claude's pass through."""
    # Anthropic's own error JSON reaches the caller unchanged for validation and model
    # errors, e.g. `{"type":"error","error":{"type":"invalid_request_error","message":
    # "output_config: Extra inputs are not permitted"},"request_id":"req_vrtx_..."}`
    # (https://github.com/OpenHands/software-agent-sdk/issues/1630).

    def render(
        request: Request,
        error: EmulatorError,
        *,
        status: int | None = None,
        retry_after_s: int | None = None,
    ) -> Response:
        code = status or error.anthropic_status
        if code not in _GOOGLE_STATUS or code == 400:
            return anthropic_error(request, error, status=code)
        note_error(request, error)
        message = _quota_message(model) if code == 429 else error.message
        return google_error(code, message, stream=stream)

    return render


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
    model, _, action = request.path_params["target"].rpartition(":")
    stream = action == "streamRawPredict"
    render = vertex_error_renderer(model, stream=stream)
    if action not in ("rawPredict", "streamRawPredict") or not model:
        path = request.url.path
        return render(
            request, EmulatorError("not_found_error", f"Requested entity was not found: {path}")
        )
    refused = _credential_error(request, ctx)
    if refused is not None:
        return render(request, refused)
    counting = model == "count-tokens"
    return await serve_messages(
        request,
        ctx,
        provider="vertex_ai",
        endpoint="count_tokens" if counting else "messages",
        render_error=render,
        model=None if counting else model,
        # Vertex takes beta flags in the `anthropic-beta` header, as the anthropic SDK sends them.
        header_betas=parse_beta_header(request.headers.get("anthropic-beta")),
        # streamRawPredict always streams; rawPredict streams when the body asks for it.
        stream=True if stream else None,
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
