"""Dynamic batching: the pure batch-formation decision, and merging/splitting of tensors.

``decide`` looks only at numbers (sizes, age, limits), so it is tested without an event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Destination = Callable[[int, tuple[int, ...], np.dtype], np.ndarray | None]


@dataclass(frozen=True)
class BatchingConfig:
    """``dynamic_batching`` of a model: up to ``max_batch_size`` rows per inference.

    A batch smaller than ``max_batch_size`` (and than every reachable preferred size) waits at most
    ``max_queue_delay`` seconds, counted from its oldest request, for more requests.
    """

    max_batch_size: int
    max_queue_delay: float = 0.0
    preferred_batch_sizes: tuple[int, ...] = ()


def decide(sizes: Sequence[int], oldest_age: float, config: BatchingConfig, more_waiting: bool) -> tuple[int, float]:
    """How many leading requests to run now, or how long to wait.

    ``sizes``: batch sizes of the leading mergeable requests (oldest first). ``more_waiting``: other
    requests wait behind them that cannot join this batch. Returns ``(count, 0.0)`` to run the first
    ``count`` requests now, or ``(0, seconds)`` to wait that long for more.
    """
    if not sizes:
        return 0, 0.0
    total, count, preferred = 0, 0, 0
    for size in sizes:
        if count and total + size > config.max_batch_size:
            return (preferred or count), 0.0  # full: the next one does not fit
        total += size
        count += 1
        if total in config.preferred_batch_sizes:
            preferred = count
    if total >= config.max_batch_size or more_waiting:
        return count, 0.0
    if preferred:  # Triton: the largest preferred batch that can be formed goes at once
        return preferred, 0.0
    remaining = config.max_queue_delay - oldest_age
    if remaining <= 0:
        return count, 0.0
    return 0, remaining


def merge(parts: Sequence[dict[int, np.ndarray]], axes: dict[int, int], into: Destination | None = None) -> dict[int, np.ndarray]:
    """Each input of ``parts`` concatenated along its batch axis: one copy, needed by OpenVINO.

    ``into(i, shape, dtype)`` may return the array to write input ``i`` into (an infer request's
    own buffer, so no array is allocated and wrapped per batch); where it returns None (or is not
    given) the input is concatenated into a new array; either way the result holds the array
    written. A single part is returned as is.
    """
    if len(parts) == 1:
        return parts[0]
    merged = {}
    for i, first in parts[0].items():
        arrays = [p[i] for p in parts]
        axis = axes[i]
        shape = first.shape[:axis] + (sum(a.shape[axis] for a in arrays),) + first.shape[axis + 1:]
        out = None if into is None else into(i, shape, first.dtype)
        merged[i] = np.concatenate(arrays, axis=axis, out=out)
    return merged


def split(outputs: Sequence[np.ndarray], sizes: Sequence[int]) -> list[list[np.ndarray]]:
    """Per request, views of each output's rows (batch axis 0); raises ValueError on a mismatch."""
    if len(sizes) == 1:
        return [list(outputs)]
    total = sum(sizes)
    bounds = np.cumsum(sizes)[:-1]
    per_output = []
    for output in outputs:
        if output.ndim == 0 or output.shape[0] != total:
            raise ValueError(f"output of shape {output.shape} cannot be split into batches {list(sizes)}")
        per_output.append(np.split(output, bounds, axis=0))
    return [[chunks[r] for chunks in per_output] for r in range(len(sizes))]
