"""`compat install litellm`: prints the cached binary; a failed install says why."""

from __future__ import annotations

import subprocess
from pathlib import Path

from proxy.fakes import install_fake_litellm
from support.cli import run_compat


def install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    return run_compat("install", "litellm", *args, env=env, timeout=300)


def test_prints_the_binary_of_a_cached_version(tmp_path: Path) -> None:
    version = install_fake_litellm(tmp_path / "cache")
    done = install(tmp_path, "--version", version)
    assert done.returncode == 0, done.stderr
    expected = tmp_path / "cache" / "compat" / "litellm" / version / "bin" / "litellm"
    assert done.stdout.strip() == str(expected)


def test_a_version_that_does_not_exist_fails_cleanly(tmp_path: Path) -> None:
    done = install(tmp_path, "--version", "999.0.0")
    assert done.returncode == 1
    assert "error: " in done.stderr and "litellm[proxy,google]==999.0.0" in done.stderr
    assert not (tmp_path / "cache" / "compat" / "litellm" / "999.0.0").exists()


def test_a_malformed_version_is_refused(tmp_path: Path) -> None:
    done = install(tmp_path, "--version", "../../etc")
    assert done.returncode == 2
    assert "not a LiteLLM release version" in done.stderr
