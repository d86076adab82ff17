"""Bedrock Runtime wire: InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream
and CountTokens, under `/model/{modelId}/...`.

Operations, statuses and error types follow the Bedrock Runtime API reference
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html,
machine-readable in botocore's `bedrock-runtime` service model). Streams are AWS event-stream
frames (`bedrock_frames`). InvokeModel bodies are Anthropic Messages bodies in Bedrock's form
(`bedrock_invoke`); Converse bodies are translated by `converse_decode` and `converse_encode`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compat.emulator import eventstream
from compat.emulator.anthropic_stream import anthropic_events
from compat.emulator.aws_shapes import parse
from compat.emulator.bedrock_auth import check_auth
from compat.emulator.bedrock_errors import (
    BedrockError,
    aws_request_id,
    bedrock_error,
    bedrock_not_found,
    error_response,
    note_bedrock_error,
)
from compat.emulator.bedrock_frames import (
    chunk_frames,
    converse_frames,
    event_stream_response,
    exception_frame,
)
from compat.emulator.bedrock_invoke import (
    BEDROCK_ENVELOPE,
    bedrock_message,
    invoke_request,
    invoke_stream_events,
)
from compat.emulator.bedrock_models import ModelRef, require_profile, resolve_model
from compat.emulator.converse_decode import request_to_neutral, to_neutral
from compat.emulator.converse_encode import (
    converse_response,
    converse_stream_events,
    response_fields,
)
from compat.emulator.converse_schema import ConverseRequest, CountTokensRequest
from compat.emulator.faults import Fault
from compat.emulator.frames import FrameResponse, json_response
from compat.emulator.inference_profiles import list_inference_profiles
from compat.emulator.messages_decode import parse_json_body
from compat.emulator.messages_encode import message_body
from compat.emulator.recorder import note_provider
from compat.emulator.stream_pacing import StreamDirective, stream_directive
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, ProviderId
from compat.emulator.wire import Wire

if TYPE_CHECKING:
    from compat.emulator.context import EmulatorContext

Operation = Literal[
    "invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens"
]
PROVIDER_BY_OPERATION: dict[Operation, ProviderId] = {
    "invoke": "bedrock_invoke",
    "invoke-with-response-stream": "bedrock_invoke",
    "converse": "bedrock_converse",
    "converse-stream": "bedrock_converse",
    "count-tokens": "bedrock_invoke",
}
"""The provider of each operation, by the last segment of `/model/{modelId}/{operation}`."""

Handler = Callable[[Request, ModelRef, Fault | None, float], Awaitable[Response]]


@dataclass
class BedrockWire:
    """The Bedrock Runtime operations over one emulator context."""

    ctx: EmulatorContext

    async def _serve(self, request: Request, operation: Operation, handler: Handler) -> Response:
        """Authenticate, take a fault, resolve the model, run `handler`, render errors."""
        started = time.perf_counter()
        try:
            check_auth(request.headers)
            fault = self.ctx.faults.take(PROVIDER_BY_OPERATION[operation])
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
            return bedrock_error(request, exc)
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
        reply = self._respond(invoke_request(await request.body(), model), fault)
        body = bedrock_message(message_body(reply), model)
        latency_ms = _elapsed_ms(started)
        # Not in the API reference's response syntax, but sent by Bedrock and read by
        # clients (https://github.com/spring-projects/spring-ai/issues/1519).
        headers = {
            "x-amzn-RequestId": aws_request_id(),
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
            "x-amzn-RequestId": aws_request_id(),
            "X-Amzn-Bedrock-Content-Type": "application/json",
        }
        if fault is not None and fault.kind == "status":
            # Bedrock reports throttling on this operation inside the stream, as a modeled
            # exception event ("An error occurred (throttlingException) when calling the
            # InvokeModelWithResponseStream operation",
            # https://github.com/aws-samples/aws-genai-llm-chatbot/issues/220).
            error = BedrockError.from_fault(fault)
            note_bedrock_error(request, error)
            frame = exception_frame(error.stream_member, error.message)
            return FrameResponse([frame], media_type=eventstream.CONTENT_TYPE, headers=headers)
        neutral = invoke_request(await request.body(), model, stream=True)
        pacing = stream_directive(neutral)
        reply = self._respond(neutral, fault)
        events = invoke_stream_events(reply, model, _elapsed_ms(started))
        return event_stream_response(chunk_frames(events, pacing), fault, headers, pacing=pacing)

    async def converse(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """Converse: the Converse response JSON."""
        parsed, reply, _ = await self._converse_reply(request, model, fault, stream=False)
        body = converse_response(
            reply, latency_ms=_elapsed_ms(started), extra_fields=_response_fields(parsed, reply)
        )
        return json_response(body, fault, headers={"x-amzn-RequestId": aws_request_id()})

    async def converse_stream(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """ConverseStream: messageStart ... metadata events, paced as a marker asks."""
        parsed, reply, pacing = await self._converse_reply(request, model, fault, stream=True)
        events = converse_stream_events(
            anthropic_events(reply),
            reply,
            latency_ms=_elapsed_ms(started),
            extra_fields=_response_fields(parsed, reply),
        )
        return event_stream_response(
            converse_frames(events, pacing),
            fault,
            {"x-amzn-RequestId": aws_request_id()},
            pacing=pacing,
        )

    async def count_tokens(
        self, request: Request, model: ModelRef, fault: Fault | None, started: float
    ) -> Response:
        """CountTokens: `{"inputTokens": n}` for an InvokeModel body or a Converse request."""
        parsed = parse(CountTokensRequest, parse_json_body(await request.body()))
        if parsed.input.invokeModel is not None:
            neutral = invoke_request(parsed.input.invokeModel.body, model)
        else:
            assert parsed.input.converse is not None  # the union guarantees one member
            note_provider(request, "bedrock_converse")
            neutral = to_neutral(parsed.input.converse, model_id=model.raw)
        tokens = self.ctx.model.count_tokens(neutral)
        return json_response(
            {"inputTokens": tokens}, fault, headers={"x-amzn-RequestId": aws_request_id()}
        )

    async def _converse_reply(
        self, request: Request, model: ModelRef, fault: Fault | None, *, stream: bool
    ) -> tuple[ConverseRequest, ModelReply, StreamDirective | None]:
        """Decode a Converse or ConverseStream body and let the model answer it.

        A stream also gets the pacing its `[compat-stream ...]` marker asks for (None
        without one, and always None when not streamed).
        """
        parsed = parse(ConverseRequest, parse_json_body(await request.body()))
        neutral = request_to_neutral(parsed, model_id=model.raw, stream=stream)
        pacing = stream_directive(neutral) if stream else None
        return parsed, self._respond(neutral, fault), pacing

    def _respond(self, neutral: NeutralRequest, fault: Fault | None) -> ModelReply:
        # The model is fast, deterministic CPU work; calling it inline costs less than a
        # hop to a worker thread.
        reply = self.ctx.model.respond(neutral)
        return fault.apply(reply) if fault is not None else reply


def _response_fields(parsed: ConverseRequest, reply: ModelReply) -> dict[str, Any]:
    paths = parsed.additionalModelResponseFieldPaths or []
    return response_fields(message_body(reply), paths) if paths else {}


def _elapsed_ms(started: float) -> int:
    return max(1, round((time.perf_counter() - started) * 1000))


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


# ListInferenceProfiles is served beside the runtime, but `/inference-profiles` is not
# under this wire's prefix: the handler names its provider to the recorder itself.
BEDROCK = Wire(
    provider="bedrock_invoke",
    prefixes=("/model/",),
    routes=bedrock_routes,
    render_error=bedrock_error,
    not_found=bedrock_not_found,
    # CountTokens validates an InvokeModel body as InvokeModel does, so one envelope serves.
    envelope_rules={"messages": BEDROCK_ENVELOPE},
    operations=PROVIDER_BY_OPERATION,
)
