"""Upstream modes: emulated points everything at the emulator; live takes the user's env."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from compat.proxy import env_names as env
from compat.proxy.config import ProxyConfig, deployment_api_base_variable, load_proxy_config
from compat.proxy.environment import (
    EMULATED_VERTEX_LOCATION,
    EMULATED_VERTEX_PROJECT,
    VertexUrlStyle,
    credential_status,
    emulated_environment,
    live_environment,
    vertex_api_base,
    vertex_url_style,
)
from compat.proxy.venv import DEFAULT_LITELLM_VERSION

# Referenced by the config but only needed for some credential types.
OPTIONAL_REFERENCES = {env.AWS_SESSION_TOKEN, env.AWS_BEARER_TOKEN_BEDROCK}
HAIKU = deployment_api_base_variable("claude-haiku-4-5-vertex")
HAIKU_MODEL = "claude-haiku-4-5@20251001"


@pytest.fixture
def config(repo_root: Path) -> ProxyConfig:
    return load_proxy_config(repo_root / "proxy_config.yaml")


def emulated(config: ProxyConfig, url: str = "http://127.0.0.1:9", release: str = "1.106.2"):
    return emulated_environment(url, Path("/tmp/sa.json"), config=config, litellm_version=release)


def _config_references(repo_root: Path) -> set[str]:
    config = yaml.safe_load((repo_root / "proxy_config.yaml").read_text(encoding="utf-8"))
    refs: set[str] = set()
    for entry in config["model_list"]:
        for value in entry["litellm_params"].values():
            if str(value).startswith("os.environ/"):
                refs.add(str(value).removeprefix("os.environ/"))
    return refs


@pytest.mark.parametrize("release", ["1.83.14", "1.91.0", DEFAULT_LITELLM_VERSION])
def test_emulated_mode_sets_every_variable_the_config_needs(
    repo_root: Path, config: ProxyConfig, release: str
) -> None:
    environment = emulated(config, release=release)
    provided = set(environment.for_host())
    assert _config_references(repo_root) - OPTIONAL_REFERENCES <= provided
    assert not OPTIONAL_REFERENCES & provided


def test_emulated_mode_points_every_endpoint_at_the_emulator(config: ProxyConfig) -> None:
    environment = emulated(config, "http://127.0.0.1:9/")
    values = environment.values
    assert values[env.ANTHROPIC_API_BASE] == "http://127.0.0.1:9"
    assert values[env.BEDROCK_RUNTIME_ENDPOINT] == "http://127.0.0.1:9"
    assert values[env.VERTEX_API_BASE] == "http://127.0.0.1:9"
    assert values[HAIKU] == "http://127.0.0.1:9"
    assert values[env.AZURE_FOUNDRY_API_BASE] == "http://127.0.0.1:9/anthropic"
    assert values[env.OPENAI_API_BASE] == "http://127.0.0.1:9/v1"
    assert values[env.AZURE_OPENAI_API_BASE] == "http://127.0.0.1:9"
    assert values[env.AZURE_OPENAI_API_VERSION] == "2025-04-01-preview"
    assert values[env.BEDROCK_MANTLE_API_BASE] == "http://127.0.0.1:9/mantle"
    assert {values[env.OPENAI_API_KEY], values[env.AZURE_OPENAI_API_KEY]} <= environment.secrets
    assert environment.files == {
        env.GOOGLE_APPLICATION_CREDENTIALS: Path("/tmp/sa.json"),
        env.DEFAULT_GOOGLE_APPLICATION_CREDENTIALS: Path("/tmp/sa.json"),
    }
    assert environment.for_host()[env.GOOGLE_APPLICATION_CREDENTIALS] == "/tmp/sa.json"


def test_emulated_mode_points_the_pass_through_routes_at_the_emulator(config: ProxyConfig) -> None:
    environment = emulated(config, "http://127.0.0.1:9/")
    values = environment.values
    assert values[env.PASSTHROUGH_ANTHROPIC_API_BASE] == "http://127.0.0.1:9"
    # `/azure/anthropic/v1/messages` lands at the Foundry wire's `/anthropic/v1/messages`.
    assert values[env.AZURE_API_BASE] == "http://127.0.0.1:9"
    assert values[env.AZURE_API_KEY] == values[env.AZURE_FOUNDRY_API_KEY]
    assert values[env.AZURE_API_KEY] in environment.secrets
    assert values[env.DEFAULT_VERTEXAI_PROJECT] == values[env.VERTEXAI_PROJECT]
    # Without a TLS front (a container's proxy), no HTTPS proxy is set.
    assert env.HTTPS_PROXY not in values


def test_the_tls_front_carries_the_proxy_to_google_s_hosts(config: ProxyConfig) -> None:
    environment = emulated_environment(
        "http://127.0.0.1:9",
        Path("/tmp/sa.json"),
        config=config,
        litellm_version="1.106.12",
        tls_front=("http://127.0.0.1:10", Path("/tmp/ca.pem")),
    )
    assert environment.values[env.HTTPS_PROXY] == "http://127.0.0.1:10"
    assert "127.0.0.1" in environment.values[env.NO_PROXY].split(",")
    assert environment.files[env.SSL_CERT_FILE] == Path("/tmp/ca.pem")


def test_emulated_credentials_are_well_formed_fresh_and_secret(config: ProxyConfig) -> None:
    first, second = emulated(config), emulated(config)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first.values[env.AWS_ACCESS_KEY_ID])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", first.values[env.AWS_SECRET_ACCESS_KEY])
    assert first.values[env.ANTHROPIC_API_KEY].startswith("sk-ant-")
    for name in (env.ANTHROPIC_API_KEY, env.AWS_SECRET_ACCESS_KEY, env.AZURE_FOUNDRY_API_KEY):
        assert first.values[name] != second.values[name]
        assert first.values[name] in first.secrets
    assert "http://127.0.0.1:9" not in first.secrets


def test_live_mode_takes_the_users_values_and_derives_real_endpoints(config: ProxyConfig) -> None:
    environ = {
        env.ANTHROPIC_API_KEY: "sk-ant-live-0123456789",
        env.AWS_ACCESS_KEY_ID: "AKIALIVE000000000000",
        env.AWS_SECRET_ACCESS_KEY: "live-secret-0123456789",
        env.AWS_REGION: "eu-west-1",
        env.VERTEXAI_PROJECT: "proj",
        env.VERTEXAI_LOCATION: "us-east5",
        env.GOOGLE_APPLICATION_CREDENTIALS: "/keys/sa.json",
        env.OPENAI_API_KEY: "sk-proj-live-0123456789",
        env.AZURE_OPENAI_API_BASE: "https://res.openai.azure.com",
        env.AZURE_OPENAI_API_KEY: "azure-openai-live-0123456789",
        "UNRELATED": "x",
    }
    environment = live_environment(environ, config=config, litellm_version="1.106.2")
    values = environment.values
    assert values[env.OPENAI_API_BASE] == "https://api.openai.com/v1"
    assert values[env.BEDROCK_MANTLE_API_BASE] == "https://bedrock-mantle.eu-west-1.api.aws"
    assert values[env.AZURE_OPENAI_API_BASE] == "https://res.openai.azure.com"
    assert values[env.AZURE_OPENAI_API_VERSION] == "2025-04-01-preview"
    assert {"sk-proj-live-0123456789", "azure-openai-live-0123456789"} <= environment.secrets
    assert values[env.ANTHROPIC_API_BASE] == "https://api.anthropic.com"
    assert values[env.BEDROCK_RUNTIME_ENDPOINT] == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert values[env.VERTEX_API_BASE] == "https://us-east5-aiplatform.googleapis.com"
    assert values[HAIKU] == "https://us-east5-aiplatform.googleapis.com"
    assert "UNRELATED" not in values
    assert environment.files == {
        env.GOOGLE_APPLICATION_CREDENTIALS: Path("/keys/sa.json"),
        env.DEFAULT_GOOGLE_APPLICATION_CREDENTIALS: Path("/keys/sa.json"),
    }
    assert values[env.PASSTHROUGH_ANTHROPIC_API_BASE] == "https://api.anthropic.com"
    assert {"sk-ant-live-0123456789", "live-secret-0123456789"} <= environment.secrets


def test_live_mode_keeps_endpoint_overrides_and_the_global_vertex_host(
    config: ProxyConfig,
) -> None:
    environ = {
        env.ANTHROPIC_API_BASE: "https://gateway.example/anthropic",
        env.VERTEXAI_LOCATION: "global",
        "AWS_DEFAULT_REGION": "us-west-2",
    }
    values = live_environment(environ, config=config, litellm_version="1.106.2").values
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


@pytest.mark.parametrize(
    ("release", "style"),
    [
        ("1.83.0", VertexUrlStyle.full_url),
        ("1.83.14", VertexUrlStyle.full_url),
        ("1.90.7", VertexUrlStyle.full_url),
        ("1.91.0", VertexUrlStyle.model_path),
        ("1.92.2", VertexUrlStyle.model_path),
        ("1.93.0", VertexUrlStyle.host),
        ("1.98.0", VertexUrlStyle.host),
        ("1.104.2", VertexUrlStyle.host),
        (DEFAULT_LITELLM_VERSION, VertexUrlStyle.host),
        ("2.0.0", VertexUrlStyle.host),
        ("not-a-version", VertexUrlStyle.host),
    ],
)
def test_each_litellm_release_gets_the_vertex_api_base_form_it_reads(
    release: str, style: VertexUrlStyle
) -> None:
    assert vertex_url_style(release) is style


def test_vertex_api_base_forms() -> None:
    where = {"project": "p", "location": "us-east5", "model": HAIKU_MODEL}
    path = f"http://h:1/v1/projects/p/locations/us-east5/publishers/anthropic/models/{HAIKU_MODEL}"
    assert vertex_api_base(VertexUrlStyle.host, "http://h:1/", **where) == "http://h:1"
    assert vertex_api_base(VertexUrlStyle.model_path, "http://h:1/", **where) == path
    assert vertex_api_base(VertexUrlStyle.full_url, "http://h:1", **where) == path + ":rawPredict"


@pytest.mark.parametrize("release", ["1.83.14", "1.90.0"])
def test_old_releases_get_each_deployments_full_vertex_url(
    config: ProxyConfig, release: str
) -> None:
    values = emulated(config, release=release).values
    prefix = (
        f"http://127.0.0.1:9/v1/projects/{EMULATED_VERTEX_PROJECT}/locations/"
        f"{EMULATED_VERTEX_LOCATION}/publishers/anthropic/models/"
    )
    assert values[HAIKU] == f"{prefix}{HAIKU_MODEL}:rawPredict"
    sonnet = deployment_api_base_variable("claude-sonnet-4-6-vertex")
    assert values[sonnet] == f"{prefix}claude-sonnet-4-6:rawPredict"
    # Only Vertex deployments get one; the user-facing base stays a bare host.
    assert values[env.VERTEX_API_BASE] == "http://127.0.0.1:9"
    assert not any("AZURE" in name or "BEDROCK" in name for name in values if "_FOR_" in name)


def test_a_hand_written_config_keeping_the_shared_base_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "model_list:\n- model_name: v\n  litellm_params:\n    model: vertex_ai/claude-x\n"
        "    api_base: os.environ/COMPAT_VERTEX_API_BASE\n"
    )
    values = emulated(load_proxy_config(path), release="1.83.14").values
    assert not [name for name in values if "_FOR_" in name]


def test_live_mode_on_old_releases_leaves_googles_urls_to_litellm_without_a_gateway(
    config: ProxyConfig,
) -> None:
    environ = {env.VERTEXAI_PROJECT: "proj", env.VERTEXAI_LOCATION: "us-east5"}
    values = live_environment(environ, config=config, litellm_version="1.83.14").values
    assert HAIKU not in values
    gateway = {**environ, env.VERTEX_API_BASE: "https://gw.example"}
    values = live_environment(gateway, config=config, litellm_version="1.83.14").values
    assert values[HAIKU] == (
        "https://gw.example/v1/projects/proj/locations/us-east5/publishers/anthropic/models/"
        f"{HAIKU_MODEL}:rawPredict"
    )
    values = live_environment(gateway, config=config, litellm_version="1.91.0").values
    assert values[HAIKU].endswith(f"/models/{HAIKU_MODEL}")
