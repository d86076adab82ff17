"""The prompts probes send, and the judging of the Bash round trip several probes share.

These are plain instructions a real model follows in live mode; the emulator's model
answers the same sentences (see compat.emulator.model).
"""

from __future__ import annotations

import json

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes.base import ProbeContext, clip, expect_nonce

# Pre-approves exactly this one command; `dontAsk` denies anything else without prompting.
PERMISSION_ARGS = ("--permission-mode", "dontAsk")


def echo_prompt(nonce: str) -> str:
    return f"Reply with exactly this token and nothing else: {nonce}"


def bash_command(nonce: str) -> str:
    return f"echo {nonce}"


def bash_prompt(nonce: str) -> str:
    return (
        f"Use the Bash tool to run this exact command: `{bash_command(nonce)}`. "
        "Then reply with the command's output."
    )


def bash_invocation(ctx: ProbeContext, *extra: str, env: dict[str, str] | None = None):
    """The Bash round trip: one allowed command, nothing else permitted."""
    return ClaudeInvocation(
        model=ctx.alias,
        prompt=bash_prompt(ctx.nonce),
        extra_args=(
            *PERMISSION_ARGS,
            "--allowedTools",
            f"Bash({bash_command(ctx.nonce)})",
            *extra,
        ),
        env=env or {},
        timeout_s=ctx.timeout_s,
    )


def judge_bash_round_trip(run: ClaudeRun, nonce: str) -> str | None:
    """The model asked for the command, Claude Code ran it, and the answer carries its output."""
    calls = [b for b in run.blocks("tool_use") if b.get("name") == "Bash"]
    if not calls:
        seen = [b.get("type") for b in run.assistant_blocks]
        return f"expected a Bash tool_use block, saw assistant blocks {seen or 'none'}"
    command = calls[0].get("input", {}).get("command")
    if command != bash_command(nonce):
        return f"expected Bash command {bash_command(nonce)!r}, got {clip(json.dumps(command))}"
    results = run.tool_results
    if not results:
        return "the Bash call got no tool_result (Claude Code did not run the command)"
    first = results[0]
    output = first.get("content")
    output_text = output if isinstance(output, str) else json.dumps(output)
    if first.get("is_error"):
        return f"the Bash command failed or was denied: {clip(output_text)}"
    if nonce not in output_text:
        return f"expected the command output to contain {nonce}, got {clip(output_text)}"
    return expect_nonce(run.final_text, nonce, "the final answer")


def echo_invocation(ctx: ProbeContext, *extra: str, env: dict[str, str] | None = None):
    return ClaudeInvocation(
        model=ctx.alias,
        prompt=echo_prompt(ctx.nonce),
        extra_args=(*PERMISSION_ARGS, *extra),
        env=env or {},
        timeout_s=ctx.timeout_s,
    )


def user_message(*blocks: dict) -> dict:
    """One stream-json stdin line carrying a user turn."""
    return {"type": "user", "message": {"role": "user", "content": list(blocks)}}


def signed_thinking_problem(run: ClaudeRun) -> str | None:
    thinking = run.blocks("thinking")
    if not thinking:
        seen = [b.get("type") for b in run.assistant_blocks]
        return f"expected a thinking block, saw assistant blocks {seen or 'none'}"
    if not all(isinstance(b.get("signature"), str) and b["signature"] for b in thinking):
        return "expected every thinking block to carry a non-empty signature, one had none"
    return None
