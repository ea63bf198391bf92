"""A pool of OpenVINO infer requests driven from the event loop.

OpenVINO runs each request on its own threads without the GIL. We keep our own pool of
``InferRequest`` objects instead of ``AsyncInferQueue``: ``AsyncInferQueue.start_async`` blocks its
caller while every job is busy, which would block the loop.

No Python code runs on OpenVINO's threads: a Python completion callback must take the GIL on the
worker thread, and under load every such hand-over stalls the event loop (on the tiny benchmark
model a callback that does nothing at all cost a quarter of the throughput). Completions are
noticed instead in one of two ways:

- Fast inferences (the pool's recent OpenVINO latency under ``spin_limit``) are polled from the
  loop with ``wait_for(0)`` (~0.3 us) once per loop iteration while they run. Under load the loop
  is busy anyway; an idle loop spins for at most ``spin_limit`` per inference.
- Slower ones, and fast ones still running after ``spin_limit``, go to the request's waiter
  thread, which blocks in ``wait()`` without the GIL and hands the end to the loop with
  ``call_soon_threadsafe``.

An inference that fails on the worker thread raises from ``wait_for``/``wait``: both ways report
it. Because OpenVINO's threads never run Python, the last reference to a pool can never be dropped
there (an ``InferRequest`` destroyed on its own worker thread deadlocks it, and with it the model).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence

import numpy as np
import openvino as ov

from ovms.scheduler.batching import merge
from ovms.strings import string_elements

log = logging.getLogger(__name__)

Outputs = list[np.ndarray]
Done = Callable[[Outputs | None, BaseException | None], None]
SPIN_LIMIT = 200e-6  # seconds: poll inferences faster than this from the loop; hand slower ones off
COPY_LIMIT = 64 << 10  # bytes: smaller inputs are copied into the request's own tensor, larger shared
_SMOOTHING = 0.1  # weight of the newest inference in the pool's latency average


class InferPool:
    """``nireq`` infer requests of one compiled model; one job per request at a time.

    Thread-safety: every method must be called on the owning event loop. ``done`` callbacks run on
    the loop, after the request is back in the pool, exactly once per ``start``.
    """

    def __init__(self, compiled: ov.CompiledModel, nireq: int, spin_limit: float = SPIN_LIMIT) -> None:
        self._loop = asyncio.get_running_loop()
        self._requests = [compiled.create_infer_request() for _ in range(nireq)]
        self._callbacks: list[Done | None] = [None] * nireq
        self._inputs: list[object] = [None] * nireq
        self._buffers: list[dict[int, _Buffer]] = [{} for _ in range(nireq)]  # by request, port
        self._started = [0.0] * nireq
        self._idle = list(range(nireq))
        self._polled: list[int] = []  # running requests the loop polls
        self._polling = False  # a poll is scheduled on the loop
        self._waiters: list[_Waiter | None] = [None] * nireq  # started on first hand-off
        self._spin_limit = spin_limit
        self._latency = 0.0  # moving average of OpenVINO's inference latency, seconds
        # String outputs are read with bytes_data (a copy already): .data warns that it copies them.
        self._string_outputs = tuple(o.get_element_type() == ov.Type.string for o in compiled.outputs)

    def __del__(self) -> None:
        if hasattr(self, "_waiters"):  # not when __init__ failed
            self.close()

    def close(self) -> None:
        """End the waiter threads; call once no job runs (a later job would start new ones)."""
        waiters, self._waiters = self._waiters, [None] * len(self._waiters)
        for waiter in waiters:
            if waiter is not None:
                waiter.close()

    @property
    def size(self) -> int:
        return len(self._requests)

    def active(self) -> int:
        """Requests currently running inference."""
        return len(self._requests) - len(self._idle)

    def idle(self) -> int:
        return len(self._idle)

    def latency(self) -> float:
        """Recent OpenVINO inference latency of this pool's requests, seconds (0 before any)."""
        return self._latency

    def start(self, parts: Sequence[dict[int, np.ndarray]], done: Done, axes: dict[int, int] | None = None) -> None:
        """Run one job on an idle request (caller checked ``idle()``); ``done`` gets the result.

        ``parts``: the inputs (keyed by input port, dtypes as the model's) of the one or more
        requests this job serves. Several are concatenated along their batch ``axes`` into the
        infer request's own input tensors (see :meth:`_buffer`); so are the inputs of one part up
        to ``COPY_LIMIT`` bytes; larger ones are shared with OpenVINO when contiguous (see
        :func:`to_tensor`) and kept alive until completion.
        """
        index = self._idle.pop()
        self._callbacks[index] = done
        self._started[index] = time.perf_counter()
        try:
            self._inputs[index] = self._load(index, parts, axes or {})
            self._requests[index].start_async()
        except Exception as err:  # OpenVINO raises RuntimeError/TypeError/ValueError for bad tensors
            self._finish(index, None, err)
            return
        if self._latency < self._spin_limit:
            self._polled.append(index)
            if not self._polling:
                self._polling = True
                self._loop.call_soon(self._poll)
        else:
            self._hand_off(index)

    def _load(self, index: int, parts: Sequence[dict[int, np.ndarray]], axes: dict[int, int]) -> dict[int, np.ndarray]:
        """Set a job's inputs on request ``index``; returns the arrays OpenVINO now shares."""
        buffers = self._buffers[index]
        if len(parts) > 1:
            merged = merge(parts, axes, functools.partial(self._buffer, index))
            # merge returns the buffer it wrote into: only inputs it had no buffer for are shared
            shared = {port: array for port, array in merged.items()
                      if port not in buffers or array is not buffers[port].view}
        else:
            shared = {}
            for port, array in parts[0].items():
                view = self._buffer(index, port, array.shape, array.dtype) if array.nbytes <= COPY_LIMIT else None
                if view is None:
                    shared[port] = array
                else:
                    np.copyto(view, array)
        request = self._requests[index]
        for port, array in shared.items():
            # Not start_async(dict): its per-input dispatch costs the loop ~25 us more per request.
            request.set_input_tensor(port, to_tensor(array))
            if port in buffers:
                buffers[port].bound = False
        return shared

    def _buffer(self, index: int, port: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """Request ``index``'s own input tensor at ``port``, set to ``shape``, as an array to fill.

        One tensor per request and port, owned by OpenVINO, reused by every job that copies its
        input (small inputs, merged batches) instead of wrapping the request's array in a new
        tensor: ~1 us against ~6 us for a tiny input back to back, and ~50 against ~90 us for a
        batch after an idle spell (2-core VM). None for strings and for dtypes whose OpenVINO
        buffer numpy sees otherwise: those are shared as they are.
        """
        buffer = self._buffers[index].get(port)
        if buffer is None:
            if dtype == object:
                return None
            buffer = self._buffers[index][port] = _Buffer(ov.Tensor(np.empty(shape, dtype)))  # a copy: owned
        elif buffer.view.shape != shape:
            buffer.resize(shape)
        if buffer.view.dtype != dtype:
            return None
        if not buffer.bound:
            self._requests[index].set_input_tensor(port, buffer.tensor)
            buffer.bound = True
        return buffer.view

    def _poll(self) -> None:
        """Finish the polled requests that are done; hand off those running past the spin limit."""
        self._polling = False
        polled, self._polled = self._polled, []  # finishing may start (and so poll) new jobs
        overdue = time.perf_counter() - self._spin_limit
        running = []
        for index in polled:
            try:
                finished = self._requests[index].wait_for(0)
            except Exception as err:  # the inference failed on OpenVINO's thread
                self._finish(index, None, err)
                continue
            if finished:
                self._complete(index)
            elif self._started[index] < overdue:
                self._hand_off(index)
            else:
                running.append(index)
        self._polled.extend(running)
        if self._polled and not self._polling:
            self._polling = True
            self._loop.call_soon(self._poll)

    def _hand_off(self, index: int) -> None:
        waiter = self._waiters[index]
        if waiter is None:
            report = functools.partial(_reported, weakref.ref(self), index)
            waiter = self._waiters[index] = _Waiter(self._loop, report)
        waiter.wait(self._requests[index])

    def reported(self, index: int, error: BaseException | None) -> None:
        """The waiter of request ``index`` saw its job end (on the loop)."""
        if error is not None:
            self._finish(index, None, error)
        else:
            self._complete(index)

    def _complete(self, index: int) -> None:
        """A successful job: copy its outputs out of the reusable buffers and finish it."""
        request = self._requests[index]
        self._latency += (request.latency / 1000 - self._latency) * _SMOOTHING
        try:
            outputs = [_output(request.get_output_tensor(i), text) for i, text in enumerate(self._string_outputs)]
        except Exception as err:
            self._finish(index, None, err)
            return
        self._finish(index, outputs, None)

    def _finish(self, index: int, outputs: Outputs | None, error: BaseException | None) -> None:
        done = self._callbacks[index]
        if done is None:  # already finished (never expected; guards the idle list)
            return
        self._callbacks[index] = None
        self._inputs[index] = None
        self._idle.append(index)
        done(outputs, error)


class _Buffer:
    """An input tensor a pool owns for one infer request and port, and a numpy view of it."""

    __slots__ = ("tensor", "view", "bound")

    def __init__(self, tensor: ov.Tensor) -> None:
        self.tensor = tensor
        self.view: np.ndarray = tensor.data
        self.bound = False  # whether the request's input at this port is this tensor

    def resize(self, shape: tuple[int, ...]) -> None:
        """New shape (may reallocate: a new view); set again on the request to be safe."""
        self.tensor.shape = shape
        self.view = self.tensor.data
        self.bound = False


def _output(tensor: ov.Tensor, text: bool) -> np.ndarray:
    """A copy of an output tensor (the request reuses its buffers for the next job)."""
    return tensor.bytes_data if text else tensor.data.copy()


def to_tensor(array: np.ndarray) -> ov.Tensor:
    """An OpenVINO tensor of ``array``: over its memory when it is C-contiguous, else a copy.

    Read-only arrays (views of a gRPC payload) are shared too: OpenVINO only reads inputs, and a
    600 KB copy per request costs the event loop more than parsing the request. The caller keeps
    ``array`` alive until the inference ends. Strings (object arrays of bytes or str) become a
    string tensor of bytes.
    """
    if array.dtype == object:
        return ov.Tensor(np.array(string_elements(array), dtype=np.bytes_).reshape(array.shape))
    # Tensor(array, shape) shares read-only arrays as well; Tensor(array, shared_memory=True) refuses them.
    return ov.Tensor(np.ascontiguousarray(array), array.shape)


def _reported(pool_ref: weakref.ref[InferPool], index: int, error: BaseException | None) -> None:
    pool = pool_ref()
    if pool is not None:
        pool.reported(index, error)


class _Waiter:
    """A daemon thread that waits, without the GIL, for jobs of one infer request.

    Each :meth:`wait` covers the job running now on ``request``; its end is reported on ``loop``
    through ``report(error)``. The thread holds neither the pool (it must not keep the pool alive)
    nor a request between jobs: requests are destroyed by the pool's owner, not here and never
    during interpreter exit, when OpenVINO may already be torn down.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, report: Callable[[BaseException | None], None]) -> None:
        self._jobs: queue.SimpleQueue[ov.InferRequest | None] = queue.SimpleQueue()
        threading.Thread(target=_wait_jobs, args=(self._jobs, loop, report), name="ovms-infer-wait",
                         daemon=True).start()

    def wait(self, request: ov.InferRequest) -> None:
        self._jobs.put(request)

    def close(self) -> None:
        self._jobs.put(None)


def _wait_jobs(jobs: queue.SimpleQueue[ov.InferRequest | None], loop: asyncio.AbstractEventLoop,
               report: Callable[[BaseException | None], None]) -> None:
    while (request := jobs.get()) is not None:
        error = None
        try:
            request.wait()
        except Exception as err:  # the inference failed on OpenVINO's thread
            error = err
        del request  # before the report: once reported, the pool may be dropped at any time
        try:
            loop.call_soon_threadsafe(report, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.debug("Inference finished after its event loop closed")
