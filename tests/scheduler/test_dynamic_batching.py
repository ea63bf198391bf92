"""Dynamic batching on a real model: batches form under load, answers go to the right waiters."""

import asyncio

import numpy as np
import openvino as ov
import pytest

from ovms.errors import OvmsError, Status
from ovms.scheduler.batching import BatchingConfig
from ovms.scheduler.observer import SchedulerObserver
from ovms.scheduler.pool import InferPool
from ovms.scheduler.scheduler import Scheduler
from tests import modelfactory as mf


class Recorder(SchedulerObserver):
    def __init__(self):
        self.batches: list[int] = []
        self.waits: list[float] = []

    def on_inference(self, seconds, batch_size):
        self.batches.append(batch_size)

    def on_wait(self, seconds):
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    spec = mf.build_batched_ir(tmp_path_factory.mktemp("b") / "1", batch=-1, increment=1.0)
    return ov.Core().compile_model(str(spec.model_file), "CPU")


def test_concurrent_requests_are_batched_and_answered_correctly(compiled):
    async def main():
        recorder = Recorder()
        config = BatchingConfig(max_batch_size=8, max_queue_delay=0.01)
        scheduler = Scheduler(InferPool(compiled, 1), observer=recorder, batching=config, batch_axes={0: 0})
        feeds = [np.full((1 + i % 2, 10), i, np.float32) for i in range(40)]
        results = await asyncio.gather(*(scheduler.submit({0: f}) for f in feeds))
        for feed, out in zip(feeds, results):
            np.testing.assert_array_equal(out[0], feed + 1)
        assert sum(recorder.batches) == sum(f.shape[0] for f in feeds)
        assert max(recorder.batches) > 1 and max(recorder.batches) <= 8
        assert len(recorder.waits) == 40

    asyncio.run(main())


def test_lone_request_waits_at_most_the_queue_delay(compiled):
    async def main():
        recorder = Recorder()
        scheduler = Scheduler(InferPool(compiled, 1), observer=recorder,
                              batching=BatchingConfig(8, max_queue_delay=0.02), batch_axes={0: 0})
        out = await scheduler.submit({0: np.zeros((1, 10), np.float32)})
        assert out[0].tolist() == [[1.0] * 10]
        assert 0.015 <= recorder.waits[0] < 0.5

    asyncio.run(main())


def test_different_shapes_do_not_merge(tmp_path):
    spec = mf.build_dynamic_ir(tmp_path / "1")  # y = 2x for x of any [rows, columns]
    dynamic = ov.Core().compile_model(str(spec.model_file), "CPU")

    async def main():
        recorder = Recorder()
        scheduler = Scheduler(InferPool(dynamic, 1), observer=recorder,
                              batching=BatchingConfig(8, 0.005), batch_axes={0: 0})
        feeds = [np.full((1, 10), 1, np.float32), np.full((1, 5), 2, np.float32)] * 3
        results = await asyncio.gather(*(scheduler.submit({0: f}) for f in feeds))
        for feed, out in zip(feeds, results):
            np.testing.assert_array_equal(out[0], feed * 2)
        assert sum(recorder.batches) == 6 and len(recorder.batches) >= 2

    asyncio.run(main())


def test_a_failed_batch_fails_every_waiter_and_the_scheduler_recovers(compiled):
    async def main():
        scheduler = Scheduler(InferPool(compiled, 1), batching=BatchingConfig(8, 0.005), batch_axes={0: 0})
        bad = [np.zeros((1, 7), np.float32)] * 4  # mergeable with each other, wrong for the model
        results = await asyncio.gather(*(scheduler.submit({0: f}) for f in bad), return_exceptions=True)
        assert all(isinstance(r, OvmsError) and r.status is Status.OV_INTERNAL_INFERENCE_ERROR for r in results)
        out = await scheduler.submit({0: np.ones((2, 10), np.float32)})
        assert out[0].tolist() == [[2.0] * 10] * 2

    asyncio.run(main())
