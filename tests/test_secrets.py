"""No secret gets out: the shared redaction function, the points where upstream text enters
results, and one harness that runs the main commands with fake secrets set and then looks
for them everywhere compat writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import string
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import git
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compat.driver import ClaudeRun, parse_transcript
from compat.emulator.context import EmulatorContext
from compat.emulator.faults import FaultSpec
from compat.emulator.server import EmulatorServer
from compat.outcome import Fail
from compat.probes.base import Verdict, cli_failure, http_error
from compat.proxy.env_names import LITELLM_MASTER_KEY
from compat.proxy.environment import SECRET_NAMES
from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from compat.redact import REDACTED, redact
from compat.run.evidence import upstream_request
from compat.upstream_log import RecordedRequest
from support.cli import compat_command
from support.local_http import closed_port_url
from support.processes import Children, kill_group
from support.sessions import installed_client_rules

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "tests" / "fixtures" / "transcripts"
CLAUDE_CODE = "2.1.329"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7FAKE0123456789"
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\nabcdEFGH==\n-----END PRIVATE KEY-----\n"

# ------------------------------------------------------------------ the shared function


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("x-api-key: sk-ant-api03-AbCdEf0123456789_-xyz was rejected", "sk-ant-api03-AbCdEf"),
        ("master key sk-Ab3dEfGhIjKlMnOpQrStUvWx", "sk-Ab3dEfGhIjKlMnOpQrStUvWx"),
        ("Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1", "AKIAIOSFODNN7EXAMPLE"),
        ("temporary ASIAY34FZKBOKMUTVV7A in use", "ASIAY34FZKBOKMUTVV7A"),
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJSUzI1NiJ9"),
        ("authorization: bearer 0123456789abcdefXYZ", "0123456789abcdefXYZ"),
        (f"key file:\n{PEM}done", PEM_BODY),
        (json.dumps({"private_key": PEM, "type": "service_account"}), PEM_BODY),
        (f"cut short: {PEM[:90]}", PEM_BODY[:40]),
        ("fatal: https://x-access-token:s3cr3tT0ken@github.com/o/docs.git", "s3cr3tT0ken"),
        ("remote x-access-token:s3cr3tT0ken@github.com/o/docs.git", "s3cr3tT0ken"),
        ("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 expired", "ghp_aBcDeFgHiJkLmNoPq"),
        ("token github_pat_11ABCDEFG0123456789_abcdefghijKLMNOP", "github_pat_11ABCDEFG"),
        ("proxy https://user:hunter2@proxy.example:8080/", "hunter2"),
    ],
)
def test_key_shapes_are_redacted_and_the_rest_kept(text, secret):
    clean = redact(text)
    assert secret not in clean
    assert REDACTED in clean
    assert clean.startswith(text[:5])


def test_bearer_and_access_token_keep_their_label():
    assert redact("Authorization: Bearer abcdefgh12345678") == f"Authorization: Bearer {REDACTED}"
    assert redact("x-access-token:t0k3nvalue@host") == f"x-access-token:{REDACTED}@host"


@pytest.mark.parametrize(
    "name",
    [
        "ANTHROPIC_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AZURE_FOUNDRY_API_KEY",
        "DOCS_REPO_TOKEN",
        "GITHUB_TOKEN",
        "LITELLM_MASTER_KEY",
        "SOME_SERVICE_PASSWORD",
    ],
)
def test_secret_values_from_the_environment_are_redacted(monkeypatch, name):
    value = "plain/value+with=" + secrets.token_hex(8)
    monkeypatch.setenv(name, value)
    text = f"upstream said: {value} and, in a URL, {quote(value, safe='')}"
    clean = redact(text)
    assert clean == f"upstream said: {REDACTED} and, in a URL, {REDACTED}"


def test_other_variables_and_short_values_are_left_alone(monkeypatch):
    monkeypatch.setenv("COMPAT_RUN_LABEL", "nightly-build-42")
    monkeypatch.setenv("SHORT_TOKEN", "abc123")
    text = "nightly-build-42 abc123"
    assert redact(text) == text


def test_explicit_secrets_are_redacted_longest_first():
    assert redact("a=LONGSECRETVALUE b=LONGSECRET", ["LONGSECRET", "LONGSECRETVALUE"]) == (
        f"a={REDACTED} b={REDACTED}"
    )


ORDINARY = [
    "API error 529: Overloaded",
    "expected Bash command 'echo COMPAT-ABCDEF123456', got \"ls\"",
    "Bearer token required",
    "task-scheduler and risk-assessment are words",
    "commit 3f9a2b7c1d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a on main",
    "model claude-sonnet-4-6-bedrock-converse at https://bedrock-runtime.us-east-1.amazonaws.com",
    '{"input_tokens":1200,"cache_read_input_tokens":0,"usage":{"output_tokens":40}}',
    "AKIA alone, sk- alone, -----BEGIN PUBLIC KEY----- alone",
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


@given(
    words=st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + ".,:;()'\"#%&", max_size=12).filter(
            lambda word: word.lower() != "bearer" and word[:4] not in ("AKIA", "ASIA")
        )
        | st.sampled_from(["error", "API", "429", "claude-haiku-4-5", "COMPAT-0123456789AB"]),
        max_size=30,
    )
)
def test_prose_without_key_shapes_is_never_changed(words):
    # Without `-`, `_`, `/`, a `Bearer` word or an AWS key prefix no key shape can form.
    text = " ".join(words)
    assert redact(text) == text


@given(text=st.text(max_size=200), secret=st.text(min_size=1, max_size=30))
def test_redacting_twice_changes_nothing_more(text, secret):
    once = redact(text, [secret])
    assert redact(once, [secret]) == once


# ------------------------------------------------------------------ where upstream text enters


def test_cli_failure_redacts_the_upstream_error_and_the_transcript(monkeypatch):
    key = "FAKEazureKey" + secrets.token_hex(12)
    monkeypatch.setenv("AZURE_FOUNDRY_API_KEY", key)
    lines = []
    for line in (TRANSCRIPTS / "error_401.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["type"] == "result":
            event["result"] = f"API Error: 401 invalid api-key {key} (sk-ant-api03-{key})"
        lines.append(json.dumps(event))
    run = ClaudeRun(
        argv=[],
        events=parse_transcript("\n".join(lines)),
        exit_code=1,
        stderr=f"request failed: Authorization: Bearer {key}",
        duration_ms=5,
    )
    verdict = cli_failure(run, 60)
    assert verdict is not None and isinstance(verdict.outcome, Fail)
    assert "invalid api-key ***" in verdict.outcome.error
    assert key not in verdict.outcome.error
    assert verdict.excerpt is not None and key in run.excerpt()
    assert key not in verdict.excerpt and REDACTED in verdict.excerpt


def test_http_error_redacts_what_the_proxy_relayed():
    key = "sk-" + secrets.token_urlsafe(36)
    response = httpx.Response(
        401,
        json={"error": {"message": f"Authentication Error, invalid key {key}"}},
        request=httpx.Request("POST", "http://127.0.0.1:9/v1/messages/count_tokens"),
    )
    verdict = http_error(response)
    assert isinstance(verdict.outcome, Fail)
    assert verdict.outcome.error.endswith("HTTP 401: Authentication Error, invalid key ***")
    assert verdict.excerpt is not None and key not in verdict.excerpt


def test_any_verdict_is_redacted_even_one_built_by_hand():
    leaked = "probe crashed: ValueError: Bearer abcdefgh12345678ijkl"
    verdict = Verdict(outcome=Fail(error=leaked), excerpt=leaked)
    assert verdict.outcome == Fail(error=f"probe crashed: ValueError: Bearer {REDACTED}")
    assert verdict.excerpt == f"probe crashed: ValueError: Bearer {REDACTED}"


def test_upstream_evidence_is_redacted_before_it_is_clipped(monkeypatch):
    token = "FAKEsession" + secrets.token_hex(20)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    record = RecordedRequest(
        seq=1,
        provider="bedrock_converse",
        method="POST",
        path="/model/x/converse-stream",
        query="",
        headers={},
        # The secret straddles the 160-character cut of long strings.
        body={"system": [{"text": "s" * 150 + token}], "inferenceConfig": {"note": token}},
        timestamp=0.0,
        duration_ms=1.0,
        status=403,
        error_kind="UnrecognizedClientException",
        error_message=f"The security token {token} is invalid; key AKIAIOSFODNN7EXAMPLE",
    )
    evidence = upstream_request(record)
    text = evidence.model_dump_json()
    assert token not in text and token[:20] not in text
    assert "AKIAIOSFODNN7EXAMPLE" not in text
    assert evidence.summary == (
        f"UnrecognizedClientException: The security token {REDACTED} is invalid; key {REDACTED}"
    )


# ------------------------------------------------------------------ the harness


@dataclass
class Leaks:
    """Recognisable fake secrets, and everything compat printed or wrote, to search."""

    values: dict[str, str] = field(default_factory=dict)
    """Label → secret value."""
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(where, text) of everything to search."""

    def add(self, label: str, value: str) -> None:
        self.values[label] = value

    def look_at(self, where: str, text: str) -> None:
        self.seen.append((where, text))

    def look_at_tree(self, where: str, root: Path) -> None:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            self.look_at(f"{where}/{path.relative_to(root)}", path.read_text(errors="replace"))

    def needles(self) -> dict[str, list[str]]:
        """Label → the strings that would betray it (a PEM key: each line of its body)."""
        out: dict[str, list[str]] = {}
        for label, value in self.values.items():
            if "PRIVATE KEY-----" in value:
                out[label] = [line for line in value.splitlines() if len(line) >= 40]
            else:
                out[label] = [value, quote(value, safe="")]
        return out

    def found(self) -> list[str]:
        """`<secret> in <where>` for every secret found anywhere."""
        return [
            f"{label} in {where}"
            for where, text in self.seen
            for label, needles in self.needles().items()
            if any(needle in text for needle in needles)
        ]


