"""`compat boot-proxy` end to end with a stand-in LiteLLM: output, key handling, exits."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from compat.manifest import load_manifest
from proxy.fakes import install_fake_litellm, write_fake_config
from proxy.foreground import ForegroundProxy
from support.cli import CompatCli
from support.proc import children_of, environment_of, pids_with_argument

NO_CREDENTIALS = {
    name: ""
    for name in (
        "ANTHROPIC_API_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_REGION",
        "VERTEXAI_PROJECT",
        "VERTEXAI_LOCATION",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AZURE_FOUNDRY_API_BASE",
        "AZURE_FOUNDRY_API_KEY",
    )
}


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a compat child that finds the stand-in as LiteLLM 0.0.1."""
    version = install_fake_litellm(tmp_path / "cache")
    return {"XDG_CACHE_HOME": str(tmp_path / "cache"), "COMPAT_LITELLM_VERSION": version}


@pytest.fixture
def config_copy(repo_root: Path, tmp_path: Path) -> Path:
    """The real proxy_config.yaml at a path unique to this test (to find its processes)."""
    copy = tmp_path / "proxy_config.yaml"
    copy.write_text((repo_root / "proxy_config.yaml").read_text())
    return copy


@pytest.fixture
def foreground(
    repo_root: Path, cache_env: dict[str, str], config_copy: Path
) -> Iterator[list[ForegroundProxy]]:
    started: list[ForegroundProxy] = []
    yield started
    for proxy in started:
        proxy.close()
    assert pids_with_argument(str(config_copy)) == []


def test_prints_url_env_and_every_alias_then_stops_on_ctrl_c(
    repo_root: Path,
    cache_env: dict[str, str],
    config_copy: Path,
    foreground: list[ForegroundProxy],
) -> None:
    proxy = ForegroundProxy("--config", str(config_copy), cwd=repo_root, env=cache_env)
    foreground.append(proxy)
    base_url = proxy.wait_ready(timeout=60)
    assert httpx.get(base_url + "/health/liveliness").status_code == 200
    [pid] = children_of(proxy.process.pid)
    key = environment_of(pid)["LITELLM_MASTER_KEY"]
    assert proxy.interrupt() == 0
    assert "stopped" in proxy.stderr
    stdout = proxy.stdout
    assert f"export ANTHROPIC_BASE_URL={base_url}" in stdout
    assert "export ANTHROPIC_AUTH_TOKEN=<hidden; use --show-key>" in stdout
    assert re.search(r"emulator: http://127\.0\.0\.1:\d+", stdout)
    manifest = load_manifest(repo_root / "manifest.yaml")
    # Each column's own family's tiers; the column not applicable as a whole gets none.
    served = manifest.deployments()
    assert {p.id for p, _ in served} == set(manifest.provider_ids) - set(
        manifest.unserved_provider_ids
    )
    for provider, tier in served:
        assert tier.id in manifest.tier_ids_for(provider.id)
        assert manifest.proxy_alias(provider.id, tier.id) in stdout
    for provider in manifest.unserved_provider_ids:
        for tier in manifest.tier_ids_for(provider):
            assert manifest.proxy_alias(provider, tier) not in stdout
    assert "(not in the config)" not in stdout
    assert key not in stdout + proxy.stderr
    assert pids_with_argument(str(config_copy)) == []


def test_sigterm_stops_the_proxy_and_the_emulator_cleanly(
    repo_root: Path,
    cache_env: dict[str, str],
    config_copy: Path,
    foreground: list[ForegroundProxy],
) -> None:
    proxy = ForegroundProxy("--config", str(config_copy), cwd=repo_root, env=cache_env)
    foreground.append(proxy)
    proxy.wait_ready(timeout=60)
    [pid] = children_of(proxy.process.pid)
    proxy.process.send_signal(signal.SIGTERM)
    assert proxy.finish(timeout=60) == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in proxy.stderr
    assert "Traceback" not in proxy.stderr
    assert pid not in pids_with_argument(str(config_copy))
    assert pids_with_argument(str(config_copy)) == []


def test_show_key_prints_the_key_the_proxy_runs_with(
    repo_root: Path,
    cache_env: dict[str, str],
    config_copy: Path,
    foreground: list[ForegroundProxy],
) -> None:
    proxy = ForegroundProxy(
        "--config", str(config_copy), "--show-key", cwd=repo_root, env=cache_env
    )
    foreground.append(proxy)
    proxy.wait_ready(timeout=60)
    [pid] = children_of(proxy.process.pid)
    key = environment_of(pid)["LITELLM_MASTER_KEY"]
    assert f"export ANTHROPIC_AUTH_TOKEN={key}" in proxy.stdout
    assert proxy.interrupt() == 0


def test_a_proxy_that_fails_to_start_exits_1_quoting_its_log(
    repo_root: Path, cache_env: dict[str, str], tmp_path: Path, compat_cli: CompatCli
) -> None:
    config = write_fake_config(tmp_path, "exit")
    done = compat_cli("boot-proxy", "--config", str(config), cwd=repo_root, env=cache_env)
    assert done.returncode == 1
    assert "error: local litellm 0.0.1: the proxy exited with status 3" in done.stderr
    assert "  | fake-litellm: config rejected" in done.stderr
    assert "Traceback" not in done.stderr
    assert pids_with_argument(str(config)) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "70000"], "port: Input should be less than or equal to 65535"),
        (["--litellm-version", "latest"], "'latest' is not a LiteLLM release version"),
        (["--timeout", "0"], "timeout: Input should be greater than 0"),
    ],
)
def test_bad_options_exit_2_with_one_message(
    repo_root: Path,
    cache_env: dict[str, str],
    args: list[str],
    expected: str,
    compat_cli: CompatCli,
) -> None:
    done = compat_cli("boot-proxy", *args, cwd=repo_root, env=cache_env)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_live_mode_without_any_credentials_points_at_doctor(
    repo_root: Path, cache_env: dict[str, str], compat_cli: CompatCli
) -> None:
    done = compat_cli(
        "boot-proxy", "--upstream", "live", cwd=repo_root, env={**cache_env, **NO_CREDENTIALS}
    )
    assert done.returncode == 2
    assert "no provider has credentials" in done.stderr
    assert "compat doctor" in done.stderr
    assert "warning: anthropic: live credentials incomplete (missing ANTHROPIC_API_KEY)" in (
        done.stderr
    )
