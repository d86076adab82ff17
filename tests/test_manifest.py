from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from compat.errors import InputError
from compat.manifest import load_manifest

SHIPPED = yaml.safe_load((Path(__file__).parent.parent / "manifest.yaml").read_text())
NEXT_NA = len(SHIPPED["not_applicable"])
"""The index a not_applicable entry appended by a test gets."""

CLAUDE_PROVIDERS = ["anthropic", "bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"]
GPT_PROVIDERS = ["openai", "azure_openai", "bedrock_mantle", "vertex_ai_gpt"]
PROVIDERS = CLAUDE_PROVIDERS + GPT_PROVIDERS
CLAUDE_TIERS = ["haiku-4-5", "sonnet-4-6", "opus-4-7"]
GPT_TIERS = ["gpt-5-6-sol", "gpt-5-6-terra", "gpt-5-6-luna"]
FEATURES = [
    "basic_messaging_non_streaming",
    "basic_messaging_streaming",
    "tool_use",
    "prompt_caching_5m",
    "vision",
    "thinking",
    "tool_use_streaming",
    "thinking_with_tool_use",
    "pdf_input",
    "prompt_caching_1h",
    "web_search",
    "structured_outputs",
    "count_tokens",
    "tool_search",
    "passthrough",
    "long_context_1m",
]


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
    return path


def load_error(tmp_path: Path, mutate) -> str:
    data = copy.deepcopy(SHIPPED)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_manifest(path)
    assert info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(str(path))
    return message


