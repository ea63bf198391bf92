"""The only API the protocol edges call: inference, metadata, status, readiness, reload.

Every method is safe to call from the event loop. Methods raise :class:`ovms.errors.OvmsError` with
OVMS's status and text; edges convert those with their single mapping table and never inspect models
themselves. Version 0 always means "default version" (infer, metadata, ready) or "all versions"
(status).
"""

from __future__ import annotations

from ovms.types import Frontend, InferRequest, InferResponse, ModelMetadata, VersionStatus

SERVER_NAME = "OpenVINO Model Server"


class DataPlane:
    """Transport-agnostic facade over the model manager (contract only in this revision)."""

    async def infer(self, request: InferRequest) -> InferResponse:
        """Validate ``request`` against the served version, run it through that version's scheduler.

        Waits (bounded) for a version that is still loading. Unknown model names raise
        MODEL_NAME_MISSING, except PIPELINE_DEFINITION_NAME_MISSING for TFS gRPC and
        MEDIAPIPE_DEFINITION_NAME_MISSING for KServe (OVMS's lookup fall-through texts).
        """
        raise NotImplementedError

    async def model_metadata(self, name: str, version: int, frontend: Frontend) -> ModelMetadata:
        """Inputs/outputs of ``version`` (0 = default) of model ``name``."""
        raise NotImplementedError

    def model_status(self, name: str, version: int) -> list[VersionStatus]:
        """Statuses of all known versions (version 0), ascending, or of one version."""
        raise NotImplementedError

    def available_versions(self, name: str) -> list[int]:
        """Versions of ``name`` currently AVAILABLE, ascending (KServe metadata ``versions``)."""
        raise NotImplementedError

    def model_ready(self, name: str, version: int) -> bool:
        """Whether ``version`` (0 = default) of ``name`` is AVAILABLE; unknown name/version raise."""
        raise NotImplementedError

    def server_live(self) -> bool:
        """True while the daemon runs."""
        raise NotImplementedError

    def server_ready(self) -> bool:
        """True once the initial configuration has been loaded (even if some models failed)."""
        raise NotImplementedError

    def server_metadata(self) -> tuple[str, str]:
        """(name, version) of this server, e.g. ("OpenVINO Model Server", "2026.11.0")."""
        raise NotImplementedError

    async def reload_config(self) -> bool:
        """Re-read config.json and rescan repositories; True when anything was (re)loaded.

        Raises CONFIG_FILE_INVALID / CONFIG_RELOAD_FAILED / MODEL_RELOAD_FAILED on failure.
        """
        raise NotImplementedError

    def config_status(self) -> dict[str, list[VersionStatus]]:
        """Status of every model's versions, keyed by model name in sorted order."""
        raise NotImplementedError
