"""The state every wire module shares: the model, the recorder, faults, rate limits, Google auth."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from compat.emulator.faults import FaultPlan
from compat.emulator.google_auth import ServiceAccountKeys, TokenRegistry
from compat.emulator.model import Model
from compat.emulator.rate_limits import RateLimits
from compat.emulator.recorder import Recorder
from compat.emulator.rules import DOCUMENTED, RuleBook
from compat.emulator.types import ModelReply, NeutralRequest


class ModelBackend(Protocol):
    """What the wires need from the shared model behaviour."""

    def respond(self, req: NeutralRequest) -> ModelReply:
        """Answer one request or raise the `EmulatorError` the real API would."""
        ...

    def count_tokens(self, req: NeutralRequest) -> int:
        """The input tokens of one request."""
        ...


@dataclass
class EmulatorContext:
    """One emulator's shared state; every wire reads and updates it through this object."""

    rules: RuleBook = DOCUMENTED
    """What each platform accepts: the documented table, plus the client under test's sends."""
    model: ModelBackend = None  # type: ignore[assignment]  # built from `rules` below
    recorder: Recorder = field(default_factory=Recorder)
    faults: FaultPlan = field(default_factory=FaultPlan)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    """The buckets the first-party API's rate-limit headers report."""
    vertex_tokens: TokenRegistry = field(default_factory=TokenRegistry)
    """Access tokens the emulated Google OAuth endpoint issued."""
    service_accounts: ServiceAccountKeys = field(default_factory=ServiceAccountKeys)
    """Public keys of the service accounts the emulator generated."""

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = Model(rules=self.rules)

    def write_service_account(
        self, path: Path, *, token_uri: str, project_id: str = "compat-emulated"
    ) -> Path:
        """Generate a service-account JSON whose tokens this emulator will honour."""
        return self.service_accounts.write_service_account(
            path, token_uri=token_uri, project_id=project_id
        )
