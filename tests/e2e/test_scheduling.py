"""Scheduler behaviour through the real daemon: queue bound, deadlines, device pools, batching."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as tgrpc

from tests import modelfactory as mf
from tests.e2e.daemon import start_daemon


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("sched")
    slow = mf.build_slow_ir(root / "slow/1", depth=2048)  # ~60 ms per inference here
    mf.build_dummy_ir(root / "multi/1", 1.0)
    mf.build_dummy_ir(root / "auto/1", 1.0)
    batched = mf.build_batched_ir(root / "batched/1", batch=1, increment=1.0)  # static batch 1 on disk
    models = [
        {"name": "slow", "base_path": str(root / "slow"), "nireq": 1, "max_queue_size": 2},
        {"name": "multi", "base_path": str(root / "multi"), "target_device": "MULTI:CPU"},
        {"name": "auto", "base_path": str(root / "auto"), "target_device": "AUTO",
         "plugin_config": {"PERFORMANCE_HINT": "THROUGHPUT"}},
        {"name": "batched", "base_path": str(root / "batched"), "nireq": 1,
         "dynamic_batching": {"max_batch_size": 8, "max_queue_delay_microseconds": 20000}},
    ]
    config = root / "config.json"
    config.write_text(json.dumps({"model_config_list": [{"config": m} for m in models]}))
    daemon = start_daemon(["--config_path", str(config)], root)
    yield daemon, slow, batched
    assert daemon.stop() == 0, daemon.log()


def post(daemon, model, body, headers=None):
    return httpx.post(f"{daemon.rest_url}/v1/models/{model}:predict", json=body, headers=headers, timeout=60)


def test_queue_overflow_is_rejected_at_once(served):
    daemon, slow, _ = served
    body = {"inputs": {"x": slow.sample_inputs()["x"].tolist()}}
    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda _: post(daemon, "slow", body), range(12)))
    codes = sorted(r.status_code for r in responses)
    assert set(codes) == {200, 429}, codes
    rejected = next(r for r in responses if r.status_code == 429)
    assert rejected.json() == {"error": "Request queue is full - limit: 2 waiting requests"}


def test_expired_deadline_is_dropped_before_inference(served):
    daemon, slow, _ = served
    body = {"inputs": {"x": slow.sample_inputs()["x"].tolist()}}
    with ThreadPoolExecutor(3) as pool:
        busy = [pool.submit(post, daemon, "slow", body) for _ in range(2)]
        time.sleep(0.03)  # the busy requests hold the only infer request for ~0.1 s
        late = pool.submit(post, daemon, "slow", body, {"X-Request-Timeout-Ms": "5"})
        assert late.result().status_code == 504
        assert late.result().json() == {"error": "Deadline exceeded before inference"}
        assert [b.result().status_code for b in busy] == [200, 200]


def test_grpc_queue_overflow_is_resource_exhausted(served):
    daemon, slow, _ = served
    x = slow.sample_inputs()["x"]

    def call(_):
        client = tgrpc.InferenceServerClient(daemon.grpc_url)
        tensor = tgrpc.InferInput("x", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        try:
            client.infer("slow", [tensor])
            return "OK"
        except Exception as err:  # tritonclient wraps the gRPC status
            return err.status()
        finally:
            client.close()

    with ThreadPoolExecutor(12) as pool:
        outcomes = set(pool.map(call, range(12)))
    assert outcomes == {"OK", str(grpc.StatusCode.RESOURCE_EXHAUSTED)}, outcomes


@pytest.mark.parametrize("model", ["multi", "auto"])
def test_device_pools_serve(served, model):
    daemon = served[0]
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda _: post(daemon, model, {"instances": x.tolist()}), range(16)))
    assert all(r.status_code == 200 and r.json()["predictions"] == (x + 1).tolist() for r in outs)


def test_dynamic_batching_serves_each_request_its_own_rows(served):
    daemon, _, batched = served
    meta = httpx.get(f"{daemon.rest_url}/v2/models/batched", timeout=30).json()
    assert meta["inputs"][0]["shape"] == [-1, 10]  # reshaped to a batch range for the batcher
    feeds = [np.full((1 + i % 3, 10), i, np.float32) for i in range(24)]
    with ThreadPoolExecutor(24) as pool:
        outs = list(pool.map(lambda f: post(daemon, "batched", {"inputs": {"b": f.tolist()}}), feeds))
    for feed, out in zip(feeds, outs):
        assert out.status_code == 200, out.text
        np.testing.assert_array_equal(np.asarray(out.json()["outputs"], np.float32), feed + 1)
    too_big = post(daemon, "batched", {"inputs": {"b": np.zeros((9, 10)).tolist()}})
    assert too_big.status_code == 400 and "Invalid input batch size" in too_big.json()["error"]
