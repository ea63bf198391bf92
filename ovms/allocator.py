"""glibc malloc tuning for the daemon: keep freed request buffers instead of returning them.

With glibc's defaults, a buffer over the dynamic mmap threshold (a few hundred KB once such
buffers have been freed) comes from the top of the heap, and the heap is trimmed as soon as more
than twice that is free at its top. A server that receives a 600 KB tensor per request then gives
the pages back after each request and faults them in again (~150 page faults, each zeroing a page)
for the next one: on a model with a 600 KB input and trivial compute that cost a fifth of the
daemon's throughput. Fixed thresholds stop that: buffers under 32 MiB are reused from the heap, and up to 64 MiB
free at its top is kept. Larger blocks (model weights) are still mapped and returned on free.

Applied once at start-up by the CLI, before threads start. A ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` in the environment wins (glibc reads those itself); not glibc, nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling for its dynamic threshold on 64-bit hosts
TRIM_THRESHOLD = 64 * 1024 * 1024
ENV_KEYS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def settings(environ: Mapping[str, str]) -> list[tuple[int, int]]:
    """The ``mallopt`` calls to make: none when the environment already tunes malloc."""
    if any(key in environ for key in ENV_KEYS):
        return []
    return [(M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD)]


def tune(environ: Mapping[str, str]) -> bool:
    """Apply :func:`settings` with glibc's ``mallopt``; True when every call succeeded."""
    calls = settings(environ)
    if not calls:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = all(mallopt(param, value) == 1 for param, value in calls)
    log.debug("malloc thresholds %s", "set" if applied else "not set")
    return applied
