"""Conversions between JSON values and numpy arrays, shared by the TFS and KServe codecs.

Numbers go through one ``np.array`` call on the parsed lists (no Python loop over elements).
Strings and ``{"b64": ...}`` objects are opaque blobs: they are encoded/decoded one by one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from ovms.strings import as_bytes
from ovms.types import Precision

_NUMERIC_KINDS = frozenset("biuf")


class NotAnArray(ValueError):
    """The JSON value is not a valid ndarray (ragged, mixed, empty, or of unsupported type)."""


def json_to_array(value: Any) -> tuple[Precision | None, np.ndarray]:
    """A JSON number, (nested) list or b64 object as an array; raises :class:`NotAnArray`.

    Numeric data keeps numpy's inferred dtype (precision None: the model's precision applies).
    Strings and b64 objects give a STRING object array of ``bytes`` with the nesting's shape.
    Empty arrays are rejected, as OVMS does.
    """
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):
        array = None  # ragged nesting; an object array below tells blobs from garbage
    if array is not None and array.dtype.kind in _NUMERIC_KINDS:
        if array.size == 0:
            raise NotAnArray("empty array")
        return None, array
    return Precision.STRING, blobs_array(value)


def blobs_array(value: Any) -> np.ndarray:
    """JSON strings and/or b64 objects (any nesting) as an object array of ``bytes``.

    Strings are UTF-8 encoded, b64 objects decoded; anything else raises :class:`NotAnArray`.
    """
    try:
        array = np.array(value, dtype=object)
    except (ValueError, TypeError):
        raise NotAnArray("ragged array") from None
    if array.size == 0:
        raise NotAnArray("empty array")
    flat = array.reshape(-1)
    flat[:] = [_blob(item) for item in flat]
    return array


def _blob(item: Any) -> bytes:
    if type(item) is str:
        return item.encode()
    if type(item) is dict and len(item) == 1 and type(item.get("b64")) is str:
        try:
            return base64.b64decode(item["b64"], validate=True)
        except binascii.Error:
            raise NotAnArray("invalid base64") from None
    raise NotAnArray(f"unexpected {type(item).__name__} in array")


def bytes_to_text(items: np.ndarray) -> np.ndarray:
    """A STRING array as an object array of ``str`` (UTF-8, invalid bytes replaced), same shape."""
    out = np.empty(items.shape, dtype=object)
    out.reshape(-1)[:] = [_text(item) for item in items.reshape(-1)]
    return out


def bytes_to_b64(items: np.ndarray) -> np.ndarray:
    """A STRING array as an object array of ``{"b64": ...}`` objects, same shape."""
    out = np.empty(items.shape, dtype=object)
    out.reshape(-1)[:] = [{"b64": base64.b64encode(as_bytes(i)).decode()} for i in items.reshape(-1)]
    return out


def _text(item: Any) -> str:
    return item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)


def little_endian(array: np.ndarray) -> bytes:
    """Raw row-major little-endian bytes of a numeric array (BOOL as one byte per element)."""
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return np.ascontiguousarray(array).tobytes()
