"""The probe registry: one module per feature, each registering a `Probe` by feature id."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from compat.probes.base import Probe

ProbeT = TypeVar("ProbeT", bound=type[Probe])

PROBES: dict[str, Probe] = {}

# Every other module of this package is one probe, named after its feature id.
SUPPORT_MODULES = frozenset({"base", "prompts", "media", "prompt_caching", "wire", "contract"})


def register(cls: ProbeT) -> ProbeT:
    """Class decorator: make the probe available under its `feature_id`."""
    if cls.feature_id in PROBES:
        raise ValueError(f"two probes for feature {cls.feature_id!r}")
    PROBES[cls.feature_id] = cls()
    return cls


def load_probes() -> dict[str, Probe]:
    """Import every probe module (each registers itself); the registry by feature id."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in SUPPORT_MODULES:
            importlib.import_module(f"{__name__}.{module.name}")
    return PROBES
