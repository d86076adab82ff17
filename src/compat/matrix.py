"""Aggregate tier results into `compatibility-matrix.json`, written canonically."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compat.errors import InputError
from compat.files import load_json, parse_model, problems_error
from compat.manifest import Manifest, suggest
from compat.outcome import Fail, NotApplicable, NotTested, Outcome, Pass, ResultsFile, TierResult

MATRIX_SCHEMA_VERSION = "1"
TIER_ERROR_LIMIT = 600
"""Characters kept of each failing tier's error inside a cell's error."""
CELL_ERROR_LIMIT = 2000

AnyOutcome = Pass | Fail | NotApplicable | NotTested


class MatrixProvider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str


class MatrixRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    providers: dict[str, Outcome]


class Matrix(BaseModel):
    """The published artifact: one outcome per (feature, provider) cell."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1"] = MATRIX_SCHEMA_VERSION
    generated_at: str
    litellm_version: str
    claude_code_version: str
    upstream: Literal["emulated", "live"]
    providers: list[MatrixProvider]
    features: list[MatrixRow]

    def cell(self, feature_id: str, provider_id: str) -> AnyOutcome:
        row = next(r for r in self.features if r.id == feature_id)
        return row.providers[provider_id]


def trim(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters, saying how much was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    marker = f"… [{len(text) - limit} more chars]"
    return text[: max(0, limit - len(marker))] + marker


def aggregate(tiers: list[tuple[str, AnyOutcome]]) -> AnyOutcome:
    """One cell from its tiers: any fail → fail; all applicable pass → pass; all n/a → n/a."""
    failures = [(tier, o) for tier, o in tiers if isinstance(o, Fail)]
    if failures:
        parts = [f"[{tier}] {trim(o.error, TIER_ERROR_LIMIT)}" for tier, o in failures]
        return Fail(error=trim("; ".join(parts), CELL_ERROR_LIMIT))
    applicable = [o for _, o in tiers if not isinstance(o, NotApplicable)]
    if not applicable:
        reasons = {o.reason for _, o in tiers if isinstance(o, NotApplicable)}
        if len(reasons) == 1:
            return NotApplicable(reason=reasons.pop())
        joined = "; ".join(f"[{t}] {o.reason}" for t, o in tiers if isinstance(o, NotApplicable))
        return NotApplicable(reason=joined)
    if all(isinstance(o, Pass) for o in applicable):
        return Pass()
    return NotTested()


@dataclass(frozen=True)
class LoadedResults:
    path: Path
    file: ResultsFile


def _expand(paths: list[Path]) -> list[Path]:
    """Directories stand for the results files (`*results*.json`) anywhere below them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*results*.json") if p.is_file())
            if not found:
                raise InputError(f"{path}: no results files (*results*.json) in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_results(paths: list[Path]) -> list[LoadedResults]:
    if not paths:
        raise InputError("no results given: pass --results FILE (repeatable) or a directory")
    loaded = []
    for path in _expand(paths):
        data = load_json(path, "results file")
        if isinstance(data, dict) and data.get("schema_version", "1") != "1":
            raise InputError(
                f'{path}: schema_version: expected "1", found {data["schema_version"]!r}'
            )
        loaded.append(LoadedResults(path, parse_model(ResultsFile, data, path, "results")))
    return loaded


def _check_against_manifest(manifest: Manifest, loaded: LoadedResults) -> None:
    problems = []
    axes = (
        ("feature_id", manifest.feature_ids, set(manifest.feature_ids)),
        ("provider", manifest.provider_ids, set(manifest.provider_ids)),
        ("tier", manifest.tier_ids, set(manifest.tier_ids)),
    )
    for index, result in enumerate(loaded.file.results):
        for field, choices, known in axes:
            value = getattr(result, field)
            if value not in known:
                problems.append(
                    f"results[{index}].{field}: unknown {field.removesuffix('_id')} "
                    f"{value!r}{suggest(value, choices)} (not in the manifest)"
                )
    if problems:
        raise problems_error(loaded.path, problems)


def _single(loaded: list[LoadedResults], what: str, value_of) -> str:
    values: dict[str, Path] = {}
    for item in loaded:
        values.setdefault(value_of(item.file), item.path)
    if len(values) > 1:
        listed = ", ".join(f"{v!r} in {p}" for v, p in values.items())
        raise InputError(f"results files disagree on the {what}: {listed}")
    return next(iter(values))


def merge_results(
    manifest: Manifest, loaded: list[LoadedResults]
) -> dict[tuple[str, str, str], TierResult]:
    """All tier results by cell; the same cell with two different outcomes is an error."""
    merged: dict[tuple[str, str, str], tuple[TierResult, Path]] = {}
    for item in loaded:
        _check_against_manifest(manifest, item)
        for result in item.file.results:
            previous = merged.get(result.key)
            if previous is None:
                merged[result.key] = (result, item.path)
            elif previous[0].outcome != result.outcome:
                feature, provider, tier = result.key
                raise InputError(
                    f"conflicting results for ({feature}, {provider}, {tier}): "
                    f"{previous[0].outcome.status} in {previous[1]} but "
                    f"{result.outcome.status} in {item.path}"
                )
    return {key: result for key, (result, _) in merged.items()}


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_timestamp(value: str) -> str:
    """Accept ISO-8601 UTC like 2026-01-01T00:00:00Z; return it unchanged."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--generated-at: expected an ISO-8601 UTC time like 2026-01-01T00:00:00Z, "
            f"found {value!r}"
        ) from None
    if parsed.utcoffset() is None or parsed.utcoffset().total_seconds() != 0:
        raise InputError(f"--generated-at: expected a UTC time ending in Z, found {value!r}")
    return value


def build_matrix(
    manifest: Manifest, loaded: list[LoadedResults], *, generated_at: str | None = None
) -> Matrix:
    """The matrix for `manifest` from the merged results, tiers aggregated per cell."""
    merged = merge_results(manifest, loaded)
    rows = []
    for feature in manifest.features:
        cells: dict[str, AnyOutcome] = {}
        for provider in manifest.providers:
            tiers: list[tuple[str, AnyOutcome]] = []
            for tier in manifest.tiers:
                result = merged.get((feature.id, provider.id, tier.id))
                if result is not None:
                    tiers.append((tier.id, result.outcome))
                    continue
                reason = manifest.not_applicable_reason(feature.id, provider.id, tier.id)
                tiers.append((tier.id, NotApplicable(reason=reason) if reason else NotTested()))
            cells[provider.id] = aggregate(tiers)
        rows.append(MatrixRow(id=feature.id, name=feature.name, providers=cells))
    return Matrix(
        generated_at=validate_timestamp(generated_at) if generated_at else utc_now(),
        litellm_version=_single(loaded, "LiteLLM version", lambda f: f.versions.litellm),
        claude_code_version=_single(
            loaded, "Claude Code version", lambda f: f.versions.claude_code
        ),
        upstream=_single(loaded, "upstream mode", lambda f: f.upstream),
        providers=[MatrixProvider(id=p.id, name=p.name) for p in manifest.providers],
        features=rows,
    )


def canonical_json(model: BaseModel) -> str:
    """Stable order, 2-space indent, trailing newline: same inputs give the same bytes."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def load_matrix(path: Path) -> Matrix:
    return parse_model(Matrix, load_json(path, "matrix"), path, "matrix")
