"""Google OAuth as google-auth uses it: service-account keys, signed assertions, access tokens.

Vertex requests need a bearer token, and only tokens this emulator issued are accepted.
They come from the JWT-bearer grant (RFC 7523) that google-auth runs for a
service-account JSON: the emulator generates that JSON with a real RSA key, its
`token_uri` pointing at the emulator, and verifies the signed assertion against the
public key. No HTTP here; the Vertex wire serves the token endpoint.
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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


def grant_token(
    form: Mapping[str, str], accounts: ServiceAccountKeys, tokens: TokenRegistry
) -> str:
    """The access token a token request earns, or the `OAuthError` refusing it."""
    if form.get("grant_type") != JWT_BEARER_GRANT:
        raise OAuthError(
            "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}"
        )
    if not form.get("assertion"):
        raise OAuthError("invalid_request", "Missing required parameter: assertion")
    verify_assertion(form["assertion"], accounts, time.time())
    return tokens.issue()
