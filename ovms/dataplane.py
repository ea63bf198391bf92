"""The only API the protocol edges call: inference, metadata, status, readiness, reload.

Every method is safe to call from the event loop. Methods raise :class:`ovms.errors.OvmsError` with
OVMS's status and text; edges convert those with their single mapping table and never inspect models
themselves. Version 0 always means "default version" (infer, metadata, ready) or "all versions"
(status).

Request accounting happens here, once for every edge: each model request is reported to the
metrics (see :mod:`ovms.metrics.reporter` for what is counted) and each failed one is logged once,
with model, version, API, method and status, never with tensor contents. Client errors and load
rejections are logged at DEBUG (metrics count them); server faults (INTERNAL, UNKNOWN, DATA_LOSS)
at WARNING. Exceptions that are not OvmsError are counted but left to the edge, which logs them
with their traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np

from ovms import __version__
from ovms.errors import Code, OvmsError, Status
from ovms.metrics.families import METHODS, Operation
from ovms.metrics.reporter import NO_METRICS, RequestMetrics
from ovms.models.manager import ModelManager
from ovms.models.source import ConfigSource
from ovms.types import (
    KSERVE_GRPC,
    KSERVE_REST,
    TFS_GRPC,
    TFS_REST,
    Frontend,
    InferRequest,
    InferResponse,
    InputTensor,
    ModelMetadata,
    ModelState,
    VersionStatus,
)
from ovms.validation import decodes_any_image, validate_inputs, validate_outputs

SERVER_NAME = "OpenVINO Model Server"
# The key under which an edge passes a TF Serving "no-named" tensor: it goes to the model's only input.
NONAMED_INPUT = "\x00nonamed"
_FAULTS = frozenset({Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS})
log = logging.getLogger("ovms.requests")


# OVMS's lookup falls through to pipelines (TFS gRPC) or MediaPipe graphs (KServe) before failing.
_NAME_MISSING: dict[Frontend, Status] = {
    TFS_GRPC: Status.PIPELINE_DEFINITION_NAME_MISSING,
    KSERVE_GRPC: Status.MEDIAPIPE_DEFINITION_NAME_MISSING,
    KSERVE_REST: Status.MEDIAPIPE_DEFINITION_NAME_MISSING,
}


class DataPlane:
    """Transport-agnostic facade over the model manager and the configuration source."""

    def __init__(self, manager: ModelManager, source: ConfigSource, metrics: RequestMetrics = NO_METRICS) -> None:
        self._manager = manager
        self._source = source
        self._metrics = metrics
        self._ready = False

    def set_ready(self) -> None:
        """Called by the server once the initial configuration has been loaded."""
        self._ready = True

    async def infer(self, request: InferRequest) -> InferResponse:
        """Validate ``request`` against the served version, run it through that version's scheduler.

        Waits (bounded) for a version that is still loading. Unknown model names raise
        MODEL_NAME_MISSING, except PIPELINE_DEFINITION_NAME_MISSING for TFS gRPC and
        MEDIAPIPE_DEFINITION_NAME_MISSING for KServe (OVMS's lookup fall-through texts). An input
        keyed :data:`NONAMED_INPUT` goes to the model's only input (else INVALID_INPUT_FORMAT). TF
        Serving REST requests lose inputs the model does not have, as OVMS's parser drops them.
        """
        started = time.perf_counter()
        servable = None
        try:
            missing = _NAME_MISSING.get(request.frontend, Status.MODEL_NAME_MISSING)
            servable = await self._manager.servable(request.model_name, request.version, missing)
            meta = servable.metadata
            known = _known_inputs(meta, request)
            if decodes_any_image(meta, known):  # OpenCV work: off the loop, GIL released
                inputs = await asyncio.to_thread(validate_inputs, meta, known, request.frontend.api)
            else:
                inputs = validate_inputs(meta, known, request.frontend.api)
            wanted = validate_outputs(meta, request.outputs)
            results = await servable.scheduler.submit(inputs, request.deadline)
        except BaseException as err:
            resolved = servable.metadata.version if servable is not None else request.version
            self._failed(request.model_name, resolved, request.frontend, "infer", err)
            raise
        outputs: dict[str, np.ndarray] = {meta.outputs[i].name: results[i] for i in wanted}
        series = self._metrics.requests(meta.name, meta.version, request.frontend, "infer")
        series.succeeded(time.perf_counter() - started)
        return InferResponse(meta.name, meta.version, outputs, request.id, {})

    async def model_metadata(self, name: str, version: int, frontend: Frontend) -> ModelMetadata:
        """Inputs/outputs of ``version`` (0 = default) of model ``name``."""
        try:
            servable = await self._manager.servable(name, version)
        except BaseException as err:
            self._failed(name, version, frontend, "metadata", err)
            raise
        self._metrics.requests(name, servable.metadata.version, frontend, "metadata").succeeded()
        return servable.metadata

    def model_status(self, name: str, version: int, frontend: Frontend) -> list[VersionStatus]:
        """Statuses of all known versions (version 0), ascending, or of one version."""
        try:
            statuses = self._manager.model(name).statuses()
            if version != 0:
                statuses = [s for s in statuses if s.version == version]
                if not statuses:
                    raise OvmsError(Status.MODEL_VERSION_MISSING)
        except OvmsError as err:
            self._failed(name, version, frontend, "status", err)
            raise
        self._metrics.requests(name, 0, frontend, "status").succeeded()
        return statuses

    def available_versions(self, name: str) -> list[int]:
        """Versions of ``name`` currently AVAILABLE, ascending (KServe metadata ``versions``)."""
        return [s.version for s in self._manager.model(name).statuses() if s.state is ModelState.AVAILABLE]

    def model_ready(self, name: str, version: int, frontend: Frontend) -> bool:
        """Whether ``version`` (0 = default) of ``name`` is AVAILABLE; unknown name/version raise."""
        try:
            model = self._manager.model(name)
            if version == 0:
                ready = model.default() is not None
            else:
                chosen = model.versions.get(version)
                if chosen is None:
                    raise OvmsError(Status.MODEL_VERSION_MISSING)
                ready = chosen.state is ModelState.AVAILABLE
        except OvmsError as err:
            self._failed(name, version, frontend, "ready", err)
            raise
        self._metrics.requests(name, 0, frontend, "ready").succeeded()
        return ready

    def _failed(self, name: str, version: int, frontend: Frontend, op: Operation, err: BaseException) -> None:
        """Count a failed request where it has a series, and log it once."""
        model = self._manager.models.get(name)
        if model is not None:
            if op in ("status", "ready"):
                self._metrics.requests(name, 0, frontend, op).failed()
            elif version in model.versions:
                self._metrics.requests(name, version, frontend, op).failed()
        _log_failure(name, version, frontend, op, err)

    def server_live(self) -> bool:
        """True while the daemon runs."""
        return True

    def server_ready(self) -> bool:
        """True once the initial configuration has been loaded (even if some models failed)."""
        return self._ready

    def server_metadata(self) -> tuple[str, str]:
        """(name, version) of this server, e.g. ("OpenVINO Model Server", "2026.11.0")."""
        return SERVER_NAME, __version__

    async def reload_config(self) -> bool:
        """Re-read config.json and rescan repositories; True when anything was (re)loaded.

        Raises CONFIG_FILE_INVALID / CONFIG_RELOAD_FAILED / MODEL_RELOAD_FAILED on failure.
        """
        return await self._source.reload()

    def config_status(self) -> dict[str, list[VersionStatus]]:
        """Status of every model's versions, keyed by model name in sorted order."""
        models = self._manager.models
        return {name: models[name].statuses() for name in sorted(models)}


def _known_inputs(meta: ModelMetadata, request: InferRequest) -> dict[str, InputTensor]:
    inputs = _bind_nonamed(meta, request.inputs)
    if request.frontend is not TFS_REST:
        return inputs
    names = {spec.name for spec in meta.inputs}
    return {name: tensor for name, tensor in inputs.items() if name in names}


def _bind_nonamed(meta: ModelMetadata, inputs: dict[str, InputTensor]) -> dict[str, InputTensor]:
    tensor = inputs.get(NONAMED_INPUT)
    if tensor is None:
        return inputs
    if len(meta.inputs) != 1 or len(inputs) != 1:
        raise OvmsError(Status.INVALID_INPUT_FORMAT)
    return {meta.inputs[0].name: tensor}


def _log_failure(name: str, version: int, frontend: Frontend, op: Operation, err: BaseException) -> None:
    """One line per failed request: what was asked and the status, never the tensors."""
    if isinstance(err, OvmsError):
        level, code, status, text = (logging.WARNING if err.code in _FAULTS else logging.DEBUG,
                                     err.code.name, err.status.name, str(err))
    elif isinstance(err, asyncio.CancelledError):
        level, code, status, text = logging.DEBUG, Code.CANCELLED.name, "CANCELLED", "cancelled by the client"
    else:
        return  # the edge logs it with its traceback
    if not log.isEnabledFor(level):
        return
    method = METHODS.get((frontend.api, op), op)
    log.log(level, "%s %s %s request for model %s version %s failed: %s %s",
            frontend.api, frontend.interface, method, name, version or "default", code, text,
            extra={"model": name, "version": version, "api": frontend.api, "interface": frontend.interface,
                   "method": method, "code": code, "status": status})
