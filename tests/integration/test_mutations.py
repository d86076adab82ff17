"""Every feature can turn red: a mutation of the proxy's behaviour turns its cell red.

One proxy (the real LiteLLM, with compat's mutation callback loaded from its config) serves
every test in this module. For each of the 16 features, one cell runs through the real
chain with the proxy taking away the beta, field, tool, block or stream increments that
carry the feature; the cell must fail with an error naming what was lost, and the
emulator's record must show the upstream request really was altered. The control runs the
same cells with no mutation switched on, and they pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compat.manifest import Manifest
from compat.outcome import Fail, Pass, TierResult
from compat.probes import wire
from compat.proxy import mutations as m
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.run.cells import Cell
from compat.upstream_log import RecordedRequest
from support.scheduling import schedule
from support.sessions import emulated_session

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
CONTEXT_1M = "context-1m-2025-08-07"

Check = Callable[[list[RecordedRequest]], bool]
"""True when the cell's upstream requests show the mutation took effect."""


def names(record: RecordedRequest) -> set[str]:
    return {str(t.get("name")) for t in wire.tools(record)}


def types(record: RecordedRequest) -> set[str]:
    return {str(t.get("type")) for t in wire.tools(record)}


def messages_sent(records: list[RecordedRequest]) -> list[RecordedRequest]:
    """The Messages requests of the cell (not Vertex's token exchange)."""
    return [r for r in records if isinstance(r.body, dict) and r.body]


@dataclass(frozen=True)
class Case:
    feature: str
    provider: str
    tier: str
    mutation: m.Mutation
    error: str
    """What the cell's error must say: the lost beta, field, tool, block or increments."""
    altered: Check

    @property
    def cell(self) -> Cell:
        return Cell(self.feature, self.provider, self.tier)


