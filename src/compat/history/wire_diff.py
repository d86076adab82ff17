"""What changed on the wire between two releases: a cell's upstream requests, compared by meaning.

Not a raw JSON diff: betas compare as sets, tools are matched by name, the messages reduce to
their shape, long text to its length and start, and per-run noise (nonces, ids, signatures,
credentials, timestamps, temporary directories) is masked or ignored, so two runs of the
same release show no difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from compat.probes.base import NONCE_PREFIX
from compat.redact import redact
from compat.run.evidence import REDACTION_MARGIN
from compat.upstream_log import RecordedRequest

ChangeKind = Literal["added", "removed", "changed"]

DEFAULT_NONCE_PATTERN = re.compile(re.escape(NONCE_PREFIX) + r"[A-Za-z0-9]{6,}")
"""compat's nonces (`compat.probes.base.new_nonce`), also the tests' shorter ones."""
NONCE_MASK = "<nonce>"
SUMMARY_CHARS = 60
"""Strings longer than this read as their first characters and their length."""
VALUE_LIMIT = 120
"""A value quoted in a label is cut to this many characters."""
STORED_LIMIT = 1000
"""A change's `before`/`after` are cut to this many characters."""
LINE_LIMIT = 400

# Per-run values that are not nonces: masked so two runs of one release compare equal.
_RUN_NOISE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    # Message, request and tool-call ids (Anthropic's toolu_/srvtoolu_/msg_/req_, Converse's).
    (re.compile(r"\b(?:toolu|srvtoolu|tooluse|msg|req|call)_[A-Za-z0-9_-]{8,}"), "<id>"),
    # The driver's scratch directory (`tempfile.mkdtemp(prefix="compat-claude-")`).
    (re.compile(r"compat-claude-[A-Za-z0-9_]+"), "compat-claude-<tmp>"),
    # Claude Code's billing header ends its version with a hash of the prompt.
    (re.compile(r"(cc_version=\d+\.\d+\.\d+)\.[0-9a-f]+"), r"\1.<hash>"),
)
# Credentials, per-connection and per-request headers: they differ on every run.
_IGNORED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "content-length",
        "host",
        "date",
        "traceparent",
        "tracestate",
        "baggage",
        "idempotency-key",
        "x-stainless-retry-count",
    }
)
_IGNORED_HEADER_PREFIXES = ("x-amz-", "x-goog-")
_IGNORED_HEADER_PARTS = ("request-id", "trace-id", "session-id")
_IGNORED_KEYS = frozenset({"id", "signature", "timestamp", "created_at", "request_id"})
"""Body keys whose value is per-run wherever they appear."""
_BETA_HEADER = "anthropic-beta"
_SYMBOLS: dict[ChangeKind, str] = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class FieldChange:
    """One difference: where on the request, its value on each side, and a readable line."""

    kind: ChangeKind
    where: str
    """A readable path: `path`, `status`, `header anthropic-beta`, `body.thinking.type`, ..."""
    before: str | None
    after: str | None
    label: str
    """The change in words, e.g. `beta added: context-management-2025-06-27`."""


@dataclass(frozen=True)
class WireDiff:
    """The differences between two requests (or two runs' requests), in request order."""

    changes: list[FieldChange]

    def as_json(self) -> dict[str, Any]:
        """The diff for machine output (values already masked, summarised and redacted)."""
        return {"changes": [asdict(change) for change in self.changes]}


@dataclass(frozen=True)
class _Members:
    """A list compared as a set (betas)."""

    items: frozenset[str]


class _Keyed(dict[str, Any]):
    """List entries keyed by identity (`[name=Bash]`), so their order is no change."""


def wire_diff(
    before: RecordedRequest,
    after: RecordedRequest,
    *,
    nonce_pattern: re.Pattern[str] | None = DEFAULT_NONCE_PATTERN,
) -> WireDiff:
    """What changed from `before` to `after`; `nonce_pattern` None masks no nonces."""
    tree_before = _normalise(before, nonce_pattern)
    tree_after = _normalise(after, nonce_pattern)
    return WireDiff(list(_diff_top(tree_before, tree_after)))


