"""The real recordings the judges are tested on, and ways to take a feature out of them.

Recorded from the real chain (claude + LiteLLM + the emulator) by
scripts/capture_probe_transcripts.py: per feature, the transcript (`<feature>.jsonl`) or the
proxy's HTTP answer (`<feature>.json`), the emulator's records of what the proxy sent
upstream (`<feature>.upstream.json`, long strings cut in the middle) and the run's nonce.
A failing case is that recording with the one thing the feature depends on taken away.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from compat.driver import ClaudeRun, ProxyEndpoint, parse_transcript
from compat.outcome import Fail
from compat.probes import load_probes
from compat.probes.base import CliProbe, ProbeContext, Verdict
from compat.run.cells import Cell
from compat.upstream_log import RecordedRequest

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDED = FIXTURES / "probe_transcripts"
PROXY = ProxyEndpoint(base_url="http://127.0.0.1:9", api_key=SecretStr("sk-test"))
PROBES = load_probes()
CLI_FEATURES = sorted(f for f, p in PROBES.items() if isinstance(p, CliProbe))
HTTP_FEATURES = sorted(f for f, p in PROBES.items() if not isinstance(p, CliProbe))
OTHER_NONCE = "COMPAT-000000000000"

Records = list[dict[str, Any]]


class RecordedUpstream:
    """The emulator's recorder, played back from a fixture (same `query` semantics)."""

    def __init__(self, records: Records) -> None:
        self.records = [RecordedRequest.model_validate(r) for r in records]

    @property
    def last_seq(self) -> int:
        return max((r.seq for r in self.records), default=0)

    def query(self, *, contains: str | None = None, since: int = 0) -> list[RecordedRequest]:
        return [
            r
            for r in self.records
            if r.seq > since
            and (contains is None or contains in json.dumps(r.body, ensure_ascii=False))
        ]


def made_record(
    path: str = "/v1/messages",
    body: Any = None,
    headers: dict[str, str] | None = None,
    status: int = 200,
    **fields: Any,
) -> RecordedRequest:
    """One upstream record made up for a judge's test (anthropic, POST, seq 1 unless given)."""
    values: dict[str, Any] = {
        "seq": 1,
        "provider": "anthropic",
        "method": "POST",
        "query": "",
        "timestamp": 0.0,
        "duration_ms": 1.0,
    }
    values.update(fields)
    return RecordedRequest(path=path, body=body, headers=headers or {}, status=status, **values)


def meta(feature: str) -> dict[str, str]:
    return json.loads((RECORDED / f"{feature}.meta.json").read_text())


def upstream_records(feature: str) -> Records:
    return json.loads((RECORDED / f"{feature}.upstream.json").read_text())


def recorded_context(
    feature: str,
    upstream: Callable[[Records], Records | None] = lambda records: records,
    *,
    tier: str | None = None,
) -> ProbeContext:
    """The context the recording ran in; `upstream` edits its records (None hides them)."""
    info = meta(feature)
    records = upstream(copy.deepcopy(upstream_records(feature)))
    ctx = ProbeContext(
        cell=Cell(feature, "anthropic", tier or info["tier"]),
        alias=info["alias"],
        proxy=PROXY,
        nonce=info["nonce"],
        upstream=RecordedUpstream(records) if records is not None else None,
        upstream_since=0,
    )
    probe = PROBES[feature]
    if isinstance(probe, CliProbe):
        probe.invocation(ctx)  # sets the evidence key the run was recorded with
    return ctx


def transcript(feature: str, mutate: Callable[[str], str] = lambda text: text) -> ClaudeRun:
    """The recorded run; with its lines' arrival times while the text is the recorded one."""
    recorded = (RECORDED / f"{feature}.jsonl").read_text()
    text = mutate(recorded)
    times = RECORDED / f"{feature}.arrivals.json"
    arrivals = json.loads(times.read_text()) if times.exists() and text == recorded else []
    events = parse_transcript(text)
    return ClaudeRun(
        argv=[], events=events, exit_code=0, stderr="", duration_ms=1, arrivals=arrivals
    )


