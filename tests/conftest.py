"""Shared fixtures: the shipped manifest and samples; children that never outlive a test;
`compat` run as a user runs it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli import CompatCli, run_compat
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


@pytest.fixture(scope="session")
def compat_cli() -> CompatCli:
    """Runs `compat ARGS` in a child process to completion (`support.cli.run_compat`)."""
    return run_compat


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
