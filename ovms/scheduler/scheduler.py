"""The per-version request scheduler: bounded queue, deadlines, infer-request pool, batching.

Interface in the spirit of Triton's: ``submit(inputs, deadline)``, ``inflight()``, ``stop()``.
gRPC and REST requests for one model version share one scheduler instance.

Event-driven, with no scheduler task: a request is queued and dispatched at once when an infer
request is idle; a finished inference dispatches what queued meanwhile (which is where batches
form under load); a timer dispatches a partial batch when its queue delay is over (a
:class:`~ovms.scheduler.timer.PreciseTimer`: the loop's own timers run in 1 ms steps).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ovms.errors import OvmsError, Status
from ovms.scheduler.batching import BatchingConfig, decide, split
from ovms.scheduler.observer import NOOP_SCHEDULER, SchedulerObserver
from ovms.scheduler.pool import InferPool, Outputs
from ovms.scheduler.timer import PreciseTimer, TimerHandle

log = logging.getLogger(__name__)
DEFAULT_MAX_QUEUE = 4096
NO_BATCHING = BatchingConfig(max_batch_size=1)


@dataclass(slots=True, eq=False)
class _Pending:
    inputs: dict[int, np.ndarray]
    future: asyncio.Future[Outputs]
    enqueued: float
    size: int = 1
    key: tuple = ()
    timer: asyncio.TimerHandle | None = field(default=None)


class Scheduler:
    """Runs requests for one compiled model version on its :class:`InferPool`.

    Requests are served FIFO. At most ``max_queue`` requests may wait; more are rejected at once
    with RESOURCE_EXHAUSTED. A request whose deadline passes while it waits is answered
    DEADLINE_EXCEEDED and never reaches inference. After ``stop()`` new requests get UNAVAILABLE.
    With ``batching``, requests whose inputs differ only in the batch dimension (``batch_axes``:
    input index -> axis) run together, up to ``max_batch_size`` rows; a failed batch fails every
    request in it. Thread-safety: event loop only.
    """

    def __init__(self, pool: InferPool, max_queue: int = DEFAULT_MAX_QUEUE,
                 observer: SchedulerObserver = NOOP_SCHEDULER, batching: BatchingConfig = NO_BATCHING,
                 batch_axes: dict[int, int] | None = None) -> None:
        self._pool = pool
        self._max_queue = max_queue
        self._observer = observer
        self._batching = batching
        self._axes = batch_axes or {}
        self._queue: deque[_Pending] = deque()
        self._loop = asyncio.get_running_loop()
        self._timers = PreciseTimer(self._loop)  # batch delays: the loop's timers have 1 ms steps
        self._timer: TimerHandle | None = None
        self._inflight = 0
        self._stopped = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pool(self) -> InferPool:
        return self._pool

    def inflight(self) -> int:
        """Requests submitted and not yet answered (waiting or running)."""
        return self._inflight

    def queued(self) -> int:
        """Requests waiting for an infer request."""
        return len(self._queue)

    async def submit(self, inputs: dict[int, np.ndarray], deadline: float | None = None) -> Outputs:
        """Run one inference; raises OvmsError (queue full, deadline, stopped, inference error)."""
        if self._stopped:
            self._reject(Status.SHUTTING_DOWN)
        if len(self._queue) >= self._max_queue:
            self._reject(Status.QUEUE_FULL, f"limit: {self._max_queue} waiting requests")
        pending = self._pending(inputs)
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._reject(Status.DEADLINE_EXCEEDED)
            pending.timer = self._loop.call_later(remaining, self._expire, pending)
        self._queue.append(pending)
        self._inflight += 1
        self._idle.clear()
        try:
            self._dispatch()
            return await pending.future
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    async def stop(self) -> None:
        """Reject new requests, wait until every accepted one has been answered, close the pool."""
        self._stopped = True
        await self._idle.wait()
        # A cancelled caller stops awaiting, but its inference still runs: wait for the pool too.
        while self._pool.active():
            await asyncio.sleep(0.005)
        self._timers.close()
        self._pool.close()

    def _pending(self, inputs: dict[int, np.ndarray]) -> _Pending:
        pending = _Pending(inputs, self._loop.create_future(), time.monotonic())
        if self._batching.max_batch_size > 1:
            pending.size, pending.key = self._batch_key(inputs)
        return pending

    def _batch_key(self, inputs: dict[int, np.ndarray]) -> tuple[int, tuple]:
        """Rows of this request and what must be equal for requests to share a batch."""
        sizes = {a.shape[self._axes[i]] for i, a in inputs.items() if i in self._axes}
        if len(sizes) != 1 or len(self._axes) != len(inputs):
            return 1, (id(inputs),)  # not batchable: a key nobody else has
        key = tuple((i, a.dtype.str, a.shape[:self._axes[i]] + a.shape[self._axes[i] + 1:]) for i, a in inputs.items())
        return sizes.pop(), key

    def _reject(self, status: Status, details: str = "") -> None:
        self._observer.on_reject(status)
        raise OvmsError(status, details)

    def _expire(self, pending: _Pending) -> None:
        pending.timer = None
        if not pending.future.done():
            self._observer.on_reject(Status.DEADLINE_EXCEEDED)
            pending.future.set_exception(OvmsError(Status.DEADLINE_EXCEEDED))

    def _dispatch(self) -> None:
        """Start as many batches as idle infer requests and the batching policy allow."""
        queue = self._queue
        while queue and self._pool.idle():
            while queue and queue[0].future.done():  # expired or cancelled while waiting
                queue.popleft()
            if not queue:
                break
            batch = self._next_batch()
            if not batch:
                return
            self._start(batch)
        if not queue and self._timer is not None:  # nothing left to wait for
            self._timer.cancel()
            self._timer = None

    def _next_batch(self) -> list[_Pending]:
        queue = self._queue
        if self._batching.max_batch_size <= 1:
            return [queue.popleft()]
        run, more = self._leading_run()
        count, wait = decide([p.size for p in run], time.monotonic() - run[0].enqueued, self._batching, more)
        if not count:
            self._arm_timer(wait)
            return []
        batch: list[_Pending] = []
        while len(batch) < count:  # the run is the queue's head, less requests already answered
            pending = queue.popleft()
            if not pending.future.done():
                batch.append(pending)
        return batch

    def _leading_run(self) -> tuple[list[_Pending], bool]:
        """The head's consecutive mergeable requests (one past a full batch); whether more wait."""
        head_key = self._queue[0].key
        run: list[_Pending] = []
        total = 0
        for pending in self._queue:
            if pending.future.done():
                continue
            if pending.key != head_key:
                return run, True
            run.append(pending)
            total += pending.size
            if total > self._batching.max_batch_size:
                return run, True
        return run, False

    def _arm_timer(self, wait: float) -> None:
        if self._timer is None:
            self._timer = self._timers.call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _start(self, batch: list[_Pending]) -> None:
        started = time.monotonic()
        for pending in batch:
            if pending.timer is not None:
                pending.timer.cancel()
            self._observer.on_wait(started - pending.enqueued)
        self._pool.start([p.inputs for p in batch], lambda outputs, error: self._done(batch, started, outputs, error),
                         self._axes)

    def _done(self, batch: list[_Pending], started: float, outputs: Outputs | None,
              error: BaseException | None) -> None:
        self._observer.on_inference(time.monotonic() - started, sum(p.size for p in batch))
        if error is not None or outputs is None:
            self._fail(batch, error)
        else:
            try:
                parts = split(outputs, [p.size for p in batch])
            except ValueError as err:
                self._fail(batch, err)
            else:
                answered = time.monotonic()
                for pending, part in zip(batch, parts):
                    if not pending.future.done():
                        pending.future.set_result(part)
                        self._observer.on_answer(answered - pending.enqueued)
        self._dispatch()

    def _fail(self, batch: list[_Pending], error: BaseException | None) -> None:
        log.error("Inference failed for %d request(s): %s", len(batch), error)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(OvmsError(Status.OV_INTERNAL_INFERENCE_ERROR))
