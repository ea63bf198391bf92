"""InferPool on real compiled models: failures after start, and pools dying on OpenVINO threads."""

import asyncio
import gc
import threading
import time
import weakref

import numpy as np
import openvino as ov
import pytest

from ovms.scheduler.pool import InferPool, to_tensor
from tests import modelfactory as mf


@pytest.fixture(scope="module")
def reshape(tmp_path_factory):
    spec = mf.build_reshape_ir(tmp_path_factory.mktemp("reshape") / "1")
    return spec, ov.Core().compile_model(str(spec.model_file), "CPU")


def feed(shape):
    return {0: np.arange(10, dtype=np.float32), 1: np.array(shape, np.int64)}


async def run(pool, inputs):
    """Start one job and wait for its (outputs, error) with a bound, so a lost callback fails."""
    future = asyncio.get_running_loop().create_future()
    pool.start(inputs, lambda outputs, error: future.set_result((outputs, error)))
    return await asyncio.wait_for(future, 5)


def test_a_failure_inside_inference_is_reported_and_the_request_is_reused(reshape):
    spec, compiled = reshape

    async def main():
        pool = InferPool(compiled, 1)
        outputs, error = await run(pool, feed([3, 5]))  # 15 != 10 elements: fails on the worker
        assert outputs is None and "Reshape" in str(error)
        assert pool.idle() == 1
        outputs, error = await run(pool, feed([2, 5]))
        assert error is None
        np.testing.assert_array_equal(outputs[0], spec.expected({"x": np.arange(10, dtype=np.float32),
                                                                 "shape": np.array([2, 5])})["y"])

    asyncio.run(main())


def test_a_bad_tensor_fails_at_start_without_losing_the_request(reshape):
    _, compiled = reshape

    async def main():
        pool = InferPool(compiled, 1)
        outputs, error = await run(pool, {0: np.zeros((2, 2), np.float32), 1: np.array([2, 2], np.int64)})
        assert outputs is None and error is not None and pool.idle() == 1

    asyncio.run(main())


def test_a_pool_dropped_on_its_own_callback_thread_leaves_the_model_working(tmp_path):
    """The last reference to a pool dies in its completion callback, on the OpenVINO worker.

    This happens when everything else lets go of the pool between the callback's hand-over to the
    loop and its return. Destroying the InferRequest there would deadlock the worker, and the next
    inference of the compiled model would never finish.
    """
    spec = mf.build_dummy_ir(tmp_path / "1")
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
    handed_over, release = threading.Event(), threading.Event()

    class HeldPool(InferPool):
        def on_done(self, index):
            super().on_done(index)
            handed_over.set()
            release.wait(10)

    async def main():
        pool = HeldPool(compiled, 1)
        outputs, error = await run(pool, {0: np.zeros((1, 10), np.float32)})
        assert error is None and await asyncio.to_thread(handed_over.wait, 10)
        return weakref.ref(pool)

    pool_ref = asyncio.run(main())
    gc.collect()
    assert pool_ref() is not None  # held by the callback's frame only
    release.set()
    for _ in range(100):  # the callback's frame lets go of the pool once the callback returns
        gc.collect()  # the closed loop may still hold the pool's watchdog timer, in a cycle
        if pool_ref() is None:
            break
        time.sleep(0.01)
    assert pool_ref() is None
    request = compiled.create_infer_request()
    request.start_async({0: np.ones((1, 10), np.float32)})
    assert request.wait_for(10_000), "the model's worker thread is deadlocked"
    np.testing.assert_array_equal(request.get_output_tensor(0).data, np.full((1, 10), 2.0, np.float32))


def test_to_tensor_shares_what_it_can_and_copies_the_rest():
    writeable = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = to_tensor(writeable)
    writeable[0, 0] = 42.0
    assert shared.data[0, 0] == 42.0  # the same memory
    read_only = np.frombuffer(np.arange(6, dtype=np.float32).tobytes(), np.float32).reshape(2, 3)
    np.testing.assert_array_equal(to_tensor(read_only).data, read_only)
    strided = np.arange(12, dtype=np.float32).reshape(3, 4).T
    np.testing.assert_array_equal(to_tensor(strided).data, strided)
    strings = to_tensor(np.array([[b"ab", "c\u00e9"]], dtype=object))
    assert strings.element_type == ov.Type.string and list(strings.shape) == [1, 2]
    assert strings.str_data.tolist() == [["ab", "c\u00e9"]]