def test_shipped_manifest_has_the_design_axes_in_order(manifest_path):
    m = load_manifest(manifest_path)
    assert m.provider_ids == PROVIDERS
    assert [p.name for p in m.providers] == [
        "Anthropic",
        "Bedrock (Invoke)",
        "Bedrock (Converse)",
        "Vertex AI",
        "Azure (Foundry)",
        "OpenAI",
        "Azure OpenAI",
        "Bedrock (Mantle)",
        "Vertex AI (GPT)",
    ]
    assert m.tier_ids == CLAUDE_TIERS + GPT_TIERS
    assert [t.name for t in m.tiers] == [
        "Haiku 4.5",
        "Sonnet 4.6",
        "Opus 4.7",
        "GPT-5.6 Sol",
        "GPT-5.6 Terra",
        "GPT-5.6 Luna",
    ]
    assert m.feature_ids == FEATURES
    # Each column runs its own family's three tiers; the contract runs on the Claude routes.
    assert len(m.cells()) == 16 * 9 * 3 + len(m.check_ids) * 5
    assert m.gateway_contract is not None and m.gateway_contract.tier == "haiku-4-5"
    assert m.contract_providers() == CLAUDE_PROVIDERS
    assert all(c.startswith("contract_") for c in m.check_ids)
    for tier in m.tiers[:3]:
        assert set(tier.models) == set(CLAUDE_PROVIDERS)
    for tier in m.tiers[3:]:
        # Vertex AI offers no GPT-5.6 model: that column is n/a as a whole, with no model id.
        assert set(tier.models) == set(GPT_PROVIDERS) - {"vertex_ai_gpt"}
    assert m.tier_ids_for("openai") == GPT_TIERS
    assert m.tier_ids_for("azure") == CLAUDE_TIERS
    assert m.proxy_alias("azure_openai", "gpt-5-6-sol") == "gpt-5-6-sol-azure-openai"
    assert m.proxy_alias("azure", "opus-4-7") == "claude-opus-4-7-azure"
    assert m.unserved_provider_ids == ["vertex_ai_gpt"]
    assert all(p.id != "vertex_ai_gpt" for p, _ in m.deployments())
    assert len(m.deployments()) == 5 * 3 + 3 * 3
    assert m.not_applicable_reason("vision", "vertex_ai_gpt", "gpt-5-6-luna")
    assert m.not_applicable_reason("prompt_caching_1h", "bedrock_mantle", "gpt-5-6-sol")
    assert m.not_applicable_reason("prompt_caching_1h", "bedrock_invoke", "opus-4-7") is None
    assert m.upstream_model("bedrock_invoke", "haiku-4-5") == (
        "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    )


def test_not_applicable_lookup_widens_missing_provider_and_tier(manifest_path):
    m = load_manifest(manifest_path)
    assert m.not_applicable_reason("long_context_1m", "vertex_ai", "haiku-4-5")
    assert m.not_applicable_reason("long_context_1m", "vertex_ai", "sonnet-4-6") is None
    assert m.not_applicable_reason("web_search", "bedrock_converse", "opus-4-7")
    assert m.not_applicable_reason("web_search", "anthropic", "opus-4-7") is None


def test_proxy_aliases_are_unique_and_follow_the_naming(manifest_path):
    m = load_manifest(manifest_path)
    assert m.proxy_alias("anthropic", "haiku-4-5") == "claude-haiku-4-5"
    assert m.proxy_alias("bedrock_converse", "opus-4-7") == "claude-opus-4-7-bedrock-converse"
    assert m.proxy_alias("bedrock_mantle", "gpt-5-6-luna") == "gpt-5-6-luna-bedrock-mantle"
    aliases = [m.proxy_alias(p.id, t.id) for p, t in m.deployments()]
    assert len(set(aliases)) == 15 + 9


def test_unknown_top_level_key(tmp_path):
    msg = load_error(tmp_path, lambda d: d.update(colour="blue"))
    assert "colour: unknown key" in msg


def test_unknown_key_in_an_entry(tmp_path):
    msg = load_error(tmp_path, lambda d: d["features"][2].update(owner="me"))
    assert "features[2].owner: unknown key" in msg


def test_missing_required_key(tmp_path):
    msg = load_error(tmp_path, lambda d: d["features"][0].pop("description"))
    assert "features[0].description: required key is missing" in msg


def test_wrong_schema_version(tmp_path):
    msg = load_error(tmp_path, lambda d: d.update(schema_version="2"))
    assert 'schema_version: expected "1"' in msg and "'2'" in msg


def test_numeric_schema_version_is_refused(tmp_path):
    msg = load_error(tmp_path, lambda d: d.update(schema_version=1))
    assert "schema_version" in msg


def test_duplicate_feature_id(tmp_path):
    msg = load_error(tmp_path, lambda d: d["features"].append(copy.deepcopy(d["features"][4])))
    assert "features and gateway_contract.checks: duplicate id 'vision'" in msg


def test_duplicate_provider_id(tmp_path):
    def mutate(d):
        d["providers"].append({"id": "azure", "name": "Again", "alias_suffix": "-again"})

    msg = load_error(tmp_path, mutate)
    assert "providers: duplicate id 'azure'" in msg


def test_duplicate_tier_id(tmp_path):
    msg = load_error(tmp_path, lambda d: d["tiers"].append(copy.deepcopy(d["tiers"][0])))
    assert "tiers: duplicate id 'haiku-4-5'" in msg


def test_missing_tier_model_id(tmp_path):
    msg = load_error(tmp_path, lambda d: d["tiers"][1]["models"].pop("vertex_ai"))
    assert (
        "tiers[1] (sonnet-4-6).models: missing the upstream model id for provider 'vertex_ai'"
        in (msg)
    )


def test_empty_tier_model_id(tmp_path):
    msg = load_error(tmp_path, lambda d: d["tiers"][0]["models"].update(azure=" "))
    assert "tiers[0].models" in msg and "empty model id" in msg


def test_tier_model_for_unknown_provider(tmp_path):
    msg = load_error(tmp_path, lambda d: d["tiers"][0]["models"].update(vertexai="x"))
    assert "unknown provider 'vertexai'" in msg and "did you mean 'vertex_ai'" in msg


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"feature": "visoin", "reason": "r"},
            f"not_applicable[{NEXT_NA}].feature: unknown feature 'visoin'",
        ),
        (
            {"feature": "vision", "provider": "bedrock", "reason": "r"},
            f"not_applicable[{NEXT_NA}].provider: unknown provider 'bedrock'",
        ),
        (
            {"feature": "vision", "tier": "haiku-3", "reason": "r"},
            f"not_applicable[{NEXT_NA}].tier: unknown tier 'haiku-3'",
        ),
        ({"feature": "vision", "reason": ""}, f"not_applicable[{NEXT_NA}].reason"),
        ({"feature": "vision"}, f"not_applicable[{NEXT_NA}].reason: required key is missing"),
    ],
)
def test_bad_not_applicable_entries(tmp_path, entry, expected):
    msg = load_error(tmp_path, lambda d: d["not_applicable"].append(entry))
    assert expected in msg


