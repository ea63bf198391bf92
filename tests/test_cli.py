"""OVMS-compatible flags: defaults, exclusive options and exit code 64."""

import subprocess
import sys

import pytest

from ovms.cli import UsageError, parse_settings


def test_defaults_single_model(tmp_path):
    s = parse_settings(["--model_name", "m", "--model_path", str(tmp_path), "--port", "9000"])
    assert s.rest_port == 0 and s.file_system_poll_wait_seconds == 1 and s.log_level == "INFO"
    assert s.single_model is not None and s.single_model.target_device == "CPU"
    assert s.single_model.version_policy.kind == "latest"


def test_single_model_flags(tmp_path):
    s = parse_settings([
        "--model_name", "m", "--model_path", str(tmp_path), "--port", "1", "--shape", "(1,3)",
        "--batch_size", "4", "--nireq", "2", "--plugin_config", '{"NUM_STREAMS": 1}',
        "--model_version_policy", '{"all": {}}', "--target_device", "MULTI:CPU",
    ])
    model = s.single_model
    assert model.shape == {"": (1, 3)} and model.batch_size is None  # shape wins over batch_size
    assert model.nireq == 2 and model.plugin_config == {"NUM_STREAMS": 1} and model.target_device == "MULTI:CPU"


@pytest.mark.parametrize(
    "argv, text",
    [
        (["--config_path", "c.json", "--model_name", "m"], "Use either config_path or model_path with model_name"),
        (["--config_path", "c.json", "--nireq", "2", "--port", "1"], "Model parameters in CLI are exclusive with the config file"),
        (["--model_name", "m", "--port", "1"], "Use either config_path or model_path with model_name"),
        (["--model_name", "m", "--model_path", "/m"], "port and rest_port cannot both be unset"),
        (["--config_path", "c.json", "--port", "5", "--rest_port", "5"], "port and rest_port cannot have the same values"),
        (["--config_path", "c.json", "--port", "70000"], "out of range"),
        (["--config_path", "c.json", "--log_level", "LOUD"], "log_level"),
        (["--config_path", "c.json", "--metrics_enable"], "rest_port setting is missing"),
        (["--config_path", "c.json", "--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors(argv, text):
    with pytest.raises(UsageError, match=text):
        parse_settings(argv)


def test_exit_codes_and_version(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "ovms", *a], capture_output=True, text=True, timeout=60)
    usage = run("--model_name", "m")
    assert usage.returncode == 64 and "Use either config_path or model_path with model_name" in usage.stderr
    bad = tmp_path / "c.json"
    bad.write_text('{"model_config_list": [{"config": {"name": "m", "base_path": "/m", "nireq": "x"}}]}')
    invalid = run("--config_path", str(bad), "--port", "0", "--rest_port", "0")
    assert invalid.returncode == 1 and "nireq" in invalid.stderr
    version = run("--version")
    assert version.returncode == 0 and "OpenVINO Model Server" in version.stdout
    assert run("--help").returncode == 0
