"""Faults on demand: the next N requests of a provider fail in that provider's own way.

A `FaultPlan` is set over `POST /_emulator/faults` or from Python. Each wire asks it
for a fault once per request (`take`) and renders what it gets in its own shape: an
Anthropic 529 `overloaded_error`, a Vertex `RESOURCE_EXHAUSTED`, a Bedrock
`ThrottlingException` (through `Fault.bedrock_error`), a stream cut mid-message, a
garbage frame, or a reply whose thinking blocks were dropped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compat.emulator.types import EmulatorError, ErrorKind, ModelReply, ProviderId

FaultKind = Literal["status", "slow_first_byte", "cut_stream", "malformed_frame", "drop_thinking"]
FaultStatus = Literal[429, 500, 503, 529]

# The Anthropic error type behind each fault status.
# Source: https://docs.claude.com/en/api/errors (429 rate_limit_error, 500 api_error,
# 529 overloaded_error); 503 is how an overloaded upstream looks through most gateways.
_KIND_BY_STATUS: dict[int, ErrorKind] = {
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
_MESSAGE_BY_KIND: dict[str, str] = {
    "rate_limit_error": (
        "This request would exceed your organization's rate limit. Please try again later."
    ),
    "api_error": "Internal server error",
    "overloaded_error": "Overloaded",
}


class FaultSpec(BaseModel):
    """What `POST /_emulator/faults` accepts: which requests fail, how, and how many."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderId | Literal["*"]
    kind: FaultKind
    status: FaultStatus | None = None
    """HTTP status of a `status` fault."""
    delay_s: float = Field(default=2.0, ge=0.0, le=600.0)
    """How long a `slow_first_byte` fault holds the response back."""
    after_events: int = Field(default=3, ge=0)
    """Stream events sent before a `cut_stream` cut or a `malformed_frame` garbage line."""
    retry_after_s: int = Field(default=1, ge=0)
    """`retry-after` seconds advertised by a 429."""
    count: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _status_matches_kind(self) -> Self:
        if self.kind == "status" and self.status is None:
            raise ValueError("a `status` fault needs `status` (429, 500, 503 or 529)")
        if self.kind != "status" and self.status is not None:
            raise ValueError(f"`status` only applies to `status` faults, not `{self.kind}`")
        return self


class ActiveFault(BaseModel):
    """A fault in the plan, with how many more requests it will hit."""

    id: int
    spec: FaultSpec
    remaining: int


@dataclass(frozen=True)
class BedrockFaultError:
    """A fault as Bedrock reports it: status, `x-amzn-ErrorType` and message."""

    status: int
    error_type: str
    message: str


# Bedrock Runtime's documented errors for InvokeModel/Converse.
# Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors
_BEDROCK_BY_STATUS: dict[int, BedrockFaultError] = {
    429: BedrockFaultError(
        429, "ThrottlingException", "Too many requests, please wait before trying again."
    ),
    500: BedrockFaultError(
        500,
        "InternalServerException",
        "The server encountered an internal error while processing the request.",
    ),
    503: BedrockFaultError(
        503,
        "ServiceUnavailableException",
        "The service isn't currently available. Try again later.",
    ),
    # Bedrock has no 529; an overloaded model surfaces as ServiceUnavailableException.
    529: BedrockFaultError(
        503, "ServiceUnavailableException", "Bedrock is unable to process your request."
    ),
}


@dataclass(frozen=True)
class Fault:
    """One fault to apply to the current request."""

    kind: FaultKind
    status: int | None
    delay_s: float
    after_events: int
    retry_after_s: int

    @property
    def error(self) -> EmulatorError:
        """The fault as an Anthropic-kind error with its status (for `status` faults)."""
        status = self.status or 500
        kind = _KIND_BY_STATUS[status]
        retry_after_s = self.retry_after_s if status == 429 else None
        return EmulatorError(
            kind, _MESSAGE_BY_KIND[kind], status=self.status, retry_after_s=retry_after_s
        )

    def apply(self, reply: ModelReply) -> ModelReply:
        """A `drop_thinking` fault answers without its thinking blocks, as a lossy hop would."""
        if self.kind != "drop_thinking":
            return reply
        kept = [b for b in reply.content if b.get("type") not in ("thinking", "redacted_thinking")]
        return reply.model_copy(update={"content": kept})

    def bedrock_error(self) -> BedrockFaultError:
        """The fault as Bedrock's wire reports it; the hook the Bedrock wire renders."""
        return _BEDROCK_BY_STATUS[self.status or 500]


class FaultPlan:
    """Thread-safe list of pending faults, consumed one request at a time."""

    def __init__(self) -> None:
        self._faults: list[ActiveFault] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> ActiveFault:
        """Queue a fault for the next `spec.count` requests of `spec.provider`."""
        with self._lock:
            active = ActiveFault(id=self._next_id, spec=spec, remaining=spec.count)
            self._next_id += 1
            self._faults.append(active)
            return active.model_copy()

    def take(self, provider: ProviderId) -> Fault | None:
        """The oldest pending fault matching `provider`, counted as used; None if none."""
        with self._lock:
            for active in self._faults:
                if active.spec.provider in (provider, "*"):
                    active.remaining -= 1
                    if active.remaining <= 0:
                        self._faults.remove(active)
                    spec = active.spec
                    return Fault(
                        kind=spec.kind,
                        status=spec.status,
                        delay_s=spec.delay_s,
                        after_events=spec.after_events,
                        retry_after_s=spec.retry_after_s,
                    )
        return None

    def pending(self) -> list[ActiveFault]:
        """The faults still waiting to hit, oldest first."""
        with self._lock:
            return [active.model_copy() for active in self._faults]

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()
