"""A client for the Docker daemon these tests build and run images on."""

from __future__ import annotations

import docker
import docker.errors
import pytest


@pytest.fixture(scope="module")
def client(docker_client: docker.DockerClient) -> docker.DockerClient:
    """The session's daemon (a daemon that cannot be reached fails the test)."""
    return docker_client
