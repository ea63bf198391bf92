"""Google Cloud Storage: ``gs://bucket/path``.

Credentials follow OVMS: ``GOOGLE_APPLICATION_CREDENTIALS`` (a service-account key file), otherwise
anonymous (public buckets). ``STORAGE_EMULATOR_HOST`` (e.g. fake-gcs-server) replaces Google's
endpoint. Requests time out after seconds, not minutes, so a poll of a dead store fails quickly.
google-cloud-storage is imported on first use, in a worker thread.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ovms.errors import ConfigError
from ovms.repository.remote import RemoteFile, RemoteStorage

if TYPE_CHECKING:
    from google.cloud.storage import Bucket

URL = re.compile(r"^gs://([0-9a-z._-]+)(/.*)?$")
TIMEOUT = (5.0, 60.0)  # connect, read (seconds)
RETRY_SECONDS = 5.0
CHUNK = 16 * 1024 * 1024  # files above 4 chunks are fetched as ranges in parallel
CHUNK_WORKERS = 4
CREDENTIALS_HINT = "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file with read and list rights"


class GcsStore:
    """``ObjectStore`` over one bucket. The client is built once, lazily, and shared."""

    def __init__(self, url: str, bucket: str, env: Mapping[str, str]) -> None:
        self._url, self._bucket_name = url, bucket
        self._key_file = env.get("GOOGLE_APPLICATION_CREDENTIALS") or None
        self._emulator = env.get("STORAGE_EMULATOR_HOST") or None
        self._lock = threading.Lock()
        self._bucket: Bucket | None = None
        if self._key_file is not None and not os.path.isfile(self._key_file):
            raise ConfigError(f"{url}: GOOGLE_APPLICATION_CREDENTIALS file {self._key_file} does not exist")

    def list_dirs(self, prefix: str) -> list[str]:
        with self._errors(listing=True):
            blobs = self._get_bucket().list_blobs(prefix=prefix, delimiter="/", **self._call_options())
            for _ in blobs:  # the prefixes are collected while the pages are read
                pass
            return [p[len(prefix):].rstrip("/") for p in sorted(blobs.prefixes)]

    def list_files(self, prefix: str) -> list[RemoteFile]:
        with self._errors(listing=True):
            blobs = self._get_bucket().list_blobs(prefix=prefix, **self._call_options())
            return [RemoteFile(b.name, int(b.size or 0), str(b.generation))
                    for b in blobs if not b.name.endswith("/")]

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        with self._errors(listing=False):
            blob = self._get_bucket().blob(file.key, generation=int(file.tag) if file.tag.isdigit() else None)
            if file.size <= 4 * CHUNK:
                blob.download_to_filename(dest, **self._call_options())
                progress(file.size)
                return
            with open(dest, "wb") as handle:
                handle.truncate(file.size)
            with ThreadPoolExecutor(CHUNK_WORKERS, thread_name_prefix="gcs-chunk") as pool:
                jobs = [pool.submit(self._chunk, blob, dest, start, min(start + CHUNK, file.size), progress)
                        for start in range(0, file.size, CHUNK)]
                for job in jobs:
                    job.result()

    def _chunk(self, blob: Any, dest: str, start: int, end: int, progress: Callable[[int], None]) -> None:
        data = blob.download_as_bytes(start=start, end=end - 1, checksum=None, **self._call_options())
        if len(data) != end - start:
            raise OSError(f"{self._url}: short read of {blob.name} at {start}: {len(data)} of {end - start} bytes")
        fd = os.open(dest, os.O_WRONLY)
        try:
            os.pwrite(fd, data, start)
        finally:
            os.close(fd)
        progress(len(data))

    def _call_options(self) -> dict[str, Any]:
        from google.cloud.storage.retry import DEFAULT_RETRY

        return {"timeout": TIMEOUT, "retry": DEFAULT_RETRY.with_timeout(RETRY_SECONDS)}

    def _get_bucket(self) -> Bucket:
        with self._lock:
            if self._bucket is None:
                self._bucket = self._make_client().bucket(self._bucket_name)
            return self._bucket

    def _make_client(self) -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        options = {"api_endpoint": self._emulator} if self._emulator else None
        if self._key_file is not None:
            return storage.Client.from_service_account_json(self._key_file, client_options=options)
        return storage.Client(project="<none>", credentials=AnonymousCredentials(), client_options=options)

    @contextmanager
    def _errors(self, listing: bool) -> Iterator[None]:
        """Re-raise google-cloud-storage failures as OSError with a text that says what to fix."""
        import requests
        from google.api_core import exceptions as api
        from google.auth.exceptions import GoogleAuthError

        try:
            yield
        except api.NotFound as err:
            what = f"bucket '{self._bucket_name}' does not exist" if listing else f"object not found: {err.message}"
            raise OSError(f"{self._url}: {what}") from err
        except (api.Forbidden, api.Unauthorized, GoogleAuthError) as err:
            raise OSError(f"{self._url}: access denied ({_text(err)}); {CREDENTIALS_HINT}") from err
        except api.RetryError as err:
            raise OSError(f"{self._url}: cannot reach Google Cloud Storage: {err.cause or err}") from err
        except api.GoogleAPIError as err:
            raise OSError(f"{self._url}: GCS request failed: {_text(err)}") from err
        except requests.RequestException as err:
            raise OSError(f"{self._url}: cannot reach Google Cloud Storage: {err}") from err
        except ValueError as err:  # a malformed key file, a bad emulator address
            raise OSError(f"{self._url}: GCS client error: {err}") from err


def _text(err: Exception) -> str:
    return str(getattr(err, "message", "") or err)


def open_gcs(url: str, env: Mapping[str, str]) -> RemoteStorage:
    """The ``Storage`` for a ``gs://`` URL; cheap (no network, no SDK import)."""
    match = URL.match(url)
    if match is None:
        raise ConfigError(f"Invalid GCS path {url}: expected gs://bucket/path")
    bucket, root = match.groups()
    return RemoteStorage(url, GcsStore(url, bucket, env), (root or "").strip("/"))
