"""Live model management through the reload APIs of the real daemon (polling off: deterministic).

POST /v1/config/reload answers 201 when it changed something and 200 when not, with /v1/config's
body, or OVMS's error bodies; gRPC HandleReloadConfigRequest is OVMS's no-op. Versions appear in
their folders atomically (built under a non-numeric name beside the model folder, then renamed).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
)

from tests import modelfactory as mf
from tests.e2e.daemon import Daemon, start_daemon

X = [[0.0] * 10]


def add_version(model_dir: Path, version: int, broken: bool = False) -> None:
    """Build ``version`` (a = b + version) beside the model folder and rename it into place."""
    staging = model_dir.parent / f"staging-{model_dir.name}-{version}"
    if broken:
        mf.build_broken_ir(staging)
    else:
        mf.build_dummy_ir(staging, float(version))
    staging.rename(model_dir / str(version))


def remove_version(model_dir: Path, version: int) -> None:
    doomed = model_dir.parent / f"doomed-{model_dir.name}-{version}"
    (model_dir / str(version)).rename(doomed)
    shutil.rmtree(doomed)


def write_config(path: Path, models: dict[str, dict]) -> None:
    """config.json with ``name -> extra keys``; base_path is the folder of the same name. Atomic."""
    entries = [{"config": {"name": name, "base_path": name, **extra}} for name, extra in models.items()]
    staging = path.with_name("config.json.new")
    staging.write_text(json.dumps({"model_config_list": entries}))
    staging.rename(path)


def answer(http: httpx.Client, name: str = "live") -> float:
    """output - input of a default-version predict: the number of the version that answered."""
    response = http.post(f"/v1/models/{name}:predict", json={"instances": X})
    assert response.status_code == 200, response.text
    return response.json()["predictions"][0][0]


def served(http: httpx.Client) -> dict[str, list[str]]:
    config = http.get("/v1/config").json()
    return {name: [f'{v["version"]}:{v["state"]}' for v in body["model_version_status"]]
            for name, body in config.items()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name, versions in (("live", (1,)), ("other", (1,))):
        (tmp_path / name).mkdir()
        for version in versions:
            add_version(tmp_path / name, version)
    write_config(tmp_path / "config.json", {"live": {}, "other": {}})
    return tmp_path


@pytest.fixture
def daemon(repo: Path) -> Daemon:
    running = start_daemon(["--config_path", str(repo / "config.json"), "--file_system_poll_wait_seconds", "0"], repo)
    yield running
    assert running.stop() == 0, running.log()


@pytest.fixture
def http(daemon: Daemon):
    with httpx.Client(base_url=daemon.rest_url, timeout=30) as client:
        yield client


def reload(http: httpx.Client, expected: int) -> httpx.Response:
    response = http.post("/v1/config/reload")
    assert response.status_code == expected, response.text
    return response


def test_reload_follows_versions_and_config_and_answers_201_or_200(repo, daemon, http):
    assert reload(http, 200).json() == http.get("/v1/config").json()
    add_version(repo / "live", 2)
    assert answer(http) == 1.0  # polling is off: nothing happens until asked
    body = reload(http, 201).json()
    assert body["live"]["model_version_status"] == [
        {"version": "1", "state": "END", "status": {"error_code": "OK", "error_message": "OK"}},
        {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": "OK"}},
    ]
    assert answer(http) == 2.0
    reload(http, 200)
    remove_version(repo / "live", 2)
    reload(http, 201)
    assert answer(http) == 1.0 and served(http)["live"] == ["1:AVAILABLE", "2:END"]

    (repo / "third").mkdir()
    add_version(repo / "third", 3)
    write_config(repo / "config.json", {"live": {"nireq": 2}, "third": {}})
    reload(http, 201)
    assert served(http) == {"live": ["1:AVAILABLE", "2:END"], "other": ["1:END"], "third": ["3:AVAILABLE"]}
    assert list(http.get("/v1/config").json()) == ["live", "other", "third"]  # sorted, as OVMS
    assert answer(http, "third") == 3.0
    removed = http.post("/v1/models/other:predict", json={"instances": X})
    assert removed.status_code == 404 and removed.json() == {"error": "Model with requested version is not found"}
    assert ("Configuration reload: models added: third; models removed: other; models reloaded: live; "
            "versions loaded: ") in daemon.log()
    write_config(repo / "config.json", {"live": {"nireq": 2}, "third": {}, "other": {}})
    reload(http, 201)
    assert answer(http, "other") == 1.0 and served(http)["other"] == ["1:AVAILABLE"]


def test_grpc_reload_is_a_noop_and_status_reports_states_and_errors(repo, daemon, http):
    channel = grpc.insecure_channel(daemon.grpc_url)
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    add_version(repo / "live", 2)
    stub.HandleReloadConfigRequest(model_management_pb2.ReloadConfigRequest(), timeout=30)
    assert answer(http) == 1.0  # OVMS's RPC reloads nothing
    assert "this service is reloading config automatically by itself" in daemon.log()
    reload(http, 201)
    add_version(repo / "live", 3, broken=True)
    response = reload(http, 500)
    assert response.text == '{\n\t"error": "Reloading models versions failed. Check server logs for more info."\n}'
    assert answer(http) == 2.0  # the failed new version leaves the previous one serving
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "live"
    statuses = stub.GetModelStatus(request, timeout=30).model_version_status
    assert [(s.version, s.state, s.status.error_code, s.status.error_message) for s in statuses] == [
        (1, 50, 0, "OK"), (2, 30, 0, "OK"), (3, 20, 2, "UNKNOWN")]
    assert http.get("/v1/models/live/versions/3").json()["model_version_status"][0] == {
        "version": "3", "state": "LOADING", "status": {"error_code": "UNKNOWN", "error_message": "UNKNOWN"}}
    channel.close()


def test_reload_errors_change_nothing_or_only_what_loads(repo, daemon, http):
    config = repo / "config.json"
    good = config.read_text()
    config.write_text('{"model_config_list": [')
    response = reload(http, 500)
    assert response.text == '{\n\t"error": "Reloading config file failed. Check server logs for more info."\n}'
    assert answer(http) == 1.0 and "is invalid, nothing changed" in daemon.log()
    config.unlink()
    assert reload(http, 500).json() == {"error": "Config file not found or cannot open."}
    config.write_text(good)
    reload(http, 200)  # the file that is served already: nothing to do

    (repo / "third").mkdir()
    add_version(repo / "third", 1)
    write_config(config, {"live": {}, "other": {}, "missing": {}, "third": {}})
    assert reload(http, 500).json()["error"] == "Reloading config file failed. Check server logs for more info."
    assert answer(http, "third") == 1.0  # the bad entry did not block the good one
    assert served(http)["missing"] == []
    assert reload(http, 500).status_code == 500  # applied again on each request, until it loads cleanly
    write_config(config, {"live": {}, "other": {}, "third": {}})
    reload(http, 201)
    reload(http, 200)


def test_request_for_a_loading_version_waits_for_it(repo, daemon, http):
    spec = mf.build_slow_ir(repo / "staging-slow/1", depth=256)
    (repo / "slow").mkdir()
    (repo / "staging-slow/1").rename(repo / "slow/1")
    write_config(repo / "config.json", {"live": {}, "slow": {"model_version_policy": {"all": {}}}})
    reload(http, 201)
    shutil.copytree(repo / "slow/1", repo / "staging-slow/2")
    (repo / "staging-slow/2").rename(repo / "slow/2")
    reloading = threading.Thread(target=lambda: http.post("/v1/config/reload"))
    reloading.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until version 2 is known and loading
        status = http.get("/v1/models/slow/versions/2")
        if status.status_code == 200 and status.json()["model_version_status"][0]["state"] == "LOADING":
            break
        time.sleep(0.005)
    else:
        pytest.fail("version 2 was never seen LOADING")
    x = spec.sample_inputs()["x"]
    started = time.monotonic()
    response = http.post("/v1/models/slow/versions/2:predict", json={"inputs": {"x": x.tolist()}})
    assert response.status_code == 200, response.text
    waited = time.monotonic() - started
    reloading.join(30)
    np.testing.assert_allclose(response.json()["outputs"], spec.expected({"x": x})["y"], atol=spec.atol)
    assert "Model slow version 2 loaded" in daemon.log()
    assert waited < 10  # bounded by OVMS's 10 s wait
