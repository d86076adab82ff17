"""Upstream modes: the environment that points every provider in the proxy config somewhere."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from compat.proxy import env_names as env


class Upstream(StrEnum):
    """Where the proxy sends requests: compat's emulator, or the real providers."""

    emulated = "emulated"
    live = "live"


@dataclass(frozen=True)
class ProxyEnvironment:
    """The variables the proxy config reads, split so a runtime can place files and hide secrets."""

    values: dict[str, str]
    """Plain variables, passed as they are."""
    files: dict[str, Path] = field(default_factory=dict)
    """Variables naming a file on this machine (a container sees it mounted elsewhere)."""
    secrets: frozenset[str] = frozenset()
    """Values that must never be shown."""

    def for_host(self) -> dict[str, str]:
        """Every variable with file paths as they are on this machine."""
        return {**self.values, **{name: str(path) for name, path in self.files.items()}}


# Variables whose value is a credential, wherever it came from.
SECRET_NAMES: tuple[str, ...] = (
    env.ANTHROPIC_API_KEY,
    env.AWS_ACCESS_KEY_ID,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    env.AWS_BEARER_TOKEN_BEDROCK,
    env.AZURE_FOUNDRY_API_KEY,
)

EMULATED_AWS_REGION = "us-east-1"
EMULATED_VERTEX_PROJECT = "compat-emulated"
EMULATED_VERTEX_LOCATION = "us-east5"


def _token(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def emulated_environment(emulator_url: str, vertex_credentials: Path) -> ProxyEnvironment:
    """Every provider at the emulator, with fresh well-formed fake credentials per boot."""
    base = emulator_url.rstrip("/")
    values = {
        env.ANTHROPIC_API_BASE: base,
        env.ANTHROPIC_API_KEY: "sk-ant-api03-" + secrets.token_urlsafe(48),
        env.BEDROCK_RUNTIME_ENDPOINT: base,
        # The shapes AWS issues (access key ids: AKIA + 16 base32 characters), so a proxy
        # that validates them sees nothing odd.
        env.AWS_ACCESS_KEY_ID: "AKIA" + _token(string.ascii_uppercase + "234567", 16),
        env.AWS_SECRET_ACCESS_KEY: _token(string.ascii_letters + string.digits + "+/", 40),
        env.AWS_REGION: EMULATED_AWS_REGION,
        env.VERTEXAI_PROJECT: EMULATED_VERTEX_PROJECT,
        env.VERTEXAI_LOCATION: EMULATED_VERTEX_LOCATION,
        env.VERTEX_API_BASE: base,
        env.AZURE_FOUNDRY_API_BASE: f"{base}/anthropic",
        env.AZURE_FOUNDRY_API_KEY: secrets.token_hex(32),
    }
    return ProxyEnvironment(
        values=values,
        files={env.GOOGLE_APPLICATION_CREDENTIALS: vertex_credentials},
        secrets=frozenset(values[name] for name in SECRET_NAMES if name in values),
    )


# Live-mode credentials: a provider is ready when every variable of one alternative is set.
LIVE_REQUIREMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "anthropic": ((env.ANTHROPIC_API_KEY,),),
    "bedrock_invoke": (
        (env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_REGION),
        (env.AWS_BEARER_TOKEN_BEDROCK, env.AWS_REGION),
    ),
    "vertex_ai": (
        (env.VERTEXAI_PROJECT, env.VERTEXAI_LOCATION, env.GOOGLE_APPLICATION_CREDENTIALS),
    ),
    "azure": ((env.AZURE_FOUNDRY_API_BASE, env.AZURE_FOUNDRY_API_KEY),),
}
LIVE_REQUIREMENTS["bedrock_converse"] = LIVE_REQUIREMENTS["bedrock_invoke"]

# Every variable live mode reads from the user, in a stable order.
LIVE_VARIABLES: tuple[str, ...] = (
    env.ANTHROPIC_API_BASE,
    env.ANTHROPIC_API_KEY,
    env.BEDROCK_RUNTIME_ENDPOINT,
    env.AWS_ACCESS_KEY_ID,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    env.AWS_REGION,
    env.AWS_BEARER_TOKEN_BEDROCK,
    env.VERTEXAI_PROJECT,
    env.VERTEXAI_LOCATION,
    env.GOOGLE_APPLICATION_CREDENTIALS,
    env.VERTEX_API_BASE,
    env.AZURE_FOUNDRY_API_BASE,
    env.AZURE_FOUNDRY_API_KEY,
)


class CredentialStatus(BaseModel):
    """Whether live credentials for one provider are present; names only, never values."""

    provider: str
    ready: bool
    present: list[str]
    missing: list[str]
    problem: str | None = None


def _set(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def credential_status(provider_id: str, environ: Mapping[str, str]) -> CredentialStatus:
    """Check one provider's live variables in `environ`."""
    alternatives = LIVE_REQUIREMENTS.get(provider_id, ())
    names = list(dict.fromkeys(name for alt in alternatives for name in alt))
    present = [name for name in names if _set(environ, name)]
    ready_alternative = next(
        (alt for alt in alternatives if all(_set(environ, name) for name in alt)), None
    )
    # Report what is missing from the alternative closest to complete.
    closest = max(alternatives, key=lambda alt: sum(_set(environ, n) for n in alt), default=())
    missing = [name for name in closest if not _set(environ, name)]
    problem = None
    credentials = environ.get(env.GOOGLE_APPLICATION_CREDENTIALS, "")
    if provider_id == "vertex_ai" and credentials and not Path(credentials).is_file():
        problem = f"{env.GOOGLE_APPLICATION_CREDENTIALS} names a file that does not exist"
    return CredentialStatus(
        provider=provider_id,
        ready=ready_alternative is not None and problem is None,
        present=present,
        missing=missing,
        problem=problem,
    )


def _default_endpoints(environ: Mapping[str, str]) -> dict[str, str]:
    """The real services' endpoints, derived from the user's region and location."""
    endpoints = {env.ANTHROPIC_API_BASE: "https://api.anthropic.com"}
    region = environ.get(env.AWS_REGION) or environ.get("AWS_DEFAULT_REGION")
    if region:
        endpoints[env.BEDROCK_RUNTIME_ENDPOINT] = f"https://bedrock-runtime.{region}.amazonaws.com"
    location = environ.get(env.VERTEXAI_LOCATION)
    if location:
        # https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/use-partner-models
        host = "aiplatform.googleapis.com"
        endpoints[env.VERTEX_API_BASE] = (
            f"https://{host}" if location == "global" else f"https://{location}-{host}"
        )
    return endpoints


def live_environment(environ: Mapping[str, str] | None = None) -> ProxyEnvironment:
    """The user's credentials, plus the real endpoints for any the user did not override."""
    source = os.environ if environ is None else environ
    values = _default_endpoints(source)
    values.update({name: source[name] for name in LIVE_VARIABLES if _set(source, name)})
    if env.AWS_REGION not in values and _set(source, "AWS_DEFAULT_REGION"):
        values[env.AWS_REGION] = source["AWS_DEFAULT_REGION"]
    files: dict[str, Path] = {}
    credentials = values.pop(env.GOOGLE_APPLICATION_CREDENTIALS, None)
    if credentials:
        files[env.GOOGLE_APPLICATION_CREDENTIALS] = Path(credentials).expanduser().resolve()
    return ProxyEnvironment(
        values=values,
        files=files,
        secrets=frozenset(values[name] for name in SECRET_NAMES if name in values),
    )
