"""ListInferenceProfiles, the one Bedrock control-plane call Claude Code makes.

Claude Code in Bedrock mode lists the system-defined inference profiles (on the same base
URL) before it picks a model id.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compat.emulator.bedrock_auth import check_auth, signing_region
from compat.emulator.bedrock_errors import BedrockError, aws_request_id, error_response
from compat.emulator.bedrock_models import FOUNDATION_MODELS
from compat.emulator.recorder import note_provider

# Request and response syntax:
# Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListInferenceProfiles.html
# Summary fields: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_InferenceProfileSummary.html
INFERENCE_PROFILE_TYPES = frozenset({"SYSTEM_DEFINED", "APPLICATION"})
_MAX_RESULTS_RANGE = range(1, 1001)
# The US cross-region profiles route to these source regions.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
_US_SOURCE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
_ACCOUNT_ID = "123456789012"
_PROFILE_NAMES = {
    "anthropic.claude-haiku-4-5-20251001-v1:0": "US Anthropic Claude Haiku 4.5",
    "anthropic.claude-sonnet-4-6": "US Anthropic Claude Sonnet 4.6",
    "anthropic.claude-opus-4-7": "US Anthropic Claude Opus 4.7",
}
_PROFILES_CREATED_AT = "2025-10-15T00:00:00Z"


def inference_profile_summaries(region: str) -> list[dict[str, Any]]:
    """The system-defined US profile of each emulated foundation model, as AWS lists them."""
    summaries = []
    for foundation in sorted(FOUNDATION_MODELS):
        profile_id = f"us.{foundation}"
        name = _PROFILE_NAMES.get(foundation, f"US {foundation}")
        summaries.append(
            {
                "inferenceProfileName": name,
                "description": f"Routes requests to {name.removeprefix('US ')} in "
                + ", ".join(_US_SOURCE_REGIONS)
                + ".",
                "createdAt": _PROFILES_CREATED_AT,
                "updatedAt": _PROFILES_CREATED_AT,
                "inferenceProfileArn": (
                    f"arn:aws:bedrock:{region}:{_ACCOUNT_ID}:inference-profile/{profile_id}"
                ),
                "models": [
                    {"modelArn": f"arn:aws:bedrock:{source}::foundation-model/{foundation}"}
                    for source in _US_SOURCE_REGIONS
                ],
                "inferenceProfileId": profile_id,
                "status": "ACTIVE",
                "type": "SYSTEM_DEFINED",
            }
        )
    return summaries


async def list_inference_profiles(request: Request) -> Response:
    """`GET /inference-profiles`: the system-defined profiles; no application profiles exist."""
    # The path alone reads as the Anthropic wire to the recorder.
    note_provider(request, "bedrock_invoke")
    try:
        check_auth(request.headers)
        params = request.query_params
        kind = params.get("type")
        if kind is not None and kind not in INFERENCE_PROFILE_TYPES:
            # AWS's wording for a value outside an enum's valid values.
            raise BedrockError(
                "ValidationException",
                f"1 validation error detected: Value '{kind}' at 'typeEquals' failed to satisfy "
                "constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]",
            )
        limit = params.get("maxResults")
        if limit is not None and (not limit.isdigit() or int(limit) not in _MAX_RESULTS_RANGE):
            raise BedrockError(
                "ValidationException",
                f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy "
                "constraint: Member must have value between 1 and 1000",
            )
    except BedrockError as exc:
        return error_response(request, exc)
    summaries = (
        []
        if kind == "APPLICATION"
        else inference_profile_summaries(signing_region(request.headers))
    )
    # Every profile fits one page, so no nextToken is returned.
    return JSONResponse(
        {"inferenceProfileSummaries": summaries}, headers={"x-amzn-RequestId": aws_request_id()}
    )
