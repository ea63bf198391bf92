"""The REST edge's view of one HTTP exchange: request, reply, bounded body reading, deadlines."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.rest_errors import RestError
from ovms.errors import OvmsError, Status

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_CONTENT = (b"content-type", b"application/json")
TIMEOUT_HEADER = b"x-request-timeout-ms"


@dataclass(slots=True)
class RestCall:
    """What a handler sees: percent-decoded path parameters, raw headers and the whole body.

    Header names are lower-case bytes (ASGI). ``body`` is empty for GET requests.
    """

    params: dict[str, str]
    headers: Headers
    body: bytes = b""

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower-case), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(slots=True)
class Reply:
    """A complete response; the body is always JSON (possibly followed by KServe binary data)."""

    status: int = 200
    body: bytes = b""
    extra_headers: tuple[tuple[bytes, bytes], ...] = ()


class Disconnected(Exception):
    """The client went away before sending its whole body."""


async def read_body(receive: Receive, limit: int, declared: bytes | None) -> bytes:
    """Read the request body, refusing more than ``limit`` bytes with REQUEST_TOO_LARGE.

    A ``Content-Length`` over the limit is refused before anything is read; a chunked body is
    refused as soon as it crosses the limit, so an oversized body is never held in memory.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    # The common single-chunk body is used as is, without a copy.
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> OvmsError:
    return OvmsError(Status.REQUEST_TOO_LARGE, f"limit is {limit} bytes")


def deadline_from(header: bytes | None, timeout_us: object = None) -> float | None:
    """Absolute ``time.monotonic()`` deadline of a request, or None when it has none.

    Two optional sources, the earlier wins:
    - header ``X-Request-Timeout-Ms`` (ours, both APIs): a positive number of milliseconds;
      anything else is a 400 error;
    - KServe parameter ``timeout`` (Triton's convention): a positive integer of microseconds;
      other values (0, strings, booleans) mean "no timeout", as in Triton.
    """
    budgets: list[float] = []
    if header is not None:
        budgets.append(_header_seconds(header))
    if type(timeout_us) is int and timeout_us > 0:
        budgets.append(timeout_us / 1e6)
    return time.monotonic() + min(budgets) if budgets else None


def _header_seconds(header: bytes) -> float:
    try:
        millis = float(header)
    except ValueError:
        millis = -1.0
    if not millis > 0 or millis == float("inf"):
        raise RestError(texts.TIMEOUT_HEADER_INVALID)
    return millis / 1e3
