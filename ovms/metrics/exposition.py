"""Prometheus text exposition (format 0.0.4) as OVMS writes it, and the ``GET /metrics`` endpoint.

OVMS (prometheus-cpp) names counter samples after their family, without prometheus-client's
``_total`` suffix and without ``_created`` samples: ``ovms_requests_success{...} 3``. Dashboards,
alerts and autoscalers written for OVMS query those names, so :func:`render` writes them so;
prometheus-client's own parser reads the result (it reports counter samples as ``*_total``).
Labels are sorted by name with ``le`` last; integral values are written without a fraction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol

from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Collecting(Protocol):
    """Anything with ``collect()`` yielding metrics: a CollectorRegistry or a collector."""

    def collect(self) -> Iterable[Metric]: ...


def render(source: Collecting) -> bytes:
    """The text exposition of every metric ``source`` collects."""
    out: list[str] = []
    for metric in source.collect():
        out.append(f"# HELP {metric.name} {_escape_help(metric.documentation)}\n")
        out.append(f"# TYPE {metric.name} {metric.type}\n")
        for sample in metric.samples:
            if sample.name.endswith("_created"):
                continue
            name = metric.name if metric.type == "counter" else sample.name
            out.append(f"{name}{_labels(sample.labels)} {_value(sample.value)}\n")
    return "".join(out).encode()


def metrics_endpoint(source: Collecting) -> ASGIApp:
    """An ASGI app answering any request with 200 and :func:`render` of ``source``."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        body = render(source)
        headers = [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return endpoint


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    keys = sorted(k for k in labels if k != "le")
    if "le" in labels:
        keys.append("le")
    return "{" + ",".join(f'{k}="{_escape_value(labels[k])}"' for k in keys) + "}"


def _value(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 2**53):
        return str(int(value))
    return floatToGoString(value)


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _escape_value(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
