"""The image, built and run for real: README's `docker run` with a mounted config.json and model folder,
predictions over TF Serving gRPC and REST, Docker's HEALTHCHECK, SIGTERM; then KServe's arguments.

Needs a Docker daemon (tests/docker/dockerhost.py installs and starts one, or the tests skip saying
why). The image is built on a debootstrap'd Debian bookworm base, since no registry is reachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
import yaml
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.docker import container as ctr
from tests.docker.dockerhost import REPO, DockerHost

INPUT = np.arange(1, 11, dtype=np.float32).reshape(1, 10)


@pytest.fixture(scope="module")
def served(docker_host: DockerHost, image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ctr.Container]:
    """README's command: -v models:/models -v config.json:/config.json IMAGE --config_path /config.json."""
    models, config = ctr.demo_repository(tmp_path_factory.mktemp("demo"))
    running = ctr.run(docker_host, image, ["--config_path", "/config.json", "--port", "9000", "--rest_port", "8000"],
                      {models: "/models", config: "/config.json"})
    try:
        running.wait_ready()
        yield running
    finally:
        running.remove()


def test_rest_predict_on_the_default_version(served):
    response = httpx.post(f"{served.rest_url}/v1/models/dummy:predict",
                          json={"instances": INPUT.tolist()}, timeout=30)
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(response.json()["predictions"], INPUT + 2)  # version 2: a = b + 2


def test_grpc_predict_with_tensor_content(served):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "dummy"
    request.inputs["b"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, tensor_content=INPUT.tobytes(),
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in INPUT.shape])))
    with grpc.insecure_channel(served.grpc_url) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=30)
    output = response.outputs["a"]
    assert output.dtype == types_pb2.DT_FLOAT
    values = np.frombuffer(output.tensor_content, np.float32).reshape([d.size for d in output.tensor_shape.dim])
    np.testing.assert_allclose(values, INPUT + 2)  # version 2 is the default: a = b + 2


def test_health_endpoints(served):
    assert httpx.get(f"{served.rest_url}/v2/health/ready", timeout=10).status_code == 200
    assert httpx.get(f"{served.rest_url}/v2/health/live", timeout=10).status_code == 200


def test_docker_healthcheck_turns_healthy_on_a_non_default_rest_port(served):
    served.wait_health("healthy")  # the REST port is not 8000: healthcheck.py found it itself


def test_runs_as_the_unprivileged_image_user_with_the_daemon_as_pid_1(served):
    assert served.host.output("exec", served.name, "id", "-u") == "5000"
    argv = served.host.output("exec", served.name, "cat", "/proc/1/cmdline").split("\0")
    assert Path(argv[1]).name == "ovms", argv  # python3 /opt/ovms/bin/ovms ...: no shell in between


def test_sigterm_drains_and_exits_zero(served):
    """Last in this module: the exec-form ENTRYPOINT delivers SIGTERM to the daemon, which exits 0."""
    assert served.terminate() == 0, served.logs()


def kserve_args() -> list[str]:
    """The ServingRuntime's args as KServe renders them for an InferenceService named dummy."""
    runtime = yaml.safe_load((REPO / "docker/kubernetes/servingruntime.yaml").read_text())
    return [arg.replace("{{.Name}}", "dummy") for arg in runtime["spec"]["containers"][0]["args"]]


def test_kserve_servingruntime_args_serve_v2_and_exit_cleanly(docker_host, image, tmp_path: Path):
    """KServe's slot: the model at /mnt/models, args from servingruntime.yaml (ports made free)."""
    models = ctr.readable_copy(REPO / "models/dummy", tmp_path / "dummy")
    running = ctr.run(docker_host, image, kserve_args(), {models: "/mnt/models"})
    try:
        running.wait_ready()
        assert httpx.get(f"{running.rest_url}/v2/models/dummy/ready", timeout=10).status_code == 200
        body = {"inputs": [{"name": "b", "shape": [1, 10], "datatype": "FP32", "data": INPUT.ravel().tolist()}]}
        response = httpx.post(f"{running.rest_url}/v2/models/dummy/infer", json=body, timeout=30)
        assert response.status_code == 200, response.text
        (output,) = response.json()["outputs"]
        np.testing.assert_allclose(output["data"], (INPUT + 2).ravel())  # latest version only: 2
        assert running.terminate() == 0, running.logs()
    finally:
        running.remove()
