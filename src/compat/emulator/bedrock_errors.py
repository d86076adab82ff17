"""Bedrock Runtime's errors: their types and statuses, and the JSON error response.

Source: the "Errors" sections of the Bedrock Runtime API reference,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors,
and AWS's common errors, https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compat.emulator.faults import Fault
from compat.emulator.recorder import note_error
from compat.emulator.types import EmulatorError

# Status of every error type the operations declare. The authentication errors come from
# AWS's request front end, not from Bedrock.
STATUS_BY_ERROR: dict[str, int] = {
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "IncompleteSignatureException": 400,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
}
_AUTH_ERRORS = frozenset(
    {
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)

# How each Anthropic error kind from the shared model surfaces on Bedrock. Bedrock has no
# 529: an overloaded model is ServiceUnavailableException.
ERROR_BY_KIND: dict[str, str] = {
    "invalid_request_error": "ValidationException",
    "request_too_large": "ValidationException",
    "authentication_error": "UnrecognizedClientException",
    "permission_error": "AccessDeniedException",
    "not_found_error": "ResourceNotFoundException",
    "rate_limit_error": "ThrottlingException",
    "api_error": "InternalServerException",
    "overloaded_error": "ServiceUnavailableException",
}


class BedrockError(Exception):
    """A refusal in Bedrock's own terms: error type, message and HTTP status."""

    def __init__(self, error_type: str, message: str, *, message_key: str = "message") -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = STATUS_BY_ERROR[error_type]
        self.message_key = message_key
        """The body key of the message; AWS's front end writes "Message" for some errors."""

    @classmethod
    def from_emulator(cls, error: EmulatorError) -> BedrockError:
        """The Bedrock error for an Anthropic-kind error from the shared model."""
        return cls(ERROR_BY_KIND[error.kind], error.message)

    @classmethod
    def from_fault(cls, fault: Fault) -> BedrockError:
        """The Bedrock error for a `status` fault."""
        rendered = fault.bedrock_error()
        return cls(rendered.error_type, rendered.message)

    @property
    def stream_member(self) -> str:
        """The error's member name in the event-stream unions (`throttlingException`)."""
        return self.error_type[0].lower() + self.error_type[1:]


def error_type_header(error_type: str) -> str:
    """The `x-amzn-ErrorType` value: the type, then the coral namespace that raised it."""
    # Observed: "x-amzn-errortype: ValidationException:http://internal.amazon.com/coral/
    # com.amazon.bedrock/" (https://github.com/aws-samples/amazon-bedrock-client-for-mac/issues/112).
    # Authentication errors are raised by the shared coral front end, not by Bedrock.
    namespace = "com.amazon.coral.service" if error_type in _AUTH_ERRORS else "com.amazon.bedrock"
    return f"{error_type}:http://internal.amazon.com/coral/{namespace}/"


def aws_request_id() -> str:
    """An `x-amzn-RequestId` value."""
    return str(uuid.uuid4())


def note_bedrock_error(request: Request, error: BedrockError) -> None:
    """Tell the recorder which Bedrock error this request got."""
    note_error(request, error.error_type, error.message)


def error_response(request: Request, error: BedrockError) -> Response:
    """Bedrock's error shape: `{"message": ...}`, the status, `x-amzn-ErrorType`."""
    note_bedrock_error(request, error)
    headers = {"x-amzn-ErrorType": error_type_header(error.error_type)}
    headers["x-amzn-RequestId"] = aws_request_id()
    return JSONResponse({error.message_key: error.message}, error.status, headers=headers)


def bedrock_error(request: Request, error: EmulatorError) -> Response:
    """A refusal from the shared model or the Messages decoder, as Bedrock reports it."""
    return error_response(request, BedrockError.from_emulator(error))


def bedrock_not_found(request: Request) -> Response:
    """AWS's answer to an operation Bedrock Runtime does not have."""
    # AWS services name an unknown operation in `x-amzn-ErrorType`.
    # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
    return JSONResponse(
        {"message": f"Unknown operation {request.method} {request.url.path}"},
        status_code=404,
        headers={"x-amzn-ErrorType": "UnknownOperationException"},
    )
