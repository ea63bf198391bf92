"""Text exposition with OVMS's names and the GET /metrics ASGI endpoint."""

import asyncio
import re

from prometheus_client.metrics_core import Metric

from ovms.metrics import families as f
from ovms.metrics.collector import build_registry
from ovms.metrics.config import resolve
from ovms.metrics.exposition import CONTENT_TYPE, metrics_endpoint, render
from ovms.metrics.reporter import ServerMetrics
from ovms.types import KSERVE_REST
from tests.metrics.promtext import key, samples

OVMS_BUCKETS = [10, 18, 32, 58, 104, 188, 340, 612, 1101, 1983, 3570, 6426, 11568, 20822, 37481, 67466,
                121439, 218591, 393464, 708235, 1274823, 2294682, 4130428, 7434771, 13382588, 24088659,
                43359586, 78047255, 140485060, 252873108, 455171596, 819308872, 1474755971]


class Fixed:
    """A collector yielding given metrics."""

    def __init__(self, *metrics: Metric) -> None:
        self.metrics = metrics

    def collect(self):
        return iter(self.metrics)


def test_bucket_list_is_ovms():
    assert list(f.TIME_BUCKETS_US) == OVMS_BUCKETS


def test_counters_keep_ovms_names_and_labels_are_sorted_with_le_last():
    m = ServerMetrics(resolve(True, (), None, 8000))
    m.loaded("resnet", 1, 1, 1)
    m.requests("resnet", 1, KSERVE_REST, "infer").succeeded(0.00002)
    text = render(build_registry(m)).decode()
    assert "# TYPE ovms_requests_success counter\n" in text
    assert "# HELP ovms_requests_success Number of successful requests to a model or a DAG.\n" in text
    assert ('ovms_requests_success{api="KServe",interface="REST",method="ModelInfer",name="resnet",version="1"} 1\n'
            in text)
    assert 'ovms_requests_success{api="KServe",interface="REST",method="ModelReady",name="resnet"} 0\n' in text
    assert 'ovms_request_time_us_bucket{interface="REST",name="resnet",version="1",le="32"} 1\n' in text
    assert 'ovms_request_time_us_bucket{interface="REST",name="resnet",version="1",le="+Inf"} 1\n' in text
    assert "_total" not in text and "_created" not in text
    for line in text.splitlines():
        assert line.startswith("#") or re.fullmatch(r'[a-z_]+(\{[^}]*\})? -?[0-9.e+]+', line), line


def test_values_help_and_label_escaping():
    metric = Metric("x", 'a "help"\\ with\nnewline', "gauge")
    metric.add_sample("x", {"name": 'we"ird\\na\nme'}, 0.25)
    metric.add_sample("x", {"name": "big"}, 3.0)
    text = render(Fixed(metric)).decode()
    assert '# HELP x a "help"\\\\ with\\nnewline\n' in text
    assert 'x{name="we\\"ird\\\\na\\nme"} 0.25\n' in text and 'x{name="big"} 3\n' in text
    assert samples(text)[key("x", name='we"ird\\na\nme')] == 0.25


def test_endpoint_answers_with_the_text_format():
    m = ServerMetrics(resolve(True, ("ovms_streams",), None, 8000))
    m.loaded("m", 2, 1, 4)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    app = metrics_endpoint(build_registry(m))
    asyncio.run(app({"type": "http", "method": "GET", "path": "/metrics", "headers": []}, receive, send))
    start, body = sent
    assert start["status"] == 200
    headers = dict(start["headers"])
    assert headers[b"content-type"] == CONTENT_TYPE.encode()
    assert int(headers[b"content-length"]) == len(body["body"])
    assert body["body"].decode() == (
        "# HELP ovms_streams Number of OpenVINO execution streams.\n"
        "# TYPE ovms_streams gauge\n"
        'ovms_streams{name="m",version="2"} 4\n'
    )
