"""Daemon logging: one handler setup for every logger, as text (OVMS-like) or one JSON object a line.

``--log_level`` sets the root level (TRACE is DEBUG: Python has no lower level); ``--log_path``
adds a file next to stdout; ``--log_format json`` writes each record as one JSON object with
``time``, ``level``, ``logger``, ``pid``, ``message``, the structured fields a caller passed with
``extra=`` (e.g. ``model``, ``version``, ``code`` on request errors) and ``exception`` when a
traceback is attached.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[str, ...] = ("text", "json")
TEXT_FORMAT = "[%(asctime)s][%(process)d][%(name)s][%(levelname)s] %(message)s"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON (no newlines inside: they are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in doc:
                doc[key] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exception"] = record.exc_text
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


def configure_logging(level: str, path: str | None = None, fmt: LogFormat = "text") -> None:
    """Route every logger to stdout (and ``path``) at ``level`` in format ``fmt``; idempotent."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if path:
        handlers.append(logging.FileHandler(path))
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level="DEBUG" if level == "TRACE" else level, handlers=handlers, force=True)
