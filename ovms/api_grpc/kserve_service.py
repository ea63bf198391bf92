"""KServe v2 gRPC service ``inference.GRPCInferenceService``.

Each handler converts the request (:mod:`ovms.api_grpc.kserve_messages`), calls one DataPlane
method and converts the result back; errors are mapped by the wrapper in :mod:`ovms.api_grpc.rpc`.
ModelStreamInfer answers UNIMPLEMENTED (OVMS serves it only for MediaPipe graphs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import grpc.aio

from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    ModelInferRequest,
    ModelInferResponse,
    ModelMetadataRequest,
    ModelMetadataResponse,
    ModelReadyRequest,
    ModelReadyResponse,
    ServerLiveRequest,
    ServerLiveResponse,
    ServerMetadataRequest,
    ServerMetadataResponse,
    ServerReadyRequest,
    ServerReadyResponse,
)
from ovms.api_grpc.kserve_messages import (
    from_infer_response,
    from_model_metadata,
    parse_model_infer,
    to_infer_request,
    to_version,
)
from ovms.api_grpc.rpc import deadline_of, parser, unary, unimplemented_stream
from ovms.types import KSERVE_GRPC

if TYPE_CHECKING:
    from ovms.dataplane import DataPlane

INFERENCE_SERVICE = "inference.GRPCInferenceService"


class InferenceService:
    """The KServe v2 RPCs over a DataPlane (stateless; safe for concurrent calls)."""

    def __init__(self, dataplane: DataPlane) -> None:
        self._dataplane = dataplane

    async def server_live(self, request: ServerLiveRequest, context: grpc.aio.ServicerContext) -> ServerLiveResponse:
        return ServerLiveResponse(live=self._dataplane.server_live())

    async def server_ready(
        self, request: ServerReadyRequest, context: grpc.aio.ServicerContext
    ) -> ServerReadyResponse:
        return ServerReadyResponse(ready=self._dataplane.server_ready())

    async def server_metadata(
        self, request: ServerMetadataRequest, context: grpc.aio.ServicerContext
    ) -> ServerMetadataResponse:
        name, version = self._dataplane.server_metadata()
        return ServerMetadataResponse(name=name, version=version)

    async def model_ready(self, request: ModelReadyRequest, context: grpc.aio.ServicerContext) -> ModelReadyResponse:
        ready = self._dataplane.model_ready(request.name, to_version(request.version), KSERVE_GRPC)
        return ModelReadyResponse(ready=ready)

    async def model_metadata(
        self, request: ModelMetadataRequest, context: grpc.aio.ServicerContext
    ) -> ModelMetadataResponse:
        meta = await self._dataplane.model_metadata(request.name, to_version(request.version), KSERVE_GRPC)
        return from_model_metadata(meta, self._dataplane.available_versions(request.name))

    async def model_infer(self, received: tuple[ModelInferRequest, list[memoryview] | None],
                          context: grpc.aio.ServicerContext) -> ModelInferResponse:
        request, raw_contents = received
        response = await self._dataplane.infer(to_infer_request(request, deadline_of(context), raw_contents))
        return from_infer_response(response, request.id)

    def handler(self) -> grpc.GenericRpcHandler:
        """The generic handler serving ``/inference.GRPCInferenceService/*``."""
        return grpc.method_handlers_generic_handler(
            INFERENCE_SERVICE,
            {
                "ServerLive": unary(parser(ServerLiveRequest), self.server_live),
                "ServerReady": unary(parser(ServerReadyRequest), self.server_ready),
                "ServerMetadata": unary(parser(ServerMetadataRequest), self.server_metadata),
                "ModelReady": unary(parser(ModelReadyRequest), self.model_ready),
                "ModelMetadata": unary(parser(ModelMetadataRequest), self.model_metadata),
                "ModelInfer": unary(parse_model_infer, self.model_infer),
                "ModelStreamInfer": unimplemented_stream("ModelStreamInfer"),
            },
        )
