"""A minimal protobuf (proto2) wire-format encoder, enough to write PaddlePaddle's ProgramDesc by hand.

Each function returns the encoded bytes of one field; a message is the concatenation of its fields.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def varint(value: int) -> bytes:
    """Base-128 varint; negative numbers as 64-bit two's complement, as protobuf does for int32/int64."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def int_field(number: int, value: int) -> bytes:
    """An int32/int64/enum field."""
    return _key(number, _VARINT) + varint(value)


def bool_field(number: int, value: bool) -> bytes:
    """A bool field."""
    return int_field(number, int(value))


def float_field(number: int, value: float) -> bytes:
    """A 32-bit float field."""
    return _key(number, _FIXED32) + struct.pack("<f", value)


def bytes_field(number: int, value: bytes) -> bytes:
    """A length-delimited field: bytes or an embedded message."""
    return _key(number, _BYTES) + varint(len(value)) + value


def str_field(number: int, value: str) -> bytes:
    """A string field."""
    return bytes_field(number, value.encode())


def repeated(number: int, values: Iterable[bytes]) -> bytes:
    """A repeated embedded-message field (one entry per value)."""
    return b"".join(bytes_field(number, v) for v in values)


def repeated_int(number: int, values: Iterable[int]) -> bytes:
    """A repeated int field, unpacked (proto2's default encoding)."""
    return b"".join(int_field(number, v) for v in values)
