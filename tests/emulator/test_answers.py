"""Images and documents answered from their bytes, and refused when they do not decode."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from compat.emulator.model import Model
from support.model_requests import (
    NONCE,
    ask,
    encoded_image,
    image_block,
    pdf,
    pdf_block,
    rejection,
    texts,
)


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_an_image_is_described_by_size_and_colour(model: Model, fmt: str, media_type: str) -> None:
    block = image_block(encoded_image(64, 48, (0x1A, 0x2B, 0x3C), fmt), media_type)
    reply = model.respond(ask([block, {"type": "text", "text": "What colour is this?"}]))
    assert texts(reply) == "The image is 64x48 pixels and its colour is #1a2b3c."


def test_the_colour_is_the_average_of_the_pixels(model: Model) -> None:
    image = Image.new("RGB", (2, 1), (0, 0, 0))
    image.putpixel((1, 0), (200, 100, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    block = image_block(base64.b64encode(buffer.getvalue()).decode())
    assert "#643219" in texts(model.respond(ask([block])))


def test_the_nonce_is_added_to_an_image_answer(model: Model) -> None:
    block = image_block(encoded_image(4, 4, (255, 0, 0)))
    reply = model.respond(ask([block, {"type": "text", "text": f"Describe it and say {NONCE}"}]))
    assert texts(reply) == f"The image is 4x4 pixels and its colour is #ff0000. {NONCE}"


def test_an_image_returned_by_a_tool_is_described(model: Model) -> None:
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": [image_block(encoded_image(8, 8, (0, 255, 0)))],
    }
    call = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Read the picture."},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [result]},
    ]
    assert "#00ff00" in texts(model.respond(ask(messages=messages)))


def test_undecodable_image_data_is_rejected(model: Model) -> None:
    block = image_block(base64.b64encode(b"not an image at all").decode())
    assert rejection(model, ask([block])) == "Could not process image"


def test_an_image_with_the_wrong_media_type_is_rejected(model: Model) -> None:
    block = image_block(encoded_image(4, 4, (1, 2, 3)), "image/jpeg")
    assert "appears to be a image/png image" in rejection(model, ask([block]))


def test_a_pdf_is_read(model: Model) -> None:
    block = pdf_block(pdf(f"Quarterly report {NONCE}"))
    reply = model.respond(ask([block, {"type": "text", "text": "What does it say?"}]))
    assert texts(reply) == f"The document says: Quarterly report {NONCE}"


def test_a_plain_text_document_is_read(model: Model) -> None:
    source = {"type": "text", "media_type": "text/plain", "data": "Plain words."}
    reply = model.respond(ask([{"type": "document", "source": source}]))
    assert texts(reply) == "The document says: Plain words."


def test_a_corrupt_pdf_is_rejected(model: Model) -> None:
    message = rejection(model, ask([pdf_block(b"%PDF-1.4\nthis is not a pdf")]))
    assert message.endswith("The PDF specified was not valid.")
