"""TF Serving gRPC services: ``tensorflow.serving.PredictionService`` and ``ModelService``.

Each handler converts the request (:mod:`ovms.api_grpc.tfs_messages`), calls one DataPlane method
and converts the result back; errors are mapped by the wrapper in :mod:`ovms.api_grpc.rpc`.
Classify, Regress and MultiInference answer UNIMPLEMENTED, as in OVMS.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import grpc
import grpc.aio

from ovms.api_grpc.generated.tfs.get_model_metadata_pb2 import (
    GetModelMetadataRequest,
    GetModelMetadataResponse,
)
from ovms.api_grpc.generated.tfs.get_model_status_pb2 import (
    GetModelStatusRequest,
    GetModelStatusResponse,
)
from ovms.api_grpc.generated.tfs.model_management_pb2 import (
    ReloadConfigRequest,
    ReloadConfigResponse,
)
from ovms.api_grpc.generated.tfs.predict_pb2 import PredictRequest, PredictResponse
from ovms.api_grpc.rpc import deadline_of, parser, unary, unimplemented_unary
from ovms.api_grpc.tfs_messages import (
    from_infer_response,
    from_model_metadata,
    Contents,
    from_version_statuses,
    parse_predict,
    to_infer_request,
    to_metadata_query,
    to_status_query,
)
from ovms.types import TFS_GRPC

if TYPE_CHECKING:
    from ovms.dataplane import DataPlane

PREDICTION_SERVICE = "tensorflow.serving.PredictionService"
MODEL_SERVICE = "tensorflow.serving.ModelService"

logger = logging.getLogger("ovms.api_grpc")


class PredictionService:
    """Predict and GetModelMetadata over a DataPlane (stateless; safe for concurrent calls)."""

    def __init__(self, dataplane: DataPlane) -> None:
        self._dataplane = dataplane

    async def predict(self, received: tuple[PredictRequest, Contents | None],
                      context: grpc.aio.ServicerContext) -> PredictResponse:
        request, contents = received
        response = await self._dataplane.infer(to_infer_request(request, deadline_of(context), contents))
        return from_infer_response(response)

    async def get_model_metadata(
        self, request: GetModelMetadataRequest, context: grpc.aio.ServicerContext
    ) -> GetModelMetadataResponse:
        name, version = to_metadata_query(request)
        return from_model_metadata(await self._dataplane.model_metadata(name, version, TFS_GRPC))

    def handler(self) -> grpc.GenericRpcHandler:
        """The generic handler serving ``/tensorflow.serving.PredictionService/*``."""
        return grpc.method_handlers_generic_handler(
            PREDICTION_SERVICE,
            {
                "Predict": unary(parse_predict, self.predict),
                "GetModelMetadata": unary(parser(GetModelMetadataRequest), self.get_model_metadata),
                "Classify": unimplemented_unary("Classify"),
                "Regress": unimplemented_unary("Regress"),
                "MultiInference": unimplemented_unary("MultiInference"),
            },
        )


class ModelService:
    """GetModelStatus and HandleReloadConfigRequest over a DataPlane."""

    def __init__(self, dataplane: DataPlane) -> None:
        self._dataplane = dataplane

    async def get_model_status(
        self, request: GetModelStatusRequest, context: grpc.aio.ServicerContext
    ) -> GetModelStatusResponse:
        name, version = to_status_query(request)
        return from_version_statuses(self._dataplane.model_status(name, version, TFS_GRPC))

    async def handle_reload_config_request(
        self, request: ReloadConfigRequest, context: grpc.aio.ServicerContext
    ) -> ReloadConfigResponse:
        # OVMS polls config.json itself; the RPC succeeds without doing anything, for client compatibility.
        logger.info(
            "Requested HandleReloadConfigRequest - but this service is reloading config automatically "
            "by itself, therefore this operation has no *EXTRA* affect."
        )
        return ReloadConfigResponse()

    def handler(self) -> grpc.GenericRpcHandler:
        """The generic handler serving ``/tensorflow.serving.ModelService/*``."""
        return grpc.method_handlers_generic_handler(
            MODEL_SERVICE,
            {
                "GetModelStatus": unary(parser(GetModelStatusRequest), self.get_model_status),
                "HandleReloadConfigRequest": unary(parser(ReloadConfigRequest), self.handle_reload_config_request),
            },
        )
