"""The metric families: OVMS's (names, HELP texts, labels, buckets) plus ovms-py's scheduler ones.

OVMS's default families are on with ``--metrics_enable`` alone; optional ones only when listed in
``metrics_list``. ovms-py adds three scheduler families in the same style (default on):

- ``ovms_batch_size`` (histogram, name/version): rows per inference; above 1 only with dynamic
  batching, where it shows how full the batches are;
- ``ovms_infer_req_queue_depth`` (gauge, name/version): requests waiting for an infer request
  (read at scrape time);
- ``ovms_infer_req_rejected`` (counter, name/version/reason): requests the scheduler refused,
  ``reason`` one of ``queue_full``, ``deadline_exceeded``, ``shutting_down``. (Not
  ``ovms_requests_rejected``: OVMS uses that name for MediaPipe graphs, with other labels.)

and one optional family (only when named in ``metrics_list``):

- ``ovms_scheduler_time_us`` (histogram, name/version): per answered request, the time from
  entering the scheduler's queue to its result (waiting, batch formation, inference, split). Its
  buckets are 5 % apart, fine enough to check a latency bound such as dynamic batching's
  "queue delay plus one batch's inference" (OVMS's time buckets are 80 % apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ovms.types import KSERVE_GRPC, KSERVE_REST, TFS_GRPC, TFS_REST, Frontend

Kind = Literal["counter", "gauge", "histogram"]
Operation = Literal["infer", "metadata", "status", "ready"]

# OVMS: floor(10 * 1.8**i) for i in 0..32 (microseconds); +Inf is implicit.
TIME_BUCKETS_US: tuple[float, ...] = tuple(float(math.floor(10 * 1.8**i)) for i in range(33))
# 20 us .. ~10 s, each bound 5 % above the previous one (from 20 us on, flooring keeps them distinct).
FINE_TIME_BUCKETS_US: tuple[float, ...] = tuple(float(math.floor(20 * 1.05**i)) for i in range(270))
BATCH_BUCKETS: tuple[float, ...] = tuple(float(2**i) for i in range(11))  # 1 .. 1024 rows

REQUESTS_SUCCESS = "ovms_requests_success"
REQUESTS_FAIL = "ovms_requests_fail"
REQUEST_TIME = "ovms_request_time_us"
INFERENCE_TIME = "ovms_inference_time_us"
WAIT_FOR_INFER_REQ_TIME = "ovms_wait_for_infer_req_time_us"
STREAMS = "ovms_streams"
CURRENT_REQUESTS = "ovms_current_requests"
INFER_REQ_QUEUE_SIZE = "ovms_infer_req_queue_size"
INFER_REQ_ACTIVE = "ovms_infer_req_active"
BATCH_SIZE = "ovms_batch_size"
INFER_REQ_QUEUE_DEPTH = "ovms_infer_req_queue_depth"
INFER_REQ_REJECTED = "ovms_infer_req_rejected"
SCHEDULER_TIME = "ovms_scheduler_time_us"

REQUEST_LABELS = ("api", "interface", "method", "name", "version")
VERSION_LABELS = ("name", "version")


@dataclass(frozen=True)
class FamilySpec:
    """One family as exposed: name, type, HELP text, label names (in exposition order), buckets."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    default: bool = True
    buckets: tuple[float, ...] = ()


# Exposition order follows OVMS's registration order; ovms-py's families come last.
FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(REQUESTS_SUCCESS, "counter", "Number of successful requests to a model or a DAG.", REQUEST_LABELS),
    FamilySpec(REQUESTS_FAIL, "counter", "Number of failed requests to a model or a DAG.", REQUEST_LABELS),
    FamilySpec(REQUEST_TIME, "histogram", "Processing time of requests to a model or a DAG.",
               ("interface", "name", "version"), buckets=TIME_BUCKETS_US),
    FamilySpec(INFERENCE_TIME, "histogram", "Inference execution time in the OpenVINO backend.",
               VERSION_LABELS, buckets=TIME_BUCKETS_US),
    FamilySpec(WAIT_FOR_INFER_REQ_TIME, "histogram", "Request waiting time in the scheduling queue.",
               VERSION_LABELS, buckets=TIME_BUCKETS_US),
    FamilySpec(STREAMS, "gauge", "Number of OpenVINO execution streams.", VERSION_LABELS),
    FamilySpec(INFER_REQ_QUEUE_SIZE, "gauge", "Inference request queue size (nireq).", VERSION_LABELS,
               default=False),
    FamilySpec(INFER_REQ_ACTIVE, "gauge",
               "Number of currently consumed inference request from the processing queue.", VERSION_LABELS,
               default=False),
    FamilySpec(CURRENT_REQUESTS, "gauge", "Number of inference requests currently in process.", VERSION_LABELS),
    FamilySpec(BATCH_SIZE, "histogram", "Number of request rows run together in one inference.",
               VERSION_LABELS, buckets=BATCH_BUCKETS),
    FamilySpec(INFER_REQ_QUEUE_DEPTH, "gauge",
               "Number of requests waiting in the scheduling queue for an inference request.", VERSION_LABELS),
    FamilySpec(INFER_REQ_REJECTED, "counter", "Number of requests refused by the scheduler, by reason.",
               (*VERSION_LABELS, "reason")),
    FamilySpec(SCHEDULER_TIME, "histogram",
               "Time requests spent in the scheduler: queued, batched and in inference.", VERSION_LABELS,
               default=False, buckets=FINE_TIME_BUCKETS_US),
)
BY_NAME: dict[str, FamilySpec] = {f.name: f for f in FAMILIES}
DEFAULT_FAMILIES: frozenset[str] = frozenset(f.name for f in FAMILIES if f.default)
ALL_FAMILIES: frozenset[str] = frozenset(BY_NAME)

# (api, operation) -> OVMS's ``method`` label. TFS has no ModelReady, KServe no GetModelStatus.
METHODS: dict[tuple[str, Operation], str] = {
    ("TensorFlowServing", "infer"): "Predict",
    ("TensorFlowServing", "metadata"): "GetModelMetadata",
    ("TensorFlowServing", "status"): "GetModelStatus",
    ("KServe", "infer"): "ModelInfer",
    ("KServe", "metadata"): "ModelMetadata",
    ("KServe", "ready"): "ModelReady",
}
FRONTENDS: tuple[Frontend, ...] = (TFS_GRPC, TFS_REST, KSERVE_GRPC, KSERVE_REST)
VERSIONLESS: frozenset[Operation] = frozenset({"status", "ready"})  # OVMS: no version label
TIMED: frozenset[Operation] = frozenset({"infer"})  # ovms_request_time_us covers inference requests
REJECT_REASONS: tuple[str, ...] = ("queue_full", "deadline_exceeded", "shutting_down")


def operations(frontend: Frontend) -> tuple[Operation, ...]:
    """The operations counted for ``frontend``'s API, in OVMS's order."""
    return tuple(op for (api, op) in METHODS if api == frontend.api)
