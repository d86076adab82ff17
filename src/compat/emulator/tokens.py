"""Deterministic token estimates standing in for the real tokenizer.

The emulator never needs exact counts, only counts that are stable (the same input
always gives the same number), monotonic in the input size, and cheap. Text costs one
token per four characters of its canonical JSON; images and base64 documents cost a
fixed amount so that a large picture does not count as megabytes of base64.
"""

from __future__ import annotations

import json
import math
from typing import Any

# A ~1.15 megapixel image costs about 1,600 tokens (width * height / 750).
# Source: https://platform.claude.com/docs/en/build-with-claude/vision#evaluate-image-size
IMAGE_TOKENS = 1_600
# A PDF page costs roughly 1,500-3,000 tokens; the emulator charges one flat page.
# Source: https://platform.claude.com/docs/en/build-with-claude/pdf-support#estimate-your-costs
PDF_DOCUMENT_TOKENS = 1_500


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same string."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def estimate_tokens(obj: Any, *, canonical: str | None = None) -> int:
    """Estimate the tokens of a string or a JSON-like value (blocks, messages, bodies).

    `canonical`, when the caller already holds `canonical_json(obj)`, saves re-encoding.
    """
    if isinstance(obj, str):
        return math.ceil(len(obj) / 4)
    if canonical is not None and not _has_media(obj):
        return math.ceil(len(canonical) / 4)
    stripped, media_tokens = _strip_media(obj)
    return math.ceil(len(canonical_json(stripped)) / 4) + media_tokens


def _has_media(obj: Any) -> bool:
    if isinstance(obj, list):
        return any(_has_media(item) for item in obj)
    if not isinstance(obj, dict):
        return False
    if obj.get("type") in ("image", "document"):
        return True
    return any(_has_media(value) for value in obj.values() if isinstance(value, list | dict))


def _strip_media(obj: Any) -> tuple[Any, int]:
    """Replace image and base64 document payloads by their type; return their fixed cost."""
    if isinstance(obj, list):
        items = [_strip_media(item) for item in obj]
        return [item for item, _ in items], sum(tokens for _, tokens in items)
    if not isinstance(obj, dict):
        return obj, 0
    kind = obj.get("type")
    source = obj.get("source")
    if kind == "image":
        return {"type": "image"}, IMAGE_TOKENS
    if kind == "document" and isinstance(source, dict) and source.get("type") != "text":
        return {"type": "document"}, PDF_DOCUMENT_TOKENS
    pairs = {key: _strip_media(value) for key, value in obj.items()}
    return {key: value for key, (value, _) in pairs.items()}, sum(t for _, t in pairs.values())
