"""OSV advisories that make a release unsafe to install: shipped records plus refreshed ones."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from compat.errors import CompatError, InputError
from compat.files import load_json, parse_model, validation_problems, write_atomic
from compat.paths import cache_home

OSV_API = "https://api.osv.dev"
OSV_URL_ENV = "COMPAT_OSV_URL"
SHIPPED_DIR = Path(__file__).parent / "data" / "advisories"
# OSV's malicious-packages database: a release listed there was published to do harm.
MALICIOUS_PREFIX = "MAL-"
# A query answer longer than this many pages is a loop, not LiteLLM's advisories.
MAX_QUERY_PAGES = 50
INTRODUCED_FOREVER = "0"
LIMIT_NONE = "*"

RangeType = Literal["ECOSYSTEM", "SEMVER", "GIT"]
VersionKey = tuple[Any, ...] | Version

# Record ids name cache files, so nothing that could climb out of the directory passes.
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def cache_dir() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat/advisories`: records a refresh wrote."""
    return cache_home() / "advisories"


def osv_url() -> str:
    """OSV's API root; `COMPAT_OSV_URL` points it elsewhere (a mirror, a test)."""
    return os.environ.get(OSV_URL_ENV, OSV_API).rstrip("/")


class OsvEvent(BaseModel):
    """One event of a range: exactly one of its four fields is set."""

    model_config = ConfigDict(extra="ignore")

    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> OsvEvent:
        kinds = [k for k in ("introduced", "fixed", "last_affected", "limit") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                "expected exactly one of introduced, fixed, last_affected, limit; "
                f"found {', '.join(kinds) or 'none'}"
            )
        return self

    @property
    def version(self) -> str:
        return self.introduced or self.fixed or self.last_affected or self.limit or ""


class OsvRange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: RangeType
    repo: str | None = None
    events: list[OsvEvent] = Field(min_length=1)


class OsvPackage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ecosystem: str
    name: str
    purl: str | None = None


class OsvAffected(BaseModel):
    model_config = ConfigDict(extra="ignore")

    package: OsvPackage | None = None
    versions: list[str] = Field(default_factory=list)
    ranges: list[OsvRange] = Field(default_factory=list)


class OsvReference(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    url: str


class Advisory(BaseModel):
    """The fields of an OSV record (https://ossf.github.io/osv-schema/) compat reads."""

    # Other fields are kept as they came, so a record saved by a refresh is the record read.
    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=_ID)
    modified: datetime
    published: datetime | None = None
    summary: str | None = None
    details: str | None = None
    aliases: list[str] = Field(default_factory=list)
    affected: list[OsvAffected] = Field(default_factory=list)
    references: list[OsvReference] = Field(default_factory=list)
    database_specific: dict[str, Any] | None = None

    @property
    def refuses(self) -> bool:
        """Whether the record makes a release unsafe to install, not merely vulnerable."""
        marked = (self.database_specific or {}).get("compat_refuse") is True
        return self.id.startswith(MALICIOUS_PREFIX) or marked

    @property
    def first_reference(self) -> str | None:
        return self.references[0].url if self.references else None

    def affects(self, package: str, version: str, *, ecosystem: str = "PyPI") -> bool:
        """Whether `version` of `package` is listed, or inside an ECOSYSTEM or SEMVER range."""
        return any(
            entry.package is not None
            and _same_package(entry.package, package, ecosystem)
            and (
                _listed(entry.versions, version, ecosystem)
                or any(in_range(r, version, ecosystem=ecosystem) for r in entry.ranges)
            )
            for entry in self.affected
        )

    def affected_text(self) -> str:
        """`PyPI litellm 1.82.7, 1.82.8` and any ranges as `>=1.0 <2.0`, for listings."""
        parts = []
        for entry in self.affected:
            name = f"{entry.package.ecosystem} {entry.package.name}" if entry.package else "?"
            shown = [", ".join(entry.versions)] if entry.versions else []
            shown += [_range_text(r) for r in entry.ranges]
            parts.append(f"{name} {'; '.join(s for s in shown if s) or '(no versions)'}")
        return "; ".join(parts) or "(nothing listed)"


