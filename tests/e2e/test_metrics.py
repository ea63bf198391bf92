"""/metrics of the real daemon: exact counts after known traffic over all four front doors, live
gauges and queue rejections, the default family set, 400 when disabled, JSON request-error logs."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as tgrpc
import tritonclient.http as thttp
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from tritonclient.utils import InferenceServerException

from ovms.metrics import families as f
from tests import modelfactory as mf
from tests.e2e.daemon import start_daemon
from tests.metrics.promtext import key, parse, samples

GOOD = np.arange(10, dtype=np.float32).reshape(1, 10)
SHORT = np.ones((1, 3), np.float32)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """dummy (versions 1, 2) and slow (nireq 1, queue of 2); every family on via config.json."""
    root = tmp_path_factory.mktemp("metrics")
    mf.build_dummy_ir(root / "dummy/1", 1.0)
    mf.build_dummy_ir(root / "dummy/2", 2.0)
    slow = mf.build_slow_ir(root / "slow/1", depth=2048)
    models = [
        {"name": "dummy", "base_path": str(root / "dummy"), "model_version_policy": {"all": {}}, "nireq": 2},
        {"name": "slow", "base_path": str(root / "slow"), "nireq": 1, "max_queue_size": 2},
    ]
    config = root / "config.json"
    config.write_text(json.dumps({
        "model_config_list": [{"config": m} for m in models],
        "monitoring": {"metrics": {"enable": True, "metrics_list": sorted(f.ALL_FAMILIES)}},
    }))
    daemon = start_daemon(["--config_path", str(config), "--log_level", "DEBUG", "--log_format", "json"], root)
    yield daemon, slow
    assert daemon.stop() == 0, daemon.log()


def scrape(daemon) -> str:
    response = httpx.get(f"{daemon.rest_url}/metrics", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


def tfs_tensor(array: np.ndarray) -> tensor_pb2.TensorProto:
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape]
    return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims),
                                  tensor_content=array.tobytes())


def tfs_grpc_traffic(daemon) -> None:
    """TFS gRPC: 3 good and 2 bad Predict (v1), 1 for an unknown model, 2 metadata, 2 status (1 bad)."""
    with grpc.insecure_channel(daemon.grpc_url) as channel:
        predict = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict
        models = model_service_pb2_grpc.ModelServiceStub(channel)

        def request(name: str, x: np.ndarray) -> predict_pb2.PredictRequest:
            made = predict_pb2.PredictRequest()
            made.model_spec.name = name
            made.model_spec.version.value = 1
            made.inputs["b"].CopyFrom(tfs_tensor(x))
            return made

        for _ in range(3):
            predict(request("dummy", GOOD), timeout=30)
        for bad in (request("dummy", SHORT), request("dummy", SHORT), request("nope", GOOD)):
            with pytest.raises(grpc.RpcError):
                predict(bad, timeout=30)
        meta = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        meta.model_spec.name = "dummy"
        meta.model_spec.version.value = 1
        for _ in range(2):
            prediction_service_pb2_grpc.PredictionServiceStub(channel).GetModelMetadata(meta, timeout=30)
        status = get_model_status_pb2.GetModelStatusRequest()
        status.model_spec.name = "dummy"
        models.GetModelStatus(status, timeout=30)
        status.model_spec.version.value = 9
        with pytest.raises(grpc.RpcError):
            models.GetModelStatus(status, timeout=30)


def tfs_rest_traffic(daemon) -> None:
    """TFS REST: 4 good predicts (default = v2), 1 bad, 1 unparsable (never reaches a model), status x2."""
    with httpx.Client(base_url=daemon.rest_url, timeout=30) as http:
        for _ in range(2):
            assert http.post("/v1/models/dummy:predict", json={"instances": GOOD.tolist()}).status_code == 200
            assert http.post("/v1/models/dummy:predict", json={"inputs": {"b": GOOD.tolist()}}).status_code == 200
        assert http.post("/v1/models/dummy:predict", json={"inputs": {"x": GOOD.tolist()}}).status_code == 400
        assert http.post("/v1/models/dummy:predict", content=b"{not json").status_code >= 400
        assert http.get("/v1/models/dummy/versions/1/metadata").status_code == 200
        assert http.get("/v1/models/dummy").status_code == 200
        assert http.get("/v1/models/dummy/versions/2").status_code == 200


def kserve_grpc_traffic(daemon) -> None:
    """KServe gRPC: 2 good and 1 bad ModelInfer (v1), 1 metadata, 2 ready, 1 ready for a missing version."""
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    try:
        for x, version in ((GOOD, "1"), (GOOD, "1"), (SHORT, "1")):
            tensor = tgrpc.InferInput("b", list(x.shape), "FP32")
            tensor.set_data_from_numpy(x)
            if x is SHORT:
                with pytest.raises(InferenceServerException):
                    client.infer("dummy", [tensor], model_version=version)
            else:
                client.infer("dummy", [tensor], model_version=version)
        client.get_model_metadata("dummy", "1")
        assert client.is_model_ready("dummy") and client.is_model_ready("dummy", "1")
        with pytest.raises(InferenceServerException):
            client.is_model_ready("dummy", "5")
    finally:
        client.close()


def kserve_rest_traffic(daemon) -> None:
    """KServe REST: 3 good ModelInfer (default = v2), 1 with the wrong datatype, 1 metadata, 1 ready."""
    client = thttp.InferenceServerClient(f"127.0.0.1:{daemon.rest_port}")
    try:
        for x in (GOOD, GOOD, GOOD, GOOD.astype(np.float64)):
            tensor = thttp.InferInput("b", list(x.shape), "FP32" if x.dtype == np.float32 else "FP64")
            tensor.set_data_from_numpy(x, binary_data=True)
            if x.dtype == np.float64:
                with pytest.raises(InferenceServerException):
                    client.infer("dummy", [tensor])
            else:
                client.infer("dummy", [tensor])
        client.get_model_metadata("dummy", "2")
        assert client.is_model_ready("dummy", "2")
    finally:
        client.close()


def test_counts_match_the_traffic(served):
    daemon, _ = served
    before = samples(scrape(daemon))
    assert before[key("ovms_requests_success_total", api="KServe", interface="REST", method="ModelInfer",
                      name="dummy", version="2")] == 0  # pre-created at load
    tfs_grpc_traffic(daemon)
    tfs_rest_traffic(daemon)
    kserve_grpc_traffic(daemon)
    kserve_rest_traffic(daemon)
    s = samples(scrape(daemon))

    def count(outcome: str, api: str, interface: str, method: str, version: str | None) -> float:
        labels = dict(api=api, interface=interface, method=method, name="dummy")
        if version is not None:
            labels["version"] = version
        return s[key(f"ovms_requests_{outcome}_total", **labels)]

    tfs, ks = "TensorFlowServing", "KServe"
    expected = {
        ("success", tfs, "gRPC", "Predict", "1"): 3, ("fail", tfs, "gRPC", "Predict", "1"): 2,
        ("success", tfs, "gRPC", "GetModelMetadata", "1"): 2,
        ("success", tfs, "gRPC", "GetModelStatus", None): 1, ("fail", tfs, "gRPC", "GetModelStatus", None): 1,
        ("success", tfs, "REST", "Predict", "2"): 4, ("fail", tfs, "REST", "Predict", "2"): 1,
        ("success", tfs, "REST", "GetModelMetadata", "1"): 1, ("success", tfs, "REST", "GetModelStatus", None): 2,
        ("success", ks, "gRPC", "ModelInfer", "1"): 2, ("fail", ks, "gRPC", "ModelInfer", "1"): 1,
        ("success", ks, "gRPC", "ModelMetadata", "1"): 1,
        ("success", ks, "gRPC", "ModelReady", None): 2, ("fail", ks, "gRPC", "ModelReady", None): 1,
        ("success", ks, "REST", "ModelInfer", "2"): 3, ("fail", ks, "REST", "ModelInfer", "2"): 1,
        ("success", ks, "REST", "ModelMetadata", "2"): 1, ("success", ks, "REST", "ModelReady", None): 1,
    }
    for labels, value in expected.items():
        assert count(*labels) == value, labels
    counted = sum(v for k, v in s.items() if k[0].startswith("ovms_requests_") and ("name", "dummy") in k[1])
    assert counted == sum(expected.values())  # nothing else was counted anywhere
    for version, grpc_ok, rest_ok in (("1", 5, 0), ("2", 0, 7)):
        labels = dict(name="dummy", version=version)
        assert s[key("ovms_request_time_us_count", interface="gRPC", **labels)] == grpc_ok
        assert s[key("ovms_request_time_us_count", interface="REST", **labels)] == rest_ok
        assert s[key("ovms_request_time_us_bucket", interface="gRPC", le="+Inf", **labels)] == grpc_ok
        assert s[key("ovms_inference_time_us_count", **labels)] == grpc_ok + rest_ok
        assert s[key("ovms_wait_for_infer_req_time_us_count", **labels)] == grpc_ok + rest_ok
        assert s[key("ovms_batch_size_bucket", le="1", **labels)] == grpc_ok + rest_ok
        assert s[key("ovms_infer_req_queue_size", **labels)] == 2
        assert s[key("ovms_streams", **labels)] >= 1
        assert s[key("ovms_current_requests", **labels)] == 0 and s[key("ovms_infer_req_active", **labels)] == 0
    assert s[key("ovms_request_time_us_sum", interface="REST", name="dummy", version="2")] > 0


def test_live_gauges_and_queue_rejections(served):
    daemon, slow = served
    body = {"inputs": {"x": slow.sample_inputs()["x"].tolist()}}
    seen: list[dict] = []
    with ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(httpx.post, f"{daemon.rest_url}/v1/models/slow:predict", json=body, timeout=60)
                   for _ in range(12)]
        while not all(x.done() for x in futures):
            s = samples(scrape(daemon))
            seen.append({name: s[key(name, name="slow", version="1")] for name in
                         ("ovms_current_requests", "ovms_infer_req_active", "ovms_infer_req_queue_depth")})
            time.sleep(0.005)
        codes = [x.result().status_code for x in futures]
    assert set(codes) == {200, 429}, codes
    assert any(g["ovms_infer_req_active"] == 1 and g["ovms_current_requests"] >= 1 for g in seen), seen
    assert all(g["ovms_infer_req_active"] <= 1 and g["ovms_infer_req_queue_depth"] <= 2 for g in seen), seen
    s = samples(scrape(daemon))
    labels = dict(name="slow", version="1")
    assert s[key("ovms_infer_req_rejected_total", reason="queue_full", **labels)] == codes.count(429)
    assert s[key("ovms_requests_fail_total", api="TensorFlowServing", interface="REST", method="Predict",
                 **labels)] == codes.count(429)
    assert s[key("ovms_requests_success_total", api="TensorFlowServing", interface="REST", method="Predict",
                 **labels)] == codes.count(200)
    assert s[key("ovms_current_requests", **labels)] == 0 and s[key("ovms_infer_req_queue_depth", **labels)] == 0


def test_request_errors_are_logged_once_as_json(served):
    daemon, _ = served
    with httpx.Client(base_url=daemon.rest_url, timeout=30) as http:
        assert http.post("/v2/models/dummy/versions/1/infer", json={"inputs": [
            {"name": "b", "shape": [1, 2], "datatype": "FP32", "data": [31337.5, 31337.5]}]}).status_code == 400
    time.sleep(0.2)
    lines = [json.loads(line) for line in daemon.log().splitlines() if line.startswith("{")]
    assert any(line["message"] == "Server is ready" for line in lines)
    failures = [x for x in lines if x["logger"] == "ovms.requests" and x.get("interface") == "REST"
                and x.get("method") == "ModelInfer" and x.get("version") == 1]
    assert len(failures) == 1, failures
    assert failures[0]["level"] == "DEBUG" and failures[0]["code"] == "INVALID_ARGUMENT"
    assert failures[0]["model"] == "dummy" and failures[0]["status"] == "INVALID_SHAPE"
    assert "31337" not in daemon.log()  # tensor contents never reach the log


def test_default_families_from_the_cli(tmp_path):
    mf.build_dummy_ir(tmp_path / "m/1", 1.0)
    daemon = start_daemon(["--model_name", "m", "--model_path", str(tmp_path / "m"), "--metrics_enable"], tmp_path)
    try:
        text = scrape(daemon)
    finally:
        assert daemon.stop() == 0, daemon.log()
    families = parse(text)
    assert set(families) == f.DEFAULT_FAMILIES
    for spec in f.FAMILIES:
        if spec.default:
            assert families[spec.name].type == spec.kind and families[spec.name].documentation == spec.help
    assert 'ovms_requests_success{api="KServe",interface="gRPC",method="ModelReady",name="m"} 0\n' in text
    assert "_total" not in text


def test_metrics_disabled_is_invalid_request_url(daemon):
    response = httpx.get(f"{daemon.rest_url}/metrics", timeout=30)
    assert response.status_code == 400 and response.json() == {"error": "Invalid request URL"}
