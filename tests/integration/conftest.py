"""Fixtures of the real chain: the manifest and one booted proxy (emulator + LiteLLM) per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.manifest import Manifest, load_manifest
from compat.proxy.lifecycle import ProxySession, ProxySettings

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(ROOT / "manifest.yaml")


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxySession]:
    with ProxySession(ProxySettings(config=ROOT / "proxy_config.yaml", timeout=180)) as session:
        yield session
