"""Vision: the PNG made for this run reaches upstream and the reply names its colour."""

from __future__ import annotations

import re

from compat.outcome import Pass
from support.recorded import (
    each_body,
    failed,
    judge,
    no_records,
    recorded_context,
    transcript,
)


def test_vision_passes_on_its_recorded_transcript():
    assert judge("vision", transcript("vision")).outcome == Pass()


def test_vision_fails_with_another_colour():
    run = transcript("vision", lambda t: re.sub(r"#[0-9a-f]{6}", "#000001", t))
    failed(judge("vision", run), "expected the image's colour")


def test_vision_fails_when_the_image_never_reached_upstream():
    ctx = recorded_context("vision", no_records)
    failed(
        judge("vision", transcript("vision"), ctx),
        "expected this run's image upstream in a content block of type `image` holding its bytes",
    )


def test_vision_fails_when_the_image_block_was_turned_into_something_else():
    def as_document(body: dict) -> None:
        for message in body.get("messages", []):
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block.get("type") == "image":
                    block["type"] = "document"

    ctx = recorded_context("vision", lambda records: each_body(records, as_document))
    failed(judge("vision", transcript("vision"), ctx), "the proxy altered the block")
