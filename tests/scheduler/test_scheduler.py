"""Scheduler on a real compiled model: FIFO pool, bounded queue, deadlines, stop, no leaks."""

import asyncio
import time

import numpy as np
import openvino as ov
import pytest

from ovms.errors import OvmsError, Status
from ovms.scheduler.pool import InferPool
from ovms.scheduler.scheduler import Scheduler
from tests import modelfactory as mf


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    spec = mf.build_slow_ir(tmp_path_factory.mktemp("slow") / "1", depth=64)
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
    return spec, compiled


def inputs(spec, seed=0):
    return {0: spec.sample_inputs(seed)["x"]}


def test_results_match_reference_under_concurrency(slow):
    spec, compiled = slow

    async def main():
        scheduler = Scheduler(InferPool(compiled, 2))
        feeds = [inputs(spec, seed) for seed in range(20)]
        results = await asyncio.gather(*(scheduler.submit(f) for f in feeds))
        for feed, out in zip(feeds, results):
            np.testing.assert_allclose(out[0], spec.expected({"x": feed[0]})["y"], rtol=spec.rtol, atol=spec.atol)
        assert scheduler.inflight() == 0 and scheduler.pool.active() == 0

    asyncio.run(main())


def test_queue_bound_rejects_at_once(slow):
    spec, compiled = slow

    async def main():
        scheduler = Scheduler(InferPool(compiled, 1), max_queue=2)
        tasks = [asyncio.ensure_future(scheduler.submit(inputs(spec))) for _ in range(4)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [r for r in results if isinstance(r, OvmsError)]
        assert len(errors) == 1 and errors[0].status is Status.QUEUE_FULL

    asyncio.run(main())


def test_expired_deadline_is_dropped_before_inference_and_pool_does_not_leak(slow):
    spec, compiled = slow

    async def main():
        scheduler = Scheduler(InferPool(compiled, 1))
        busy = [asyncio.ensure_future(scheduler.submit(inputs(spec))) for _ in range(3)]
        late = await asyncio.gather(*(scheduler.submit(inputs(spec), time.monotonic() + 0.0005) for _ in range(5)),
                                    return_exceptions=True)
        assert all(isinstance(r, OvmsError) and r.status is Status.DEADLINE_EXCEEDED for r in late)
        await asyncio.gather(*busy)
        with pytest.raises(OvmsError, match="Deadline exceeded"):
            await scheduler.submit(inputs(spec), time.monotonic() - 1)
        assert scheduler.pool.active() == 0
        await scheduler.submit(inputs(spec))  # the only infer request is still usable

    asyncio.run(main())


def test_stop_drains_then_rejects(slow):
    spec, compiled = slow

    async def main():
        scheduler = Scheduler(InferPool(compiled, 1))
        running = [asyncio.ensure_future(scheduler.submit(inputs(spec))) for _ in range(3)]
        await asyncio.sleep(0)
        await scheduler.stop()
        assert all(t.done() and t.exception() is None for t in running)
        with pytest.raises(OvmsError) as info:
            await scheduler.submit(inputs(spec))
        assert info.value.status is Status.SHUTTING_DOWN

    asyncio.run(main())


def test_inference_error_is_internal(slow):
    spec, compiled = slow

    async def main():
        scheduler = Scheduler(InferPool(compiled, 1))
        with pytest.raises(OvmsError) as info:
            await scheduler.submit({0: np.zeros((3, 3), np.float32)})
        assert info.value.status is Status.OV_INTERNAL_INFERENCE_ERROR
        assert scheduler.pool.active() == 0

    asyncio.run(main())
