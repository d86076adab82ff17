"""Bedrock Runtime wire: InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream
and CountTokens, under `/model/{modelId}/...`.

Operations, statuses and error types follow the Bedrock Runtime API reference
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html,
machine-readable in botocore's `bedrock-runtime` service model). Streams are AWS event-stream
frames (`eventstream`). InvokeModel bodies are Anthropic Messages bodies in Bedrock's form
(`messages_schema`); Converse bodies are translated by `converse`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compat.emulator import converse, eventstream
from compat.emulator.anthropic import FrameResponse, json_response, message_body
from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.converse import (
    AwsShape,
    AwsUnion,
    Blob,
    ConverseRequest,
    ConverseTokensInput,
)
from compat.emulator.faults import Fault
from compat.emulator.messages_schema import parse_json_body, validate_messages_request
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, ProviderId

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

# Status of every error type the operations declare (API reference "Errors" sections).
# Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors
# The authentication errors come from AWS's request front end, not from Bedrock.
# Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
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

# Foundation model ids, as the Bedrock model cards and real errors spell them (e.g.
# "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn't
# supported"). Source: https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html
FOUNDATION_MODELS = frozenset(
    {
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-6",
        "anthropic.claude-opus-4-7",
    }
)
# System-defined cross-region inference profiles prefix the model id with a geography.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
PROFILE_PREFIXES = frozenset({"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"})
_MODEL_ARN = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]+:(?:\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile)/(?P<id>.+)$"
)

Operation = Literal[
    "invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens"
]
_PROVIDER_BY_OPERATION: dict[Operation, ProviderId] = {
    "invoke": "bedrock_invoke",
    "invoke-with-response-stream": "bedrock_invoke",
    "converse": "bedrock_converse",
    "converse-stream": "bedrock_converse",
    "count-tokens": "bedrock_invoke",
}
# Random-length padding Bedrock adds to every stream event's JSON (field "p") so that frame
# sizes do not reveal token lengths; seen in botocore debug logs of real streams
# (https://github.com/boto/boto3/issues/4584) and documented in Anthropic's SDK stream parser.
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


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


def _request_id() -> str:
    return str(uuid.uuid4())


def note_error(request: Request, error: BedrockError) -> None:
    """Tell the recorder which error this request got."""
    request.state.error_kind = error.error_type
    request.state.error_message = error.message


def error_response(request: Request, error: BedrockError) -> Response:
    """Bedrock's error shape: `{"message": ...}`, the status, `x-amzn-ErrorType`."""
    note_error(request, error)
    headers = {"x-amzn-ErrorType": error_type_header(error.error_type)}
    headers["x-amzn-RequestId"] = _request_id()
    return JSONResponse({error.message_key: error.message}, error.status, headers=headers)


# --- authentication ------------------------------------------------------------------------

_SIGV4_PREFIX = "AWS4-HMAC-SHA256 "
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


# --- model ids -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """A modelId from the URL: the foundation model it names and how it was named."""

    raw: str
    foundation: str
    via_profile: bool

    @property
    def anthropic_name(self) -> str:
        """The model name Bedrock's Anthropic responses carry (`claude-haiku-4-5-20251001`)."""
        return self.foundation.removeprefix("anthropic.").removesuffix("-v1:0")


def resolve_model(model_id: str) -> ModelRef:
    """Recognise a foundation model id, an inference profile id, or their ARNs."""
    kind, ident = None, model_id
    if arn := _MODEL_ARN.match(model_id):
        kind, ident = arn["kind"], arn["id"]
    prefix, _, rest = ident.partition(".")
    if kind != "foundation-model" and prefix in PROFILE_PREFIXES and rest in FOUNDATION_MODELS:
        return ModelRef(model_id, rest, via_profile=True)
    if kind != "inference-profile" and ident in FOUNDATION_MODELS:
        return ModelRef(model_id, ident, via_profile=False)
    # Observed wording: https://github.com/aws-samples/amazon-bedrock-workshop/issues/315
    raise BedrockError("ValidationException", "The provided model identifier is invalid.")


