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
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import payloads
from benchmarks.models import Model, write_config
from benchmarks.servers import HOST, Server, start_daemon, start_floor
from tests.modelfactory import build_dummy_ir, build_resnet50_ir, build_resnet_io_ir

_TICK = os.sysconf("SC_CLK_TCK")
_BUILDERS = {"resnet": build_resnet50_ir, "resnet_io": build_resnet_io_ir, "tiny": build_dummy_ir}
_NAMES = {"resnet": ("data", "prob", (1, 3, 224, 224)), "resnet_io": ("data", "prob", (1, 3, 224, 224)),
          "tiny": ("b", "a", (1, 10))}


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


def h2load(payload: payloads.Payload, port: int, body: Path, concurrency: int, seconds: int,
           rps: float | None) -> tuple[int, float]:
    """(succeeded requests, seconds) of one h2load run."""
    command = ["h2load", "-t1", f"-c{concurrency}", "-m1", f"-D{seconds}", "-d", str(body)]
    if rps:
        command += ["--rps", str(rps)]
    for name, value in payload.headers:
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, f"http://{HOST}:{port}{payload.path}"], capture_output=True, text=True,
                          timeout=seconds + 120, check=False)
    succeeded = re.search(r"(\d+) succeeded", done.stdout)
    finished = re.search(r"finished in ([\d.]+)s", done.stdout)
    if done.returncode != 0 or succeeded is None or finished is None:
        raise RuntimeError(f"h2load failed ({done.returncode}): {done.stderr or done.stdout}")
    return int(succeeded.group(1)), float(finished.group(1))


@contextmanager
def beside_raw(workdir: Path, enabled: bool) -> Iterator[None]:
    """Raw OpenVINO running ResNet in a process of its own while the block runs (if ``enabled``)."""
    if not enabled:
        yield
        return
    xml = _model(workdir, "resnet")
    command = [sys.executable, "-m", "benchmarks.raw_openvino", str(xml), "--shape", "1,3,224,224",
               "--duration", "86400", "--nireq", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent)
    try:
        time.sleep(5)  # compiled and running
        yield
    finally:
        process.kill()
        process.wait()


def _model(workdir: Path, name: str) -> Path:
    version_dir = workdir / "models" / name / "1"
    xml = version_dir / "model.xml"
    if not xml.exists():
        _BUILDERS[name](version_dir)
    return xml


def start(args: argparse.Namespace, workdir: Path, payload: payloads.Payload) -> Server:
    """The server to measure: the daemon serving the model, or the floor with the daemon's answer."""
    input_name, output_name, shape = _NAMES[args.model]
    model = Model(args.model, _model(workdir, args.model), input_name, output_name, shape)
    config = write_config(workdir / "config.json", {args.model: model}, {})
    daemon = start_daemon(config, workdir)
    if args.server == "daemon":
        return daemon
    with daemon:
        response = payloads.probe(payload, HOST, daemon.grpc_port)
    return start_floor("grpc", response.body, (), workdir, delay_ms=args.floor_delay_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(_BUILDERS), default="resnet_io")
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
    if shutil.which("h2load") is None:
        print("h2load is missing: bash scripts/install-bench-deps.sh", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ovms-threadcpu-"))
    workdir.mkdir(parents=True, exist_ok=True)
    input_name, output_name, shape = _NAMES[args.model]
    payload = payloads.build(args.protocol, args.model, input_name, output_name, payloads.sample_input(shape))
    body = workdir / "body.bin"
    body.write_bytes(payload.body)
    with start(args, workdir, payload) as server, beside_raw(workdir, args.beside_raw):
        h2load(payload, server.grpc_port, body, args.concurrency, args.warmup, args.rps)
        for index in range(args.rounds):
            before = threads(server.pid)
            requests, seconds = h2load(payload, server.grpc_port, body, args.concurrency, args.duration, args.rps)
            after = threads(server.pid)
            total = sum(use.minus(before.get(tid)).cpu for tid, use in after.items())
            print(f"{args.server} {args.model} {args.protocol} c{args.concurrency}"
                  f"{f' rps {args.rps:g}' if args.rps else ''}{' beside raw' if args.beside_raw else ''}"
                  f" round {index + 1}: {requests / seconds:.1f} req/s, {total / requests * 1e3:.3f} ms CPU"
                  f" per request (thread, ms, voluntary / involuntary switches, minor faults per request)",
                  flush=True)
            print("\n".join(per_request(before, after, server.pid, requests)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
