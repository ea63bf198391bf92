"""The single OVMS status -> HTTP status table."""

from __future__ import annotations

import pytest

from ovms.api_rest.status import HTTP_STATUS, http_status
from ovms.errors import Status


@pytest.mark.parametrize(
    "status, code",
    [
        (Status.MODEL_NAME_MISSING, 404),
        (Status.PIPELINE_DEFINITION_NAME_MISSING, 404),
        (Status.MEDIAPIPE_DEFINITION_NAME_MISSING, 404),
        (Status.MODEL_VERSION_MISSING, 404),
        (Status.MODEL_VERSION_NOT_LOADED_YET, 404),  # canonically UNAVAILABLE, OVMS REST says 404
        (Status.MODEL_VERSION_NOT_LOADED_ANYMORE, 404),
        (Status.INVALID_SHAPE, 400),
        (Status.INVALID_INPUT_FORMAT, 400),
        (Status.UNSUPPORTED_PRECISION, 400),
        (Status.REST_PARSE_ERROR, 400),
        (Status.REST_INVALID_URL, 400),
        (Status.REST_UNSUPPORTED_METHOD, 406),
        (Status.REST_RESOURCE_NOT_FOUND, 404),
        (Status.JSON_INVALID, 412),
        (Status.RESHAPE_ERROR, 412),
        (Status.CANNOT_COMPILE_MODEL_INTO_TARGET_DEVICE, 412),
        (Status.REQUEST_TOO_LARGE, 413),
        (Status.QUEUE_FULL, 429),
        (Status.DEADLINE_EXCEEDED, 504),
        (Status.SERVER_NOT_READY, 503),
        (Status.SHUTTING_DOWN, 503),
        (Status.OV_INTERNAL_INFERENCE_ERROR, 500),
        (Status.INTERNAL_ERROR, 500),
        (Status.CONFIG_RELOAD_FAILED, 500),
    ],
)
def test_ovms_http_codes(status: Status, code: int) -> None:
    assert http_status(status) == code


def test_every_status_has_an_error_code() -> None:
    assert set(HTTP_STATUS) == set(Status)
    assert all(400 <= code < 600 for code in HTTP_STATUS.values())
