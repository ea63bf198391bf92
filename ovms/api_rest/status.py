"""The one table from OVMS statuses to HTTP status codes for the REST edge.

Derived from the canonical :class:`~ovms.errors.Code` (TF Serving's ``http_server.cc`` mapping),
then corrected per status where OVMS's ``src/http_server.cpp`` answers differently. Nothing else in
``api_rest`` decides an error's HTTP code: ``app.py`` applies :func:`http_status` in one place.
"""

from __future__ import annotations

from ovms.errors import Code, Status

_BY_CODE: dict[Code, int] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}

# Where OVMS's HTTP answer differs from the canonical code's.
_OVERRIDES: dict[Status, int] = {
    # Canonically UNAVAILABLE (gRPC keeps that), but OVMS's REST answers 404.
    Status.MODEL_VERSION_NOT_LOADED_YET: 404,
    Status.JSON_INVALID: 412,
    Status.RESHAPE_ERROR: 412,
    Status.CANNOT_COMPILE_MODEL_INTO_TARGET_DEVICE: 412,
    Status.REST_UNSUPPORTED_METHOD: 406,
    # Ours: an explicit body limit is "Payload Too Large", not a rate limit (429).
    Status.REQUEST_TOO_LARGE: 413,
    # Binary-input statuses keep their canonical 400 even where OVMS's map lacks them (an
    # undecodable image is a 500 there): a client's bad image is not a server fault.
    # Config reload failures are not in OVMS's HTTP map: unmapped statuses are 500.
    Status.CONFIG_FILE_INVALID: 500,
    Status.CONFIG_RELOAD_FAILED: 500,
    Status.MODEL_RELOAD_FAILED: 500,
}

HTTP_STATUS: dict[Status, int] = {
    status: _OVERRIDES.get(status, _BY_CODE.get(status.code, 500)) for status in Status
}


def http_status(status: Status) -> int:
    """HTTP status code for ``status``; 500 for anything unmapped."""
    return HTTP_STATUS.get(status, 500)
