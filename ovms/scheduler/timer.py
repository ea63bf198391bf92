"""A timer for the event loop that fires within a fraction of a millisecond of its time.

uvloop (libuv) runs ``call_later`` callbacks in whole milliseconds, counted from a clock it reads
once per loop iteration: a 2 ms batching delay ended anywhere between ~1 and ~3 ms after it
started, so dynamic batching could hold a request up to a millisecond past its
``max_queue_delay``. This timer waits on a thread of its own (a condition variable with a
monotonic timeout: a 2 ms delay ends ~0.2 ms late) and hands each due callback to the loop with
``call_soon_threadsafe``.

Thread-safety: ``call_later`` and ``close`` are called on the loop; callbacks run on the loop.
The thread starts with the first timer and ends at ``close()``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from collections.abc import Callable


class TimerHandle:
    """One scheduled callback; ``cancel()`` (on the loop) guarantees it will not run."""

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback: Callable[[], None] | None = callback

    @property
    def cancelled(self) -> bool:
        return self._callback is None

    def cancel(self) -> None:
        self._callback = None  # also lets go of whatever the callback holds

    def fire(self) -> None:
        """Run the callback unless cancelled (on the loop: a cancel that raced the hand-over wins)."""
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()


class _Due:
    """What the timer thread shares with its owner (never the owner itself, so it can be freed)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.heap: list[tuple[float, int, TimerHandle]] = []
        self.wake = threading.Condition()
        self.closed = False


class PreciseTimer:
    """Runs callbacks on ``loop`` at ``time.monotonic()`` deadlines, sub-millisecond precise."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = _Due(loop)
        self._order = itertools.count()  # ties of equal deadlines run in scheduling order
        self._started = False

    def __del__(self) -> None:
        self.close()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` on the loop ``delay`` seconds from now (never before)."""
        handle = TimerHandle(callback)
        due = self._due
        with due.wake:
            if due.closed:
                raise RuntimeError("timer closed")
            heapq.heappush(due.heap, (time.monotonic() + max(delay, 0.0), next(self._order), handle))
            due.wake.notify()
        if not self._started:
            self._started = True
            threading.Thread(target=_run, args=(due,), name="ovms-batch-timer", daemon=True).start()
        return handle

    def close(self) -> None:
        """Drop every pending timer and end the thread."""
        due = self._due
        with due.wake:
            due.closed = True
            due.heap.clear()
            due.wake.notify()


def _run(due: _Due) -> None:
    with due.wake:
        while not due.closed:
            if not due.heap:
                due.wake.wait()
                continue
            remaining = due.heap[0][0] - time.monotonic()
            if remaining > 0:
                due.wake.wait(remaining)
                continue
            handle = heapq.heappop(due.heap)[2]
            if handle.cancelled:
                continue
            try:
                due.loop.call_soon_threadsafe(handle.fire)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                due.closed = True
                due.heap.clear()
