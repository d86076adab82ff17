"""Bedrock authentication: SigV4 signatures and API keys pass, malformed ones get AWS errors."""

from __future__ import annotations

import json

import pytest

from support.bedrock_client import (
    HAIKU,
    BedrockClient,
    assert_bedrock_error,
    invoke_body,
    model_path,
    sigv4_headers,
)


def signed_invoke_headers() -> dict[str, str]:
    """Real SigV4 headers for the invoke call the tests below then tamper with."""
    path = model_path(HAIKU, "invoke")
    return sigv4_headers("http://testserver" + path, json.dumps(invoke_body()).encode())


def test_a_real_sigv4_signature_is_accepted(client: BedrockClient) -> None:
    assert client.post(HAIKU, "invoke", invoke_body()).status_code == 200


def test_a_bedrock_api_key_is_accepted_as_a_bearer_token(client: BedrockClient) -> None:
    response = client.post(
        HAIKU, "invoke", invoke_body(), sign=False, headers={"Authorization": "Bearer ABSKexample"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer   "])
def test_missing_credentials_are_refused(client: BedrockClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    assert_bedrock_error(response, 403, "MissingAuthenticationTokenException")
    assert response.json() == {"Message": "Authorization header is missing"}
    assert response.headers["x-amzn-ErrorType"].endswith("/com.amazon.coral.service/")


def test_another_scheme_is_an_incomplete_signature(client: BedrockClient) -> None:
    response = client.post(
        HAIKU, "invoke", invoke_body(), sign=False, headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    message = assert_bedrock_error(response, 400, "IncompleteSignatureException")
    assert "requires 'Credential' parameter" in message
    assert "requires 'Signature' parameter" in message
    assert "'X-Amz-Date' or a 'Date' header" in message


def test_sigv4_without_x_amz_date_is_incomplete(client: BedrockClient) -> None:
    headers = signed_invoke_headers()
    del headers["X-Amz-Date"]
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    assert_bedrock_error(response, 400, "IncompleteSignatureException", "'X-Amz-Date'")


def test_sigv4_without_a_signed_headers_list_is_incomplete(client: BedrockClient) -> None:
    headers = signed_invoke_headers()
    headers["Authorization"] = headers["Authorization"].split(", SignedHeaders=")[0]
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    message = assert_bedrock_error(response, 400, "IncompleteSignatureException")
    assert "'SignedHeaders' parameter" in message and "'Credential'" not in message


@pytest.mark.parametrize(
    ("replace", "by", "error_type", "fragment"),
    [
        ("/bedrock/", "/execute-api/", "InvalidSignatureException", "correct service: 'bedrock'"),
        ("/us-east-1/", "/mars/", "InvalidSignatureException", "valid region"),
        ("/aws4_request", "/aws5_request", "InvalidSignatureException", "valid terminator"),
        ("AKIAIOSFODNN7EXAMPLE", "AK!", "UnrecognizedClientException", "security token"),
        ("Signature=", "Signature=zz", "InvalidSignatureException", "signature we calculated"),
        ("host;", "", "InvalidSignatureException", "'Host'"),
    ],
)
def test_malformed_sigv4_is_refused_with_aws_errors(
    client: BedrockClient, replace: str, by: str, error_type: str, fragment: str
) -> None:
    headers = signed_invoke_headers()
    assert replace in headers["Authorization"]
    headers["Authorization"] = headers["Authorization"].replace(replace, by)
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    assert_bedrock_error(response, 403, error_type, fragment)


def test_the_signature_itself_is_not_verified(client: BedrockClient) -> None:
    headers = signed_invoke_headers()
    headers["Authorization"] = headers["Authorization"][:-64] + "0" * 64
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    assert response.status_code == 200, response.text


def test_credential_date_must_match_x_amz_date(client: BedrockClient) -> None:
    headers = signed_invoke_headers()
    headers["X-Amz-Date"] = "20200101T000000Z"
    response = client.post(HAIKU, "invoke", invoke_body(), sign=False, headers=headers)
    assert_bedrock_error(response, 403, "InvalidSignatureException", "Date in Credential scope")
