"""Live model management by polling (--file_system_poll_wait_seconds 1) in the real daemon.

Each point of the contract in turn: a new version folder becomes the default, a removed one is
retired (the next older one comes back), a changed entry reloads its model, a removed model is
retired, an invalid file changes nothing and is logged, a bad entry does not block the others, a
broken new version leaves the old one serving, and every change is logged in one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.daemon import start_daemon
from tests.e2e.test_live_reload import (
    add_version,
    answer,
    remove_version,
    served,
    write_config,
)

CHANGE_TIMEOUT = 15.0  # a poll each second; a load takes well under a second


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + CHANGE_TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not seen within {CHANGE_TIMEOUT}s: {what}")


def test_polling_applies_each_kind_of_change(tmp_path: Path):
    for name in ("live", "other"):
        (tmp_path / name).mkdir()
        add_version(tmp_path / name, 1)
    config = tmp_path / "config.json"
    write_config(config, {"live": {}, "other": {}})
    daemon = start_daemon(["--config_path", str(config), "--file_system_poll_wait_seconds", "1"], tmp_path)
    try:
        with httpx.Client(base_url=daemon.rest_url, timeout=30) as http:
            add_version(tmp_path / "live", 2)
            wait_until(lambda: answer(http) == 2.0, "new version 2 is the default")
            assert served(http)["live"] == ["1:END", "2:AVAILABLE"]

            remove_version(tmp_path / "live", 2)
            wait_until(lambda: served(http)["live"] == ["1:AVAILABLE", "2:END"], "removed version 2 retired")
            assert answer(http) == 1.0

            write_config(config, {"live": {"nireq": 2}, "other": {}})
            wait_until(lambda: "models reloaded: live" in daemon.log(), "changed entry reloaded")
            assert answer(http) == 1.0

            write_config(config, {"live": {"nireq": 2}})
            wait_until(lambda: served(http)["other"] == ["1:END"], "removed model retired")

            config.write_text('{"model_config_list": [{"config": {"name": "live"')
            wait_until(lambda: "Configuration reload skipped" in daemon.log(), "invalid file logged")
            time.sleep(1.2)  # another poll: still nothing changed
            assert served(http) == {"live": ["1:AVAILABLE", "2:END"], "other": ["1:END"]}

            (tmp_path / "third").mkdir()
            add_version(tmp_path / "third", 1)
            write_config(config, {"live": {"nireq": 2}, "missing": {}, "third": {}})
            wait_until(lambda: served(http).get("third") == ["1:AVAILABLE"], "good entry served beside a bad one")
            assert answer(http, "third") == 1.0

            add_version(tmp_path / "live", 3, broken=True)
            wait_until(lambda: "Model live version 3 failed to load" in daemon.log(), "broken version tried")
            assert answer(http) == 1.0 and served(http)["live"] == ["1:AVAILABLE", "2:END", "3:LOADING"]
    finally:
        assert daemon.stop() == 0, daemon.log()
    log = daemon.log()
    assert "Configuration reload: versions loaded: live/2; versions retired: live/1" in log
    assert "Configuration reload: versions loaded: live/1; versions retired: live/2" in log
    assert "Configuration reload: models removed: other; versions retired: other/1" in log
    assert "Configuration reload: models added: missing, third; versions loaded: third/1; " \
           "models whose versions cannot be listed: missing\n" in log
