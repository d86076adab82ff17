"""proxy_config.yaml: one alias per (provider, tier), right route, env references only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compat.errors import InputError
from compat.manifest import Manifest, load_manifest
from compat.proxy import env_names as env
from compat.proxy.config import (
    PROVIDER_ROUTES,
    build_proxy_config,
    deployment_api_base_variable,
    load_proxy_config,
    provider_route,
    render_proxy_config,
)

EXPECTED_PREFIX = {
    "anthropic": "anthropic/",
    "bedrock_invoke": "bedrock/",
    "bedrock_converse": "bedrock/converse/",
    "vertex_ai": "vertex_ai/",
    "azure": "azure_ai/",
    "openai": "openai/",
    "azure_openai": "azure/",
    "bedrock_mantle": "bedrock_mantle/",
}


@pytest.fixture
def manifest(manifest_path: Path) -> Manifest:
    return load_manifest(manifest_path)


@pytest.fixture
def committed(repo_root: Path) -> dict[str, object]:
    """The committed proxy_config.yaml, parsed as plain YAML (not through compat's models)."""
    data = yaml.safe_load((repo_root / "proxy_config.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _entries(config: dict[str, object]) -> dict[str, dict[str, str]]:
    model_list = config["model_list"]
    assert isinstance(model_list, list)
    return {entry["model_name"]: entry["litellm_params"] for entry in model_list}


def test_every_manifest_cell_has_its_alias_with_the_right_route(
    manifest: Manifest, committed: dict[str, object]
) -> None:
    entries = _entries(committed)
    for provider, tier in manifest.deployments():
        alias = manifest.proxy_alias(provider.id, tier.id)
        assert alias in entries, f"{alias} missing from proxy_config.yaml"
        expected = EXPECTED_PREFIX[provider.id] + manifest.upstream_model(provider.id, tier.id)
        assert entries[alias]["model"] == expected


def test_no_alias_is_orphaned(manifest: Manifest, committed: dict[str, object]) -> None:
    wanted = {manifest.proxy_alias(p.id, t.id) for p, t in manifest.deployments()}
    model_list = committed["model_list"]
    assert isinstance(model_list, list)
    names = [entry["model_name"] for entry in model_list]
    assert len(names) == len(set(names)), "an alias is declared twice"
    assert set(names) == wanted


def test_committed_file_is_exactly_what_the_manifest_generates(
    manifest: Manifest, repo_root: Path
) -> None:
    generated = render_proxy_config(build_proxy_config(manifest))
    assert (repo_root / "proxy_config.yaml").read_text(encoding="utf-8") == generated


def test_upstream_endpoints_and_credentials_come_only_from_the_environment(
    committed: dict[str, object],
) -> None:
    for alias, params in _entries(committed).items():
        others = {key: value for key, value in params.items() if key != "model"}
        assert others, f"{alias} has no upstream wiring"
        for key, value in others.items():
            assert str(value).startswith("os.environ/"), f"{alias}.{key} is a literal: {value}"


def test_each_provider_is_wired_to_its_endpoint_and_credentials(
    committed: dict[str, object],
) -> None:
    entries = _entries(committed)
    ref = "os.environ/{}".format
    anthropic = entries["claude-haiku-4-5"]
    assert anthropic["api_base"] == ref(env.ANTHROPIC_API_BASE)
    assert anthropic["api_key"] == ref(env.ANTHROPIC_API_KEY)
    for alias in ("claude-haiku-4-5-bedrock-invoke", "claude-haiku-4-5-bedrock-converse"):
        bedrock = entries[alias]
        assert bedrock["aws_bedrock_runtime_endpoint"] == ref(env.BEDROCK_RUNTIME_ENDPOINT)
        assert bedrock["aws_access_key_id"] == ref(env.AWS_ACCESS_KEY_ID)
        assert bedrock["aws_secret_access_key"] == ref(env.AWS_SECRET_ACCESS_KEY)
        assert bedrock["aws_region_name"] == ref(env.AWS_REGION)
    vertex = entries["claude-haiku-4-5-vertex"]
    assert vertex["vertex_project"] == ref(env.VERTEXAI_PROJECT)
    assert vertex["vertex_location"] == ref(env.VERTEXAI_LOCATION)
    assert vertex["vertex_credentials"] == ref(env.GOOGLE_APPLICATION_CREDENTIALS)
    # One variable per Vertex deployment: LiteLLM releases disagree on what api_base means.
    assert vertex["api_base"] == ref(deployment_api_base_variable("claude-haiku-4-5-vertex"))
    assert vertex["api_base"] == ref("COMPAT_VERTEX_API_BASE_FOR_CLAUDE_HAIKU_4_5_VERTEX")
    azure = entries["claude-haiku-4-5-azure"]
    assert azure["api_base"] == ref(env.AZURE_FOUNDRY_API_BASE)
    assert azure["api_key"] == ref(env.AZURE_FOUNDRY_API_KEY)
    openai = entries["gpt-5-6-sol-openai"]
    assert openai == {
        "model": "openai/gpt-5.6-sol",
        "api_base": ref(env.OPENAI_API_BASE),
        "api_key": ref(env.OPENAI_API_KEY),
    }
    azure_openai = entries["gpt-5-6-terra-azure-openai"]
    assert azure_openai["model"] == "azure/gpt-5.6-terra"
    assert azure_openai["api_base"] == ref(env.AZURE_OPENAI_API_BASE)
    assert azure_openai["api_key"] == ref(env.AZURE_OPENAI_API_KEY)
    assert azure_openai["api_version"] == ref(env.AZURE_OPENAI_API_VERSION)
    mantle = entries["gpt-5-6-luna-bedrock-mantle"]
    assert mantle["model"] == "bedrock_mantle/openai.gpt-5.6-luna"
    assert mantle["api_base"] == ref(env.BEDROCK_MANTLE_API_BASE)
    assert mantle["aws_access_key_id"] == ref(env.AWS_ACCESS_KEY_ID)
    assert mantle["api_key"] == ref(env.AWS_BEARER_TOKEN_BEDROCK)


def test_settings_sit_where_litellm_reads_them(committed: dict[str, object]) -> None:
    assert committed["litellm_settings"] == {"drop_params": True, "modify_params": True}
    general = committed["general_settings"]
    assert isinstance(general, dict)
    assert general["forward_client_headers_to_llm_api"] is True
    assert general["master_key"] == f"os.environ/{env.LITELLM_MASTER_KEY}"


def test_a_provider_without_a_route_is_refused() -> None:
    with pytest.raises(ValueError, match="no LiteLLM route for provider 'vertex_ai_gpt'"):
        provider_route("vertex_ai_gpt")
    assert set(PROVIDER_ROUTES) == set(EXPECTED_PREFIX)


def test_loading_lists_aliases_and_rejects_an_empty_model_list(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("model_list:\n- model_name: a\n  litellm_params: {model: anthropic/x}\n")
    assert load_proxy_config(good).aliases == ["a"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list: []\n")
    with pytest.raises(InputError, match="model_list"):
        load_proxy_config(bad)
