"""One bucket per flavour of remote store, filled and changed with that store's own client.

Flavours: ``s3`` (boto3, ``S3_ENDPOINT``), ``minio`` (the MinIO client against the same S3 API,
endpoint embedded in the URL), ``gcs`` (google-cloud-storage via ``STORAGE_EMULATOR_HOST``) and
``azure`` (azure-storage-blob with a connection string). The daemon and the backends see only
``url(prefix)`` and ``env``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from tests.repository.servers import Server, azurite_connection_string

BUCKET = "models"
ACCESS_KEY, SECRET_KEY = "testing-key", "testing-secret"


def local_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file below ``folder`` with its relative object name."""
    return [(path, path.relative_to(folder).as_posix()) for path in sorted(folder.rglob("*")) if path.is_file()]


class Remote(ABC):
    """A bucket on a running server, with the environment that lets ovms read it."""

    name: str

    def __init__(self, server: Server) -> None:
        self.server = server

    @property
    @abstractmethod
    def env(self) -> dict[str, str]:
        """Endpoint and credential variables for ``open_storage`` and the daemon."""

    @abstractmethod
    def url(self, prefix: str) -> str:
        """The model base path for objects under ``prefix``."""

    @abstractmethod
    def upload(self, folder: Path, prefix: str) -> None:
        """Copy every file below ``folder`` to ``prefix/<relative path>``."""

    @abstractmethod
    def delete(self, prefix: str) -> None:
        """Remove every object under ``prefix/``."""


class S3Remote(Remote):
    name = "s3"

    def __init__(self, server: Server) -> None:
        import boto3

        super().__init__(server)
        self.client = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1",
                                   aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        if BUCKET not in [b["Name"] for b in self.client.list_buckets().get("Buckets", [])]:
            self.client.create_bucket(Bucket=BUCKET)

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_REGION": "us-east-1", "S3_ENDPOINT": self.server.url}

    def url(self, prefix: str) -> str:
        return f"s3://{BUCKET}/{prefix}"

    def upload(self, folder: Path, prefix: str) -> None:
        for path, name in local_files(folder):
            self.client.upload_file(str(path), BUCKET, f"{prefix}/{name}")

    def delete(self, prefix: str) -> None:
        listed = self.client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", [])
        for item in listed:
            self.client.delete_object(Bucket=BUCKET, Key=item["Key"])


class MinioRemote(Remote):
    """The MinIO client on the S3 API; ovms gets the endpoint inside the URL (s3://host:port/...)."""

    name = "minio"
    bucket = "minio-models"

    def __init__(self, server: Server) -> None:
        from minio import Minio

        super().__init__(server)
        self.client = Minio(server.address, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False,
                            region="us-east-1")
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

    def url(self, prefix: str) -> str:
        return f"s3://{self.server.address}/{self.bucket}/{prefix}"

    def upload(self, folder: Path, prefix: str) -> None:
        for path, name in local_files(folder):
            self.client.fput_object(self.bucket, f"{prefix}/{name}", str(path))

    def delete(self, prefix: str) -> None:
        for item in self.client.list_objects(self.bucket, prefix=f"{prefix}/", recursive=True):
            self.client.remove_object(self.bucket, item.object_name)


class GcsRemote(Remote):
    name = "gcs"

    def __init__(self, server: Server) -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        super().__init__(server)
        client = storage.Client(project="test", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": server.url})
        self.bucket = client.bucket(BUCKET)
        if not self.bucket.exists():
            self.bucket = client.create_bucket(BUCKET)

    @property
    def env(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.server.url}

    def url(self, prefix: str) -> str:
        return f"gs://{BUCKET}/{prefix}"

    def upload(self, folder: Path, prefix: str) -> None:
        for path, name in local_files(folder):
            self.bucket.blob(f"{prefix}/{name}").upload_from_filename(str(path))

    def delete(self, prefix: str) -> None:
        for blob in list(self.bucket.list_blobs(prefix=f"{prefix}/")):
            blob.delete()


class AzureRemote(Remote):
    name = "azure"

    def __init__(self, server: Server) -> None:
        from azure.storage.blob import BlobServiceClient

        super().__init__(server)
        service = BlobServiceClient.from_connection_string(self.env["AZURE_STORAGE_CONNECTION_STRING"])
        self.container = service.get_container_client(BUCKET)
        if not self.container.exists():
            self.container.create_container()

    @property
    def env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(self.server)}

    def url(self, prefix: str) -> str:
        return f"az://{BUCKET}/{prefix}"

    def upload(self, folder: Path, prefix: str) -> None:
        for path, name in local_files(folder):
            with open(path, "rb") as data:
                self.container.upload_blob(f"{prefix}/{name}", data, overwrite=True)

    def delete(self, prefix: str) -> None:
        for name in list(self.container.list_blob_names(name_starts_with=f"{prefix}/")):
            self.container.delete_blob(name)


FLAVOURS: dict[str, type[Remote]] = {"s3": S3Remote, "minio": MinioRemote, "gcs": GcsRemote, "azure": AzureRemote}
SERVER_OF = {"s3": "moto", "minio": "moto", "gcs": "gcs", "azure": "azurite"}
