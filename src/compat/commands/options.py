"""Option declarations shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.manifest import DEFAULT_MANIFEST

ManifestOption = Annotated[
    Path,
    typer.Option(
        "--manifest",
        "-m",
        help="The manifest (axes and n/a declarations).",
        envvar="COMPAT_MANIFEST",
        show_default=True,
    ),
]
DEFAULT_MANIFEST_PATH = DEFAULT_MANIFEST

RpmOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rpm",
        metavar="PROVIDER=N",
        help="Pace PROVIDER to N upstream requests a minute (repeatable; overrides the "
        "manifest's requests_per_minute, which applies to live upstreams only).",
        show_default=False,
    ),
]

FeatureOption = Annotated[
    list[str] | None, typer.Option("--feature", "-f", help="Only this feature (repeatable).")
]
ProviderOption = Annotated[
    list[str] | None, typer.Option("--provider", "-p", help="Only this provider (repeatable).")
]
TierOption = Annotated[
    list[str] | None, typer.Option("--tier", "-t", help="Only this tier (repeatable).")
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds one claude run may take.")
]
