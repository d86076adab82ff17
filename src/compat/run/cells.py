"""Cells: what one (feature, provider, tier) is, which a run covers, and deterministic shards."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compat.errors import InputError
from compat.manifest import Manifest, suggest

CellKey = tuple[str, str, str]
"""(feature, provider, tier): how results, journals and matrices name a cell."""


@dataclass(frozen=True)
class Cell:
    feature_id: str
    provider: str
    tier: str

    @property
    def key(self) -> CellKey:
        return (self.feature_id, self.provider, self.tier)

    def __str__(self) -> str:
        return f"{self.feature_id}/{self.provider}/{self.tier}"


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int
    """1-based."""
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(spec: str) -> Shard:
    """`K/N` with 1 ≤ K ≤ N."""
    match = _SHARD.match(spec)
    if not match:
        raise InputError(f"--shard: expected K/N such as 2/4, got {spec!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"--shard: expected 1 ≤ K ≤ N in K/N, got {spec!r}")
    return Shard(index, count)


def _check(option: str, values: list[str], choices: list[str]) -> set[str]:
    for value in values:
        if value not in choices:
            raise InputError(f"{option}: unknown value {value!r}{suggest(value, choices)}")
    return set(values)


def select_cells(
    manifest: Manifest,
    *,
    features: list[str] | None = None,
    providers: list[str] | None = None,
    tiers: list[str] | None = None,
    shard: Shard | None = None,
) -> list[Cell]:
    """The selected cells in manifest order; a shard keeps every N-th of them."""
    wanted_features = _check("--feature", features or [], manifest.row_ids)
    wanted_providers = _check("--provider", providers or [], manifest.provider_ids)
    wanted_tiers = _check("--tier", tiers or [], manifest.tier_ids)
    cells = [
        Cell(f, p, t)
        for f, p, t in manifest.cells()
        if (not wanted_features or f in wanted_features)
        and (not wanted_providers or p in wanted_providers)
        and (not wanted_tiers or t in wanted_tiers)
    ]
    if shard is not None:
        # Round-robin over the ordered list: each shard gets a mix of features and
        # providers (similar durations), and the N shards partition the selection.
        cells = [c for i, c in enumerate(cells) if i % shard.count == shard.index - 1]
    return cells