def wire_diff_of_logs(
    before: list[RecordedRequest],
    after: list[RecordedRequest],
    *,
    nonce_pattern: re.Pattern[str] | None = DEFAULT_NONCE_PATTERN,
) -> WireDiff:
    """One cell's requests in two runs, paired, diffed; a request only one side made counts."""
    tier = min((_tier(r) for r in [*before, *after]), default=0)
    # The requests that matter: to the model route when either side made one, else
    # count-tokens, else auth; two runs' token exchanges differ only in noise.
    sides = (
        sorted((r for r in before if _tier(r) == tier), key=lambda r: r.seq),
        sorted((r for r in after if _tier(r) == tier), key=lambda r: r.seq),
    )
    pairs, only_before, only_after = _pair(*sides, nonce_pattern)
    changes: list[FieldChange] = []
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for number, (old, new) in pairs:
        for change in wire_diff(old, new, nonce_pattern=nonce_pattern).changes:
            key = (change.kind, change.where, change.before, change.after)
            if key in seen:
                continue  # the same change in a later request says nothing new
            seen.add(key)
            if number > 1:
                change = FieldChange(
                    change.kind,
                    f"request {number} {change.where}",
                    change.before,
                    change.after,
                    f"request {number}: {change.label}",
                )
            changes.append(change)
    for record in only_before:
        text = _request_line(record, nonce_pattern)
        changes.append(FieldChange("removed", "requests", text, None, f"request removed: {text}"))
    for record in only_after:
        text = _request_line(record, nonce_pattern)
        changes.append(FieldChange("added", "requests", None, text, f"request added: {text}"))
    return WireDiff(changes)


def format_wire_diff(diff: WireDiff, *, before_label: str, after_label: str) -> list[str]:
    """The diff as lines for stderr: a heading, then `+`, `-` or `~` and the change."""
    heading = redact(f"{before_label} → {after_label}")
    if not diff.changes:
        return [f"no difference on the wire {heading} (per-run noise ignored)"]
    count = len(diff.changes)
    lines = [f"on the wire {heading}: {count} change{'s' if count != 1 else ''}"]
    for change in diff.changes:
        lines.append(f"  {_SYMBOLS[change.kind]} {_clip(redact(change.label), LINE_LIMIT)}")
    return lines


# ------------------------------------------------------------------ pairing two runs' requests


def _tier(record: RecordedRequest) -> int:
    """0: a model request; 1: count-tokens; 2: an auth or token exchange."""
    path = record.path.lower()
    segments = set(re.split(r"[/:]", path))
    if segments & {"oauth2", "token", "tokens"} or "assumerole" in record.query.lower():
        return 2
    if "count_tokens" in path or "count-tokens" in path:
        return 1
    return 0


def _pair(
    before: list[RecordedRequest],
    after: list[RecordedRequest],
    nonce_pattern: re.Pattern[str] | None,
) -> tuple[
    list[tuple[int, tuple[RecordedRequest, RecordedRequest]]],
    list[RecordedRequest],
    list[RecordedRequest],
]:
    """(number, pair)s in `before`'s order, and the requests left over on each side."""
    left, right = list(before), list(after)
    matched: list[tuple[RecordedRequest, RecordedRequest]] = []
    if left and right:
        # The first request is the one that matters, whatever its path became.
        matched.append((left.pop(0), right.pop(0)))
    for record in list(left):
        path = _mask(record.path, nonce_pattern)
        twin = next((r for r in right if _mask(r.path, nonce_pattern) == path), None)
        if twin is not None:
            matched.append((record, twin))
            left.remove(record)
            right.remove(twin)
    # What is left changed its path: pair it in order.
    matched += list(zip(left, right, strict=False))
    paired = min(len(left), len(right))
    order = {id(r): i for i, r in enumerate(before)}
    matched.sort(key=lambda pair: order[id(pair[0])])
    numbered = [(order[id(old)] + 1, (old, new)) for old, new in matched]
    return numbered, left[paired:], right[paired:]


def _request_line(record: RecordedRequest, nonce_pattern: re.Pattern[str] | None) -> str:
    status = record.status if record.status is not None else "no response"
    return _clip(redact(f"{record.method} {_mask(record.path, nonce_pattern)} ({status})"))


# -------------------------------------------------------------- one request as a comparable tree


def _normalise(record: RecordedRequest, nonce_pattern: re.Pattern[str] | None) -> dict[str, Any]:
    """The request as a tree of comparable values, keyed by where they are."""
    tree: dict[str, Any] = {
        "method": record.method,
        "path": _text(record.path, nonce_pattern, summarise=False),
    }
    if record.query:
        tree["query"] = _text(record.query, nonce_pattern, summarise=False)
    tree["status"] = str(record.status) if record.status is not None else "no response"
    if record.error_kind or record.error_message:
        error = f"{record.error_kind or 'error'}: {record.error_message or ''}"
        tree["error"] = _text(error, nonce_pattern)
    headers = {name.lower(): value for name, value in record.headers.items()}
    for name in sorted(headers):
        if _ignored_header(name):
            continue
        if name == _BETA_HEADER:
            tree[f"header {name}"] = _betas(headers[name].split(","))
        else:
            tree[f"header {name}"] = _text(headers[name], nonce_pattern, summarise=False)
    tree["body"] = _body(record.body, nonce_pattern)
    return tree


