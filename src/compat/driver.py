"""Run the real `claude` CLI once, in isolation, and parse its stream-json transcript."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Discriminator, Field, SecretStr, Tag, ValidationError

from compat.processes import die_with_parent

# Only these variables of compat's own environment reach the CLI: it must never see
# upstream credentials, and a user's Claude Code settings must not change the probe.
EventT = TypeVar("EventT")

ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")


class ProxyEndpoint(BaseModel):
    """Where the CLI sends its requests (the LiteLLM proxy) and the key it uses."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    api_key: SecretStr


# ---------------------------------------------------------------- stream-json events


class _Event(BaseModel):
    # The CLI adds fields release by release; unknown ones are kept, not fatal.
    model_config = ConfigDict(extra="allow")

    type: str
    session_id: str | None = None


class SystemEvent(_Event):
    type: Literal["system"]
    subtype: str | None = None


class AssistantMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    model: str | None = None
    content: list[dict[str, Any]] = Field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, Any] | None = None


class AssistantEvent(_Event):
    type: Literal["assistant"]
    message: AssistantMessage
    error: str | None = None
    api_error_status: int | None = None
    is_api_error_message: bool = False


class UserEvent(_Event):
    type: Literal["user"]
    message: dict[str, Any]
    tool_use_result: Any = None


class StreamEvent(_Event):
    """One upstream SSE event, forwarded by `--include-partial-messages`."""

    type: Literal["stream_event"]
    event: dict[str, Any]


class ResultEvent(_Event):
    type: Literal["result"]
    subtype: str | None = None
    is_error: bool = False
    api_error_status: int | None = None
    api_error_type: str | None = None
    result: str | None = None
    structured_output: Any = None
    usage: dict[str, Any] | None = None
    num_turns: int | None = None
    duration_ms: int | None = None
    permission_denials: list[dict[str, Any]] = Field(default_factory=list)
    terminal_reason: str | None = None


class UnknownEvent(_Event):
    """An event type this version of compat does not know; kept verbatim."""


KNOWN_TYPES = frozenset({"system", "assistant", "user", "stream_event", "result"})


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in KNOWN_TYPES else "unknown"


Event = Annotated[
    Annotated[SystemEvent, Tag("system")]
    | Annotated[AssistantEvent, Tag("assistant")]
    | Annotated[UserEvent, Tag("user")]
    | Annotated[StreamEvent, Tag("stream_event")]
    | Annotated[ResultEvent, Tag("result")]
    | Annotated[UnknownEvent, Tag("unknown")],
    Discriminator(_event_tag),
]


class _EventLine(BaseModel):
    event: Event


@dataclass(frozen=True)
class UnparsedLine:
    """A stdout line that is not a stream-json event (not JSON, or a malformed event)."""

    text: str
    problem: str


