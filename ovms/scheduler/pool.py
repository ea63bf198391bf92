"""A pool of OpenVINO infer requests driven from the event loop.

OpenVINO runs each request on its own threads without the GIL. We keep our own pool of
``InferRequest`` objects with an asyncio queue of idle ones instead of ``AsyncInferQueue``:
``AsyncInferQueue.start_async`` blocks its caller while every job is busy, which would block the
loop. Completion callbacks run on OpenVINO threads; they copy the outputs (the request's buffers are
reused by the next job) and hand the result to the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import openvino as ov

log = logging.getLogger(__name__)

Outputs = list[np.ndarray]


class InferPool:
    """``nireq`` infer requests of one compiled model; one job per request at a time.

    Thread-safety: every method must be called on the owning event loop.
    """

    def __init__(self, compiled: ov.CompiledModel, nireq: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._requests = [compiled.create_infer_request() for _ in range(nireq)]
        self._futures: list[asyncio.Future[Outputs] | None] = [None] * nireq
        self._inputs: list[object] = [None] * nireq
        self._idle: asyncio.Queue[int] = asyncio.Queue()
        self._outputs = len(compiled.outputs)
        for index, request in enumerate(self._requests):
            request.set_callback(self._on_done, index)
            self._idle.put_nowait(index)

    @property
    def size(self) -> int:
        return len(self._requests)

    def active(self) -> int:
        """Requests currently running inference."""
        return len(self._requests) - self._idle.qsize()

    async def acquire(self) -> int:
        """Wait for an idle infer request (FIFO among waiters) and reserve it."""
        return await self._idle.get()

    def start(self, index: int, inputs: dict[int, np.ndarray]) -> asyncio.Future[Outputs]:
        """Start inference on reserved request ``index``; the future resolves with the outputs.

        The request returns to the pool when inference ends, whether or not anyone still awaits
        the future (a cancelled client must not leak a request).
        """
        future: asyncio.Future[Outputs] = self._loop.create_future()
        self._futures[index] = future
        self._inputs[index] = inputs  # keep shared input memory alive until completion
        try:
            self._requests[index].start_async(inputs, share_inputs=True)
        except Exception as err:  # OpenVINO raises RuntimeError/TypeError for bad tensors
            self._finish(index, None, err)
        return future

    def release(self, index: int) -> None:
        """Give back a reserved request that was not started."""
        self._idle.put_nowait(index)

    def _on_done(self, index: int) -> None:
        # Runs on an OpenVINO thread: copy outputs out of the request's reusable buffers here.
        request = self._requests[index]
        try:
            outputs = [request.get_output_tensor(i).data.copy() for i in range(self._outputs)]
            error = None
        except Exception as err:
            outputs, error = None, err
        self._loop.call_soon_threadsafe(self._finish, index, outputs, error)

    def _finish(self, index: int, outputs: Outputs | None, error: BaseException | None) -> None:
        future = self._futures[index]
        self._futures[index] = None
        self._inputs[index] = None
        self._idle.put_nowait(index)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outputs)
