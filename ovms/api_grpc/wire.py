"""Protobuf wire reading for large infer requests: tensor bytes as views of the received message.

upb copies a bytes field twice on its way to Python: into its arena while it parses, and into a
new ``bytes`` object when the field is read. For a 600 KB tensor those are two copies on the
event loop per request (~100 us with cold caches). The splitters here take a serialized request
apart into the message without its tensor bytes (small; parsed by upb as usual) and those bytes
as ``memoryview`` slices of the received buffer.

They only take apart what they fully understand. Any other shape (a group, a message field
repeated where upb would merge the occurrences, a truncated length) gives None, and the caller
parses the whole message the ordinary way, which also reports malformed input.
"""

from __future__ import annotations

from collections.abc import Iterator

MIN_SIZE = 64 * 1024  # smaller messages: upb's copies cost less than reading the wire in Python
_LENGTH_DELIMITED = 2


class _Unsupported(Exception):
    """The buffer is not a message these readers take apart."""


def split_repeated_bytes(raw: bytes, field: int) -> tuple[bytes, list[memoryview]] | None:
    """``raw`` without the records of the repeated bytes ``field``, and their payloads in order.

    For ``ModelInferRequest.raw_input_contents`` (field 7).
    """
    view = memoryview(raw)
    kept: list[memoryview] = []
    taken: list[memoryview] = []
    try:
        for number, wire, start, payload, end in _records(view):
            if number == field:
                _expect_bytes(wire)
                taken.append(view[payload:end])
            else:
                kept.append(view[start:end])
    except _Unsupported:
        return None
    return b"".join(kept), taken


def split_map_bytes(raw: bytes, map_field: int, content_field: int) -> tuple[bytes, dict[str, memoryview]] | None:
    """``raw`` with the bytes ``content_field`` taken out of each value of the map ``map_field``.

    For ``PredictRequest.inputs`` (map<string, TensorProto>, field 2) and
    ``TensorProto.tensor_content`` (field 4). Returns the rewritten message and, by map key, the
    content of each value that had one (a later entry for a key wins, as in the map).
    """
    view = memoryview(raw)
    parts: list[bytes | memoryview] = []
    contents: dict[str, memoryview] = {}
    try:
        for number, wire, start, payload, end in _records(view):
            if number != map_field:
                parts.append(view[start:end])
                continue
            _expect_bytes(wire)
            key, entry, content = _split_entry(view[payload:end], content_field)
            parts.append(_record(map_field, entry))
            if content is not None:
                contents[key] = content
            else:
                contents.pop(key, None)
    except _Unsupported:
        return None
    return b"".join(parts), contents


def _split_entry(entry: memoryview, content_field: int) -> tuple[str, bytes, memoryview | None]:
    """A map entry's key, the entry without its value's content, and that content."""
    key_parts: list[memoryview] = []
    key = b""
    value: memoryview | None = None
    for number, wire, start, payload, end in _records(entry):
        _expect_bytes(wire)  # key (string) and value (message) are both length-delimited
        if number == 1:
            key = bytes(entry[payload:end])
            key_parts.append(entry[start:end])
        elif number == 2:
            if value is not None:  # upb merges repeated occurrences of a message field
                raise _Unsupported
            value = entry[payload:end]
        else:
            raise _Unsupported
    if value is None:
        return _key_text(key), b"".join(key_parts), None
    rest: list[memoryview] = []
    content: memoryview | None = None
    for number, wire, start, payload, end in _records(value):
        if number == content_field:
            _expect_bytes(wire)
            content = value[payload:end]  # a singular bytes field: the last occurrence wins
        else:
            rest.append(value[start:end])
    return _key_text(key), b"".join([*key_parts, _record(2, b"".join(rest))]), content


def _key_text(key: bytes) -> str:
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unsupported from None  # upb rejects it: the ordinary parse reports it


def _expect_bytes(wire: int) -> None:
    if wire != _LENGTH_DELIMITED:
        raise _Unsupported


def _records(buf: memoryview) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, record start, payload start, record end) of each record.

    Only length-delimited records are taken apart by the callers; the others are skipped over
    whole. Groups and anything truncated raise _Unsupported.
    """
    pos, size = 0, len(buf)
    while pos < size:
        start = pos
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise _Unsupported
        if wire == 0:
            _, pos = _varint(buf, pos)
            payload = pos
        elif wire == 1 or wire == 5:
            payload = pos
            pos += 8 if wire == 1 else 4
        elif wire == _LENGTH_DELIMITED:
            length, payload = _varint(buf, pos)
            pos = payload + length
        else:
            raise _Unsupported  # groups (3, 4) and invalid wire types
        if pos > size:
            raise _Unsupported
        yield number, wire, start, payload, pos


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(buf) and shift < 64:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise _Unsupported


def _record(number: int, payload: bytes) -> bytes:
    """A length-delimited record: tag, length, payload."""
    return _encode_varint(number << 3 | _LENGTH_DELIMITED) + _encode_varint(len(payload)) + payload


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
