"""An image made for this run reaches upstream intact: the reply names its exact colour.

A pass needs an `image` block holding this run's bytes in an answered upstream request,
and the reply to state the image's colour.
"""

from __future__ import annotations

import base64
import re

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, clip, payload_marker
from compat.probes.media import hex_colour, solid_png
from compat.probes.prompts import ask_with_blocks, attachment_problem
from compat.upstream_log import RecordedRequest

VISION_PROMPT = (
    "This image is a single solid colour. Reply with its exact hex colour code, "
    "like #1a2b3c, and nothing else."
)


def colour_of(ctx: ProbeContext) -> tuple[int, int, int]:
    # Derived from the nonce so the invocation and the judge agree without shared state.
    seed = int(ctx.nonce.rsplit("-", 1)[-1], 16)
    return ((seed >> 16) & 0xFF, (seed >> 8) & 0xFF, seed & 0xFF)


def image_data(ctx: ProbeContext) -> str:
    """This run's PNG, base64: the same bytes for the invocation and the evidence key."""
    return base64.b64encode(solid_png(colour_of(ctx))).decode()


@register
class Vision(CliProbe):
    feature_id = "vision"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        image = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": image_data(ctx)},
        }
        return ask_with_blocks(ctx, image, {"type": "text", "text": VISION_PROMPT})

    def evidence_key(self, ctx: ProbeContext) -> str:
        return payload_marker(image_data(ctx))

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return attachment_problem(records, "image")

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        expected = hex_colour(colour_of(ctx))
        found = [c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", run.final_text)]
        if expected in found:
            return None
        return f"expected the image's colour {expected} in the reply, got: {clip(run.final_text)}"
