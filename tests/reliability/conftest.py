"""Fixtures the fault suite shares."""

from __future__ import annotations

import pytest

from compat.manifest import Manifest, load_manifest
from reliability.chain import ROOT


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    """The shipped manifest: the axes every selection here is drawn from."""
    return load_manifest(ROOT / "manifest.yaml")