def _ignored_header(name: str) -> bool:
    return (
        name in _IGNORED_HEADERS
        or name.startswith(_IGNORED_HEADER_PREFIXES)
        or any(part in name for part in _IGNORED_HEADER_PARTS)
    )


def _betas(values: Iterable[Any]) -> _Members:
    return _Members(frozenset(str(v).strip() for v in values if str(v).strip()))


def _body(body: Any, nonce_pattern: re.Pattern[str] | None) -> Any:
    if not isinstance(body, dict):
        return _value(body, nonce_pattern)
    tree: dict[str, Any] = {}
    for key, value in body.items():
        if key == "messages" and isinstance(value, list):
            # Prompts and replies differ on every run: only each message's shape compares.
            tree[key] = [_message_shape(m, nonce_pattern) for m in value]
        elif key == "anthropic_beta" and isinstance(value, list):
            tree[key] = _betas(value)
        elif key == "tools" and isinstance(value, list):
            tree[key] = _tools(value, nonce_pattern)
        elif key == "toolConfig" and isinstance(value, dict):
            config = {
                k: _tools(v, nonce_pattern) if k == "tools" and isinstance(v, list) else v
                for k, v in value.items()
            }
            tree[key] = _value(config, nonce_pattern)
        elif key == "metadata" and isinstance(value, dict):
            tree[key] = _value({k: v for k, v in value.items() if k != "user_id"}, nonce_pattern)
        else:
            tree[key] = _value(value, nonce_pattern)
    return tree


def _tools(tools: list[Any], nonce_pattern: re.Pattern[str] | None) -> _Keyed:
    """Tools by name (Converse: `toolSpec.name`; else type), so reordering them is no change."""
    keyed = _Keyed()
    for tool in tools:
        key = _tool_key(tool)
        numbered, n = key, 1
        while numbered in keyed:
            n += 1
            numbered = f"{key[:-1]}#{n}]"
        keyed[numbered] = _value(tool, nonce_pattern)
    return keyed


def _tool_key(tool: Any) -> str:
    if not isinstance(tool, dict):
        return "[?]"
    spec = tool.get("toolSpec") if isinstance(tool.get("toolSpec"), dict) else tool
    if spec.get("name"):
        return f"[name={spec['name']}]"
    if spec.get("type"):
        return f"[type={spec['type']}]"
    # A Converse `cachePoint` entry, or some other one-key entry.
    return f"[{'+'.join(sorted(tool))}]"


def _message_shape(message: Any, nonce_pattern: re.Pattern[str] | None) -> str:
    """`role: block, block×3, ...`: the roles and block types, never the text."""
    if not isinstance(message, dict):
        return type(message).__name__
    content = message.get("content")
    if isinstance(content, str):
        blocks = ["text"]
    elif isinstance(content, list):
        blocks = [_block_shape(b, nonce_pattern) for b in content]
    else:
        blocks = []
    runs: list[list[Any]] = []
    for block in blocks:
        if runs and runs[-1][0] == block:
            runs[-1][1] += 1
        else:
            runs.append([block, 1])
    shape = ", ".join(b if n == 1 else f"{b}×{n}" for b, n in runs)
    return f"{message.get('role', '?')}: {shape}"


def _block_shape(block: Any, nonce_pattern: re.Pattern[str] | None) -> str:
    if not isinstance(block, dict):
        return type(block).__name__
    if "type" in block:
        kind = str(block["type"])
        spec = block
    else:
        # Converse blocks are one-key objects: {"text": ...}, {"toolUse": {...}}, ...
        kind = "+".join(sorted(block))
        spec = next(iter(block.values()), {}) if len(block) == 1 else {}
    name = spec.get("name") if isinstance(spec, dict) else None
    if kind in ("tool_use", "server_tool_use", "toolUse") and name:
        kind = f"{kind} {name}"
    control = block.get("cache_control")
    if control is not None:
        kind += " cache_control=" + _json(_value(control, nonce_pattern))
    return kind


def _value(value: Any, nonce_pattern: re.Pattern[str] | None) -> Any:
    """`value` with noise masked, long strings summarised and per-run keys dropped."""
    if isinstance(value, str):
        return _text(value, nonce_pattern)
    if isinstance(value, _Keyed | _Members):
        return value
    if isinstance(value, list):
        return [_value(v, nonce_pattern) for v in value]
    if isinstance(value, dict):
        return {k: _value(v, nonce_pattern) for k, v in value.items() if k not in _IGNORED_KEYS}
    return value


def _text(text: str, nonce_pattern: re.Pattern[str] | None, *, summarise: bool = True) -> str:
    # Redacted before summarising: a secret cut in half would no longer be recognised.
    window = SUMMARY_CHARS + REDACTION_MARGIN if summarise else len(text)
    clean = redact(_mask(text[:window], nonce_pattern))
    length = len(clean) + max(0, len(text) - window)
    if not summarise or length <= SUMMARY_CHARS:
        return clean
    return f"{clean[:SUMMARY_CHARS]}… [{length} chars]"


