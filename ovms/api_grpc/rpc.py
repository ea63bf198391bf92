"""Method-handler plumbing shared by the services: parsing, the error wrapper, deadlines.

Handlers are registered without (de)serializers, so grpc hands them raw bytes. Parsing here
lets a malformed message become INVALID_ARGUMENT with a clear text (grpc's own deserializer
failure would surface as a generic INTERNAL), and puts every exception of every RPC through the
single mapping in :mod:`ovms.api_grpc.status`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import grpc
import grpc.aio
from google.protobuf.message import DecodeError, Message

from ovms.api_grpc import wire
from ovms.api_grpc.status import RpcError, abort_for

Req = TypeVar("Req", bound=Message)
Parsed = TypeVar("Parsed")
Taken = TypeVar("Taken")
Behavior = Callable[[Parsed, grpc.aio.ServicerContext], Awaitable[Message]]


def parse(request_type: type[Req], raw: bytes) -> Req:
    """Decode ``raw`` as ``request_type``; malformed input raises RpcError(INVALID_ARGUMENT)."""
    try:
        return request_type.FromString(raw)
    except DecodeError as exc:
        name = request_type.DESCRIPTOR.name
        raise RpcError(
            grpc.StatusCode.INVALID_ARGUMENT, f"Invalid {name} message: it could not be parsed as protobuf"
        ) from exc


def parse_split(request_type: type[Req], raw: bytes,
                split: Callable[[bytes], tuple[bytes, Taken] | None]) -> tuple[Req, Taken | None]:
    """Parse ``raw``; a large message first goes through ``split`` (see :mod:`ovms.api_grpc.wire`),
    which takes its tensor bytes out as views. The second item is None when they stayed in the
    message (small, or a shape ``split`` leaves to the ordinary parse)."""
    taken = split(raw) if len(raw) >= wire.MIN_SIZE else None
    if taken is None:
        return parse(request_type, raw), None
    return parse(request_type, taken[0]), taken[1]


def parser(request_type: type[Req]) -> Callable[[bytes], Req]:
    """The ordinary parse of one request type (see :func:`parse`)."""
    return functools.partial(parse, request_type)


def unary(parse_request: Callable[[bytes], Parsed], behavior: Behavior[Parsed]) -> grpc.RpcMethodHandler:
    """A unary-unary handler: ``parse_request(raw)``, ``await behavior(parsed, context)``, serialize.

    ``parse_request`` is :func:`parser` of the request type, or a parser that also hands over
    tensor bytes as views (Predict, ModelInfer). Any exception ends the RPC via :func:`abort_for`
    (the one place errors are mapped).
    """

    async def handle(raw: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            request = parse_request(raw)
            response = await behavior(request, context)
            return response.SerializeToString()
        except grpc.aio.AbortError:
            raise  # already aborted with a status; let grpc finish the RPC
        except Exception as exc:  # noqa: BLE001 - mapped (and logged if unexpected) in one place
            await abort_for(context, exc)

    return grpc.unary_unary_rpc_method_handler(handle)


def unimplemented_unary(method: str) -> grpc.RpcMethodHandler:
    """A unary RPC this server answers with UNIMPLEMENTED (as OVMS for Classify, Regress...)."""

    async def handle(raw: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await abort_for(context, _unimplemented(method))

    return grpc.unary_unary_rpc_method_handler(handle)


def unimplemented_stream(method: str) -> grpc.RpcMethodHandler:
    """A bidirectional-streaming RPC answered with UNIMPLEMENTED (ModelStreamInfer)."""

    async def handle(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> None:
        await abort_for(context, _unimplemented(method))

    return grpc.stream_stream_rpc_method_handler(handle)


def _unimplemented(method: str) -> RpcError:
    return RpcError(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented by this server")


def deadline_of(context: grpc.aio.ServicerContext) -> float | None:
    """The client's deadline as an absolute ``time.monotonic()`` value, or None without one."""
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining
