"""The benchmark script works: ``python -m benchmarks --quick`` end to end, and its output parsers.

No timing assertions: the figures depend on the machine. The quick run takes seconds (tiny model,
concurrency 8, 1 s cells); it needs h2load and wrk, installed here by
scripts/install-bench-deps.sh when missing (skipped when that cannot run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import loadgen, payloads, schedtime
from benchmarks.procstat import CpuSplit
from benchmarks.report import Target, combine

REPO = Path(__file__).resolve().parents[2]
CPU = CpuSplit(100.0, 10.0, 0.0)


@pytest.fixture(scope="module")
def load_tools() -> None:
    if not loadgen.missing_tools():
        return
    done = subprocess.run(["bash", str(REPO / "scripts/install-bench-deps.sh")], capture_output=True,
                          text=True, timeout=900, check=False)
    if done.returncode != 0 or loadgen.missing_tools():
        pytest.skip(f"h2load/wrk unavailable: {(done.stderr or done.stdout).strip()[-500:]}")


def test_quick_run_measures_every_protocol(load_tools: None, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--rounds", "2", "--workdir", str(tmp_path), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert len(results["rounds"]) == 2
    for measured in results["rounds"]:
        assert {"tiny", "matmul_b1", "matmul_bmax"} <= set(measured["raw_openvino"])
        assert all(raw["rps"] > 0 for raw in measured["raw_openvino"].values())
    assert {c["round"] for c in results["cells"]} == {0, 1}
    cells = {(c["kind"], c["model"], c["protocol"]): c for c in results["cells"] if c["round"] == 1}
    for protocol in payloads.PROTOCOLS:
        for kind in ("daemon", "floor"):
            cell = cells[(kind, "tiny", protocol)]
            assert cell["requests"] > 0 and cell["errors"] == 0, cell
        assert cells[("daemon", "tiny", protocol)]["x_floor"] is not None
    assert cells[("daemon", "matmul_batched", "tfs-grpc")]["requests"] > 0
    for cell in results["cells"]:  # the daemon's own scheduler histogram, read around each cell
        assert (cell["sched_p99"] is not None) == (cell["kind"] == "daemon"), cell
    names = [t["name"] for t in results["targets"]]
    assert "dynamic batching c8 / no batching" in names
    floor_target = next(t for t in results["targets"] if t["name"] == "tiny tfs-grpc c8 / bare grpc.aio floor")
    assert floor_target["detail"].startswith("median of 2 rounds")
    assert "x floor" in done.stdout and ("MET" in done.stdout or "MISSED" in done.stdout)


H2LOAD_OUT = """
finished in 2.00s, 1913.00 req/s, 256.43KB/s
requests: 3826 total, 3830 started, 3826 done, 3826 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 3826 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 512.85KB (525163) total, 11.50KB (11778) headers (space savings 96.20%), 291.43KB (298428) data
"""


def test_targets_of_several_rounds_are_their_medians() -> None:
    def rounds(*values: tuple[float | None, float]) -> list[list[Target]]:
        return [[Target("ratio", ratio, 0.5), Target("p99", p99, 4.0 + i, at_most=True)]
                for i, (ratio, p99) in enumerate(values)]

    one = rounds((0.4, 3.0))
    assert combine(one) == one[0]
    ratio, p99 = combine(rounds((0.4, 3.0), (0.7, 6.0), (0.6, 4.5)))
    assert (ratio.value, ratio.threshold, ratio.met) == (0.6, 0.5, True)
    assert ratio.detail.startswith("median of 3 rounds: 0.400; 0.700; 0.600")
    assert (p99.value, p99.threshold, p99.met) == (4.5, 5.0, True)  # every round's own bound
    ratio, _ = combine(rounds((None, 3.0), (0.4, 3.0)))  # a round that measured nothing is left out
    assert (ratio.value, ratio.met) == (0.4, False)


def test_h2load_output_parsed_and_latencies_read(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    log.write_text("".join(f"1700000000{i:06d}\t200\t{1000 + i}\n" for i in range(100)))
    result = loadgen.parse_h2load(H2LOAD_OUT, log, expect=78, cpu=CPU)
    assert (result.requests, result.errors, result.rps, result.note) == (3826, 0, 1913.0, "")
    assert 1.0 < result.p50_ms < result.p99_ms < 1.1


def test_h2load_short_answers_count_as_errors(tmp_path: Path) -> None:
    # gRPC errors are HTTP 200 with no message: the data bytes fall short of 78 per request.
    result = loadgen.parse_h2load(H2LOAD_OUT, tmp_path / "absent.log", expect=100, cpu=CPU)
    assert result.errors == 3826 - 298428 // 100 and result.note


def test_wrk_result_line_parsed() -> None:
    line = "WRK_RESULT 1000 2000000 300000 0 0 0 10 0 400 900 2500 8000 512.0\n"
    result = loadgen.parse_wrk("Running 2s test\n" + line, expect=200, cpu=CPU)
    assert (result.requests, result.errors, result.rps) == (990, 10, 495.0)
    assert (result.p50_ms, result.p99_ms, result.mean_ms) == (0.4, 2.5, 0.512)


def test_grpc_payload_is_framed() -> None:
    payload = payloads.build("kserve-grpc", "m", "x", "y", payloads.sample_input((1, 4)))
    assert payload.body[0] == 0 and int.from_bytes(payload.body[1:5], "big") == len(payload.body) - 5
    assert dict(payload.headers)["content-type"] == "application/grpc"


SCHED_BEFORE = """# TYPE ovms_scheduler_time_us histogram
ovms_scheduler_time_us_bucket{name="m",version="1",le="100.0"} 5
ovms_scheduler_time_us_bucket{name="m",version="1",le="110.0"} 5
ovms_scheduler_time_us_bucket{name="m",version="1",le="+Inf"} 5
ovms_scheduler_time_us_bucket{name="other",version="1",le="100.0"} 7
ovms_scheduler_time_us_bucket{name="other",version="1",le="110.0"} 7
ovms_scheduler_time_us_bucket{name="other",version="1",le="+Inf"} 7
"""


def test_scheduler_quantiles_come_from_the_cells_bucket_counts() -> None:
    before = schedtime.parse(SCHED_BEFORE, "m")
    after_text = SCHED_BEFORE.replace('le="100.0"} 5', 'le="100.0"} 55').replace('le="110.0"} 5', 'le="110.0"} 104')
    after = schedtime.parse(after_text.replace('version="1",le="+Inf"} 5', 'version="1",le="+Inf"} 105'), "m")
    # 100 requests in the cell: 50 <= 100 us, 49 in (100, 110], 1 above 110 us.
    assert schedtime.quantile(0.5, before, after) == schedtime.Quantile(0.0, 0.1)
    assert schedtime.quantile(0.99, before, after) == schedtime.Quantile(0.1, 0.11)
    assert schedtime.quantile(0.999, before, after).upper == float("inf")
    assert schedtime.quantile(0.5, before, before) is None  # nothing answered in between
    assert schedtime.parse(SCHED_BEFORE, "absent") == {}
