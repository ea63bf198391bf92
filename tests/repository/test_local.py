"""Local repository: version folders, model file detection order, mapping_config.json."""

import json

import pytest

from ovms.repository.modelfiles import find_model_files
from ovms.repository.storage import LocalStorage


def test_versions_are_positive_numeric_folders(tmp_path, caplog):
    for name in ("1", "3", "0", "-2", "abc"):
        (tmp_path / name).mkdir()
    (tmp_path / "7").write_text("a file, not a version")
    assert LocalStorage(str(tmp_path)).list_versions() == [1, 3]
    assert "number greater than 0" in caplog.text and "number format" in caplog.text


def test_no_versions_warns(tmp_path, caplog):
    assert LocalStorage(str(tmp_path)).list_versions() == []
    assert "No version found for model in path" in caplog.text


def test_missing_folder_raises(tmp_path):
    with pytest.raises(OSError):
        LocalStorage(str(tmp_path / "none")).list_versions()


@pytest.mark.parametrize(
    "files, fmt, chosen",
    [
        (["m.xml", "m.bin", "m.onnx"], "ir", "m.xml"),
        (["m.xml", "a.onnx"], "onnx", "a.onnx"),
        (["p.pdmodel", "p.pdiparams", "x.tflite"], "paddle", "p.pdmodel"),
        (["fingerprint.pb", "saved_model.pb", "x.tflite"], "savedmodel", ""),
        (["frozen.pb"], "tf", "frozen.pb"),
        (["m.tflite"], "tflite", "m.tflite"),
    ],
)
def test_detection_order(tmp_path, files, fmt, chosen):
    for name in files:
        (tmp_path / name).write_bytes(b"x")
    found = find_model_files(str(tmp_path))
    assert found.format == fmt
    assert found.path == str(tmp_path / chosen) if chosen else found.path == str(tmp_path)


def test_nothing_found_and_mapping(tmp_path):
    with pytest.raises(FileNotFoundError, match="File not found or cannot open"):
        find_model_files(str(tmp_path))
    (tmp_path / "m.onnx").write_bytes(b"x")
    (tmp_path / "mapping_config.json").write_text(json.dumps({"inputs": {"t:0": "in"}, "outputs": {"o": "out"}}))
    found = find_model_files(str(tmp_path))
    assert found.input_names == {"t:0": "in"} and found.output_names == {"o": "out"}
