"""Bad input, generated: the loaders answer with one InputError naming the file or load, and
the stream-json parser never raises, whatever they are fed.

Inputs are random documents and random damage to the real ones (the shipped manifest, the
sample results, recorded claude transcripts). The event-stream round trip and its checksum
properties live in tests/emulator/test_eventstream.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compat.driver import (
    AssistantEvent,
    ResultEvent,
    StreamEvent,
    SystemEvent,
    UnknownEvent,
    UnparsedLine,
    UserEvent,
    parse_line,
)
from compat.errors import InputError
from compat.manifest import load_manifest
from compat.matrix import load_results

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_MANIFEST = Path(__file__).parent.parent / "manifest.yaml"
SAMPLE_RESULTS = FIXTURES / "sample-results.json"
TRANSCRIPT_LINES = sorted(
    {
        line
        for folder in ("transcripts", "probe_transcripts")
        for path in (FIXTURES / folder).glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip()
    }
)
PARSED_TYPES = (
    SystemEvent,
    AssistantEvent,
    UserEvent,
    StreamEvent,
    ResultEvent,
    UnknownEvent,
    UnparsedLine,
)

# Each property reads or writes a file per example; these budgets keep the file well
# under a minute while still reaching every mutation kind many times.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", "1", "pass", "fail", "anthropic", "haiku-4-5", "vision"])
)
printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def node_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path (keys and indexes) of every node of a JSON-like document, root first."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from node_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from node_paths(child, (*prefix, index))


def mutated(data: st.DataObject, document: Any) -> Any:
    """`document` with one node deleted, replaced, duplicated or renamed, drawn by hypothesis."""
    document = copy.deepcopy(document)
    path = data.draw(st.sampled_from(list(node_paths(document))), label="path")
    if not path:
        return data.draw(documents, label="new document")
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    action = data.draw(st.sampled_from(["delete", "replace", "duplicate", "rename"]), label="do")
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = data.draw(documents, label="new value")
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif action == "rename" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=12), label="new key")] = parent.pop(key)
    return document


def damaged_text(data: st.DataObject, text: str) -> str:
    """`text` with a random slice replaced by random characters."""
    start = data.draw(st.integers(0, len(text)), label="start")
    end = data.draw(st.integers(start, min(len(text), start + 40)), label="end")
    return text[:start] + data.draw(st.text(max_size=20), label="inserted") + text[end:]


def loads_or_names_the_file(load: Callable[[Path], Any], path: Path) -> Any | None:
    """What `load` returns, or None after checking its InputError starts with the file's name."""
    try:
        return load(path)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        assert message.strip() != f"{path}:"
        return None


def to_yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


# ------------------------------------------------------------------ manifest


def _load_manifest(path: Path) -> Any:
    return load_manifest(path)


SHIPPED = yaml.safe_load(SHIPPED_MANIFEST.read_text())


@FAST
@given(document=documents)
def test_any_yaml_document_is_a_manifest_or_an_error_naming_the_file(scratch, document):
    path = scratch / "random-manifest.yaml"
    path.write_text(to_yaml(document))
    assert loads_or_names_the_file(_load_manifest, path) is None


@FAST
@given(text=st.text(max_size=300))
@example(text="[" * 5_000)  # deeper than any compat file: refused before it is built
@example(text="a: &x [1]\nb: *y\n")
@example(text="\ufeffschema_version: '1'\n\t- x")
def test_any_text_is_a_manifest_or_an_error_naming_the_file(scratch, text):
    path = scratch / "text-manifest.yaml"
    path.write_text(text, encoding="utf-8")
    assert loads_or_names_the_file(_load_manifest, path) is None


@FAST
@given(data=st.data())
def test_a_damaged_shipped_manifest_loads_or_says_what_is_wrong(scratch, data):
    path = scratch / "damaged-manifest.yaml"
    path.write_text(to_yaml(mutated(data, SHIPPED)))
    loaded = loads_or_names_the_file(_load_manifest, path)
    if loaded is not None:
        assert loaded.feature_ids and loaded.provider_ids and loaded.tier_ids


@FAST
@given(data=st.data())
def test_a_damaged_manifest_text_loads_or_says_what_is_wrong(scratch, data):
    path = scratch / "damaged-text-manifest.yaml"
    path.write_text(damaged_text(data, SHIPPED_MANIFEST.read_text()), encoding="utf-8")
    loads_or_names_the_file(_load_manifest, path)


