"""Live changes in the manager: removal, load-before-retire, draining, failed loads, waiting, summaries."""

import asyncio
import shutil
import threading
import time

import numpy as np
import openvino as ov
import pytest

from ovms.errors import OvmsError, Status
from ovms.models import manager as manager_module
from ovms.models.manager import ModelManager
from ovms.settings import ModelConfig, VersionPolicy
from ovms.types import ErrorCode, ModelState
from tests import modelfactory as mf

X = np.zeros((1, 10), np.float32)


async def answer(manager, name="m", version=0):
    """output - input of one inference: the version's increment, i.e. its number in these tests."""
    servable = await manager.servable(name, version)
    return float((await servable.scheduler.submit({0: X}))[0][0, 0])


def states(manager, name="m"):
    return {s.version: (s.state, s.error_code) for s in manager.model(name).statuses()}


def test_removed_model_stays_retired_across_rescans_and_can_come_back(tmp_path):
    mf.build_dummy_ir(tmp_path / "a/1", 1.0)
    mf.build_dummy_ir(tmp_path / "b/1", 2.0)
    a, b = ModelConfig("a", str(tmp_path / "a")), ModelConfig("b", str(tmp_path / "b"))

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([a, b])
        removed = await manager.apply([a])
        assert removed.removed == ["b"] and removed.retired == ["b/1"]
        assert not await manager.rescan()  # a removed model is not picked up again
        assert states(manager, "b") == {1: (ModelState.END, ErrorCode.OK)}
        with pytest.raises(OvmsError) as info:
            await manager.servable("b", 1)
        assert info.value.status is Status.MODEL_VERSION_NOT_LOADED_ANYMORE
        back = await manager.apply([a, b])
        assert back.added == ["b"] and back.loaded == ["b/1"]
        assert await answer(manager, "b") == 2.0
        await manager.shutdown()

    asyncio.run(main())


def test_new_version_is_available_before_the_old_one_unloads(tmp_path, caplog):
    mf.build_dummy_ir(tmp_path / "1", 1.0)
    caplog.set_level("INFO", logger="ovms.models")

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path))])
        mf.build_dummy_ir(tmp_path / "2", 2.0)
        changes = await manager.rescan()
        assert changes.loaded == ["m/2"] and changes.retired == ["m/1"]
        await manager.shutdown()

    asyncio.run(main())
    lines = [r.getMessage() for r in caplog.records if "STATUS CHANGE" in r.getMessage()]
    available = lines.index(next(line for line in lines if "Version 2" in line and "AVAILABLE" in line))
    unloading = lines.index(next(line for line in lines if "Version 1" in line and "UNLOADING" in line))
    assert available < unloading


def test_failed_new_version_keeps_the_old_one_serving(tmp_path):
    mf.build_dummy_ir(tmp_path / "1", 1.0)
    mf.build_dummy_ir(tmp_path / "2", 2.0)

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path))])
        mf.build_broken_ir(tmp_path / "3")
        changes = await manager.rescan()
        assert changes.failed == ["m/3"] and not changes.retired
        assert states(manager) == {2: (ModelState.AVAILABLE, ErrorCode.OK), 3: (ModelState.LOADING, ErrorCode.UNKNOWN)}
        assert await answer(manager) == 2.0
        shutil.rmtree(tmp_path / "3")  # the broken folder goes: its version ends
        assert (await manager.rescan()).retired == ["m/3"]
        mf.build_dummy_ir(tmp_path / "3", 3.0)  # and a good one with that number loads
        assert (await manager.rescan()).loaded == ["m/3"]
        assert await answer(manager) == 3.0
        await manager.shutdown()

    asyncio.run(main())


def test_failed_version_is_tried_again_when_its_files_change_or_a_reload_asks(tmp_path):
    mf.build_dummy_ir(tmp_path / "1", 1.0)

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path))])
        (tmp_path / "2").mkdir()  # a copy in progress: the folder is there, its files are not yet
        assert (await manager.rescan()).failed == ["m/2"]
        assert not await manager.rescan()  # unchanged files: not tried again on every poll
        assert (await manager.rescan(retry_failed=True)).failed == ["m/2"]
        mf.build_dummy_ir(tmp_path / "2", 2.0)  # the copy completes
        changes = await manager.rescan()
        assert changes.loaded == ["m/2"] and changes.retired == ["m/1"]
        assert await answer(manager) == 2.0
        await manager.shutdown()

    asyncio.run(main())


