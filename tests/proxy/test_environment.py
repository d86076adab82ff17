"""Upstream modes: emulated points everything at the emulator; live takes the user's env."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from compat.proxy import env_names as env
from compat.proxy.environment import (
    credential_status,
    emulated_environment,
    live_environment,
)

# Referenced by the config but only needed for some credential types.
OPTIONAL_REFERENCES = {env.AWS_SESSION_TOKEN, env.AWS_BEARER_TOKEN_BEDROCK}


def _config_references(repo_root: Path) -> set[str]:
    config = yaml.safe_load((repo_root / "proxy_config.yaml").read_text(encoding="utf-8"))
    refs: set[str] = set()
    for entry in config["model_list"]:
        for value in entry["litellm_params"].values():
            if str(value).startswith("os.environ/"):
                refs.add(str(value).removeprefix("os.environ/"))
    return refs


def test_emulated_mode_sets_every_variable_the_config_needs(repo_root: Path) -> None:
    environment = emulated_environment("http://127.0.0.1:9", Path("/tmp/sa.json"))
    provided = set(environment.for_host())
    assert _config_references(repo_root) - OPTIONAL_REFERENCES <= provided
    assert not OPTIONAL_REFERENCES & provided


def test_emulated_mode_points_every_endpoint_at_the_emulator() -> None:
    environment = emulated_environment("http://127.0.0.1:9/", Path("/tmp/sa.json"))
    values = environment.values
    assert values[env.ANTHROPIC_API_BASE] == "http://127.0.0.1:9"
    assert values[env.BEDROCK_RUNTIME_ENDPOINT] == "http://127.0.0.1:9"
    assert values[env.VERTEX_API_BASE] == "http://127.0.0.1:9"
    assert values[env.AZURE_FOUNDRY_API_BASE] == "http://127.0.0.1:9/anthropic"
    assert environment.files == {env.GOOGLE_APPLICATION_CREDENTIALS: Path("/tmp/sa.json")}
    assert environment.for_host()[env.GOOGLE_APPLICATION_CREDENTIALS] == "/tmp/sa.json"


def test_emulated_credentials_are_well_formed_fresh_and_secret() -> None:
    first = emulated_environment("http://127.0.0.1:9", Path("/tmp/sa.json"))
    second = emulated_environment("http://127.0.0.1:9", Path("/tmp/sa.json"))
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first.values[env.AWS_ACCESS_KEY_ID])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", first.values[env.AWS_SECRET_ACCESS_KEY])
    assert first.values[env.ANTHROPIC_API_KEY].startswith("sk-ant-")
    for name in (env.ANTHROPIC_API_KEY, env.AWS_SECRET_ACCESS_KEY, env.AZURE_FOUNDRY_API_KEY):
        assert first.values[name] != second.values[name]
        assert first.values[name] in first.secrets
    assert "http://127.0.0.1:9" not in first.secrets


def test_live_mode_takes_the_users_values_and_derives_real_endpoints() -> None:
    environ = {
        env.ANTHROPIC_API_KEY: "sk-ant-live-0123456789",
        env.AWS_ACCESS_KEY_ID: "AKIALIVE000000000000",
        env.AWS_SECRET_ACCESS_KEY: "live-secret-0123456789",
        env.AWS_REGION: "eu-west-1",
        env.VERTEXAI_PROJECT: "proj",
        env.VERTEXAI_LOCATION: "us-east5",
        env.GOOGLE_APPLICATION_CREDENTIALS: "/keys/sa.json",
        "UNRELATED": "x",
    }
    environment = live_environment(environ)
    values = environment.values
    assert values[env.ANTHROPIC_API_BASE] == "https://api.anthropic.com"
    assert values[env.BEDROCK_RUNTIME_ENDPOINT] == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert values[env.VERTEX_API_BASE] == "https://us-east5-aiplatform.googleapis.com"
    assert "UNRELATED" not in values
    assert environment.files == {env.GOOGLE_APPLICATION_CREDENTIALS: Path("/keys/sa.json")}
    assert {"sk-ant-live-0123456789", "live-secret-0123456789"} <= environment.secrets


def test_live_mode_keeps_endpoint_overrides_and_the_global_vertex_host() -> None:
    environ = {
        env.ANTHROPIC_API_BASE: "https://gateway.example/anthropic",
        env.VERTEXAI_LOCATION: "global",
        "AWS_DEFAULT_REGION": "us-west-2",
    }
    values = live_environment(environ).values
    assert values[env.ANTHROPIC_API_BASE] == "https://gateway.example/anthropic"
    assert values[env.VERTEX_API_BASE] == "https://aiplatform.googleapis.com"
    assert values[env.AWS_REGION] == "us-west-2"
    assert values[env.BEDROCK_RUNTIME_ENDPOINT] == "https://bedrock-runtime.us-west-2.amazonaws.com"


@pytest.mark.parametrize(
    ("provider", "environ", "ready", "missing"),
    [
        ("anthropic", {}, False, [env.ANTHROPIC_API_KEY]),
        ("anthropic", {env.ANTHROPIC_API_KEY: "k"}, True, []),
        ("anthropic", {env.ANTHROPIC_API_KEY: "   "}, False, [env.ANTHROPIC_API_KEY]),
        (
            "bedrock_invoke",
            {env.AWS_ACCESS_KEY_ID: "a", env.AWS_REGION: "r"},
            False,
            [env.AWS_SECRET_ACCESS_KEY],
        ),
        ("bedrock_converse", {env.AWS_BEARER_TOKEN_BEDROCK: "t", env.AWS_REGION: "r"}, True, []),
        ("azure", {env.AZURE_FOUNDRY_API_KEY: "k"}, False, [env.AZURE_FOUNDRY_API_BASE]),
    ],
)
def test_credential_status(
    provider: str, environ: dict[str, str], ready: bool, missing: list[str]
) -> None:
    status = credential_status(provider, environ)
    assert status.ready is ready
    assert status.missing == missing


def test_credential_status_names_variables_never_values(tmp_path: Path) -> None:
    environ = {
        env.VERTEXAI_PROJECT: "project-value",
        env.VERTEXAI_LOCATION: "us-east5",
        env.GOOGLE_APPLICATION_CREDENTIALS: str(tmp_path / "missing.json"),
    }
    status = credential_status("vertex_ai", environ)
    assert not status.ready
    assert status.problem is not None and "does not exist" in status.problem
    dumped = status.model_dump_json()
    assert "project-value" not in dumped
    assert str(tmp_path) not in dumped
    (tmp_path / "missing.json").write_text("{}")
    assert credential_status("vertex_ai", environ).ready