def test_duplicate_not_applicable_declaration(tmp_path):
    msg = load_error(
        tmp_path, lambda d: d["not_applicable"].append(copy.deepcopy(d["not_applicable"][0]))
    )
    assert f"not_applicable[{NEXT_NA}]: duplicate declaration for (long_context_1m" in msg


def test_every_problem_is_listed(tmp_path):
    def mutate(d):
        d["features"].append(copy.deepcopy(d["features"][0]))
        d["tiers"][2]["models"].pop("azure")

    msg = load_error(tmp_path, mutate)
    assert "2 problems" in msg
    assert "duplicate id 'basic_messaging_non_streaming'" in msg
    assert "missing the upstream model id for provider 'azure'" in msg


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "schema_version: '1'\nproviders: [\n  - id: x\n")
    with pytest.raises(InputError) as info:
        load_manifest(path)
    assert str(info.value).startswith(f"{path}: invalid YAML at line")


def test_empty_file_and_wrong_top_level(tmp_path):
    with pytest.raises(InputError, match="found an empty file"):
        load_manifest(write(tmp_path, ""))
    with pytest.raises(InputError, match="found a list"):
        load_manifest(write(tmp_path, "- a\n- b\n"))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="manifest not found"):
        load_manifest(tmp_path / "nope.yaml")


def test_a_tier_names_models_of_its_own_family_only(tmp_path):
    def mutate(data):
        data["tiers"][3]["models"]["anthropic"] = "gpt-5.6-sol"

    message = load_error(tmp_path, mutate)
    assert "tiers[3] (gpt-5-6-sol).models: provider 'anthropic' serves family 'claude'" in message


def test_a_family_tier_must_cover_its_providers(tmp_path):
    def mutate(data):
        del data["tiers"][4]["models"]["azure_openai"]

    message = load_error(tmp_path, mutate)
    assert "tiers[4] (gpt-5-6-terra).models: missing the upstream model id for provider " in message
    assert "'azure_openai'" in message


def test_a_provider_family_without_tiers_is_refused(tmp_path):
    def mutate(data):
        data["providers"][5]["family"] = "gemini"

    message = load_error(tmp_path, mutate)
    assert "providers[5] (openai).family: no tier of family 'gemini'" in message


def test_not_applicable_tier_must_run_on_its_provider(tmp_path):
    def mutate(data):
        data["not_applicable"].append(
            {"feature": "vision", "provider": "openai", "tier": "opus-4-7", "reason": "x"}
        )

    message = load_error(tmp_path, mutate)
    assert f"not_applicable[{NEXT_NA}].tier: tier 'opus-4-7' does not run on provider 'openai'" in (
        message
    )


def test_not_applicable_family_must_exist_and_not_name_a_provider_too(tmp_path):
    def mutate(data):
        data["not_applicable"].append({"feature": "vision", "family": "gtp", "reason": "x"})
        data["not_applicable"].append(
            {"feature": "vision", "family": "gpt", "provider": "openai", "reason": "x"}
        )

    message = load_error(tmp_path, mutate)
    assert (
        f"not_applicable[{NEXT_NA}].family: unknown family 'gtp' (did you mean 'gpt'?)" in message
    )
    assert f"not_applicable[{NEXT_NA + 1}]: give provider or family, not both" in message
