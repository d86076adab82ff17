"""The probe registry: one module per feature, each registering a `Probe` by feature id."""

from __future__ import annotations

import importlib
from typing import TypeVar

from compat.probes.base import Probe

ProbeT = TypeVar("ProbeT", bound=type[Probe])

PROBES: dict[str, Probe] = {}

# Module names equal feature ids; importing one registers its probe.
PROBE_MODULES = (
    "basic_messaging_non_streaming",
    "basic_messaging_streaming",
    "tool_use",
    "prompt_caching_5m",
    "vision",
    "thinking",
    "tool_use_streaming",
    "thinking_with_tool_use",
    "pdf_input",
    "prompt_caching_1h",
    "web_search",
    "structured_outputs",
    "count_tokens",
    "tool_search",
    "long_context_1m",
)


def register(cls: ProbeT) -> ProbeT:
    """Class decorator: make the probe available under its `feature_id`."""
    if cls.feature_id in PROBES:
        raise ValueError(f"two probes for feature {cls.feature_id!r}")
    PROBES[cls.feature_id] = cls()
    return cls


def load_probes() -> dict[str, Probe]:
    for name in PROBE_MODULES:
        importlib.import_module(f"compat.probes.{name}")
    return PROBES
