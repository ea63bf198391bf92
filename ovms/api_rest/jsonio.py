"""JSON in and out of the REST edge: orjson with numpy support and OVMS's error bodies."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import orjson

from ovms.errors import OvmsError, Status

_NUMPY = orjson.OPT_SERIALIZE_NUMPY

ErrorStyle = Literal["compact", "tab"]


def loads(body: bytes | memoryview) -> Any:
    """Parse a request body; invalid JSON raises JSON_INVALID with orjson's reason and offset."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise OvmsError(Status.JSON_INVALID, f"Error: {err.msg} Offset: {err.pos}") from None


def dumps(obj: Any) -> bytes:
    """Serialize a response; numpy arrays and scalars go through orjson's native numpy path.

    Arrays must have a native byte order (orjson refuses others before any fallback);
    0-d and non-contiguous arrays fall back to ``tolist()``.
    """
    return orjson.dumps(obj, option=_NUMPY, default=_fallback)


def _fallback(obj: Any) -> Any:
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def error_body(text: str, style: ErrorStyle = "compact") -> bytes:
    """OVMS's error body: ``{"error":"..."}``, or the tab format config reload uses."""
    if style == "tab":
        return b'{\n\t"error": ' + orjson.dumps(text) + b"\n}"
    return orjson.dumps({"error": text})
