"""The model manager: owns what is served, following the aspired versions of each model.

Like TF Serving's aspired-versions manager: for every model the repository reports the versions
present; the version policy picks the aspired ones; the manager loads new versions *before* it
retires old ones (no gap in service) and retires a version only after its in-flight requests have
finished. A version that fails to load is remembered and excluded, so ``latest`` falls back to the
next older version. All methods run on the event loop; blocking work goes to threads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import openvino as ov

from ovms.errors import ConfigError, OvmsError, Status
from ovms.models.changes import Changes
from ovms.models.loader import LoadedModel, load_model
from ovms.models.model import Model
from ovms.models.version import ModelVersion, Servable
from ovms.repository.modelfiles import find_model_files
from ovms.repository.storage import Storage, open_storage
from ovms.scheduler.observer import NOOP_VERSIONS, VersionObserver
from ovms.scheduler.pool import InferPool
from ovms.scheduler.scheduler import DEFAULT_MAX_QUEUE, NO_BATCHING, Scheduler
from ovms.settings import ModelConfig
from ovms.types import ErrorCode, ModelState

log = logging.getLogger(__name__)
WAIT_FOR_LOADED_SECONDS = 10.0  # OVMS's DEFAULT_WAIT_FOR_MODEL_LOADED_TIMEOUT_MS


class ModelManager:
    """Loads, serves, reloads and retires model versions."""

    def __init__(self, core: ov.Core, *, max_queue: int = DEFAULT_MAX_QUEUE,
                 wait_for_loaded: float = WAIT_FOR_LOADED_SECONDS, observer: VersionObserver = NOOP_VERSIONS) -> None:
        self._core = core
        self._observer = observer
        self._max_queue = max_queue
        self._wait_for_loaded = wait_for_loaded
        self.models: dict[str, Model] = {}
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._drains: set[asyncio.Task[None]] = set()  # strong refs: the loop keeps only weak ones
        self._changes = Changes()  # what the apply/rescan in progress (under the lock) changed

    async def apply(self, configs: Sequence[ModelConfig]) -> Changes:
        """Make ``configs`` the served set: add new models, reload changed ones, retire removed ones.

        Returns what changed (truthy when anything did). Models are reconciled concurrently; a model
        that fails does not hold up the others. Versions that failed to load are tried again.
        """
        async with self._lock:
            self._changes = Changes()
            await self._retire_removed({c.name for c in configs})
            reload = {c.name for c in configs if self._upsert(c)}
            for config in configs:
                self.models[config.name].failed.clear()
            await asyncio.gather(*(self._reconcile(self.models[c.name], c.name in reload) for c in configs))
            return self._changes

    async def rescan(self, retry_failed: bool = False) -> Changes:
        """Re-list the versions of every configured model and apply its policy; returns what changed.

        A version that failed to load is tried again when its files have changed since, or always
        with ``retry_failed`` (an explicit reload request, as OVMS does on every reload).
        """
        async with self._lock:
            self._changes = Changes()
            models = [m for m in self.models.values() if not m.removed]
            for model in models if retry_failed else ():
                model.failed.clear()
            await asyncio.gather(*(self._reconcile(m, False) for m in models))
            return self._changes

    async def servable(self, name: str, version: int, missing: Status = Status.MODEL_NAME_MISSING) -> Servable:
        """The servable for ``version`` (0 = default) of ``name``, waiting (bounded) while loading."""
        deadline = time.monotonic() + self._wait_for_loaded
        while True:
            event = self._changed
            model = self.models.get(name)
            if model is None:
                raise OvmsError(missing)
            servable, error, waitable = model.lookup(version)
            if servable is not None:
                return servable
            remaining = deadline - time.monotonic()
            if not waitable or remaining <= 0:
                raise OvmsError(error)
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def model(self, name: str) -> Model:
        """The configured model ``name``; raises MODEL_NAME_MISSING."""
        model = self.models.get(name)
        if model is None:
            raise OvmsError(Status.MODEL_NAME_MISSING)
        return model

    async def shutdown(self) -> None:
        """Retire every version, waiting for in-flight requests."""
        async with self._lock:
            self._changes = Changes()
            await self._retire_removed(set())
        await asyncio.gather(*self._drains)

    def _upsert(self, config: ModelConfig) -> bool:
        """Add a new (or returning) model or take a changed config; True when its versions must reload."""
        model = self.models.get(config.name)
        if model is not None and model.config == config and not model.removed:
            return False
        try:
            storage = open_storage(config.base_path)
        except ConfigError as err:
            log.error("Model %s: %s", config.name, err)
            storage = None
        if model is None:
            self.models[config.name] = Model(config, storage)
            self._changes.added.append(config.name)
            return False
        if model.removed:  # back in the config: keeps its version history (END entries)
            model.config, model.storage, model.removed, model.listing = config, storage, False, True
            model.failed.clear()
            self._changes.added.append(config.name)
            return False
        log.info("Model %s: configuration changed, reloading all its versions", config.name)
        model.config, model.storage = config, storage
        model.failed.clear()
        self._changes.reloaded.append(config.name)
        return True

    async def _retire_removed(self, keep: set[str]) -> None:
        gone = [m for m in self.models.values() if m.name not in keep and not m.removed]
        for model in gone:
            model.removed, model.listing = True, False
            self._changes.removed.append(model.name)
        doomed = [(m, v) for m in gone for v in m.versions.values()
                  if v.state in (ModelState.AVAILABLE, ModelState.LOADING, ModelState.START)]
        await asyncio.gather(*(self._retire(m, v) for m, v in doomed))

    async def _reconcile(self, model: Model, reload: bool) -> None:
        """Load the aspired versions (all of them when ``reload``), then retire the others."""
        try:
            if model.storage is None:
                self._changes.unlisted.append(model.name)
            else:
                await self._follow(model, model.storage, reload)
        finally:
            if model.listing:
                model.listing = False
                self._notify()

    async def _follow(self, model: Model, storage: Storage, reload: bool) -> None:
        try:
            present = await asyncio.to_thread(storage.list_versions)
        except OSError as err:
            log.error("Model %s: cannot list versions, keeping what is served: %s", model.name, err)
            self._changes.unlisted.append(model.name)
            return
        self._forget_missing(model, set(present))
        await self._retry_changed(model, storage)
        done: set[int] = set()
        while True:  # a failed load leaves the policy to pick again (latest: the next older one)
            aspired = model.config.version_policy.select([v for v in present if v not in model.failed])
            todo = [v for v in aspired if v not in done and (reload or not self._serving(model, v))]
            if not todo:
                break
            done.update(todo)
            await asyncio.gather(*(self._load(model, v) for v in todo))
        # Only now, with every replacement AVAILABLE (or failed), do the others stop serving.
        stale = [v for v in model.versions.values() if v.version not in aspired and v.servable is not None]
        await asyncio.gather(*(self._retire(model, v) for v in stale))

    def _serving(self, model: Model, version: int) -> bool:
        current = model.versions.get(version)
        return current is not None and current.state is ModelState.AVAILABLE

    def _forget_missing(self, model: Model, present: set[int]) -> None:
        """Failed versions whose folder is gone end; they load again if the folder returns."""
        for version in model.versions.values():
            if version.failed and version.version not in present:
                version.set_state(ModelState.END)
                self._changes.retired.append(f"{model.name}/{version.version}")
        for number in set(model.failed) - present:
            del model.failed[number]

    async def _retry_changed(self, model: Model, storage: Storage) -> None:
        """Forget the failure of versions whose files changed since (e.g. a copy that completed)."""
        for number, before in list(model.failed.items()):
            now = await asyncio.to_thread(_fingerprint, storage, number)
            if now != before:
                log.info("Model %s version %d: files changed since the failed load, loading it again", model.name, number)
                del model.failed[number]

    async def _load(self, model: Model, number: int) -> None:
        version = model.version(number)
        if version.state is not ModelState.AVAILABLE:
            version.set_state(ModelState.LOADING)
            self._notify()
        storage = model.storage
        assert storage is not None
        # Taken before loading: files that change during the load make the failure worth a retry.
        fingerprint = await asyncio.to_thread(_fingerprint, storage, number)
        try:
            loaded = await asyncio.to_thread(self._load_blocking, storage, model.config, number)
        except Exception as err:  # noqa: BLE001 - any loader failure is a per-version status, never a crash
            if not self._load_failed(model, version, err):
                model.failed[number] = fingerprint
            return
        old_storage = version.storage
        scheduler = self._scheduler(model.config, loaded)
        previous = version.serve(loaded, scheduler, storage)
        log.info("Model %s version %d loaded: nireq %d, streams %d", model.name, number, loaded.nireq, loaded.streams)
        self._changes.loaded.append(f"{model.name}/{number}")
        self._notify()
        if previous is not None:
            release = old_storage if old_storage is not storage else None
            task = asyncio.ensure_future(self._drain(previous, release, number))
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)

    def _scheduler(self, config: ModelConfig, loaded: LoadedModel) -> Scheduler:
        meta = loaded.metadata
        axes = {i: s.batch_index for i, s in enumerate(meta.inputs) if s.batch_index is not None}
        return Scheduler(
            InferPool(loaded.compiled, loaded.nireq),
            self._max_queue if config.max_queue_size is None else config.max_queue_size,
            observer=self._observer.loaded(meta.name, meta.version, loaded.nireq, loaded.streams),
            batching=config.batching or NO_BATCHING, batch_axes=axes,
        )

    async def _drain(self, previous: Servable, storage: Storage | None, number: int) -> None:
        """Finish the replaced servable's requests; drop its files if they came from another store."""
        await previous.scheduler.stop()
        if storage is not None:
            await asyncio.to_thread(storage.release, number)

    def _load_failed(self, model: Model, version: ModelVersion, err: Exception) -> bool:
        """Log and record a failed load; True when the previous load of the version keeps serving."""
        detail = str(err) or type(err).__name__
        self._changes.failed.append(f"{model.name}/{version.version}")
        if version.state is ModelState.AVAILABLE:
            log.error("Model %s version %d: reload failed, keeps serving the previous load: %s",
                      model.name, version.version, detail)
            return True
        log.error("Model %s version %d failed to load: %s", model.name, version.version, detail)
        version.set_state(ModelState.LOADING, ErrorCode.UNKNOWN, detail)
        self._notify()
        return False

    def _load_blocking(self, storage: Storage, config: ModelConfig, number: int) -> LoadedModel:
        folder = storage.fetch(number)
        return load_model(self._core, find_model_files(folder), config, number)

    async def _retire(self, model: Model, version: ModelVersion) -> None:
        previous = version.withdraw()
        self._notify()
        if previous is not None:
            await previous.scheduler.stop()
        version.set_state(ModelState.END)
        self._changes.retired.append(f"{model.name}/{version.version}")
        self._observer.retired(model.name, version.version)
        if version.storage is not None:
            await asyncio.to_thread(version.storage.release, version.version)
            version.storage = None
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def _fingerprint(storage: Storage, number: int) -> str:
    try:
        return storage.fingerprint(number)
    except OSError:
        return ""
