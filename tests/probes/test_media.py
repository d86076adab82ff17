"""Vision and PDF input: the bytes made for this run reach upstream and the reply shows it."""

from __future__ import annotations

import re

from compat.outcome import Fail, Pass
from probes.recorded import (
    OTHER_NONCE,
    each_body,
    judge,
    no_records,
    recorded_context,
    transcript,
)


def failed(verdict, expected: str) -> None:
    assert isinstance(verdict.outcome, Fail), verdict.outcome
    assert expected in verdict.outcome.error, verdict.outcome.error
    assert not verdict.retryable


def test_media_probes_pass_on_their_recorded_transcripts():
    for feature in ("vision", "pdf_input"):
        assert judge(feature, transcript(feature)).outcome == Pass(), feature


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


def test_pdf_fails_without_the_text_inside_it():
    run = transcript("pdf_input", lambda t: re.sub(r"COMPAT-[0-9A-F]{12}", OTHER_NONCE, t))
    failed(judge("pdf_input", run), "expected the reply to contain the nonce")


def test_pdf_fails_when_the_document_never_reached_upstream():
    ctx = recorded_context("pdf_input", no_records)
    failed(
        judge("pdf_input", transcript("pdf_input"), ctx),
        "expected this run's document upstream in a content block of type `document`",
    )
