"""The client oracle: which beta flags and body fields a Claude Code release sends per platform.

The emulator must know what each platform accepts. A hand-kept list of betas goes stale on
the next release, but Claude Code itself knows: against the first-party API it sends its
full set, and in Bedrock, Vertex and Foundry mode only what those platforms take. So the
oracle runs the real `claude -p` once per (platform, tier), plus once with the `[1m]`
model suffix where the manifest allows a 1M context, each against its own in-process
emulator, and keeps the union of what every recorded request carried. It is cached as
`compat-oracle.json` next to the Claude Code install; see docs/client-oracle.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from compat import claude_install
from compat.driver import ClaudeInvocation, ClaudeRun, ProxyEndpoint, claude_version, run_claude
from compat.emulator.rules import DOCUMENTED, TIERS, RuleBook
from compat.errors import InputError
from compat.files import write_atomic
from compat.manifest import Manifest
from compat.redact import redact

if TYPE_CHECKING:
    from compat.emulator.recorder import RecordedRequest
    from compat.emulator.server import EmulatorServer

# Bump whenever what a capture runs or records changes: a cached oracle of another
# protocol no longer answers the same question and is captured again.
CAPTURE_PROTOCOL = 1
ORACLE_FILE = "compat-oracle.json"
PROMPT = "Reply with exactly: OK"
LONG_CONTEXT_FEATURE = "long_context_1m"
LONG_CONTEXT_SUFFIX = "[1m]"
DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT_S = 120.0

Platform = Literal["first_party", "bedrock", "vertex", "foundry"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
# The manifest provider whose model ids (and n/a declarations) each platform uses.
PLATFORM_PROVIDER: dict[Platform, str] = {
    "first_party": "anthropic",
    "bedrock": "bedrock_invoke",
    "vertex": "vertex_ai",
    "foundry": "azure",
}
_VERTEX_PROJECT = "compat-emulated"
_VERTEX_REGION = "us-east5"
_AWS_REGION = "us-east-1"
_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")


# ---------------------------------------------------------------- the model


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Refusal(_Frozen):
    """One request the emulator refused: what it was, what it sent, and the error."""

    method: str
    path: str
    status: int | None
    error: str
    """`error_kind: message`, as the emulator recorded it."""
    subjects: list[str] = Field(default_factory=list)
    """The beta flags or body fields the error message names (empty when it names none)."""
    betas: list[str] = Field(default_factory=list)
    """The beta flags that request carried."""


class PlatformSend(_Frozen):
    """What one `claude -p` run sent to one platform for one model id, over all its requests."""

    model: str
    """The `--model` value of the run."""
    betas: list[str] = Field(default_factory=list)
    """Union of `anthropic-beta` header flags and body `anthropic_beta` entries."""
    header_betas: list[str] = Field(default_factory=list)
    body_betas: list[str] = Field(default_factory=list)
    body_fields: list[str] = Field(default_factory=list)
    """Top-level keys of the Messages bodies (requests whose body has `messages`)."""
    tool_types: list[str] = Field(default_factory=list)
    """Explicit tool `type` values; custom tools without a `type` are not listed."""
    requests: int = 0
    paths: list[str] = Field(default_factory=list)
    """`METHOD /path?query` of every request, de-duplicated."""
    refused: list[Refusal] = Field(default_factory=list)
    failure: str | None = None
    """Why the run did not end in a reply (an API error, a timeout), or None."""


PlatformTable = dict[Platform, dict[str, PlatformSend]]


class ClientOracle(_Frozen):
    """What one Claude Code release sends, per platform and tier."""

    protocol: int = CAPTURE_PROTOCOL
    plan_digest: str = ""
    """Digest of the runs captured (platform, tier, model id); a manifest change invalidates it."""
    claude_code_version: str
    captured_at: datetime
    platforms: PlatformTable = Field(default_factory=dict)
    long_context_1m: PlatformTable = Field(default_factory=dict)
    """The same runs with the `[1m]` model suffix, for tiers not n/a for long_context_1m."""

    def sent_betas(self) -> dict[Platform, dict[str, list[str]]]:
        """Per platform and tier, every beta the release sent, with or without `[1m]`."""
        sent: dict[Platform, dict[str, list[str]]] = {}
        for table in (self.platforms, self.long_context_1m):
            for platform, tiers in table.items():
                for tier, send in tiers.items():
                    known = sent.setdefault(platform, {}).get(tier, [])
                    sent[platform][tier] = sorted(set(known) | set(send.betas))
        return sent


def rule_book(oracle: ClientOracle) -> RuleBook:
    """The emulator's rules for this release: the documented table ∪ what it sends per mode."""
    sent = {
        platform: {tier: betas for tier, betas in tiers.items() if tier in TIERS}
        for platform, tiers in oracle.sent_betas().items()
    }
    return RuleBook.with_client(sent, f"Claude Code {oracle.claude_code_version}")


