"""Where the desired model list comes from: config.json (polled by content hash) or the CLI.

``reload()`` is the single path used at start-up, by the poll loop and by the reload APIs.
"""

from __future__ import annotations

import asyncio
import logging

from ovms.config_file import ConfigFile, read_config_file
from ovms.errors import ConfigError, OvmsError, Status
from ovms.models.changes import Changes
from ovms.models.manager import ModelManager
from ovms.settings import ModelConfig

log = logging.getLogger(__name__)
READ_ATTEMPTS = 3  # OVMS retries a config read 3 times, 10 ms apart
READ_RETRY_DELAY = 0.01


class ConfigSource:
    """Feeds the manager from a config file (``path``) or a fixed single-model config."""

    def __init__(self, manager: ModelManager, path: str | None, single: ModelConfig | None = None) -> None:
        self._manager = manager
        self._path = path
        self._single = single
        self._digest: str | None = None
        self._failed = False

    async def initial(self, config: ConfigFile | None) -> None:
        """Serve the start-up configuration (already validated by the CLI)."""
        if config is not None:
            self._digest = config.digest
            _log_skipped(config)
            changes = await self._manager.apply(config.models)
        elif self._single is not None:
            changes = await self._manager.apply([self._single])
        else:
            return
        log.info("Initial configuration: %s", changes.describe())

    async def reload(self, quiet: bool = False) -> bool:
        """Apply config.json if its content changed, then rescan every model's versions.

        Returns True when anything was (re)loaded or retired, and logs one line saying what (with
        ``quiet``, as the poll loop asks, only when something changed). Without ``quiet`` (an
        explicit reload request) it also does what OVMS's reload API does: it applies the file again
        when the last attempt failed, tries failed versions again, and raises OvmsError
        CONFIG_RELOAD_FAILED (the file was applied but a model of it failed) or MODEL_RELOAD_FAILED
        (a version or repository failed) after applying what could be applied. An unreadable or
        invalid file raises CONFIG_FILE_INVALID / CONFIG_RELOAD_FAILED and changes nothing.
        """
        changes, applied = Changes(), False
        if self._path is not None:
            config = await self._read()
            if config.digest != self._digest or (self._failed and not quiet):
                log.info("Configuration file %s changed, applying it", self._path)
                _log_skipped(config)
                changes = await self._manager.apply(config.models)
                failed = changes.problems or bool(config.skipped)
                self._digest, applied, self._failed = config.digest, True, failed
        changes.merge(await self._manager.rescan(retry_failed=not quiet and not applied))
        if changes or not quiet:
            log.info("Configuration reload: %s", changes.describe())
        if (changes.problems or (applied and self._failed)) and not quiet:
            raise OvmsError(Status.CONFIG_RELOAD_FAILED if applied else Status.MODEL_RELOAD_FAILED)
        return bool(changes)

    async def poll(self, interval: float) -> None:
        """Reload every ``interval`` seconds until cancelled; errors are logged, never raised."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload(quiet=True)
            except OvmsError as err:
                log.error("Configuration reload skipped: %s", err.details or err)

    async def _read(self) -> ConfigFile:
        assert self._path is not None
        for attempt in range(READ_ATTEMPTS):
            try:
                return await asyncio.to_thread(read_config_file, self._path)
            except ConfigError as err:
                if attempt + 1 == READ_ATTEMPTS:
                    self._failed = True
                    log.error("Configuration file %s is invalid, nothing changed: %s", self._path, err)
                    status = Status.CONFIG_FILE_INVALID if "cannot open" in str(err) else Status.CONFIG_RELOAD_FAILED
                    raise OvmsError(status) from None
                await asyncio.sleep(READ_RETRY_DELAY)
        raise AssertionError("unreachable")


def _log_skipped(config: ConfigFile) -> None:
    for message in config.skipped:
        log.error("Model entry skipped, the other models are served: %s", message)
