"""Emulator faults on the real chain: every affected cell ends pass after a bounded retry, or
fail with an error that names the fault, and no cell is lost or counted twice.

LiteLLM's router retries a refused request twice on its own (3 upstream tries per claude
run), so a burst of 3 refusals defeats LiteLLM's retries and only compat's second attempt
gets through: that is what `evidence.attempts == 2` shows below.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from compat.emulator.faults import FaultSpec
from compat.outcome import Fail, Pass
from compat.proxy.lifecycle import ProxySession
from compat.run.cells import Cell
from reliability.chain import (
    assert_every_cell_recorded_once,
    boot_proxy,
    claude_processes,
    descendants,
    run_cells,
    watch_processes,
)

pytestmark = pytest.mark.integration

HAIKU = "haiku-4-5"
LITELLM_TRIES = 3
"""Upstream tries one claude run gets through LiteLLM (its router's default num_retries=2)."""


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxySession]:
    with boot_proxy() as session:
        yield session


@pytest.fixture
def plan(proxy: ProxySession) -> Iterator[Callable[..., None]]:
    """Queue faults for one test; whatever it leaves unused is dropped after it."""
    assert proxy.emulator is not None
    faults = proxy.emulator.ctx.faults

    def add(*specs: FaultSpec) -> None:
        for spec in specs:
            faults.add(spec)

    yield add
    faults.clear()


def refused(proxy: ProxySession, provider: str, since: int) -> list[int]:
    """Statuses of the provider's requests the emulator refused since `since`."""
    assert proxy.emulator is not None
    records = proxy.emulator.ctx.recorder.query(since=since)
    return [r.status for r in records if r.provider == provider and (r.status or 0) >= 400]


def test_a_stalled_upstream_passes_within_the_timeout_and_is_killed_beyond_it(
    proxy, plan, manifest, tmp_path
):
    # Room for a 3 s first byte plus claude's start on a loaded two-core machine.
    timeout_s = 18.0
    plan(
        FaultSpec(provider="anthropic", kind="slow_first_byte", delay_s=3),
        # Over well before the module's proxy stops, so its teardown waits on nothing.
        FaultSpec(provider="azure", kind="slow_first_byte", delay_s=40),
    )
    # A claude cell: the timeout under test kills claude's process group.
    cells = [Cell("basic_messaging_streaming", p, HAIKU) for p in ("anthropic", "azure")]
    started = time.monotonic()
    with watch_processes(os.getpid()) as watch:
        recorded = run_cells(
            proxy, manifest, cells, tmp_path / "j.jsonl", concurrency=2, timeout_s=timeout_s
        )
    elapsed = time.monotonic() - started
    assert_every_cell_recorded_once(manifest, cells, recorded)
    assert recorded.by_provider()["anthropic"].outcome == Pass()
    stalled = recorded.by_provider()["azure"]
    assert stalled.outcome == Fail(
        error="claude did not finish within 18s (the per-cell --timeout); "
        "its process group was killed"
    )
    assert stalled.evidence is not None and stalled.evidence.attempts == 1
    assert timeout_s <= elapsed < 40, "the cell ended at its timeout, not when upstream answered"
    # Both claude runs were seen, and the stalled one's whole process group is gone.
    assert len(claude_processes(watch.seen)) >= 2
    assert watch.survivors() == set()
    assert descendants(os.getpid()) - watch.before == set()


def test_429_529_and_500_bursts_are_retried_until_the_cell_passes(proxy, plan, manifest, tmp_path):
    assert proxy.emulator is not None
    # One provider per burst: a provider's faults hit whichever of its requests comes next.
    bursts = {"anthropic": 529, "azure": 429, "vertex_ai": 500}
    plan(
        *(
            FaultSpec(provider=p, kind="status", status=s, count=LITELLM_TRIES)
            for p, s in bursts.items()
        ),
    )
    since = proxy.emulator.ctx.recorder.last_seq
    cells = [Cell("basic_messaging_non_streaming", p, HAIKU) for p in bursts]
    recorded = run_cells(
        proxy, manifest, cells, tmp_path / "j.jsonl", concurrency=3, max_attempts=3
    )
    assert_every_cell_recorded_once(manifest, cells, recorded)
    for provider, status in bursts.items():
        result = recorded.by_provider()[provider]
        assert result.outcome == Pass(), (provider, result.outcome)
        assert result.evidence is not None and result.evidence.attempts == 2, provider
        # The whole burst was served (and refused) before the pass: it really happened.
        assert refused(proxy, provider, since).count(status) == LITELLM_TRIES, provider
    assert proxy.emulator.ctx.faults.pending() == []


def test_broken_streams_fail_with_an_error_naming_the_fault(proxy, plan, manifest, tmp_path):
    plan(
        FaultSpec(provider="azure", kind="cut_stream", after_events=3, count=1000),
        # A Bedrock event-stream frame with a bad CRC; an SSE line that is not JSON;
        # Converse's JSON reply cut short.
        FaultSpec(provider="bedrock_invoke", kind="malformed_frame", after_events=2, count=1000),
        FaultSpec(provider="anthropic", kind="malformed_frame", after_events=2, count=1000),
        FaultSpec(provider="bedrock_converse", kind="malformed_frame", count=1000),
    )
    providers = ["azure", "bedrock_invoke", "anthropic", "bedrock_converse"]
    cells = [Cell("basic_messaging_streaming", p, HAIKU) for p in providers]
    recorded = run_cells(
        proxy, manifest, cells, tmp_path / "j.jsonl", concurrency=4, max_attempts=2
    )
    assert_every_cell_recorded_once(manifest, cells, recorded)
    expected = {
        "azure": ("API error 500", "Response payload is not completed", "(after 2 attempts)"),
        "bedrock_invoke": (
            "API error 500",
            "APIConnectionError",
            "the stream broke off mid-reply",
            "(after 2 attempts)",
        ),
        "anthropic": ("API error 500", "Could not parse message into JSON"),
        "bedrock_converse": ("API error 422", "Unterminated string"),
    }
    for provider, phrases in expected.items():
        outcome = recorded.by_provider()[provider].outcome
        assert isinstance(outcome, Fail), (provider, outcome)
        for phrase in phrases:
            assert phrase in outcome.error, (provider, outcome.error)
        # Claude Code's and LiteLLM's wrapping is gone; what is left is what went wrong.
        assert "API Error:" not in outcome.error and "model group" not in outcome.error
