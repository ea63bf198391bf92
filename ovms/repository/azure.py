"""Azure Storage: ``az://container/path`` (Blob service) and ``azfs://share/path`` (Azure Files).

Both take ``AZURE_STORAGE_CONNECTION_STRING`` (the account, its key or SAS, and its endpoints; the
development-storage string works with Azurite). Requests time out after seconds and retry twice, so a
poll of a dead store fails quickly. The Azure SDKs are imported on first use, in a worker thread.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from ovms.errors import ConfigError
from ovms.repository.remote import RemoteFile, RemoteStorage

URL = re.compile(r"^(az|azfs)://([0-9a-z-]+)(/.*)?$")
CLIENT_OPTIONS = {"connection_timeout": 5, "read_timeout": 60}
SINGLE_GET = 32 * 1024 * 1024  # files above this are fetched in CHUNK_GET ranges, MAX_CONCURRENCY at once
CHUNK_GET = 4 * 1024 * 1024
MAX_CONCURRENCY = 4
HTTP_LOGGER = "azure.core.pipeline.policies.http_logging_policy"
CREDENTIALS_HINT = "check AZURE_STORAGE_CONNECTION_STRING (account name, key or SAS, endpoints)"


class _AzureStore:
    """What the Blob and Files stores share: the lazy client and the error translation."""

    kind: Literal["container", "share"]

    def __init__(self, url: str, name: str, connection_string: str) -> None:
        self._url, self._name, self._conn = url, name, connection_string
        self._lock = threading.Lock()
        self._client: Any = None

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                # The SDK logs every HTTP request and response at INFO: far too loud for polling.
                logging.getLogger(HTTP_LOGGER).setLevel(logging.WARNING)
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def _options(retry_class: Any) -> dict[str, Any]:
        """Short timeouts and two quick retries (the SDK default backs off for over a minute)."""
        retry = retry_class(initial_backoff=1, increment_base=1, retry_total=2, random_jitter_range=0.5)
        sizes = {"max_single_get_size": SINGLE_GET, "max_chunk_get_size": CHUNK_GET}
        return {**CLIENT_OPTIONS, **sizes, "retry_policy": retry}

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Re-raise Azure SDK failures as OSError with a text that says what to fix."""
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        try:
            yield
        except ResourceNotFoundError as err:
            code = str(getattr(err, "error_code", "") or "")
            if code in ("ContainerNotFound", "ShareNotFound"):
                raise OSError(f"{self._url}: {self.kind} '{self._name}' does not exist") from err
            raise OSError(f"{self._url}: not found ({code or err.reason})") from err
        except ClientAuthenticationError as err:
            raise OSError(f"{self._url}: access denied; {CREDENTIALS_HINT}") from err
        except HttpResponseError as err:
            if err.status_code == 403:
                raise OSError(f"{self._url}: access denied ({getattr(err, 'error_code', 403)}); {CREDENTIALS_HINT}") from err
            raise OSError(f"{self._url}: Azure request failed: {err.reason or err}") from err
        except ServiceRequestError as err:
            raise OSError(f"{self._url}: cannot reach Azure Storage: {err.message}") from err
        except AzureError as err:
            raise OSError(f"{self._url}: Azure request failed: {err.message}") from err
        except ValueError as err:  # a malformed connection string
            raise OSError(f"{self._url}: invalid Azure connection string: {err}; {CREDENTIALS_HINT}") from err


def _hook(progress: Callable[[int], None]) -> Callable[[int, int | None], None]:
    """An SDK ``progress_hook`` (cumulative bytes) that feeds ``progress`` increments."""
    seen = [0]

    def hook(current: int, _total: int | None) -> None:
        progress(current - seen[0])
        seen[0] = current

    return hook


class BlobStore(_AzureStore):
    """``ObjectStore`` over one Blob container."""

    kind = "container"

    def _make_client(self) -> Any:
        from azure.storage.blob import ContainerClient, ExponentialRetry

        return ContainerClient.from_connection_string(self._conn, self._name, **self._options(ExponentialRetry))

    def list_dirs(self, prefix: str) -> list[str]:
        with self._errors():
            items = self._get_client().walk_blobs(name_starts_with=prefix or None, delimiter="/")
            return [i.name[len(prefix):].rstrip("/") for i in items if i.name.endswith("/")]

    def list_files(self, prefix: str) -> list[RemoteFile]:
        with self._errors():
            items = self._get_client().list_blobs(name_starts_with=prefix)
            return [RemoteFile(b.name, int(b.size), str(b.etag).strip('"')) for b in items if not b.name.endswith("/")]

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        with self._errors():
            stream = self._get_client().download_blob(file.key, max_concurrency=MAX_CONCURRENCY,
                                                      progress_hook=_hook(progress))
            with open(dest, "wb") as handle:
                stream.readinto(handle)


class FileShareStore(_AzureStore):
    """``ObjectStore`` over one Azure Files share; "folders" are real directories there."""

    kind = "share"

    def _make_client(self) -> Any:
        from azure.storage.fileshare import ExponentialRetry, ShareClient

        return ShareClient.from_connection_string(self._conn, self._name, **self._options(ExponentialRetry))

    def list_dirs(self, prefix: str) -> list[str]:
        with self._errors():
            return [i.name for i in self._entries(prefix) if i.is_directory]

    def list_files(self, prefix: str) -> list[RemoteFile]:
        with self._errors():
            return list(self._walk(prefix))

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        with self._errors():
            client = self._get_client().get_file_client(file.key)
            stream = client.download_file(max_concurrency=MAX_CONCURRENCY, progress_hook=_hook(progress))
            with open(dest, "wb") as handle:
                stream.readinto(handle)

    def _entries(self, prefix: str) -> Any:
        directory = self._get_client().get_directory_client(prefix.rstrip("/") or None)
        return directory.list_directories_and_files()

    def _walk(self, prefix: str) -> Iterator[RemoteFile]:
        for item in self._entries(prefix):
            if item.is_directory:
                yield from self._walk(f"{prefix}{item.name}/")
            else:
                yield RemoteFile(prefix + item.name, int(item.size), str(getattr(item, "etag", "") or ""))


def open_azure(url: str, env: Mapping[str, str]) -> RemoteStorage:
    """The ``Storage`` for an ``az://`` or ``azfs://`` URL; cheap (no network, no SDK import)."""
    match = URL.match(url)
    if match is None:
        raise ConfigError(f"Invalid Azure path {url}: expected az://container/path or azfs://share/path")
    scheme, name, root = match.groups()
    conn = env.get("AZURE_STORAGE_CONNECTION_STRING") or ""
    if not conn:
        raise ConfigError(f"{url}: AZURE_STORAGE_CONNECTION_STRING is not set; it names the storage account "
                          "and its credentials")
    store = BlobStore(url, name, conn) if scheme == "az" else FileShareStore(url, name, conn)
    return RemoteStorage(url, store, (root or "").strip("/"))
