"""The model factory writes models that OpenVINO reads, compiles and runs as their specs say."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from tests import modelfactory as mf
from tests.modelfactory.check import assert_matches_reference, exposed_tensors, infer
from tests.modelfactory.demo import DEMO_MODELS, build_demo_repository, demo_config

REPO_ROOT = Path(__file__).resolve().parents[1]

FAST_BUILDERS: dict[str, Callable[[Path], mf.ModelSpec]] = {
    "dummy_ir": mf.build_dummy_ir,
    "dummy_ir_v7": partial(mf.build_dummy_ir, increment=7.0),
    "int32_ir": partial(mf.build_typed_ir, dtype="int32"),
    "int64_ir": partial(mf.build_typed_ir, dtype="int64"),
    "uint8_ir": partial(mf.build_typed_ir, dtype="uint8"),
    "float64_ir": partial(mf.build_typed_ir, dtype="float64"),
    "batched_dynamic_ir": mf.build_batched_ir,
    "batched_8_ir": partial(mf.build_batched_ir, batch=8),
    "add_sub_ir": mf.build_add_sub_ir,
    "dynamic_ir": mf.build_dynamic_ir,
    "slow_ir": partial(mf.build_slow_ir, depth=8, width=64),
    "resnet_io_ir": mf.build_resnet_io_ir,
    "dummy_onnx": mf.build_dummy_onnx,
    "dummy_onnx_dynamic": partial(mf.build_dummy_onnx, shape=(-1, 10)),
    "add_sub_onnx": mf.build_add_sub_onnx,
    "dummy_paddle": partial(mf.build_dummy_paddle, increment=3.0),
    "dummy_paddle_dynamic": partial(mf.build_dummy_paddle, shape=(-1, 10)),
}

TF_BUILDERS: dict[str, Callable[[Path], mf.ModelSpec]] = {
    "dummy_saved_model": partial(mf.build_dummy_saved_model, increment=2.0),
    "dummy_saved_model_dynamic": partial(mf.build_dummy_saved_model, shape=(-1, 10)),
    "add_sub_saved_model": mf.build_add_sub_saved_model,
    "dummy_tflite": partial(mf.build_dummy_tflite, increment=2.0),
    "add_sub_tflite": mf.build_add_sub_tflite,
}


@pytest.fixture(scope="module")
def core() -> ov.Core:
    return ov.Core()


def check_model(spec: mf.ModelSpec, core: ov.Core, seed: int = 0, dynamic_dim: int = 3) -> None:
    """Exposed names/shapes/dtypes equal the spec, in order, and outputs equal the reference."""
    inputs, outputs = exposed_tensors(core.read_model(spec.model_file))
    assert inputs == list(spec.inputs)
    assert outputs == list(spec.outputs)
    sample = spec.sample_inputs(seed, dynamic_dim)
    assert_matches_reference(spec, sample, infer(spec, sample, core=core))


@pytest.mark.parametrize("builder", FAST_BUILDERS.values(), ids=FAST_BUILDERS.keys())
def test_fast_builder_matches_reference(
    builder: Callable[[Path], mf.ModelSpec], tmp_path: Path, core: ov.Core
) -> None:
    spec = builder(tmp_path / "model" / "1")
    assert spec.model_file.parent == spec.version_dir == tmp_path / "model" / "1"
    check_model(spec, core)


@pytest.mark.parametrize("builder", TF_BUILDERS.values(), ids=TF_BUILDERS.keys())
def test_tf_builder_matches_reference(
    builder: Callable[[Path], mf.ModelSpec], tmp_path: Path, core: ov.Core
) -> None:
    pytest.importorskip("tensorflow")
    spec = builder(tmp_path / "model" / "1")
    check_model(spec, core)


def test_saved_model_layout(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    spec = mf.build_dummy_saved_model(tmp_path / "1")
    assert spec.model_file == tmp_path / "1"
    assert (tmp_path / "1" / "saved_model.pb").is_file()
    assert (tmp_path / "1" / "fingerprint.pb").is_file()  # a second .pb beside saved_model.pb
    assert (tmp_path / "1" / "variables" / "variables.index").is_file()


def test_dynamic_models_accept_several_shapes(tmp_path: Path, core: ov.Core) -> None:
    specs = [mf.build_dynamic_ir(tmp_path / "d" / "1"), mf.build_batched_ir(tmp_path / "b" / "1")]
    for spec in specs:
        for dim in (1, 5):
            check_model(spec, core, seed=dim, dynamic_dim=dim)


def test_versions_differ_by_increment(tmp_path: Path, core: ov.Core) -> None:
    x = np.zeros((1, 10), np.float32)
    for version in (1, 2):
        spec = mf.build_dummy_ir(tmp_path / str(version), increment=float(version))
        np.testing.assert_array_equal(infer(spec, {"b": x}, core=core)["a"], x + version)


def test_slow_model_default_runs_and_matches(tmp_path: Path, core: ov.Core) -> None:
    spec = mf.build_slow_ir(tmp_path / "1")
    sample = spec.sample_inputs()
    compiled = core.compile_model(spec.model_file, "CPU")
    request = compiled.create_infer_request()
    request.infer(sample)
    start = time.perf_counter()
    result = request.infer(sample)
    assert time.perf_counter() - start > 0.0002  # not a no-op: a chain of 256 MatMuls
    assert_matches_reference(spec, sample, {"y": np.array(result["y"])})


def test_resnet50_builds_quickly_and_runs(tmp_path: Path, core: ov.Core) -> None:
    start = time.perf_counter()
    spec = mf.build_resnet50_ir(tmp_path / "1")
    assert time.perf_counter() - start < 60
    assert spec.reference is None
    assert 24e6 < spec.model_file.with_suffix(".bin").stat().st_size / 4 < 27e6
    inputs, outputs = exposed_tensors(core.read_model(spec.model_file))
    assert (inputs, outputs) == (list(spec.inputs), list(spec.outputs))
    prob = infer(spec, spec.sample_inputs(), core=core)["prob"]
    assert prob.shape == (1, 1000) and np.all(np.isfinite(prob))
    np.testing.assert_allclose(prob.sum(), 1.0, rtol=1e-2)


@pytest.mark.parametrize("builder", [mf.build_broken_ir, mf.build_broken_onnx])
def test_broken_models_fail_to_read(builder: Callable[[Path], Path], tmp_path: Path, core: ov.Core) -> None:
    path = builder(tmp_path / "1")
    with pytest.raises(RuntimeError):
        core.read_model(path)


def test_empty_version_has_no_files(tmp_path: Path) -> None:
    folder = mf.build_empty_version(tmp_path / "m" / "1")
    assert folder.is_dir() and not any(folder.iterdir())


def test_mapping_config(tmp_path: Path) -> None:
    mf.build_dummy_ir(tmp_path / "1")
    path = mf.write_mapping_config(tmp_path / "1", {"b": "input"}, {"a": "output"})
    assert json.loads(path.read_text()) == {"inputs": {"b": "input"}, "outputs": {"a": "output"}}


@pytest.mark.parametrize(
    "builder",
    [
        mf.build_dummy_ir,
        mf.build_add_sub_onnx,
        mf.build_dummy_paddle,
        partial(mf.build_slow_ir, depth=2, width=16),
    ],
)
def test_builders_are_deterministic(builder: Callable[[Path], mf.ModelSpec], tmp_path: Path) -> None:
    first, second = builder(tmp_path / "a"), builder(tmp_path / "b")
    assert _folder_bytes(first.version_dir) == _folder_bytes(second.version_dir)


def test_tf_import_is_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, tests.modelfactory; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0


def test_committed_demo_repository_is_up_to_date(tmp_path: Path) -> None:
    build_demo_repository(tmp_path / "models")
    for name in DEMO_MODELS:
        assert _folder_bytes(tmp_path / "models" / name) == _folder_bytes(REPO_ROOT / "models" / name), name
    committed = json.loads((REPO_ROOT / "config" / "config.json").read_text())
    assert committed == demo_config(REPO_ROOT / "config" / "models", REPO_ROOT / "config")


def test_demo_repository_serves_expected_models(core: ov.Core) -> None:
    config = json.loads((REPO_ROOT / "config" / "config.json").read_text())
    entries = {e["config"]["name"]: e["config"] for e in config["model_config_list"]}
    assert entries["dummy"]["model_version_policy"] == {"all": {}}
    assert entries["dummy"]["base_path"] == "models/dummy"  # config/models links to ../models
    for name, cfg in entries.items():
        base = (REPO_ROOT / "config" / cfg["base_path"]).resolve()
        versions = sorted(int(p.name) for p in base.iterdir())
        assert versions == sorted(DEMO_MODELS[name]), name
    total = sum(p.stat().st_size for p in (REPO_ROOT / "models").rglob("*") if p.is_file())
    assert total < 100_000


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
