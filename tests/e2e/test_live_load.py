"""Live model management under steady load: zero failed requests, only allowed versions answer.

Clients (gRPC through tensorflow-serving-api's stubs and REST through httpx) ask for the default
version of ``live`` in a loop while the test adds, removes and replaces versions and edits the
config. Version v computes ``a = b + v``, so every answer names the version that computed it. The
test keeps a timeline of epochs: an epoch starts when the first file operation of a step begins
and ends when the daemon is known to have applied the next step; its allowed versions are the
default version (highest version the policy selects among the loadable ones) after each of its
file operations. An answer is correct when an epoch overlapping its request allows its version.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.e2e.daemon import Daemon, start_daemon
from tests.e2e.test_live_reload import add_version, remove_version

X = np.zeros((1, 10), np.float32)
CLIENTS_PER_API = 3


@dataclass
class Outcome:
    sent: float
    received: float
    version: float | None = None
    error: str | None = None


class Load:
    """Client threads asking for the default version of ``live`` until stopped."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.outcomes: list[Outcome] = []
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(api,)) for api in ("grpc", "rest") * CLIENTS_PER_API]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(60)

    def _run(self, api: str) -> None:
        call = self._grpc_caller() if api == "grpc" else self._rest_caller()
        while not self.stopped.is_set():
            outcome = Outcome(time.monotonic(), math.inf)
            try:
                outcome.version = call()
            except Exception as err:  # noqa: BLE001 - every failure is recorded and fails the test
                outcome.error = f"{api}: {err!r}"
            outcome.received = time.monotonic()
            self.outcomes.append(outcome)

    def _grpc_caller(self):
        stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(self.daemon.grpc_url))
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "live"
        request.inputs["b"].CopyFrom(tensor_pb2.TensorProto(
            dtype=types_pb2.DT_FLOAT, tensor_content=X.tobytes(),
            tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d)
                                                                for d in X.shape])))

        def call() -> float:
            response = stub.Predict(request, timeout=30)
            value = float(np.frombuffer(response.outputs["a"].tensor_content, np.float32)[0])
            assert response.model_spec.version.value == value, response.model_spec
            return value

        return call

    def _rest_caller(self):
        client = httpx.Client(base_url=self.daemon.rest_url, timeout=30)

        def call() -> float:
            response = client.post("/v1/models/live:predict", json={"instances": X.tolist()})
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} {response.text}")
            return float(response.json()["predictions"][0][0])

        return call


@dataclass
class Repo:
    """The model folder and config.json the daemon watches, and what the test has done to them."""

    root: Path
    good: set[int] = field(default_factory=lambda: {1, 2})
    broken: set[int] = field(default_factory=set)
    entry: dict = field(default_factory=dict)  # extra config keys of "live"
    others: bool = False
    last: int = 2

    def __post_init__(self) -> None:
        (self.root / "live").mkdir()
        (self.root / "other").mkdir()
        for version in self.good:
            add_version(self.root / "live", version)
        add_version(self.root / "other", 1)
        self.write_config()

    def selected(self, versions: set[int] | None = None) -> set[int]:
        """The versions the policy picks out of ``versions`` (default: the loadable ones), i.e. those
        served once the daemon has applied the current state."""
        versions = self.good if versions is None else versions
        policy = self.entry.get("model_version_policy", {"latest": {}})
        if "specific" in policy:
            return {v for v in versions if v in policy["specific"]["versions"]}
        return set(sorted(versions)[-policy["latest"].get("num_versions", 1):])

    def tried_broken(self) -> bool:
        """Whether the daemon tries (and fails) to load a broken version: the policy picks it."""
        return bool(self.broken & self.selected(self.good | self.broken))

    def default(self) -> int:
        return max(self.selected())

    def write_config(self) -> None:
        models = {"live": self.entry, **({"other": {}} if self.others else {})}
        entries = [{"config": {"name": n, "base_path": n, **extra}} for n, extra in models.items()]
        staging = self.root / "config.json.new"
        staging.write_text(json.dumps({"model_config_list": entries}))
        staging.rename(self.root / "config.json")

    def add(self, broken: bool = False) -> None:
        self.last += 1
        add_version(self.root / "live", self.last, broken=broken)
        (self.broken if broken else self.good).add(self.last)

    def remove(self, version: int) -> None:
        remove_version(self.root / "live", version)
        self.good.discard(version)
        self.broken.discard(version)


