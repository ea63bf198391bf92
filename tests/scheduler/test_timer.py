"""PreciseTimer: callbacks run on the loop, never early, well within a millisecond; cancel and close."""

import asyncio
import time

import uvloop

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

        for name, delay in (("b", 0.0025), ("a", 0.0012), ("c", 0.0025)):
            timer.call_later(delay, lambda n=name: note(n))
        await asyncio.wait_for(done.wait(), 5)
        timer.close()
        assert [name for name, _, _ in fired] == ["a", "b", "c"]  # by deadline, ties in call order
        assert all(on_loop for _, _, on_loop in fired)
        assert fired[0][1] >= 0.0012 and fired[1][1] >= 0.0025

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
