"""The real LiteLLM image the docker runtime runs: on this daemon already, or built here."""

from __future__ import annotations

import sys

import docker
import pytest

from compat.errors import CompatError
from compat.images.litellm_image import ensure_litellm_image
from compat.proxy.docker_runtime import connect
from compat.proxy.venv import DEFAULT_LITELLM_VERSION


def docker_client() -> docker.DockerClient:
    """A client for the local daemon; a daemon that cannot be reached fails the test."""
    try:
        return connect()
    except CompatError as exc:
        pytest.fail(f"these tests need a Docker daemon (.ci/run starts one): {exc}", pytrace=False)


def _progress(line: str) -> None:
    # A first build on a fresh machine takes minutes: show that something is happening.
    print(f"[litellm image] {line}", file=sys.__stderr__, flush=True)


def real_litellm_image(client: docker.DockerClient) -> str:
    """`ensure_litellm_image` for the default release: its reference, pulled or built if absent."""
    try:
        return ensure_litellm_image(client, DEFAULT_LITELLM_VERSION, progress=_progress)
    except CompatError as exc:
        pytest.fail(f"cannot get LiteLLM {DEFAULT_LITELLM_VERSION}'s image: {exc}", pytrace=False)
