"""The DataPlane's request accounting and error logs, with a real manager and OpenVINO model."""

import asyncio
import logging
import time

import numpy as np
import openvino as ov
import pytest

from ovms.dataplane import NONAMED_INPUT, DataPlane
from ovms.errors import OvmsError, Status
from ovms.metrics.collector import LiveVersion, build_registry
from ovms.metrics.config import resolve
from ovms.metrics.exposition import render
from ovms.metrics.reporter import ServerMetrics
from ovms.models.manager import ModelManager
from ovms.server import live_state
from ovms.settings import ModelConfig
from ovms.types import KSERVE_GRPC, KSERVE_REST, TFS_GRPC, TFS_REST, InferRequest, InputTensor, Precision
from tests import modelfactory as mf
from tests.metrics.promtext import key, samples

MARKER = 4242.125  # a tensor value that must never reach a log line


def tensor(shape=(1, 10)) -> InputTensor:
    return InputTensor(Precision.FP32, shape, values=np.full(shape, MARKER, np.float32))


def request(frontend, version=0, name="m", inputs=None, deadline=None) -> InferRequest:
    return InferRequest(name, version, inputs if inputs is not None else {"b": tensor()}, frontend, deadline=deadline)


async def expect(status: Status, call) -> None:
    with pytest.raises(OvmsError) as info:
        await call if asyncio.iscoroutine(call) else call()
    assert info.value.status is status


def requests(s, outcome: str, api: str, interface: str, method: str, version: str | None = "1") -> float:
    labels = dict(api=api, interface=interface, method=method, name="m")
    if version is not None:
        labels["version"] = version
    return s[key(f"ovms_requests_{outcome}_total", **labels)]


def test_requests_are_counted_once_where_they_land(tmp_path, caplog):
    mf.build_dummy_ir(tmp_path / "m/1", 1.0)
    metrics = ServerMetrics(resolve(True, (), None, 8000))
    caplog.set_level(logging.DEBUG, logger="ovms.requests")

    async def main() -> str:
        manager = ModelManager(ov.Core(), observer=metrics)
        await manager.apply([ModelConfig("m", str(tmp_path / "m"))])
        plane = DataPlane(manager, None, metrics)  # type: ignore[arg-type] - reload is not used here
        assert list(live_state(manager)()) == [LiveVersion("m", 1, 0, 0, 0)]
        for _ in range(3):
            await plane.infer(request(TFS_GRPC))
        await plane.infer(request(TFS_REST, inputs={NONAMED_INPUT: tensor()}))
        await plane.infer(request(KSERVE_REST, version=1))
        await expect(Status.INVALID_SHAPE, plane.infer(request(TFS_GRPC, inputs={"b": tensor((1, 3))})))
        await expect(Status.INVALID_MISSING_INPUT, plane.infer(request(KSERVE_GRPC, inputs={"x": tensor()})))
        await expect(Status.DEADLINE_EXCEEDED, plane.infer(request(KSERVE_GRPC, deadline=time.monotonic() - 1)))
        await expect(Status.PIPELINE_DEFINITION_NAME_MISSING, plane.infer(request(TFS_GRPC, name="nope")))
        await expect(Status.MODEL_VERSION_MISSING, plane.infer(request(TFS_GRPC, version=7)))
        await plane.model_metadata("m", 0, KSERVE_GRPC)
        await expect(Status.MODEL_VERSION_MISSING, plane.model_metadata("m", 7, TFS_REST))
        plane.model_status("m", 0, TFS_REST)
        plane.model_status("m", 1, TFS_GRPC)
        await expect(Status.MODEL_VERSION_MISSING, lambda: plane.model_status("m", 9, TFS_GRPC))
        assert plane.model_ready("m", 0, KSERVE_REST) and plane.model_ready("m", 1, KSERVE_REST)
        await expect(Status.MODEL_VERSION_MISSING, lambda: plane.model_ready("m", 5, KSERVE_GRPC))
        await expect(Status.MODEL_NAME_MISSING, lambda: plane.model_ready("nope", 0, KSERVE_GRPC))
        registry = build_registry(metrics, live_state(manager))
        serving = render(registry).decode()
        await manager.shutdown()
        return serving, render(registry).decode()

    serving, retired = asyncio.run(main())
    s = samples(serving)
    assert requests(s, "success", "TensorFlowServing", "gRPC", "Predict") == 3
    assert requests(s, "success", "TensorFlowServing", "REST", "Predict") == 1  # no-named: no metadata count
    assert requests(s, "success", "TensorFlowServing", "REST", "GetModelMetadata") == 0
    assert requests(s, "success", "KServe", "REST", "ModelInfer") == 1
    assert requests(s, "fail", "TensorFlowServing", "gRPC", "Predict") == 1  # unknown name/version: no series
    assert requests(s, "fail", "KServe", "gRPC", "ModelInfer") == 2
    assert requests(s, "success", "KServe", "gRPC", "ModelMetadata") == 1
    assert requests(s, "fail", "TensorFlowServing", "REST", "GetModelMetadata") == 0
    assert requests(s, "success", "TensorFlowServing", "REST", "GetModelStatus", None) == 1
    assert requests(s, "success", "TensorFlowServing", "gRPC", "GetModelStatus", None) == 1
    assert requests(s, "fail", "TensorFlowServing", "gRPC", "GetModelStatus", None) == 1
    assert requests(s, "success", "KServe", "REST", "ModelReady", None) == 2
    assert requests(s, "fail", "KServe", "gRPC", "ModelReady", None) == 1
    version = dict(name="m", version="1")
    assert s[key("ovms_request_time_us_count", interface="gRPC", **version)] == 3
    assert s[key("ovms_request_time_us_count", interface="REST", **version)] == 2
    assert s[key("ovms_inference_time_us_count", **version)] == 5
    assert s[key("ovms_wait_for_infer_req_time_us_count", **version)] == 5
    assert s[key("ovms_batch_size_bucket", le="1", **version)] == 5
    assert s[key("ovms_infer_req_rejected_total", reason="deadline_exceeded", **version)] == 1
    assert s[key("ovms_streams", **version)] == 1
    assert samples(retired)[key("ovms_streams", **version)] == 0
    assert samples(retired)[key("ovms_request_time_us_count", interface="gRPC", **version)] == 3
    failures = [r for r in caplog.records if r.name == "ovms.requests"]
    assert len(failures) == 9 and all(r.levelno == logging.DEBUG for r in failures)
    shape = next(r for r in failures if getattr(r, "status", "") == "INVALID_SHAPE")
    assert (shape.model, shape.version, shape.api, shape.method, shape.code) == (
        "m", 1, "TensorFlowServing", "Predict", "INVALID_ARGUMENT")
    assert "Invalid input shape" in shape.getMessage()
    assert not any(str(MARKER) in r.getMessage() or "4242" in r.getMessage() for r in failures)
