"""ServerMetrics: series pre-created at load, request accounting, scheduler hooks, live gauges."""

from prometheus_client import generate_latest

from ovms.errors import Status
from ovms.metrics import families as f
from ovms.metrics.collector import LiveVersion, build_registry
from ovms.metrics.config import resolve
from ovms.metrics.exposition import render
from ovms.metrics.reporter import ServerMetrics
from ovms.types import KSERVE_GRPC, KSERVE_REST, TFS_GRPC, TFS_REST
from tests.metrics.promtext import key, parse, samples


def metrics(*families: str) -> ServerMetrics:
    return ServerMetrics(resolve(True, families, None, 8000))


def scrape(m: ServerMetrics, live=()) -> str:
    return render(build_registry(m, lambda: live)).decode()


def test_load_precreates_every_series_at_zero():
    m = metrics()
    m.loaded("m", 1, nireq=4, streams=2)
    s = samples(scrape(m))
    for family in ("ovms_requests_success_total", "ovms_requests_fail_total"):
        series = {k: v for k, v in s.items() if k[0] == family}
        assert len(series) == 12 and set(series.values()) == {0}
        methods = {(d["api"], d["interface"], d["method"], d.get("version")) for d in map(dict, (k[1] for k in series))}
        assert ("TensorFlowServing", "REST", "GetModelStatus", None) in methods
        assert ("KServe", "gRPC", "ModelReady", None) in methods
        assert ("KServe", "REST", "ModelInfer", "1") in methods
        assert ("TensorFlowServing", "gRPC", "GetModelMetadata", "1") in methods
    assert s[key("ovms_streams", name="m", version="1")] == 2
    for interface in ("gRPC", "REST"):
        assert s[key("ovms_request_time_us_count", interface=interface, name="m", version="1")] == 0
    for reason in ("queue_full", "deadline_exceeded", "shutting_down"):
        assert s[key("ovms_infer_req_rejected_total", name="m", version="1", reason=reason)] == 0
    assert s[key("ovms_current_requests", name="m", version="1")] == 0
    assert s[key("ovms_infer_req_queue_depth", name="m", version="1")] == 0
    assert not any(k[0] in ("ovms_infer_req_queue_size", "ovms_infer_req_active") for k in s)  # optional


def test_request_accounting_counts_and_times():
    m = metrics()
    m.loaded("m", 3, 1, 1)
    infer = m.requests("m", 3, TFS_GRPC, "infer")
    assert m.requests("m", 3, TFS_GRPC, "infer") is infer  # cached: no label lookup per request
    infer.succeeded(0.0005)
    infer.succeeded(0.002)
    infer.failed()
    m.requests("m", 3, KSERVE_REST, "metadata").succeeded()
    m.requests("m", 0, TFS_REST, "status").failed()
    m.requests("m", 3, KSERVE_GRPC, "ready").succeeded()
    s = samples(scrape(m))
    predict = dict(api="TensorFlowServing", interface="gRPC", method="Predict", name="m", version="3")
    assert s[key("ovms_requests_success_total", **predict)] == 2
    assert s[key("ovms_requests_fail_total", **predict)] == 1
    assert s[key("ovms_requests_success_total", api="KServe", interface="REST", method="ModelMetadata",
                 name="m", version="3")] == 1
    assert s[key("ovms_requests_fail_total", api="TensorFlowServing", interface="REST", method="GetModelStatus",
                 name="m")] == 1
    assert s[key("ovms_requests_success_total", api="KServe", interface="gRPC", method="ModelReady", name="m")] == 1
    timing = dict(interface="gRPC", name="m", version="3")
    assert s[key("ovms_request_time_us_count", **timing)] == 2  # successes only, as OVMS
    assert s[key("ovms_request_time_us_sum", **timing)] == 2500
    assert s[key("ovms_request_time_us_bucket", le="612", **timing)] == 1
    assert s[key("ovms_request_time_us_bucket", le="1983", **timing)] == 1
    assert s[key("ovms_request_time_us_bucket", le="3570", **timing)] == 2
    assert s[key("ovms_request_time_us_count", interface="REST", name="m", version="3")] == 0  # metadata untimed


