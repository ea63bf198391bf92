"""The one transition table of the model-version lifecycle."""

import pytest

from ovms.models.lifecycle import TRANSITIONS, IllegalTransition, transition
from ovms.types import ErrorCode, ModelState, VersionStatus


def test_numbers_match_ovms():
    assert [s.value for s in ModelState] == [10, 20, 30, 40, 50]


def test_legal_path_and_failed_load():
    status = VersionStatus(1, ModelState.START)
    for state in (ModelState.LOADING, ModelState.AVAILABLE, ModelState.UNLOADING, ModelState.END):
        status = transition("m", status, state)
    failed = transition("m", VersionStatus(2, ModelState.LOADING), ModelState.LOADING, ErrorCode.UNKNOWN, "bad")
    assert failed.error_message == "UNKNOWN" and failed.detail == "bad"


@pytest.mark.parametrize("src, dst", [(ModelState.END, ModelState.AVAILABLE), (ModelState.UNLOADING, ModelState.AVAILABLE),
                                      (ModelState.START, ModelState.AVAILABLE)])
def test_illegal(src, dst):
    assert dst not in TRANSITIONS[src]
    with pytest.raises(IllegalTransition):
        transition("m", VersionStatus(1, src), dst)


def test_status_change_is_logged(caplog):
    caplog.set_level("INFO")
    transition("m", VersionStatus(3, ModelState.LOADING), ModelState.AVAILABLE)
    assert 'Version 3 of model m status change. New status: ( "state": "AVAILABLE", "error_code": "OK" )' in caplog.text
