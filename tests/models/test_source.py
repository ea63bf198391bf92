"""ConfigSource: config.json by content hash, invalid files change nothing, one log line per reload."""

import asyncio
import json
import shutil

import openvino as ov
import pytest

from ovms.config_file import read_config_file
from ovms.errors import OvmsError, Status
from ovms.models.manager import ModelManager
from ovms.models.source import ConfigSource
from ovms.types import ModelState
from tests import modelfactory as mf


def write(path, models, **extra):
    entries = [{"config": {"name": name, "base_path": base, **extra.get(name, {})}} for name, base in models.items()]
    path.write_text(json.dumps({"model_config_list": entries}))


def served(manager):
    return {name: [s.version for s in m.statuses() if s.state is ModelState.AVAILABLE]
            for name, m in manager.models.items()}


def reload_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Configuration reload:")]


@pytest.fixture
def repo(tmp_path):
    mf.build_dummy_ir(tmp_path / "a/1", 1.0)
    mf.build_dummy_ir(tmp_path / "b/1", 1.0)
    return tmp_path


def test_reload_follows_the_file_by_content_and_logs_what_changed(repo, caplog):
    caplog.set_level("INFO", logger="ovms.models")
    config = repo / "config.json"
    write(config, {"a": "a"})

    async def main():
        manager = ModelManager(ov.Core())
        source = ConfigSource(manager, str(config))
        await source.initial(read_config_file(str(config)))
        assert not await source.reload()
        write(config, {"a": "a"})  # rewritten, same bytes: not applied again
        assert not await source.reload()
        write(config, {"a": "a", "b": "b"})
        assert await source.reload()
        assert served(manager) == {"a": [1], "b": [1]}
        write(config, {"b": "b"}, b={"nireq": 2})
        mf.build_dummy_ir(repo / "b/2", 2.0)
        assert await source.reload()
        assert served(manager) == {"a": [], "b": [2]}
        await manager.shutdown()

    asyncio.run(main())
    assert reload_lines(caplog) == [
        "Configuration reload: nothing changed",
        "Configuration reload: nothing changed",
        "Configuration reload: models added: b; versions loaded: b/1",
        "Configuration reload: models removed: a; models reloaded: b; versions loaded: b/2; versions retired: a/1, b/1",
    ]
    assert sum("Configuration file" in r.getMessage() and "changed" in r.getMessage() for r in caplog.records) == 2


def test_invalid_file_changes_nothing_until_fixed(repo, caplog):
    config = repo / "config.json"
    write(config, {"a": "a"})

    async def main():
        manager = ModelManager(ov.Core())
        source = ConfigSource(manager, str(config))
        await source.initial(read_config_file(str(config)))
        for text in ('{"model_config_list": [', '{"model_config_list": [{"config": {"name": "b", "nireq": "x"}}]}'):
            config.write_text(text)
            for _ in range(2):  # a failed file is tried again on every reload
                with pytest.raises(OvmsError) as info:
                    await source.reload()
                assert info.value.status is Status.CONFIG_RELOAD_FAILED
            assert served(manager) == {"a": [1]}
        config.unlink()
        with pytest.raises(OvmsError) as info:
            await source.reload()
        assert info.value.status is Status.CONFIG_FILE_INVALID
        write(config, {"a": "a"})  # the same content as before the failures is applied again: no change
        assert not await source.reload()
        write(config, {"b": "b"})
        assert await source.reload()
        assert served(manager) == {"a": [], "b": [1]}
        await manager.shutdown()

    asyncio.run(main())
    assert "is invalid, nothing changed" in caplog.text


def test_one_bad_entry_does_not_block_the_others_but_the_reload_reports_it(repo):
    mf.build_broken_ir(repo / "broken/1")
    config = repo / "config.json"
    write(config, {"a": "a"})

    async def main():
        manager = ModelManager(ov.Core())
        source = ConfigSource(manager, str(config))
        await source.initial(read_config_file(str(config)))
        write(config, {"a": "a", "missing": "nowhere", "broken": "broken", "badshape": "b", "b": "b"},
              badshape={"shape": {"nope": "(1,10)"}})
        for _ in range(2):  # OVMS: the file is applied again on every request until it loads cleanly
            with pytest.raises(OvmsError) as info:
                await source.reload()
            assert info.value.status is Status.CONFIG_RELOAD_FAILED
            assert served(manager) == {"a": [1], "missing": [], "broken": [], "badshape": [], "b": [1]}
        assert not await source.reload(quiet=True)  # the poll loop neither raises nor retries
        write(config, {"a": "a", "b": "b", "broken": "broken"})
        with pytest.raises(OvmsError) as info:
            await source.reload()
        assert info.value.status is Status.CONFIG_RELOAD_FAILED
        shutil.rmtree(repo / "broken/1")
        mf.build_dummy_ir(repo / "broken/1", 5.0)  # repaired in place: the next reload loads it
        assert await source.reload()
        assert served(manager) == {"a": [1], "b": [1], "broken": [1], "missing": [], "badshape": []}
        mf.build_broken_ir(repo / "b/2")  # a failing version, config unchanged: "models versions" failed
        with pytest.raises(OvmsError) as info:
            await source.reload()
        assert info.value.status is Status.MODEL_RELOAD_FAILED
        assert served(manager)["b"] == [1]
        await manager.shutdown()

    asyncio.run(main())


def test_poll_loop_follows_the_repository_and_survives_errors(repo, caplog):
    caplog.set_level("INFO", logger="ovms.models")
    config = repo / "config.json"
    write(config, {"a": "a"})

    async def until(predicate):
        for _ in range(200):
            if predicate():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("timed out")

    async def main():
        manager = ModelManager(ov.Core())
        source = ConfigSource(manager, str(config))
        await source.initial(read_config_file(str(config)))
        poller = asyncio.ensure_future(source.poll(0.05))
        config.write_text("not json")
        await until(lambda: "Configuration reload skipped" in caplog.text)
        write(config, {"a": "a"})
        (repo / "a/tmp").mkdir()
        mf.build_dummy_ir(repo / "a/tmp", 2.0)
        (repo / "a/tmp").rename(repo / "a/2")
        await until(lambda: served(manager) == {"a": [2]} and reload_lines(caplog))
        poller.cancel()
        await manager.shutdown()

    asyncio.run(main())
    assert reload_lines(caplog) == ["Configuration reload: versions loaded: a/2; versions retired: a/1"]
