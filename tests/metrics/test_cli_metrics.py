"""Metrics and logging flags on the command line: OVMS's messages and exit codes (64 usage, 1 config)."""

import json
import subprocess
import sys

import pytest

from ovms.cli import UsageError, parse_settings

MODEL = ["--model_name", "m", "--model_path", "/m", "--port", "9000"]


def test_flags_reach_the_settings():
    s = parse_settings([*MODEL, "--rest_port", "8000", "--metrics_enable",
                        "--metrics_list", "ovms_streams, ovms_infer_req_active,", "--log_format", "json"])
    assert s.metrics_enable and s.metrics_list == ("ovms_streams", "ovms_infer_req_active")
    assert s.log_format == "json"
    assert parse_settings(MODEL).log_format == "text"


@pytest.mark.parametrize(
    "extra, text",
    [
        (["--metrics_list", "ovms_streams"],
         "metrics_enable setting is missing, required when metrics_list is provided"),
        (["--metrics_enable"], "rest_port setting is missing, metrics are enabled on rest port"),
        (["--rest_port", "8000", "--metrics_enable", "--metrics_list", "ovms_stream"], "Invalid name in metrics_list"),
        (["--log_format", "xml"], "log_format should be one of: text, json"),
    ],
)
def test_usage_errors(extra, text):
    with pytest.raises(UsageError, match=text):
        parse_settings([*MODEL, *extra])


def ovms(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ovms", *args], capture_output=True, text=True, timeout=60)


def test_config_file_conflicts_exit_1(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_config_list": [], "monitoring": {"metrics": {"enable": True}}}))
    duplicated = ovms("--config_path", str(config), "--rest_port", "8000", "--metrics_enable")
    assert duplicated.returncode == 1 and "Metrics configuration duplicated" in duplicated.stderr
    no_rest = ovms("--config_path", str(config), "--port", "9000")
    assert no_rest.returncode == 1 and "Missing rest_port parameter in server CLI" in no_rest.stderr
    config.write_text(json.dumps({"model_config_list": [],
                                  "monitoring": {"metrics": {"enable": True, "metrics_list": ["bogus"]}}}))
    invalid = ovms("--config_path", str(config), "--rest_port", "8000")
    assert invalid.returncode == 1 and "Invalid name in metrics_list" in invalid.stderr
    usage = ovms(*MODEL, "--rest_port", "8000", "--metrics_enable", "--metrics_list", "bogus")
    assert usage.returncode == 64 and "Invalid name in metrics_list" in usage.stderr
