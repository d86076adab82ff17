"""Shared fixtures: the shipped manifest and samples; children that never outlive a test."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import Children

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


def pytest_configure(config: pytest.Config) -> None:
    # Started in the background (`nohup make test &`), pytest inherits SIGINT ignored and so
    # would every child it execs. A Python-level handler resets to the default on exec.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def children() -> Iterator[Children]:
    """Start processes through this; each one's group is SIGKILLed when the test ends."""
    started = Children()
    try:
        yield started
    finally:
        started.kill_all()
