from __future__ import annotations

import json
from pathlib import Path

import pytest

from compat.errors import InputError
from compat.manifest import load_manifest
from compat.matrix import (
    CELL_ERROR_LIMIT,
    Matrix,
    aggregate,
    build_matrix,
    canonical_json,
    load_matrix,
    load_results,
)
from compat.outcome import Fail, NotApplicable, NotTested, Pass

TIERS = ["haiku-4-5", "sonnet-4-6", "opus-4-7"]


def tiers(*outcomes):
    return list(zip(TIERS, outcomes, strict=True))


def test_all_pass():
    assert aggregate(tiers(Pass(), Pass(), Pass())) == Pass()


def test_one_tier_fails_names_that_tier():
    cell = aggregate(tiers(Pass(), Fail(error="boom"), Pass()))
    assert cell == Fail(error="[sonnet-4-6] boom")


def test_every_failing_tier_is_named_in_manifest_order():
    cell = aggregate(tiers(Fail(error="a"), Pass(), Fail(error="c")))
    assert cell == Fail(error="[haiku-4-5] a; [opus-4-7] c")


def test_fail_beats_not_tested_and_not_applicable():
    cell = aggregate(tiers(NotTested(), NotApplicable(reason="r"), Fail(error="x")))
    assert cell == Fail(error="[opus-4-7] x")


def test_all_not_applicable_keeps_the_shared_reason():
    cell = aggregate(tiers(*(NotApplicable(reason="no 1M") for _ in TIERS)))
    assert cell == NotApplicable(reason="no 1M")


def test_all_not_applicable_with_different_reasons_names_tiers():
    cell = aggregate(
        tiers(NotApplicable(reason="a"), NotApplicable(reason="b"), NotApplicable(reason="a"))
    )
    assert cell == NotApplicable(reason="[haiku-4-5] a; [sonnet-4-6] b; [opus-4-7] a")


def test_tier_not_applicable_and_others_pass_is_pass():
    assert aggregate(tiers(NotApplicable(reason="r"), Pass(), Pass())) == Pass()


def test_missing_tier_is_not_tested_never_pass():
    assert aggregate(tiers(Pass(), NotTested(), Pass())) == NotTested()
    assert aggregate(tiers(NotTested(), NotTested(), NotTested())) == NotTested()


def test_long_errors_are_trimmed_and_say_so():
    cell = aggregate(tiers(Fail(error="x" * 5000), Fail(error="y" * 5000), Fail(error="z" * 50)))
    assert isinstance(cell, Fail)
    assert len(cell.error) <= CELL_ERROR_LIMIT
    assert "[haiku-4-5]" in cell.error and "more chars]" in cell.error


def results_doc(results, **overrides):
    doc = {
        "schema_version": "1",
        "versions": {"litellm": "1.106.2", "claude_code": "2.1.329"},
        "upstream": "emulated",
        "results": results,
    }
    doc.update(overrides)
    return doc


def result(feature, provider, tier, outcome):
    return {"feature_id": feature, "provider": provider, "tier": tier, "outcome": outcome}


def write(tmp_path: Path, name: str, doc) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def build(manifest_path, *paths, generated_at="2026-01-01T00:00:00Z") -> Matrix:
    return build_matrix(
        load_manifest(manifest_path), load_results(list(paths)), generated_at=generated_at
    )


def test_missing_cells_become_not_tested_and_manifest_na_fills_in(tmp_path, manifest_path):
    path = write(
        tmp_path,
        "r.json",
        results_doc([result("vision", "azure", t, {"status": "pass"}) for t in TIERS]),
    )
    matrix = build(manifest_path, path)
    assert matrix.cell("vision", "azure") == Pass()
    assert matrix.cell("vision", "anthropic") == NotTested()
    assert matrix.cell("long_context_1m", "anthropic") == NotTested()
    na = matrix.cell("web_search", "bedrock_invoke")
    assert isinstance(na, NotApplicable) and "web search" in na.reason


