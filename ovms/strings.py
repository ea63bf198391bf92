"""STRING tensor elements, shared by both edges and the scheduler.

Element bytes and KServe's BYTES framing (a 4-byte little-endian length before each element). These
are the per-element loops of the string path: every element is an object of its own length, so
there is no single buffer to hand over.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

_LENGTH = struct.Struct("<I")


def as_bytes(item: Any) -> bytes:
    """One element as bytes: bytes as they are, anything else as UTF-8 of its ``str``."""
    return item if isinstance(item, bytes) else str(item).encode()


def string_elements(array: np.ndarray) -> list[bytes]:
    """The elements of a string array (object, S or U) as bytes, flattened in C order."""
    return [as_bytes(item) for item in array.reshape(-1).tolist()]


def join_length_prefixed(array: np.ndarray) -> bytes:
    """A string array as a KServe BYTES buffer."""
    parts: list[bytes] = []
    for blob in string_elements(array):
        parts.append(_LENGTH.pack(len(blob)))
        parts.append(blob)
    return b"".join(parts)


def split_length_prefixed(buffer: bytes | memoryview) -> list[bytes]:
    """The elements of a KServe BYTES buffer; ValueError when the lengths do not cover it exactly."""
    view = memoryview(buffer)
    items: list[bytes] = []
    offset = 0
    while offset + 4 <= len(view):
        (length,) = _LENGTH.unpack_from(view, offset)
        offset += 4
        if offset + length > len(view):
            raise ValueError("element exceeds buffer")
        items.append(bytes(view[offset : offset + length]))
        offset += length
    if offset != len(view):
        raise ValueError("trailing bytes")
    return items
