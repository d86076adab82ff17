"""What claude may do during a probe, on the real chain (claude → LiteLLM → the emulator).

The emulator's model calls Bash with whatever command a prompt puts in backticks, so a
probe-style prompt naming another command makes the model really ask for it. Claude Code
runs with a probe's own flags (`bash_invocation`: dontAsk, one pre-approved command and
the guard hook) and must refuse, without running anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from compat.claude_install import find_claude
from compat.driver import ClaudeInvocation, ClaudeRun, ProxyEndpoint, SystemEvent
from compat.probes.base import ProbeContext
from compat.probes.prompts import (
    ask,
    bash_command,
    bash_invocation,
    bash_prompt,
    only_command_args,
)
from compat.proxy.lifecycle import ProxySession
from compat.run.cells import Cell
from support.sessions import emulated_session

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxySession]:
    with emulated_session() as session:
        yield session


@pytest.fixture
def ctx(proxy: ProxySession, tmp_path: Path) -> ProbeContext:
    """A tool_use cell's context; claude's scratch directories go under tmp_path/scratch."""
    (tmp_path / "scratch").mkdir()
    return ProbeContext(
        cell=Cell("tool_use", "azure", "haiku-4-5"),
        alias="claude-haiku-4-5-azure",
        proxy=ProxyEndpoint(base_url=proxy.base_url, api_key=SecretStr(proxy.master_key)),
        claude_binary=find_claude(),
        timeout_s=120,
        scratch_root=tmp_path / "scratch",
    )


def asking_for(ctx: ProbeContext, command: str) -> ClaudeInvocation:
    """The probe's own invocation, its prompt naming `command` instead of the approved one."""
    prompt = bash_prompt(ctx.nonce).replace(bash_command(ctx.nonce), command)
    return dataclasses.replace(bash_invocation(ctx), prompt=prompt)


def run(ctx: ProbeContext, invocation: ClaudeInvocation) -> ClaudeRun:
    return asyncio.run(ctx.claude(invocation))


def requested(run: ClaudeRun) -> list[str]:
    return [b["input"]["command"] for b in run.blocks("tool_use") if b.get("name") == "Bash"]


def init_event(run: ClaudeRun) -> dict[str, Any]:
    """The fields of the `system` `init` event: working directory, permission mode, tools."""
    (init,) = [e for e in run.of_type(SystemEvent) if e.subtype == "init"]
    return init.model_extra or {}


def denied(run: ClaudeRun) -> list[str]:
    """Commands Claude Code refused, from the result event and `permission_denied` events."""
    assert run.result is not None, run.stderr
    from_result = [d["tool_input"]["command"] for d in run.result.permission_denials]
    from_events = [
        e.model_extra["tool_input"]["command"]
        for e in run.of_type(SystemEvent)
        if e.subtype == "permission_denied" and e.model_extra and "tool_input" in e.model_extra
    ]
    return from_result + from_events


@pytest.mark.parametrize("make", ["touch", "mkdir"])
def test_a_prompt_asking_for_another_command_is_denied_not_run(ctx, tmp_path, make):
    # Outside the working directory, where the command's effect would be visible.
    marker = tmp_path / "outside" / "marker"
    marker.parent.mkdir()
    command = f"{make} {marker}"
    result = run(ctx, asking_for(ctx, command))
    assert requested(result) == [command]  # the model really asked for it
    assert command in denied(result)
    assert all(r.get("is_error") for r in result.tool_results)
    assert not marker.exists()
    assert list(marker.parent.iterdir()) == []


@pytest.mark.parametrize("command", ["echo not-the-nonce", "ls -A", "pwd"])
def test_read_only_commands_are_denied_too(ctx, command):
    result = run(ctx, asking_for(ctx, command))
    assert requested(result) == [command]
    assert command in denied(result)
    (answer,) = result.tool_results
    assert answer.get("is_error") and "not-the-nonce" not in answer["content"]
    assert "this probe allows only the command" in answer["content"]


def test_without_the_guard_claude_code_runs_read_only_commands_unasked(ctx):
    # What the guard hook closes: Claude Code 2.1 approves read-only commands on its own in
    # dontAsk mode, whatever --allowedTools says. Should a release stop doing so, this
    # fails, and the guard in compat.probes.prompts may be reconsidered.
    allowed = f"Bash({bash_command(ctx.nonce)})"
    prompt = bash_prompt(ctx.nonce).replace(bash_command(ctx.nonce), "echo not-the-nonce")
    result = run(ctx, ask(ctx, prompt, "--allowedTools", allowed))
    assert init_event(result)["permissionMode"] == "dontAsk"
    assert denied(result) == []
    assert [r["content"] for r in result.tool_results] == ["not-the-nonce"]


def test_the_approved_command_still_runs(ctx):
    result = run(ctx, bash_invocation(ctx))
    assert denied(result) == []
    assert [r["content"] for r in result.tool_results] == [ctx.nonce]


def test_claude_works_in_an_empty_directory_that_is_removed_afterwards(ctx):
    command = "pwd && ls -A && echo END"
    prompt = bash_prompt(ctx.nonce).replace(bash_command(ctx.nonce), command)
    result = run(ctx, ask(ctx, prompt, *only_command_args(command)))
    workdir = Path(init_event(result)["cwd"])
    assert workdir.is_relative_to(ctx.scratch_root)
    # `pwd`, then nothing from `ls -A`: the directory held no file at all.
    assert [r["content"] for r in result.tool_results] == [f"{workdir}\nEND"]
    assert not workdir.exists()
    assert ctx.scratch_root is not None and list(ctx.scratch_root.iterdir()) == []
