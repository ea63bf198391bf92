"""The values behind the metric families: counters, gauges, histograms, and families of them.

Thread-safety: none, by design. Every update (DataPlane, scheduler observer) and every scrape runs
on the daemon's one event loop, so a series is a plain attribute update: no lock, no label lookup
(callers keep the series they update). That makes an update cost about a tenth of a microsecond
where a prometheus-client ``Counter``/``Histogram`` child takes a lock per call (measured: 0.7 and
1.8 us). The prometheus-client collector in :mod:`ovms.metrics.collector` turns these into metric
families at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Protocol

from ovms.metrics.families import FamilySpec

Labels = tuple[str | None, ...]  # label values in the family's order; None leaves the label out


class Incrementable(Protocol):
    def inc(self, amount: int = 1) -> None: ...


class Settable(Protocol):
    def set(self, value: int) -> None: ...


class Observable(Protocol):
    def observe(self, value: float) -> None: ...


class Counter:
    """A monotonic count."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class Gauge:
    """A value that is set (streams, nireq)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def set(self, value: int) -> None:
        self.value = value


class Histogram:
    """Counts per bucket (``le`` semantics: a value equal to a bound falls in that bucket) and a sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[int]:
        """Cumulative counts per bound, then +Inf (what ``_bucket`` samples show)."""
        total, out = 0, []
        for n in self.counts:
            total += n
            out.append(total)
        return out


class _Disabled:
    """Stands in for any series of a disabled family: every update is a no-op."""

    __slots__ = ()

    def inc(self, amount: int = 1) -> None:
        pass

    def set(self, value: int) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


DISABLED = _Disabled()
Series = Counter | Gauge | Histogram


class Family:
    """The series of one enabled family, keyed by label values in ``spec.labels`` order.

    Series are created on first use and never removed (OVMS keeps a retired version's series).
    """

    def __init__(self, spec: FamilySpec) -> None:
        self.spec = spec
        self.series: dict[Labels, Series] = {}

    def get(self, labels: Labels) -> Series:
        """The series for ``labels``, created (at zero) if new."""
        found = self.series.get(labels)
        if found is None:
            found = self.series[labels] = self._new()
        return found

    def _new(self) -> Series:
        if self.spec.kind == "histogram":
            return Histogram(self.spec.buckets)
        return Counter() if self.spec.kind == "counter" else Gauge()
