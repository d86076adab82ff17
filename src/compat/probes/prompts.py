"""The prompts probes send, and the judging of the Bash round trip several probes share.

These are plain instructions a real model follows in live mode; the emulator's model
answers the same sentences (see compat.emulator.model).
"""

from __future__ import annotations

import json
import shlex
import sys

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes.base import ProbeContext, clip, expect_nonce

# `dontAsk` denies, without prompting, every tool call that no rule pre-approves.
PERMISSION_ARGS = ("--permission-mode", "dontAsk")

# Claude Code (2.1) still runs read-only commands (`echo`, `ls`, `pwd`, `cat` of a file in
# the working directory) in dontAsk mode, whatever --allowedTools says. A PreToolUse hook
# is consulted before that auto-approval and exit status 2 blocks the call, so this one
# lets only the pre-approved command through. Any other exit status would let the call
# proceed, hence the catch-all and the shell's `|| exit 2` when Python cannot even start.
BASH_GUARD = """\
import json, sys
try:
    allowed = json.load(sys.stdin)["tool_input"]["command"] == sys.argv[1]
except Exception:
    allowed = False
if not allowed:
    print("this probe allows only the command " + sys.argv[1], file=sys.stderr)
    sys.exit(2)
"""


def echo_prompt(nonce: str) -> str:
    return f"Reply with exactly this token and nothing else: {nonce}"


def bash_command(nonce: str) -> str:
    return f"echo {nonce}"


def bash_prompt(nonce: str) -> str:
    return (
        f"Use the Bash tool to run this exact command: `{bash_command(nonce)}`. "
        "Then reply with the command's output."
    )


def only_command_args(command: str) -> tuple[str, ...]:
    """Flags that pre-approve the Bash `command` and let no other Bash command run."""
    guard = shlex.join([sys.executable, "-I", "-c", BASH_GUARD, command]) + " || exit 2"
    hook = {"matcher": "Bash", "hooks": [{"type": "command", "command": guard}]}
    settings = {"hooks": {"PreToolUse": [hook]}}
    return ("--allowedTools", f"Bash({command})", "--settings", json.dumps(settings))


def bash_invocation(ctx: ProbeContext, *extra: str, env: dict[str, str] | None = None):
    """The Bash round trip: one allowed command, nothing else permitted."""
    allowed = only_command_args(bash_command(ctx.nonce))
    return ask(ctx, bash_prompt(ctx.nonce), *allowed, *extra, env=env)


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


def ask(
    ctx: ProbeContext, prompt: str, *extra: str, env: dict[str, str] | None = None
) -> ClaudeInvocation:
    """One prompt on the command line, non-interactive, nothing pre-approved but `extra`."""
    return ClaudeInvocation(
        model=ctx.alias,
        prompt=prompt,
        extra_args=(*PERMISSION_ARGS, *extra),
        env=env or {},
        timeout_s=ctx.timeout_s,
    )


def ask_with_blocks(
    ctx: ProbeContext, *blocks: dict, model: str | None = None, timeout_s: float | None = None
) -> ClaudeInvocation:
    """One user turn of content blocks (images, documents, long text) over stdin."""
    return ClaudeInvocation(
        model=model or ctx.alias,
        stdin_messages=[user_message(*blocks)],
        extra_args=PERMISSION_ARGS,
        timeout_s=timeout_s or ctx.timeout_s,
    )


def echo_invocation(ctx: ProbeContext, *extra: str) -> ClaudeInvocation:
    return ask(ctx, echo_prompt(ctx.nonce), *extra)


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