def test_retired_version_finishes_its_in_flight_requests(tmp_path):
    spec = mf.build_slow_ir(tmp_path / "1", depth=64)
    feed = spec.sample_inputs()["x"]

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path), nireq=1)])
        old = await manager.servable("m", 0)
        pending = [asyncio.ensure_future(old.scheduler.submit({0: feed})) for _ in range(20)]
        shutil.copytree(tmp_path / "1", tmp_path / "tmp")
        (tmp_path / "tmp").rename(tmp_path / "2")
        await manager.rescan()
        assert states(manager) == {1: (ModelState.END, ErrorCode.OK), 2: (ModelState.AVAILABLE, ErrorCode.OK)}
        assert all(p.done() and p.exception() is None for p in pending)  # END only after all 20 finished
        await manager.shutdown()

    asyncio.run(main())


def test_config_change_of_one_model_reloads_only_that_model(tmp_path):
    mf.build_dummy_ir(tmp_path / "a/1", 1.0)
    mf.build_dummy_ir(tmp_path / "b/1", 2.0)

    async def main():
        manager = ModelManager(ov.Core())
        a, b = ModelConfig("a", str(tmp_path / "a")), ModelConfig("b", str(tmp_path / "b"))
        await manager.apply([a, b])
        servable_a = await manager.servable("a", 0)
        changes = await manager.apply([a, ModelConfig("b", str(tmp_path / "b"), nireq=2)])
        assert changes.reloaded == ["b"] and changes.loaded == ["b/1"] and not changes.retired
        assert await manager.servable("a", 0) is servable_a
        assert not await manager.apply([a, ModelConfig("b", str(tmp_path / "b"), nireq=2)])
        await manager.shutdown()

    asyncio.run(main())


def test_policy_change_loads_before_it_retires(tmp_path):
    for v in (1, 2, 3):
        mf.build_dummy_ir(tmp_path / str(v), float(v))

    async def main():
        manager = ModelManager(ov.Core())
        await manager.apply([ModelConfig("m", str(tmp_path))])
        changes = await manager.apply([ModelConfig("m", str(tmp_path), version_policy=VersionPolicy("specific", versions=(1,)))])
        assert changes.loaded == ["m/1"] and changes.retired == ["m/3"]
        assert await answer(manager) == 1.0
        await manager.shutdown()

    asyncio.run(main())


class Gate:
    """Blocks every model load until opened (stands in for a slow compile)."""

    def __init__(self, monkeypatch):
        self.opened = threading.Event()
        real = manager_module.load_model

        def gated(*args, **kwargs):
            self.opened.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(manager_module, "load_model", gated)


def test_requests_for_a_loading_version_wait_bounded(tmp_path, monkeypatch):
    mf.build_dummy_ir(tmp_path / "1", 1.0)
    gate = Gate(monkeypatch)

    async def main():
        manager = ModelManager(ov.Core(), wait_for_loaded=0.3)
        loading = asyncio.ensure_future(manager.apply([ModelConfig("m", str(tmp_path))]))
        await asyncio.sleep(0.05)
        assert states(manager) == {1: (ModelState.LOADING, ErrorCode.OK)}
        for version in (0, 1):
            started = time.monotonic()
            with pytest.raises(OvmsError) as info:
                await manager.servable("m", version)
            assert info.value.status is Status.MODEL_VERSION_NOT_LOADED_YET
            assert 0.25 < time.monotonic() - started < 2
        waiting = asyncio.ensure_future(answer(manager, "m", 1))
        await asyncio.sleep(0.1)
        gate.opened.set()
        assert await waiting == 1.0
        await loading
        await manager.shutdown()

    asyncio.run(main())


def test_requests_for_a_new_model_wait_while_its_versions_are_listed(tmp_path, monkeypatch):
    mf.build_dummy_ir(tmp_path / "1", 1.0)
    gate = Gate(monkeypatch)

    async def main():
        manager = ModelManager(ov.Core())
        loading = asyncio.ensure_future(manager.apply([ModelConfig("m", str(tmp_path))]))
        await asyncio.sleep(0)  # the model is known; listing its folder runs in a thread
        waiting = asyncio.ensure_future(answer(manager))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        gate.opened.set()
        assert await waiting == 1.0
        await loading
        empty = tmp_path / "empty"
        empty.mkdir()
        await manager.apply([ModelConfig("m", str(tmp_path)), ModelConfig("e", str(empty))])
        started = time.monotonic()
        with pytest.raises(OvmsError) as info:  # nothing to wait for: fails at once
            await manager.servable("e", 0)
        assert info.value.status is Status.MODEL_VERSION_MISSING and time.monotonic() - started < 0.1
        await manager.shutdown()

    asyncio.run(main())