def parse_line(
    line: str,
) -> (
    SystemEvent
    | AssistantEvent
    | UserEvent
    | StreamEvent
    | ResultEvent
    | UnknownEvent
    | UnparsedLine
):
    """Parse one stdout line; never raises."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return UnparsedLine(line, f"not JSON: {exc.msg}")
    except RecursionError:
        # json's C decoder gives up on arrays or objects nested ~1000 deep.
        return UnparsedLine(line, "not JSON: nested too deeply")
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return UnparsedLine(line, "not a stream-json event (no string `type`)")
    try:
        return _EventLine.model_validate({"event": data}).event
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][2:]) or "event"
        return UnparsedLine(line, f"malformed {data['type']} event: {where}: {first['msg']}")


def parse_transcript(text: str) -> list[Any]:
    return [parse_line(line) for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------- one run


@dataclass(frozen=True)
class ClaudeInvocation:
    """What one probe asks of the CLI: the prompt (argv) or stdin messages, and flags."""

    model: str
    prompt: str | None = None
    stdin_messages: Sequence[Mapping[str, Any]] = ()
    extra_args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 120.0
    turn_by_turn: bool = False
    """Send each stdin message only after the CLI finished the previous turn."""

    def __post_init__(self) -> None:
        if (self.prompt is None) == (not self.stdin_messages):
            raise ValueError("give exactly one of `prompt` or `stdin_messages`")


def build_argv(binary: Path | str, invocation: ClaudeInvocation) -> list[str]:
    argv = [
        str(binary),
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        invocation.model,
        *invocation.extra_args,
    ]
    if invocation.stdin_messages:
        return [*argv, "--input-format", "stream-json"]
    # `--` ends option parsing: some flags (--allowedTools, --betas) are variadic.
    return [*argv, "--", invocation.prompt or ""]


def stdin_turns(invocation: ClaudeInvocation) -> list[bytes]:
    """What goes to stdin, in writes: all at once, or one message per turn."""
    payload = stdin_payload(invocation)
    if payload is None:
        return []
    if not invocation.turn_by_turn:
        return [payload]
    return [line + b"\n" for line in payload.splitlines()]


def stdin_payload(invocation: ClaudeInvocation) -> bytes | None:
    if not invocation.stdin_messages:
        return None
    lines = [json.dumps(dict(m), separators=(",", ":")) for m in invocation.stdin_messages]
    return ("\n".join(lines) + "\n").encode()


def build_env(
    invocation: ClaudeInvocation, proxy: ProxyEndpoint, *, home: Path, config_dir: Path
) -> dict[str, str]:
    """The CLI's whole environment: an allowlist of ours plus what points it at the proxy."""
    env = {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ}
    env.update(
        {
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(config_dir),
            "ANTHROPIC_BASE_URL": proxy.base_url,
            "ANTHROPIC_AUTH_TOKEN": proxy.api_key.get_secret_value(),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            # The runner retries overloads itself, with its own bounded backoff; the
            # CLI's default of 10 retries would hide a 529 storm for minutes.
            "CLAUDE_CODE_MAX_RETRIES": "0",
        }
    )
    env.update(invocation.env)
    return env


@dataclass
class ClaudeRun:
    """Everything a judge may look at after one CLI run."""

    argv: list[str]
    events: list[Any]
    exit_code: int | None
    stderr: str
    duration_ms: int
    timed_out: bool = False
    stdout: str = ""
    arrivals: list[float] = field(default_factory=list)
    """When each event's line reached compat (`time.time()`), in the order of `events`."""

    def arrival(self, event: Any) -> float | None:
        """When `event` (one of `events`) arrived; None for runs not read line by line."""
        if len(self.arrivals) != len(self.events):
            return None
        index = next((i for i, e in enumerate(self.events) if e is event), None)
        return None if index is None else self.arrivals[index]

    @property
    def result(self) -> ResultEvent | None:
        return next((e for e in reversed(self.events) if isinstance(e, ResultEvent)), None)

    def of_type(self, kind: type[EventT]) -> list[EventT]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def assistant_blocks(self) -> list[dict[str, Any]]:
        """Every content block of every real (non-synthetic) assistant message, in order."""
        return [
            block
            for event in self.of_type(AssistantEvent)
            if not event.is_api_error_message
            for block in event.message.content
        ]

    def blocks(self, block_type: str) -> list[dict[str, Any]]:
        return [b for b in self.assistant_blocks if b.get("type") == block_type]

    @property
    def final_text(self) -> str:
        result = self.result
        if result is not None and result.result is not None:
            return result.result
        return "".join(b.get("text", "") for b in self.blocks("text"))

    def deltas(self, delta_type: str) -> list[dict[str, Any]]:
        """`content_block_delta` stream events of one delta type (with partial messages)."""
        return [
            e.event["delta"]
            for e in self.of_type(StreamEvent)
            if e.event.get("type") == "content_block_delta"
            and isinstance(e.event.get("delta"), dict)
            and e.event["delta"].get("type") == delta_type
        ]

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        out = []
        for event in self.of_type(UserEvent):
            content = event.message.get("content")
            if isinstance(content, list):
                out += [
                    b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"
                ]
        return out

    @property
    def api_error_status(self) -> int | None:
        result = self.result
        if result is not None and result.api_error_status is not None:
            return result.api_error_status
        for event in self.of_type(AssistantEvent):
            if event.api_error_status is not None:
                return event.api_error_status
        return None

    @property
    def usage(self) -> dict[str, Any] | None:
        result = self.result
        return result.usage if result is not None else None

    def excerpt(self, limit: int = 2000) -> str:
        """The tail of the transcript, for evidence: the last events, compacted."""
        parts = []
        for event in self.events[-6:]:
            if isinstance(event, UnparsedLine):
                parts.append(event.text[:300])
            else:
                parts.append(event.model_dump_json(exclude_none=True)[:600])
        text = "\n".join(parts)
        if self.stderr.strip():
            text += "\n[stderr] " + self.stderr.strip()[-500:]
        return text[-limit:]


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        await process.wait()


