"""InferPool on real compiled models: polled and waited-for completions, failures after start."""

import asyncio
import gc
import threading
import time
import weakref

import numpy as np
import openvino as ov
import pytest

from ovms.scheduler.pool import COPY_LIMIT, InferPool, to_tensor
from tests import modelfactory as mf


@pytest.fixture(scope="module")
def reshape(tmp_path_factory):
    spec = mf.build_reshape_ir(tmp_path_factory.mktemp("reshape") / "1")
    return spec, ov.Core().compile_model(str(spec.model_file), "CPU")


def feed(shape):
    return {0: np.arange(10, dtype=np.float32), 1: np.array(shape, np.int64)}


async def run(pool, inputs, *more, axes=None):
    """Start one job (of one request's inputs, or several merged along ``axes``) and wait for its
    (outputs, error) with a bound, so a lost callback fails."""
    future = asyncio.get_running_loop().create_future()
    pool.start([inputs, *more], lambda outputs, error: future.set_result((outputs, error)), axes)
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


def waiter_threads() -> int:
    return sum(t.name == "ovms-infer-wait" for t in threading.enumerate())


def no_waiter_threads() -> int:
    """0 once the waiters of earlier tests' dead pools have ended (they end when their pool dies)."""
    gc.collect()
    for _ in range(200):
        if not waiter_threads():
            break
        time.sleep(0.01)
    return waiter_threads()


@pytest.fixture(scope="module")
def dummy(tmp_path_factory):
    spec = mf.build_dummy_ir(tmp_path_factory.mktemp("dummy") / "1")
    return spec, ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})


def test_fast_inferences_are_polled_from_the_loop_without_threads(dummy):
    _, compiled = dummy
    assert no_waiter_threads() == 0

    async def main():
        pool = InferPool(compiled, 2, spin_limit=1.0)  # everything counts as fast
        for value in range(20):
            outputs, error = await run(pool, {0: np.full((1, 10), value, np.float32)})
            assert error is None
            np.testing.assert_array_equal(outputs[0], np.full((1, 10), value + 1, np.float32))
        assert 0 < pool.latency() < 1.0 and pool.idle() == 2
        assert waiter_threads() == 0

    asyncio.run(main())


def test_slow_inferences_go_to_a_waiter_thread_that_stops_with_the_pool(dummy):
    _, compiled = dummy
    assert no_waiter_threads() == 0

    async def main():
        pool = InferPool(compiled, 2, spin_limit=0.0)  # everything counts as slow
        jobs = [run(pool, {0: np.full((1, 10), value, np.float32)}) for value in range(2)]
        for value, (outputs, error) in enumerate(await asyncio.gather(*jobs)):
            assert error is None
            np.testing.assert_array_equal(outputs[0], np.full((1, 10), value + 1, np.float32))
        assert waiter_threads() == 2  # one per infer request, started on first use
        return weakref.ref(pool)

    pool_ref = asyncio.run(main())
    gc.collect()
    assert pool_ref() is None
    for _ in range(200):  # the dropped pool closed its waiters; each lets go of its request and ends
        if waiter_threads() == 0:
            break
        time.sleep(0.01)
    assert waiter_threads() == 0
    request = compiled.create_infer_request()  # the requests were destroyed off OpenVINO's threads
    request.start_async({0: np.ones((1, 10), np.float32)})
    assert request.wait_for(10_000), "the model's worker thread is deadlocked"
    np.testing.assert_array_equal(request.get_output_tensor(0).data, np.full((1, 10), 2.0, np.float32))


def test_a_failure_inside_a_slow_inference_is_reported_by_the_waiter(reshape):
    spec, compiled = reshape

    async def main():
        pool = InferPool(compiled, 1, spin_limit=0.0)
        outputs, error = await run(pool, feed([5, 3]))
        assert outputs is None and "Reshape" in str(error)
        outputs, error = await run(pool, feed([5, 2]))
        assert error is None and outputs[0].shape == (5, 2)

    asyncio.run(main())


