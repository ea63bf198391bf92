"""A model folder in an object store, served through a private local download cache.

``RemoteStorage`` implements the ``Storage`` protocol on top of a tiny ``ObjectStore`` interface that
each cloud backend (s3, gs, az, azfs) provides. It owns everything backends share: version discovery,
the 0700 cache, atomic installs (download to a temp folder, then rename), parallel downloads with
progress logs for large models, and fingerprints for change detection.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from ovms.repository.storage import parse_version_dir

log = logging.getLogger(__name__)

MiB = 1024 * 1024
PROGRESS_THRESHOLD = 64 * MiB  # models at least this big log their download progress
PROGRESS_INTERVAL = 5.0  # seconds between progress lines
FILE_WORKERS = 8  # files downloaded at once; big files are also split by the SDKs


@dataclass(frozen=True)
class RemoteFile:
    """One object under a version: ``key`` is the full object name, ``tag`` an ETag or generation."""

    key: str
    size: int
    tag: str


class ObjectStore(Protocol):
    """One backend's view of a bucket/container. Every method may block and must be thread-safe.

    Every failure is raised as ``OSError`` (SDK exceptions wrapped) with a text that names the URL and,
    for a missing bucket or missing/invalid credentials, says so.
    """

    def list_dirs(self, prefix: str) -> list[str]:
        """Names of the immediate sub-folders under ``prefix`` ("" or ending in "/")."""

    def list_files(self, prefix: str) -> list[RemoteFile]:
        """Every object below ``prefix`` (ending in "/"), recursively; folder markers excluded."""

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        """Write ``file`` to the local path ``dest``; ``progress(n)`` is called as bytes arrive."""


class Progress:
    """Thread-safe byte counter that logs a line at most every PROGRESS_INTERVAL seconds."""

    def __init__(self, what: str, total: int, files: int, threshold: int) -> None:
        self._what, self._total, self._files = what, total, files
        self._verbose = total >= threshold
        self._done = 0
        self._lock = threading.Lock()
        self._start = self._last = time.monotonic()

    def add(self, count: int) -> None:
        with self._lock:
            self._done += count
            now = time.monotonic()
            if not self._verbose or now - self._last < PROGRESS_INTERVAL:
                return
            self._last = now
            done = min(self._done, self._total)
        log.info("Downloading %s: %d%% (%.1f of %.1f MiB)", self._what, 100 * done // max(self._total, 1),
                 done / MiB, self._total / MiB)

    def finished(self) -> None:
        seconds = time.monotonic() - self._start
        level = logging.INFO if self._verbose else logging.DEBUG
        log.log(level, "Downloaded %s: %d files, %.1f MiB in %.1f s", self._what, self._files,
                self._total / MiB, seconds)


class RemoteStorage:
    """``Storage`` for ``base_path`` (a URL) whose versions live under ``root`` in ``store``.

    Thread safety: all methods may be called from worker threads at once. ``fetch`` returns
    ``<cache>/<version>``, a complete copy: files are downloaded into a hidden temp folder in the
    cache and renamed into place only when all arrived, so a partial download is never visible. A
    second ``fetch`` of a version downloads again and swaps the copy atomically. ``release`` deletes
    the copy. The cache folder (mode 0700, under $TMPDIR) is removed when this object is collected
    or the process exits.
    """

    def __init__(self, base_path: str, store: ObjectStore, root: str,
                 progress_threshold: int | None = None) -> None:
        self.base_path = base_path
        self._store = store
        self._root = root.strip("/") + "/" if root.strip("/") else ""
        self._threshold = progress_threshold
        self._lock = threading.Lock()
        self._cache_dir: str | None = None

    @property
    def cache_dir(self) -> str:
        """The private download folder, created on first use."""
        with self._lock:
            if self._cache_dir is None:
                self._cache_dir = tempfile.mkdtemp(prefix="ovms-models-")  # mode 0700
                weakref.finalize(self, shutil.rmtree, self._cache_dir, True)
            return self._cache_dir

    def list_versions(self) -> list[int]:
        versions = [v for name in self._store.list_dirs(self._root)
                    if (v := parse_version_dir(name, self.base_path)) is not None]
        if not versions:
            log.warning("No version found for model in path: %s", self.base_path)
        return sorted(versions)

    def fetch(self, version: int) -> str:
        files = self._version_files(version)
        what = f"{self.base_path.rstrip('/')}/{version}"
        partial = tempfile.mkdtemp(prefix=f".partial-{version}-", dir=self.cache_dir)
        try:
            self._download_all(files, self._root + f"{version}/", partial, what)
            return self._install(partial, version)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def release(self, version: int) -> None:
        if self._cache_dir is None:
            return
        final = os.path.join(self._cache_dir, str(version))
        with self._lock:
            if not os.path.exists(final):
                return
            stale = tempfile.mkdtemp(prefix=f".stale-{version}-", dir=self._cache_dir)
            os.rename(final, os.path.join(stale, "old"))
        shutil.rmtree(stale, ignore_errors=True)

    def fingerprint(self, version: int) -> str:
        """A digest of the version's object names, sizes and tags: it changes when any file does."""
        digest = hashlib.sha256()
        for file in self._version_files(version):
            digest.update(f"{file.key}\0{file.size}\0{file.tag}\n".encode())
        return digest.hexdigest()

    def _version_files(self, version: int) -> list[RemoteFile]:
        files = sorted(self._store.list_files(self._root + f"{version}/"), key=lambda f: f.key)
        if not files:
            raise FileNotFoundError(f"Version directory does not exist or is empty: "
                                    f"{self.base_path.rstrip('/')}/{version}")
        return files

    def _download_all(self, files: list[RemoteFile], prefix: str, dest: str, what: str) -> None:
        threshold = PROGRESS_THRESHOLD if self._threshold is None else self._threshold
        progress = Progress(what, sum(f.size for f in files), len(files), threshold)
        targets = [(file, _local_path(dest, file.key[len(prefix):])) for file in files]
        for folder in {os.path.dirname(path) for _, path in targets}:
            os.makedirs(folder, exist_ok=True)
        with ThreadPoolExecutor(min(FILE_WORKERS, len(targets)), thread_name_prefix="download") as pool:
            jobs = [pool.submit(self._store.download, file, path, progress.add) for file, path in targets]
            try:
                for job in jobs:
                    job.result()
            except BaseException:
                for job in jobs:  # the first failure propagates; files not started yet are skipped
                    job.cancel()
                raise
        progress.finished()

    def _install(self, partial: str, version: int) -> str:
        cache = self.cache_dir  # outside the lock: the property takes it too
        final = os.path.join(cache, str(version))
        stale = None
        with self._lock:
            if os.path.exists(final):
                # A reload: move the old copy aside (loaded models keep their open files) and swap.
                stale = tempfile.mkdtemp(prefix=f".stale-{version}-", dir=cache)
                os.rename(final, os.path.join(stale, "old"))
            os.rename(partial, final)
        if stale is not None:
            shutil.rmtree(stale, ignore_errors=True)
        return final


def _local_path(dest: str, relative: str) -> str:
    """``dest``/``relative``; refuses object names that would escape ``dest``."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise OSError(f"Refusing to download object with unsafe name: {relative!r}")
    return os.path.join(dest, *parts)

