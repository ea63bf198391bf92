"""RemoteStorage's cache with an in-memory store, URL parsing, and failures that need no server."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ovms.errors import ConfigError
from ovms.repository.remote import RemoteFile, RemoteStorage
from ovms.repository.s3 import parse_s3_url
from ovms.repository.storage import LocalStorage, open_storage
from tests.repository.servers import free_port


class MemoryStore:
    """An ``ObjectStore`` over a dict; ``fail_on`` makes downloads of that key raise."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.fail_on: str | None = None
        self.delay = 0.0

    def list_dirs(self, prefix: str) -> list[str]:
        return sorted({k[len(prefix):].split("/")[0] for k in self.objects if k.startswith(prefix) and
                       "/" in k[len(prefix):]})

    def list_files(self, prefix: str) -> list[RemoteFile]:
        return [RemoteFile(k, len(v), str(hash(v))) for k, v in self.objects.items() if k.startswith(prefix)]

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        time.sleep(self.delay)
        if file.key == self.fail_on:
            raise OSError(f"connection reset while reading {file.key}")
        Path(dest).write_bytes(self.objects[file.key])
        progress(file.size)


def objects(*versions: int) -> dict[str, bytes]:
    found = {}
    for v in versions:
        found |= {f"m/{v}/model.xml": b"<xml/>" * v, f"m/{v}/model.bin": b"\0" * v, f"m/{v}/sub/x.txt": b"x"}
    return found


def test_failed_download_leaves_nothing_behind():
    store = MemoryStore(objects(1))
    storage = RemoteStorage("mem://m", store, "m")
    store.fail_on = "m/1/sub/x.txt"
    with pytest.raises(OSError, match="connection reset"):
        storage.fetch(1)
    assert os.listdir(storage.cache_dir) == []
    store.fail_on = None
    assert sorted(os.listdir(storage.fetch(1))) == ["model.bin", "model.xml", "sub"]


def test_failed_refetch_keeps_the_previous_copy():
    store = MemoryStore(objects(1))
    storage = RemoteStorage("mem://m", store, "m")
    folder = storage.fetch(1)
    store.fail_on = "m/1/model.bin"
    with pytest.raises(OSError):
        storage.fetch(1)
    assert Path(folder, "model.bin").read_bytes() == b"\0"


def test_partial_download_is_never_visible():
    store = MemoryStore(objects(3))
    store.delay = 0.2
    storage = RemoteStorage("mem://m", store, "m")
    final = os.path.join(storage.cache_dir, "3")
    snapshots: list[list[str]] = []
    worker = threading.Thread(target=storage.fetch, args=(3,))
    worker.start()
    while worker.is_alive():
        if os.path.exists(final):  # once visible, the version must be complete
            snapshots.append(sorted(str(p.relative_to(final)) for p in Path(final).rglob("*")))
        time.sleep(0.01)
    worker.join()
    complete = ["model.bin", "model.xml", "sub", "sub/x.txt"]
    assert all(snapshot == complete for snapshot in snapshots)
    assert sorted(str(p.relative_to(final)) for p in Path(final).rglob("*")) == complete


def test_unsafe_object_names_are_refused():
    storage = RemoteStorage("mem://m", MemoryStore({"m/1/../../escape": b"x"}), "m")
    with pytest.raises(OSError, match="unsafe name"):
        storage.fetch(1)


def test_missing_version_and_root_listing():
    storage = RemoteStorage("mem://m", MemoryStore(objects(1, 2) | {"m/readme": b""}), "m/")
    assert storage.list_versions() == [1, 2]
    with pytest.raises(FileNotFoundError):
        storage.fetch(7)
    at_root = RemoteStorage("mem://", MemoryStore({"4/a.onnx": b"x", "x/a.onnx": b"y"}), "")
    assert at_root.list_versions() == [4]


def test_cache_is_removed_with_the_storage():
    storage = RemoteStorage("mem://m", MemoryStore(objects(1)), "m")
    storage.fetch(1)
    cache = storage.cache_dir
    del storage
    gc.collect()
    assert not os.path.exists(cache)


def test_local_fingerprint_changes_with_files(tmp_path):
    (tmp_path / "1" / "sub").mkdir(parents=True)
    (tmp_path / "1" / "sub" / "a.bin").write_bytes(b"1")
    storage = LocalStorage(str(tmp_path))
    before = storage.fingerprint(1)
    assert storage.fingerprint(1) == before
    (tmp_path / "1" / "b.bin").write_bytes(b"2")
    assert storage.fingerprint(1) != before
    with pytest.raises(FileNotFoundError):
        storage.fingerprint(2)


@pytest.mark.parametrize(
    "url, env, bucket, root, endpoint",
    [
        ("s3://bucket/a/b", {}, "bucket", "a/b", None),
        ("s3://bucket", {}, "bucket", "", None),
        ("s3://bucket/a/", {"S3_ENDPOINT": "http://minio:9000"}, "bucket", "a", "http://minio:9000"),
        ("s3://bucket/a", {"S3_ENDPOINT": "minio:9000/"}, "bucket", "a", "http://minio:9000"),
        ("s3://10.0.0.1:9000/bkt/m/x", {"S3_ENDPOINT": "other:1"}, "bkt", "m/x", "http://10.0.0.1:9000"),
    ],
)
def test_s3_urls(url, env, bucket, root, endpoint):
    location = parse_s3_url(url, env)
    assert (location.bucket, location.root, location.endpoint) == (bucket, root, endpoint)


@pytest.mark.parametrize("url", ["s3://Upper_Case/x", "gs://", "gs://Bad Bucket/x", "az://UPPER/x", "azfs://a_b/x"])
def test_malformed_urls_are_config_errors(url):
    with pytest.raises(ConfigError, match="Invalid"):
        open_storage(url, {"AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"})


@pytest.mark.parametrize("url", ["az://models/m", "azfs://share/m"])
def test_unreachable_azure_raises_os_error(url):
    """Nothing listens on the port: both Azure backends fail with OSError, quickly."""
    port = free_port()
    conn = (f"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5;"
            f"BlobEndpoint=http://127.0.0.1:{port}/acct;FileEndpoint=http://127.0.0.1:{port}/acct;")
    storage = open_storage(url, {"AZURE_STORAGE_CONNECTION_STRING": conn})
    start = time.monotonic()
    with pytest.raises(OSError, match="cannot reach Azure Storage"):
        storage.list_versions()
    assert time.monotonic() - start < 30


def test_malformed_azure_connection_string_is_explained():
    storage = open_storage("az://models/m", {"AZURE_STORAGE_CONNECTION_STRING": "garbage"})
    with pytest.raises(OSError, match="AZURE_STORAGE_CONNECTION_STRING"):
        storage.list_versions()


def test_unreachable_s3_and_gcs_raise_os_error():
    port = free_port()
    s3 = open_storage(f"s3://127.0.0.1:{port}/bucket/m", {})  # anonymous
    with pytest.raises(OSError, match="cannot reach the S3 endpoint"):
        s3.list_versions()
    gcs = open_storage("gs://bucket/m", {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"})
    with pytest.raises(OSError, match="cannot reach Google Cloud Storage"):
        gcs.list_versions()
