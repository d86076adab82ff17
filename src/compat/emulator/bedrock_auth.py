"""Bedrock's authentication: a SigV4 `Authorization` header for service `bedrock`, or an API key.

The shape of a SigV4 header is checked the way AWS's front end checks it; the signature
itself is not verified, since the emulator cannot know the caller's secret key.
Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from compat.emulator.bedrock_errors import BedrockError

_SIGV4_PREFIX = "AWS4-HMAC-SHA256 "
DEFAULT_REGION = "us-east-1"
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
# IAM access key ids: 16 to 128 word characters.
# Source: https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
_ACCESS_KEY_ID = re.compile(r"^\w{16,128}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_INVALID_TOKEN = "The security token included in the request is invalid."
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def _sigv4_parameters(value: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for part in value.split(","):
        name, sep, content = part.strip().partition("=")
        if not sep:
            raise BedrockError(
                "IncompleteSignatureException",
                f"'{part.strip()}' not a valid key=value pair (missing equal-sign) in "
                "Authorization header.",
            )
        parameters[name] = content
    return parameters


def _check_sigv4(parameters: Mapping[str, str], amz_date: str | None) -> None:
    """Shape checks of a SigV4 Authorization header; the signature itself is not verified.

    Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
    (Credential=<key id>/<date>/<region>/<service>/aws4_request, SignedHeaders, Signature).
    """
    credential = parameters["Credential"].split("/")
    if len(credential) != 5:
        raise BedrockError(
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term.",
        )
    key_id, date, region, service, terminator = credential
    if not _ACCESS_KEY_ID.match(key_id):
        raise BedrockError("UnrecognizedClientException", _INVALID_TOKEN)
    if amz_date is None or not _AMZ_DATE.match(amz_date):
        raise BedrockError(
            "IncompleteSignatureException",
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.",
        )
    # AWS's wording for a wrong credential scope (InvalidSignatureException).
    if date != amz_date[:8]:
        raise BedrockError(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    if not _REGION.match(region):
        raise BedrockError(
            "InvalidSignatureException", "Credential should be scoped to a valid region."
        )
    if service != "bedrock":
        raise BedrockError(
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'bedrock'.",
        )
    if terminator != "aws4_request":
        raise BedrockError(
            "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{terminator}'.",
        )
    if "host" not in parameters["SignedHeaders"].split(";"):
        raise BedrockError(
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    if not _SIGNATURE.match(parameters["Signature"]):
        raise BedrockError("InvalidSignatureException", _SIGNATURE_MISMATCH)


def check_auth(headers: Mapping[str, str]) -> None:
    """Require SigV4 (service `bedrock`) or a Bedrock API key as a bearer token."""
    authorization = headers.get("authorization", "").strip()
    scheme, _, token = authorization.partition(" ")
    if not authorization or (scheme.lower() == "bearer" and not token.strip()):
        # Observed reply of bedrock-runtime to a request without credentials, capital M
        # included (https://github.com/anthropics/claude-code/issues/45000).
        raise BedrockError(
            "MissingAuthenticationTokenException",
            "Authorization header is missing",
            message_key="Message",
        )
    if scheme.lower() == "bearer":
        # Bedrock API keys go in `Authorization: Bearer <key>`.
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
        return
    parameters = _sigv4_parameters(token) if authorization.startswith(_SIGV4_PREFIX) else {}
    amz_date = headers.get("x-amz-date")
    # AWS lists every missing element in one message, e.g. "Authorization header requires
    # 'Credential' parameter. ..." (https://github.com/westonbrown/Cyber-AutoAgent/issues/29).
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in parameters
    ]
    if amz_date is None and "date" not in headers:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise BedrockError("IncompleteSignatureException", " ".join(missing))
    _check_sigv4(parameters, amz_date)


def signing_region(headers: Mapping[str, str]) -> str:
    """The region a SigV4 credential scope names, else the emulator's default region."""
    match = re.search(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/", headers.get("authorization", ""))
    return match.group(1) if match else DEFAULT_REGION
