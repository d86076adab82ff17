"""`compat advisories list` and `refresh`: what refuses installs, and adding to it from OSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat.cli import main
from support.local_http import LocalServer


def osv_record(id: str, name: str = "litellm", versions: tuple[str, ...] = ("9.9.9",)) -> dict:
    return {
        "id": id,
        "modified": "2026-05-01T00:00:00Z",
        "summary": f"Malicious code in {name} (PyPI)",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": list(versions)}],
        "references": [{"type": "REPORT", "url": f"https://example.test/{id}"}],
    }


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "xdg" / "compat" / "advisories"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["advisories", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_shows_the_shipped_record(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list")
    assert code == 0, err
    [row] = [line for line in out.splitlines() if line.startswith("MAL-")]
    assert "MAL-2026-2144" in row and "1.82.7, 1.82.8" in row
    assert "Malicious code in litellm (PyPI)" in row
    assert "https://github.com/BerriAI/litellm/issues/24512" in row
    assert "1 advisory record(s) refuse installs" in err


def test_refresh_from_osv_keeps_the_malicious_records(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vulns: list[dict[str, Any]] = [
        osv_record("MAL-2099-7"),
        {**osv_record("PYSEC-2099-8"), "summary": "an ordinary vulnerability"},
    ]
    with LocalServer() as osv:
        osv.json("/v1/query", {"vulns": vulns}, method="POST")
        code, _out, err = run(capsys, "refresh", "--url", osv.url)
        body = json.loads(osv.seen[0].body)
    assert code == 0, err
    assert body == {"package": {"name": "litellm", "ecosystem": "PyPI"}}
    assert sorted(p.name for p in xdg.iterdir()) == ["MAL-2099-7.json"]
    assert "2 record(s) read from" in err and "1 malicious-package record(s)" in err
    code, out, _err = run(capsys, "list")
    assert "MAL-2099-7" in out and "MAL-2026-2144" in out


def test_refresh_from_an_unpacked_export(
    xdg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "osv-PyPI"
    export.mkdir()
    for record in (osv_record("MAL-2099-1"), osv_record("MAL-2099-2", name="requests")):
        (export / f"{record['id']}.json").write_text(json.dumps(record))
    code, _out, err = run(capsys, "refresh", "--from", str(export))
    assert code == 0, err
    assert sorted(p.name for p in xdg.iterdir()) == ["MAL-2099-1.json"]


def test_a_bad_record_in_an_export_names_the_file_and_field(
    xdg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "MAL-2099-3.json"
    bad.write_text(json.dumps({**osv_record("MAL-2099-3"), "affected": [{"versions": "1.0"}]}))
    code, _out, err = run(capsys, "refresh", "--from", str(bad))
    assert code == 2
    assert str(bad) in err and "affected[0].versions" in err
    assert "Traceback" not in err
    assert not xdg.exists()