def _same_package(found: OsvPackage, package: str, ecosystem: str) -> bool:
    if found.ecosystem != ecosystem:
        return False
    if ecosystem == "PyPI":
        return canonicalize_name(found.name) == canonicalize_name(package)
    return found.name == package


def _pep440(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _listed(versions: list[str], version: str, ecosystem: str) -> bool:
    if version in versions:
        return True
    if ecosystem != "PyPI":
        return False
    wanted = _pep440(version)
    return wanted is not None and any(_pep440(v) == wanted for v in versions)


def semver_key(text: str) -> tuple[Any, ...] | None:
    """A sort key with semver 2.0 precedence (a prerelease sorts before its release)."""
    match = _SEMVER.match(text)
    if match is None:
        return None
    core = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    if match["pre"] is None:
        return (*core, (1,))
    # Numeric identifiers sort numerically and before alphanumeric ones.
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in match["pre"].split("."))
    return (*core, (0, *ids))


def version_key(text: str, *, range_type: str, ecosystem: str) -> VersionKey | None:
    """How versions of a range compare: PEP 440 for PyPI, semver for SEMVER and npm."""
    if range_type == "SEMVER" or (range_type == "ECOSYSTEM" and ecosystem == "npm"):
        return semver_key(text)
    if range_type == "ECOSYSTEM" and ecosystem == "PyPI":
        return _pep440(text)
    # GIT ranges name commits, and other ecosystems order versions their own way.
    return None


def in_range(osv_range: OsvRange, version: str, *, ecosystem: str = "PyPI") -> bool:
    """OSV's evaluation of one range: introduced opens it, fixed and last_affected close it."""
    key = version_key(version, range_type=osv_range.type, ecosystem=ecosystem)
    if key is None:
        return False
    keyed: list[tuple[int, VersionKey | None, OsvEvent]] = []
    for event in osv_range.events:
        if event.introduced == INTRODUCED_FOREVER:
            keyed.append((0, None, event))
            continue
        event_key = version_key(event.version, range_type=osv_range.type, ecosystem=ecosystem)
        if event_key is None:
            if event.limit == LIMIT_NONE:
                continue
            # One event we cannot order makes the whole range unreadable: trust none of it.
            return False
        keyed.append((1, event_key, event))
    for _, event_key, event in keyed:
        if event.limit is not None and event_key is not None and key >= event_key:
            return False
    # "0" first, then by version; at one version an opening event comes before a closing one.
    keyed.sort(key=lambda item: (item[0], item[1] or 0, 0 if item[2].introduced else 1))
    affected = False
    for _, event_key, event in keyed:
        if event.introduced is not None:
            if event_key is None or key >= event_key:
                affected = True
        elif (event.fixed is not None and key >= event_key) or (
            event.last_affected is not None and key > event_key
        ):
            affected = False
    return affected


def _range_text(osv_range: OsvRange) -> str:
    words = []
    for event in osv_range.events:
        if event.introduced:
            if event.introduced != INTRODUCED_FOREVER:
                words.append(f">={event.introduced}")
        elif event.fixed:
            words.append(f"<{event.fixed}")
        elif event.last_affected:
            words.append(f"<={event.last_affected}")
    return f"{osv_range.type} {' '.join(words) or 'every version'}"


# --- reading and saving records ------------------------------------------------------------


def read_advisory(path: Path) -> Advisory:
    """One OSV record file; any problem is an InputError naming the file and field."""
    return parse_model(Advisory, load_json(path, "OSV record"), path, "OSV record")


