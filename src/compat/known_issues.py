"""`known_issues.yaml`: documented breakages per cell, validated against the manifest."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from compat.errors import InputError
from compat.files import load_yaml, parse_model, problems_error, write_atomic
from compat.manifest import Manifest, suggest
from compat.matrix import Matrix
from compat.outcome import Pass

SCHEMA_VERSION = "1"

IssueStatus = Literal["open", "fixed", "wont_fix"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AffectedCell(_Strict):
    """A (feature, provider) cell an issue breaks; `tiers` narrows it to some tiers."""

    feature: str
    provider: str
    tiers: list[str] | None = Field(default=None, min_length=1)


class Fix(_Strict):
    """How the issue is (or will be) fixed, and the release that ships the fix."""

    description: str = Field(min_length=1)
    pr_url: HttpUrl | None = None
    release: str | None = Field(default=None, min_length=1)


class KnownIssue(_Strict):
    """One documented breakage: what users see, how to work around it, how it gets fixed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    cells: list[AffectedCell] = Field(min_length=1)
    symptom: str = Field(min_length=1)
    workaround: str = Field(min_length=1)
    status: IssueStatus
    fix: Fix | None = None
    affects: str | None = Field(default=None, min_length=1)
    """The LiteLLM releases it breaks, as a version specifier (e.g. ">=1.83.0")."""
    fixed_in: str | None = Field(default=None, min_length=1)
    """The first release where its cells pass again; `compat bisect` records it."""

    @field_validator("affects")
    @classmethod
    def _specifier(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                SpecifierSet(value)
            except InvalidSpecifier:
                raise ValueError(
                    f"expected a version specifier such as '>=1.83.0,<1.84.0', got {value!r}"
                ) from None
        return value

    @field_validator("fixed_in")
    @classmethod
    def _release(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Version(value)
            except InvalidVersion:
                raise ValueError(
                    f"expected a release version such as 1.84.10, got {value!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _fixed_needs_a_fix(self) -> KnownIssue:
        # A "fixed" issue without the fix leaves readers unable to tell which release to take.
        if self.status == "fixed" and self.fix is None:
            raise ValueError("status 'fixed' needs a `fix` (description, and the release)")
        return self

    def covers(self, feature: str, provider: str) -> bool:
        return any(c.feature == feature and c.provider == provider for c in self.cells)

    def affects_release(self, release: str) -> bool:
        """Whether `release` is in the issue's range (every release when it names none)."""
        return self.affects is None or Version(release) in SpecifierSet(self.affects)


class KnownIssues(_Strict):
    """The whole file: a schema version and the issues, in the order they are shown."""

    schema_version: Literal["1"]
    issues: list[KnownIssue] = Field(default_factory=list)

    def for_cell(self, feature: str, provider: str) -> list[KnownIssue]:
        return [issue for issue in self.issues if issue.covers(feature, provider)]


def ready_to_remove(issue: KnownIssue, matrix: Matrix) -> bool:
    """True when every cell the issue names passes in `matrix` (a pass means every tier passed)."""
    cells = {
        (row.id, provider): outcome
        for row in matrix.features
        for provider, outcome in row.providers.items()
    }
    return all(isinstance(cells.get((c.feature, c.provider)), Pass) for c in issue.cells)


def _unknown(where: str, what: str, value: str, choices: list[str]) -> str:
    return f"{where}: unknown {what} {value!r}{suggest(value, choices)}"


def _semantic_problems(known: KnownIssues, manifest: Manifest) -> list[str]:
    problems = [
        f"issues: duplicate id {issue_id!r}"
        for issue_id, count in Counter(i.id for i in known.issues).items()
        if count > 1
    ]
    for index, issue in enumerate(known.issues):
        seen: set[tuple[str, str]] = set()
        for cell_index, cell in enumerate(issue.cells):
            where = f"issues[{index}].cells[{cell_index}]"
            if cell.feature not in manifest.row_ids:
                problems.append(
                    _unknown(f"{where}.feature", "feature", cell.feature, manifest.row_ids)
                )
            if cell.provider not in manifest.provider_ids:
                problems.append(
                    _unknown(f"{where}.provider", "provider", cell.provider, manifest.provider_ids)
                )
            for tier_index, tier in enumerate(cell.tiers or []):
                if tier not in manifest.tier_ids:
                    problems.append(
                        _unknown(f"{where}.tiers[{tier_index}]", "tier", tier, manifest.tier_ids)
                    )
            if (cell.feature, cell.provider) in seen:
                problems.append(
                    f"{where}: ({cell.feature}, {cell.provider}) is listed twice in issue "
                    f"{issue.id!r}"
                )
            seen.add((cell.feature, cell.provider))
    return problems


def load_known_issues(path: Path, manifest: Manifest) -> KnownIssues:
    """Load and validate `known_issues.yaml`; raises InputError (exit 2) naming every bad entry."""
    data = load_yaml(path, "known issues file")
    if isinstance(data, dict) and data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise problems_error(
            path,
            [
                f'schema_version: expected "{SCHEMA_VERSION}" (a string), '
                f"found {data['schema_version']!r}"
            ],
        )
    known = parse_model(KnownIssues, data, path, "known issues")
    problems = _semantic_problems(known, manifest)
    if problems:
        raise problems_error(path, problems)
    return known


_ENTRY = re.compile(r"^(?P<indent>\s*)-\s+id:\s*['\"]?(?P<id>[a-z0-9][a-z0-9_-]*)['\"]?\s*$")


def record_fixed_in(path: Path, issue_id: str, release: str) -> bool:
    """Set `fixed_in: "<release>"` on one entry of the file, keeping every comment in it.

    PyYAML would drop the file's comments (its documentation), so the entry is edited as
    text: its `fixed_in` line is replaced, or one is added after its `id`. Returns whether
    the file changed.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if (m := _ENTRY.match(line)) and m["id"] == issue_id),
        None,
    )
    if start is None:
        raise InputError(f"{path}: no issue with id {issue_id!r}")
    match = _ENTRY.match(lines[start])
    assert match is not None
    field_indent = " " * (len(match["indent"]) + 2)
    wanted = f'{field_indent}fixed_in: "{release}"\n'
    end = start + 1
    while (
        end < len(lines)
        and not _ENTRY.match(lines[end])
        and (
            not lines[end].strip()
            or lines[end].startswith(field_indent)
            or lines[end].lstrip().startswith("#")
        )
    ):
        end += 1
    for index in range(start + 1, end):
        if lines[index].startswith(f"{field_indent}fixed_in:"):
            if lines[index] == wanted:
                return False
            lines[index] = wanted
            break
    else:
        lines.insert(start + 1, wanted)
    write_atomic(path, "".join(lines))
    return True
