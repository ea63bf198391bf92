"""Storage backends behind one interface: list versions, fetch a version locally, release it.

The rest of the daemon cannot tell local from remote: it only sees version numbers and local
folders. Local paths (which also cover NFS mounts) are served in place.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

from ovms.errors import ConfigError

log = logging.getLogger(__name__)
REMOTE_SCHEMES = ("s3://", "gs://", "az://", "azfs://")


class Storage(Protocol):
    """Where one model's versions live. Methods block (call them off the event loop)."""

    base_path: str

    def list_versions(self) -> list[int]:
        """Numeric version folders (> 0) present now; raises OSError when the store fails."""

    def fetch(self, version: int) -> str:
        """A local folder holding ``version``'s files, complete (never a partial download)."""

    def release(self, version: int) -> None:
        """Forget the local copy of ``version`` (no-op for local storage)."""


def parse_version_dir(name: str, model_path: str) -> int | None:
    """The version number of a folder name, or None (with OVMS's warnings) when it is not one."""
    try:
        version = int(name)
    except ValueError:
        log.warning("Expected version directory name to be in number format. Got: %s in %s", name, model_path)
        return None
    if version <= 0:
        log.warning("Expected version directory name to be a number greater than 0. Got: %s in %s", name, model_path)
        return None
    return version


class LocalStorage:
    """A model folder on a local or network-mounted file system."""

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path

    def list_versions(self) -> list[int]:
        versions = []
        with os.scandir(self.base_path) as entries:
            for entry in entries:
                if entry.is_dir():
                    version = parse_version_dir(entry.name, self.base_path)
                    if version is not None:
                        versions.append(version)
        if not versions:
            log.warning("No version found for model in path: %s", self.base_path)
        return sorted(versions)

    def fetch(self, version: int) -> str:
        path = os.path.join(self.base_path, str(version))
        if not os.path.isdir(path):
            raise FileNotFoundError(f"Version directory does not exist: {path}")
        return path

    def release(self, version: int) -> None:
        return None


def open_storage(base_path: str) -> Storage:
    """The backend for ``base_path``: a local folder, or a cloud store by its URL scheme."""
    if base_path.startswith(REMOTE_SCHEMES):
        scheme = base_path.split("://", 1)[0]
        raise ConfigError(f"base_path {base_path}: {scheme}:// repositories are not supported yet")
    return LocalStorage(base_path)
