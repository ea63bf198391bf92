"""The load generators: h2load (gRPC over HTTP/2) and wrk (REST over HTTP/1.1), and their results.

Both are compiled tools that replay one pre-built request body, so they cost the server's cores
little. Concurrency C means C requests in flight at all times (closed loop): C connections with
one stream each for h2load (``-c C -m 1``, like C gRPC channels), C keep-alive connections for
wrk. Each tool runs with one thread. A cell = ``warmup`` seconds unmeasured, then ``duration``
seconds measured.

h2load sees gRPC errors as HTTP 200 (the gRPC status is in the trailers), so every cell also
checks that the response bytes per request equal those of a good response (``expect_bytes``):
an error answer has no message, so any error shows up as a mismatch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.payloads import Payload
from benchmarks.procstat import CpuMeter, CpuSplit

TOOLS = ("h2load", "wrk")


@dataclass(frozen=True)
class LoadResult:
    """One measured cell. Latencies in milliseconds; ``errors`` counts failed or wrong answers."""

    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    bytes_per_response: float
    cpu: CpuSplit
    note: str = ""


@dataclass(frozen=True)
class LoadSpec:
    """How to drive one cell."""

    concurrency: int
    duration: int
    warmup: int = 1
    cpus: str | None = None  # taskset CPU list for the load tool, e.g. "1"
    rps: float | None = None  # h2load only: requests/s per connection instead of a closed loop


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def run(payload: Payload, host: str, port: int, spec: LoadSpec, expect_bytes: int | None,
        server_pid: int | None) -> LoadResult:
    """Drive ``payload`` at ``host:port`` and measure it (expect_bytes: good response size)."""
    with tempfile.TemporaryDirectory(prefix="ovms-bench-") as tmp:
        body = Path(tmp) / "body"
        body.write_bytes(payload.body)
        if payload.transport == "grpc":
            return _h2load(payload, f"http://{host}:{port}{payload.path}", body, spec, expect_bytes, server_pid)
        return _wrk(payload, f"http://{host}:{port}{payload.path}", body, spec, expect_bytes, server_pid)


def _pinned(command: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *command] if cpus else command


def _h2load(payload: Payload, url: str, body: Path, spec: LoadSpec, expect: int | None,
            server_pid: int | None) -> LoadResult:
    # The warm-up is a run of its own: in one run with --warm-up-time, h2load's traffic totals
    # include the warm-up requests, and the response-size check below needs exact totals.
    log = body.with_name("requests.log")
    base = ["h2load", "-t1", f"-c{spec.concurrency}", "-m1", "-d", str(body)]
    if spec.rps:
        base += ["--rps", str(spec.rps)]
    for name, value in payload.headers:
        base += ["-H", f"{name}: {value}"]
    if spec.warmup:
        subprocess.run(_pinned([*base, f"-D{spec.warmup}", url], spec.cpus), capture_output=True,
                       timeout=spec.warmup + 120, check=False)
    meter = CpuMeter(server_pid)
    done = subprocess.run(_pinned([*base, f"-D{spec.duration}", f"--log-file={log}", url], spec.cpus),
                          capture_output=True, text=True, timeout=spec.duration + 120, check=False)
    cpu = meter.split()
    if done.returncode != 0:
        raise RuntimeError(f"h2load failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_h2load(done.stdout, log, expect, cpu)


def parse_h2load(out: str, log: Path, expect: int | None, cpu: CpuSplit) -> LoadResult:
    seconds = float(_search(r"finished in ([\d.]+)s", out))
    succeeded = int(_search(r"(\d+) succeeded", out))
    failed = int(_search(r"(\d+) failed", out)) + int(_search(r"(\d+) errored", out))
    data = int(_search(r"traffic: .*?, .*?\) headers .*?, [^(]*\((\d+)\) data", out))
    latencies = _h2load_latencies(log)
    per_response = data / succeeded if succeeded else 0.0
    note = ""
    if expect is not None and succeeded and abs(per_response - expect) > 0.5:
        # Error answers carry no message: fewer bytes than a good answer. Count them as errors.
        note = f"{per_response:.1f} response bytes per request, expected {expect}"
        good = min(succeeded, data // expect) if expect else 0
        failed, succeeded = failed + succeeded - good, good
    return _result(succeeded, failed, seconds, latencies, per_response, cpu, note)


def _h2load_latencies(log: Path) -> np.ndarray:
    """Per-request latencies (ms) of the measured phase, from h2load's --log-file."""
    if not log.exists():
        return np.zeros(0)
    rows = np.loadtxt(log, dtype=np.int64, ndmin=2, usecols=(1, 2)) if log.stat().st_size else np.zeros((0, 2))
    ok = rows[rows[:, 0] // 100 == 2]
    return ok[:, 1] / 1e3


def _wrk(payload: Payload, url: str, body: Path, spec: LoadSpec, expect: int | None,
         server_pid: int | None) -> LoadResult:
    if spec.rps:
        raise ValueError("wrk cannot pace requests (LoadSpec.rps is for h2load)")
    script = body.with_name("post.lua")
    script.write_text(_lua(payload, body))
    base = ["wrk", "-t1", f"-c{spec.concurrency}", "--timeout", "60s", "-s", str(script)]
    if spec.warmup:
        subprocess.run(_pinned([*base, "-d", f"{spec.warmup}s", url], spec.cpus), capture_output=True,
                       timeout=spec.warmup + 120, check=False)
    meter = CpuMeter(server_pid)
    done = subprocess.run(_pinned([*base, "-d", f"{spec.duration}s", url], spec.cpus), capture_output=True,
                          text=True, timeout=spec.duration + 120, check=False)
    cpu = meter.split()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout, expect, cpu)


