"""Evidence: body summaries that stay short and secret-free, and passes that needed help."""

from __future__ import annotations

from compat.outcome import Fail, Pass, UpstreamRequest
from compat.probes.base import Verdict
from compat.redact import REDACTED
from compat.run.evidence import refused_then_passed, summarise_body

SECRET = "sk-ant-api03-" + "Q" * 40


def test_passes_that_needed_a_fallback_carry_a_warning():
    refused = UpstreamRequest(
        provider="bedrock_invoke", method="POST", path="/x", status=400, summary="invalid beta flag"
    )
    ok = UpstreamRequest(provider="bedrock_invoke", method="POST", path="/x", status=200)
    warnings = refused_then_passed(Verdict(outcome=Pass()), [refused, ok])
    assert len(warnings) == 1 and "invalid beta flag" in warnings[0]
    assert refused_then_passed(Verdict(outcome=Fail(error="x")), [refused]) == []
    assert refused_then_passed(Verdict(outcome=Pass()), [ok]) == []


def test_body_summary_puts_small_fields_first_and_names_tools():
    body = {
        "messages": [{"role": "user", "content": "x" * 5000}],
        "tools": [{"name": "Bash", "input_schema": {}}, {"type": "web_search_20250305"}],
        "anthropic_beta": ["effort-2025-11-24"],
    }
    summary = summarise_body(body)
    assert summary.startswith('{"anthropic_beta":["effort-2025-11-24"],"tools":["Bash","web_search')
    assert "[5000 chars]" in summary


def test_a_secret_across_the_cut_is_masked_not_half_kept():
    for at in (0, 150, 159, 3000):
        text = "x" * at + " " + SECRET + " " + "y" * 1_000_000
        summary = summarise_body({"system": text})
        assert "QQQQ" not in summary, at
        if at < 150:
            assert REDACTED in summary, at
        # The length quoted is the redacted string's, as if the whole of it were redacted.
        assert f"[{len(text) - len(SECRET) + len(REDACTED)} chars]" in summary, at


def test_short_strings_are_kept_whole():
    assert summarise_body({"model": "claude-haiku-4-5"}) == '{"model":"claude-haiku-4-5"}'
