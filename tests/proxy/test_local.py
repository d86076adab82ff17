"""The local runtime: a real child process group, started bare or inheriting, always reaped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.proxy.environment import ProxyEnvironment
from compat.proxy.health import free_port, wait_until_healthy
from compat.proxy.local import LocalRuntime
from compat.proxy.logs import REDACTED, ProxyLog, Redactor
from compat.proxy.runtime import Launch
from compat.proxy.venv import litellm_binary_path
from support.proc import environment_of, pids_in_group

from .conftest import ConfigFactory

MASTER_KEY = "sk-local-runtime-test-key-0123456789abcdef0123456789"


def _launch(tmp_path: Path, config: Path, *, inherit: bool) -> Launch:
    return Launch(
        config_path=config,
        port=free_port(),
        environment=ProxyEnvironment(values={"ANTHROPIC_API_KEY": "sk-ant-local-test-1234567"}),
        master_key=MASTER_KEY,
        log=ProxyLog(tmp_path / "litellm.log", Redactor([MASTER_KEY])),
        work_dir=tmp_path,
        inherit_environment=inherit,
    )


@pytest.fixture
def runtime(fake_litellm: str) -> Iterator[LocalRuntime]:
    local = LocalRuntime(litellm_binary_path(fake_litellm), fake_litellm)
    yield local
    local.stop(grace=1)


def _start(runtime: LocalRuntime, launch: Launch) -> int:
    runtime.start(launch)
    wait_until_healthy(
        f"http://127.0.0.1:{launch.port}", timeout=20, exit_status=runtime.exit_status
    )
    assert runtime.pid is not None
    return runtime.pid


def test_runs_in_its_own_group_and_stops_with_sigterm(
    runtime: LocalRuntime, fake_config: ConfigFactory, tmp_path: Path
) -> None:
    pid = _start(runtime, _launch(tmp_path, fake_config("healthy"), inherit=False))
    assert pids_in_group(pid) == [pid]
    assert runtime.exit_status() is None
    runtime.stop(grace=5)
    assert pids_in_group(pid) == []
    assert runtime.exit_status() is None  # nothing left to report on
    runtime.stop()  # idempotent


def test_sigkill_after_the_grace_period_takes_the_whole_group(
    runtime: LocalRuntime, fake_config: ConfigFactory, tmp_path: Path
) -> None:
    pid = _start(runtime, _launch(tmp_path, fake_config("stubborn"), inherit=False))
    deadline = time.monotonic() + 5
    while len(pids_in_group(pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids_in_group(pid)) == 2, "the stand-in should have forked a worker"
    started = time.monotonic()
    runtime.stop(grace=0.5)
    assert time.monotonic() - started < 5
    assert pids_in_group(pid) == []


def test_emulated_mode_starts_from_a_bare_environment(
    runtime: LocalRuntime,
    fake_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "users-real-profile")
    pid = _start(runtime, _launch(tmp_path, fake_config("healthy"), inherit=False))
    seen = environment_of(pid)
    assert "AWS_PROFILE" not in seen
    assert seen["HOME"] == str(tmp_path)
    assert seen["ANTHROPIC_API_KEY"] == "sk-ant-local-test-1234567"
    assert seen["LITELLM_MASTER_KEY"] == MASTER_KEY
    assert seen["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


def test_live_mode_inherits_the_users_environment(
    runtime: LocalRuntime,
    fake_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://corporate-proxy.invalid:3128")
    pid = _start(runtime, _launch(tmp_path, fake_config("healthy"), inherit=True))
    assert environment_of(pid)["HTTPS_PROXY"] == "http://corporate-proxy.invalid:3128"


def test_output_reaches_the_log_redacted(
    runtime: LocalRuntime, fake_config: ConfigFactory, tmp_path: Path
) -> None:
    launch = _launch(tmp_path, fake_config("healthy"), inherit=False)
    _start(runtime, launch)
    runtime.stop(grace=5)
    text = launch.log.path.read_text()
    assert "fake-litellm starting (healthy)" in text
    assert MASTER_KEY not in text
    assert f"LITELLM_MASTER_KEY={REDACTED}" in text
