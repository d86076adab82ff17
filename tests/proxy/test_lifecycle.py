"""ProxySession with the stand-in LiteLLM: boot, secrets, failures, and nothing left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from compat.proxy import env_names as env
from compat.proxy.environment import Upstream
from compat.proxy.lifecycle import ProxySession, ProxySettings, ProxyStartError
from compat.proxy.local import LocalRuntime
from compat.proxy.logs import REDACTED
from support.proc import environment_of, pids_in_group, pids_with_argument
from support.processes import Children

from .conftest import ConfigFactory


def _settings(version: str, config: Path, **overrides: object) -> ProxySettings:
    values: dict[str, object] = {
        "litellm_version": version,
        "config": config,
        "upstream": Upstream.live,
        "timeout": 20,
        "grace": 2,
    }
    values.update(overrides)
    return ProxySettings.model_validate(values)


def _local_pid(session: ProxySession) -> int:
    assert isinstance(session.runtime, LocalRuntime) and session.runtime.pid is not None
    return session.runtime.pid


def test_boots_healthy_and_leaves_nothing_behind(
    fake_litellm: str, fake_config: ConfigFactory, live_secrets: dict[str, str]
) -> None:
    config = fake_config("healthy")
    with ProxySession(_settings(fake_litellm, config)) as proxy:
        assert re.fullmatch(r"sk-[A-Za-z0-9_-]{48}", proxy.master_key)
        assert proxy.alive() and proxy.exit_status() is None
        assert proxy.aliases == ["claude-haiku-4-5"]
        assert proxy.emulator is None
        assert proxy.boot_seconds is not None and proxy.boot_seconds < 20
        assert httpx.get(proxy.base_url + "/health/liveliness").status_code == 200
        pid = _local_pid(proxy)
        assert environment_of(pid)[env.ANTHROPIC_API_KEY] == live_secrets[env.ANTHROPIC_API_KEY]
        assert proxy.log is not None
        work_dir = proxy.log.path.parent
    assert not proxy.alive()
    assert pids_in_group(pid) == []
    assert pids_with_argument(str(config)) == []
    assert not work_dir.exists()


def test_master_keys_differ_per_boot(fake_litellm: str, fake_config: ConfigFactory) -> None:
    settings = _settings(fake_litellm, fake_config("healthy"))
    assert ProxySession(settings).master_key != ProxySession(settings).master_key


def test_the_log_never_holds_a_secret(
    fake_litellm: str,
    fake_config: ConfigFactory,
    live_secrets: dict[str, str],
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "kept" / "litellm.log"
    settings = _settings(fake_litellm, fake_config("healthy"), log_path=log_path)
    with ProxySession(settings) as proxy:
        key = proxy.master_key
    text = log_path.read_text()
    assert "fake-litellm starting" in text
    for secret in (
        key,
        live_secrets[env.ANTHROPIC_API_KEY],
        live_secrets[env.AWS_SECRET_ACCESS_KEY],
    ):
        assert secret not in text
    assert f"LITELLM_MASTER_KEY={REDACTED}" in text
    assert f"ANTHROPIC_API_KEY={REDACTED}" in text


def test_a_proxy_that_exits_fails_fast_quoting_its_log(
    fake_litellm: str, fake_config: ConfigFactory, live_secrets: dict[str, str]
) -> None:
    config = fake_config("exit")
    session = ProxySession(_settings(fake_litellm, config, timeout=60))
    started = time.monotonic()
    with pytest.raises(ProxyStartError) as caught:
        session.start()
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert caught.value.exit_code == 1
    assert "exited with status 3" in message
    assert "  | fake-litellm: config rejected" in message
    for secret in (session.master_key, *live_secrets.values()):
        if len(secret) > 10:
            assert secret not in message
    assert pids_with_argument(str(config)) == []


def test_a_proxy_that_never_answers_times_out_and_is_killed(
    fake_litellm: str, fake_config: ConfigFactory, live_secrets: dict[str, str]
) -> None:
    config = fake_config("hang")
    session = ProxySession(_settings(fake_litellm, config, timeout=1.5, grace=1))
    started = time.monotonic()
    with pytest.raises(ProxyStartError) as caught:
        session.start()
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 1.5 + 1 + 5
    message = str(caught.value)
    assert "did not answer /health/liveliness within 1.5 seconds" in message
    assert "fake-litellm starting (hang)" in message
    assert session.master_key not in message
    assert pids_with_argument(str(config)) == []
    assert not session.alive()


def test_emulated_mode_wires_every_provider_to_the_emulator(
    fake_litellm: str, fake_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env.ANTHROPIC_API_KEY, "sk-ant-users-real-key-must-not-leak")
    settings = _settings(fake_litellm, fake_config("healthy"), upstream=Upstream.emulated)
    with ProxySession(settings) as proxy:
        assert proxy.emulator is not None
        seen = environment_of(_local_pid(proxy))
        url = proxy.emulator.url
        assert seen[env.ANTHROPIC_API_BASE] == url
        assert seen[env.BEDROCK_RUNTIME_ENDPOINT] == url
        assert seen[env.VERTEX_API_BASE] == url
        assert seen[env.AZURE_FOUNDRY_API_BASE] == f"{url}/anthropic"
        assert seen[env.ANTHROPIC_API_KEY] != "sk-ant-users-real-key-must-not-leak"
        account = json.loads(Path(seen[env.GOOGLE_APPLICATION_CREDENTIALS]).read_text())
        assert account["token_uri"] == f"{url}/oauth2/token"
        assert account["project_id"] == seen[env.VERTEXAI_PROJECT]
        emulator_url = url
    with pytest.raises(httpx.TransportError):
        httpx.get(emulator_url + "/health", timeout=2)


def test_settings_are_validated() -> None:
    with pytest.raises(ValidationError):
        ProxySettings(port=70000)
    with pytest.raises(ValidationError):
        ProxySettings(timeout=0)
    with pytest.raises(ValidationError, match="not a LiteLLM release version"):
        ProxySettings(litellm_version="latest")
    assert ProxySettings(upstream=Upstream.emulated).network == "host"
    assert ProxySettings(upstream=Upstream.live).network == "bridge"
    assert ProxySettings(litellm_version="1.2.3").image_tag == "v1.2.3"


_HOST_SCRIPT = """
import sys, time
from pathlib import Path
from compat.proxy.environment import Upstream
from compat.proxy.lifecycle import ProxySession, ProxySettings

