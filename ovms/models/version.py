"""One served model version: its status and, while AVAILABLE, its compiled model and scheduler."""

from __future__ import annotations

from dataclasses import dataclass

from ovms.models.lifecycle import transition
from ovms.models.loader import LoadedModel
from ovms.repository.storage import Storage
from ovms.scheduler.scheduler import Scheduler
from ovms.types import ErrorCode, ModelMetadata, ModelState, VersionStatus


@dataclass(frozen=True)
class Servable:
    """What a request needs, captured atomically: metadata and the scheduler that runs it."""

    metadata: ModelMetadata
    scheduler: Scheduler


class ModelVersion:
    """Status and servable of one version. Owned and mutated only by the manager (event loop).

    ``servable`` is set exactly while the state is AVAILABLE; swapping it (config reload) is one
    assignment, so a request sees either the old or the new servable, never a mix.
    """

    def __init__(self, model: str, version: int) -> None:
        self.model = model
        self.status = VersionStatus(version, ModelState.START)
        self.loaded: LoadedModel | None = None
        self.servable: Servable | None = None
        self.storage: Storage | None = None  # where the served files came from (to release them)

    @property
    def version(self) -> int:
        return self.status.version

    @property
    def state(self) -> ModelState:
        return self.status.state

    @property
    def failed(self) -> bool:
        """Whether the last load failed (OVMS: LOADING with error UNKNOWN)."""
        return self.status.state is ModelState.LOADING and self.status.error_code is not ErrorCode.OK

    @property
    def loading(self) -> bool:
        """Whether a load is in progress (requests for it may wait)."""
        return self.status.state in (ModelState.START, ModelState.LOADING) and not self.failed

    def set_state(self, state: ModelState, error: ErrorCode = ErrorCode.OK, detail: str = "") -> None:
        self.status = transition(self.model, self.status, state, error, detail)

    def serve(self, loaded: LoadedModel, scheduler: Scheduler, storage: Storage) -> Servable | None:
        """Make ``loaded`` (fetched from ``storage``) the served model; returns the replaced servable."""
        previous = self.servable
        self.storage = storage
        self.loaded = loaded
        self.servable = Servable(loaded.metadata, scheduler)
        if self.state is not ModelState.AVAILABLE:
            self.set_state(ModelState.AVAILABLE)
        return previous

    def withdraw(self) -> Servable | None:
        """Stop routing requests here (state UNLOADING); returns the servable to drain."""
        previous = self.servable
        self.servable = None
        self.loaded = None
        self.set_state(ModelState.UNLOADING)
        return previous