@SLOW
@given(
    # Printable text: PyYAML itself folds a raw NEL (U+0085) or U+2028 into a space.
    names=st.lists(st.text(printable, min_size=1, max_size=40), min_size=3, max_size=3),
    order=st.permutations(range(len(SHIPPED["features"]))),
    keep_not_applicable=st.integers(
        0, len([e for e in SHIPPED["not_applicable"] if "feature" in e])
    ),
)
def test_harmless_edits_to_the_manifest_load_as_written(scratch, names, order, keep_not_applicable):
    document = copy.deepcopy(SHIPPED)
    document["features"] = [document["features"][i] for i in order]
    document["features"][0]["name"], document["providers"][0]["name"] = names[:2]
    document["features"][0]["description"] = names[2]
    # A column declared not applicable as a whole has no model ids: that entry stays.
    whole_columns = [e for e in document["not_applicable"] if "feature" not in e]
    cells = [e for e in document["not_applicable"] if "feature" in e]
    document["not_applicable"] = whole_columns + cells[:keep_not_applicable]
    path = scratch / "edited-manifest.yaml"
    path.write_text(to_yaml(document))
    manifest = load_manifest(path)
    assert manifest.feature_ids == [f["id"] for f in document["features"]]
    assert manifest.features[0].name == names[0]
    assert manifest.providers[0].name == names[1]
    assert manifest.features[0].description == names[2]
    assert len(manifest.not_applicable) == len(whole_columns) + keep_not_applicable


# ------------------------------------------------------------------ results


def _load_results(path: Path) -> Any:
    return load_results([path])


SAMPLE = json.loads(SAMPLE_RESULTS.read_text())
# An error or a reason must say something: blank text is refused by design.
said = st.text(min_size=1, max_size=50).filter(str.strip)
valid_outcomes = st.one_of(
    st.just({"status": "pass"}),
    st.just({"status": "not_tested"}),
    said.map(lambda error: {"status": "fail", "error": error}),
    said.map(lambda reason: {"status": "not_applicable", "reason": reason}),
)


@FAST
@given(document=documents)
@example(document=[[[[[]]]]])
def test_any_json_document_is_results_or_an_error_naming_the_file(scratch, document):
    path = scratch / "random-results.json"
    path.write_text(json.dumps(document))
    assert loads_or_names_the_file(_load_results, path) is None


@FAST
@given(text=st.text(max_size=300))
@example(text="[" * 100_000)  # json's decoder recurses: refused with a message, not a crash
def test_any_text_is_results_or_an_error_naming_the_file(scratch, text):
    path = scratch / "text-results.json"
    path.write_text(text, encoding="utf-8")
    assert loads_or_names_the_file(_load_results, path) is None


@FAST
@given(data=st.data())
def test_damaged_sample_results_load_or_say_what_is_wrong(scratch, data):
    path = scratch / "damaged-results.json"
    path.write_text(json.dumps(mutated(data, SAMPLE)))
    loaded = loads_or_names_the_file(_load_results, path)
    if loaded is not None:
        assert [r.path for r in loaded] == [path]


@SLOW
@given(data=st.data())
def test_any_valid_outcome_in_the_sample_results_loads_as_written(scratch, data):
    document = copy.deepcopy(SAMPLE)
    index = data.draw(st.integers(0, len(document["results"]) - 1), label="result")
    outcome = data.draw(valid_outcomes, label="outcome")
    document["results"][index]["outcome"] = outcome
    path = scratch / "edited-results.json"
    path.write_text(json.dumps(document))
    (loaded,) = load_results([path])
    assert loaded.file.results[index].outcome.model_dump() == outcome


# ------------------------------------------------------------------ stream-json lines


@FAST
@given(line=st.text())
@example(line="[" * 100_000)
@example(line='{"type": "result", "num_turns": 1e999}')
def test_parse_line_never_raises_on_any_text(line):
    assert isinstance(parse_line(line), PARSED_TYPES)


@FAST
@given(document=documents)
def test_parse_line_never_raises_on_any_json(document):
    parsed = parse_line(json.dumps(document))
    assert isinstance(parsed, PARSED_TYPES)
    if not (isinstance(document, dict) and isinstance(document.get("type"), str)):
        assert isinstance(parsed, UnparsedLine)


@FAST
@given(data=st.data(), line=st.sampled_from(TRANSCRIPT_LINES))
def test_parse_line_never_raises_on_damaged_real_events(data, line):
    assert not isinstance(parse_line(line), UnparsedLine)  # the undamaged line is an event
    damaged = json.dumps(mutated(data, json.loads(line)))
    assert isinstance(parse_line(damaged), PARSED_TYPES)


@FAST
@given(data=st.data(), line=st.sampled_from(TRANSCRIPT_LINES))
def test_parse_line_never_raises_on_cut_or_garbled_real_lines(data, line):
    parsed = parse_line(damaged_text(data, line))
    assert isinstance(parsed, PARSED_TYPES)
    if isinstance(parsed, UnparsedLine):
        assert parsed.problem
