"""config.json validation: OVMS schema, relative base paths, clear messages naming the key."""

import json

import pytest

from ovms.config_file import parse_config, read_config_file
from ovms.errors import ConfigError


def parse(doc: object, base: str = "/cfg"):
    return parse_config(json.dumps(doc).encode(), base)


def entry(**config):
    return {"config": {"name": "m", "base_path": "models/m", **config}}


def test_valid_config_resolves_relative_paths():
    cfg = parse({"model_config_list": [entry(nireq=2, shape="(1,10)", model_version_policy={"all": {}})]})
    model = cfg.models[0]
    assert model.base_path == "/cfg/models/m"
    assert model.nireq == 2 and model.shape == {"": (1, 10)}
    assert model.version_policy.kind == "all"
    assert cfg.monitoring is None and len(cfg.digest) == 32


def test_remote_paths_kept():
    assert parse({"model_config_list": [entry(base_path="s3://bucket/m")]}).models[0].base_path == "s3://bucket/m"


@pytest.mark.parametrize(
    "doc, text",
    [
        ({}, "model_config_list"),
        ({"model_config_list": [], "extra": 1}, "unknown key 'extra'"),
        ({"model_config_list": [entry(nireq=-1)]}, "nireq"),
        ({"model_config_list": [entry(shape=5)]}, "shape must be a string"),
        ({"model_config_list": [entry(colour="red")]}, "unknown key 'colour'"),
        ({"model_config_list": [{"config": {"base_path": "/m"}}]}, "name"),
        ({"model_config_list": [entry(), entry()]}, "duplicated model name"),
        ({"model_config_list": [entry(stateful=True)]}, "Stateful model config parameter"),
        ({"model_config_list": [], "pipeline_config_list": []}, "not supported"),
        ({"model_config_list": [], "monitoring": {"metrics": {}}}, "enable"),
        ({"model_config_list": [entry(plugin_config={"A": None})]}, r"plugin_config\.A"),
    ],
)
def test_invalid_configs_name_the_key(doc, text):
    with pytest.raises(ConfigError, match=text):
        parse(doc)


def test_not_json_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_config(b"{", "/")
    with pytest.raises(ConfigError, match="cannot open"):
        read_config_file(str(tmp_path / "none.json"))


def test_monitoring_section():
    cfg = parse({"model_config_list": [], "monitoring": {"metrics": {"enable": True, "metrics_list": ["a"]}}})
    assert cfg.monitoring is not None and cfg.monitoring.metrics_list == ("a",)


def test_an_unusable_value_skips_only_its_entry():
    cfg = parse({"model_config_list": [
        entry(name="a", shape="(1,x)"), entry(name="b", base_path="../up"), entry(name="c", batch_size="abc"),
        entry(name="d", nireq=100_001), entry(name="ok"),
    ]})
    assert [m.name for m in cfg.models] == ["ok"]
    assert len(cfg.skipped) == 4 and "escape with .. is forbidden" in cfg.skipped[1]
    assert "Nireq parameter too high" in cfg.skipped[3]
