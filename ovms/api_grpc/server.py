"""Builds the grpc.aio server with the TF Serving and KServe services, as OVMS registers them.

Services (standard names, so every client's method paths match):
``tensorflow.serving.PredictionService``, ``tensorflow.serving.ModelService`` and
``inference.GRPCInferenceService``. No health service (OVMS has none). Messages up to 1 GiB in
both directions, as OVMS. Starting and stopping the server is the composition root's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import grpc.aio

from ovms.api_grpc.kserve_service import InferenceService
from ovms.api_grpc.tfs_service import ModelService, PredictionService

if TYPE_CHECKING:
    from ovms.dataplane import DataPlane

MAX_MESSAGE_BYTES = 1024 * 1024 * 1024  # OVMS: 1 GiB send and receive

SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


def build_grpc_server(dataplane: DataPlane, bind_addresses: list[str], port: int) -> tuple[grpc.aio.Server, int]:
    """An unstarted grpc.aio server bound to ``port`` on every address, and the bound port.

    ``bind_addresses`` holds hosts such as ``"0.0.0.0"``, ``"127.0.0.1"``, ``"::"`` or ``"[::1]"``
    (IPv6 may come bracketed or not). ``port`` 0 picks a free port (tests); every further address
    is then bound to that same port. Must be called with the event loop that will run the server.
    Raises OSError naming the address when a bind fails.
    """
    server = grpc.aio.server(options=SERVER_OPTIONS)
    server.add_generic_rpc_handlers(
        (
            PredictionService(dataplane).handler(),
            ModelService(dataplane).handler(),
            InferenceService(dataplane).handler(),
        )
    )
    bound = port
    for address in bind_addresses:
        bound = _bind(server, address, bound)
    return server, bound


def _bind(server: grpc.aio.Server, address: str, port: int) -> int:
    target = f"{bracket_host(address)}:{port}"
    try:
        bound = server.add_insecure_port(target)
    except RuntimeError as exc:  # grpc reports bind failures as RuntimeError
        raise OSError(f"Failed to bind the gRPC server to {target}: {exc}") from exc
    if bound == 0:  # older grpc versions report failure with port 0
        raise OSError(f"Failed to bind the gRPC server to {target}")
    return bound


def bracket_host(host: str) -> str:
    """``host`` as it appears before ``:port``: IPv6 literals get square brackets."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host
