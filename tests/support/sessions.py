"""Proxy sessions for tests that drive the real claude: the emulator takes its client's sends."""

from __future__ import annotations

import functools
from pathlib import Path

from compat.emulator.rules import RuleBook
from compat.manifest import load_manifest
from compat.oracle import client_rules
from compat.proxy.lifecycle import ProxySession, ProxySettings

REPO = Path(__file__).resolve().parents[2]
PROXY_CONFIG = REPO / "proxy_config.yaml"
BOOT_TIMEOUT_S = 180.0


@functools.cache
def installed_client_rules() -> RuleBook:
    """The rules `compat run` uses with the installed claude (its oracle is cached on disk)."""
    return client_rules(load_manifest(REPO / "manifest.yaml"))


def emulated_session(settings: ProxySettings | None = None) -> ProxySession:
    """The embedded default (every provider emulated behind a local LiteLLM), or `settings`."""
    settings = settings or ProxySettings(config=PROXY_CONFIG, timeout=BOOT_TIMEOUT_S)
    return ProxySession(settings, emulator_rules=installed_client_rules())