def test_manifest_na_tier_plus_passing_tiers_is_pass(tmp_path, manifest_path):
    rows = [result("long_context_1m", "anthropic", t, {"status": "pass"}) for t in TIERS[1:]]
    matrix = build(manifest_path, write(tmp_path, "r.json", results_doc(rows)))
    assert matrix.cell("long_context_1m", "anthropic") == Pass()


def test_shards_merge(tmp_path, manifest_path):
    a = write(
        tmp_path,
        "a.json",
        results_doc([result("vision", "azure", "haiku-4-5", {"status": "pass"})]),
    )
    b = write(
        tmp_path,
        "b.json",
        results_doc([result("vision", "azure", t, {"status": "pass"}) for t in TIERS[1:]]),
    )
    assert build(manifest_path, a, b).cell("vision", "azure") == Pass()


def test_directory_of_shards(tmp_path, manifest_path):
    for index, tier in enumerate(TIERS):
        shard = tmp_path / f"shard-{index}"
        shard.mkdir()
        write(
            shard,
            "compat-results.json",
            results_doc([result("vision", "azure", tier, {"status": "pass"})]),
        )
    assert build(manifest_path, tmp_path).cell("vision", "azure") == Pass()


def test_same_cell_same_outcome_twice_is_fine(tmp_path, manifest_path):
    row = result("vision", "azure", "haiku-4-5", {"status": "pass"})
    a = write(tmp_path, "a.json", results_doc([row]))
    b = write(tmp_path, "b.json", results_doc([row]))
    build(manifest_path, a, b)


def test_merge_conflict_names_both_files(tmp_path, manifest_path):
    a = write(
        tmp_path,
        "a.json",
        results_doc([result("vision", "azure", "haiku-4-5", {"status": "pass"})]),
    )
    b = write(
        tmp_path,
        "b.json",
        results_doc([result("vision", "azure", "haiku-4-5", {"status": "fail", "error": "x"})]),
    )
    with pytest.raises(InputError) as info:
        build(manifest_path, a, b)
    message = str(info.value)
    assert "(vision, azure, haiku-4-5)" in message
    assert str(a) in message and str(b) in message
    assert info.value.exit_code == 2


def test_shards_must_agree_on_versions_and_mode(tmp_path, manifest_path):
    a = write(tmp_path, "a.json", results_doc([]))
    b = write(tmp_path, "b.json", results_doc([], upstream="live"))
    with pytest.raises(InputError, match="disagree on the upstream mode"):
        build(manifest_path, a, b)
    c = write(
        tmp_path, "c.json", results_doc([], versions={"litellm": "9", "claude_code": "2.1.329"})
    )
    with pytest.raises(InputError, match="disagree on the LiteLLM version"):
        build(manifest_path, a, c)


def test_unknown_provider_in_results(tmp_path, manifest_path):
    path = write(
        tmp_path,
        "r.json",
        results_doc([result("vision", "vertex", "haiku-4-5", {"status": "pass"})]),
    )
    with pytest.raises(InputError) as info:
        build(manifest_path, path)
    assert str(info.value) == (
        f"{path}: results[0].provider: unknown provider 'vertex' (did you mean 'vertex_ai'?) "
        "(not in the manifest)"
    )


def test_bad_outcome_in_results_names_the_entry(tmp_path, manifest_path):
    path = write(
        tmp_path,
        "r.json",
        results_doc([result("vision", "azure", "haiku-4-5", {"status": "fail"})]),
    )
    with pytest.raises(InputError, match=r"results\[0\]\.outcome\.error: required key is missing"):
        build(manifest_path, path)


def test_results_not_json(tmp_path, manifest_path):
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="is not valid JSON"):
        build(manifest_path, path)


def test_results_wrong_schema_version(tmp_path, manifest_path):
    path = write(tmp_path, "r.json", results_doc([], schema_version="7"))
    with pytest.raises(InputError, match="schema_version"):
        build(manifest_path, path)


