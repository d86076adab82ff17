"""`compat cache list` and `compat cache prune`: what is kept, what goes, and what stays put."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

import pytest

from compat.cli import main
from compat.commands.cache import disk_usage
from compat.proxy.venv import LAST_USED_NAME, MARKER_NAME, InstallMarker, requirement
from support.cli import run_compat

DAY = 86400


def fake_venv(cache: Path, version: str, *, used_days_ago: float | None, constraint: str) -> Path:
    target = cache / "compat" / "litellm" / version
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "litellm").write_text("#!/bin/sh\n")
    (target / "lib.bin").write_bytes(b"x" * 300_000)
    marker = InstallMarker(
        requirement=requirement(version),
        python="3.11",
        installed_at="2026-11-01T10:00:00+00:00",
        constraint=constraint,
    )
    (target / MARKER_NAME).write_text(marker.model_dump_json())
    if used_days_ago is not None:
        stamp = target / LAST_USED_NAME
        stamp.touch()
        moment = time.time() - used_days_ago * DAY
        os.utime(stamp, (moment, moment))
    return target


def fake_claude(cache: Path, version: str) -> None:
    target = cache / "compat" / "claude-code" / version
    (target / "node_modules" / ".bin").mkdir(parents=True)
    (target / "node_modules" / ".bin" / "claude").write_text("#!/bin/sh\n")
    (target / ".compat-install.json").write_text(json.dumps({"version": version}))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    home = tmp_path / "cache"
    fake_venv(home, "1.90.7", used_days_ago=9, constraint="exclude-newer 2026-08-10T02:00:57Z")
    fake_venv(home, "1.98.0", used_days_ago=1, constraint="lock compat-lock.txt (today's index)")
    fake_venv(home, "1.106.2", used_days_ago=3, constraint="lock litellm-1.106.2.txt")
    (home / "compat" / "litellm" / "1.80.0" / "bin").mkdir(parents=True)  # an install that died
    fake_claude(home, "2.1.329")
    return home


def cache_cli(cache: Path, *args: str):
    return run_compat("cache", *args, env={"XDG_CACHE_HOME": str(cache), "COLUMNS": "200"})


def remaining(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "compat" / "litellm").iterdir() if p.is_dir())


def test_list_shows_every_venv_and_claude_install_with_totals(cache: Path) -> None:
    done = cache_cli(cache, "list")
    assert done.returncode == 0, done.stderr
    rows = {line.split("│")[0].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert set(rows) == {"1.80.0", "1.90.7", "1.98.0", "1.106.2", "2.1.329"}
    assert "incomplete" in rows["1.80.0"]
    assert "lock litellm-1.106.2.txt" in rows["1.106.2"]
    assert "exclude-newer 2026-08-10T02:00:57Z" in rows["1.90.7"]
    assert "2026-11-01" in rows["1.98.0"]
    assert "4 LiteLLM venv(s) in" in done.stdout
    assert "1 Claude Code install(s) in" in done.stdout


def test_prune_keeps_the_most_recently_used_and_says_what_it_freed(cache: Path) -> None:
    done = cache_cli(cache, "prune", "--keep", "2")
    assert done.returncode == 0, done.stderr
    assert remaining(cache) == ["1.106.2", "1.98.0"]
    assert "removed LiteLLM 1.90.7" in done.stdout
    assert "removed LiteLLM 1.80.0 (incomplete)" in done.stdout
    assert "2 venv(s) removed; freed" in done.stdout
    assert (cache / "compat" / "claude-code" / "2.1.329").exists()


def test_a_dry_run_removes_nothing(cache: Path) -> None:
    done = cache_cli(cache, "prune", "--keep", "0", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert remaining(cache) == ["1.106.2", "1.80.0", "1.90.7", "1.98.0"]
    assert done.stdout.count("would remove LiteLLM") == 4
    assert "4 venv(s) to remove; would free" in done.stdout


def test_a_venv_being_installed_is_never_removed(cache: Path) -> None:
    lock = cache / "compat" / "litellm" / ".1.80.0.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        done = cache_cli(cache, "prune", "--keep", "0")
    assert done.returncode == 0, done.stderr
    assert remaining(cache) == ["1.80.0"]
    assert "kept LiteLLM 1.80.0: it is being installed right now" in done.stderr


@pytest.mark.parametrize("keep", ["x", "-1", "1.5", ""])
def test_a_bad_keep_is_an_input_error(
    cache: Path, keep: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert main(["cache", "prune", "--keep", keep]) == 2
    assert "--keep: expected a whole number of venvs to keep" in capsys.readouterr().err
    assert remaining(cache) == ["1.106.2", "1.80.0", "1.90.7", "1.98.0"]


def test_disk_usage_counts_a_hard_link_once_and_shared_ones_as_not_own(tmp_path: Path) -> None:
    inside = tmp_path / "venv"
    inside.mkdir()
    (inside / "own.bin").write_bytes(b"a" * 100_000)
    (inside / "shared.bin").write_bytes(b"b" * 100_000)
    os.link(inside / "shared.bin", tmp_path / "elsewhere.bin")
    os.link(inside / "own.bin", inside / "own-again.bin")
    usage = disk_usage(inside)
    file_bytes = (inside / "own.bin").stat().st_blocks * 512
    assert usage.total - usage.own == file_bytes, "only the link shared outside is not own"
    assert usage.total >= 2 * file_bytes
