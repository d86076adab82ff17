"""Keep secrets out of text: known secret values, key-shaped tokens and URL credentials."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

REDACTED = "***"
# Shorter environment values are too likely to be ordinary words ("true", "us-east-1").
MIN_ENV_SECRET_LENGTH = 8
# A variable holds a credential when one of these is a word of its name:
# ANTHROPIC_API_KEY, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, DOCS_REPO_TOKEN, ...
SECRET_NAME_WORDS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"})

# `scheme://user:password@host` → `scheme://***@host`, wherever a URL appears in text.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")
# Credentials recognisable by their shape alone, whoever's they are.
_KEY_SHAPES = re.compile(
    "|".join(
        (
            # PEM private keys (a Vertex service account's), also JSON-escaped or cut short.
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            # Anthropic, OpenAI and LiteLLM keys: sk-ant-api03-…, sk-proj-…, sk-<random>.
            r"(?<![\w-])sk-[\w-]{16,}",
            # AWS access key ids (long-term AKIA…, temporary ASIA…).
            r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
            # GitHub tokens: classic, OAuth, app installation, refresh, fine-grained.
            r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,})",
            # `Bearer <token>`: 16+ token characters with a digit, so prose stays untouched.
            r"(?P<bearer>\b(?i:bearer)\s+)(?=[A-Za-z._~+/=-]*\d)[\w.~+/=-]{16,}",
            # git's token-in-URL user, also when the URL was printed without its scheme.
            r"(?P<access>x-access-token:)[^@\s/'\"]+@",
        )
    ),
    re.DOTALL,
)


def _mask_shape(match: re.Match[str]) -> str:
    if match["bearer"]:
        return match["bearer"] + REDACTED
    if match["access"]:
        return f"{match['access']}{REDACTED}@"
    return REDACTED


def strip_url_credentials(text: str) -> str:
    """Replace the `user:password@` part of every URL in `text`."""
    return _URL_USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)


def environment_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values (and their URL-encoded forms) of variables whose name marks a credential."""
    source = os.environ if environ is None else environ
    found: set[str] = set()
    for name, value in source.items():
        if len(value) >= MIN_ENV_SECRET_LENGTH and SECRET_NAME_WORDS & set(name.upper().split("_")):
            found.update((value, quote(value, safe="")))
    return found


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` without `secrets`, the environment's secret values, key shapes or URL credentials."""
    # A "secret" made only of the mask's own characters would grow every mask it meets on
    # each pass; real secrets never look like that.
    known = {s for s in secrets if s and s.strip(REDACTED[0])} | environment_secrets()
    # Longest first, so a secret containing another one is removed whole.
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return strip_url_credentials(_KEY_SHAPES.sub(_mask_shape, text))