def test_a_pool_hands_off_once_its_inferences_take_longer_than_the_spin_limit(tmp_path):
    spec = mf.build_slow_ir(tmp_path / "1", depth=64)
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
    assert no_waiter_threads() == 0

    async def main():
        pool = InferPool(compiled, 1, spin_limit=1e-6)
        x = np.random.default_rng(0).standard_normal((1, 512)).astype(np.float32)
        for _ in range(3):
            outputs, error = await run(pool, {0: x})
            assert error is None
            np.testing.assert_allclose(outputs[0], spec.expected({"x": x})["y"], rtol=spec.rtol, atol=spec.atol)
        assert pool.latency() > 1e-6 and waiter_threads() == 1

    asyncio.run(main())


def test_to_tensor_shares_contiguous_arrays_and_copies_the_rest():
    writeable = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = to_tensor(writeable)
    writeable[0, 0] = 42.0
    assert shared.data[0, 0] == 42.0  # the same memory
    read_only = np.frombuffer(np.arange(6, dtype=np.float32).tobytes(), np.float32).reshape(2, 3)
    viewed = to_tensor(read_only)
    assert viewed.data.ctypes.data == read_only.ctypes.data  # a gRPC payload is not copied either
    np.testing.assert_array_equal(viewed.data, read_only)
    assert to_tensor(np.array([True, False])).element_type == ov.Type.boolean
    strided = np.arange(12, dtype=np.float32).reshape(3, 4).T
    np.testing.assert_array_equal(to_tensor(strided).data, strided)
    strings = to_tensor(np.array([[b"ab", "c\u00e9"]], dtype=object))
    assert strings.element_type == ov.Type.string and list(strings.shape) == [1, 2]
    assert strings.str_data.tolist() == [["ab", "c\u00e9"]]


def test_jobs_copy_into_the_requests_own_tensor_unless_the_input_is_large(tmp_path):
    spec = mf.build_batched_ir(tmp_path / "1")  # "b" [-1,10] + 1
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})

    async def check(pool, *parts):
        outputs, error = await run(pool, *parts, axes={0: 0})
        assert error is None
        np.testing.assert_array_equal(outputs[0], np.concatenate([p[0] for p in parts]) + 1)

    async def main():
        pool = InferPool(compiled, 1)
        await check(pool, {0: np.full((1, 10), 7, np.float32)})
        owned = pool._buffers[0][0].tensor
        for sizes in ((1, 2), (3, 1, 4), (2, 1), (1,)):  # merged batches grow, then shrink; a lone job
            await check(pool, *[{0: np.full((n, 10), 10 * k + n, np.float32)} for k, n in enumerate(sizes)])
        assert pool._buffers[0][0].tensor is owned  # resized, never allocated again
        large = np.arange((COPY_LIMIT // 40 + 1) * 10, dtype=np.float32).reshape(-1, 10)  # just over
        await check(pool, {0: large})  # shared, not copied
        assert not pool._buffers[0][0].bound
        await check(pool, {0: np.zeros((1, 10), np.float32)}, {0: np.ones((1, 10), np.float32)})  # set again
        assert pool._buffers[0][0].bound and pool._buffers[0][0].tensor is owned

    asyncio.run(main())


def test_a_merge_that_does_not_fit_fails_the_job_and_keeps_the_request(tmp_path):
    spec = mf.build_batched_ir(tmp_path / "1")
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU", {"PERFORMANCE_HINT": "LATENCY"})

    async def main():
        pool = InferPool(compiled, 1)
        outputs, error = await run(pool, {0: np.zeros((1, 10), np.float32)}, {0: np.zeros((1, 7), np.float32)},
                                   axes={0: 0})
        assert outputs is None and isinstance(error, ValueError) and pool.idle() == 1
        outputs, error = await run(pool, {0: np.zeros((1, 10), np.float32)})
        assert error is None and np.all(outputs[0] == 1)

    asyncio.run(main())


def test_merged_strings_get_a_tensor_of_their_own(tmp_path):
    spec = mf.build_strings_ir(tmp_path / "1")  # "text" [-1] STRING, echoed
    compiled = ov.Core().compile_model(str(spec.model_file), "CPU")

    async def main():
        pool = InferPool(compiled, 1)
        parts = [{0: np.array([b"a", b"bc"], dtype=object)}, {0: np.array([b"def"], dtype=object)}]
        for _ in range(2):  # the second merge meets the request as the first one left it
            outputs, error = await run(pool, *parts, axes={0: 0})
            assert error is None and outputs[0].tolist() == [b"a", b"bc", b"def"]
        assert pool._buffers[0] == {}  # strings are never copied into a pool-owned tensor

    asyncio.run(main())
