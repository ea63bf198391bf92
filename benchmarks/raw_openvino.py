"""The raw OpenVINO limit of a model: a loop over its own infer requests, in a process of its own.

Compiles the model as the daemon does (same device and plugin config: ``PERFORMANCE_HINT=LATENCY``
unless the config sets a hint or ``NUM_STREAMS``; ``nireq`` 0 = the compiled model's
``OPTIMAL_NUMBER_OF_INFER_REQUESTS``), keeps every infer request busy with one pre-built input for
``--duration`` seconds, and prints one JSON line: throughput, latency percentiles, nireq, streams.
Nothing else runs in the process: no server, no parsing, no output copies.

    python -m benchmarks.raw_openvino MODEL.xml --shape 1,3,224,224 --duration 5
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import numpy as np
import openvino as ov


def compile_like_daemon(core: ov.Core, xml: str, plugin_config: dict[str, object], bound: int,
                        device: str = "CPU") -> ov.CompiledModel:
    """Compile as ovms does; ``bound`` > 0 reshapes the batch to 1..bound (its dynamic_batching)."""
    model = core.read_model(xml)
    if bound:
        shape = model.input(0).get_partial_shape()
        shape[0] = ov.Dimension(1, bound)
        model.reshape({0: shape})
    properties = {k: str(v) for k, v in plugin_config.items()}
    if "NUM_STREAMS" not in properties and "PERFORMANCE_HINT" not in properties:
        properties["PERFORMANCE_HINT"] = "LATENCY"
    return core.compile_model(model, device, properties)


def measure(compiled: ov.CompiledModel, array: np.ndarray, nireq: int, duration: float,
            warmup: float) -> dict[str, object]:
    """Keep ``nireq`` requests busy for ``warmup`` + ``duration`` seconds; stats of the latter.

    Our own pool rather than ``AsyncInferQueue``: waiting in ``get_idle_request_id`` keeps the GIL
    that the completion callback needs (a deadlock), and ``start_async`` blocks before it starts,
    so the start time it is given would include that wait.
    """
    nireq = nireq or max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
    requests = [compiled.create_infer_request() for _ in range(nireq)]
    idle: queue.SimpleQueue[int] = queue.SimpleQueue()
    started = [0.0] * nireq
    finished: list[tuple[float, float]] = []  # (start, end), appended on OpenVINO threads

    def done(index: int) -> None:
        finished.append((started[index], time.perf_counter()))
        idle.put(index)

    tensor = ov.Tensor(np.ascontiguousarray(array))  # one input for every job: set once per request
    for index, request in enumerate(requests):
        request.set_callback(done, index)
        request.set_input_tensor(0, tensor)
        idle.put(index)
    measured_from = time.perf_counter() + warmup
    end = measured_from + duration
    while time.perf_counter() < end:
        index = idle.get()
        started[index] = time.perf_counter()
        requests[index].start_async()
    for _ in range(nireq):  # wait for the last ones
        idle.get()
    window = [(s, e) for s, e in finished if s >= measured_from]
    latencies = np.array([e - s for s, e in window]) * 1e3
    span = max(e for _, e in window) - measured_from
    return {
        "nireq": nireq,
        "streams": int(compiled.get_property("NUM_STREAMS")),
        "batch": int(array.shape[0]),
        "requests": len(window),
        "seconds": round(span, 3),
        "rps": round(len(window) / span, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p99_ms": round(float(np.percentile(latencies, 99)), 3),
        "mean_ms": round(float(latencies.mean()), 3),
    }


def after_idle(compiled: ov.CompiledModel, array: np.ndarray, gap: float, count: int = 200) -> dict[str, float]:
    """Latency of one inference started after ``gap`` seconds of idleness, ``count`` times.

    What a batch that waited out its queue delay meets: OpenVINO's threads have gone to sleep and
    its caches have cooled, so on this CPU one inference after 2 ms of idleness takes over twice
    as long as back to back.
    """
    request = compiled.create_infer_request()
    request.set_input_tensor(0, ov.Tensor(np.ascontiguousarray(array)))
    request.infer()
    latencies = []
    for _ in range(count):
        time.sleep(gap)
        started = time.perf_counter()
        request.infer()
        latencies.append(time.perf_counter() - started)
    ms = np.array(latencies) * 1e3
    return {"gap_ms": round(gap * 1e3, 3), "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def benchmark_app(xml: str, shape: tuple[int, ...], duration: int, bound: int,
                  plugin_config: dict[str, object]) -> dict[str, object]:
    """OpenVINO's own C++ benchmark_app on the same model, with the latency hint (a cross-check)."""
    hint = str(plugin_config.get("PERFORMANCE_HINT", "LATENCY")).lower()
    dims = ",".join(map(str, shape))
    tool = Path(sys.executable).with_name("benchmark_app")  # installed with the openvino wheel
    command = [str(tool), "-m", xml, "-d", "CPU", "-hint", hint, "-t", str(duration)]
    if bound:
        command += ["-shape", f"[1..{bound},{','.join(map(str, shape[1:]))}]", "-data_shape", f"[{dims}]"]
    else:
        command += ["-shape", f"[{dims}]"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 300, check=False).stdout
    count = re.search(r"Count:\s+(\d+) iterations", out)
    span = re.search(r"Duration:\s+([\d.]+) ms", out)
    median = re.search(r"Median:\s+([\d.]+) (ms|us)", out)
    if count is None or span is None or median is None:
        return {"error": out[-2000:]}
    p50 = float(median.group(1)) / (1e3 if median.group(2) == "us" else 1.0)
    return {"rps": round(int(count.group(1)) / float(span.group(1)) * 1e3, 1), "p50_ms": round(p50, 3)}


def main(argv: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("xml")
    parser.add_argument("--shape", required=True, help="input shape, e.g. 1,3,224,224")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--nireq", type=int, default=0, help="0: OPTIMAL_NUMBER_OF_INFER_REQUESTS")
    parser.add_argument("--plugin-config", default="{}", help="JSON object of OpenVINO properties")
    parser.add_argument("--bound", type=int, default=0, help="reshape the batch to 1..BOUND first")
    parser.add_argument("--benchmark-app", action="store_true", help="also run benchmark_app")
    parser.add_argument("--idle-gap", type=float, default=0.0,
                        help="also time single inferences after this many seconds of idleness")
    args = parser.parse_args(argv)
    shape = tuple(int(d) for d in args.shape.split(","))
    config = json.loads(args.plugin_config)
    compiled = compile_like_daemon(ov.Core(), args.xml, config, args.bound)
    array = np.random.default_rng(0).random(shape, dtype=np.float32)
    result = measure(compiled, array, args.nireq, args.duration, args.warmup)
    if args.idle_gap > 0:
        result["after_idle"] = after_idle(compiled, array, args.idle_gap)
    if args.benchmark_app:
        result["benchmark_app"] = benchmark_app(args.xml, shape, max(1, round(args.duration)), args.bound, config)
    print(json.dumps(result), flush=True)
    # Never destroy ``compiled`` (so no ``del`` before benchmark_app either): its destructor joins
    # OpenVINO's stream threads, and one that ran a Python callback waits there for the GIL this
    # thread holds (seen to deadlock, THROUGHPUT streams most often). Exit with the result printed.
    os._exit(0)


if __name__ == "__main__":
    main()
