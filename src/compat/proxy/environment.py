"""Upstream modes: the environment that points every provider in the proxy config somewhere."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel

from compat.proxy import env_names as env
from compat.proxy.config import ProxyConfig, deployment_api_base_variable


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
    env.AZURE_API_KEY,
    env.OPENAI_API_KEY,
    env.AZURE_OPENAI_API_KEY,
)

# Azure OpenAI's Responses API is served at this version (and the v1 API's preview).
# Source: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/responses
DEFAULT_AZURE_OPENAI_API_VERSION = "2025-04-01-preview"

EMULATED_AWS_REGION = "us-east-1"
EMULATED_VERTEX_PROJECT = "compat-emulated"
EMULATED_VERTEX_LOCATION = "us-east5"


def _token(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class VertexUrlStyle(StrEnum):
    """What a LiteLLM release does with a Vertex deployment's `api_base` on `/v1/messages`.

    Read in each release's `VertexAIPartnerModelsAnthropicMessagesConfig.
    validate_anthropic_messages_environment` and `VertexBase._check_custom_proxy`
    (litellm/llms/vertex_ai/), bisected over the PyPI wheels 1.83.0-1.106.2. Observed: with a
    bare-host api_base, LiteLLM 1.83.14 and 1.90.0 sent `POST /` to the emulator (404
    `Not Found`), which Claude Code shows as "API error 404: There's an issue with the selected
    model"; 1.90.0's router then cooled the deployment down: "429 No deployments available".
    """

    full_url = "full_url"
    """1.83.0-1.90.x: the api_base *is* the request URL, sent verbatim for streaming and
    non-streaming alike, so it is `.../publishers/anthropic/models/{model}:rawPredict`: these
    releases ask real Vertex for a stream the same way, by `stream: true` in the body."""
    model_path = "model_path"
    """1.91.0-1.92.x: `{api_base}:{rawPredict|streamRawPredict}` (+ `?alt=sse`), so the
    api_base is `.../publishers/anthropic/models/{model}`."""
    host = "host"
    """1.93.0 on: a bare scheme://host api_base gets Vertex's own `/v1/projects/...` path."""


def vertex_url_style(litellm_version: str) -> VertexUrlStyle:
    """The api_base form `litellm_version` needs; an unparsable version gets the newest form."""
    try:
        release = Version(litellm_version).release
    except InvalidVersion:
        return VertexUrlStyle.host
    if release < (1, 91):
        return VertexUrlStyle.full_url
    if release < (1, 93):
        return VertexUrlStyle.model_path
    return VertexUrlStyle.host


def vertex_api_base(
    style: VertexUrlStyle, base: str, *, project: str, location: str, model: str
) -> str:
    """One deployment's api_base in `style`, for the Vertex API at `base` (scheme://host)."""
    base = base.rstrip("/")
    if style is VertexUrlStyle.host:
        return base
    # https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
    path = f"{base}/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}"
    return f"{path}:rawPredict" if style is VertexUrlStyle.full_url else path


_VERTEX_PREFIX = "vertex_ai/"
_ENV_REFERENCE = "os.environ/"


def vertex_deployment_api_bases(
    config: ProxyConfig, style: VertexUrlStyle, base: str, *, project: str, location: str
) -> dict[str, str]:
    """The per-deployment api_base variables `config` names, filled in for `style`.

    Only Vertex entries whose api_base is `os.environ/<deployment_api_base_variable(alias)>`
    are filled; a hand-written config keeping `os.environ/COMPAT_VERTEX_API_BASE` still works
    with the releases that take a bare host.
    """
    values: dict[str, str] = {}
    for entry in config.model_list:
        params = entry.litellm_params
        name = deployment_api_base_variable(entry.model_name)
        if params.model.startswith(_VERTEX_PREFIX) and params.api_base == _ENV_REFERENCE + name:
            model = params.model.removeprefix(_VERTEX_PREFIX)
            values[name] = vertex_api_base(
                style, base, project=project, location=location, model=model
            )
    return values


def passthrough_variables(values: Mapping[str, str]) -> dict[str, str]:
    """The pass-through routes' own variables, given the model list's endpoints and keys."""
    out: dict[str, str] = {}
    if env.ANTHROPIC_API_BASE in values:
        out[env.PASSTHROUGH_ANTHROPIC_API_BASE] = values[env.ANTHROPIC_API_BASE]
    foundry = values.get(env.AZURE_FOUNDRY_API_BASE)
    if foundry and env.AZURE_FOUNDRY_API_KEY in values:
        # `/azure/{path}` is appended to the resource root; Claude Code's Foundry mode asks
        # for `/anthropic/v1/messages` below it.
        out[env.AZURE_API_BASE] = foundry.rstrip("/").removesuffix("/anthropic")
        out[env.AZURE_API_KEY] = values[env.AZURE_FOUNDRY_API_KEY]
    for source, target in (
        (env.VERTEXAI_PROJECT, env.DEFAULT_VERTEXAI_PROJECT),
        (env.VERTEXAI_LOCATION, env.DEFAULT_VERTEXAI_LOCATION),
    ):
        if source in values:
            out[target] = values[source]
    return out


def emulated_environment(
    emulator_url: str,
    vertex_credentials: Path,
    *,
    config: ProxyConfig,
    litellm_version: str,
    tls_front: tuple[str, Path] | None = None,
) -> ProxyEnvironment:
    """Every provider at the emulator, with fresh well-formed fake credentials per boot.

    `config` and `litellm_version` decide the per-deployment Vertex api_base variables;
    `tls_front` (its URL and CA file) is where the proxy reaches hosts it names itself.
    """
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
        env.OPENAI_API_BASE: f"{base}/v1",
        env.OPENAI_API_KEY: "sk-proj-" + secrets.token_urlsafe(48),
        env.AZURE_OPENAI_API_BASE: base,
        env.AZURE_OPENAI_API_KEY: secrets.token_hex(32),
        env.AZURE_OPENAI_API_VERSION: DEFAULT_AZURE_OPENAI_API_VERSION,
        # The emulator serves Mantle under its own prefix; the real one is a host of its own.
        env.BEDROCK_MANTLE_API_BASE: f"{base}/mantle",
    }
    values.update(
        vertex_deployment_api_bases(
            config,
            vertex_url_style(litellm_version),
            base,
            project=EMULATED_VERTEX_PROJECT,
            location=EMULATED_VERTEX_LOCATION,
        )
    )
    values.update(passthrough_variables(values))
    files = {
        env.GOOGLE_APPLICATION_CREDENTIALS: vertex_credentials,
        env.DEFAULT_GOOGLE_APPLICATION_CREDENTIALS: vertex_credentials,
    }
    if tls_front is not None:
        front_url, ca_file = tls_front
        values[env.HTTPS_PROXY] = front_url
        # The emulator itself and the proxy's own health checks stay direct.
        values[env.NO_PROXY] = "127.0.0.1,localhost,::1"
        files[env.SSL_CERT_FILE] = ca_file
    return ProxyEnvironment(
        values=values,
        files=files,
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
    "openai": ((env.OPENAI_API_KEY,),),
    "azure_openai": ((env.AZURE_OPENAI_API_BASE, env.AZURE_OPENAI_API_KEY),),
}
LIVE_REQUIREMENTS["bedrock_converse"] = LIVE_REQUIREMENTS["bedrock_invoke"]
LIVE_REQUIREMENTS["bedrock_mantle"] = LIVE_REQUIREMENTS["bedrock_invoke"]

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
    env.OPENAI_API_BASE,
    env.OPENAI_API_KEY,
    env.AZURE_OPENAI_API_BASE,
    env.AZURE_OPENAI_API_KEY,
    env.AZURE_OPENAI_API_VERSION,
    env.BEDROCK_MANTLE_API_BASE,
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
    endpoints = {
        env.ANTHROPIC_API_BASE: "https://api.anthropic.com",
        # https://platform.openai.com/docs/api-reference/introduction
        env.OPENAI_API_BASE: "https://api.openai.com/v1",
        env.AZURE_OPENAI_API_VERSION: DEFAULT_AZURE_OPENAI_API_VERSION,
    }
    region = environ.get(env.AWS_REGION) or environ.get("AWS_DEFAULT_REGION")
    if region:
        endpoints[env.BEDROCK_RUNTIME_ENDPOINT] = f"https://bedrock-runtime.{region}.amazonaws.com"
        # https://docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html
        endpoints[env.BEDROCK_MANTLE_API_BASE] = f"https://bedrock-mantle.{region}.api.aws"
    location = environ.get(env.VERTEXAI_LOCATION)
    if location:
        # https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/use-partner-models
        host = "aiplatform.googleapis.com"
        endpoints[env.VERTEX_API_BASE] = (
            f"https://{host}" if location == "global" else f"https://{location}-{host}"
        )
    return endpoints


def _live_vertex_api_bases(
    config: ProxyConfig, litellm_version: str, values: Mapping[str, str], user_base: bool
) -> dict[str, str]:
    """Per-deployment Vertex api_bases from the user's project, location and endpoint."""
    style = vertex_url_style(litellm_version)
    project, location = values.get(env.VERTEXAI_PROJECT), values.get(env.VERTEXAI_LOCATION)
    base = values.get(env.VERTEX_API_BASE)
    # Releases that need a full URL get none when the user has no gateway: unset, LiteLLM
    # builds Google's URLs itself, for count-tokens too (which a per-model URL would break).
    if not (project and location and base) or (style is not VertexUrlStyle.host and not user_base):
        return {}
    return vertex_deployment_api_bases(config, style, base, project=project, location=location)


def live_environment(
    environ: Mapping[str, str] | None = None, *, config: ProxyConfig, litellm_version: str
) -> ProxyEnvironment:
    """The user's credentials, plus the real endpoints for any the user did not override."""
    source = os.environ if environ is None else environ
    values = _default_endpoints(source)
    values.update({name: source[name] for name in LIVE_VARIABLES if _set(source, name)})
    if env.AWS_REGION not in values and _set(source, "AWS_DEFAULT_REGION"):
        values[env.AWS_REGION] = source["AWS_DEFAULT_REGION"]
    values.update(
        _live_vertex_api_bases(
            config, litellm_version, values, user_base=_set(source, env.VERTEX_API_BASE)
        )
    )
    values.update(passthrough_variables(values))
    files: dict[str, Path] = {}
    credentials = values.pop(env.GOOGLE_APPLICATION_CREDENTIALS, None)
    if credentials:
        path = Path(credentials).expanduser().resolve()
        files[env.GOOGLE_APPLICATION_CREDENTIALS] = path
        files[env.DEFAULT_GOOGLE_APPLICATION_CREDENTIALS] = path
    return ProxyEnvironment(
        values=values,
        files=files,
        secrets=frozenset(values[name] for name in SECRET_NAMES if name in values),
    )