def client_rules(
    manifest: Manifest,
    claude: Path | None = None,
    *,
    version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> RuleBook:
    """The emulator's rules for a Claude Code: documented ∪ what it sends in its own modes.

    `claude` defaults to the one `compat run` would pick; with none to be found, the rules
    are the documented ones only. `version` is what `claude --version` prints, when known.
    """
    say = progress or (lambda _line: None)
    if claude is None:
        try:
            claude = claude_install.find_claude(None)
        except InputError:
            say("no Claude Code found: the emulator enforces the documented rules only")
            return DOCUMENTED
    version = version or asyncio.run(claude_version(claude))
    rules = rule_book(load_or_capture(claude, version, manifest, progress=progress))
    say(f"emulator rules: documented, plus what {rules.client_label} sends")
    return rules


# ---------------------------------------------------------------- union of requests


def parse_betas(header: str | None) -> list[str]:
    """The flags of a comma-separated `anthropic-beta` header."""
    return [flag.strip() for flag in (header or "").split(",") if flag.strip()]


def _body_betas(body: Any) -> list[str]:
    value = body.get("anthropic_beta") if isinstance(body, dict) else None
    return [flag for flag in value if isinstance(flag, str)] if isinstance(value, list) else []


def _is_messages_body(body: Any) -> bool:
    return isinstance(body, dict) and "messages" in body


def _tool_types(body: dict[str, Any]) -> set[str]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return set()
    return {t["type"] for t in tools if isinstance(t, dict) and isinstance(t.get("type"), str)}


def _request_line(record: RecordedRequest) -> str:
    return f"{record.method} {record.path}" + (f"?{record.query}" if record.query else "")


def _names(message: str, word: str) -> bool:
    """Whether `message` names `word` as an identifier (quoted, or as a `word.`/`word:` path)."""
    # A bare substring would find the field `model` in "The provided model identifier".
    pattern = rf"[`'\"]{re.escape(word)}[`'\"]|(?:^|[\s(]){re.escape(word)}(?:[.:\[]|$)"
    return re.search(pattern, message) is not None


def _subjects(message: str, betas: Iterable[str], fields: Iterable[str]) -> list[str]:
    # Beta flags carry a date, so a plain substring cannot match something else.
    named = {b for b in betas if b in message}
    named |= {f for f in fields if _names(message, f)}
    return sorted(named)


def _is_refused(record: RecordedRequest) -> bool:
    return record.error_kind is not None or (record.status is not None and record.status >= 400)


def refusal(record: RecordedRequest) -> Refusal:
    """The refusal evidence of one recorded request."""
    betas = sorted(
        set(parse_betas(record.headers.get("anthropic-beta"))) | set(_body_betas(record.body))
    )
    fields = list(record.body) if isinstance(record.body, dict) else []
    message = record.error_message or ""
    error = f"{record.error_kind}: {message}" if record.error_kind else message or "(no message)"
    return Refusal(
        method=record.method,
        path=record.path,
        status=record.status,
        error=redact(error),
        subjects=_subjects(message, betas, fields),
        betas=betas,
    )


def summarize(
    records: Iterable[RecordedRequest], *, model: str, failure: str | None = None
) -> PlatformSend:
    """The union of what `records` (one run's requests) carried, and what was refused."""
    header: set[str] = set()
    body: set[str] = set()
    fields: set[str] = set()
    tools: set[str] = set()
    paths: set[str] = set()
    refused: list[Refusal] = []
    count = 0
    for record in sorted(records, key=lambda r: r.seq):
        count += 1
        paths.add(_request_line(record))
        header |= set(parse_betas(record.headers.get("anthropic-beta")))
        body |= set(_body_betas(record.body))
        if _is_messages_body(record.body):
            fields |= set(record.body)
            tools |= _tool_types(record.body)
        if _is_refused(record):
            refused.append(refusal(record))
    return PlatformSend(
        model=model,
        betas=sorted(header | body),
        header_betas=sorted(header),
        body_betas=sorted(body),
        body_fields=sorted(fields),
        tool_types=sorted(tools),
        requests=count,
        paths=sorted(paths),
        refused=refused,
        failure=failure,
    )


def merge(first: PlatformSend, second: PlatformSend) -> PlatformSend:
    """Two captures of the same (platform, tier) as one: unions, counts added, refusals kept."""

    def union(name: str) -> list[str]:
        return sorted(set(getattr(first, name)) | set(getattr(second, name)))

    return PlatformSend(
        model=first.model,
        betas=union("betas"),
        header_betas=union("header_betas"),
        body_betas=union("body_betas"),
        body_fields=union("body_fields"),
        tool_types=union("tool_types"),
        requests=first.requests + second.requests,
        paths=union("paths"),
        refused=[*first.refused, *second.refused],
        failure=first.failure or second.failure,
    )


# ---------------------------------------------------------------- comparing releases

COMPARED_FIELDS = ("betas", "header_betas", "body_betas", "body_fields", "tool_types", "paths")
Variant = Literal["standard", "1m"]


class SetChange(_Frozen):
    """One list of one (platform, tier) that differs between two releases."""

    variant: Variant
    platform: Platform
    tier: str
    field: str
    added: list[str]
    """In the second release only."""
    removed: list[str]
    """In the first release only."""


def _tables(oracle: ClientOracle) -> dict[Variant, PlatformTable]:
    return {"standard": oracle.platforms, "1m": oracle.long_context_1m}


def compare(first: ClientOracle, second: ClientOracle) -> list[SetChange]:
    """What differs between two releases' oracles, list by list (empty: they send the same)."""
    changes: list[SetChange] = []
    empty = PlatformSend(model="")
    for variant, table in _tables(first).items():
        other = _tables(second)[variant]
        for platform in PLATFORMS:
            tiers = sorted(set(table.get(platform, {})) | set(other.get(platform, {})))
            for tier in tiers:
                old = table.get(platform, {}).get(tier, empty)
                new = other.get(platform, {}).get(tier, empty)
                for name in COMPARED_FIELDS:
                    before, after = set(getattr(old, name)), set(getattr(new, name))
                    if before != after:
                        changes.append(
                            SetChange(
                                variant=variant,
                                platform=platform,
                                tier=tier,
                                field=name,
                                added=sorted(after - before),
                                removed=sorted(before - after),
                            )
                        )
    return changes


# ---------------------------------------------------------------- capturing


@dataclass(frozen=True)
class CaptureRun:
    """One `claude -p` run of a capture: a platform, a tier, and the model id it asks for."""

    platform: Platform
    tier: str
    model: str
    long_context: bool = False

    def __str__(self) -> str:
        return f"{self.platform}/{self.tier}" + (
            f" {LONG_CONTEXT_SUFFIX}" if self.long_context else ""
        )


def plan_runs(manifest: Manifest) -> list[CaptureRun]:
    """Every run of a capture: each platform × tier, plus `[1m]` where the manifest allows it."""
    runs: list[CaptureRun] = []
    for platform in PLATFORMS:
        provider = PLATFORM_PROVIDER[platform]
        for tier in manifest.tier_ids_for(provider):
            model = manifest.upstream_model(provider, tier)
            runs.append(CaptureRun(platform, tier, model))
            if manifest.not_applicable_reason(LONG_CONTEXT_FEATURE, provider, tier) is None:
                runs.append(CaptureRun(platform, tier, model + LONG_CONTEXT_SUFFIX, True))
    return runs


def plan_digest(runs: Iterable[CaptureRun]) -> str:
    """A short digest of a plan, so a cached oracle of other model ids is captured again."""
    text = json.dumps([[r.platform, r.tier, r.model, r.long_context] for r in runs])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def platform_environment(platform: Platform, server: EmulatorServer) -> tuple[dict[str, str], str]:
    """The variables putting claude in `platform`'s mode against `server`, and its token."""
    # The token becomes ANTHROPIC_AUTH_TOKEN: with its own cloud authentication skipped, as
    # behind a gateway, Claude Code sends that as `Authorization: Bearer` in every mode.
    from compat.commands.emulate import client_environment

    url = server.url
    # Only the Vertex variables read the service account, and SKIP_VERTEX_AUTH means
    # Claude Code never does; a path is still needed to build the shared environment.
    reach = client_environment(url, Path(tempfile.gettempdir()) / "compat-unused-sa.json")

    def pick(*names: str) -> dict[str, str]:
        return {name: reach[name] for name in names}

    if platform == "first_party":
        # The driver already points ANTHROPIC_BASE_URL at the server.
        return {}, "emulated"
    if platform == "bedrock":
        env = pick("ANTHROPIC_BEDROCK_BASE_URL") | {
            "CLAUDE_CODE_USE_BEDROCK": "1",
            "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
            "AWS_REGION": _AWS_REGION,
        }
        return env, "emulated"
    if platform == "vertex":
        env = pick("ANTHROPIC_VERTEX_BASE_URL") | {
            "CLAUDE_CODE_USE_VERTEX": "1",
            # Without this Claude Code sends nothing until google-auth reaches Google.
            "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1",
            "ANTHROPIC_VERTEX_PROJECT_ID": _VERTEX_PROJECT,
            "CLOUD_ML_REGION": _VERTEX_REGION,
        }
        # The Vertex wire only honours access tokens its OAuth endpoint issued.
        return env, server.ctx.vertex_tokens.issue()
    env = pick("ANTHROPIC_FOUNDRY_BASE_URL", "ANTHROPIC_FOUNDRY_API_KEY") | {
        "CLAUDE_CODE_USE_FOUNDRY": "1"
    }
    return env, "emulated"


def _failure(run: ClaudeRun, timeout_s: float) -> str | None:
    from compat.probes.base import cli_failure

    verdict = cli_failure(run, timeout_s)
    return getattr(verdict.outcome, "error", None) if verdict is not None else None


async def capture_run(
    binary: Path | str,
    run: CaptureRun,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scratch_root: Path | None = None,
) -> PlatformSend:
    """One run against its own emulator, so its requests are its alone."""
    from compat.emulator.server import EmulatorServer

    server = EmulatorServer()
    # start() blocks until uvicorn serves; off the loop, so other runs go on meanwhile.
    await asyncio.to_thread(server.start)
    try:
        env, token = platform_environment(run.platform, server)
        invocation = ClaudeInvocation(model=run.model, prompt=PROMPT, env=env, timeout_s=timeout_s)
        endpoint = ProxyEndpoint(base_url=server.url, api_key=SecretStr(token))
        result = await run_claude(binary, invocation, endpoint, scratch_root=scratch_root)
        records = server.ctx.recorder.query()
    finally:
        await asyncio.to_thread(server.stop)
    return summarize(records, model=run.model, failure=_failure(result, timeout_s))


async def capture_oracle_async(
    binary: Path | str,
    manifest: Manifest,
    *,
    version: str | None = None,
    progress: Callable[[str], None] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ClientOracle:
    """Capture the oracle of the release at `binary`, `concurrency` runs at a time."""
    runs = plan_runs(manifest)
    version = version or await claude_version(binary)
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(run: CaptureRun) -> PlatformSend:
        nonlocal done
        async with gate:
            sent = await capture_run(binary, run, timeout_s=timeout_s)
        done += 1
        if progress is not None:
            progress(f"{done}/{len(runs)} {run}: {sent.requests} requests, {len(sent.betas)} betas")
        return sent

    results = await asyncio.gather(*(one(run) for run in runs))
    tables: dict[bool, PlatformTable] = {False: {}, True: {}}
    for run, sent in zip(runs, results, strict=True):
        tables[run.long_context].setdefault(run.platform, {})[run.tier] = sent
    return ClientOracle(
        plan_digest=plan_digest(runs),
        claude_code_version=version,
        captured_at=datetime.now(UTC),
        platforms=tables[False],
        long_context_1m=tables[True],
    )


def capture_oracle(
    binary: Path | str,
    manifest: Manifest,
    *,
    progress: Callable[[str], None] | None = None,
    version: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ClientOracle:
    """Capture the oracle of the release at `binary` (see `capture_oracle_async`)."""
    return asyncio.run(
        capture_oracle_async(
            binary,
            manifest,
            version=version,
            progress=progress,
            concurrency=concurrency,
            timeout_s=timeout_s,
        )
    )


# ---------------------------------------------------------------- the cache


def oracle_path(version: str) -> Path:
    """`compat-oracle.json` beside the cached install of `version`."""
    return claude_install.cache_root() / claude_install.validate_version(version) / ORACLE_FILE


def load_cached(version: str, manifest: Manifest) -> ClientOracle | None:
    """The cached oracle of `version`, or None when absent, unreadable or of another capture."""
    path = oracle_path(version)
    try:
        oracle = ClientOracle.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        # Missing, half-written by an older compat, or of another schema: capture again.
        return None
    fresh = (
        oracle.protocol == CAPTURE_PROTOCOL
        and oracle.claude_code_version == version
        and oracle.plan_digest == plan_digest(plan_runs(manifest))
    )
    return oracle if fresh else None


def save(oracle: ClientOracle) -> Path:
    """Write `oracle` to its cache file atomically; returns the path."""
    path = oracle_path(oracle.claude_code_version)
    write_atomic(path, oracle.model_dump_json(indent=2) + "\n")
    return path


def load_or_capture(
    binary: Path | str,
    version: str,
    manifest: Manifest,
    *,
    refresh: bool = False,
    progress: Callable[[str], None] | None = None,
    capture: Callable[..., ClientOracle] = capture_oracle,
) -> ClientOracle:
    """The cached oracle of `version`, capturing (and caching) it on first use or `refresh`."""
    if not refresh:
        cached = load_cached(version, manifest)
        if cached is not None:
            return cached
    oracle = capture(binary, manifest, progress=progress, version=version)
    save(oracle)
    return oracle


def installed_binary(version: str) -> Path | None:
    """The cached `claude` of `version`, or None when that release is not installed."""
    claude_install.validate_version(version)
    if version not in claude_install.installed_versions():
        return None
    return claude_install.binary_in(claude_install.cache_root() / version)


def binary_version(binary: Path) -> str:
    """The release number `binary --version` prints, or an InputError when it prints none."""
    try:
        version = asyncio.run(claude_version(binary))
    except (OSError, TimeoutError) as exc:
        raise InputError(f"{binary}: cannot run `--version`: {exc}") from None
    if not _RELEASE.match(version):
        raise InputError(f"{binary}: `--version` printed {version!r}, not a Claude Code release")
    return version


def resolve_release(claude: Path | None, version: str | None) -> tuple[Path | None, str]:
    """The binary (None when not installed) and release of `--claude`, a version, or the default."""
    # A release that is not installed may still have a cached oracle.
    if claude is not None and version is not None:
        raise InputError("give either --claude or --claude-code-version, not both")
    if version is not None:
        return installed_binary(version), version
    binary = claude_install.find_claude(claude)
    return binary, binary_version(binary)


def missing_release(version: str) -> InputError:
    """The error for a release that must be captured but is not installed."""
    return InputError(
        f"Claude Code {version} is not installed and has no cached oracle: "
        f"`compat install claude-code --version {version}` installs it"
    )


def oracle_for(
    binary: Path | None,
    version: str,
    manifest: Manifest,
    *,
    refresh: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ClientOracle:
    """`load_or_capture`, or an InputError when a capture is due but the release is missing."""
    cached = None if refresh else load_cached(version, manifest)
    if cached is not None:
        return cached
    if binary is None:
        raise missing_release(version)
    return load_or_capture(binary, version, manifest, refresh=True, progress=progress)


def as_json(value: BaseModel | Mapping[str, Any] | list[Any]) -> str:
    """Indented JSON of an oracle, a comparison or any mix of models."""
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2)
    return json.dumps(_plain(value), indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