def judge(feature: str, run: ClaudeRun, ctx: ProbeContext | None = None) -> Verdict:
    probe = PROBES[feature]
    assert isinstance(probe, CliProbe)
    return probe.verdict(run, ctx or recorded_context(feature))


def http_response(feature: str, mutate: Callable[[dict], None] | None = None) -> httpx.Response:
    recorded = json.loads((RECORDED / f"{feature}.json").read_text())
    body = recorded["body"]
    if mutate is not None:
        mutate(body)
    headers = {"content-type": recorded.get("content_type") or "application/json"}
    return httpx.Response(recorded["status"], content=json.dumps(body).encode(), headers=headers)


# ------------------------------------------------------------ taking a feature away upstream


def each_body(records: Records, edit: Callable[[dict[str, Any]], None]) -> Records:
    for record in records:
        if isinstance(record.get("body"), dict):
            edit(record["body"])
    return records


def drop_beta(beta: str) -> Callable[[Records], Records]:
    def edit(records: Records) -> Records:
        for record in records:
            headers = record["headers"]
            if "anthropic-beta" in headers:
                flags = [f for f in headers["anthropic-beta"].split(",") if f != beta]
                headers["anthropic-beta"] = ",".join(flags)
            body = record.get("body")
            if isinstance(body, dict) and isinstance(body.get("anthropic_beta"), list):
                body["anthropic_beta"] = [f for f in body["anthropic_beta"] if f != beta]
        return records

    return edit


def drop_tool(name: str) -> Callable[[Records], Records]:
    def edit(body: dict[str, Any]) -> None:
        body["tools"] = [t for t in body.get("tools", []) if t.get("name") != name]

    return lambda records: each_body(records, edit)


def drop_blocks(kind: str) -> Callable[[Records], Records]:
    def edit(body: dict[str, Any]) -> None:
        for message in body.get("messages", []):
            if isinstance(message.get("content"), list):
                message["content"] = [b for b in message["content"] if b.get("type") != kind]

    return lambda records: each_body(records, edit)


def walk(value: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(value, dict):
        found.append(value)
        for inner in value.values():
            found += walk(inner)
    elif isinstance(value, list):
        for inner in value:
            found += walk(inner)
    return found


def strip_cache_control(ttl_only: bool) -> Callable[[Records], Records]:
    def edit(body: dict[str, Any]) -> None:
        for item in walk(body):
            control = item.get("cache_control")
            if isinstance(control, dict):
                if ttl_only:
                    control.pop("ttl", None)
                else:
                    del item["cache_control"]

    return lambda records: each_body(records, edit)


def set_field(field: str, value: Any) -> Callable[[Records], Records]:
    return lambda records: each_body(records, lambda body: body.__setitem__(field, value))


def drop_effort(records: Records) -> Records:
    return each_body(records, lambda body: body.get("output_config", {}).pop("effort", None))


def no_records(records: Records) -> Records:
    return []


def refused(records: Records) -> Records:
    for record in records:
        record["status"] = 400
        record["error_kind"] = "invalid_request_error"
        record["error_message"] = "refused"
    return records


def replace_text(old: str, new: str) -> Callable[[Records], Records]:
    """Every string in the bodies with `old` replaced (e.g. a prompt's start cut off)."""

    def edit(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [edit(v) for v in value]
        if isinstance(value, dict):
            return {k: edit(v) for k, v in value.items()}
        return value

    def apply(records: Records) -> Records:
        for record in records:
            record["body"] = edit(record["body"])
        return records

    return apply


def failed(verdict: Verdict, expected: str) -> None:
    """`verdict` is a final (not retryable) failure whose error says `expected`."""
    assert isinstance(verdict.outcome, Fail), verdict.outcome
    assert expected in verdict.outcome.error, verdict.outcome.error
    assert not verdict.retryable