def load_advisories() -> list[Advisory]:
    """Shipped records and refreshed ones; of two with one id, the later `modified` wins."""
    records: dict[str, Advisory] = {}
    for directory in (SHIPPED_DIR, cache_dir()):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.json")):
            advisory = read_advisory(path)
            kept = records.get(advisory.id)
            if kept is None or advisory.modified >= kept.modified:
                records[advisory.id] = advisory
    return sorted(records.values(), key=lambda a: (not a.id.startswith(MALICIOUS_PREFIX), a.id))


def advisory_for(package: str, version: str, *, ecosystem: str = "PyPI") -> Advisory | None:
    """The first record that makes `package==version` unsafe to install, if any."""
    for advisory in load_advisories():
        if advisory.refuses and advisory.affects(package, version, ecosystem=ecosystem):
            return advisory
    return None


def _validated(item: Any, where: str) -> Advisory:
    if not isinstance(item, dict):
        raise CompatError(f"{where}: expected an OSV record (a JSON object), found {item!r:.60}")
    try:
        return Advisory.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc)[:5])
        raise CompatError(f"{where}: not an OSV record: {problems}") from None


def query_osv(package: str, *, ecosystem: str = "PyPI", url: str | None = None) -> list[Advisory]:
    """Every record OSV's `/v1/query` holds for the package, over all its pages."""
    from compat import http

    endpoint = f"{(url or osv_url()).rstrip('/')}/v1/query"
    body: dict[str, Any] = {"package": {"name": package, "ecosystem": ecosystem}}
    found: list[Advisory] = []
    with http.client() as session:
        for _ in range(MAX_QUERY_PAGES):
            answer = http.send_json(
                session, "POST", endpoint, what=f"OSV's advisories of {package}", body=body
            )
            data = answer.data if isinstance(answer.data, dict) else None
            if data is None or not isinstance(data.get("vulns", []), list):
                raise CompatError(
                    f"POST {http.shown(endpoint)}: expected an object with a `vulns` list, "
                    f"found {type(answer.data).__name__}"
                )
            for index, item in enumerate(data.get("vulns", [])):
                found.append(_validated(item, f"POST {http.shown(endpoint)}: vulns[{index}]"))
            token = data.get("next_page_token")
            if not token:
                return found
            body = {**body, "page_token": token}
    raise CompatError(
        f"POST {http.shown(endpoint)}: still more pages after {MAX_QUERY_PAGES}; "
        "refusing to follow `next_page_token` further"
    )


def read_osv_files(source: Path) -> list[Advisory]:
    """OSV records from a file (one record, or a `/v1/query` answer) or a directory of them."""
    if source.is_dir():
        paths = sorted(source.rglob("*.json"))
        if not paths:
            raise InputError(f"--from: {source} holds no .json files (expected OSV records)")
    elif source.exists():
        paths = [source]
    else:
        raise InputError(f"--from: {source} does not exist (expected an OSV record or directory)")
    found: list[Advisory] = []
    for path in paths:
        data = load_json(path, "OSV record")
        if isinstance(data, dict) and "vulns" in data and "id" not in data:
            items = data["vulns"] if isinstance(data["vulns"], list) else [data["vulns"]]
            for index, item in enumerate(items):
                try:
                    found.append(_validated(item, f"{path}: vulns[{index}]"))
                except CompatError as exc:
                    raise InputError(str(exc)) from None
        else:
            found.append(parse_model(Advisory, data, path, "OSV record"))
    return found


def save_refusing(
    advisories: list[Advisory], package: str, *, ecosystem: str = "PyPI"
) -> list[Advisory]:
    """Write the MAL- records naming `package` into the cache; returns those written."""
    saved = []
    for advisory in advisories:
        names = any(
            e.package is not None and _same_package(e.package, package, ecosystem)
            for e in advisory.affected
        )
        if not (advisory.id.startswith(MALICIOUS_PREFIX) and names):
            continue
        record = advisory.model_dump(mode="json", exclude_none=True)
        write_atomic(cache_dir() / f"{advisory.id}.json", json.dumps(record, indent=2) + "\n")
        saved.append(advisory)
    return saved
