"""CPU accounting from /proc: who used the machine's cores while a cell ran.

On a 2-core machine the load generator and the server share the cores, and other work on the
machine may too. Each cell records the CPU time of the server process (all its threads), of the
load tool, and of the whole machine, so the table can show how the cores were split.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (all threads); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15 of stat)


def machine_busy() -> float:
    """CPU seconds all cores spent not idle since boot (idle and iowait excluded; steal included:
    time the hypervisor gave a core to another guest was taken from this machine too)."""
    with open("/proc/stat", "rb") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / _TICK


def children_cpu() -> float:
    """CPU seconds of every waited-for child process of this one."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSplit:
    """Cores' use during a window, in percent of one core (200 = both cores of a 2-core machine)."""

    server: float
    loadgen: float
    other: float


class CpuMeter:
    """Measures one window: create before the load tool starts, call :meth:`split` after it exits."""

    def __init__(self, server_pid: int | None) -> None:
        self._pid = server_pid
        self._wall = time.monotonic()
        self._server = process_cpu(server_pid) if server_pid else 0.0
        self._children = children_cpu()
        self._busy = machine_busy()

    def split(self) -> CpuSplit:
        wall = max(time.monotonic() - self._wall, 1e-9)
        server = (process_cpu(self._pid) - self._server) if self._pid else 0.0
        loadgen = children_cpu() - self._children
        busy = machine_busy() - self._busy
        other = max(busy - server - loadgen, 0.0)
        return CpuSplit(*(round(100 * v / wall, 1) for v in (server, loadgen, other)))


def foreign_load(pid: int | None, window: float = 0.5) -> float:
    """Percent of one core used during ``window`` by everything except process ``pid`` and us."""
    own = os.getpid()
    start = (machine_busy(), process_cpu(pid) if pid else 0.0, process_cpu(own))
    time.sleep(window)
    end = (machine_busy(), process_cpu(pid) if pid else 0.0, process_cpu(own))
    used = (end[0] - start[0]) - (end[1] - start[1]) - (end[2] - start[2])
    return max(100 * used / window, 0.0)


def wait_quiet(pid: int | None, threshold: float, max_wait: float) -> tuple[float, float]:
    """Wait (at most ``max_wait`` s) until others use under ``threshold`` % of a core.

    On a shared machine other work steals the cores a measurement needs. Returns (seconds
    waited, the last foreign load seen).
    """
    start = time.monotonic()
    load = foreign_load(pid)
    while load > threshold and time.monotonic() - start < max_wait:
        load = foreign_load(pid)
    return round(time.monotonic() - start, 1), round(load, 1)
