"""PyPI's JSON API as compat reads it: file entries of `/pypi/litellm/json`, served locally."""

from __future__ import annotations

from typing import Any

from support.local_http import LocalServer

LITELLM_JSON = "/pypi/litellm/json"


def pypi_file(version: str, uploaded: str, **fields: Any) -> dict[str, Any]:
    """One file entry of PyPI's JSON API, as `/pypi/litellm/json` lists it: a wheel, not yanked."""
    return {
        "filename": f"litellm-{version}-py3-none-any.whl",
        "upload_time_iso_8601": uploaded,
        "yanked": False,
        "yanked_reason": None,
        "digests": {"sha256": "ab" * 32},
        "requires_python": ">=3.9",
        **fields,
    }


def serve_pypi(server: LocalServer, releases: dict[str, list[dict[str, Any]]]) -> None:
    """Answer `/pypi/litellm/json` with these releases (and a little of what PyPI adds)."""
    server.json(
        LITELLM_JSON,
        {"info": {"name": "litellm", "version": "x"}, "releases": releases, "urls": []},
    )