CASES = [
    Case(
        "basic_messaging_non_streaming",
        "anthropic",
        "haiku-4-5",
        m.set_field("stream", True),
        "expected a non-streaming upstream request (`stream: false`)",
        lambda rs: any(wire.streaming(r) for r in rs),
    ),
    Case(
        "basic_messaging_streaming",
        "anthropic",
        "haiku-4-5",
        m.coalesce_deltas("text_delta"),
        "expected at least 2 text_delta stream events, saw 1",
        # The request goes up unchanged; the mutation merges the reply's increments.
        lambda rs: all(wire.streaming(r) for r in rs),
    ),
    Case(
        "tool_use",
        "anthropic",
        "haiku-4-5",
        m.drop_tool("Bash"),
        "expected the tool `Bash` in the upstream request's `tools`",
        lambda rs: all("Bash" not in names(r) for r in rs),
    ),
    Case(
        "prompt_caching_5m",
        "bedrock_converse",
        "sonnet-4-6",
        m.STRIP_CACHE_CONTROL,
        "expected cache breakpoints (`cache_control`) in the upstream requests",
        lambda rs: all(not wire.cache_breakpoints(r) for r in rs),
    ),
    Case(
        "vision",
        "anthropic",
        "haiku-4-5",
        m.drop_blocks("image"),
        "expected this run's image upstream in a content block of type `image`",
        lambda rs: all(not wire.blocks(r, "image") for r in rs),
    ),
    Case(
        "thinking",
        "anthropic",
        "sonnet-4-6",
        m.drop_field("output_config.effort"),
        "expected `output_config.effort: high` (claude --effort high) in the upstream request",
        lambda rs: all(wire.effort(r) is None for r in rs),
    ),
    Case(
        "tool_use_streaming",
        "anthropic",
        "haiku-4-5",
        m.set_field("stream", False),
        "expected a streaming upstream request (`stream: true`",
        lambda rs: all(not wire.streaming(r) for r in rs),
    ),
    Case(
        "thinking_with_tool_use",
        "anthropic",
        "haiku-4-5",
        m.drop_blocks("thinking", role="assistant"),
        "expected the first turn's signed thinking block back upstream",
        lambda rs: all(not wire.blocks(r, "thinking", role="assistant") for r in rs),
    ),
    Case(
        "pdf_input",
        "anthropic",
        "haiku-4-5",
        m.drop_blocks("document"),
        "expected this run's document upstream in a content block of type `document`",
        lambda rs: all(not wire.blocks(r, "document") for r in rs),
    ),
    Case(
        "prompt_caching_1h",
        "anthropic",
        "sonnet-4-6",
        m.DROP_CACHE_TTL,
        'expected cache breakpoints with `ttl: "1h"` upstream',
        lambda rs: all(
            points and all("ttl" not in p for p in points)
            for points in (wire.cache_breakpoints(r) for r in rs)
        ),
    ),
    Case(
        "web_search",
        "anthropic",
        "haiku-4-5",
        m.drop_server_tools("web_search_"),
        "expected the web search server tool (`tools` entry of type web_search_*)",
        lambda rs: all(not any(t.startswith("web_search_") for t in types(r)) for r in rs),
    ),
    Case(
        "structured_outputs",
        "anthropic",
        "haiku-4-5",
        m.drop_tool("StructuredOutput"),
        "expected Claude Code's --json-schema tool `StructuredOutput` in the upstream",
        lambda rs: all("StructuredOutput" not in names(r) for r in rs),
    ),
    Case(
        "count_tokens",
        "anthropic",
        "haiku-4-5",
        m.COUNT_LOCALLY,
        "expected this run's count_tokens request upstream (found by its nonce), none reached it",
        lambda rs: not any(wire.is_count_tokens(r) for r in rs),
    ),
    Case(
        "tool_search",
        "bedrock_invoke",
        "sonnet-4-6",
        m.drop_server_tools("tool_search_tool_"),
        "expected the tool search server tool (tool_search_tool_regex_20251119)",
        lambda rs: all(not any(t.startswith("tool_search_tool_") for t in types(r)) for r in rs),
    ),
    Case(
        "long_context_1m",
        "bedrock_invoke",
        "sonnet-4-6",
        m.drop_beta(CONTEXT_1M),
        f"expected the {CONTEXT_1M} beta Claude Code sends for a `[1m]` model",
        lambda rs: all(CONTEXT_1M not in wire.betas(r) for r in rs),
    ),
    Case(
        "contract_unbuffered_stream",
        "anthropic",
        "haiku-4-5",
        m.BUFFER_STREAM,
        "after the upstream's last one",
        lambda rs: all(wire.streaming(r) for r in rs),
    ),
    Case(
        "contract_event_sequence",
        "anthropic",
        "haiku-4-5",
        m.drop_events("message_delta"),
        "no message_delta before message_stop",
        lambda rs: all(wire.streaming(r) for r in rs),
    ),
    Case(
        "contract_keep_alive",
        "anthropic",
        "haiku-4-5",
        m.drop_events("ping"),
        "Claude Code gave up on the stream and asked again without streaming",
        # The stalled stream, then Claude Code's unstreamed second try.
        lambda rs: any(not wire.streaming(r) for r in rs),
    ),
    Case(
        "contract_system_array",
        "anthropic",
        "haiku-4-5",
        m.set_field("system", "You are a helpful assistant."),
        "expected `system` as Claude Code's array of blocks, it arrived str",
        lambda rs: all(isinstance(r.body.get("system"), str) for r in rs),
    ),
    Case(
        "contract_thinking_signatures",
        "anthropic",
        "haiku-4-5",
        m.drop_blocks("thinking", role="assistant"),
        "expected turn 3's request to carry the signed thinking of turn(s) 1, 2",
        lambda rs: all(not wire.blocks(r, "thinking", role="assistant") for r in rs),
    ),
    Case(
        "contract_exact_token_count",
        "anthropic",
        "haiku-4-5",
        m.COUNT_LOCALLY,
        "expected this run's count_tokens request upstream (found by its nonce), none reached it",
        lambda rs: not any(wire.is_count_tokens(r) for r in rs),
    ),
    Case(
        "contract_model_discovery",
        "anthropic",
        "haiku-4-5",
        m.redirect_path("/v1/models"),
        "Claude Code treats any redirect as a failed discovery",
        # Answered by the proxy itself: nothing goes upstream either way.
        lambda rs: rs == [],
    ),
    Case(
        "passthrough",
        "bedrock_invoke",
        "haiku-4-5",
        m.drop_field("anthropic_beta"),
        "expected Claude Code's betas in the body `anthropic_beta`, it arrived without them",
        lambda rs: all("anthropic_beta" not in r.body for r in rs),
    ),
    Case(
        "passthrough",
        "anthropic",
        "haiku-4-5",
        m.drop_header("anthropic-beta"),
        "expected Claude Code's betas in the header `anthropic-beta`, it arrived without them",
        lambda rs: all(not wire.betas(r) for r in rs),
    ),
    Case(
        "passthrough",
        "vertex_ai",
        "haiku-4-5",
        m.drop_field("anthropic_version"),
        "expected body `anthropic_version: vertex-2023-10-16`, found None",
        lambda rs: all("anthropic_version" not in r.body for r in rs),
    ),
]

