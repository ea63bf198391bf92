"""Cloud backends against real servers (moto, fake-gcs-server, Azurite): one run per flavour.

Each test uploads a versioned model repository with the store's own client under a fresh prefix,
then drives the backend through ``open_storage`` exactly as the manager does.
"""

from __future__ import annotations

import filecmp
import logging
import os
import stat
import time
import uuid
from pathlib import Path

import pytest

from ovms.errors import ConfigError
from ovms.repository import azure, gcs, s3
from ovms.repository import remote as remote_module
from ovms.repository.modelfiles import find_model_files
from ovms.repository.storage import Storage, open_storage
from tests import modelfactory as mf
from tests.repository.remotes import FLAVOURS, SERVER_OF, Remote


def build_repository(root: Path) -> Path:
    """Versions 1 and 2 of the dummy IR, a nested file, and folders that are not versions."""
    mf.build_dummy_ir(root / "1", 1.0)
    mf.build_dummy_ir(root / "2", 2.0)
    (root / "2" / "extra" / "deep").mkdir(parents=True)
    (root / "2" / "extra" / "deep" / "notes.txt").write_text("nested files keep their folders")
    for name in ("0", "abc", "-3"):
        (root / name).mkdir()
        (root / name / "readme.txt").write_text("not a version")
    return root


@pytest.fixture
def uploaded(remote: Remote, tmp_path: Path) -> tuple[Remote, str, Path]:
    """(remote, prefix, local copy) of a fresh repository uploaded under a unique prefix."""
    prefix = f"repo-{uuid.uuid4().hex[:12]}"
    local = build_repository(tmp_path / "local")
    remote.upload(local, prefix)
    return remote, prefix, local


def open_remote(remote: Remote, prefix: str) -> Storage:
    return open_storage(remote.url(prefix), remote.env)


def same_tree(left: Path, right: Path) -> bool:
    """Same file names (recursively) and identical bytes."""
    compare = filecmp.dircmp(left, right)
    if compare.left_only or compare.right_only or compare.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, compare.common_files, shallow=False)
    return not mismatch and not errors and all(same_tree(left / d, right / d) for d in compare.common_dirs)


def test_lists_only_numeric_versions(uploaded, caplog):
    remote, prefix, _ = uploaded
    assert open_remote(remote, prefix).list_versions() == [1, 2]
    assert "number greater than 0" in caplog.text and "number format" in caplog.text


def test_fetch_downloads_identical_files_to_private_cache(uploaded):
    remote, prefix, local = uploaded
    storage = open_remote(remote, prefix)
    folder = Path(storage.fetch(2))
    assert folder.name == "2" and same_tree(folder, local / "2")
    for path in (folder.parent, folder):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert find_model_files(str(folder)).format == "ir"
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no partial left behind
    storage.release(2)
    assert not folder.exists()
    storage.release(2)  # a second release is harmless


def test_refetch_refreshes_the_copy(uploaded):
    remote, prefix, local = uploaded
    storage = open_remote(remote, prefix)
    first = Path(storage.fetch(1))
    (first / "model.xml").write_text("damaged local copy")
    assert Path(storage.fetch(1)) == first and same_tree(first, local / "1")


def test_fingerprint_tracks_content(uploaded, tmp_path):
    remote, prefix, _ = uploaded
    storage = open_remote(remote, prefix)
    before = storage.fingerprint(1)
    assert before == storage.fingerprint(1) and before != storage.fingerprint(2)
    remote.delete(f"{prefix}/1")
    remote.upload(mf.build_dummy_ir(tmp_path / "v", 5.0) and tmp_path / "v", f"{prefix}/1")
    assert storage.fingerprint(1) != before


def test_new_and_deleted_versions_are_seen(uploaded, tmp_path):
    remote, prefix, _ = uploaded
    storage = open_remote(remote, prefix)
    mf.build_dummy_ir(tmp_path / "three", 3.0)
    remote.upload(tmp_path / "three", f"{prefix}/3")
    assert storage.list_versions() == [1, 2, 3]
    remote.delete(f"{prefix}/1")
    assert storage.list_versions() == [2, 3]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        storage.fetch(1)