def private_key(service_account: Path) -> str:
    return json.loads(service_account.read_text())["private_key"]


def fake_secrets(emulator: EmulatorServer, root: Path) -> dict[str, str]:
    """Live-mode credentials for every provider, all fake, every endpoint at `emulator`."""
    # The emulator honours this service account, so Vertex really signs with its key.
    credentials = emulator.write_service_account(root / "vertex-sa.json", project_id="fake-proj")

    def token(prefix: str, length: int) -> str:
        return prefix + "".join(secrets.choice(string.ascii_letters) for _ in range(length))

    return {
        "ANTHROPIC_API_KEY": token("sk-ant-api03-FAKEanthropic", 40),
        "AWS_ACCESS_KEY_ID": "AKIA" + "".join(secrets.choice("ABCDEFGHJ234567") for _ in range(16)),
        "AWS_SECRET_ACCESS_KEY": token("FAKEawsSecretKey", 24),
        "AWS_SESSION_TOKEN": token("FAKEawsSessionToken", 60),
        "AZURE_FOUNDRY_API_KEY": token("FAKEazureFoundryKey", 24),
        "DOCS_REPO_TOKEN": token("FAKEdocsRepoToken", 24),
        "GITHUB_TOKEN": token("ghs_FAKEgithub", 26),
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
        "AWS_REGION": "us-east-1",
        "VERTEXAI_PROJECT": "fake-proj",
        "VERTEXAI_LOCATION": "us-east5",
        "COMPAT_ANTHROPIC_API_BASE": emulator.url,
        "COMPAT_BEDROCK_RUNTIME_ENDPOINT": emulator.url,
        "COMPAT_VERTEX_API_BASE": emulator.url,
        "AZURE_FOUNDRY_API_BASE": f"{emulator.url}/anthropic",
    }


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


