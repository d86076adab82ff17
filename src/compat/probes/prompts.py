"""The prompts probes send, and the judging of the Bash round trip several probes share.

These are plain instructions a real model follows in live mode; the emulator's model
answers the same sentences (see compat.emulator.model).
"""

from __future__ import annotations

import json
import shlex
import sys

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import wire
from compat.probes.base import ProbeContext, clip, expect_nonce
from compat.upstream_log import RecordedRequest

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


def tool_names(record: RecordedRequest) -> list[str]:
    return [str(t.get("name") or t.get("type")) for t in wire.tools(record)]


def offered_problem(records: list[RecordedRequest], name: str, what: str) -> str | None:
    """The tool `name` was in the `tools` of the answered upstream requests."""
    sent = wire.answered(records)
    if not sent:
        return "no upstream request carrying this run's prompt was answered"
    if any(name in tool_names(record) for record in sent):
        return None
    names = tool_names(sent[0])
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return (
        f"expected {what} `{name}` in the upstream request's `tools`, "
        f"{wire.describe(sent[0])} offered {shown or 'no tools'}: the proxy dropped it"
    )


def bash_wire_problem(run: ClaudeRun, records: list[RecordedRequest], nonce: str) -> str | None:
    """Bash was offered upstream and, once Claude Code ran it, its result went back up."""
    problem = offered_problem(records, "Bash", "the tool")
    if problem is not None or not run.tool_results:
        return problem
    returned = [
        record
        for record in wire.answered(records)
        if any(nonce in json.dumps(block) for block in wire.blocks(record, "tool_result"))
    ]
    if not returned:
        return (
            "expected the Bash command's output to go back upstream as a `tool_result` "
            "block, no answered request carried one: the proxy dropped it"
        )
    return None


def attachment_problem(records: list[RecordedRequest], kind: str) -> str | None:
    """An upstream request held this run's bytes (`records`) in a `kind` block."""
    if any(wire.blocks(record, kind) for record in records):
        return None  # whether upstream accepted it is the transcript's to say
    if records:
        return (
            f"expected this run's {kind} upstream in a content block of type `{kind}`, the "
            f"request carrying its bytes ({wire.describe(records[-1])}) had none: the proxy "
            "altered the block"
        )
    return (
        f"expected this run's {kind} upstream in a content block of type `{kind}` holding its "
        "bytes, no request carried it: the proxy dropped the block"
    )


def streaming_problem(records: list[RecordedRequest]) -> str | None:
    """Every answered upstream request asked for a stream."""
    sent = wire.answered(records)
    if not sent:
        return "no upstream request carrying this run's prompt was answered"
    buffered = [record for record in sent if not wire.streaming(record)]
    if not buffered:
        return None
    return (
        "expected a streaming upstream request (`stream: true`, or the provider's streaming "
        f"operation), the proxy sent {wire.describe(buffered[0])} without streaming and "
        "buffered the reply"
    )


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
