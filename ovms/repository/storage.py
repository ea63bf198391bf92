"""Storage backends behind one interface: list versions, fetch a version locally, release it.

The rest of the daemon cannot tell local from remote: it only sees version numbers and local
folders. Local paths (which also cover NFS mounts) are served in place; ``s3://``, ``gs://``,
``az://`` and ``azfs://`` URLs are downloaded to a private cache (see ``remote.py`` and one module
per cloud).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger(__name__)
REMOTE_SCHEMES = ("s3://", "gs://", "az://", "azfs://")


class Storage(Protocol):
    """Where one model's versions live.

    Methods block (call them off the event loop) and are thread-safe. Every failure of the
    underlying store (unreachable, missing bucket, bad credentials) is raised as ``OSError`` with a
    text naming the path and the fix, never as an SDK exception, so a failing poll never takes
    served versions down. Construction (``open_storage``) does no I/O.
    """

    base_path: str

    def list_versions(self) -> list[int]:
        """Numeric version folders (> 0) present now, sorted; raises OSError when the store fails.

        An empty list means the store answered and holds no versions (never used for a failure).
        """

    def fetch(self, version: int) -> str:
        """A local folder holding ``version``'s files, complete (never a partial download).

        Raises OSError (FileNotFoundError when the version is missing or empty). Fetching a
        version again refreshes its local copy.
        """

    def release(self, version: int) -> None:
        """Forget the local copy of ``version`` (no-op for local storage); never raises."""

    def fingerprint(self, version: int) -> str:
        """A digest of ``version``'s file names, sizes and change tags (mtime, ETag, generation).

        It changes when a file of the version is added, removed or rewritten; raises OSError like
        ``fetch``. The manager uses it to retry a failed version once its files change; like OVMS,
        it does not reload a version that is being served when its files change.
        """


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

    def fingerprint(self, version: int) -> str:
        folder = self.fetch(version)
        digest = hashlib.sha256()
        for parent, dirs, files in sorted(os.walk(folder)):
            dirs.sort()
            for name in sorted(files):
                stat = os.stat(os.path.join(parent, name))
                relative = os.path.relpath(os.path.join(parent, name), folder)
                digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()


def open_storage(base_path: str, env: Mapping[str, str] | None = None) -> Storage:
    """The backend for ``base_path``: a local folder, or a cloud store by its URL scheme.

    Cheap and without I/O (cloud SDKs are imported and connected on first use, in worker threads).
    ``env`` (default: ``os.environ``) supplies endpoints and credentials. Raises ConfigError for a
    malformed URL or missing/contradictory settings.
    """
    if not base_path.startswith(REMOTE_SCHEMES):
        return LocalStorage(base_path)
    env = os.environ if env is None else env
    scheme = base_path.split("://", 1)[0]
    if scheme == "s3":
        from ovms.repository.s3 import open_s3

        return open_s3(base_path, env)
    if scheme == "gs":
        from ovms.repository.gcs import open_gcs

        return open_gcs(base_path, env)
    from ovms.repository.azure import open_azure

    return open_azure(base_path, env)
