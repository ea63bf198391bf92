"""Log setup: --log_level, --log_path, --log_format json (one JSON object per line)."""

import json
import logging

import pytest

from ovms.logs import JsonFormatter, configure_logging


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


def record(message: str, *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord("ovms.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_json_line_has_the_fields_and_extras():
    line = JsonFormatter().format(record("model %s\nfailed", "m", model="m", version=2, code="INTERNAL"))
    assert "\n" not in line
    doc = json.loads(line)
    assert doc["level"] == "WARNING" and doc["logger"] == "ovms.test" and doc["message"] == "model m\nfailed"
    assert (doc["model"], doc["version"], doc["code"]) == ("m", 2, "INTERNAL")
    assert isinstance(doc["pid"], int) and "T" in doc["time"]
    assert "args" not in doc and "msg" not in doc


def test_json_carries_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    doc = json.loads(JsonFormatter().format(made))
    assert "ValueError: boom" in doc["exception"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_level_path_and_format(restore_root, tmp_path, fmt):
    path = tmp_path / "ovms.log"
    configure_logging("WARNING", str(path), fmt)
    logging.getLogger("ovms.x").info("hidden")
    logging.getLogger("ovms.x").warning("shown %d", 7)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and "shown 7" in lines[0] and "hidden" not in path.read_text()
    if fmt == "json":
        assert json.loads(lines[0])["message"] == "shown 7"
    else:
        assert lines[0].endswith("[ovms.x][WARNING] shown 7")


def test_trace_is_debug(restore_root):
    configure_logging("TRACE")
    assert restore_root.level == logging.DEBUG
