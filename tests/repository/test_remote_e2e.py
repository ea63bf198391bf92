"""The real ``ovms`` daemon serving a model from each remote store, through gRPC and REST.

Per flavour (s3, minio, gcs, azure), with a private storage server: serve version 1, add version 2
remotely and see it served, delete it and see it retired (version 1 comes back under the default
``latest`` policy), then stop the storage server and see serving continue. The daemon gets its
endpoints and credentials only from environment variables, and its download cache (under $TMPDIR)
must be private while serving and gone after a clean exit.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests import modelfactory as mf
from tests.e2e.daemon import Daemon, start_daemon
from tests.repository.remotes import FLAVOURS, SERVER_OF, Remote
from tests.repository.servers import Server

X = np.arange(10, dtype=np.float32).reshape(1, 10)
CHANGE_TIMEOUT = 40.0  # a 1 s poll, a download and an OpenVINO compile


class Client:
    """gRPC (tensorflow-serving-api stubs) and REST (httpx) to one daemon."""

    def __init__(self, daemon: Daemon) -> None:
        self.channel = grpc.insecure_channel(daemon.grpc_url)
        self.stub = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.http = httpx.Client(base_url=daemon.rest_url, timeout=30)

    def grpc_predict(self, version: int | None = None) -> np.ndarray:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "dummy"
        if version is not None:
            request.model_spec.version.value = version
        dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in X.shape]
        request.inputs["b"].CopyFrom(tensor_pb2.TensorProto(
            dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims),
            tensor_content=X.tobytes()))
        output = self.stub.Predict(request, timeout=30).outputs["a"]
        return np.frombuffer(output.tensor_content, np.float32).reshape([d.size for d in output.tensor_shape.dim])

    def rest_predict(self) -> np.ndarray:
        response = self.http.post("/v1/models/dummy:predict", json={"inputs": {"b": X.tolist()}})
        assert response.status_code == 200, response.text
        outputs = response.json()["outputs"]
        return np.asarray(outputs["a"] if isinstance(outputs, dict) else outputs, np.float32)

    def states(self) -> dict[int, str]:
        body = self.http.get("/v1/models/dummy").json()
        return {int(v["version"]): v["state"] for v in body.get("model_version_status", [])}

    def close(self) -> None:
        self.channel.close()
        self.http.close()


def wait_until(check: Callable[[], bool], daemon: Daemon, what: str, timeout: float = CHANGE_TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except (grpc.RpcError, AssertionError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not happen within {timeout}s:\n{daemon.log()}")


@pytest.fixture
def served(request: pytest.FixtureRequest, own_server: Callable[[str], Server],
           tmp_path: Path) -> Iterator[tuple[Remote, Daemon, Client, Path]]:
    """A daemon serving version 1 of "dummy" from a fresh bucket on a private server."""
    flavour: str = request.param
    remote = FLAVOURS[flavour](own_server(SERVER_OF[flavour]))
    mf.build_dummy_ir(tmp_path / "v1", 1.0)
    remote.upload(tmp_path / "v1", "dummy/1")
    cache_root = tmp_path / "tmpdir"
    cache_root.mkdir()
    args = ["--model_name", "dummy", "--model_path", remote.url("dummy"), "--file_system_poll_wait_seconds", "1"]
    daemon = start_daemon(args, tmp_path, env={**remote.env, "TMPDIR": str(cache_root)})
    client = Client(daemon)
    try:
        yield remote, daemon, client, cache_root
    finally:
        client.close()
        code = daemon.stop()
    assert code == 0, daemon.log()
    assert list(cache_root.iterdir()) == [], "the download cache outlived the daemon"


@pytest.mark.parametrize("served", sorted(FLAVOURS), indirect=True)
def test_remote_model_lifecycle(served, tmp_path):
    remote, daemon, client, cache_root = served
    wait_until(lambda: client.states().get(1) == "AVAILABLE", daemon, "version 1 AVAILABLE")
    assert np.array_equal(client.grpc_predict(), X + 1)
    assert np.array_equal(client.rest_predict(), X + 1)
    caches = list(cache_root.iterdir())
    assert len(caches) == 1 and stat.S_IMODE(caches[0].stat().st_mode) == 0o700
    assert [p.name for p in caches[0].iterdir()] == ["1"]

    mf.build_dummy_ir(tmp_path / "v2", 2.0)
    remote.upload(tmp_path / "v2", "dummy/2")
    wait_until(lambda: np.array_equal(client.grpc_predict(), X + 2), daemon, "version 2 served")
    assert np.array_equal(client.rest_predict(), X + 2)
    wait_until(lambda: client.states().get(1) == "END", daemon, "version 1 retired by the latest policy")
    wait_until(lambda: [p.name for p in caches[0].iterdir()] == ["2"], daemon, "version 1's copy removed")

    remote.delete("dummy/2")
    wait_until(lambda: client.states().get(2) == "END", daemon, "version 2 retired after its deletion")
    wait_until(lambda: np.array_equal(client.grpc_predict(), X + 1), daemon, "version 1 served again")

    remote.server.stop()
    daemon.wait_for_log("cannot list versions", timeout=CHANGE_TIMEOUT)
    time.sleep(2.5)  # more failing polls
    assert np.array_equal(client.grpc_predict(), X + 1)
    assert np.array_equal(client.rest_predict(), X + 1)
    assert client.states().get(1) == "AVAILABLE"
