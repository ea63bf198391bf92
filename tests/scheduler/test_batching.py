"""Batch formation as a pure decision; merging and splitting tensors."""

import numpy as np
import pytest

from ovms.scheduler.batching import BatchingConfig, decide, merge, split

CFG = BatchingConfig(max_batch_size=8, max_queue_delay=0.002, preferred_batch_sizes=(4,))


@pytest.mark.parametrize(
    "sizes, age, more, expected",
    [
        ([], 0.0, False, (0, 0.0)),
        ([1], 0.0, False, (0, 0.002)),            # alone and young: wait for company
        ([1], 0.003, False, (1, 0.0)),            # delay over: go
        ([1, 1, 1, 1], 0.0, False, (4, 0.0)),     # preferred size reached: go at once
        ([1, 1, 1, 1, 1], 0.0, False, (4, 0.0)),  # largest preferred prefix goes, the rest waits
        ([4, 4], 0.0, False, (2, 0.0)),           # exactly full
        ([3, 3, 3], 0.0, True, (2, 0.0)),         # the third does not fit
        ([1, 2], 0.0, True, (2, 0.0)),            # an incompatible request waits behind: go
        ([12], 0.0, False, (1, 0.0)),             # larger than a batch: runs alone
    ],
)
def test_decide(sizes, age, more, expected):
    count, wait = decide(sizes, age, CFG, more)
    assert (count, pytest.approx(wait)) == expected


def test_no_delay_means_no_waiting():
    assert decide([1], 0.0, BatchingConfig(8), False) == (1, 0.0)


def test_merge_and_split_round_trip():
    parts = [{0: np.full((n, 3), n, np.float32)} for n in (1, 2, 3)]
    merged = merge(parts, {0: 0})
    assert merged[0].shape == (6, 3)
    back = split([merged[0] * 10], [1, 2, 3])
    for n, chunk in zip((1, 2, 3), back):
        assert chunk[0].shape == (n, 3) and np.all(chunk[0] == n * 10)
    assert merge(parts[:1], {0: 0}) is parts[0]  # a batch of one is not copied


def test_merge_writes_into_the_destination_it_is_given():
    parts = [{0: np.full((n, 3), n, np.float32), 1: np.full((2, n), n, np.int64)} for n in (1, 2)]
    buffers = {0: np.empty((3, 3), np.float32)}
    asked = []

    def into(i, shape, dtype):
        asked.append((i, shape, np.dtype(dtype)))
        return buffers.get(i)  # none for input 1: it gets a new array

    merged = merge(parts, {0: 0, 1: 1}, into)
    assert asked == [(0, (3, 3), np.dtype(np.float32)), (1, (2, 3), np.dtype(np.int64))]
    assert merged[0] is buffers[0] and merged[0].tolist() == [[1] * 3, [2] * 3, [2] * 3]
    assert merged[1].tolist() == [[1, 2, 2], [1, 2, 2]]


def test_split_mismatch_raises():
    with pytest.raises(ValueError):
        split([np.zeros((5, 2))], [1, 2])
