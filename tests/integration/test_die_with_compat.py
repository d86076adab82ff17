"""`kill -9` of compat: no LiteLLM, emulator or claude process survives it (the tree is listed)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from proxy.foreground import ForegroundProxy
from support.cli import compat_command
from support.proc import command_line, descendants_of, running_pids
from support.processes import Children

pytestmark = pytest.mark.integration

SETTLE_SECONDS = 15


def _tree(pids: list[int]) -> str:
    return "\n".join(f"  {pid} {command_line(pid)[:160]}" for pid in pids) or "  (none)"


def _wait_for_tree(
    compat: subprocess.Popen, wanted: Callable[[list[str]], bool], timeout: float
) -> list[int]:
    """compat's descendants, once their command lines satisfy `wanted`."""
    deadline = time.monotonic() + timeout
    below: list[int] = []
    while time.monotonic() < deadline:
        below = descendants_of(compat.pid)
        if wanted([command_line(pid) for pid in below]):
            return below
        assert compat.poll() is None, f"compat exited early ({compat.returncode})"
        time.sleep(0.05)
    raise AssertionError(f"the processes never appeared under compat; tree:\n{_tree(below)}")


def _has_litellm(names: list[str]) -> bool:
    return any("litellm" in name for name in names)


def _has_litellm_and_claude_at_work(names: list[str]) -> bool:
    return _has_litellm(names) and any(
        "claude" in name and "--version" not in name and "litellm" not in name for name in names
    )


def _kill_and_list_survivors(compat: subprocess.Popen, tree: list[int]) -> list[int]:
    os.kill(compat.pid, signal.SIGKILL)
    compat.wait(timeout=10)
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        survivors = [pid for pid in tree if pid in running_pids()]
        if not survivors:
            return []
        time.sleep(0.1)
    return survivors


def test_kill_9_of_boot_proxy_takes_litellm_with_it(repo_root: Path) -> None:
    proxy = ForegroundProxy("--timeout", "180", cwd=repo_root)
    try:
        proxy.wait_ready(timeout=240)
        tree = descendants_of(proxy.process.pid)
        assert _has_litellm([command_line(pid) for pid in tree]), _tree(tree)
        survivors = _kill_and_list_survivors(proxy.process, tree)
        assert not survivors, f"left running after kill -9 of compat:\n{_tree(survivors)}"
    finally:
        proxy.close()


def test_kill_9_of_run_takes_litellm_and_claude_with_it(
    repo_root: Path, tmp_path: Path, children: Children
) -> None:
    compat = children.spawn(
        compat_command(
            "run",
            *("-f", "long_context_1m", "-f", "tool_use"),
            *("-p", "anthropic", "-p", "azure"),
            *("--out", str(tmp_path / "out")),
        ),
        cwd=repo_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tree = _wait_for_tree(compat, _has_litellm_and_claude_at_work, timeout=240)
    survivors = _kill_and_list_survivors(compat, tree)
    assert not survivors, f"left running after kill -9 of compat:\n{_tree(survivors)}"
