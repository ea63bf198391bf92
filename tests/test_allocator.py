"""glibc malloc tuning: the calls made, the environment's precedence, and the effect on page faults."""

import subprocess
import sys

import pytest

from ovms import allocator


def test_thresholds_are_fixed_unless_the_environment_sets_them():
    assert allocator.settings({}) == [(allocator.M_MMAP_THRESHOLD, 32 << 20), (allocator.M_TRIM_THRESHOLD, 64 << 20)]
    assert allocator.settings({"MALLOC_TRIM_THRESHOLD_": "0"}) == []
    assert allocator.settings({"MALLOC_MMAP_THRESHOLD_": "131072"}) == []
    assert allocator.tune({"MALLOC_MMAP_THRESHOLD_": "131072"}) is False


# Allocates and frees four 600 KB buffers per "request", as the daemon does per ResNet-sized
# request, and prints the page faults of the last 200 rounds.
FAULTS = """
import resource, sys
from ovms import allocator
if sys.argv[1] == "tuned":
    assert allocator.tune({})
def rounds(n):
    for _ in range(n):
        parts = [bytearray(600_000) for _ in range(4)]
        del parts
rounds(20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds(200)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_tuned_process_stops_faulting_for_freed_request_buffers():
    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=True)
        return int(done.stdout)

    assert faults("tuned") < 50  # the buffers' pages are reused: nothing to fault in again
    assert faults("default") > 200 * 100  # glibc's defaults: ~147 faults per 600 KB buffer
