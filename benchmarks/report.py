"""Ratios, targets and the printed table of one benchmark run.

Every daemon cell is a ratio of a limit measured in the same run and round: of raw OpenVINO
(``x raw``: requests/s over the raw loop's inferences/s, or rows/s for the batched model) and, for
the tiny model, of the bare server of the same protocol at the same concurrency (``x floor``). A
run of several rounds measures everything once per round; each target is then the median of its
rounds (:func:`combine`).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, replace
from typing import Any

from benchmarks.loadgen import LoadResult
from benchmarks.schedtime import Quantile


@dataclass
class Cell:
    """One measured combination. ``kind``: "daemon" or "floor"."""

    kind: str
    model: str
    protocol: str
    concurrency: int
    result: LoadResult | None = None
    error: str = ""
    x_raw: float | None = None
    x_floor: float | None = None
    sched_p50: Quantile | None = None  # the daemon's own scheduler time (queued, batched, run)
    sched_p99: Quantile | None = None
    round: int = 0  # of the run's --rounds, from 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("result") or {})
        return data


@dataclass(frozen=True)
class Target:
    """A goal of the issue: ``value`` (None when not measured) against ``threshold``."""

    name: str
    value: float | None
    threshold: float
    detail: str = ""
    at_most: bool = False  # value must be <= threshold (a latency bound) instead of >=

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        return self.value <= self.threshold if self.at_most else self.value >= self.threshold


def raw_key(model: str) -> str:
    """Which raw-OpenVINO measurement is the limit of a model's cells."""
    return {"matmul": "matmul_b1", "matmul_batched": "matmul_bmax"}.get(model, model)


def add_ratios(cells: list[Cell], raw: dict[str, dict[str, Any]]) -> None:
    """Fill ``x_raw`` and ``x_floor`` of the daemon cells."""
    floors = {(c.protocol, c.concurrency): c.result.rps for c in cells
              if c.kind == "floor" and c.result is not None and c.result.rps}
    for cell in cells:
        if cell.kind != "daemon" or cell.result is None:
            continue
        limit = raw.get(raw_key(cell.model), {})
        rows = limit.get("rps", 0) * limit.get("batch", 1)
        if rows:
            cell.x_raw = round(cell.result.rps / rows, 3)
        floor = floors.get((cell.protocol, cell.concurrency))
        if cell.model == "tiny" and floor:
            cell.x_floor = round(cell.result.rps / floor, 3)


def _find(cells: list[Cell], model: str, protocol: str, concurrency: int) -> Cell | None:
    for cell in cells:
        if (cell.kind, cell.model, cell.protocol, cell.concurrency) == ("daemon", model, protocol, concurrency):
            return cell
    return None


def targets(cells: list[Cell], raw: dict[str, dict[str, Any]], batch_protocol: str, batch_levels: list[int],
            queue_delay_us: int) -> list[Target]:
    """The issue's targets, from this run's cells.

    Dynamic batching: the speed-up at the highest batching concurrency, and the latency bound at
    the lowest. A closed loop of C clients saturates the server at any C where it cannot answer
    C requests within the bound (Little's law: mean latency = C / throughput), and then requests
    queue ahead of the batcher whatever it does; below that load the batcher alone decides how
    long a request waits. The bound is checked on the daemon's own scheduler time (queued,
    batched, run: :mod:`benchmarks.schedtime`), the client-side p99 is reported beside it.
    """
    found: list[Target] = []
    for protocol, goal in (("tfs-grpc", 0.93), ("kserve-grpc", 0.93), ("tfs-rest", 0.65),
                           ("kserve-rest", 0.65), ("kserve-rest-bin", 0.9)):
        cell = _find(cells, "resnet", protocol, 8)
        found.append(Target(f"resnet {protocol} c8 / raw OpenVINO", cell and cell.x_raw, goal))
    for protocol, goal in (("tfs-grpc", 0.45), ("kserve-grpc", 0.45), ("tfs-rest", 0.15),
                           ("kserve-rest", 0.15), ("kserve-rest-bin", 0.15)):
        cell = _find(cells, "tiny", protocol, 8)
        floor = "grpc.aio" if protocol.endswith("grpc") else "ASGI"
        found.append(Target(f"tiny {protocol} c8 / bare {floor} floor", cell and cell.x_floor, goal))
    high, low = max(batch_levels), min(batch_levels)
    plain = _find(cells, "matmul", batch_protocol, high)
    batched = _find(cells, "matmul_batched", batch_protocol, high)
    speedup = None
    if plain and batched and plain.result and batched.result and plain.result.rps:
        speedup = round(batched.result.rps / plain.result.rps, 3)
    found.append(Target(f"dynamic batching c{high} / no batching", speedup, 1.5))
    batch = raw.get("matmul_bmax")
    light = _find(cells, "matmul_batched", batch_protocol, low)
    if light and light.result and batch:
        # One inference of a full batch as a batch meets it: after waiting out the queue delay
        # with OpenVINO idle (p99 of those), not back to back (inference_ms, shown beside it).
        # With a delay of 0 nothing idles, and after_idle is not measured.
        idle = batch.get("after_idle", {})
        one_batch = idle.get("p99_ms", batch["inference_ms"])
        bound = round(queue_delay_us / 1e3 + one_batch, 3)
        p99 = light.sched_p99
        detail = (f"queue delay {queue_delay_us / 1e3:g} ms + one batch of {batch['batch']} after that idle "
                  f"time, p99 {one_batch:.2f} ms (back to back: {batch['inference_ms']:.2f} ms); "
                  f"p99 in ({_fmt(p99 and p99.lower, 3)}, {_fmt(p99 and p99.upper, 3)}] ms; "
                  f"client-side p99 {light.result.p99_ms} ms")
        found.append(Target(f"dynamic batching c{low} p99 ms in the scheduler (at most) <= bound",
                            p99 and p99.upper, bound, detail, at_most=True))
    return found


