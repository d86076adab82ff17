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

PROVIDERS = ["anthropic", "bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"]
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
    ]
    assert m.tier_ids == ["haiku-4-5", "sonnet-4-6", "opus-4-7"]
    assert [t.name for t in m.tiers] == ["Haiku 4.5", "Sonnet 4.6", "Opus 4.7"]
    assert m.feature_ids == FEATURES
    assert len(m.cells()) == 16 * 5 * 3 + len(m.check_ids) * 5
    assert m.gateway_contract is not None and m.gateway_contract.tier == "haiku-4-5"
    assert all(c.startswith("contract_") for c in m.check_ids)
    for tier in m.tiers:
        assert set(tier.models) == set(PROVIDERS)
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
    aliases = [m.proxy_alias(p, t) for p in m.provider_ids for t in m.tier_ids]
    assert len(set(aliases)) == 15


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
