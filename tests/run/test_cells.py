from __future__ import annotations

import pytest

from compat.errors import InputError
from compat.manifest import load_manifest
from compat.run.cells import Shard, parse_shard, select_cells


@pytest.fixture
def manifest(manifest_path):
    return load_manifest(manifest_path)


def test_everything_by_default_in_manifest_order(manifest):
    cells = select_cells(manifest)
    # 16 features × 9 providers × their family's 3 tiers, then 8 contract checks × the 5
    # Claude routes on one tier.
    assert len(cells) == 16 * 9 * 3 + 8 * 5
    assert [c.key for c in cells] == manifest.cells()
    assert {c.tier for c in cells if c.feature_id.startswith("contract_")} == {"haiku-4-5"}


def test_filters_combine(manifest):
    cells = select_cells(manifest, features=["vision"], providers=["vertex_ai", "azure"])
    assert {(c.provider, c.tier) for c in cells} == {
        (p, t) for p in ("vertex_ai", "azure") for t in manifest.tier_ids_for(p)
    }
    assert {c.feature_id for c in cells} == {"vision"}
    assert len(select_cells(manifest, tiers=["opus-4-7"])) == 80
    gpt = select_cells(manifest, features=["vision"], providers=["openai"])
    assert [c.tier for c in gpt] == ["gpt-5-6-sol", "gpt-5-6-terra", "gpt-5-6-luna"]
    assert len(select_cells(manifest, tiers=["gpt-5-6-luna"])) == 16 * 4
    contract = select_cells(manifest, features=["contract_keep_alive"], providers=["azure"])
    assert [c.key for c in contract] == [("contract_keep_alive", "azure", "haiku-4-5")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": ["visoin"]}, "--feature: unknown value 'visoin' (did you mean 'vision'?)"),
        (
            {"providers": ["vertex"]},
            "--provider: unknown value 'vertex' (did you mean 'vertex_ai'?)",
        ),
        ({"tiers": ["opus"]}, "--tier: unknown value 'opus'"),
    ],
)
def test_unknown_names_get_a_suggestion(manifest, kwargs, message):
    with pytest.raises(InputError) as info:
        select_cells(manifest, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 16])
def test_shards_partition_the_selection_exactly_once(manifest, count):
    everything = select_cells(manifest)
    shards = [select_cells(manifest, shard=Shard(k, count)) for k in range(1, count + 1)]
    flat = [cell for shard in shards for cell in shard]
    assert sorted(flat, key=everything.index) == everything
    assert len(flat) == len(set(flat))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_shards_are_deterministic(manifest):
    assert select_cells(manifest, shard=Shard(2, 4)) == select_cells(manifest, shard=Shard(2, 4))


@pytest.mark.parametrize("spec", ["0/4", "5/4", "1/0", "2", "a/b", "1/2/3", "-1/2"])
def test_bad_shard_specs(spec):
    with pytest.raises(InputError, match="--shard"):
        parse_shard(spec)


def test_shard_spec_round_trips():
    assert str(parse_shard(" 3 / 8 ")) == "3/8"
