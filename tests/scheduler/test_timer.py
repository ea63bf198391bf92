"""PreciseTimer: callbacks run on the loop, never early, well within a millisecond; cancel, close, fallback."""

import asyncio
import gc
import os
import time

import uvloop

from ovms.scheduler import timer as timer_module
from ovms.scheduler.timer import PreciseTimer


def run(main) -> None:
    uvloop.run(main())  # the daemon's loop, whose own call_later has 1 ms steps


def test_callbacks_run_on_the_loop_in_order_and_never_early():
    async def main():
        loop = asyncio.get_running_loop()
        timer = PreciseTimer(loop)
        fired: list[tuple[str, float, bool]] = []
        done = asyncio.Event()
        start = time.monotonic()

        def note(name: str) -> None:
            fired.append((name, time.monotonic() - start, asyncio.get_running_loop() is loop))
            if len(fired) == 3:
                done.set()

        # Deadlines 18 ms apart: "a" is scheduled after "b" and must still be due first even when
        # this thread is preempted between the two calls (1.3 ms apart, it was 2 times in 25 runs).
        for name, delay in (("b", 0.030), ("a", 0.012), ("c", 0.030)):
            timer.call_later(delay, lambda n=name: note(n))
        await asyncio.wait_for(done.wait(), 5)
        timer.close()
        assert [name for name, _, _ in fired] == ["a", "b", "c"]  # by deadline, ties in call order
        assert all(on_loop for _, _, on_loop in fired)
        assert fired[0][1] >= 0.012 and fired[1][1] >= 0.030

    run(main)


def test_lateness_stays_well_under_the_loops_millisecond_step():
    async def main():
        timer = PreciseTimer(asyncio.get_running_loop())
        late: list[float] = []
        for _ in range(50):
            fired = asyncio.get_running_loop().create_future()
            due = time.monotonic() + 0.0013
            timer.call_later(0.0013, lambda f=fired: f.set_result(time.monotonic()))
            late.append(await fired - due)
        timer.close()
        late.sort()
        assert late[0] >= 0
        assert late[len(late) // 2] < 0.0005  # median; uvloop's call_later is off by up to ~1 ms

    run(main)


def test_cancelled_and_closed_timers_do_not_run():
    async def main():
        timer = PreciseTimer(asyncio.get_running_loop())
        fired: list[str] = []
        timer.call_later(0.001, lambda: fired.append("cancelled")).cancel()
        timer.call_later(0.002, lambda: fired.append("kept"))
        await asyncio.sleep(0.05)
        timer.call_later(0.01, lambda: fired.append("closed"))
        timer.close()
        await asyncio.sleep(0.05)
        assert fired == ["kept"]

    run(main)


def test_close_releases_the_timerfd():
    async def main():
        gc.collect()  # earlier tests' dropped timers close their fds when collected
        before = len(os.listdir("/proc/self/fd"))
        timers = [PreciseTimer(asyncio.get_running_loop()) for _ in range(20)]
        for timer in timers:
            timer.call_later(0.001, lambda: None)
        assert len(os.listdir("/proc/self/fd")) >= before + 20  # one timerfd each, opened lazily
        for timer in timers:
            timer.close()
        assert len(os.listdir("/proc/self/fd")) == before

    run(main)


def test_without_timerfd_the_loops_timers_run_the_callbacks(monkeypatch):
    monkeypatch.setattr(timer_module, "_LIBC", None)  # as on a system without timerfd

    async def main():
        timer = PreciseTimer(asyncio.get_running_loop())
        fired: list[str] = []
        start = time.monotonic()
        timer.call_later(0.004, lambda: fired.append("b"))
        timer.call_later(0.002, lambda: fired.append("a"))
        timer.call_later(0.003, lambda: fired.append("cancelled")).cancel()
        await asyncio.sleep(0.05)
        timer.close()
        assert fired == ["a", "b"]
        assert time.monotonic() - start >= 0.004

    run(main)
