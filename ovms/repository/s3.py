"""S3 and S3-compatible stores (MinIO, ...): ``s3://bucket/path`` and ``s3://host:port/bucket/path``.

Settings follow OVMS: ``S3_ENDPOINT`` (optional for AWS, needed for MinIO; an ``http://`` prefix is
stripped and the scheme forced to HTTP, as when the endpoint is embedded in the URL), credentials from
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (+ ``AWS_SESSION_TOKEN``), else ``AWS_PROFILE``, else
anonymous (public buckets); ``AWS_REGION`` (default us-east-1). Path-style addressing whenever a
custom endpoint or credentials are used. boto3 is imported on first use, in a worker thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ovms.errors import ConfigError
from ovms.repository.remote import RemoteFile, RemoteStorage

if TYPE_CHECKING:
    from botocore.client import BaseClient

EMBEDDED = re.compile(r"^s3://([0-9a-zA-Z-.]+):([0-9]+)/([0-9a-z.-]+)(/.*)?$")
PLAIN = re.compile(r"^s3://([0-9a-z.-]+)(/.*)?$")
MULTIPART_CHUNK = 16 * 1024 * 1024
CREDENTIALS_HINT = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"


@dataclass(frozen=True)
class S3Location:
    """Where a model lives: ``endpoint`` is None for AWS's own."""

    bucket: str
    root: str
    endpoint: str | None


def parse_s3_url(url: str, env: Mapping[str, str]) -> S3Location:
    """Split ``url``; raises ConfigError for a malformed one."""
    if match := EMBEDDED.match(url):
        host, port, bucket, root = match.groups()
        return S3Location(bucket, (root or "").strip("/"), f"http://{host}:{port}")
    if match := PLAIN.match(url):
        bucket, root = match.groups()
        endpoint = env.get("S3_ENDPOINT") or None
        if endpoint is not None:
            endpoint = "http://" + endpoint.removeprefix("http://").rstrip("/")
        return S3Location(bucket, (root or "").strip("/"), endpoint)
    raise ConfigError(f"Invalid S3 path {url}: expected s3://bucket/path or s3://host:port/bucket/path")


class S3Store:
    """``ObjectStore`` over one bucket. The boto3 client is built once, lazily, and shared."""

    def __init__(self, url: str, location: S3Location, env: Mapping[str, str]) -> None:
        self._url, self._location = url, location
        self._env = dict(env)
        self._lock = threading.Lock()
        self._client: BaseClient | None = None
        if bool(self._env.get("AWS_ACCESS_KEY_ID")) != bool(self._env.get("AWS_SECRET_ACCESS_KEY")):
            raise ConfigError(f"{url}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")

    def list_dirs(self, prefix: str) -> list[str]:
        pages = self._pages(Prefix=prefix, Delimiter="/")
        return [p["Prefix"][len(prefix):].rstrip("/") for page in pages for p in page.get("CommonPrefixes", [])]

    def list_files(self, prefix: str) -> list[RemoteFile]:
        return [RemoteFile(o["Key"], int(o["Size"]), o.get("ETag", "").strip('"'))
                for page in self._pages(Prefix=prefix) for o in page.get("Contents", [])
                if not o["Key"].endswith("/")]

    def download(self, file: RemoteFile, dest: str, progress: Callable[[int], None]) -> None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_threshold=4 * MULTIPART_CHUNK, multipart_chunksize=MULTIPART_CHUNK,
                                max_concurrency=4)
        with self._errors():
            self._get_client().download_file(self._location.bucket, file.key, dest, Callback=progress,
                                             Config=config)

    def _pages(self, **query: str) -> list[dict[str, Any]]:
        with self._errors():
            paginator = self._get_client().get_paginator("list_objects_v2")
            return list(paginator.paginate(Bucket=self._location.bucket, **query))

    def _get_client(self) -> BaseClient:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> BaseClient:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        env, endpoint = self._env, self._location.endpoint
        region = env.get("AWS_REGION") or "us-east-1"
        options: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 60,
                                   "retries": {"mode": "standard", "max_attempts": 3}}
        if env.get("AWS_ACCESS_KEY_ID"):
            session = boto3.session.Session(
                aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=env.get("AWS_SESSION_TOKEN") or None, region_name=region)
        elif env.get("AWS_PROFILE"):
            session = boto3.session.Session(profile_name=env["AWS_PROFILE"], region_name=region)
        else:
            session = boto3.session.Session(region_name=region)
            options["signature_version"] = UNSIGNED  # anonymous: public buckets only
        if endpoint is not None or "signature_version" not in options:
            options["s3"] = {"addressing_style": "path"}
        return session.client("s3", endpoint_url=endpoint, config=Config(**options))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Re-raise boto3/botocore failures as OSError with a text that says what to fix."""
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
            ProfileNotFound,
        )

        try:
            yield
        except ClientError as err:
            raise OSError(self._client_error_text(err)) from err
        except (NoCredentialsError, PartialCredentialsError, ProfileNotFound) as err:
            raise OSError(f"{self._url}: no usable S3 credentials ({err}); {CREDENTIALS_HINT}") from err
        except EndpointConnectionError as err:
            raise OSError(f"{self._url}: cannot reach the S3 endpoint: {err}") from err
        except (BotoCoreError, Boto3Error) as err:
            raise OSError(f"{self._url}: S3 request failed: {err}") from err

    def _client_error_text(self, err: Any) -> str:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket":
            return f"{self._url}: S3 bucket '{self._location.bucket}' does not exist"
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "ExpiredToken"):
            return f"{self._url}: access denied ({code}); {CREDENTIALS_HINT}"
        return f"{self._url}: S3 request failed: {err}"


def open_s3(url: str, env: Mapping[str, str]) -> RemoteStorage:
    """The ``Storage`` for an ``s3://`` URL; cheap (no network, no boto3 import)."""
    location = parse_s3_url(url, env)
    return RemoteStorage(url, S3Store(url, location, env), location.root)