def require_profile(model: ModelRef) -> None:
    """Claude 4.5+ models serve on-demand inference only through an inference profile."""
    if not model.via_profile:
        # Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
        raise BedrockError(
            "ValidationException",
            f"Invocation of model ID {model.foundation} with on-demand throughput isn't "
            "supported. Retry your request with the ID or ARN of an inference profile that "
            "contains this model.",
        )


# --- responses ------------------------------------------------------------------------------


def _padded(payload: Mapping[str, Any]) -> dict[str, Any]:
    # Deterministic length so that the same reply always gives the same bytes.
    length = 1 + len(json.dumps(payload, separators=(",", ":"))) % len(_PADDING)
    return {**payload, "p": _PADDING[:length]}


def _event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    return eventstream.event_message(event_type, _padded(payload))


def chunk_frame(event: Mapping[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream `chunk`: the Anthropic event JSON, base64 in `bytes`."""
    # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_PayloadPart.html
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _event_frame("chunk", {"bytes": base64.b64encode(data).decode("ascii")})


def bedrock_message(message: Mapping[str, Any], model: ModelRef) -> dict[str, Any]:
    """A Messages object as Bedrock returns it: `msg_bdrk_` id, Anthropic's model name."""
    # As captured from Bedrock, e.g. "id":"msg_bdrk_01...","model":"claude-sonnet-4-5-20250929"
    # (fixtures/anthropic/simple_bedrock.txtar in https://github.com/coder/aibridge/pull/226).
    message_id = "msg_bdrk_" + str(message["id"]).removeprefix("msg_")
    return {**message, "id": message_id, "model": model.anthropic_name}


def invocation_metrics(reply: ModelReply, latency_ms: int) -> dict[str, int]:
    """`amazon-bedrock-invocationMetrics`, which Bedrock adds to the `message_stop` event."""
    # Not in the API reference; field names as real streams carry them, e.g. inputTokenCount,
    # outputTokenCount, invocationLatency, firstByteLatency, cacheRead/WriteInputTokenCount
    # (run-llama/LlamaIndexTS packages/community/src/llm/bedrock/types.ts).
    usage = reply.usage
    metrics = {
        "inputTokenCount": usage.input_tokens,
        "outputTokenCount": usage.output_tokens,
        "invocationLatency": latency_ms,
        "firstByteLatency": latency_ms,
    }
    if usage.cache_read_input_tokens or usage.cache_creation_input_tokens:
        metrics["cacheReadInputTokenCount"] = usage.cache_read_input_tokens
        metrics["cacheWriteInputTokenCount"] = usage.cache_creation_input_tokens
    return metrics


def invoke_stream_events(
    reply: ModelReply, model: ModelRef, latency_ms: int
) -> list[dict[str, Any]]:
    """The model's Anthropic stream events as Bedrock relays them."""
    events: list[dict[str, Any]] = []
    for event in anthropic_events(reply):
        if event["type"] == "message_start":
            event = {**event, "message": bedrock_message(event["message"], model)}
        elif event["type"] == "message_stop":
            event = {
                **event,
                "amazon-bedrock-invocationMetrics": invocation_metrics(reply, latency_ms),
            }
        events.append(event)
    return events


def _stream_response(
    frames: list[bytes], fault: Fault | None, headers: Mapping[str, str]
) -> Response:
    """Event-stream frames, with a stream fault applied if one is due."""
    complete = True
    if fault is not None and fault.kind == "cut_stream":
        frames, complete = frames[: fault.after_events], False
    elif fault is not None and fault.kind == "malformed_frame" and fault.after_events < len(frames):
        frames = list(frames)
        frames[fault.after_events] = eventstream.with_bad_crc(frames[fault.after_events])
    return FrameResponse(
        frames, media_type=eventstream.CONTENT_TYPE, headers=headers, complete=complete
    )


Handler = Callable[[Request, ModelRef, Fault | None, float], Awaitable[Response]]


@dataclass
class BedrockWire:
    """The Bedrock Runtime operations over one emulator context."""

    ctx: EmulatorContext

    async def _serve(self, request: Request, operation: Operation, handler: Handler) -> Response:
        """Authenticate, take a fault, resolve the model, run `handler`, render errors."""
        started = time.perf_counter()
        provider = _PROVIDER_BY_OPERATION[operation]
        try:
            check_auth(request.headers)
            fault = self.ctx.faults.take(provider)
            if fault is not None and fault.kind == "slow_first_byte":
                await asyncio.sleep(fault.delay_s)
            if (
                fault is not None
                and fault.kind == "status"
                and operation != "invoke-with-response-stream"
            ):
                raise BedrockError.from_fault(fault)
            model = resolve_model(request.path_params["model_id"])
            if operation != "count-tokens":
                require_profile(model)
            return await handler(request, model, fault, started)
        except EmulatorError as exc:
            return error_response(request, BedrockError.from_emulator(exc))
        except BedrockError as exc:
            return error_response(request, exc)

    def route(self, operation: Operation, handler: Handler) -> Route:
        """`POST /model/{modelId}/<operation>`; the modelId may contain '/' (ARNs)."""

        async def endpoint(request: Request) -> Response:
            return await self._serve(request, operation, handler)

        return Route(f"/model/{{model_id:path}}/{operation}", endpoint, methods=["POST"])

    async def invoke(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """InvokeModel: the Anthropic Messages response JSON."""
        reply = self._respond(self._invoke_request(await request.body(), model), fault)
        body = bedrock_message(message_body(reply), model)
        latency_ms = _elapsed_ms(started)
        # Not in the API reference's response syntax, but sent by Bedrock and read by
        # clients (https://github.com/spring-projects/spring-ai/issues/1519).
        headers = {
            "x-amzn-RequestId": _request_id(),
            "X-Amzn-Bedrock-Invocation-Latency": str(latency_ms),
            "X-Amzn-Bedrock-Input-Token-Count": str(reply.usage.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(reply.usage.output_tokens),
        }
        return json_response(body, fault, headers=headers)

    async def invoke_stream(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """InvokeModelWithResponseStream: `chunk` events carrying Anthropic stream events."""
        headers = {
            "x-amzn-RequestId": _request_id(),
            "X-Amzn-Bedrock-Content-Type": "application/json",
        }
        if fault is not None and fault.kind == "status":
            # Bedrock reports throttling on this operation inside the stream, as a modeled
            # exception event ("An error occurred (throttlingException) when calling the
            # InvokeModelWithResponseStream operation",
            # https://github.com/aws-samples/aws-genai-llm-chatbot/issues/220).
            error = BedrockError.from_fault(fault)
            note_error(request, error)
            frame = eventstream.exception_message(error.stream_member, error.message)
            return FrameResponse([frame], media_type=eventstream.CONTENT_TYPE, headers=headers)
        reply = self._respond(self._invoke_request(await request.body(), model, stream=True), fault)
        frames = [
            chunk_frame(event) for event in invoke_stream_events(reply, model, _elapsed_ms(started))
        ]
        return _stream_response(frames, fault, headers)

    async def converse(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """Converse: the Converse response JSON."""
        parsed = converse.parse(ConverseRequest, parse_json_body(await request.body()))
        reply = self._respond(
            converse.request_to_neutral(parsed, model_id=model.raw, stream=False), fault
        )
        extra = self._response_fields(parsed, reply)
        body = converse.converse_response(
            reply, latency_ms=_elapsed_ms(started), extra_fields=extra
        )
        return json_response(body, fault, headers={"x-amzn-RequestId": _request_id()})

    async def converse_stream(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """ConverseStream: messageStart ... metadata events."""
        parsed = converse.parse(ConverseRequest, parse_json_body(await request.body()))
        reply = self._respond(
            converse.request_to_neutral(parsed, model_id=model.raw, stream=True), fault
        )
        events = converse.converse_stream_events(
            anthropic_events(reply),
            reply,
            latency_ms=_elapsed_ms(started),
            extra_fields=self._response_fields(parsed, reply),
        )
        frames = [_event_frame(name, payload) for name, payload in events]
        return _stream_response(frames, fault, {"x-amzn-RequestId": _request_id()})

    async def count_tokens(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """CountTokens: `{"inputTokens": n}` for an InvokeModel body or a Converse request."""
        parsed = converse.parse(CountTokensRequest, parse_json_body(await request.body()))
        if parsed.input.invokeModel is not None:
            neutral = self._invoke_request(parsed.input.invokeModel.body, model)
        else:
            assert parsed.input.converse is not None  # the union guarantees one member
            request.state.provider = "bedrock_converse"
            neutral = converse.to_neutral(parsed.input.converse, model_id=model.raw)
        tokens = self.ctx.model.count_tokens(neutral)
        return json_response(
            {"inputTokens": tokens}, fault, headers={"x-amzn-RequestId": _request_id()}
        )

    def _invoke_request(
        self, raw: bytes, model: ModelRef, *, stream: bool = False
    ) -> NeutralRequest:
        """Validate an InvokeModel body the way Bedrock does for Claude."""
        payload = parse_json_body(raw)
        neutral = validate_messages_request(payload, provider="bedrock_invoke", model=model.raw)
        return neutral.model_copy(update={"stream": stream})

    def _respond(self, neutral: NeutralRequest, fault: Fault | None) -> ModelReply:
        # The model is fast, deterministic CPU work; calling it inline costs less than a
        # hop to a worker thread.
        reply = self.ctx.model.respond(neutral)
        return fault.apply(reply) if fault is not None else reply

    @staticmethod
    def _response_fields(parsed: ConverseRequest, reply: ModelReply) -> dict[str, Any]:
        paths = parsed.additionalModelResponseFieldPaths or []
        return converse.response_fields(message_body(reply), paths) if paths else {}


def _elapsed_ms(started: float) -> int:
    return max(1, round((time.perf_counter() - started) * 1000))


class InvokeModelTokens(AwsShape):
    """InvokeModelTokensRequest: an InvokeModel body."""

    body: Blob


class CountTokensInput(AwsUnion):
    """CountTokensInput: an InvokeModel body or a Converse request."""

    invokeModel: InvokeModelTokens | None = None
    converse: ConverseTokensInput | None = None


class CountTokensRequest(AwsShape):
    """The CountTokens body (modelId comes from the path)."""

    # Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
    input: CountTokensInput


# --- control plane: ListInferenceProfiles ---------------------------------------------------

# Claude Code in Bedrock mode lists the system-defined inference profiles (on the same base
# URL) before it picks a model id. Request and response syntax:
# Source: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListInferenceProfiles.html
# Summary fields: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_InferenceProfileSummary.html
INFERENCE_PROFILE_TYPES = frozenset({"SYSTEM_DEFINED", "APPLICATION"})
_MAX_RESULTS_RANGE = range(1, 1001)
# The US cross-region profiles route to these source regions.
# Source: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
_US_SOURCE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
_DEFAULT_REGION = "us-east-1"
_ACCOUNT_ID = "123456789012"
_PROFILE_NAMES = {
    "anthropic.claude-haiku-4-5-20251001-v1:0": "US Anthropic Claude Haiku 4.5",
    "anthropic.claude-sonnet-4-6": "US Anthropic Claude Sonnet 4.6",
    "anthropic.claude-opus-4-7": "US Anthropic Claude Opus 4.7",
}
_PROFILES_CREATED_AT = "2025-10-15T00:00:00Z"


def _signing_region(headers: Mapping[str, str]) -> str:
    """The region a SigV4 credential scope names, else the emulator's default region."""
    match = re.search(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/", headers.get("authorization", ""))
    return match.group(1) if match else _DEFAULT_REGION


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
    request.state.provider = "bedrock_invoke"
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
        else inference_profile_summaries(_signing_region(request.headers))
    )
    # Every profile fits one page, so no nextToken is returned.
    return JSONResponse(
        {"inferenceProfileSummaries": summaries}, headers={"x-amzn-RequestId": _request_id()}
    )


def bedrock_routes(ctx: EmulatorContext) -> list[Route]:
    """The five Bedrock Runtime operations, and ListInferenceProfiles of the control plane."""
    wire = BedrockWire(ctx)
    return [
        wire.route("invoke", wire.invoke),
        wire.route("invoke-with-response-stream", wire.invoke_stream),
        wire.route("converse", wire.converse),
        wire.route("converse-stream", wire.converse_stream),
        wire.route("count-tokens", wire.count_tokens),
        Route("/inference-profiles", list_inference_profiles, methods=["GET"]),
    ]
