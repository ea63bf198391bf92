"""Bounded body reading, headers and deadlines."""

from __future__ import annotations

import asyncio
import time

import pytest

from ovms.api_rest.http_io import Disconnected, RestCall, deadline_from, read_body
from ovms.errors import OvmsError, Status


def receiver(*messages: dict):
    queue = list(messages)
    reads: list[dict] = []

    async def receive() -> dict:
        message = queue.pop(0)
        reads.append(message)
        return message

    receive.reads = reads  # type: ignore[attr-defined]
    return receive


def chunk(data: bytes, more: bool) -> dict:
    return {"type": "http.request", "body": data, "more_body": more}


def test_reads_single_and_chunked_bodies() -> None:
    assert asyncio.run(read_body(receiver(chunk(b"abc", False)), 10, b"3")) == b"abc"
    body = asyncio.run(read_body(receiver(chunk(b"ab", True), chunk(b"", True), chunk(b"cd", False)), 10, None))
    assert body == b"abcd"


def test_declared_length_over_limit_is_refused_before_reading() -> None:
    receive = receiver(chunk(b"x" * 11, False))
    with pytest.raises(OvmsError) as caught:
        asyncio.run(read_body(receive, 10, b"11"))
    assert caught.value.status is Status.REQUEST_TOO_LARGE
    assert str(caught.value) == "Request body is too large - limit is 10 bytes"
    assert receive.reads == []  # type: ignore[attr-defined]


def test_chunked_body_is_refused_as_soon_as_it_crosses_the_limit() -> None:
    receive = receiver(chunk(b"x" * 6, True), chunk(b"x" * 6, True), chunk(b"x" * 6, False))
    with pytest.raises(OvmsError):
        asyncio.run(read_body(receive, 10, None))
    assert len(receive.reads) == 2  # type: ignore[attr-defined]


def test_disconnect_while_reading() -> None:
    with pytest.raises(Disconnected):
        asyncio.run(read_body(receiver(chunk(b"ab", True), {"type": "http.disconnect"}), 10, None))


def test_header_lookup() -> None:
    call = RestCall({}, [(b"a", b"1"), (b"b", b"2"), (b"a", b"3")])
    assert call.header(b"a") == b"1" and call.header(b"c") is None


def test_deadlines() -> None:
    assert deadline_from(None) is None
    assert deadline_from(None, 0) is None and deadline_from(None, "5") is None and deadline_from(None, True) is None
    now = time.monotonic()
    header_deadline = deadline_from(b"250")
    assert header_deadline is not None and now + 0.2 < header_deadline < now + 1.0
    param_deadline = deadline_from(None, 2_000_000)
    assert param_deadline is not None and now + 1.5 < param_deadline < now + 3.0
    both = deadline_from(b"100000", 1_000_000)
    assert both is not None and both < now + 2.0  # the earlier wins


@pytest.mark.parametrize("value", [b"abc", b"0", b"-5", b"inf", b"nan", b""])
def test_invalid_timeout_header(value: bytes) -> None:
    with pytest.raises(OvmsError) as caught:
        deadline_from(value)
    assert caught.value.status is Status.REST_PARSE_ERROR
    assert "X-Request-Timeout-Ms" in str(caught.value)
