"""The only API the protocol edges call: inference, metadata, status, readiness, reload.

Every method is safe to call from the event loop. Methods raise :class:`ovms.errors.OvmsError` with
OVMS's status and text; edges convert those with their single mapping table and never inspect models
themselves. Version 0 always means "default version" (infer, metadata, ready) or "all versions"
(status).
"""

from __future__ import annotations

import numpy as np

from ovms import __version__
from ovms.errors import OvmsError, Status
from ovms.models.manager import ModelManager
from ovms.models.source import ConfigSource
from ovms.types import (
    KSERVE_GRPC,
    KSERVE_REST,
    TFS_GRPC,
    Frontend,
    InferRequest,
    InferResponse,
    ModelMetadata,
    ModelState,
    VersionStatus,
)
from ovms.validation import validate_inputs, validate_outputs

SERVER_NAME = "OpenVINO Model Server"


# OVMS's lookup falls through to pipelines (TFS gRPC) or MediaPipe graphs (KServe) before failing.
_NAME_MISSING: dict[Frontend, Status] = {
    TFS_GRPC: Status.PIPELINE_DEFINITION_NAME_MISSING,
    KSERVE_GRPC: Status.MEDIAPIPE_DEFINITION_NAME_MISSING,
    KSERVE_REST: Status.MEDIAPIPE_DEFINITION_NAME_MISSING,
}


class DataPlane:
    """Transport-agnostic facade over the model manager and the configuration source."""

    def __init__(self, manager: ModelManager, source: ConfigSource) -> None:
        self._manager = manager
        self._source = source
        self._ready = False

    def set_ready(self) -> None:
        """Called by the server once the initial configuration has been loaded."""
        self._ready = True

    async def infer(self, request: InferRequest) -> InferResponse:
        """Validate ``request`` against the served version, run it through that version's scheduler.

        Waits (bounded) for a version that is still loading. Unknown model names raise
        MODEL_NAME_MISSING, except PIPELINE_DEFINITION_NAME_MISSING for TFS gRPC and
        MEDIAPIPE_DEFINITION_NAME_MISSING for KServe (OVMS's lookup fall-through texts).
        """
        missing = _NAME_MISSING.get(request.frontend, Status.MODEL_NAME_MISSING)
        servable = await self._manager.servable(request.model_name, request.version, missing)
        meta = servable.metadata
        inputs = validate_inputs(meta, request.inputs)
        wanted = validate_outputs(meta, request.outputs)
        results = await servable.scheduler.submit(inputs, request.deadline)
        outputs: dict[str, np.ndarray] = {meta.outputs[i].name: results[i] for i in wanted}
        return InferResponse(meta.name, meta.version, outputs, request.id, {})

    async def model_metadata(self, name: str, version: int, frontend: Frontend) -> ModelMetadata:
        """Inputs/outputs of ``version`` (0 = default) of model ``name``."""
        servable = await self._manager.servable(name, version)
        return servable.metadata

    def model_status(self, name: str, version: int) -> list[VersionStatus]:
        """Statuses of all known versions (version 0), ascending, or of one version."""
        statuses = self._manager.model(name).statuses()
        if version == 0:
            return statuses
        chosen = [s for s in statuses if s.version == version]
        if not chosen:
            raise OvmsError(Status.MODEL_VERSION_MISSING)
        return chosen

    def available_versions(self, name: str) -> list[int]:
        """Versions of ``name`` currently AVAILABLE, ascending (KServe metadata ``versions``)."""
        return [s.version for s in self._manager.model(name).statuses() if s.state is ModelState.AVAILABLE]

    def model_ready(self, name: str, version: int) -> bool:
        """Whether ``version`` (0 = default) of ``name`` is AVAILABLE; unknown name/version raise."""
        model = self._manager.model(name)
        if version == 0:
            return model.default() is not None
        chosen = model.versions.get(version)
        if chosen is None:
            raise OvmsError(Status.MODEL_VERSION_MISSING)
        return chosen.state is ModelState.AVAILABLE

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