# The GPT columns: LiteLLM translates to OpenAI's Responses API; the same features turn red
# when the proxy loses what carries them there (the two thinking rows are red at the default
# versions already: see docs/fidelity.md).
GPT_CASES = [
    Case(
        "basic_messaging_non_streaming",
        "azure_openai",
        "gpt-5-6-luna",
        m.set_field("stream", True),
        "expected a non-streaming upstream request (`stream: false`)",
        lambda rs: any(wire.streaming(r) for r in rs),
    ),
    Case(
        "basic_messaging_streaming",
        "openai",
        "gpt-5-6-luna",
        m.coalesce_deltas("text_delta"),
        "expected at least 2 text_delta stream events, saw 1",
        lambda rs: all(wire.streaming(r) for r in rs),
    ),
    Case(
        "tool_use",
        "bedrock_mantle",
        "gpt-5-6-luna",
        m.drop_tool("Bash"),
        "expected the tool `Bash` in the upstream request's `tools`",
        lambda rs: all("Bash" not in names(r) for r in rs),
    ),
    Case(
        "prompt_caching_5m",
        "openai",
        "gpt-5-6-terra",
        m.drop_usage("cache_read_input_tokens"),
        "the upstream's automatic cache hit (`cached_tokens`) did not make it back",
        # The requests go up unchanged (two turns sharing the prefix); the reply loses it.
        lambda rs: len(rs) >= 2,
    ),
    Case(
        "vision",
        "azure_openai",
        "gpt-5-6-luna",
        m.drop_blocks("image"),
        "expected this run's image upstream in a content block of type `image`",
        lambda rs: all(not wire.blocks(r, "image") for r in rs),
    ),
    Case(
        "tool_use_streaming",
        "bedrock_mantle",
        "gpt-5-6-sol",
        m.set_field("stream", False),
        "expected a streaming upstream request (`stream: true`",
        lambda rs: all(not wire.streaming(r) for r in rs),
    ),
    Case(
        "pdf_input",
        "openai",
        "gpt-5-6-luna",
        m.drop_blocks("document"),
        "expected this run's document upstream in a content block of type `document`",
        lambda rs: all(not wire.blocks(r, "document") for r in rs),
    ),
    Case(
        "structured_outputs",
        "azure_openai",
        "gpt-5-6-terra",
        m.drop_tool("StructuredOutput"),
        "expected Claude Code's --json-schema tool `StructuredOutput` in the upstream",
        lambda rs: all("StructuredOutput" not in names(r) for r in rs),
    ),
    Case(
        "count_tokens",
        "openai",
        "gpt-5-6-luna",
        m.COUNT_LOCALLY,
        "(OpenAI counts at POST /v1/responses/input_tokens): the proxy answered from its own",
        lambda rs: not any(wire.is_count_tokens(r) for r in rs),
    ),
]


