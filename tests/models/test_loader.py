"""Loader: nireq, plugin config defaults, compile cache, reshape errors."""

import openvino as ov
import pytest

from ovms.errors import OvmsError, Status
from ovms.models.loader import load_model
from ovms.repository.modelfiles import find_model_files
from ovms.server import make_core
from ovms.settings import ModelConfig, ServerSettings
from tests import modelfactory as mf


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("m") / "1"
    mf.build_dummy_ir(folder)
    return find_model_files(str(folder))


def test_explicit_nireq_and_twice_the_optimal_by_default(files):
    core = ov.Core()
    assert load_model(core, files, ModelConfig("m", "/x", nireq=3), 1).nireq == 3
    auto = load_model(core, files, ModelConfig("m", "/x"), 1)
    assert auto.nireq == 2 * int(auto.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))


def test_latency_hint_is_the_default_and_user_config_wins(files):
    core = ov.Core()
    default = load_model(core, files, ModelConfig("m", "/x"), 1).compiled
    assert str(default.get_property("PERFORMANCE_HINT")) == "LATENCY"
    streams = load_model(core, files, ModelConfig("m", "/x", plugin_config={"NUM_STREAMS": 2}), 1)
    assert streams.streams == 2
    tput = load_model(core, files, ModelConfig("m", "/x", plugin_config={"PERFORMANCE_HINT": "THROUGHPUT"}), 1)
    assert str(tput.compiled.get_property("PERFORMANCE_HINT")) == "THROUGHPUT"


def test_cache_dir_receives_compiled_blobs(files, tmp_path):
    core = make_core(ServerSettings(cache_dir=str(tmp_path / "cache")))
    load_model(core, files, ModelConfig("m", "/x"), 1)
    assert any((tmp_path / "cache").iterdir())


def test_bad_device_and_bad_shape_are_ovms_errors(files):
    core = ov.Core()
    with pytest.raises(OvmsError) as info:
        load_model(core, files, ModelConfig("m", "/x", target_device="NOPE"), 1)
    assert info.value.status is Status.CANNOT_COMPILE_MODEL_INTO_TARGET_DEVICE
    with pytest.raises(OvmsError) as info:
        load_model(core, files, ModelConfig("m", "/x", shape={"nope": (1, 2)}), 1)
    assert info.value.status is Status.RESHAPE_ERROR


def test_layouts_tag_or_transpose_inputs(tmp_path):
    folder = tmp_path / "nchw" / "1"
    mf.build_typed_ir(folder, "float32", increment=0.0, shape=(1, 3, 6, 8))
    nchw = find_model_files(str(folder))
    core = ov.Core()
    converted = load_model(core, nchw, ModelConfig("m", "/x", layout={"": "NHWC:NCHW"}), 1).metadata.inputs[0]
    assert (converted.shape, converted.layout, converted.batch_index) == ((1, 6, 8, 3), "NHWC", 0)
    tagged = load_model(core, nchw, ModelConfig("m", "/x", layout={"b": "CN..."}), 1).metadata.inputs[0]
    assert (tagged.shape, tagged.layout, tagged.batch_index) == ((1, 3, 6, 8), "CN...", 1)
    default = load_model(core, nchw, ModelConfig("m", "/x"), 1).metadata.inputs[0]
    assert (default.layout, default.batch_index) == (None, 0)