def _mask(text: str, nonce_pattern: re.Pattern[str] | None) -> str:
    if nonce_pattern is not None:
        text = nonce_pattern.sub(NONCE_MASK, text)
    for pattern, replacement in _RUN_NOISE:
        text = pattern.sub(replacement, text)
    return text


# ------------------------------------------------------------------------------- the diffing


def _diff_top(before: dict[str, Any], after: dict[str, Any]) -> Iterator[FieldChange]:
    for key in _keys(before, after):
        yield from _diff(key, before.get(key, _MISSING), after.get(key, _MISSING))


class _Missing:
    """A value absent on one side."""


_MISSING: Any = _Missing()


def _keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [*before, *(k for k in after if k not in before)]


def _child(where: str, key: str) -> str:
    return where + key if key.startswith("[") else f"{where}.{key}"


def _diff(where: str, before: Any, after: Any) -> Iterator[FieldChange]:
    if isinstance(before, _Members) or isinstance(after, _Members):
        yield from _diff_members(where, before, after)
    elif before is _MISSING:
        yield _added(where, after)
    elif after is _MISSING:
        yield _removed(where, before)
    elif isinstance(before, _Keyed) and isinstance(after, _Keyed):
        for key in _keys(before, after):
            yield from _diff_tool(
                _child(where, key), before.get(key, _MISSING), after.get(key, _MISSING)
            )
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in _keys(before, after):
            yield from _diff(
                _child(where, key), before.get(key, _MISSING), after.get(key, _MISSING)
            )
    elif isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            yield from _diff(
                f"{where}[{i}]",
                before[i] if i < len(before) else _MISSING,
                after[i] if i < len(after) else _MISSING,
            )
    elif _render(before) != _render(after):
        old, new = _render(before), _render(after)
        yield FieldChange("changed", where, old, new, f"{where}: {_clip(old)} → {_clip(new)}")


def _diff_members(where: str, before: Any, after: Any) -> Iterator[FieldChange]:
    old = before.items if isinstance(before, _Members) else frozenset()
    new = after.items if isinstance(after, _Members) else frozenset()
    beta = where == f"header {_BETA_HEADER}" or where.endswith("anthropic_beta")
    noun = "beta" if beta else "member"
    place = "" if where == f"header {_BETA_HEADER}" else f" ({where})"
    for item in sorted(old - new):
        text = _clip(redact(item))
        yield FieldChange("removed", where, text, None, f"{noun} removed: {text}{place}")
    for item in sorted(new - old):
        text = _clip(redact(item))
        yield FieldChange("added", where, None, text, f"{noun} added: {text}{place}")


def _diff_tool(where: str, before: Any, after: Any) -> Iterator[FieldChange]:
    name = where[where.rindex("[") :]
    if before is _MISSING:
        yield FieldChange("added", where, None, _render(after), f"tool added: {name}")
        return
    if after is _MISSING:
        old = _render(before)
        yield FieldChange("removed", where, old, None, f"tool removed: {name} (was {_clip(old)})")
        return
    old_type, new_type = _tool_type(before), _tool_type(after)
    if old_type != new_type:
        yield FieldChange(
            "changed",
            f"{where}.type",
            old_type,
            new_type,
            f"tool type translated: {old_type or '(no type)'} → {new_type or '(no type)'} "
            f"({where})",
        )
    if isinstance(before, dict) and isinstance(after, dict):
        rest_before = {k: v for k, v in before.items() if k != "type"}
        rest_after = {k: v for k, v in after.items() if k != "type"}
        yield from _diff(where, rest_before, rest_after)
    else:
        yield from _diff(where, before, after)


def _tool_type(tool: Any) -> str | None:
    value = tool.get("type") if isinstance(tool, dict) else None
    return _render(value) if value is not None else None


def _added(where: str, value: Any) -> FieldChange:
    new = _render(value)
    return FieldChange("added", where, None, new, f"{where} added: {_clip(new)}")


def _removed(where: str, value: Any) -> FieldChange:
    old = _render(value)
    return FieldChange("removed", where, old, None, f"{where} removed (was {_clip(old)})")


def _render(value: Any) -> str:
    """A value as text: strings as they are, the rest as compact JSON, redacted and cut."""
    text = value if isinstance(value, str) else _json(value)
    return _clip(redact(text), STORED_LIMIT)


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"), default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, _Members):
        return sorted(value.items)
    if isinstance(value, _Keyed):
        return [_plain(v) for v in value.values()]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _clip(text: str, limit: int = VALUE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