def test_empty_path_has_no_versions(remote, caplog):
    assert open_remote(remote, f"nothing-{uuid.uuid4().hex[:8]}").list_versions() == []
    assert "No version found for model in path" in caplog.text


def test_missing_bucket_is_a_clear_os_error(remote):
    url = remote.url("model").replace("models/", "no-such-bucket/")
    with pytest.raises(OSError, match="does not exist"):
        open_storage(url, remote.env).list_versions()


def test_large_file_downloads_in_parallel_ranges_with_progress(remote, tmp_path, monkeypatch, caplog):
    """Shrunk chunk sizes send a 12 MiB file down the ranged, concurrent path of each SDK."""
    monkeypatch.setattr(s3, "MULTIPART_CHUNK", 1024 * 1024)
    monkeypatch.setattr(gcs, "CHUNK", 1024 * 1024)
    monkeypatch.setattr(azure, "SINGLE_GET", 1024 * 1024)
    monkeypatch.setattr(azure, "CHUNK_GET", 1024 * 1024)
    monkeypatch.setattr(remote_module, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(remote_module, "PROGRESS_THRESHOLD", 1)  # log progress for this small model
    big = tmp_path / "big" / "1"
    big.mkdir(parents=True)
    (big / "weights.bin").write_bytes(os.urandom(12 * 1024 * 1024 + 12345))
    (big / "model.xml").write_text("<net/>")
    prefix = f"big-{uuid.uuid4().hex[:8]}"
    remote.upload(tmp_path / "big", prefix)
    storage = open_remote(remote, prefix)
    with caplog.at_level(logging.INFO, logger="ovms.repository.remote"):
        folder = Path(storage.fetch(1))
    assert same_tree(folder, big)
    assert "Downloading" in caplog.text and "Downloaded" in caplog.text and "2 files" in caplog.text


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_stopped_server_makes_listing_fail_fast(flavour, own_server, tmp_path):
    server = own_server(SERVER_OF[flavour])
    remote = FLAVOURS[flavour](server)
    remote.upload(build_repository(tmp_path / "local"), "repo")
    storage = open_remote(remote, "repo")
    assert storage.list_versions() == [1, 2]
    server.stop()
    start = time.monotonic()
    with pytest.raises(OSError, match="cannot reach|request failed"):
        storage.list_versions()
    assert time.monotonic() - start < 30
    with pytest.raises(OSError):
        storage.fetch(1)


def test_bad_azure_key_is_access_denied(azurite_server):
    from tests.repository.servers import azurite_connection_string

    wrong = azurite_connection_string(azurite_server, key="d3Jvbmcga2V5")
    with pytest.raises(OSError, match="access denied.*AZURE_STORAGE_CONNECTION_STRING"):
        open_storage("az://models/x", {"AZURE_STORAGE_CONNECTION_STRING": wrong}).list_versions()


def test_missing_credentials_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="AZURE_STORAGE_CONNECTION_STRING"):
        open_storage("az://container/model", {})
    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        open_storage("gs://bucket/model", {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "none.json")})
    with pytest.raises(ConfigError, match="AWS_SECRET_ACCESS_KEY"):
        open_storage("s3://bucket/model", {"AWS_ACCESS_KEY_ID": "only-half"})


def test_s3_anonymous_and_profile_credentials(moto_server, tmp_path, monkeypatch):
    """No keys: unsigned requests (public buckets); AWS_PROFILE: the shared credentials file."""
    remote = FLAVOURS["s3"](moto_server)
    remote.upload(build_repository(tmp_path / "local"), "creds")
    endpoint = {"S3_ENDPOINT": moto_server.url}
    assert open_storage(remote.url("creds"), endpoint).list_versions() == [1, 2]
    credentials = tmp_path / "credentials"
    credentials.write_text("[ci]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert open_storage(remote.url("creds"), {**endpoint, "AWS_PROFILE": "ci"}).list_versions() == [1, 2]
    with pytest.raises(OSError, match="no usable S3 credentials.*AWS_PROFILE"):
        open_storage(remote.url("creds"), {**endpoint, "AWS_PROFILE": "missing"}).list_versions()