async def _talk(
    process: asyncio.subprocess.Process,
    turns: list[bytes],
    lines: list[tuple[float, bytes]],
) -> bytes:
    """Feed stdin, keep each stdout line with the time it arrived; the whole stderr.

    One entry of `turns` is written at once; each further one after the CLI reports the
    previous turn's `result`, as a person typing the next message would.
    """
    assert process.stdout is not None and process.stderr is not None
    pending = list(turns)

    async def feed_next() -> None:
        if process.stdin is None:
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if pending:
                process.stdin.write(pending.pop(0))
                await process.stdin.drain()
            if not pending:
                process.stdin.close()

    async def read_stdout() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            lines.append((time.time(), line))
            if pending and isinstance(parse_line(line.decode("utf-8", "replace")), ResultEvent):
                await feed_next()

    if turns:
        await feed_next()
    _, stderr = await asyncio.gather(read_stdout(), process.stderr.read())
    await process.wait()
    return stderr


async def run_claude(
    binary: Path | str,
    invocation: ClaudeInvocation,
    proxy: ProxyEndpoint,
    *,
    scratch_root: Path | None = None,
) -> ClaudeRun:
    """Run the CLI in a fresh HOME, config dir and empty working directory, then clean up."""
    scratch = Path(tempfile.mkdtemp(prefix="compat-claude-", dir=scratch_root))
    home, config_dir, workdir = scratch / "home", scratch / "config", scratch / "work"
    for directory in (home, config_dir, workdir):
        directory.mkdir()
    argv = build_argv(binary, invocation)
    env = build_env(invocation, proxy, home=home, config_dir=config_dir)
    payload = stdin_payload(invocation)
    turns = stdin_turns(invocation)
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.PIPE if payload is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # Its own process group, so a timeout or Ctrl-C can kill every child it spawned.
        start_new_session=True,
        preexec_fn=die_with_parent(),
        limit=64 * 1024 * 1024,
    )
    timed_out = False
    lines: list[tuple[float, bytes]] = []
    try:
        stderr = await asyncio.wait_for(_talk(process, turns, lines), timeout=invocation.timeout_s)
        stdout = b"".join(line for _, line in lines)
    except TimeoutError:
        timed_out = True
        await _kill_group(process)
        stdout, stderr, lines = b"", b"", []
    except BaseException:
        await _kill_group(process)
        raise
    finally:
        # Tools the CLI ran may have left children in the group; none may outlive the cell.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(scratch, ignore_errors=True)
    text = stdout.decode("utf-8", errors="replace")
    return ClaudeRun(
        argv=argv,
        events=parse_transcript(text),
        arrivals=[at for at, line in lines if line.strip()],
        exit_code=None if timed_out else process.returncode,
        stderr=stderr.decode("utf-8", errors="replace"),
        duration_ms=int((time.monotonic() - started) * 1000),
        timed_out=timed_out,
        stdout=text,
    )


async def claude_version(binary: Path | str, *, timeout_s: float = 30.0) -> str:
    """`claude --version` → `2.1.329` (the first word)."""
    process = await asyncio.create_subprocess_exec(
        str(binary),
        "--version",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ}
        | {"HOME": tempfile.gettempdir(), "DISABLE_AUTOUPDATER": "1"},
        preexec_fn=die_with_parent(),
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=timeout_s)
    words = stdout.decode().split()
    return words[0] if words else "unknown"
