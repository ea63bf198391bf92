"""One configured model: its config, its storage and every version it has had."""

from __future__ import annotations

from ovms.errors import Status
from ovms.models.version import ModelVersion, Servable
from ovms.repository.storage import Storage
from ovms.settings import ModelConfig
from ovms.types import ModelState, VersionStatus


class Model:
    """A model of the served configuration; owned and mutated only by the manager (event loop).

    A model removed from the configuration stays known, with its versions in END, so status calls
    still answer for it (as OVMS); the manager neither rescans nor serves it until it comes back.
    """

    def __init__(self, config: ModelConfig, storage: Storage | None) -> None:
        self.config = config
        self.storage = storage
        self.versions: dict[int, ModelVersion] = {}
        # Versions whose last load failed -> fingerprint of their files then ("" if unknown). They
        # are left out of the policy until their files change or a reload is asked for.
        self.failed: dict[int, str] = {}
        self.removed = False
        self.listing = True  # versions not listed yet: requests for the default version may wait

    @property
    def name(self) -> str:
        return self.config.name

    def default(self) -> ModelVersion | None:
        """The highest AVAILABLE version (OVMS's default version)."""
        available = [v for v in self.versions.values() if v.state is ModelState.AVAILABLE]
        return max(available, key=lambda v: v.version, default=None)

    def loading(self) -> bool:
        """Whether a version may still become available soon (listing or loading)."""
        return self.listing or any(v.loading for v in self.versions.values())

    def statuses(self) -> list[VersionStatus]:
        return [self.versions[v].status for v in sorted(self.versions)]

    def version(self, number: int) -> ModelVersion:
        """The version ``number``, created in state START on first use."""
        return self.versions.setdefault(number, ModelVersion(self.name, number))

    def lookup(self, number: int) -> tuple[Servable | None, Status, bool]:
        """The servable for ``number`` (0 = default) or, when there is none, why not and whether
        waiting may help (a load is in progress); the status is meaningless with a servable."""
        if number == 0:
            chosen = self.default()
            if chosen is None:
                loading = self.loading()
                return None, Status.MODEL_VERSION_NOT_LOADED_YET if loading else Status.MODEL_VERSION_MISSING, loading
        else:
            chosen = self.versions.get(number)
            if chosen is None:
                return None, Status.MODEL_VERSION_MISSING, False
        if chosen.servable is not None:
            return chosen.servable, Status.MODEL_VERSION_MISSING, False
        if chosen.state in (ModelState.UNLOADING, ModelState.END):
            return None, Status.MODEL_VERSION_NOT_LOADED_ANYMORE, False
        return None, Status.MODEL_VERSION_NOT_LOADED_YET, chosen.loading
