"""Shared fixtures: paths to the shipped manifest and samples."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def manifest_path() -> Path:
    return REPO_ROOT / "manifest.yaml"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
