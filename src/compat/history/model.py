"""`history.json`: the selected cells' outcomes at each release of one axis."""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HISTORY_SCHEMA_VERSION = "1"

Axis = Literal["litellm", "claude_code"]
"""Which tool's releases the columns are; the other tool stays at one version."""

ColumnState = Literal["ran", "install_failed", "refused", "boot_failed", "interrupted"]
"""`ran`: its cells ran; `install_failed`: the release could not be installed (the reason is
the installer's); `refused`: compat will not install it (a malicious or yanked release);
`boot_failed`: it installed but its proxy never became healthy (or its job stopped with an
error); `interrupted`: the history stopped before this release finished."""

CellStatus = Literal["pass", "fail", "not_applicable", "not_tested"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReleaseColumn(_Strict):
    """One release of the axis, in release order."""

    release: str
    state: ColumnState
    reason: str | None = None
    """Why nothing ran: the installer's own words, or the advisory that refused it."""
    uploaded_at: str | None = None
    """When the registry received it (ISO 8601), when known."""
    litellm: str
    claude_code: str
    """The versions this column ran with (one of them is `release`)."""
    matrix: str | None = None
    """This release's `compatibility-matrix.json`, relative to history.json."""
    page: str | None = None
    """This release's `index.html`, relative to history.json."""
    results: str | None = None
    """This release's `compat-results.json`, relative to history.json."""
    counts: dict[str, int] = Field(default_factory=dict)
    """Cells per status at this release."""


class CellPoint(_Strict):
    """A cell at one release: its status, and for a red one the start of its error."""

    status: CellStatus
    error: str | None = None


class CellHistory(_Strict):
    """One (feature, provider, tier) cell across the releases."""

    feature: str
    provider: str
    tier: str
    outcomes: dict[str, CellPoint]
    """Release → outcome; a release whose column did not run is absent."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.feature, self.provider, self.tier)

    def flips(self, order: list[str]) -> list[tuple[str, str]]:
        """(previous release, release) pairs where the status changed, over releases that ran."""
        seen = [(r, self.outcomes[r].status) for r in order if r in self.outcomes]
        return [(a, b) for (a, sa), (b, sb) in pairwise(seen) if sa != sb]


class HistoryFile(_Strict):
    """The whole file: the axis, the releases in order, and every selected cell."""

    schema_version: Literal["1"] = HISTORY_SCHEMA_VERSION
    axis: Axis
    upstream: Literal["emulated", "live"]
    generated_at: str
    fixed: dict[str, str]
    """The tool held at one version, e.g. {"claude_code": "2.1.329"}."""
    columns: list[ReleaseColumn]
    cells: list[CellHistory]

    @property
    def releases(self) -> list[str]:
        return [c.release for c in self.columns]

    def column(self, release: str) -> ReleaseColumn:
        return next(c for c in self.columns if c.release == release)
