"""The per-version request scheduler: bounded queue, deadlines, an infer-request pool.

Interface in the spirit of Triton's: ``submit(inputs, deadline)``, ``inflight()``, ``stop()``.
gRPC and REST requests for one model version share one scheduler instance.
"""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np

from ovms.errors import OvmsError, Status
from ovms.scheduler.pool import InferPool, Outputs

log = logging.getLogger(__name__)
DEFAULT_MAX_QUEUE = 4096


class Scheduler:
    """Runs requests for one compiled model version on its :class:`InferPool`.

    Requests wait FIFO for an idle infer request. At most ``max_queue`` requests may wait; more
    are rejected at once with RESOURCE_EXHAUSTED. A request whose deadline passes while it waits is
    dropped before inference (DEADLINE_EXCEEDED). After ``stop()`` new requests get UNAVAILABLE.
    """

    def __init__(self, pool: InferPool, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self._pool = pool
        self._max_queue = max_queue
        self._waiting = 0
        self._inflight = 0
        self._stopped = False
        self._idle = asyncio.Event()
        self._idle.set()

    def inflight(self) -> int:
        """Requests submitted and not yet answered (waiting or running)."""
        return self._inflight

    def queued(self) -> int:
        """Requests waiting for an infer request."""
        return self._waiting

    @property
    def pool(self) -> InferPool:
        return self._pool

    async def submit(self, inputs: dict[int, np.ndarray], deadline: float | None = None) -> Outputs:
        """Run one inference; raises OvmsError (queue full, deadline, stopped, inference error)."""
        if self._stopped:
            raise OvmsError(Status.SHUTTING_DOWN)
        if self._waiting >= self._max_queue:
            raise OvmsError(Status.QUEUE_FULL, f"limit: {self._max_queue} waiting requests")
        self._inflight += 1
        self._idle.clear()
        try:
            index = await self._acquire(deadline)
            try:
                future = self._pool.start(index, inputs)
            except BaseException:
                self._pool.release(index)
                raise
            try:
                return await future
            except OvmsError:
                raise
            except Exception as err:
                log.error("Inference failed: %s", err)
                raise OvmsError(Status.OV_INTERNAL_INFERENCE_ERROR) from err
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    async def _acquire(self, deadline: float | None) -> int:
        self._waiting += 1
        try:
            if deadline is None:
                return await self._pool.acquire()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OvmsError(Status.DEADLINE_EXCEEDED)
            return await self._acquire_until(remaining)
        finally:
            self._waiting -= 1

    async def _acquire_until(self, timeout: float) -> int:
        # Not asyncio.wait_for: on Python < 3.12 it can drop a result that races the timeout,
        # which would leak an infer request from the pool. Cancelling a pending Queue.get never
        # loses an item, so only an already-completed acquire must be given back.
        task = asyncio.ensure_future(self._pool.acquire())
        try:
            await asyncio.wait((task,), timeout=timeout)
        except BaseException:
            self._abandon(task)
            raise
        if task.done():
            return task.result()
        self._abandon(task)
        raise OvmsError(Status.DEADLINE_EXCEEDED)

    def _abandon(self, task: asyncio.Future[int]) -> None:
        if task.done() and not task.cancelled():
            self._pool.release(task.result())
        else:
            task.cancel()

    async def stop(self) -> None:
        """Reject new requests and wait until every accepted one has been answered."""
        self._stopped = True
        await self._idle.wait()
        # A cancelled caller stops awaiting, but its inference still runs: wait for the pool too.
        while self._pool.active():
            await asyncio.sleep(0.005)
