"""A pool of OpenVINO infer requests driven from the event loop.

OpenVINO runs each request on its own threads without the GIL. We keep our own pool of
``InferRequest`` objects instead of ``AsyncInferQueue``: ``AsyncInferQueue.start_async`` blocks its
caller while every job is busy, which would block the loop. Completion callbacks run on OpenVINO
threads; they copy the outputs (the request's buffers are reused by the next job) and hand the
result to the loop with ``call_soon_threadsafe``.

Two OpenVINO behaviours shape this module:

- An inference that fails after it started (a data-dependent shape, say) never calls the Python
  callback: the bindings rethrow the error on the worker thread instead. A watchdog on the loop
  therefore asks long-running requests with ``wait_for(0)``, which raises that error.
- Destroying an ``InferRequest`` (or its compiled model) on one of its own worker threads
  deadlocks that thread, and with it every later inference of the model. The last reference to a
  pool can be dropped on such a thread (its completion callback, or a garbage collection there), so
  a dying pool hands its OpenVINO objects to a reaper thread of ours to destroy.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable

import numpy as np
import openvino as ov

from ovms.strings import string_elements

log = logging.getLogger(__name__)

Outputs = list[np.ndarray]
Done = Callable[[Outputs | None, BaseException | None], None]
WATCH_INTERVAL = 0.05  # seconds between checks for inferences that failed without a callback


class InferPool:
    """``nireq`` infer requests of one compiled model; one job per request at a time.

    Thread-safety: every method must be called on the owning event loop. ``done`` callbacks run on
    the loop, after the request is back in the pool, exactly once per ``start``.
    """

    def __init__(self, compiled: ov.CompiledModel, nireq: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._compiled = compiled  # destroyed by the reaper with the requests, never on its own workers
        self._requests = [compiled.create_infer_request() for _ in range(nireq)]
        self._callbacks: list[Done | None] = [None] * nireq
        self._inputs: list[object] = [None] * nireq
        self._started = [0.0] * nireq
        self._idle = list(range(nireq))
        # String outputs are read with bytes_data (a copy already): .data warns that it copies them.
        self._string_outputs = tuple(o.get_element_type() == ov.Type.string for o in compiled.outputs)
        self._watchdog: asyncio.TimerHandle | None = None
        # The callback must not hold the pool: OpenVINO keeps it alive from C++, where Python's
        # collector cannot see the cycle, and no retired version would ever be freed.
        for index, request in enumerate(self._requests):
            request.set_callback(_on_done, (weakref.ref(self), index))

    def __del__(self) -> None:
        # Off the loop's thread this may be an OpenVINO worker: destroy the OpenVINO objects elsewhere.
        if threading.get_ident() != getattr(self, "_loop_thread", None) and not sys.is_finalizing():
            _REAPER.bury(getattr(self, "_requests", None), getattr(self, "_compiled", None))

    @property
    def size(self) -> int:
        return len(self._requests)

    def active(self) -> int:
        """Requests currently running inference."""
        return len(self._requests) - len(self._idle)

    def idle(self) -> int:
        return len(self._idle)

    def start(self, inputs: dict[int, np.ndarray], done: Done) -> None:
        """Run ``inputs`` on an idle request (caller checked ``idle()``); ``done`` gets the result.

        Inputs (keyed by input port, dtypes as the model's) are shared with OpenVINO where it can
        (see :func:`to_tensor`) and kept alive until completion.
        """
        index = self._idle.pop()
        self._callbacks[index] = done
        self._inputs[index] = inputs
        self._started[index] = time.monotonic()
        request = self._requests[index]
        try:
            # Not start_async(dict): its per-input dispatch costs the loop ~25 us more per request.
            for port, array in inputs.items():
                request.set_input_tensor(port, to_tensor(array))
            request.start_async()
        except Exception as err:  # OpenVINO raises RuntimeError/TypeError/ValueError for bad tensors
            self._finish(index, None, err)
            return
        if self._watchdog is None:
            self._watchdog = self._loop.call_later(WATCH_INTERVAL, self._watch)

    def on_done(self, index: int) -> None:
        """Completion on an OpenVINO thread: copy outputs out of the reusable buffers, hand over.

        Never raises: an exception here would escape into OpenVINO's worker thread.
        """
        request = self._requests[index]
        try:
            outputs = [_output(request.get_output_tensor(i), text)
                       for i, text in enumerate(self._string_outputs)]
            error = None
        except Exception as err:
            outputs, error = None, err
        try:
            self._loop.call_soon_threadsafe(self._finish, index, outputs, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.debug("Inference finished after its event loop closed")

    def _watch(self) -> None:
        """Fail requests whose inference raised on the worker thread (no callback will come)."""
        self._watchdog = None
        overdue = time.monotonic() - WATCH_INTERVAL
        for index, request in enumerate(self._requests):
            if self._callbacks[index] is None or self._started[index] > overdue:
                continue
            try:
                request.wait_for(0)
            except Exception as err:
                self._finish(index, None, err)
        if self.active():
            self._watchdog = self._loop.call_later(WATCH_INTERVAL, self._watch)

    def _finish(self, index: int, outputs: Outputs | None, error: BaseException | None) -> None:
        done = self._callbacks[index]
        if done is None:  # already finished (never expected; guards the idle list)
            return
        self._callbacks[index] = None
        self._inputs[index] = None
        self._idle.append(index)
        done(outputs, error)


def _output(tensor: ov.Tensor, text: bool) -> np.ndarray:
    """A copy of an output tensor (the request reuses its buffers for the next job)."""
    return tensor.bytes_data if text else tensor.data.copy()


def to_tensor(array: np.ndarray) -> ov.Tensor:
    """An OpenVINO tensor of ``array``: over its memory when OpenVINO allows, else a copy.

    OpenVINO shares writeable C-contiguous arrays only; read-only ones (views of a gRPC payload)
    are copied, once. Strings (object arrays of bytes or str) become a string tensor of bytes.
    """
    if array.dtype == object:
        return ov.Tensor(np.array(string_elements(array), dtype=np.bytes_).reshape(array.shape))
    if array.flags.writeable and array.flags.c_contiguous:
        return ov.Tensor(array, shared_memory=True)
    return ov.Tensor(np.ascontiguousarray(array))


def _on_done(userdata: tuple[weakref.ref[InferPool], int]) -> None:
    pool_ref, index = userdata
    pool = pool_ref()
    if pool is not None:
        pool.on_done(index)


class _Reaper:
    """A daemon thread that drops references handed to it, so destructors run on it."""

    def __init__(self) -> None:
        self._graves: queue.SimpleQueue[tuple[object, ...]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def bury(self, *objects: object) -> None:
        self._graves.put(objects)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ovms-reaper", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            objects = self._graves.get()
            del objects  # the destructors (InferRequest waits for its job) run here


_REAPER = _Reaper()