class Timeline:
    """Epochs (start, end, allowed default versions) as the steps of the test apply."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.epochs: list[list] = [[0.0, math.inf, {repo.default()}]]

    def step(self, ops, sync) -> None:
        start, allowed = time.monotonic(), set()
        for op in ops:
            op()
            allowed.add(self.repo.default())
        sync()
        self.epochs[-1][1] = time.monotonic()
        self.epochs.append([start, math.inf, allowed])

    def allowed(self, outcome: Outcome) -> bool:
        return any(start <= outcome.received and outcome.sent <= end and outcome.version in versions
                   for start, end, versions in self.epochs)


def scenario(repo: Repo):
    """(kind, ops) steps: 24 version changes (add, remove, replace, broken) and 4 config edits."""
    def prune() -> None:  # keep the folder small: drop the lowest version the default cannot need
        specific = repo.entry.get("model_version_policy", {}).get("specific", {}).get("versions", [])
        spare = sorted(v for v in repo.good if v not in specific and v != repo.default())
        if len(repo.good) > 3 and spare:
            repo.remove(spare[0])

    def config(make):
        def edit() -> None:
            changes = make()
            repo.others = changes.pop("others", repo.others)
            repo.entry = {k: v for k, v in {**repo.entry, **changes}.items() if v is not None}
            repo.write_config()
        return "config", [edit]

    add = "version", [repo.add, prune]
    remove = "version", [lambda: repo.remove(max(repo.good))]
    replace = "version", [lambda: repo.remove(max(repo.good)), repo.add, prune]
    broken = "broken", [lambda: repo.add(broken=True)]
    unbreak = "unbreak", [lambda: repo.remove(max(repo.broken))]
    edits = {
        2: config(lambda: {"nireq": 2}),  # reloads every version of live
        6: config(lambda: {"model_version_policy": {"latest": {"num_versions": 2}}, "others": True}),
        10: config(lambda: {"model_version_policy": {"specific": {"versions": [min(repo.good)]}}}),
        12: config(lambda: {"model_version_policy": None, "nireq": None, "others": False}),
    }
    steps = []
    for index, step in enumerate([add, add, remove, replace, broken, unbreak] * 4):
        if index in edits:
            steps.append(edits[index])
        steps.append(step)
    return steps


class Sync:
    """Waits until the daemon has applied a step: by the reload API, or by watching it poll."""

    def __init__(self, daemon: Daemon, http: httpx.Client, repo: Repo, polling: bool) -> None:
        self.daemon, self.http, self.repo, self.polling = daemon, http, repo, polling

    def __call__(self, kind: str) -> None:
        if not self.polling:
            response = self.http.post("/v1/config/reload")
            # 201 or 200 (a step the policy ignores changes nothing), 500 while a broken version is tried.
            expected = {500} if self.repo.tried_broken() else {200, 201}
            assert response.status_code in expected, (kind, response.text)
            return
        deadline = time.monotonic() + 20
        if kind == "config":
            applied = self.daemon.log().count("changed, applying it") + 1
            self._until(lambda: self.daemon.log().count("changed, applying it") >= applied, deadline)
        if kind == "broken" and self.repo.tried_broken():
            failed = f"Model live version {max(self.repo.broken)} failed to load"
            self._until(lambda: failed in self.daemon.log(), deadline)
        self._until(lambda: self._available() == self.repo.selected() and not self._failed_present(), deadline)

    def _statuses(self) -> list[dict]:
        return self.http.get("/v1/models/live").json()["model_version_status"]

    def _available(self) -> set[int]:
        return {int(s["version"]) for s in self._statuses() if s["state"] == "AVAILABLE"}

    def _failed_present(self) -> bool:
        """A removed broken version not yet seen gone (still LOADING with an error)."""
        return any(s["state"] == "LOADING" and int(s["version"]) not in self.repo.broken for s in self._statuses())

    @staticmethod
    def _until(check, deadline: float) -> None:
        while not check():
            assert time.monotonic() < deadline, "the daemon did not apply the step in time"
            time.sleep(0.02)


@pytest.mark.parametrize("mode", ["reload_api", "polling"])
def test_changes_under_load_fail_no_request_and_serve_only_allowed_versions(tmp_path, mode):
    repo = Repo(tmp_path)
    poll = "1" if mode == "polling" else "0"
    daemon = start_daemon(["--config_path", str(tmp_path / "config.json"), "--file_system_poll_wait_seconds", poll],
                          tmp_path)
    timeline, load, steps = Timeline(repo), Load(daemon), scenario(repo)
    try:
        with httpx.Client(base_url=daemon.rest_url, timeout=30) as http:
            sync = Sync(daemon, http, repo, polling=mode == "polling")
            load.start()
            time.sleep(0.3)
            for kind, ops in steps:
                timeline.step(ops, functools.partial(sync, kind))
                time.sleep(0.1)  # let every epoch see requests
            time.sleep(0.3)
    finally:
        load.stop()
        assert daemon.stop() == 0, daemon.log()
    outcomes = load.outcomes
    failures = [o.error for o in outcomes if o.error]
    assert not failures, f"{len(failures)} of {len(outcomes)} requests failed, e.g. {failures[:3]}"
    wrong = [(o.version, o.sent, o.received) for o in outcomes if not timeline.allowed(o)]
    assert not wrong, f"{len(wrong)} answers from versions not allowed then, e.g. {wrong[:3]}\n{timeline.epochs}"
    answered = {o.version for o in outcomes}
    assert len(outcomes) > 1000 and len(answered) >= 8, (len(outcomes), answered)
    assert sum(kind != "config" for kind, _ in steps) >= 20
    assert_never_without_available_version(daemon.log(), "live")


def assert_never_without_available_version(log: str, model: str) -> None:
    """Load before retire: once up, the model always has an AVAILABLE version until shutdown."""
    available: set[str] = set()
    pattern = re.compile(rf'Version (\d+) of model {model} status change\. New status: \( "state": "(\w+)"')
    for version, state in pattern.findall(log.split("Shutting down")[0]):
        if state == "AVAILABLE":
            available.add(version)
        elif available:
            available.discard(version)
            assert available, f"{model} had no AVAILABLE version after version {version} went {state}"
    assert available

