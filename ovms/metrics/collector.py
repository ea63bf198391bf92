"""A prometheus-client collector over :class:`ServerMetrics`, and the daemon's registry.

At each scrape the collector first asks ``live`` for the schedulers' current state (requests in
process, busy infer requests, queued requests) and sets the live gauges from it, then yields one
prometheus-client metric family per enabled family, following prometheus-client's conventions
(counter samples named ``<name>_total``); :mod:`ovms.metrics.exposition` writes them with OVMS's
names. Scrapes run on the event loop, like every update, so a scrape sees a consistent state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ovms.metrics.reporter import ServerMetrics
from ovms.metrics.series import Counter, Family, Gauge, Histogram, Labels


class LiveVersion(NamedTuple):
    """A served version's state at scrape time."""

    name: str
    version: int
    current: int  # requests submitted and not answered (waiting or running)
    active: int  # infer requests running inference
    queued: int  # requests waiting for an infer request


LiveSource = Callable[[], Iterable[LiveVersion]]


def _no_live() -> Iterable[LiveVersion]:
    return ()


class OvmsCollector(Collector):
    """Yields the enabled families of ``metrics``; live gauges come from ``live`` at each scrape."""

    def __init__(self, metrics: ServerMetrics, live: LiveSource = _no_live) -> None:
        self._metrics = metrics
        self._live = live

    def collect(self) -> Iterator[Metric]:
        state: dict[Labels, tuple[int, int, int]] = {
            (v.name, str(v.version)): (v.current, v.active, v.queued) for v in self._live()
        }
        self._metrics.set_live(state)
        for family in self._metrics.families.values():
            yield to_metric(family)


def build_registry(metrics: ServerMetrics, live: LiveSource = _no_live) -> CollectorRegistry:
    """A registry owned by the daemon (never prometheus-client's global one) holding the collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OvmsCollector(metrics, live))
    return registry


def to_metric(family: Family) -> Metric:
    """One family as a prometheus-client metric; a label whose value is None is left out."""
    spec = family.spec
    metric = Metric(spec.name, spec.help, spec.kind)
    for values, series in family.series.items():
        labels = {k: v for k, v in zip(spec.labels, values, strict=True) if v is not None}
        if isinstance(series, Histogram):
            _add_histogram(metric, labels, series)
        elif isinstance(series, Counter):
            metric.add_sample(spec.name + "_total", labels, series.value)
        else:
            assert isinstance(series, Gauge)
            metric.add_sample(spec.name, labels, series.value)
    return metric


def _add_histogram(metric: Metric, labels: dict[str, str], series: Histogram) -> None:
    cumulative = series.cumulative()
    for bound, count in zip((*series.bounds, float("inf")), cumulative, strict=True):
        metric.add_sample(metric.name + "_bucket", {**labels, "le": _le(bound)}, count)
    metric.add_sample(metric.name + "_count", labels, cumulative[-1])
    metric.add_sample(metric.name + "_sum", labels, series.sum)


def _le(bound: float) -> str:
    """OVMS writes integral bounds without a fraction: ``le="10"``, and ``le="+Inf"``."""
    if bound == float("inf"):
        return "+Inf"
    return str(int(bound)) if bound.is_integer() else repr(bound)
