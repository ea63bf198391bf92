"""Model file detection in OVMS's order and the optional mapping_config.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

MAPPING_FILE = "mapping_config.json"


@dataclass(frozen=True)
class ModelFiles:
    """What OpenVINO should read for one version: ``path`` (+ ``weights`` for IR/Paddle)."""

    format: str
    path: str
    weights: str | None = None
    input_names: dict[str, str] = field(default_factory=dict)
    output_names: dict[str, str] = field(default_factory=dict)


def find_model_files(folder: str) -> ModelFiles:
    """Detect the model in ``folder``; the first complete set wins (file names are arbitrary).

    Order: .xml+.bin, .onnx, .pdmodel+.pdiparams, .pb (saved_model.pb -> its folder), .tflite.
    Raises FileNotFoundError when nothing matches; ValueError for a broken mapping file.
    """
    names = sorted(os.listdir(folder))
    by_ext: dict[str, list[str]] = {}
    for name in names:
        by_ext.setdefault(os.path.splitext(name)[1].lower(), []).append(os.path.join(folder, name))
    files = _match(by_ext, folder)
    if files is None:
        raise FileNotFoundError(f"File not found or cannot open: no model files in {folder}")
    inputs, outputs = _read_mapping(folder)
    return ModelFiles(files.format, files.path, files.weights, inputs, outputs)


def _match(by_ext: dict[str, list[str]], folder: str) -> ModelFiles | None:
    if by_ext.get(".xml") and by_ext.get(".bin"):
        return ModelFiles("ir", by_ext[".xml"][0], by_ext[".bin"][0])
    if by_ext.get(".onnx"):
        return ModelFiles("onnx", by_ext[".onnx"][0])
    if by_ext.get(".pdmodel") and by_ext.get(".pdiparams"):
        return ModelFiles("paddle", by_ext[".pdmodel"][0], by_ext[".pdiparams"][0])
    if by_ext.get(".pb"):
        # TF >= 2.12 writes fingerprint.pb beside saved_model.pb: the SavedModel wins.
        saved = os.path.join(folder, "saved_model.pb") in by_ext[".pb"]
        return ModelFiles("savedmodel", folder) if saved else ModelFiles("tf", by_ext[".pb"][0])
    if by_ext.get(".tflite"):
        return ModelFiles("tflite", by_ext[".tflite"][0])
    return None


def _read_mapping(folder: str) -> tuple[dict[str, str], dict[str, str]]:
    path = os.path.join(folder, MAPPING_FILE)
    if not os.path.exists(path):
        return {}, {}
    with open(path, "rb") as handle:
        try:
            doc = json.load(handle)
        except json.JSONDecodeError as err:
            raise ValueError(f"{MAPPING_FILE} is not valid JSON: {err}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{MAPPING_FILE} must be a JSON object")
    return _names(doc.get("inputs", {}), "inputs"), _names(doc.get("outputs", {}), "outputs")


def _names(value: object, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{MAPPING_FILE}: '{key}' must map tensor names to exposed names")
    return dict(value)
