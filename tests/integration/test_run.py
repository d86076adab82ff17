"""`compat run` on the real chain: real claude (npm) → real LiteLLM → the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.emulator.faults import FaultSpec
from compat.manifest import Manifest
from compat.outcome import Fail, Pass, TierResult
from compat.proxy.lifecycle import ProxySession
from compat.run.cells import select_cells
from support.scheduling import schedule

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def no_faults_left(proxy: ProxySession) -> Iterator[None]:
    yield
    assert proxy.emulator is not None
    proxy.emulator.ctx.faults.clear()


def run(
    proxy: ProxySession, manifest: Manifest, tmp_path: Path, **select: list[str]
) -> tuple[list[TierResult], list[TierResult]]:
    """Run the selected cells; returns the results and what the journal holds."""
    cells = select_cells(manifest, **select)
    run = schedule(proxy, manifest, cells, tmp_path / "compat-results.jsonl")
    assert len(run.results) == len(cells) == len(run.journal)  # no cell lost or doubled
    return run.results, run.journal


def errors(results: list[TierResult]) -> dict[str, str]:
    return {r.feature_id: r.outcome.error for r in results if isinstance(r.outcome, Fail)}


def test_every_feature_passes_on_the_anthropic_column(proxy, manifest, tmp_path):
    results, _ = run(proxy, manifest, tmp_path, providers=["anthropic"], tiers=["sonnet-4-6"])
    assert errors(results) == {}
    assert all(r.outcome == Pass() for r in results)
    streamed = next(r for r in results if r.feature_id == "tool_use")
    assert streamed.evidence.upstream_requests, "the emulator's record of the cell is attached"


@pytest.mark.parametrize("provider", ["bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"])
def test_features_pass_on_every_other_provider(proxy, manifest, tmp_path, provider):
    results, _ = run(
        proxy,
        manifest,
        tmp_path,
        providers=[provider],
        tiers=["haiku-4-5"],
        features=["basic_messaging_streaming", "tool_use", "vision"],
    )
    assert errors(results) == {}


def test_dropped_thinking_turns_exactly_the_thinking_cells_red(proxy, manifest, tmp_path):
    assert proxy.emulator is not None
    proxy.emulator.ctx.faults.add(FaultSpec(provider="azure", kind="drop_thinking", count=1000))
    results, _ = run(
        proxy,
        manifest,
        tmp_path,
        providers=["azure"],
        tiers=["sonnet-4-6"],
        features=["thinking", "thinking_with_tool_use", "basic_messaging_non_streaming"],
    )
    red = errors(results)
    assert set(red) == {"thinking", "thinking_with_tool_use"}
    assert "expected a thinking block" in red["thinking"]
    assert "thinking" in red["thinking_with_tool_use"]


def test_an_overload_storm_is_retried_then_reported(proxy, manifest, tmp_path):
    assert proxy.emulator is not None
    proxy.emulator.ctx.faults.add(
        FaultSpec(provider="vertex_ai", kind="status", status=529, count=1000)
    )
    results, _ = run(
        proxy,
        manifest,
        tmp_path,
        providers=["vertex_ai", "anthropic"],
        tiers=["haiku-4-5"],
        features=["basic_messaging_non_streaming"],
    )
    by_provider = {r.provider: r for r in results}
    assert by_provider["anthropic"].outcome == Pass()
    failed = by_provider["vertex_ai"]
    assert isinstance(failed.outcome, Fail)
    assert "529" in failed.outcome.error or "verloaded" in failed.outcome.error
    assert failed.evidence.attempts == 2


def test_a_cut_stream_is_a_red_cell_with_a_readable_error(proxy, manifest, tmp_path):
    assert proxy.emulator is not None
    proxy.emulator.ctx.faults.add(
        FaultSpec(provider="bedrock_invoke", kind="cut_stream", after_events=3, count=1000)
    )
    results, journal = run(
        proxy,
        manifest,
        tmp_path,
        providers=["bedrock_invoke", "azure"],
        tiers=["haiku-4-5"],
        features=["basic_messaging_streaming"],
    )
    by_provider = {r.provider: r for r in results}
    assert by_provider["azure"].outcome == Pass()
    cut = by_provider["bedrock_invoke"].outcome
    assert isinstance(cut, Fail) and len(cut.error) > 20
    assert json.loads(journal[0].model_dump_json())["outcome"]["status"] in ("pass", "fail")
