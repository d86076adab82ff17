"""Aggregate tier results into `compatibility-matrix.json`, written canonically."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from compat.errors import InputError
from compat.files import load_json, parse_model, problems_error, validation_problems
from compat.manifest import Manifest, suggest
from compat.outcome import Fail, NotApplicable, NotTested, Outcome, Pass, ResultsFile, TierResult

MATRIX_SCHEMA_VERSION = "1"
TIER_ERROR_LIMIT = 600
"""Characters kept of each failing tier's error inside a cell's error."""
CELL_ERROR_LIMIT = 2000

AnyOutcome = Pass | Fail | NotApplicable | NotTested
Upstream = Literal["emulated", "live"]
PUBLISHED_KEYS = (
    "schema_version",
    "generated_at",
    "litellm_version",
    "claude_code_version",
    "providers",
    "features",
)
"""The top-level keys of the matrix LiteLLM publishes, in its order."""
COMPAT_KEYS = ("upstream", "provider_names", "gateway_contract")
"""compat's additions, written after the published keys and optional when reading."""


class MatrixRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    providers: dict[str, Outcome]


class ContractRow(MatrixRow):
    """A gateway-contract check per provider route, with the guide's sentence it enforces."""

    guide: str
    """The guide's section the rule is in (URL with its anchor)."""
    quote: str


class ContractTable(BaseModel):
    """compat's second table: Claude Code's gateway contract, checked per provider route."""

    model_config = ConfigDict(extra="forbid")

    guide: str
    tier: str
    """The tier every check ran on."""
    routes: list[str] = Field(default_factory=list)
    """The provider routes the checks run on (the tier's model family); empty: every one."""
    checks: list[ContractRow]


