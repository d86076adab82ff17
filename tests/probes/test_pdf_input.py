"""PDF input: the PDF made for this run reaches upstream and the reply carries its text."""

from __future__ import annotations

import re

from compat.outcome import Pass
from support.recorded import (
    OTHER_NONCE,
    failed,
    judge,
    no_records,
    recorded_context,
    transcript,
)


def test_pdf_input_passes_on_its_recorded_transcript():
    assert judge("pdf_input", transcript("pdf_input")).outcome == Pass()


def test_pdf_fails_without_the_text_inside_it():
    run = transcript("pdf_input", lambda t: re.sub(r"COMPAT-[0-9A-F]{12}", OTHER_NONCE, t))
    failed(judge("pdf_input", run), "expected the reply to contain the nonce")


def test_pdf_fails_when_the_document_never_reached_upstream():
    ctx = recorded_context("pdf_input", no_records)
    failed(
        judge("pdf_input", transcript("pdf_input"), ctx),
        "expected this run's document upstream in a content block of type `document`",
    )
