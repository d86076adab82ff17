"""Bedrock model ids: inference profiles and their ARNs pass, foundation and unknown ids do not."""

from __future__ import annotations

import pytest

from support.bedrock_client import (
    HAIKU,
    OPUS,
    SONNET,
    BedrockClient,
    RecordingModel,
    assert_bedrock_error,
    invoke_body,
    model_path,
)


@pytest.mark.parametrize(
    "model_id",
    [
        HAIKU,
        SONNET,
        OPUS,
        "apac.anthropic.claude-sonnet-4-6",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-7",
    ],
)
def test_inference_profiles_and_their_arns_are_accepted(
    stub_client: BedrockClient, recording: RecordingModel, model_id: str
) -> None:
    response = stub_client.post(model_id, "invoke", invoke_body())
    assert response.status_code == 200, response.text
    assert recording.last.model == model_id


def test_the_model_id_arrives_percent_encoded() -> None:
    assert model_path(HAIKU, "invoke") == (
        "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke"
    )
    assert "%2F" in model_path(f"arn:aws:bedrock:us-east-1:1:inference-profile/{HAIKU}", "x")


def test_a_foundation_model_id_needs_an_inference_profile(client: BedrockClient) -> None:
    response = client.post("anthropic.claude-sonnet-4-6", "invoke", invoke_body())
    assert_bedrock_error(
        response,
        400,
        "ValidationException",
        "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn't "
        "supported.",
    )


@pytest.mark.parametrize(
    "model_id",
    [
        "claude-sonnet-4-6",
        "us.anthropic.claude-sonnet-4-6-v1:0",
        "us.anthropic.claude-3-haiku-20240307-v1:0",
        "xx.anthropic.claude-opus-4-7",
        "arn:aws:bedrock:us-east-1::foundation-model/us.anthropic.claude-opus-4-7",
    ],
)
def test_unknown_model_ids_are_invalid(client: BedrockClient, model_id: str) -> None:
    response = client.post(model_id, "invoke", invoke_body())
    assert_bedrock_error(
        response, 400, "ValidationException", "The provided model identifier is invalid."
    )
