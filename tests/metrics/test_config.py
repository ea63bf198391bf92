"""Metrics setup: CLI flags or monitoring.metrics, OVMS's validation and messages."""

import pytest

from ovms.config_file import MonitoringConfig
from ovms.errors import ConfigError
from ovms.metrics import families as f
from ovms.metrics.config import DISABLED, check_names, resolve

OVMS_DEFAULTS = {
    "ovms_requests_success", "ovms_requests_fail", "ovms_request_time_us", "ovms_inference_time_us",
    "ovms_wait_for_infer_req_time_us", "ovms_streams", "ovms_current_requests",
}


def test_disabled_unless_asked():
    assert resolve(False, (), None, 8000) == DISABLED
    assert resolve(False, (), MonitoringConfig(False, ("ovms_streams",)), 8000) == DISABLED
    assert not DISABLED.on("ovms_requests_success")


def test_cli_enable_gives_defaults_with_scheduler_families():
    setup = resolve(True, (), None, 8000)
    assert setup.enabled and setup.families == f.DEFAULT_FAMILIES
    assert OVMS_DEFAULTS < setup.families
    assert setup.families - OVMS_DEFAULTS == {"ovms_batch_size", "ovms_infer_req_queue_depth",
                                              "ovms_infer_req_rejected"}
    assert not setup.on("ovms_infer_req_queue_size") and not setup.on("ovms_infer_req_active")


def test_list_enables_exactly_the_listed_families():
    setup = resolve(True, ("ovms_requests_success", " ovms_infer_req_queue_size"), None, 8000)
    assert setup.families == {"ovms_requests_success", "ovms_infer_req_queue_size"}
    section = MonitoringConfig(True, ("ovms_infer_req_active",))
    assert resolve(False, (), section, 8000).families == {"ovms_infer_req_active"}
    assert resolve(False, (), MonitoringConfig(True), 8000).families == f.DEFAULT_FAMILIES


@pytest.mark.parametrize(
    "cli_enable, cli_list, section, rest_port, text",
    [
        (True, (), MonitoringConfig(True), 8000, "Metrics configuration duplicated"),
        (True, (), MonitoringConfig(False), 8000, "Metrics configuration duplicated"),
        (False, ("ovms_streams",), MonitoringConfig(True), 8000, "Metrics configuration duplicated"),
        (True, ("ovms_requests_succes",), None, 8000, "Invalid name in metrics_list"),
        (False, (), MonitoringConfig(True, ("ovms_graph_error",)), 8000, "Invalid name in metrics_list"),
        (False, (), MonitoringConfig(False, ("nope",)), 8000, "Invalid name in metrics_list"),
        (False, (), MonitoringConfig(True), 0, "Missing rest_port parameter in server CLI"),
        (True, (), None, 0, "Missing rest_port parameter in server CLI"),
    ],
)
def test_invalid_setups(cli_enable, cli_list, section, rest_port, text):
    with pytest.raises(ConfigError, match=text):
        resolve(cli_enable, cli_list, section, rest_port)


def test_check_names_trims_and_names_the_culprit():
    assert check_names([" ovms_streams "]) == ("ovms_streams",)
    with pytest.raises(ConfigError, match="'bogus'"):
        check_names(["ovms_streams", "bogus"])
