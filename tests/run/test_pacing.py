"""Per-provider pacing: the token bucket on a virtual clock, its runner hook, its inputs."""

from __future__ import annotations

import asyncio
import copy
import selectors
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from pydantic import SecretStr

from compat.cli import main
from compat.driver import ProxyEndpoint
from compat.errors import InputError
from compat.manifest import load_manifest
from compat.outcome import Fail, Pass
from compat.probes.base import Probe, ProbeContext, Verdict
from compat.run.cells import select_cells
from compat.run.journal import Journal
from compat.run.pacing import Pacer, burst_size, effective_rates, parse_rpm_flags
from compat.run.scheduler import RunningProxy, Scheduler, SchedulerSettings
from support.pacing import excess

T = TypeVar("T")


class _JumpingSelector:
    """A selector that moves its loop's clock to the next timer instead of sleeping."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        self._loop = loop
        self._real = selectors.DefaultSelector()

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is not None and timeout > 0:
            self._loop.now += timeout
            timeout = 0
        return self._real.select(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on an injected clock: it jumps to each timer, so waits take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(selector=_JumpingSelector(self))  # type: ignore[arg-type]

    def time(self) -> float:
        return self.now


def on_virtual_clock(main: Callable[[], Awaitable[T]]) -> T:
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def now() -> float:
    return round(asyncio.get_running_loop().time(), 3)


def test_burst_is_a_seconds_worth_and_at_least_one():
    assert [burst_size(r) for r in (1, 59, 60, 119, 120, 3000)] == [1, 1, 1, 1, 2, 50]


def test_sixty_a_minute_is_one_a_second_from_the_first():
    pacer = Pacer({"anthropic": 60})

    async def main() -> list[float]:
        times = []
        for _ in range(5):
            await pacer.take("anthropic")
            times.append(now())
        return times

    assert on_virtual_clock(main) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_a_full_bucket_bursts_then_refills_at_the_rate():
    pacer = Pacer({"azure": 600})  # 10 a second: a burst of 10, then one every 0.1 s

    async def main() -> list[float]:
        async def one() -> float:
            await pacer.take("azure")
            return now()

        return list(await asyncio.gather(*(one() for _ in range(13))))

    times = sorted(on_virtual_clock(main))
    assert times[:10] == [0.0] * 10
    assert times[10:] == [0.1, 0.2, 0.3]


def test_an_attempt_is_charged_its_upstream_requests_even_above_the_burst():
    pacer = Pacer({"vertex_ai": 60})

    async def main() -> list[float]:
        await pacer.take("vertex_ai", 3)  # three tokens from a one-token bucket: 0, 1, 2
        first = now()
        await pacer.take("vertex_ai")
        return [first, now()]

    assert on_virtual_clock(main) == [2.0, 3.0]


def test_an_unpaced_provider_is_never_held_back():
    pacer = Pacer({"anthropic": 1})

    async def main() -> list[float]:
        await pacer.take("anthropic")
        paced = asyncio.create_task(pacer.take("anthropic"))  # waits a whole minute
        for _ in range(50):
            await pacer.take("azure", 5)
        unpaced_done = now()
        await paced
        return [unpaced_done, now()]

    assert on_virtual_clock(main) == [0.0, 60.0]


def test_waiting_for_tokens_holds_no_slot():
    pacer = Pacer({"bedrock_invoke": 60})
    slots = asyncio.Semaphore(1)
    admitted: dict[str, float] = {}

    async def cell(name: str, provider: str, start: float) -> None:
        await asyncio.sleep(start)
        async with pacer.admit(provider, 1, slots):
            admitted[name] = now()
            await asyncio.sleep(0.1)

    async def main() -> None:
        await asyncio.gather(
            cell("paced-1", "bedrock_invoke", 0),
            cell("paced-2", "bedrock_invoke", 0.01),
            cell("unpaced", "azure", 0.05),
        )

    on_virtual_clock(main)
    # paced-2 waits ~1 s for a token; the only slot is free for the other provider meanwhile.
    assert admitted == {"paced-1": 0.0, "unpaced": 0.1, "paced-2": 1.0}


def test_tokens_do_not_pile_up_while_cells_wait_for_a_slot():
    pacer = Pacer({"anthropic": 60})
    slots = asyncio.Semaphore(1)
    started: list[float] = []

    async def busy() -> None:
        async with slots:  # another provider's long cell holds the only slot for 5 s
            await asyncio.sleep(5)

    async def paced(start: float) -> None:
        await asyncio.sleep(start)
        async with pacer.admit("anthropic", 1, slots):
            started.append(now())
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(busy(), *(paced(0.001 * (i + 1)) for i in range(4)))

    on_virtual_clock(main)
    # One token may wait in hand for the slot; the rest are taken at the rate after it.
    assert started == [5.0, 5.01, 6.0, 7.0]
    assert excess(started, burst=1 + 1, per_second=1.0) <= 0


class TimedProbe(Probe):
    """Passes after `seconds`, or asks for a retry on its first try of a `flaky` cell."""

    feature_id = "timed"

    def __init__(self, seconds: float, *, flaky: set[str] = frozenset(), weight: int = 1):
        self.seconds = seconds
        self.flaky = flaky
        self.upstream_requests = weight
        self.starts: dict[str, list[float]] = {}
        self.tries: Counter[str] = Counter()

    async def run(self, ctx: ProbeContext) -> Verdict:
        self.starts.setdefault(ctx.cell.provider, []).append(now())
        self.tries[ctx.cell.feature_id] += 1
        await asyncio.sleep(self.seconds)
        if ctx.cell.feature_id in self.flaky and self.tries[ctx.cell.feature_id] == 1:
            return Verdict(outcome=Fail(error="API error 529: Overloaded"), retryable=True)
        return Verdict(outcome=Pass())


def run_on_virtual_clock(tmp_path: Path, probe: TimedProbe, rates: dict[str, int], **select):
    manifest = load_manifest(Path(__file__).parents[2] / "manifest.yaml")
    journal = Journal(tmp_path / "j.jsonl")
    journal.open(fresh=True)
    runner = Scheduler(
        manifest,
        RunningProxy(ProxyEndpoint(base_url="http://127.0.0.1:9", api_key=SecretStr("sk-test"))),
        SchedulerSettings(concurrency=4, backoff_s=0.5, requests_per_minute=rates),
        journal=journal,
        probes={f: probe for f in manifest.feature_ids},
    )
    cells = select_cells(manifest, **select)
    try:
        results = on_virtual_clock(lambda: runner.run(cells, []))
    finally:
        journal.close()
    assert len(results) == len(cells) == len(journal.read())
    return results


def test_the_runner_paces_one_provider_and_leaves_the_other_alone(tmp_path):
    probe = TimedProbe(0.5)
    run_on_virtual_clock(
        tmp_path,
        probe,
        {"vertex_ai": 120},  # two a second, in a two-token bucket
        providers=["vertex_ai", "azure"],
        tiers=["haiku-4-5", "sonnet-4-6"],
        features=["basic_messaging_streaming", "thinking", "vision"],
    )
    assert probe.starts["vertex_ai"] == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
    # Paced cells waiting for tokens hold no slot: azure takes every slot vertex_ai leaves.
    assert probe.starts["azure"] == [0.0, 0.0, 0.5, 0.5, 0.5, 1.0]


def test_the_runner_charges_every_attempt_its_weight(tmp_path):
    probe = TimedProbe(0.1, flaky={"tool_use"}, weight=2)
    results = run_on_virtual_clock(
        tmp_path,
        probe,
        {"anthropic": 60},
        providers=["anthropic"],
        tiers=["opus-4-7"],
        features=["tool_use", "vision"],
    )
    assert [r.evidence.attempts for r in results] == [2, 1]
    # Three attempts of two tokens each at one token a second: tokens at 0+1, 2+3, 4+5.
    assert probe.starts["anthropic"] == [1.0, 3.0, 5.0]


def test_rpm_flags_parse_into_rates(manifest_path):
    manifest = load_manifest(manifest_path)
    assert parse_rpm_flags(["anthropic=50", " azure = 7 "], manifest) == {
        "anthropic": 50,
        "azure": 7,
    }
    assert parse_rpm_flags([], manifest) == {}


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("anthropic", "--rpm: expected PROVIDER=N such as anthropic=50, got 'anthropic'"),
        ("=5", "--rpm: expected PROVIDER=N such as anthropic=50, got '=5'"),
        ("anthropic=", "--rpm: expected PROVIDER=N such as anthropic=50, got 'anthropic='"),
        ("anthropc=5", "--rpm anthropc=5: unknown provider 'anthropc' (did you mean 'anthropic'?)"),
        ("anthropic=0", "--rpm anthropic=0: N must be a whole number of requests per minute"),
        ("anthropic=-3", "--rpm anthropic=-3: N must be a whole number"),
        ("anthropic=1.5", "--rpm anthropic=1.5: N must be a whole number"),
        ("anthropic=lots", "--rpm anthropic=lots: N must be a whole number"),
    ],
)
def test_a_bad_rpm_flag_is_one_input_error(manifest_path, flag, message):
    with pytest.raises(InputError) as info:
        parse_rpm_flags([flag], load_manifest(manifest_path))
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_a_provider_given_twice_is_refused(manifest_path):
    with pytest.raises(InputError, match="--rpm: azure given twice"):
        parse_rpm_flags(["azure=5", "azure=6"], load_manifest(manifest_path))


def test_rpm_misuse_exits_2_from_the_cli(compat_cli, repo_root):
    proc = compat_cli("run", "--rpm", "vertex=5", cwd=repo_root)
    assert proc.returncode == 2, proc.stderr
    assert "unknown provider 'vertex'" in proc.stderr
    assert "Traceback" not in proc.stderr


def manifest_with_rates(tmp_path: Path, manifest_path: Path, **rates: Any) -> Path:
    data = yaml.safe_load(manifest_path.read_text())
    for provider in data["providers"]:
        if provider["id"] in rates:
            provider["requests_per_minute"] = copy.deepcopy(rates[provider["id"]])
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_manifest_rates_pace_live_runs_only_and_flags_win(tmp_path, manifest_path):
    manifest = load_manifest(manifest_with_rates(tmp_path, manifest_path, anthropic=50, azure=9))
    assert manifest.requests_per_minute == {"anthropic": 50, "azure": 9}
    assert effective_rates(manifest, live=True, flags={"azure": 3}) == {
        "anthropic": 50,
        "azure": 3,
    }
    assert effective_rates(manifest, live=False, flags={"azure": 3}) == {"azure": 3}
    assert load_manifest(manifest_path).requests_per_minute == {}


@pytest.mark.parametrize("bad", [0, -1, True, "60", 1.5])
def test_a_bad_manifest_rate_names_the_provider(tmp_path, manifest_path, bad):
    path = manifest_with_rates(tmp_path, manifest_path, vertex_ai=bad)
    with pytest.raises(InputError) as info:
        load_manifest(path)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"{path}: providers[3].requests_per_minute: ")


def test_rpm_flags_reach_the_runner(monkeypatch, repo_root):
    seen = []
    monkeypatch.setattr(
        "compat.commands.run_display.execute",
        lambda request, **_options: seen.append(request) or 0,
    )
    monkeypatch.chdir(repo_root)
    assert main(["run", "-f", "vision", "--rpm", "azure=7", "--rpm", "anthropic=120"]) == 0
    assert seen[0].scheduler.requests_per_minute == {"azure": 7, "anthropic": 120}
