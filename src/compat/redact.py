"""Keep secrets out of text: drop URL credentials and any known secret value."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"
# `scheme://user:password@host` → `scheme://***@host`, wherever a URL appears in text.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")


def strip_url_credentials(text: str) -> str:
    """Replace the `user:password@` part of every URL in `text`."""
    return _URL_USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` without URL credentials and without any of `secrets` (blank ones ignored)."""
    # Longest first, so a secret containing another one is removed whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return strip_url_credentials(text)
