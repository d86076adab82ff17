from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from compat.driver import (
    AssistantEvent,
    ClaudeInvocation,
    ClaudeRun,
    ProxyEndpoint,
    ResultEvent,
    StreamEvent,
    SystemEvent,
    UnknownEvent,
    UnparsedLine,
    UserEvent,
    build_argv,
    build_env,
    parse_line,
    parse_transcript,
    run_claude,
)

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"
PROXY = ProxyEndpoint(base_url="http://127.0.0.1:1", api_key=SecretStr("sk-proxy-key"))


def load(name: str) -> ClaudeRun:
    events = parse_transcript((TRANSCRIPTS / name).read_text())
    return ClaudeRun(argv=[], events=events, exit_code=0, stderr="", duration_ms=0)


def test_argv_puts_the_prompt_after_double_dash():
    invocation = ClaudeInvocation(
        model="claude-haiku-4-5-azure",
        prompt="--not-a-flag",
        extra_args=("--allowedTools", "Bash(echo x)"),
    )
    assert build_argv("/bin/claude", invocation) == [
        "/bin/claude",
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        "claude-haiku-4-5-azure",
        "--allowedTools",
        "Bash(echo x)",
        "--",
        "--not-a-flag",
    ]


def test_argv_for_stdin_messages_uses_stream_json_input():
    invocation = ClaudeInvocation(model="m", stdin_messages=[{"type": "user"}])
    argv = build_argv("claude", invocation)
    assert argv[-2:] == ["--input-format", "stream-json"] and "--" not in argv


def test_invocation_needs_exactly_one_input():
    with pytest.raises(ValueError):
        ClaudeInvocation(model="m")
    with pytest.raises(ValueError):
        ClaudeInvocation(model="m", prompt="x", stdin_messages=[{"type": "user"}])


def test_env_is_an_allowlist_and_never_carries_upstream_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-upstream")
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "1")
    monkeypatch.setenv("PATH", "/usr/bin")
    invocation = ClaudeInvocation(model="m", prompt="p", env={"ENABLE_PROMPT_CACHING_1H": "1"})
    env = build_env(invocation, PROXY, home=tmp_path / "h", config_dir=tmp_path / "c")
    assert env["PATH"] == "/usr/bin"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:1"
    assert env["ANTHROPIC_AUTH_TOKEN"] == "sk-proxy-key"
    assert env["HOME"] == str(tmp_path / "h")
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "c")
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert env["ENABLE_PROMPT_CACHING_1H"] == "1"
    for leaked in ("AWS_SECRET_ACCESS_KEY", "ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK"):
        assert leaked not in env
    assert "aws-secret-value" not in json.dumps(env)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"type":"system","subtype":"init"}', SystemEvent),
        ('{"type":"assistant","message":{"content":[]}}', AssistantEvent),
        ('{"type":"user","message":{"role":"user"}}', UserEvent),
        ('{"type":"stream_event","event":{"type":"ping"}}', StreamEvent),
        ('{"type":"result","is_error":false}', ResultEvent),
        ('{"type":"rate_limit_event","x":1}', UnknownEvent),
    ],
)
def test_each_event_type_parses(line, kind):
    assert isinstance(parse_line(line), kind)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "no string `type`"),
        ('{"type": 3}', "no string `type`"),
        ('{"type":"assistant"}', "malformed assistant event: message"),
        ('{"type":"stream_event","event":"nope"}', "malformed stream_event event: event"),
    ],
)
def test_bad_lines_are_kept_not_fatal(line, problem):
    parsed = parse_line(line)
    assert isinstance(parsed, UnparsedLine) and problem in parsed.problem


def test_unknown_fields_are_kept():
    event = parse_line('{"type":"result","is_error":false,"brand_new_field":{"a":1}}')
    assert isinstance(event, ResultEvent)
    assert event.model_extra == {"brand_new_field": {"a": 1}}


def test_real_transcript_basic():
    run = load("basic.jsonl")
    assert run.final_text == "COMPAT-1234"
    assert run.result is not None and not run.result.is_error
    assert run.api_error_status is None
    assert run.usage is not None and run.usage["output_tokens"] > 0


def test_real_transcript_partial_messages_exposes_deltas():
    run = load("partial_messages.jsonl")
    deltas = run.deltas("text_delta")
    assert len(deltas) >= 2
    assert "".join(d["text"] for d in deltas) == "COMPAT-1234"


def test_real_transcript_tool_use():
    run = load("tool_use.jsonl")
    assert run.blocks("tool_use")[0]["input"]["command"] == "echo COMPAT-1234"
    assert "COMPAT-1234" in json.dumps(run.tool_results[0]["content"])


def test_real_transcript_api_error():
    run = load("error_529.jsonl")
    assert run.api_error_status == 529
    assert run.result is not None and run.result.is_error
    assert run.assistant_blocks == []  # the synthetic error message is not model output


def test_real_transcript_structured_output():
    run = load("json_schema.jsonl")
    assert run.result is not None and run.result.structured_output == {"name": "COMPAT-1234"}


def fake_claude(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "claude"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_run_claude_collects_stdout_exit_code_and_cleans_scratch(tmp_path):
    script = fake_claude(
        tmp_path,
        'echo "{\\"type\\":\\"result\\",\\"is_error\\":false,\\"result\\":\\"$PWD\\"}"\n'
        "echo oops >&2\nexit 3\n",
    )
    run = asyncio.run(
        run_claude(script, ClaudeInvocation(model="m", prompt="p"), PROXY, scratch_root=tmp_path)
    )
    assert run.exit_code == 3 and "oops" in run.stderr
    workdir = Path(run.final_text)
    assert workdir.name == "work" and not workdir.exists()  # empty cwd, removed afterwards
    assert [p for p in tmp_path.iterdir() if p.name.startswith("compat-claude-")] == []


def test_run_claude_feeds_stdin_messages(tmp_path):
    script = fake_claude(tmp_path, "cat\n")
    invocation = ClaudeInvocation(
        model="m", stdin_messages=[{"type": "result", "is_error": False, "result": "echoed"}]
    )
    run = asyncio.run(run_claude(script, invocation, PROXY, scratch_root=tmp_path))
    assert run.final_text == "echoed"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    # A grandchild that would outlive a plain kill of the direct child.
    script = fake_claude(tmp_path, f"sleep 300 &\necho $! > {pid_file}\nsleep 300\n")
    started = time.monotonic()
    run = asyncio.run(
        run_claude(
            script,
            ClaudeInvocation(model="m", prompt="p", timeout_s=1.0),
            PROXY,
            scratch_root=tmp_path,
        )
    )
    assert run.timed_out and run.exit_code is None
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
