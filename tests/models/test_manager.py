"""Model manager with real OpenVINO models: policies, fallback, reload order, draining, waiting."""

import asyncio
import gc
import logging
import shutil
import weakref

import numpy as np
import openvino as ov
import pytest

from ovms.errors import OvmsError, Status
from ovms.models.manager import ModelManager
from ovms.scheduler.batching import BatchingConfig
from ovms.settings import ModelConfig, VersionPolicy
from ovms.types import ErrorCode, ModelState
from tests import modelfactory as mf

X = np.zeros((1, 10), np.float32)


def run(coro):
    return asyncio.run(coro)


async def infer(manager, name="m", version=0):
    servable = await manager.servable(name, version)
    return (await servable.scheduler.submit({0: X}))[0]


def states(manager, name="m"):
    return {s.version: (s.state, s.error_code) for s in manager.model(name).statuses()}


def test_latest_policy_new_version_replaces_old(tmp_path):
    mf.build_dummy_ir(tmp_path / "1", 1.0)

    async def main():
        manager = ModelManager(ov.Core())
        assert await manager.apply([ModelConfig("m", str(tmp_path))])
        assert (await infer(manager))[0, 0] == 1.0
        mf.build_dummy_ir(tmp_path / "2", 2.0)
        assert await manager.rescan()
        assert (await infer(manager))[0, 0] == 2.0
        assert states(manager) == {1: (ModelState.END, ErrorCode.OK), 2: (ModelState.AVAILABLE, ErrorCode.OK)}
        with pytest.raises(OvmsError) as info:
            await manager.servable("m", 1)
        assert info.value.status is Status.MODEL_VERSION_NOT_LOADED_ANYMORE
        shutil.rmtree(tmp_path / "2")
        mf.build_dummy_ir(tmp_path / "1", 1.0)
        assert await manager.rescan()  # version 1 comes back when 2 disappears
        assert (await infer(manager))[0, 0] == 1.0
        assert not await manager.rescan()
        await manager.shutdown()

    run(main())


def test_failed_latest_falls_back_to_older_and_others_keep_serving(tmp_path):
    mf.build_dummy_ir(tmp_path / "m/1", 1.0)
    mf.build_broken_ir(tmp_path / "m/2")
    mf.build_dummy_onnx(tmp_path / "other/1", 5.0)

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path / "m")), ModelConfig("other", str(tmp_path / "other"))])
        assert states(manager) == {1: (ModelState.AVAILABLE, ErrorCode.OK), 2: (ModelState.LOADING, ErrorCode.UNKNOWN)}
        assert manager.model("m").versions[2].status.detail
        assert (await infer(manager))[0, 0] == 1.0
        assert (await infer(manager, "other"))[0, 0] == 5.0
        with pytest.raises(OvmsError) as info:
            await manager.servable("m", 2)
        assert info.value.status is Status.MODEL_VERSION_NOT_LOADED_YET
        assert not await manager.rescan()  # a failed version is not retried every poll
        await manager.shutdown()

    run(main())


def test_missing_names_and_versions(tmp_path):
    mf.build_dummy_ir(tmp_path / "1")

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path))])
        for name, version, status in [("x", 0, Status.MODEL_NAME_MISSING), ("m", 9, Status.MODEL_VERSION_MISSING)]:
            with pytest.raises(OvmsError) as info:
                await manager.servable(name, version)
            assert info.value.status is status
        await manager.shutdown()

    run(main())


def test_config_change_reloads_without_gap_and_removal_drains(tmp_path):
    spec = mf.build_slow_ir(tmp_path / "1", depth=64)
    feed = spec.sample_inputs()["x"]

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path), nireq=1)])
        servable = await manager.servable("m", 0)
        pending = [asyncio.ensure_future(servable.scheduler.submit({0: feed})) for _ in range(10)]
        await manager.apply([ModelConfig("m", str(tmp_path), nireq=2)])  # reload: swap, old drains
        assert (await manager.servable("m", 0)) is not servable
        assert states(manager) == {1: (ModelState.AVAILABLE, ErrorCode.OK)}
        more = [asyncio.ensure_future(servable.scheduler.submit({0: feed}))]
        await manager.apply([])  # removal: in-flight requests finish first
        results = await asyncio.gather(*pending, *more, return_exceptions=True)
        assert all(not isinstance(r, BaseException) for r in results[:10])
        assert states(manager) == {1: (ModelState.END, ErrorCode.OK)}

    run(main())


def test_requests_wait_for_a_loading_version(tmp_path):
    mf.build_dummy_ir(tmp_path / "1", 1.0)

    async def main():
        manager = ModelManager(ov.Core())
        loading = asyncio.ensure_future(manager.apply([ModelConfig("m", str(tmp_path))]))
        await asyncio.sleep(0.01)  # the model exists, its version is loading in a thread
        assert (await infer(manager))[0, 0] == 1.0
        await loading
        await manager.shutdown()

    run(main())


def test_shape_batch_and_mapping(tmp_path):
    mf.build_dynamic_ir(tmp_path / "d/1")
    mf.build_dummy_ir(tmp_path / "b/1")
    mf.write_mapping_config(tmp_path / "b/1", {"b": "input"}, {"a": "output"})

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([
            ModelConfig("d", str(tmp_path / "d"), shape={"": (2, (1, 8))}),
            ModelConfig("b", str(tmp_path / "b"), batch_size=-1, version_policy=VersionPolicy("all")),
        ])
        meta_d = (await manager.servable("d", 0)).metadata
        assert meta_d.inputs[0].shape == (2, (1, 8)) and meta_d.inputs[0].metadata_shape == [2, -1]
        meta_b = (await manager.servable("b", 0)).metadata
        assert meta_b.inputs[0].name == "input" and meta_b.outputs[0].name == "output"
        assert meta_b.inputs[0].shape == (-1, 10)
        await manager.shutdown()

    run(main())


@pytest.mark.parametrize("batching", [None, BatchingConfig(4, 0.001, ())], ids=["plain", "batched"])
def test_a_retired_version_frozen_at_start_up_is_freed(tmp_path, monkeypatch, batching):
    """The daemon freezes its start-up heap (server.freeze_startup_heap): a version loaded then must
    not sit in a reference cycle once retired, or its compiled model would never be freed."""
    mf.build_dummy_ir(tmp_path / "1", 1.0)
    # pytest's log capture keeps each record for the report, and the failure's record holds the
    # error, its traceback, its frames and so the scheduler; the daemon's handlers drop records.
    monkeypatch.setattr(logging.getLogger("ovms.scheduler.scheduler"), "disabled", True)

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path), batch_size=(1, 4), batching=batching)])
        servable = await manager.servable("m", 0)
        loaded = manager.model("m").versions[1].loaded
        alive = [weakref.ref(o) for o in (servable, servable.scheduler, servable.scheduler.pool, loaded)]
        del servable, loaded
        gc.collect()
        gc.freeze()
        try:
            await asyncio.gather(*(infer(manager) for _ in range(6)))
            with pytest.raises(OvmsError):  # a failure leaves a traceback cycle that refers to it
                await (await manager.servable("m", 0)).scheduler.submit({0: np.zeros((1, 11), np.float32)})
            mf.build_dummy_ir(tmp_path / "2", 2.0)
            assert await manager.rescan()
            assert (await infer(manager))[0, 0] == 2.0
            for _ in range(100):  # the retired version drains on its own task
                gc.collect()
                if not any(ref() for ref in alive):
                    break
                await asyncio.sleep(0.01)
            assert [ref() for ref in alive] == [None] * 4
        finally:
            gc.unfreeze()
        await manager.shutdown()

    run(main())