def combine(rounds: list[list[Target]]) -> list[Target]:
    """Each target over the rounds (same targets in the same order in each): the median of its
    measured values against the median of its thresholds (a latency bound is measured anew in
    every round). The detail lists every round's value; one round is returned as it is."""
    if len(rounds) == 1:
        return rounds[0]
    combined = []
    for per_round in zip(*rounds):
        first = per_round[0]
        measured = [t for t in per_round if t.met is not None]
        if not measured:
            combined.append(first)
            continue
        values = "; ".join(_fmt(t.value, 3) + (f" <= {t.threshold}" if t.at_most else "") for t in per_round)
        combined.append(replace(first, value=round(statistics.median(t.value for t in measured), 3),
                                threshold=round(statistics.median(t.threshold for t in measured), 3),
                                detail=f"median of {len(measured)} rounds: {values}"
                                + (f"; round 1: {first.detail}" if first.detail else "")))
    return combined


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def table(cells: list[Cell], raw: dict[str, dict[str, Any]]) -> str:
    """The human-readable table of one round: raw limits first, then every cell."""
    head = (f"{'kind':<7} {'model':<15} {'protocol':<16} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'sched99':>7} {'x raw':>6} {'x floor':>7}  {'cpu% srv/load/other':<20} {'errors':>6}")
    lines = [head, "-" * len(head)]
    for key, limit in raw.items():
        if "rps" not in limit:
            continue
        lines.append(f"{'raw':<7} {key:<15} {'openvino':<16} {limit['nireq']:>4} {limit['rps']:>9.1f} "
                     f"{limit['p50_ms']:>8.3f} {limit['p99_ms']:>8.3f} {'-':>7} {'1.00':>6} {'-':>7}  "
                     f"{_raw_note(limit):<20} {'-':>6}")
        app = limit.get("benchmark_app", {})
        if "rps" in app:
            lines.append(f"{'raw':<7} {key:<15} {'benchmark_app':<16} {'-':>4} {app['rps']:>9.1f} "
                         f"{app['p50_ms']:>8.3f} {'-':>8} {'-':>7} {'-':>6} {'-':>7}  {'':<20} {'-':>6}")
    for cell in cells:
        prefix = f"{cell.kind:<7} {cell.model:<15} {cell.protocol:<16} {cell.concurrency:>4}"
        res = cell.result
        if res is None:
            lines.append(f"{prefix} FAILED: {cell.error[:200]}")
            continue
        cpu = f"{res.cpu.server:.0f}/{res.cpu.loadgen:.0f}/{res.cpu.other:.0f}"
        sched = _fmt(cell.sched_p99.upper, 2) if cell.sched_p99 else "-"
        lines.append(f"{prefix} {res.rps:>9.1f} {_fmt(res.p50_ms, 3):>8} {_fmt(res.p99_ms, 3):>8} "
                     f"{sched:>7} {_fmt(cell.x_raw, 3):>6} {_fmt(cell.x_floor, 3):>7}  {cpu:<20} {res.errors:>6}"
                     + (f"  {res.note}" if res.note else ""))
    return "\n".join(lines)


def _raw_note(limit: dict[str, Any]) -> str:
    note = f"batch {limit['batch']}"
    if "cpu_other" in limit:
        note += f", other {limit['cpu_other']:.0f}"
    if "bracket" in limit:  # the mean of the runs before and after the cells
        note += f", {limit['bracket']['before']['rps']:g} / {limit['bracket']['after']['rps']:g}"
    return note


def target_lines(found: list[Target]) -> str:
    lines = []
    for target in found:
        verdict = {True: "MET", False: "MISSED", None: "not measured"}[target.met]
        sign = "<=" if target.at_most else ">="
        detail = f" ({target.detail})" if target.detail else ""
        lines.append(f"{verdict:<12} {target.name}: {_fmt(target.value, 3)} (target {sign} {target.threshold}){detail}")
    return "\n".join(lines)
