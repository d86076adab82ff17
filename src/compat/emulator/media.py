"""What the model reads from attachments: an image's size and colour, a document's text.

Everything here comes from the attachment's own bytes; nothing is assumed about what an
attachment that did not arrive would have said.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass
from typing import Any

import pypdf
from PIL import Image, ImageStat

from compat.emulator.blocks import as_list, block_type
from compat.emulator.types import EmulatorError

# Source: https://platform.claude.com/docs/en/build-with-claude/vision#faq (supported formats)
_IMAGE_FORMATS: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_MEDIA_TYPE_OF_FORMAT = {fmt: media_type for media_type, fmt in _IMAGE_FORMATS.items()}
# Plain one-word colour names a person would use, at their usual RGB values (CSS named
# colours; a name may stand at several points, e.g. both greens are "green").
_COLOUR_NAMES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("black", (0, 0, 0)),
    ("white", (255, 255, 255)),
    ("grey", (128, 128, 128)),
    ("grey", (192, 192, 192)),
    ("red", (255, 0, 0)),
    ("maroon", (128, 0, 0)),
    ("orange", (255, 165, 0)),
    ("yellow", (255, 255, 0)),
    ("olive", (128, 128, 0)),
    ("green", (0, 255, 0)),
    ("green", (0, 128, 0)),
    ("teal", (0, 128, 128)),
    ("cyan", (0, 255, 255)),
    ("blue", (0, 0, 255)),
    ("navy", (0, 0, 128)),
    ("purple", (128, 0, 128)),
    ("magenta", (255, 0, 255)),
    ("pink", (255, 192, 203)),
    ("brown", (165, 42, 42)),
)


@dataclass(frozen=True)
class ImageFacts:
    """What an image's bytes show: its size and its average colour."""

    width: int
    height: int
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#" + "".join(f"{channel:02x}" for channel in self.rgb)

    @property
    def colour_name(self) -> str:
        """The plain colour name nearest the average colour."""
        name, _ = min(
            _COLOUR_NAMES,
            key=lambda entry: sum((a - b) ** 2 for a, b in zip(entry[1], self.rgb, strict=True)),
        )
        return name

    def sentence(self) -> str:
        return f"The image is {self.width}x{self.height} pixels and its colour is {self.hex}."


def describe_image(block: dict[str, Any], path: str) -> str:
    """One sentence stating the image's size and average colour."""
    return image_facts(block, path).sentence()


def image_facts(block: dict[str, Any], path: str) -> ImageFacts:
    """The size and average colour of an image block, read from its bytes."""
    media_type, data = _base64_payload(block, path)
    if media_type not in _IMAGE_FORMATS:
        allowed = ", ".join(f"'{t}'" for t in _IMAGE_FORMATS)
        raise EmulatorError(
            "invalid_request_error", f"{path}.source.media_type: Input should be {allowed}"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            actual = image.format
            width, height = image.size
            mean = ImageStat.Stat(image.convert("RGB")).mean
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise EmulatorError("invalid_request_error", "Could not process image") from exc
    if actual != _IMAGE_FORMATS[media_type]:
        raise EmulatorError(
            "invalid_request_error",
            f"{path}.source.base64.data: The image was specified using the {media_type} media "
            f"type, but the image appears to be a {_MEDIA_TYPE_OF_FORMAT.get(actual or '', actual)}"
            " image",
        )
    red, green, blue = (int(channel + 0.5) for channel in mean[:3])
    return ImageFacts(width=width, height=height, rgb=(red, green, blue))


def document_text(block: dict[str, Any], path: str) -> str:
    """The plain text of a document block (PDF, plain text or content source)."""
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "text":
        return _normalise(str(source.get("data", "")))
    if isinstance(source, dict) and source.get("type") == "content":
        content = source.get("content")
        if isinstance(content, str):
            return _normalise(content)
        return _normalise(
            " ".join(str(b.get("text", "")) for b in as_list(content) if block_type(b) == "text")
        )
    media_type, data = _base64_payload(block, path)
    if media_type != "application/pdf":
        raise EmulatorError(
            "invalid_request_error",
            f"{path}.source.media_type: Input should be 'application/pdf'",
        )
    return _pdf_text(data, path)


def _pdf_text(data: bytes, path: str) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("encrypted PDF")
        text = " ".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:
        # pypdf raises many exception types on malformed input; all of them mean the same
        # thing to the caller.
        raise EmulatorError(
            "invalid_request_error", f"{path}.source.base64.data: The PDF specified was not valid."
        ) from exc
    return _normalise(text)


def _base64_payload(block: dict[str, Any], path: str) -> tuple[str, bytes]:
    source = block.get("source")
    if not isinstance(source, dict):
        raise EmulatorError("invalid_request_error", f"{path}.source: Field required")
    kind = source.get("type")
    if kind == "url":
        # The emulator has no network; the real API would fetch the URL.
        raise EmulatorError(
            "invalid_request_error", f"{path}.source.url: Unable to download {source.get('url')}"
        )
    if kind != "base64":
        raise EmulatorError(
            "invalid_request_error", f"{path}.source.type: source type {kind!r} is not supported"
        )
    try:
        data = base64.b64decode(str(source.get("data", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EmulatorError(
            "invalid_request_error", f"{path}.source.base64.data: invalid base64 data"
        ) from exc
    return str(source.get("media_type", "")), data


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