class Matrix(BaseModel):
    """The published artifact: one outcome per (feature, provider) cell."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1"] = MATRIX_SCHEMA_VERSION
    generated_at: str
    litellm_version: str
    claude_code_version: str
    providers: list[str]
    """Provider ids in column order; every row's `providers` has exactly these keys."""
    features: list[MatrixRow]
    upstream: Upstream = "live"
    """Absent in what LiteLLM publishes: its harness runs only against the real providers."""
    provider_names: dict[str, Annotated[str, Field(min_length=1)]] | None = None
    """Display names by provider id; ids without one are shown by the manifest's name or id."""
    gateway_contract: ContractTable | None = None
    """Absent in what LiteLLM publishes; an addition beside `features`, never inside it."""

    @model_serializer(mode="wrap")
    def _omit_absent_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A key the source did not carry is not invented: a published matrix re-written by
        # compat keeps exactly its published keys (and bytes).
        data = handler(self)
        for key in COMPAT_KEYS:
            if key not in self.model_fields_set or data.get(key) is None:
                data.pop(key, None)
        return data

    def rows(self) -> list[MatrixRow]:
        """Every row: the features, then the gateway-contract checks."""
        checks = self.gateway_contract.checks if self.gateway_contract is not None else []
        return [*self.features, *checks]

    def contract_routes(self) -> list[str]:
        """The columns the contract table shows: the routes its checks run on."""
        table = self.gateway_contract
        if table is None:
            return []
        return [p for p in self.providers if p in table.routes] or list(self.providers)

    def gateway_contract_ids(self) -> list[str]:
        return [c.id for c in self.gateway_contract.checks] if self.gateway_contract else []

    def cell(self, feature_id: str, provider_id: str) -> AnyOutcome:
        row = next(r for r in self.rows() if r.id == feature_id)
        return row.providers[provider_id]

    def provider_name(self, provider_id: str, manifest: Manifest | None = None) -> str:
        """The column's display name: `provider_names`, else the manifest's, else the id."""
        if self.provider_names and provider_id in self.provider_names:
            return self.provider_names[provider_id]
        if manifest is not None and provider_id in manifest.provider_ids:
            return manifest.provider(provider_id).name
        return provider_id


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
        ("feature_id", manifest.row_ids, set(manifest.row_ids)),
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
        provider, tier = result.provider, result.tier
        known_cell = provider in manifest.provider_ids and tier in manifest.tier_ids
        if known_cell and tier not in manifest.tier_ids_for(provider):
            problems.append(
                f"results[{index}].tier: tier {tier!r} does not run on provider "
                f"{provider!r} (expected one of: {', '.join(manifest.tier_ids_for(provider))})"
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
                before, after = previous[0].outcome.status, result.outcome.status
                if before == after:
                    before, after = f"{before} (one error)", f"{after} (another)"
                raise InputError(
                    f"conflicting results for ({feature}, {provider}, {tier}): "
                    f"{before} in {previous[1]} but {after} in {item.path}"
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
    contract_routes = manifest.contract_providers()

    def outcomes(row_id: str, only_tier: str | None = None) -> dict[str, AnyOutcome]:
        """Each provider's cell: its tiers (or the one `only_tier`) aggregated."""
        cells: dict[str, AnyOutcome] = {}
        for provider in manifest.provider_ids:
            if only_tier is not None and provider not in contract_routes:
                # The contract's tier is not a model of this column's family.
                cells[provider] = NotTested()
                continue
            found: list[tuple[str, AnyOutcome]] = []
            tiers = [only_tier] if only_tier else manifest.tier_ids_for(provider)
            for tier in tiers:
                result = merged.get((row_id, provider, tier))
                if result is not None:
                    found.append((tier, result.outcome))
                    continue
                reason = manifest.not_applicable_reason(row_id, provider, tier)
                found.append((tier, NotApplicable(reason=reason) if reason else NotTested()))
            cells[provider] = aggregate(found)
        return cells

    rows = [MatrixRow(id=f.id, name=f.name, providers=outcomes(f.id)) for f in manifest.features]
    contract = manifest.gateway_contract
    table = None
    if contract is not None:
        table = ContractTable(
            guide=contract.guide,
            tier=contract.tier,
            routes=contract_routes,
            checks=[
                ContractRow(
                    id=c.id,
                    name=c.name,
                    providers=outcomes(c.id, contract.tier),
                    guide=contract.section_url(c),
                    quote=c.quote,
                )
                for c in contract.checks
            ],
        )
    return Matrix(
        generated_at=validate_timestamp(generated_at) if generated_at else utc_now(),
        litellm_version=_single(loaded, "LiteLLM version", lambda f: f.versions.litellm),
        claude_code_version=_single(
            loaded, "Claude Code version", lambda f: f.versions.claude_code
        ),
        providers=manifest.provider_ids,
        features=rows,
        upstream=_single(loaded, "upstream mode", lambda f: f.upstream),
        provider_names={p.id: p.name for p in manifest.providers},
        gateway_contract=table,
    )


def canonical_json(model: BaseModel) -> str:
    """Stable order, 2-space indent, trailing newline: same inputs give the same bytes."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _duplicates(label: str, ids: list[str]) -> list[str]:
    return [f"{label}: duplicate id {i!r}" for i, n in Counter(ids).items() if n > 1]


def _shape_problems(matrix: Matrix) -> list[str]:
    """What the types cannot say: unique ids, and every row keyed by exactly `providers`."""
    problems = _duplicates("providers", matrix.providers)
    problems += _duplicates("features", [row.id for row in matrix.features])
    columns = set(matrix.providers)
    tables: list[tuple[str, list[MatrixRow]]] = [("features", list(matrix.features))]
    if matrix.gateway_contract is not None:
        checks = list(matrix.gateway_contract.checks)
        problems += _duplicates("gateway_contract.checks", [row.id for row in checks])
        problems += [
            f"gateway_contract.routes: {route!r} is not one of `providers`"
            for route in matrix.gateway_contract.routes
            if route not in matrix.providers
        ]
        tables.append(("gateway_contract.checks", checks))
    for label, index, row in ((t, i, r) for t, rows in tables for i, r in enumerate(rows)):
        keys = list(row.providers)
        if keys == matrix.providers:
            continue
        where = f"{label}[{index}] ({row.id}).providers"
        missing = [p for p in matrix.providers if p not in row.providers]
        unknown = [p for p in keys if p not in columns]
        if missing:
            problems.append(f"{where}: missing {', '.join(map(repr, missing))} (in `providers`)")
        if unknown:
            problems.append(
                f"{where}: {', '.join(map(repr, unknown))} not in `providers`"
                f"{suggest(unknown[0], matrix.providers)}"
            )
        if not missing and not unknown:
            problems.append(f"{where}: the cells are not in the order of `providers`")
    for provider_id in matrix.provider_names or {}:
        if provider_id not in columns:
            problems.append(
                f"provider_names: {provider_id!r} is not in `providers`"
                f"{suggest(provider_id, matrix.providers)}"
            )
    return problems


def check_matrix(data: Any) -> tuple[Matrix | None, list[str]]:
    """The matrix in a decoded document, or every problem (`where: what`) that stops it."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        return None, [f"expected a matrix mapping at the top level, found {found}"]
    version = data.get("schema_version", MATRIX_SCHEMA_VERSION)
    if version != MATRIX_SCHEMA_VERSION:
        return None, [
            f'schema_version: expected "{MATRIX_SCHEMA_VERSION}" (a string), found {version!r}'
        ]
    providers = data.get("providers")
    if isinstance(providers, list) and any(isinstance(p, dict) for p in providers):
        # The {id, name} objects compat wrote before it took up the published shape.
        return None, [
            "providers: expected provider ids (strings), found objects; rebuild this matrix "
            "from its results with `compat build`"
        ]
    try:
        matrix = Matrix.model_validate(data)
    except ValidationError as exc:
        return None, validation_problems(exc)
    problems = _shape_problems(matrix)
    return (None, problems) if problems else (matrix, [])


def parse_matrix(data: Any, source: Path) -> Matrix:
    """Validate a decoded matrix; raises InputError (exit 2) naming `source` and every field."""
    matrix, problems = check_matrix(data)
    if matrix is None:
        raise problems_error(source, problems)
    return matrix


def load_matrix(path: Path) -> Matrix:
    return parse_matrix(load_json(path, "matrix"), path)
