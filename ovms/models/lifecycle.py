"""OVMS's model-version lifecycle: states, allowed transitions (one table), status-change logs."""

from __future__ import annotations

import logging

from ovms.types import ErrorCode, ModelState, VersionStatus

log = logging.getLogger("ovms.models")

S = ModelState
# state -> states it may move to. A failed load stays in LOADING with error UNKNOWN (OVMS), so
# LOADING -> LOADING is legal; END -> LOADING happens when a retired version folder comes back.
TRANSITIONS: dict[ModelState, frozenset[ModelState]] = {
    S.START: frozenset({S.LOADING, S.UNLOADING, S.END}),
    S.LOADING: frozenset({S.LOADING, S.AVAILABLE, S.UNLOADING, S.END}),
    S.AVAILABLE: frozenset({S.LOADING, S.UNLOADING}),
    S.UNLOADING: frozenset({S.END}),
    S.END: frozenset({S.LOADING}),
}


class IllegalTransition(RuntimeError):
    """A bug: the manager tried a transition the lifecycle table does not allow."""


def transition(
    model: str, current: VersionStatus, state: ModelState, error: ErrorCode = ErrorCode.OK, detail: str = ""
) -> VersionStatus:
    """The next status of version ``current.version`` of ``model``; checked and logged."""
    if state not in TRANSITIONS[current.state]:
        raise IllegalTransition(f"{model} v{current.version}: {current.state.name} -> {state.name}")
    log.info(
        'STATUS CHANGE: Version %d of model %s status change. New status: ( "state": "%s", "error_code": "%s" )%s',
        current.version, model, state.name, error.name, f" reason: {detail}" if detail else "",
    )
    return VersionStatus(current.version, state, error, detail)