def test_golden_sample_is_reproduced_byte_for_byte(manifest_path, fixtures):
    matrix = build(manifest_path, fixtures / "sample-results.json")
    golden = (fixtures / "sample-matrix.json").read_bytes()
    assert canonical_json(matrix).encode("utf-8") == golden


def test_canonical_output_is_stable_and_well_formed(manifest_path, fixtures):
    first = canonical_json(build(manifest_path, fixtures / "sample-results.json"))
    second = canonical_json(build(manifest_path, fixtures / "sample-results.json"))
    assert first == second
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert '\n  "schema_version": "1",' in first
    parsed = json.loads(first)
    assert [row["id"] for row in parsed["features"]] == load_manifest(manifest_path).feature_ids
    assert list(parsed["features"][0]["providers"]) == [
        "anthropic",
        "bedrock_invoke",
        "bedrock_converse",
        "vertex_ai",
        "azure",
        "openai",
        "azure_openai",
        "bedrock_mantle",
        "vertex_ai_gpt",
    ]


def test_generated_at_must_be_utc(tmp_path, manifest_path):
    path = write(tmp_path, "r.json", results_doc([]))
    with pytest.raises(InputError, match="--generated-at"):
        build(manifest_path, path, generated_at="yesterday")
    with pytest.raises(InputError, match="UTC"):
        build(manifest_path, path, generated_at="2026-01-01T00:00:00+02:00")


def test_written_files_get_ordinary_permissions(tmp_path):
    from compat.files import write_atomic

    target = tmp_path / "m.json"
    write_atomic(target, "{}\n")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temp file left behind


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- reading a matrix -------------------------------------------------------------------------


def sample_doc(fixtures) -> dict:
    return json.loads((fixtures / "sample-matrix.json").read_text())


def load_doc(tmp_path: Path, doc) -> Matrix:
    return load_matrix(write(tmp_path, "matrix.json", doc))


def test_compat_keys_come_after_the_published_ones(fixtures):
    assert list(sample_doc(fixtures)) == [
        "schema_version",
        "generated_at",
        "litellm_version",
        "claude_code_version",
        "providers",
        "features",
        "upstream",
        "provider_names",
        "gateway_contract",
    ]