def proxy_environment(pid: int) -> dict[str, str] | None:
    """The environment of the LiteLLM proxy below process `pid`, once it runs."""
    children, todo = _children(), [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            raw = Path(f"/proc/{current}/environ").read_bytes()
        except OSError:
            continue
        items = raw.decode(errors="replace").split("\0")
        environ = dict(item.split("=", 1) for item in items if "=" in item)
        if LITELLM_MASTER_KEY in environ:
            return environ
    return None


@dataclass
class Done:
    """A finished compat command."""

    returncode: int
    stdout: str
    stderr: str


@dataclass
class Command:
    """A compat command the harness started, and the files its output goes to."""

    name: str
    process: subprocess.Popen[str]
    stdout: Path
    stderr: Path

    def wait_for(self, text: str) -> None:
        """Wait until `text` appears on its stderr."""
        deadline = time.monotonic() + 180
        while text not in self.stderr.read_text():
            assert self.process.poll() is None, self.stderr.read_text()
            assert time.monotonic() < deadline, f"{text!r} never came: {self.stderr.read_text()}"
            time.sleep(0.2)


class Harness:
    """Runs compat commands with the fake secrets set and keeps what they print to search."""

    def __init__(self, root: Path, env: dict[str, str], leaks: Leaks, children: Children) -> None:
        self.root = root
        self.env = env
        self.leaks = leaks
        self.children = children
        self.started = 0

    def start(self, *args: str) -> Command:
        self.started += 1
        stdout, stderr = self.root / f"{self.started}.out", self.root / f"{self.started}.err"
        with stdout.open("w") as out, stderr.open("w") as err:
            process = self.children.spawn(
                compat_command(*args),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                text=True,
            )
        return Command(f"compat {' '.join(args[:2])}", process, stdout, stderr)

    def capture_proxy_secrets(self, command: Command, label: str) -> None:
        """Wait until `command` has started its proxy; add that boot's generated secrets."""
        deadline = time.monotonic() + 180
        while (environ := proxy_environment(command.process.pid)) is None:
            assert command.process.poll() is None, command.stderr.read_text()
            assert time.monotonic() < deadline, f"{command.name}: no proxy process appeared"
            time.sleep(0.1)
        self.leaks.add(f"{label} master key", environ[LITELLM_MASTER_KEY])
        for name in SECRET_NAMES:
            if environ.get(name):
                self.leaks.add(f"{label} {name}", environ[name])
        account = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        if account and Path(account).is_file():
            self.leaks.add(f"{label} Vertex key", private_key(Path(account)))

    def finish(self, command: Command) -> Done:
        try:
            command.process.wait(timeout=600)
        finally:
            if command.process.poll() is None:
                kill_group(command.process)
        done = Done(
            command.process.returncode, command.stdout.read_text(), command.stderr.read_text()
        )
        self.leaks.look_at(f"`{command.name}` stdout", done.stdout)
        self.leaks.look_at(f"`{command.name}` stderr", done.stderr)
        return done

    def run(self, *args: str, proxy_label: str | None = None) -> Done:
        command = self.start(*args)
        if proxy_label is not None:
            self.capture_proxy_secrets(command, proxy_label)
        return self.finish(command)


@dataclass
class Report:
    """What the harness saw, for the assertions."""

    leaks: Leaks
    boot: Done
    run: Done
    results: dict[str, Any]
    wrong_key_status: int
    recorded: list[RecordedRequest]
    proxy_log: str
    dry_run: Done
    published: Done
    https_publish: Done
    doctor: Done
    commits: list[str]


def docs_repository(root: Path) -> Path:
    """A bare docs repository with one commit on main."""
    bare = root / "docs.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    seed = git.Repo.init(root / "seed", initial_branch="main")
    (root / "seed" / "README.md").write_text("docs\n")
    seed.index.add(["README.md"])
    seed.index.commit("docs site")
    seed.create_remote("origin", str(bare)).push("main")
    return bare


def live_run(harness: Harness, emulator: EmulatorServer, root: Path) -> dict[str, Any]:
    """boot-proxy in live mode (the fake credentials go through LiteLLM), then `compat run`."""
    log, out = root / "proxy.log", root / "run"
    boot = harness.start("boot-proxy", "--upstream", "live", "--log-file", str(log))
    try:
        harness.capture_proxy_secrets(boot, "boot-proxy")
        boot.wait_for("Press Ctrl-C")
        ready = re.search(r"ready at (http://127\.0\.0\.1:\d+)", boot.stdout.read_text())
        assert ready is not None, boot.stdout.read_text()
        url = ready[1]
        wrong_key = "sk-FAKEwrongProxyKey" + secrets.token_urlsafe(24)
        harness.leaks.add("wrong proxy key", wrong_key)
        wrong_key_status = httpx.post(
            f"{url}/v1/messages",
            headers={"authorization": f"Bearer {wrong_key}", "x-api-key": wrong_key},
            json={"model": "claude-haiku-4-5", "max_tokens": 8, "messages": []},
            timeout=60,
        ).status_code
        # One provider fails upstream, so an upstream error reaches the results.
        emulator.ctx.faults.add(
            FaultSpec(provider="bedrock_converse", kind="status", status=500, count=50)
        )
        harness.env["COMPAT_PROXY_KEY"] = harness.leaks.values["boot-proxy master key"]
        run = harness.run(
            "run", "--proxy-url", url, "--build", "--attempts", "1", "-o", str(out),
            "-f", "basic_messaging_non_streaming", "-f", "tool_use", "-t", "haiku-4-5",
            "-p", "anthropic", "-p", "bedrock_converse", "-p", "vertex_ai", "-p", "azure",
        )  # fmt: skip
        del harness.env["COMPAT_PROXY_KEY"]
    finally:
        # Ctrl-C is how boot-proxy is meant to end.
        boot.process.send_signal(signal.SIGINT)
        emulator.ctx.faults.clear()
    harness.leaks.look_at("the proxy log", log.read_text())
    harness.leaks.look_at_tree("run", out)
    render = root / "render"
    harness.run(
        "render", str(out / "compatibility-matrix.json"), "-r", str(out / "compat-results.json"),
        "-k", "known_issues.yaml", "-o", str(render),
    )  # fmt: skip
    harness.leaks.look_at_tree("render", render)
    return {
        "boot": harness.finish(boot),
        "run": run,
        "results": json.loads((out / "compat-results.json").read_text()),
        "wrong_key_status": wrong_key_status,
        "proxy_log": log.read_text(),
    }


def publish_three_ways(harness: Harness, root: Path) -> dict[str, Any]:
    """A dry run (its own emulated proxy), a real push to a bare repo, a push that fails."""
    docs = docs_repository(root)
    dry_run = harness.run(
        "publish", "--skip-publish", "--docs-repo", docs.as_uri(),
        "--litellm-version", DEFAULT_LITELLM_VERSION, "--claude-code-version", CLAUDE_CODE,
        "-f", "tool_use", "-p", "azure", "-t", "haiku-4-5", "-o", str(root / "dry-run"),
        proxy_label="publish",
    )  # fmt: skip
    results = str(root / "dry-run" / "compat-results.json")
    published = harness.run(
        "publish", "-r", results, "--docs-repo", docs.as_uri(), "--allow-emulated",
        "-o", str(root / "published"),
    )  # fmt: skip
    # DOCS_REPO_TOKEN goes into an https remote's URL; git cannot reach it and says so.
    https_publish = harness.run(
        "publish", "-r", results, "--docs-repo", f"https{closed_port_url()[4:]}/docs.git",
        "--allow-emulated", "-o", str(root / "https"),
    )  # fmt: skip
    for where in ("dry-run", "published", "https"):
        harness.leaks.look_at_tree(f"publish {where}", root / where)
    repository = git.Repo(docs)
    for line in repository.git.rev_list("--all", "--objects").splitlines():
        sha = line.split()[0]
        harness.leaks.look_at(f"docs repo object {sha}", repository.git.cat_file("-p", sha))
    harness.leaks.look_at("docs repo config", (docs / "config").read_text())
    return {
        "dry_run": dry_run,
        "published": published,
        "https_publish": https_publish,
        "commits": [c.message for c in repository.iter_commits("main")],
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Every main command, run once with the fake secrets set."""
    root = tmp_path_factory.mktemp("secrets")
    leaks = Leaks()
    children = Children()
    # The "live" providers here are an emulator: it accepts what the client under test sends.
    context = EmulatorContext(rules=installed_client_rules())
    with EmulatorServer(context) as emulator, contextlib.closing(children):
        fakes = fake_secrets(emulator, root)
        for name in (*SECRET_NAMES, "DOCS_REPO_TOKEN", "GITHUB_TOKEN"):
            if name in fakes:
                leaks.add(name, fakes[name])
        leaks.add("Vertex key", private_key(Path(fakes["GOOGLE_APPLICATION_CREDENTIALS"])))
        harness = Harness(root, {**os.environ, **fakes}, leaks, children)
        live = live_run(harness, emulator, root)
        recorded = emulator.ctx.recorder.query()
    for record in recorded:
        leaks.look_at(f"emulator record {record.seq}", record.model_dump_json())
    with contextlib.closing(children):
        published = publish_three_ways(harness, root)
        doctor = harness.run("doctor")
    return Report(leaks=leaks, recorded=recorded, doctor=doctor, **live, **published)


@pytest.mark.integration
def test_the_commands_really_ran_with_the_secrets_in_play(report):
    assert report.boot.returncode == 0, report.boot.stderr[-2000:]
    assert report.run.returncode == 0, report.run.stderr[-3000:]
    statuses = {(r["provider"], r["feature_id"]): r["outcome"] for r in report.results["results"]}
    assert len(statuses) == 8
    for provider in ("anthropic", "vertex_ai", "azure"):
        assert statuses[(provider, "tool_use")] == {"status": "pass"}, statuses
    failed = statuses[("bedrock_converse", "basic_messaging_non_streaming")]
    assert failed["status"] == "fail" and "internal error" in failed["error"]
    # LiteLLM without a database refuses an unknown key with 400 "No connected db."
    assert 400 <= report.wrong_key_status < 500
    # The fake credentials reached the upstream, and the recorder kept none of them.
    headers = [r.headers for r in report.recorded]
    assert any(h.get("x-api-key") == "<redacted>" for h in headers)
    assert any(h.get("x-amz-security-token") == "<redacted>" for h in headers)
    assert any(r.path == "/oauth2/token" for r in report.recorded)
    assert report.proxy_log.strip()
    assert report.dry_run.returncode == 0, report.dry_run.stderr[-3000:]
    assert "dry run" in report.dry_run.stdout + report.dry_run.stderr
    assert report.published.returncode == 0, report.published.stderr[-3000:]
    assert len(report.commits) == 2
    assert report.https_publish.returncode == 1
    assert "cloning https://127.0.0.1:" in report.https_publish.stderr
    assert report.doctor.returncode == 0 and "ANTHROPIC_API_KEY" in report.doctor.stdout


@pytest.mark.integration
def test_no_secret_appears_in_any_output_log_result_page_record_or_commit(report):
    # Ours, both boots' master keys and the emulated boot's own generated credentials.
    assert len(report.leaks.values) >= 15
    assert report.leaks.found() == []