settings = ProxySettings(
    litellm_version=sys.argv[1], config=Path(sys.argv[2]), upstream=Upstream.live, grace=2
)
session = ProxySession(settings)
{body}
"""


def _host(children: Children, body: str, version: str, config: Path) -> subprocess.Popen[str]:
    script = _HOST_SCRIPT.format(body=textwrap.dedent(body))
    return children.spawn(
        [sys.executable, "-c", script, version, str(config)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _read_pid(host: subprocess.Popen[str]) -> int:
    assert host.stdout is not None
    line = host.stdout.readline()
    assert line.strip().isdigit(), f"host printed {line!r}"
    return int(line)


def test_sigterm_to_the_host_process_stops_the_proxy(
    fake_litellm: str, fake_config: ConfigFactory, children: Children
) -> None:
    body = """
    from compat.signals import install_stop_signals

    install_stop_signals()
    with session:
        print(session.runtime.pid, flush=True)
        time.sleep(120)
    """
    host = _host(children, body, fake_litellm, fake_config("healthy"))
    pid = _read_pid(host)
    assert pids_in_group(pid) == [pid]
    host.send_signal(signal.SIGTERM)
    assert host.wait(timeout=20) == 128 + signal.SIGTERM
    assert pids_in_group(pid) == []


def test_a_session_never_closed_is_stopped_at_interpreter_exit(
    fake_litellm: str, fake_config: ConfigFactory, children: Children
) -> None:
    body = """
    session.start()
    print(session.runtime.pid, flush=True)
    sys.exit(0)
    """
    host = _host(children, body, fake_litellm, fake_config("healthy"))
    pid = _read_pid(host)
    assert host.wait(timeout=20) == 0
    assert pids_in_group(pid) == []
