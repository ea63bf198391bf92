"""A pool of OpenVINO infer requests driven from the event loop.

OpenVINO runs each request on its own threads without the GIL. We keep our own pool of
``InferRequest`` objects instead of ``AsyncInferQueue``: ``AsyncInferQueue.start_async`` blocks its
caller while every job is busy, which would block the loop. Completion callbacks run on OpenVINO
threads; they copy the outputs (the request's buffers are reused by the next job) and hand the
result to the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

import numpy as np
import openvino as ov

log = logging.getLogger(__name__)

Outputs = list[np.ndarray]
Done = Callable[[Outputs | None, BaseException | None], None]


class InferPool:
    """``nireq`` infer requests of one compiled model; one job per request at a time.

    Thread-safety: every method must be called on the owning event loop. ``done`` callbacks run on
    the loop, after the request is back in the pool.
    """

    def __init__(self, compiled: ov.CompiledModel, nireq: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._requests = [compiled.create_infer_request() for _ in range(nireq)]
        self._callbacks: list[Done | None] = [None] * nireq
        self._inputs: list[object] = [None] * nireq
        self._idle = list(range(nireq))
        self._outputs = len(compiled.outputs)
        # The callback must not hold the pool: OpenVINO keeps it alive from C++, where Python's
        # collector cannot see the cycle, and no retired version would ever be freed.
        me = weakref.ref(self)
        for index, request in enumerate(self._requests):
            request.set_callback(_on_done, (me, index))

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

        Inputs are shared with OpenVINO (no copy) and kept alive until completion.
        """
        index = self._idle.pop()
        self._callbacks[index] = done
        self._inputs[index] = inputs
        try:
            self._requests[index].start_async(inputs, share_inputs=True)
        except Exception as err:  # OpenVINO raises RuntimeError/TypeError for bad tensors
            self._finish(index, None, err)

    def on_done(self, index: int) -> None:
        """Completion on an OpenVINO thread: copy outputs out of the reusable buffers, hand over."""
        request = self._requests[index]
        try:
            outputs = [request.get_output_tensor(i).data.copy() for i in range(self._outputs)]
            error = None
        except Exception as err:
            outputs, error = None, err
        self._loop.call_soon_threadsafe(self._finish, index, outputs, error)

    def _finish(self, index: int, outputs: Outputs | None, error: BaseException | None) -> None:
        done = self._callbacks[index]
        self._callbacks[index] = None
        self._inputs[index] = None
        self._idle.append(index)
        if done is not None:
            done(outputs, error)


def _on_done(userdata: tuple[weakref.ref[InferPool], int]) -> None:
    pool_ref, index = userdata
    pool = pool_ref()
    if pool is not None:
        pool.on_done(index)