def test_a_matrix_without_compat_keys_reads_as_live_and_is_written_without_them(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    del doc["upstream"], doc["provider_names"]
    matrix = load_doc(tmp_path, doc)
    assert matrix.upstream == "live"
    assert matrix.provider_name("bedrock_invoke") == "bedrock_invoke"
    assert json.loads(canonical_json(matrix)) == doc
    explicit = matrix.model_copy(update={"upstream": "live"})
    assert json.loads(canonical_json(explicit))["upstream"] == "live"


def test_provider_name_prefers_the_matrix_then_the_manifest_then_the_id(
    tmp_path, fixtures, manifest_path
):
    doc = sample_doc(fixtures)
    doc["provider_names"] = {"azure": "Azure AI Foundry"}
    matrix = load_doc(tmp_path, doc)
    manifest = load_manifest(manifest_path)
    assert matrix.provider_name("azure", manifest) == "Azure AI Foundry"
    assert matrix.provider_name("vertex_ai", manifest) == "Vertex AI"
    assert matrix.provider_name("vertex_ai") == "vertex_ai"
    assert matrix.provider_name("openai", manifest) == "OpenAI"
    assert matrix.provider_name("mistral", manifest) == "mistral"


def test_duplicate_providers_and_features_are_named(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    doc["providers"].append("azure")
    doc["features"].append(doc["features"][0])
    path = write(tmp_path, "matrix.json", doc)
    with pytest.raises(InputError) as info:
        load_matrix(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "providers: duplicate id 'azure'" in message
    assert "features: duplicate id 'basic_messaging_non_streaming'" in message
    assert info.value.exit_code == 2


def test_row_keys_must_be_the_providers_list(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    doc["features"][1]["providers"].pop("azure")
    cells = doc["features"][2]["providers"]
    cells["vertex"] = cells.pop("vertex_ai")
    cells = doc["features"][3]["providers"]
    doc["features"][3]["providers"] = dict(reversed(cells.items()))
    path = write(tmp_path, "matrix.json", doc)
    with pytest.raises(InputError) as info:
        load_matrix(path)
    assert str(info.value) == (
        f"{path}: 4 problems:\n"
        "  - features[1] (basic_messaging_streaming).providers: missing 'azure' (in `providers`)\n"
        "  - features[2] (tool_use).providers: missing 'vertex_ai' (in `providers`)\n"
        "  - features[2] (tool_use).providers: 'vertex' not in `providers` "
        "(did you mean 'vertex_ai'?)\n"
        "  - features[3] (prompt_caching_5m).providers: the cells are not in the order of "
        "`providers`"
    )


def test_provider_names_must_name_known_providers(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    doc["provider_names"]["azur"] = "Azure"
    path = write(tmp_path, "matrix.json", doc)
    with pytest.raises(InputError) as info:
        load_matrix(path)
    assert str(info.value) == (
        f"{path}: provider_names: 'azur' is not in `providers` (did you mean 'azure'?)"
    )


def test_provider_objects_are_refused_with_a_way_out(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    doc["providers"] = [{"id": p, "name": doc["provider_names"][p]} for p in doc["providers"]]
    path = write(tmp_path, "matrix.json", doc)
    with pytest.raises(InputError) as info:
        load_matrix(path)
    assert str(info.value) == (
        f"{path}: providers: expected provider ids (strings), found objects; rebuild this "
        "matrix from its results with `compat build`"
    )


def test_bad_cells_and_versions_name_the_field(tmp_path, fixtures):
    doc = sample_doc(fixtures)
    doc["features"][0]["providers"]["azure"] = {"status": "fail"}
    doc["upstream"] = "mock"
    path = write(tmp_path, "matrix.json", doc)
    with pytest.raises(InputError) as info:
        load_matrix(path)
    message = str(info.value)
    assert "features[0].providers.azure.error: required key is missing" in message
    assert "upstream: Input should be 'emulated' or 'live'" in message
    doc = sample_doc(fixtures)
    doc["schema_version"] = "2"
    with pytest.raises(InputError, match=r'schema_version: expected "1" \(a string\), found'):
        load_doc(tmp_path, doc)
    with pytest.raises(
        InputError, match="expected a matrix mapping at the top level, found a list"
    ):
        load_doc(tmp_path, [])


def test_a_result_for_a_tier_of_another_family_is_refused_not_dropped(tmp_path, manifest_path):
    path = write(
        tmp_path,
        "r.json",
        results_doc([result("vision", "openai", "opus-4-7", {"status": "pass"})]),
    )
    with pytest.raises(InputError) as info:
        build(manifest_path, path)
    assert (
        "results[0].tier: tier 'opus-4-7' does not run on provider 'openai' "
        "(expected one of: gpt-5-6-sol, gpt-5-6-terra, gpt-5-6-luna)"
    ) in str(info.value)


def test_gpt_columns_aggregate_their_own_tiers_and_the_contract_skips_them(tmp_path, manifest_path):
    tiers = ["gpt-5-6-sol", "gpt-5-6-terra", "gpt-5-6-luna"]
    outcomes = [{"status": "pass"}, {"status": "pass"}, {"status": "fail", "error": "no"}]
    path = write(
        tmp_path,
        "r.json",
        results_doc(
            [result("vision", "openai", t, o) for t, o in zip(tiers, outcomes, strict=True)]
        ),
    )
    matrix = build(manifest_path, path)
    assert matrix.cell("vision", "openai").status == "fail"
    assert "[gpt-5-6-luna] no" in matrix.cell("vision", "openai").error
    assert matrix.cell("vision", "vertex_ai_gpt").status == "not_applicable"
    assert matrix.cell("contract_keep_alive", "openai").status == "not_tested"
    assert matrix.contract_routes() == matrix.providers[:5]