def test_scheduler_hooks_and_reload_keep_counts():
    m = metrics()
    observer = m.loaded("m", 1, nireq=2, streams=1)
    observer.on_wait(0.00001)  # 10 us: a value on a bound falls in that bucket
    observer.on_inference(0.001, 3)
    observer.on_reject(Status.QUEUE_FULL)
    observer.on_reject(Status.QUEUE_FULL)
    observer.on_reject(Status.DEADLINE_EXCEEDED)
    assert m.loaded("m", 1, nireq=8, streams=3) is observer  # a reload of the version keeps its series
    s = samples(scrape(m))
    labels = dict(name="m", version="1")
    assert s[key("ovms_wait_for_infer_req_time_us_bucket", le="10", **labels)] == 1
    assert s[key("ovms_inference_time_us_sum", **labels)] == 1000
    assert s[key("ovms_batch_size_bucket", le="2", **labels)] == 0
    assert s[key("ovms_batch_size_bucket", le="4", **labels)] == 1
    assert s[key("ovms_infer_req_rejected_total", reason="queue_full", **labels)] == 2
    assert s[key("ovms_infer_req_rejected_total", reason="deadline_exceeded", **labels)] == 1
    assert s[key("ovms_streams", **labels)] == 3
    m.retired("m", 1)
    s = samples(scrape(m))
    assert s[key("ovms_streams", **labels)] == 0  # OVMS: 0 streams after unload; counts stay
    assert s[key("ovms_inference_time_us_count", **labels)] == 1


def test_scheduler_time_is_optional_with_fine_buckets():
    assert "ovms_scheduler_time_us" not in scrape(metrics())  # not a default family
    m = metrics("ovms_scheduler_time_us")
    observer = m.loaded("m", 1, nireq=2, streams=1)
    observer.on_answer(0.0025)  # 2500 us
    observer.on_answer(0.0027)
    s = samples(scrape(m))
    labels = dict(name="m", version="1")
    bounds = sorted(float(dict(k[1])["le"]) for k in s if k[0] == "ovms_scheduler_time_us_bucket")
    assert len(set(bounds)) == len(bounds)
    assert all(b / a <= 1.05 + 1 / a for a, b in zip(bounds[:-2], bounds[1:-1]))  # 5 % apart, floored
    assert s[key("ovms_scheduler_time_us_bucket", le="2385", **labels)] == 0
    assert s[key("ovms_scheduler_time_us_bucket", le="2504", **labels)] == 1
    assert s[key("ovms_scheduler_time_us_bucket", le="2630", **labels)] == 1
    assert s[key("ovms_scheduler_time_us_bucket", le="2761", **labels)] == 2
    assert s[key("ovms_scheduler_time_us_sum", **labels)] == 5200


def test_live_gauges_are_read_at_scrape_time():
    m = metrics("ovms_current_requests", "ovms_infer_req_active", "ovms_infer_req_queue_depth",
                "ovms_infer_req_queue_size")
    m.loaded("m", 1, nireq=4, streams=1)
    m.loaded("m", 2, nireq=4, streams=1)
    s = samples(scrape(m, [LiveVersion("m", 1, current=5, active=2, queued=3)]))
    assert s[key("ovms_current_requests", name="m", version="1")] == 5
    assert s[key("ovms_infer_req_active", name="m", version="1")] == 2
    assert s[key("ovms_infer_req_queue_depth", name="m", version="1")] == 3
    assert s[key("ovms_infer_req_queue_size", name="m", version="1")] == 4
    assert s[key("ovms_current_requests", name="m", version="2")] == 0
    s = samples(scrape(m))
    assert s[key("ovms_current_requests", name="m", version="1")] == 0  # gone from the live state


def test_disabled_families_cost_nothing_and_do_not_appear():
    m = metrics("ovms_requests_fail")
    observer = m.loaded("m", 1, 1, 1)
    m.requests("m", 1, TFS_GRPC, "infer").succeeded(0.1)
    m.requests("m", 1, TFS_GRPC, "infer").failed()
    observer.on_inference(0.1, 1)
    observer.on_reject(Status.SHUTTING_DOWN)
    assert set(parse(scrape(m))) == {"ovms_requests_fail"}


def test_every_family_parses_with_its_type_and_help():
    m = metrics(*f.ALL_FAMILIES)
    m.loaded("m", 1, 1, 1)
    parsed = parse(scrape(m))
    assert set(parsed) == f.ALL_FAMILIES
    for spec in f.FAMILIES:
        assert parsed[spec.name].type == spec.kind
        assert parsed[spec.name].documentation == spec.help


def test_prometheus_client_exposition_also_works():
    m = metrics()
    m.loaded("m", 1, 1, 1)
    text = generate_latest(build_registry(m)).decode()  # prometheus-client's own names: *_total
    assert 'ovms_requests_success_total{api="KServe"' in text
