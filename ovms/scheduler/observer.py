"""Hooks through which the scheduler and the manager report what happens (metrics listen here).

The defaults do nothing, so the core runs without any observer. Hooks are called on the event
loop and must be cheap: they sit on the request path.
"""

from __future__ import annotations

from ovms.errors import Status


class SchedulerObserver:
    """Per model version: timings and rejections of its scheduler."""

    def on_wait(self, seconds: float) -> None:
        """A request waited ``seconds`` in the queue before an infer request took it."""

    def on_inference(self, seconds: float, batch_size: int) -> None:
        """One inference of ``batch_size`` requests (1 without batching) took ``seconds``."""

    def on_answer(self, seconds: float) -> None:
        """A request got its inference result ``seconds`` after it entered the queue."""

    def on_reject(self, status: Status) -> None:
        """A request was refused by the scheduler (queue full, deadline, stopping)."""


class VersionObserver:
    """Per manager: version lifecycle events and a scheduler observer for each served load."""

    def loaded(self, name: str, version: int, nireq: int, streams: int) -> SchedulerObserver:
        """A version (re)load is about to serve; returns the observer for its scheduler."""
        return NOOP_SCHEDULER

    def retired(self, name: str, version: int) -> None:
        """A version stopped serving (after its in-flight requests finished)."""


NOOP_SCHEDULER = SchedulerObserver()
NOOP_VERSIONS = VersionObserver()
