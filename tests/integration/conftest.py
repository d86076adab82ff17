"""Fixtures of the real chain: the manifest and one booted proxy (emulator + LiteLLM) per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.manifest import Manifest, load_manifest
from compat.proxy.lifecycle import ProxySession
from support.sessions import emulated_session

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(ROOT / "manifest.yaml")


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxySession]:
    with emulated_session() as session:
        yield session
