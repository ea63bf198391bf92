"""The gRPC edge's only error mapping: domain failures -> gRPC status code and message.

Every RPC handler runs inside :func:`ovms.api_grpc.rpc.unary` (or ``stream``), which sends any
exception through :func:`abort_for`; nothing else in this package picks a wire status code.

- :class:`ovms.errors.OvmsError` -> the code from ``GRPC_CODES``, message ``str(err)`` (OVMS text).
- :class:`RpcError` -> its own code and message: failures that exist only at this edge (a
  request that is not valid protobuf, an RPC this server does not implement).
- anything else -> logged with its traceback here, INTERNAL with a short message to the client.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import grpc
import grpc.aio

from ovms.errors import Code, OvmsError, Status

logger = logging.getLogger("ovms.api_grpc")

# Canonical code -> gRPC code. The numbering is the same, but the table is spelled out so that a
# change on either side is a visible edit here and not a silent int cast.
GRPC_CODES: dict[Code, grpc.StatusCode] = {
    Code.OK: grpc.StatusCode.OK,
    Code.CANCELLED: grpc.StatusCode.CANCELLED,
    Code.UNKNOWN: grpc.StatusCode.UNKNOWN,
    Code.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Code.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    Code.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    Code.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    Code.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    Code.RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Code.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    Code.ABORTED: grpc.StatusCode.ABORTED,
    Code.OUT_OF_RANGE: grpc.StatusCode.OUT_OF_RANGE,
    Code.UNIMPLEMENTED: grpc.StatusCode.UNIMPLEMENTED,
    Code.INTERNAL: grpc.StatusCode.INTERNAL,
    Code.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    Code.DATA_LOSS: grpc.StatusCode.DATA_LOSS,
    Code.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
}

# What a client sees for a bug in this server: no traceback, no exception text.
INTERNAL_MESSAGE = Status.INTERNAL_ERROR.message


class RpcError(Exception):
    """A failure that belongs to the gRPC edge, not to the domain (carries its gRPC code)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def to_grpc_code(code: Code) -> grpc.StatusCode:
    """The gRPC status code for a canonical code (UNKNOWN if unmapped, as OVMS)."""
    return GRPC_CODES.get(code, grpc.StatusCode.UNKNOWN)


def to_grpc_status(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """(gRPC code, client message) for any exception raised by a handler; logs unexpected ones."""
    if isinstance(exc, OvmsError):
        logger.debug("gRPC request failed: %s", exc)
        return to_grpc_code(exc.code), str(exc)
    if isinstance(exc, RpcError):
        logger.debug("gRPC request rejected: %s", exc.message)
        return exc.code, exc.message
    logger.error("Unexpected error in gRPC handler", exc_info=exc)
    return grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE


async def abort_for(context: grpc.aio.ServicerContext, exc: Exception) -> NoReturn:
    """End the RPC with the status mapped from ``exc`` (never returns)."""
    code, message = to_grpc_status(exc)
    await context.abort(code, message)
    raise AssertionError("context.abort() returned")  # abort always raises; keeps NoReturn honest
