"""Outcomes (a tagged union on `status`), per-tier results and the results file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

RESULTS_SCHEMA_VERSION = "1"


class _Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


class Pass(_Outcome):
    status: Literal["pass"] = "pass"


class Fail(_Outcome):
    status: Literal["fail"] = "fail"
    error: str

    _check_error = field_validator("error")(_non_blank)


class NotApplicable(_Outcome):
    status: Literal["not_applicable"] = "not_applicable"
    reason: str

    _check_reason = field_validator("reason")(_non_blank)


class NotTested(_Outcome):
    status: Literal["not_tested"] = "not_tested"


Outcome = Annotated[Pass | Fail | NotApplicable | NotTested, Field(discriminator="status")]
OUTCOME_ADAPTER: TypeAdapter[Pass | Fail | NotApplicable | NotTested] = TypeAdapter(Outcome)


def parse_outcome(data: Any) -> Pass | Fail | NotApplicable | NotTested:
    """Validate one outcome mapping; raises pydantic.ValidationError on any other shape."""
    return OUTCOME_ADAPTER.validate_python(data)


FailureCause = Literal["proxy_died", "timeout", "refused", "crashed", "judged"]
"""Why a cell failed: the proxy exited; claude ran out of time; an API error answered the
request (the upstream's or the proxy's own); claude or the probe crashed without an answer;
or an answer came and the probe judged it (or the upstream's record) short of the feature."""


class UpstreamRequest(BaseModel):
    """What the upstream saw for one request (secrets already stripped by the recorder)."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    method: str
    path: str
    status: int | None = None
    summary: str | None = None
    body_excerpt: str | None = None


class Evidence(BaseModel):
    """Why a tier got its outcome: usage, upstream requests and a transcript excerpt."""

    model_config = ConfigDict(extra="forbid")

    usage: dict[str, Any] | None = None
    upstream_requests: list[UpstreamRequest] = Field(default_factory=list)
    transcript_excerpt: str | None = None
    exit_code: int | None = None
    attempts: int | None = None
    cause: FailureCause | None = None
    """Why a failed cell failed (None on other outcomes, and in files older than the field)."""
    warnings: list[str] = Field(default_factory=list)
    """Passes that needed help, e.g. upstream refused a request and Claude Code retried."""


class TierResult(BaseModel):
    """The outcome of one (feature, provider, tier) cell."""

    model_config = ConfigDict(extra="forbid")

    feature_id: str
    provider: str
    tier: str
    outcome: Outcome
    duration_ms: int = Field(default=0, ge=0)
    evidence: Evidence = Field(default_factory=Evidence)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.feature_id, self.provider, self.tier)


class ToolVersions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    litellm: str
    claude_code: str
    compat: str | None = None
    litellm_packages: list[str] | None = None
    """`uv pip freeze` of the LiteLLM venv the run used: tells two installs of one release apart."""
    litellm_runtime: str | None = None
    """Where the proxy ran, e.g. `local litellm 1.106.12` or `docker compat-litellm:1.106.12`."""


class ResultsFile(BaseModel):
    """`compat-results.json`: every tier result of one run (or one shard of it)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1"] = RESULTS_SCHEMA_VERSION
    versions: ToolVersions
    upstream: Literal["emulated", "live"]
    started_at: str | None = None
    finished_at: str | None = None
    shard: str | None = None
    emulator_rules: str | None = None
    """Emulated runs: whose sends besides the documented rules the emulator accepted."""
    results: list[TierResult] = Field(default_factory=list)
