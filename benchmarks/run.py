"""Benchmark the ovms daemon against raw OpenVINO and bare-server floors, in one run.

    python -m benchmarks                 # the full run (~10-15 min on 2 cores)
    python -m benchmarks --quick         # seconds: tiny model, concurrency 8, 1 s cells
    python -m benchmarks --models tiny --protocols tfs-grpc,tfs-rest --concurrency 1,8

Order: build the models and start the daemon; then per model: raw OpenVINO (a process of its own,
the daemon's plugin config, while the daemon idles), every protocol x concurrency cell with h2load
(gRPC) or wrk (REST) (for the tiny model each protocol's bare grpc.aio / ASGI floor right after,
answering the daemon's real response), raw OpenVINO again; then the dynamic-batching pair, likewise
between two raw runs. Each limit is the mean of its two runs, so a drift of the shared machine's
speed over the minutes between them does not land on the ratios. Prints a table and the targets,
writes JSON (``--json``).
Needs h2load and wrk: ``bash scripts/install-bench-deps.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import loadgen, payloads, schedtime
from benchmarks.models import MODEL_NAMES, Batching, Model, build, write_config
from benchmarks.procstat import CpuMeter, wait_quiet
from benchmarks.report import Cell, Target, add_ratios, combine, table, target_lines, targets
from benchmarks.servers import HOST, REPO, Server, start_daemon, start_floor

DEFAULT_JSON = REPO / "benchmarks" / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke mode: tiny model, concurrency 8, 1 s cells, small batching model")
    p.add_argument("--models", default="tiny,resnet", help=f"comma list of {', '.join(MODEL_NAMES)}")
    p.add_argument("--protocols", default=",".join(payloads.PROTOCOLS), help="comma list")
    p.add_argument("--concurrency", default="1,8,32", help="comma list of in-flight requests")
    p.add_argument("--duration", type=int, default=5, help="measured seconds per cell")
    p.add_argument("--resnet-duration", type=int, default=10, help="measured seconds per resnet cell")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured seconds before each cell")
    p.add_argument("--raw-duration", type=float, default=5.0, help="seconds of each raw OpenVINO run")
    p.add_argument("--benchmark-app", action=argparse.BooleanOptionalAction, default=True,
                   help="also run OpenVINO's benchmark_app as a cross-check of the raw limit")
    p.add_argument("--floors", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--batching", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--batch-concurrency", default="4,32",
                   help="comma list for the batching pair: speed-up at the highest, latency bound at the lowest")
    p.add_argument("--batch-protocol", default="tfs-grpc", choices=payloads.PROTOCOLS)
    p.add_argument("--max-batch-size", type=int, default=16)
    p.add_argument("--queue-delay-us", type=int, default=2000)
    p.add_argument("--matmul-depth", type=int, default=32)
    p.add_argument("--matmul-width", type=int, default=512)
    p.add_argument("--plugin-config", default="{}",
                   help="JSON OpenVINO properties for the daemon and raw runs (default: LATENCY hint)")
    p.add_argument("--server-cpus", help="taskset CPU list for daemon, floors and raw runs")
    p.add_argument("--loadgen-cpus", help="taskset CPU list for h2load/wrk")
    p.add_argument("--settle", type=float, default=0.0,
                   help="wait up to SECONDS before each measurement until other processes are quiet")
    p.add_argument("--settle-threshold", type=float, default=15.0,
                   help="quiet: other processes use under this %% of one core")
    p.add_argument("--retries", type=int, default=0,
                   help="re-measure a cell up to N times while other processes used over --max-other")
    p.add_argument("--max-other", type=float, default=25.0,
                   help="%% of one core other processes may use during a cell before it is re-measured")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure everything N times (one daemon); each target is the median of its rounds")
    p.add_argument("--workdir", type=Path, help="models, logs and results (default: a temp dir)")
    p.add_argument("--json", type=Path, help=f"results file (default: {DEFAULT_JSON.relative_to(REPO)})")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.quick:
        args.models, args.concurrency, args.batch_concurrency = "tiny", "8", "8"
        args.duration, args.warmup, args.raw_duration, args.benchmark_app = 1, 0, 1.0, False
        args.matmul_depth, args.matmul_width = 2, 64
    return args


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


class Bench:
    """One run: its settings, limits and cells."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.plugin_config: dict[str, Any] = json.loads(args.plugin_config)
        self.protocols = _names(args.protocols)
        self.round = 0  # the round being measured
        self.raws: list[dict[str, dict[str, Any]]] = [{}]  # per round: the limits, by key
        self.round_targets: list[list[Target]] = []  # per round, once measured
        self.cells: list[Cell] = []
        self.responses: dict[str, payloads.Response] = {}  # tiny model's, for the floors
        self.metrics_port = 0  # the daemon's REST port while it runs (for its scheduler histogram)

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def settle(self, pid: int | None) -> None:
        """With --settle: wait for other processes on the machine to quiet down."""
        if self.args.settle <= 0:
            return
        waited, load = wait_quiet(pid, self.args.settle_threshold, self.args.settle)
        if waited >= 1:
            self.say(f"  waited {waited} s for other processes to quiet down (now {load}% of a core)")

    # -- raw OpenVINO -------------------------------------------------------------------------
    def measure_raw(self, key: str, model: Model, batch: int, bound: int, nireq: int, idle_pid: int,
                    idle_gap: float = 0.0) -> dict[str, Any]:
        """Raw OpenVINO for ``model``: the best of OpenVINO's optimal nireq and the daemon's.

        The limit is the higher throughput of the two; the latencies and ``inference_ms`` (one
        inference, not queued behind another request) come from the optimal-nireq run. ``idle_pid``: the idle
        daemon, whose CPU is not counted as other load. Returns ``{"error": ...}`` when a run failed.
        """
        runs: dict[int, dict[str, Any]] = {}
        for wanted in dict.fromkeys((0, nireq)):
            result = self._raw_run(key, model, batch, bound, wanted, idle_pid, with_app=not runs and not self.round,
                                   idle_gap=idle_gap)
            if "error" in result:
                return result
            runs[result["nireq"]] = result
        best = max(runs.values(), key=lambda r: r["rps"])
        single = runs[min(runs)]
        # Throughput of the best run; latencies of one inference that queues behind none.
        limit = {**best, "p50_ms": single["p50_ms"], "p99_ms": single["p99_ms"],
                 "inference_ms": single["mean_ms"], "by_nireq": runs}
        app = next((r["benchmark_app"] for r in runs.values() if "benchmark_app" in r), None)
        if app is not None:
            limit["benchmark_app"] = app
        if "after_idle" in single:
            limit["after_idle"] = single["after_idle"]
        return limit

    def bracket(self, key: str, measure: Callable[[], dict[str, Any]], cells: Callable[[], None]) -> None:
        """Measure a limit before and after ``cells``; the limit is the mean of the two.

        The machine's speed drifts over minutes on a shared host; a limit taken right before and
        right after the cells it divides cancels a steady drift instead of charging it to them.
        """
        before = measure()
        cells()
        if "error" in before:  # the cells still ran; a second failing run would tell nothing new
            self.raws[self.round][key] = before
            return
        after = measure()
        if "error" in after:
            self.raws[self.round][key] = after
            return
        self.raws[self.round][key] = {**before, "rps": round((before["rps"] + after["rps"]) / 2, 1),
                                      "cpu_other": max(before["cpu_other"], after["cpu_other"]),
                                      "bracket": {"before": before, "after": after}}

    def _raw_run(self, key: str, model: Model, batch: int, bound: int, nireq: int, idle_pid: int,
                 with_app: bool, idle_gap: float = 0.0) -> dict[str, Any]:
        shape = (batch, *model.shape[1:])
        command = [sys.executable, "-m", "benchmarks.raw_openvino", str(model.xml),
                   "--shape", ",".join(map(str, shape)), "--duration", str(self.args.raw_duration),
                   "--warmup", "1" if self.args.warmup else "0.2", "--plugin-config", json.dumps(self.plugin_config),
                   "--bound", str(bound), "--nireq", str(nireq)]
        if with_app and self.args.benchmark_app and not bound and model.name in MODEL_NAMES:
            command.append("--benchmark-app")
        if idle_gap:
            command += ["--idle-gap", str(idle_gap)]
        if self.args.server_cpus:
            command = ["taskset", "-c", self.args.server_cpus, *command]
        best: dict[str, Any] | None = None
        for attempt in range(1 + self.args.retries):
            self.settle(idle_pid)
            self.say(f"raw OpenVINO: {key} (batch {batch}, nireq {nireq or 'optimal'})"
                     + (f", retry {attempt}" if attempt else ""))
            meter = CpuMeter(idle_pid)
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)
            other = meter.split().other
            if done.returncode != 0:
                self.say(f"  failed: {done.stderr[-500:]}")
                return {"error": done.stderr[-2000:]}
            result = {**json.loads(done.stdout.strip().splitlines()[-1]), "cpu_other": other}
            self.say(f"  {result}")
            if best is None or other < best["cpu_other"]:
                best = result
            if other <= self.args.max_other:
                break
        return best

    # -- cells ----------------------------------------------------------------------------------
    def drive(self, kind: str, server: Server, model: Model, protocol: str, levels: list[int],
              duration: int, expect: payloads.Response | None = None) -> None:
        """Probe once, then one cell per concurrency level."""
        payload = payloads.build(protocol, model.name, model.input_name, model.output_name,
                                 payloads.sample_input(model.shape))
        port = server.grpc_port if payload.transport == "grpc" else server.rest_port
        try:
            response = payloads.probe(payload, HOST, port)
        except Exception as err:  # noqa: BLE001 - recorded in the cell, the run goes on
            for level in levels:
                self.cells.append(Cell(kind, model.name, protocol, level, error=f"probe failed: {err}",
                                       round=self.round))
            self.say(f"{kind} {model.name} {protocol}: probe failed: {err}")
            return
        if kind == "daemon" and model.name == "tiny":
            self.responses[protocol] = response
        size = len((expect or response).body)
        for level in levels:
            spec = loadgen.LoadSpec(level, duration, self.args.warmup, self.args.loadgen_cpus)
            cell = self.measure(kind, model, protocol, level, payload, port, spec, size, server.pid)
            self.cells.append(cell)

    def measure(self, kind: str, model: Model, protocol: str, level: int, payload: payloads.Payload,
                port: int, spec: loadgen.LoadSpec, size: int, pid: int) -> Cell:
        """One cell; re-measured (--retries) while other processes took over --max-other % CPU."""
        best = Cell(kind, model.name, protocol, level, round=self.round)
        for attempt in range(1 + self.args.retries):
            cell = Cell(kind, model.name, protocol, level, round=self.round)
            self.settle(pid)
            metrics_port = self.metrics_port if kind == "daemon" else 0
            before = schedtime.scrape(HOST, metrics_port, model.name) if metrics_port else {}
            try:
                cell.result = loadgen.run(payload, HOST, port, spec, size, pid)
            except Exception as err:  # noqa: BLE001 - recorded in the cell, the run goes on
                cell.error = str(err)
            if metrics_port:  # includes the warm-up's requests: the tools warm up in the same run
                after = schedtime.scrape(HOST, metrics_port, model.name)
                cell.sched_p50, cell.sched_p99 = (schedtime.quantile(q, before, after) for q in (0.5, 0.99))
            res = cell.result
            self.say(f"{kind} {model.name} {protocol} c{level}" + (f" (retry {attempt})" if attempt else "")
                     + ": " + (f"{res.rps:.1f} req/s p50 {res.p50_ms} ms p99 {res.p99_ms} ms errors {res.errors} "
                               f"cpu {res.cpu.server}/{res.cpu.loadgen}/{res.cpu.other}" if res else cell.error[:300]))
            if res is None:
                return cell
            if best.result is None or res.cpu.other < best.result.cpu.other:
                best = cell
            if res.cpu.other <= self.args.max_other:
                break
        return best

    def run(self) -> list[Target]:
        """Measure everything; returns the targets (cells and limits are on ``self``)."""
        args = self.args
        names = _names(args.models)
        batching = None
        if args.batching:
            batching = Batching(args.max_batch_size, args.queue_delay_us, args.matmul_depth, args.matmul_width)
        self.say(f"building models in {self.workdir / 'models'}")
        models = build(self.workdir / "models", names, batching)
        config = write_config(self.workdir / "config.json", models, self.plugin_config)
        self.say("starting the daemon")
        with start_daemon(config, self.workdir, args.server_cpus, schedtime.DAEMON_FLAGS) as daemon:
            self.metrics_port = daemon.rest_port
            # The limits run while the daemon idles, with the nireq it chose for each model.
            nireqs = daemon_nireqs(daemon.log.read_text(errors="replace"))
            for number in range(args.rounds):
                self.round = number
                if number:
                    self.raws.append({})
                    self.say(f"round {number + 1} of {args.rounds}")
                for name in names:
                    model = models[name]
                    self.bracket(name, partial(self.measure_raw, name, model, 1, 0, nireqs.get(name, 0), daemon.pid),
                                 partial(self.model_cells, daemon, model))
                if batching:
                    self.batching_pair(daemon, models, nireqs, batching)
        for number, raw in enumerate(self.raws):
            cells = self.round_cells(number)
            add_ratios(cells, raw)
            self.round_targets.append(targets(cells, raw, args.batch_protocol, _ints(args.batch_concurrency),
                                              args.queue_delay_us))
        return combine(self.round_targets)

    def round_cells(self, number: int) -> list[Cell]:
        return [cell for cell in self.cells if cell.round == number]

    def model_cells(self, daemon: Server, model: Model) -> None:
        """The daemon's cells of ``model``; for the tiny model each protocol's floor right after."""
        args = self.args
        duration = args.resnet_duration if model.name == "resnet" else args.duration
        for protocol in self.protocols:
            self.drive("daemon", daemon, model, protocol, _ints(args.concurrency), duration)
            if model.name == "tiny" and args.floors:
                self.floor_cells(model, protocol)

    def floor_cells(self, tiny: Model, protocol: str) -> None:
        """The bare floor of ``protocol``, answering the daemon's recorded tiny response."""
        response = self.responses.get(protocol)
        if response is None:
            return
        kind = "grpc" if protocol.endswith("grpc") else "rest"
        self.say(f"floor {kind} for {protocol} ({len(response.body)} response bytes)")
        with start_floor(kind, response.body, response.headers, self.workdir, self.args.server_cpus) as floor:
            self.drive("floor", floor, tiny, protocol, _ints(self.args.concurrency), self.args.duration,
                       expect=response)

    def batching_pair(self, daemon: Server, models: dict[str, Model], nireqs: dict[str, int],
                      batching: Batching) -> None:
        """The matmul model without and with dynamic batching, each bracketed by its raw limit."""
        args = self.args
        full = batching.max_batch_size
        # (model, limit key, batch of the raw run, bound, idle gap before each timed raw inference)
        for name, key, batch, bound, gap in (("matmul", "matmul_b1", 1, 0, 0.0),
                                             ("matmul_batched", "matmul_bmax", full, full, args.queue_delay_us / 1e6)):
            model = models[name]
            self.bracket(key, partial(self.measure_raw, key, model, batch, bound, nireqs.get(name, 0), daemon.pid,
                                      idle_gap=gap),
                         partial(self.drive, "daemon", daemon, model, args.batch_protocol,
                                 _ints(args.batch_concurrency), args.duration))

    def results(self, found: list[Target]) -> dict[str, Any]:
        """Everything of the run, for the JSON file."""
        return {
            "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": _commit(),
            "machine": {"cpus": os.cpu_count(), "processor": _cpu_name(), "python": platform.python_version(),
                        "loadavg_end": os.getloadavg()},
            "tools": loadgen.tool_versions(),
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
            "rounds": [{"raw_openvino": raw, "targets": [_target(t) for t in found_in]}
                       for raw, found_in in zip(self.raws, self.round_targets)],
            "cells": [cell.as_dict() for cell in self.cells],
            "targets": [_target(t) for t in found],
        }


def _target(target: Target) -> dict[str, Any]:
    return {"name": target.name, "value": target.value, "threshold": target.threshold,
            "at_most": target.at_most, "met": target.met, "detail": target.detail}


def daemon_nireqs(log: str) -> dict[str, int]:
    """nireq per model, from the daemon's "Model NAME version V loaded: nireq N" log lines."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"Model (\S+) version \d+ loaded: nireq (\d+)", log)}


def _commit() -> str:
    """The measured code: HEAD, with "+dirty" when the working tree has changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "") if head else ""


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = loadgen.missing_tools()
    if missing:
        print(f"missing load tools: {', '.join(missing)}; run: bash scripts/install-bench-deps.sh", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ovms-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        bench = Bench(args, workdir)
        found = bench.run()
        for number, raw in enumerate(bench.raws):
            print(f"\nround {number + 1} of {args.rounds}" if args.rounds > 1 else "")
            print(table(bench.round_cells(number), raw))
        print()
        print(target_lines(found))
        out = args.json or DEFAULT_JSON
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(bench.results(found), indent=2, default=str))
        print(f"\nJSON: {out}")
    failed = [c for c in bench.cells if c.result is None]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
