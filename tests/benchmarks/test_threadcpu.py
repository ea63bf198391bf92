"""``benchmarks.threadcpu``: its /proc parsers, and a short real run against the daemon and the floor.

No timing assertions: the figures depend on the machine. h2load comes from
scripts/install-bench-deps.sh (the run is skipped, saying why, when it cannot be installed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import loadgen, threadcpu
from benchmarks.threadcpu import ThreadUse

REPO = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def test_stat_parsed_even_with_spaces_and_parentheses_in_the_name() -> None:
    fields = ["S", "1", "2", "3", "4", "5", "6", "77", "0", "0", "0", str(3 * TICK), str(TICK)] + ["0"] * 30
    name, cpu, faults = threadcpu.parse_stat(f"4242 (a (b) c) {' '.join(fields)}")
    assert (name, cpu, faults) == ("a (b) c", 4.0, 77)


def test_switches_parsed_from_status() -> None:
    status = "Name:\tpython\nvoluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t7\n"
    assert threadcpu.parse_switches(status) == (120, 7)


def test_own_threads_are_read_and_the_main_one_is_listed() -> None:
    use = threadcpu.threads(os.getpid())
    assert os.getpid() in use and use[os.getpid()].cpu > 0


def test_per_request_lines_are_deltas_busiest_first_and_name_the_loop() -> None:
    before = {1: ThreadUse("python", 1.0, 10, 1, 5), 2: ThreadUse("event_engine", 0.5, 0, 0, 0)}
    after = {1: ThreadUse("python", 1.2, 30, 3, 5), 2: ThreadUse("event_engine", 1.0, 100, 0, 10),
             3: ThreadUse("idle", 0.0, 0, 0, 0)}
    lines = threadcpu.per_request(before, after, pid=1, requests=100)
    assert len(lines) == 2
    assert lines[0].split()[:3] == ["event_engine", "2", "5.000"]
    assert lines[1].split()[:3] == ["loop", "1", "2.000"]
    assert "switches   0.20 /   0.02" in lines[1]


@pytest.fixture(scope="module")
def h2load() -> None:
    if "h2load" not in loadgen.missing_tools():
        return
    done = subprocess.run(["bash", str(REPO / "scripts/install-bench-deps.sh")], capture_output=True,
                          text=True, timeout=900, check=False)
    if "h2load" in loadgen.missing_tools():
        pytest.skip(f"h2load unavailable: {(done.stderr or done.stdout).strip()[-500:]}")


@pytest.mark.parametrize("server", ["daemon", "floor"])
def test_a_short_run_reports_the_servers_threads(h2load: None, server: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.threadcpu", "--model", "tiny", "--server", server, "--duration", "1",
         "--warmup", "1", "--rounds", "1", "--rps", "50", "--concurrency", "2", "--workdir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    header = re.search(r"round 1: ([\d.]+) req/s, ([\d.]+) ms CPU per request", done.stdout)
    assert header is not None, done.stdout
    assert 50 <= float(header.group(1)) <= 110  # two connections paced at 50 requests/s each
    assert float(header.group(2)) > 0
    assert re.search(r"^  loop +\d+ +[\d.]+ ms", done.stdout, re.M), done.stdout


def test_a_delayed_floor_answers_one_request_at_a_time(h2load: None, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.threadcpu", "--model", "tiny", "--server", "floor", "--floor-delay-ms", "50",
         "--duration", "2", "--warmup", "1", "--rounds", "1", "--concurrency", "4", "--workdir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    header = re.search(r"round 1: ([\d.]+) req/s", done.stdout)
    assert header is not None, done.stdout
    assert 10 <= float(header.group(1)) <= 21  # four clients, but one 50 ms answer at a time
