"""Where a server's CPU goes per request: CPU time, context switches and page faults per thread.

Serves one model (``--server daemon``), or the bare grpc.aio floor answering the daemon's
response to it (``--server floor``), drives it with h2load over TFS or KServe gRPC, and prints,
for each round, the thread's CPU in ms per request, its voluntary / involuntary context switches
and its minor page faults per request (from ``/proc/PID/task/*``, before and after the round). The
loop is the thread whose id is the process id.

Models: ``resnet`` (ResNet-50-sized, random weights), ``resnet_io`` (the same input and output
bytes, no compute: the server's own cost of a ResNet-sized request), ``tiny``. ``--rps N`` paces
each connection at N requests/s (h2load ``--rps``) instead of a closed loop, so two servers can be
compared at one request rate; ``--beside-raw`` keeps raw OpenVINO running ResNet in a process of
its own throughout (both cores busy, as in the ResNet cells of the benchmark). ``--floor-delay-ms
D`` makes the floor answer after D ms, one request at a time, as a one-stream model does, so a
closed loop at concurrency 8 sends and waits as in the ResNet cells.

    python -m benchmarks.threadcpu --model resnet --concurrency 8
    python -m benchmarks.threadcpu --model resnet_io --server floor --rps 5 --beside-raw
    python -m benchmarks.threadcpu --model resnet_io --server floor --floor-delay-ms 23 --concurrency 8
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import loadgen, payloads
from benchmarks.models import Model, build, write_config
from benchmarks.servers import HOST, Server, start_daemon, start_floor

_TICK = os.sysconf("SC_CLK_TCK")
MODELS = ("resnet", "resnet_io", "tiny")


@dataclass(frozen=True)
class ThreadUse:
    """Counters of one thread since it started: CPU seconds, context switches, minor faults."""

    name: str
    cpu: float
    voluntary: int
    involuntary: int
    faults: int

    def minus(self, before: ThreadUse | None) -> ThreadUse:
        if before is None:
            return self
        return ThreadUse(self.name, self.cpu - before.cpu, self.voluntary - before.voluntary,
                         self.involuntary - before.involuntary, self.faults - before.faults)


def parse_stat(stat: str) -> tuple[str, float, int]:
    """(name, CPU seconds, minor faults) from the text of ``/proc/PID/task/TID/stat``."""
    name = stat[stat.index("(") + 1: stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / _TICK, int(fields[7])


def parse_switches(status: str) -> tuple[int, int]:
    """(voluntary, involuntary) context switches from the text of ``/proc/PID/task/TID/status``."""
    voluntary = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)
    involuntary = re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)
    return int(voluntary.group(1)) if voluntary else 0, int(involuntary.group(1)) if involuntary else 0


def threads(pid: int) -> dict[int, ThreadUse]:
    """Every live thread of process ``pid``, by thread id (threads that end meanwhile are skipped)."""
    out: dict[int, ThreadUse] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name, cpu, faults = parse_stat(Path(f"/proc/{pid}/task/{tid}/stat").read_text())
            voluntary, involuntary = parse_switches(Path(f"/proc/{pid}/task/{tid}/status").read_text())
        except (OSError, ValueError):
            continue
        out[int(tid)] = ThreadUse(name, cpu, voluntary, involuntary, faults)
    return out


def per_request(before: dict[int, ThreadUse], after: dict[int, ThreadUse], pid: int, requests: int,
                min_ms: float = 0.02) -> list[str]:
    """One line per thread that used at least ``min_ms`` of CPU per request, busiest first."""
    rows = []
    for tid, use in after.items():
        delta = use.minus(before.get(tid))
        ms = delta.cpu / requests * 1e3
        if ms >= min_ms:
            label = "loop" if tid == pid else delta.name
            rows.append((ms, f"  {label:<16} {tid:>7} {ms:8.3f} ms  switches {delta.voluntary / requests:6.2f}"
                             f" / {delta.involuntary / requests:6.2f}  faults {delta.faults / requests:6.2f}"))
    return [line for _, line in sorted(rows, reverse=True)]


@contextmanager
def beside_raw(workdir: Path, enabled: bool) -> Iterator[None]:
    """Raw OpenVINO running ResNet in a process of its own while the block runs (if ``enabled``)."""
    if not enabled:
        yield
        return
    xml = build(workdir / "models", ["resnet"], None)["resnet"].xml
    command = [sys.executable, "-m", "benchmarks.raw_openvino", str(xml), "--shape", "1,3,224,224",
               "--duration", "86400", "--nireq", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent)
    try:
        time.sleep(5)  # compiled and running
        yield
    finally:
        process.kill()
        process.wait()


def start(args: argparse.Namespace, workdir: Path, model: Model, payload: payloads.Payload) -> tuple[Server, int]:
    """The server to measure and the size of its good answer (h2load's check, as in the benchmark):
    the daemon serving ``model``, or the floor answering what the daemon answered."""
    daemon = start_daemon(write_config(workdir / "config.json", {model.name: model}, {}), workdir)
    try:
        response = payloads.probe(payload, HOST, daemon.grpc_port)
    except BaseException:
        daemon.stop()
        raise
    if args.server == "daemon":
        return daemon, len(response.body)
    daemon.stop()
    return start_floor("grpc", response.body, (), workdir, delay_ms=args.floor_delay_ms), len(response.body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, default="resnet_io")
    parser.add_argument("--protocol", choices=("tfs-grpc", "kserve-grpc"), default="tfs-grpc")
    parser.add_argument("--server", choices=("daemon", "floor"), default="daemon")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rps", type=float, help="requests/s per connection (default: closed loop)")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per round")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--beside-raw", action="store_true", help="raw OpenVINO runs ResNet meanwhile")
    parser.add_argument("--floor-delay-ms", type=float, default=0.0,
                        help="the floor answers after this delay, one request at a time (e.g. ResNet's 23)")
    parser.add_argument("--workdir", type=Path, help="models and logs (default: a temp dir)")
    args = parser.parse_args(argv)
    if "h2load" in loadgen.missing_tools():
        print("h2load is missing: bash scripts/install-bench-deps.sh", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ovms-threadcpu-"))
    workdir.mkdir(parents=True, exist_ok=True)
    model = build(workdir / "models", [args.model], None)[args.model]
    payload = payloads.build(args.protocol, model.name, model.input_name, model.output_name,
                             payloads.sample_input(model.shape))
    server, expect = start(args, workdir, model, payload)
    with server, beside_raw(workdir, args.beside_raw):
        drive = functools.partial(loadgen.run, payload, HOST, server.grpc_port, expect_bytes=expect, server_pid=None)
        if args.warmup:
            drive(loadgen.LoadSpec(args.concurrency, args.warmup, 0, rps=args.rps))
        for index in range(args.rounds):
            before = threads(server.pid)
            result = drive(loadgen.LoadSpec(args.concurrency, args.duration, 0, rps=args.rps))
            after = threads(server.pid)
            if result.errors or not result.requests:
                raise RuntimeError(f"{result.errors} error answers, {result.requests} good ones: {result.note}")
            total = sum(use.minus(before.get(tid)).cpu for tid, use in after.items())
            print(f"{args.server} {args.model} {args.protocol} c{args.concurrency}"
                  f"{f' rps {args.rps:g}' if args.rps else ''}{' beside raw' if args.beside_raw else ''}"
                  f" round {index + 1}: {result.rps:.1f} req/s, {total / result.requests * 1e3:.3f} ms CPU"
                  f" per request (thread, ms, voluntary / involuntary switches, minor faults per request)",
                  flush=True)
            print("\n".join(per_request(before, after, server.pid, result.requests)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
