"""Parsing of shapes, batch sizes, layouts, version policies, plugin config, nireq."""

import pytest

from ovms.errors import ConfigError
from ovms.settings import (
    VersionPolicy,
    parse_batch_size,
    parse_layout,
    parse_nireq,
    parse_plugin_config,
    parse_shape_param,
    parse_version_policy,
)


def test_shape_forms():
    assert parse_shape_param("(1,3,-1,200:500)") == {"": (1, 3, -1, (200, 500))}
    assert parse_shape_param('{"in": "(1,2)"}') == {"in": (1, 2)}
    assert parse_shape_param({"in": [1, 4]}) == {"in": (1, 4)}


@pytest.mark.parametrize("bad", ["1,3", "(1,a)", "(1,-2)", "(5:2)", "auto", '{"ANONYMOUS_INPUT_NAME": "(1)"}'])
def test_shape_rejects(bad):
    with pytest.raises(ConfigError):
        parse_shape_param(bad)


def test_batch_size():
    assert parse_batch_size("8") == 8
    assert parse_batch_size(4) == 4
    assert parse_batch_size("1:10") == (1, 10)
    assert parse_batch_size("0") is None
    with pytest.raises(ConfigError, match="batch_size"):
        parse_batch_size("x")


def test_layout():
    assert parse_layout("NHWC:NCHW") == {"": "NHWC:NCHW"}
    assert parse_layout({"a": "NC"}) == {"a": "NC"}
    with pytest.raises(ConfigError):
        parse_layout({"a": 1})


def test_version_policies_select():
    assert parse_version_policy('{"latest": {"num_versions": 2}}').select([3, 1, 2]) == [2, 3]
    assert parse_version_policy({"all": {}}).select([2, 1]) == [1, 2]
    assert parse_version_policy({"specific": {"versions": [1, 3, -1, "x"]}}).select([1, 2]) == [1]
    assert VersionPolicy().select([1, 5, 3]) == [5]


@pytest.mark.parametrize("bad", [{}, {"latest": {"num_versions": 0}}, {"newest": {}}, {"all": {}, "latest": {}}])
def test_version_policy_rejects(bad):
    with pytest.raises(ConfigError, match="model_version_policy"):
        parse_version_policy(bad)


def test_plugin_config_and_nireq():
    assert parse_plugin_config('{"NUM_STREAMS": 2, "X": true}') == {"NUM_STREAMS": 2, "X": True}
    with pytest.raises(ConfigError, match="plugin_config.A"):
        parse_plugin_config({"A": [1]})
    assert parse_nireq(0) == 0
    with pytest.raises(ConfigError, match="Nireq parameter too high"):
        parse_nireq(100_001)


def test_dynamic_batching():
    from ovms.settings import parse_dynamic_batching

    cfg = parse_dynamic_batching({"max_batch_size": 16, "max_queue_delay_microseconds": 2000,
                                  "preferred_batch_sizes": [16, 8]})
    assert cfg.max_batch_size == 16 and cfg.max_queue_delay == 0.002 and cfg.preferred_batch_sizes == (8, 16)
    for bad in ({}, {"max_batch_size": 0}, {"max_batch_size": 4, "preferred_batch_sizes": [8]},
                {"max_batch_size": 4, "max_queue_delay_microseconds": -1}, {"max_batch_size": 4, "x": 1}):
        with pytest.raises(ConfigError, match="dynamic_batching"):
            parse_dynamic_batching(bad)
