"""Fixtures: a fake LiteLLM release in a private cache, configs that pick its behaviour."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compat.proxy import env_names as env

from .fakes import install_fake_litellm, write_fake_config

ConfigFactory = Callable[[str], Path]


@pytest.fixture
def fake_litellm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install the stand-in in a private cache that compat will use; returns its version."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return install_fake_litellm(tmp_path / "cache")


@pytest.fixture
def fake_config(tmp_path: Path) -> ConfigFactory:
    """Write a proxy config that tells the stand-in how to behave."""
    return lambda behaviour: write_fake_config(tmp_path, behaviour)


@pytest.fixture
def live_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Live-mode credentials in the environment, distinctive enough to grep for."""
    values = {
        env.ANTHROPIC_API_KEY: "sk-ant-live-test-0f9e8d7c6b5a49382716",
        env.AWS_ACCESS_KEY_ID: "AKIALIVETESTKEY00001",
        env.AWS_SECRET_ACCESS_KEY: "live-test-secret-access-key-0123456789abc",
        env.AWS_REGION: "us-east-1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
