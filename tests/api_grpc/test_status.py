"""The one error mapping of the gRPC edge."""

from __future__ import annotations

import logging

import grpc
import pytest

from ovms.api_grpc.status import GRPC_CODES, RpcError, to_grpc_code, to_grpc_status
from ovms.errors import Code, OvmsError, Status


def test_every_code_is_mapped_to_the_same_number() -> None:
    assert set(GRPC_CODES) == set(Code)
    for code, grpc_code in GRPC_CODES.items():
        assert grpc_code.value[0] == int(code)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_maps_to_its_canonical_code(status: Status) -> None:
    assert to_grpc_code(status.code).value[0] == int(status.code)


def test_ovms_error_keeps_ovms_text() -> None:
    err = OvmsError(Status.INVALID_SHAPE, "Expected: (1,3); Actual: (1,4); input name: x")
    assert to_grpc_status(err) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Invalid input shape - Expected: (1,3); Actual: (1,4); input name: x",
    )
    assert to_grpc_status(OvmsError(Status.MODEL_VERSION_NOT_LOADED_YET)) == (
        grpc.StatusCode.UNAVAILABLE,
        "Model with requested version is not loaded yet",
    )


def test_edge_error_keeps_its_code() -> None:
    assert to_grpc_status(RpcError(grpc.StatusCode.UNIMPLEMENTED, "nope")) == (grpc.StatusCode.UNIMPLEMENTED, "nope")


def test_unexpected_error_is_internal_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="ovms.api_grpc"):
        code, message = to_grpc_status(KeyError("private"))
    assert (code, message) == (grpc.StatusCode.INTERNAL, "Internal server error")
    assert "private" not in message
    assert caplog.records[-1].exc_info is not None  # traceback kept server-side