def _lua(payload: Payload, body: Path) -> str:
    """wrk script: POST the body file with the payload's headers; report as one parsable line."""
    headers = "\n".join(f'wrk.headers[{_lua_str(k)}] = {_lua_str(v)}' for k, v in payload.headers)
    return f"""
wrk.method = "POST"
{headers}
local f = assert(io.open({_lua_str(str(body))}, "rb"))
wrk.body = f:read("*a")
f:close()

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT %d %d %d %d %d %d %d %d %d %d %d %d %.1f\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _lua_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_wrk(out: str, expect: int | None, cpu: CpuSplit) -> LoadResult:
    fields = _search(r"WRK_RESULT (.*)", out).split()
    requests, duration_us, total_bytes, connect, read, write, status, timeout = map(int, fields[:8])
    p50, p90, p99, max_us = (int(v) / 1e3 for v in fields[8:12])
    mean = float(fields[12]) / 1e3
    errors = connect + read + write + status + timeout
    good = max(requests - status, 0)
    seconds = duration_us / 1e6
    per_response = total_bytes / requests if requests else 0.0
    note = ""
    if expect is not None and good and per_response < expect:  # headers make it larger, never smaller
        note = f"{per_response:.1f} bytes per response, expected at least {expect}"
        errors += good
        good = 0
    latency = (p50, p90, p99, mean, max_us)
    rps = good / seconds if seconds else 0.0
    return LoadResult(good, errors, round(seconds, 3), round(rps, 1), *(round(v, 3) for v in latency),
                      round(per_response, 1), cpu, note)


def _result(good: int, errors: int, seconds: float, latencies: np.ndarray, per_response: float,
            cpu: CpuSplit, note: str) -> LoadResult:
    if latencies.size:
        p50, p90, p99 = np.percentile(latencies, (50, 90, 99))
        mean, top = latencies.mean(), latencies.max()
    else:
        p50 = p90 = p99 = mean = top = float("nan")
    rps = good / seconds if seconds else 0.0
    values = (p50, p90, p99, mean, top)
    return LoadResult(good, errors, round(seconds, 3), round(rps, 1), *(round(float(v), 3) for v in values),
                      round(per_response, 1), cpu, note)


def _search(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"unexpected load tool output (no {pattern!r}):\n{text}")
    return found.group(1)


def tool_versions() -> dict[str, str]:
    """Versions of the load tools, for the JSON report."""
    versions = {}
    for tool, flag in (("h2load", "--version"), ("wrk", "-v")):
        if shutil.which(tool):
            out = subprocess.run([tool, flag], capture_output=True, text=True, env={**os.environ}, check=False)
            versions[tool] = (out.stdout or out.stderr).strip().splitlines()[0]
    return versions