@dataclass
class MutatingProxy:
    session: ProxySession
    control: m.MutationControl


@pytest.fixture(scope="module")
def mutating(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MutatingProxy]:
    directory = tmp_path_factory.mktemp("mutating-proxy")
    config = m.mutating_config(ROOT / "proxy_config.yaml", directory)
    with emulated_session(ProxySettings(config=config, timeout=180)) as session:
        yield MutatingProxy(session, m.MutationControl(directory))


@pytest.fixture(autouse=True)
def nothing_left_on(mutating: MutatingProxy) -> Iterator[None]:
    yield
    mutating.control.clear()


def run(
    proxy: MutatingProxy, manifest: Manifest, tmp_path: Path, cells: list[Cell]
) -> tuple[list[TierResult], list[RecordedRequest]]:
    """Run `cells` through the runner, the probes judging the recorder; also what it recorded."""
    session = proxy.session
    assert session.emulator is not None
    recorder = session.emulator.ctx.recorder
    since = recorder.last_seq
    results = schedule(session, manifest, cells, tmp_path / "compat-results.jsonl").results
    assert len(results) == len(cells)
    return results, recorder.query(since=since)


def test_the_cells_pass_with_no_mutation_switched_on(mutating, manifest, tmp_path):
    results, _ = run(mutating, manifest, tmp_path, [case.cell for case in CASES + GPT_CASES])
    failures = {r.feature_id: r.outcome.error for r in results if isinstance(r.outcome, Fail)}
    assert failures == {}
    assert all(r.outcome == Pass() for r in results)
    assert mutating.control.fired() == []


@pytest.mark.parametrize(
    "case", CASES + GPT_CASES, ids=[f"{case.feature}-{case.provider}" for case in CASES + GPT_CASES]
)
def test_the_mutation_turns_the_cell_red_naming_what_was_lost(mutating, manifest, tmp_path, case):
    fired_before = len(mutating.control.fired())
    with mutating.control.applied(case.mutation):
        (result,), records = run(mutating, manifest, tmp_path, [case.cell])
    fired = mutating.control.fired()[fired_before:]
    assert fired, f"the callback never applied {case.mutation}"
    assert {entry["mutation"]["kind"] for entry in fired} == {case.mutation.kind}
    sent = messages_sent(records)
    if case.feature not in (
        "count_tokens",
        "contract_exact_token_count",
        "contract_model_discovery",
    ):
        assert sent, "the cell's requests reached the emulator"
    assert case.altered(sent), f"the upstream requests do not show: {case.mutation}"
    assert isinstance(result.outcome, Fail), f"{case.feature} passed with {case.mutation}"
    assert case.error in result.outcome.error, result.outcome.error


def test_the_open_lists_check_names_each_value_the_proxy_lost(mutating, manifest, tmp_path):
    """LiteLLM already drops the unseen body field; taking the unseen beta too is named as well."""
    cell = Cell("contract_open_lists", "anthropic", "haiku-4-5")
    (control,), _ = run(mutating, manifest, tmp_path, [cell])
    assert isinstance(control.outcome, Fail)
    assert "(CLAUDE_CODE_EXTRA_BODY)" in control.outcome.error
    assert "(ANTHROPIC_BETAS)" not in control.outcome.error
    with mutating.control.applied(m.drop_beta("compat-unseen-*")):
        (result,), records = run(mutating, manifest, tmp_path, [cell])
    assert all(not any(b.startswith("compat-unseen-") for b in wire.betas(r)) for r in records)
    assert isinstance(result.outcome, Fail)
    assert "the unseen beta `compat-unseen-" in result.outcome.error, result.outcome.error
