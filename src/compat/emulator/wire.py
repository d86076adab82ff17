"""The record each provider wire exports: where it is served, its routes, how it refuses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator.messages_envelope import Endpoint, EnvelopeRules
from compat.emulator.types import EmulatorError, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

ErrorRenderer = Callable[[Request, EmulatorError], Response]
"""Renders a refused request in one wire's error shape."""


@dataclass(frozen=True)
class Wire:
    """One provider's wire: its path prefixes, its routes, its error shapes, its envelope."""

    provider: ProviderId
    """The provider a request under `prefixes` belongs to (unless `operations` names another)."""
    prefixes: tuple[str, ...]
    """Paths this wire owns; the longest matching prefix of a path picks its wire."""
    routes: Callable[[EmulatorContext], list[Route]]
    render_error: ErrorRenderer
    """The wire's error response for a request it refuses."""
    not_found: Callable[[Request], Response]
    """The wire's answer to a path under its prefixes that no route serves."""
    envelope_rules: Mapping[Endpoint, EnvelopeRules] = field(default_factory=dict)
    """Where a Messages body's envelope travels, per endpoint; empty if it carries none."""
    operations: Mapping[str, ProviderId] = field(default_factory=dict)
    """Providers by a path's last segment, where one prefix serves several (Bedrock)."""
    rate_limit_headers: bool = False
    """Whether Messages responses carry the Claude API's rate-limit headers (`rate_limits`)."""

    def provider_for(self, path: str) -> ProviderId:
        """The provider a path of this wire belongs to."""
        return self.operations.get(path.rsplit("/", 1)[-1], self.provider)
