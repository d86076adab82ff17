"""A PDF made for this run reaches upstream; the reply carries the text inside it.

A pass needs a `document` block holding this run's PDF bytes in an answered upstream
request, and the reply to carry the nonce printed inside the PDF.
"""

from __future__ import annotations

import base64

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.media import one_line_pdf
from compat.probes.prompts import ask_with_blocks, attachment_problem
from compat.upstream_log import RecordedRequest

PDF_PROMPT = "What text does this PDF document contain? Reply with that text exactly."


def secret_line(ctx: ProbeContext) -> str:
    return f"The secret code is {ctx.nonce}"


def pdf_data(ctx: ProbeContext) -> str:
    """This run's PDF, base64."""
    return base64.b64encode(one_line_pdf(secret_line(ctx))).decode()


@register
class PdfInput(CliProbe):
    feature_id = "pdf_input"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        document = {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": pdf_data(ctx)},
        }
        return ask_with_blocks(ctx, document, {"type": "text", "text": PDF_PROMPT})

    def evidence_key(self, ctx: ProbeContext) -> str:
        pdf = one_line_pdf(secret_line(ctx))
        # The PDF's tail (xref) is the same for every run; mark by where the nonce sits.
        at = pdf.index(ctx.nonce.encode()) // 3 * 4
        return base64.b64encode(pdf).decode()[at : at + 16]

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return attachment_problem(records, "document")

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return expect_nonce(run.final_text, ctx.nonce)
