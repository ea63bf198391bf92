"""Server-side latency of a cell: the daemon's ``ovms_scheduler_time_us`` histogram, read around it.

The load tools see a request's whole trip (the kernel, the protocol stack, the event loop's backlog,
the scheduler); this histogram sees only the scheduler's part (queued, batched, run), which is what
a batching policy controls. The daemon runs with ``--metrics_enable --metrics_list
ovms_scheduler_time_us``; each cell scrapes ``/metrics`` before and after, and the difference of the
cumulative bucket counts is that cell's distribution. Buckets are 5 % apart, so a quantile is
known to lie within one bucket: :func:`quantile` returns that bucket's bounds, and its upper bound
is an exact "at most" (Prometheus' ``histogram_quantile`` would interpolate inside it).
"""

from __future__ import annotations

import math
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

FAMILY = "ovms_scheduler_time_us"
DAEMON_FLAGS = ("--metrics_enable", "--metrics_list", FAMILY)
Buckets = dict[float, float]  # upper bound (us, inf for +Inf) -> cumulative count


@dataclass(frozen=True)
class Quantile:
    """A quantile of the scheduler time, in ms: it lies in (``lower``, ``upper``]."""

    lower: float
    upper: float


def parse(text: str, model: str) -> Buckets:
    """The cumulative buckets of ``model``'s series (all versions summed) in a /metrics text."""
    buckets: Buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            if sample.name == FAMILY + "_bucket" and sample.labels.get("name") == model:
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def scrape(host: str, port: int, model: str) -> Buckets:
    """``model``'s buckets from the daemon's /metrics (empty when the family is not exported)."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
        return parse(response.read().decode(), model)


def quantile(q: float, before: Buckets, after: Buckets) -> Quantile | None:
    """The bucket holding quantile ``q`` of the requests answered between two scrapes.

    None when nothing was answered. A quantile past the last finite bound has ``upper`` inf.
    """
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower = 0.0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            return Quantile(lower / 1e3, bound / 1e3 if not math.isinf(bound) else math.inf)
        lower = bound
    return Quantile(lower / 1e3, math.inf)  # unreachable: the +Inf bucket holds every request
