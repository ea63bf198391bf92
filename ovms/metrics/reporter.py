"""The daemon's metrics: request accounting for the DataPlane, observers for manager and scheduler.

What is counted (OVMS's semantics, ``src/model_metric_reporter.cpp`` and its callers):

- ``ovms_requests_success``/``_fail``: one per request that names a known model (and, for
  versioned methods, a version that could be resolved), by API, interface, method, model and
  version; GetModelStatus and ModelReady have no version label. Requests for unknown models, and
  requests the edge rejects before they reach the DataPlane (unparsable JSON or protobuf), are not
  counted: there is no model series to count them in.
- ``ovms_request_time_us``: successful Predict/ModelInfer requests, from the DataPlane's entry to
  its answer (waiting for a loading version, validation, queue, inference; not wire (de)coding).
- ``ovms_inference_time_us`` per inference, ``ovms_wait_for_infer_req_time_us`` per request, from
  the scheduler's hooks; ``ovms_streams`` and ``ovms_infer_req_queue_size`` set at each (re)load.

Every series of a version is created, at zero, when the version is loaded: all 12 (API x interface
x method) success and fail combinations, as OVMS pre-creates them. Series are never dropped; a
retired version keeps its counts and shows 0 streams. Event loop only (see :mod:`series`).
"""

from __future__ import annotations

from typing import cast

from ovms.errors import Status
from ovms.metrics import families as f
from ovms.metrics.config import MetricsConfig
from ovms.metrics.series import DISABLED, Family, Gauge, Incrementable, Labels, Observable, Settable
from ovms.scheduler.observer import SchedulerObserver, VersionObserver
from ovms.types import Frontend

US = 1e6
LIVE_GAUGES = (f.CURRENT_REQUESTS, f.INFER_REQ_ACTIVE, f.INFER_REQ_QUEUE_DEPTH)


class RequestSeries:
    """The series one kind of request updates: success and fail counters, request time (infer)."""

    __slots__ = ("fail", "success", "time")

    def __init__(self, success: Incrementable, fail: Incrementable, time: Observable) -> None:
        self.success, self.fail, self.time = success, fail, time

    def succeeded(self, seconds: float = 0.0) -> None:
        """One request answered successfully after ``seconds`` in the server core."""
        self.success.inc()
        self.time.observe(seconds * US)

    def failed(self) -> None:
        """One request answered with an error."""
        self.fail.inc()


NO_REQUEST_SERIES = RequestSeries(DISABLED, DISABLED, DISABLED)


class RequestMetrics:
    """What the DataPlane reports to. This base counts nothing (metrics disabled)."""

    def requests(self, name: str, version: int, frontend: Frontend, op: f.Operation) -> RequestSeries:
        """The series for ``op`` requests to ``name``/``version`` through ``frontend`` (cached)."""
        return NO_REQUEST_SERIES


NO_METRICS = RequestMetrics()


class VersionMetrics(SchedulerObserver):
    """One version's scheduler observer: waiting and inference times, batch sizes, rejections."""

    def __init__(self, owner: ServerMetrics, name: str, version: str) -> None:
        self._wait = owner.histogram(f.WAIT_FOR_INFER_REQ_TIME, (name, version))
        self._inference = owner.histogram(f.INFERENCE_TIME, (name, version))
        self._batch = owner.histogram(f.BATCH_SIZE, (name, version))
        self._answer = owner.histogram(f.SCHEDULER_TIME, (name, version))
        self._owner, self._labels = owner, (name, version)
        self._rejected = {reason: owner.counter(f.INFER_REQ_REJECTED, (name, version, reason))
                          for reason in f.REJECT_REASONS}

    def on_wait(self, seconds: float) -> None:
        self._wait.observe(seconds * US)

    def on_inference(self, seconds: float, batch_size: int) -> None:
        self._inference.observe(seconds * US)
        self._batch.observe(batch_size)

    def on_answer(self, seconds: float) -> None:
        self._answer.observe(seconds * US)

    def on_reject(self, status: Status) -> None:
        reason = status.name.lower()
        counter = self._rejected.get(reason)
        if counter is None:  # a reason the scheduler did not have when this was written
            counter = self._rejected[reason] = self._owner.counter(f.INFER_REQ_REJECTED, (*self._labels, reason))
        counter.inc()


class ServerMetrics(RequestMetrics, VersionObserver):
    """All series of the enabled families; the manager's version observer; the DataPlane's sink."""

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self.families: dict[str, Family] = {s.name: Family(s) for s in f.FAMILIES if config.on(s.name)}
        self._requests: dict[tuple[str, int, Frontend, str], RequestSeries] = {}
        self._observers: dict[tuple[str, int], VersionMetrics] = {}

    def counter(self, family: str, labels: Labels) -> Incrementable:
        """The counter of ``family`` for ``labels``; a no-op stand-in when the family is off."""
        return cast(Incrementable, self._series(family, labels))

    def gauge(self, family: str, labels: Labels) -> Settable:
        """The gauge of ``family`` for ``labels``; a no-op stand-in when the family is off."""
        return cast(Settable, self._series(family, labels))

    def histogram(self, family: str, labels: Labels) -> Observable:
        """The histogram of ``family`` for ``labels``; a no-op stand-in when the family is off."""
        return cast(Observable, self._series(family, labels))

    def _series(self, family: str, labels: Labels) -> object:
        found = self.families.get(family)
        return DISABLED if found is None else found.get(labels)

    def requests(self, name: str, version: int, frontend: Frontend, op: f.Operation) -> RequestSeries:
        key = (name, version, frontend, op)
        found = self._requests.get(key)
        if found is None:
            found = self._requests[key] = self._request_series(name, version, frontend, op)
        return found

    def _request_series(self, name: str, version: int, frontend: Frontend, op: f.Operation) -> RequestSeries:
        method = f.METHODS[(frontend.api, op)]
        label = None if op in f.VERSIONLESS else str(version)
        labels = (frontend.api, frontend.interface, method, name, label)
        time = self.histogram(f.REQUEST_TIME, (frontend.interface, name, str(version))) if op in f.TIMED else DISABLED
        return RequestSeries(self.counter(f.REQUESTS_SUCCESS, labels), self.counter(f.REQUESTS_FAIL, labels), time)

    def loaded(self, name: str, version: int, nireq: int, streams: int) -> SchedulerObserver:
        """Pre-create every series of the version, set streams and nireq; its scheduler observer."""
        for frontend in f.FRONTENDS:
            for op in f.operations(frontend):
                self.requests(name, version, frontend, op)
        labels = (name, str(version))
        self.gauge(f.STREAMS, labels).set(streams)
        self.gauge(f.INFER_REQ_QUEUE_SIZE, labels).set(nireq)
        for family in LIVE_GAUGES:
            self.gauge(family, labels)
        observer = self._observers.get((name, version))
        if observer is None:
            observer = self._observers[(name, version)] = VersionMetrics(self, name, str(version))
        return observer

    def retired(self, name: str, version: int) -> None:
        """The version stopped serving: 0 streams (its counts stay)."""
        self.gauge(f.STREAMS, (name, str(version))).set(0)

    def set_live(self, live: dict[Labels, tuple[int, int, int]]) -> None:
        """Live gauges before a scrape: (name, version) -> (current, active, queued); others 0."""
        for index, family in enumerate(LIVE_GAUGES):
            found = self.families.get(family)
            if found is None:
                continue
            for labels, gauge in found.series.items():
                values = live.get(labels)
                assert isinstance(gauge, Gauge)
                gauge.set(0 if values is None else values[index])
