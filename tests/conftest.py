"""Shared fixtures: the shipped manifest and samples; children that never outlive a test;
`compat` run as a user runs it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.cli import CompatCli, run_compat
from support.processes import Children

if TYPE_CHECKING:
    import docker

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


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The local Docker daemon; one that cannot be reached fails the test (never a skip)."""
    # Imported here: the docker SDK costs every other test's collection.
    from support.images import docker_client as connect

    client = connect()
    yield client
    client.close()


@pytest.fixture(scope="session")
def litellm_image(docker_client: docker.DockerClient) -> str:
    """The real LiteLLM image of the default release (built here when absent): its reference."""
    from support.images import real_litellm_image

    return real_litellm_image(docker_client)
