"""Version folders that must fail to load: garbage model files and an empty folder."""

from __future__ import annotations

import json
from pathlib import Path

_GARBAGE_XML = b'<?xml version="1.0"?>\n<net name="broken" version="11"><layers><layer id="0"\n'
_GARBAGE_BIN = bytes(range(256)) * 4


def build_broken_ir(version_dir: Path) -> Path:
    """Write a truncated model.xml and a garbage model.bin; OpenVINO's read_model raises on them."""
    version_dir.mkdir(parents=True, exist_ok=True)
    (version_dir / "model.bin").write_bytes(_GARBAGE_BIN)
    xml = version_dir / "model.xml"
    xml.write_bytes(_GARBAGE_XML)
    return xml


def build_broken_onnx(version_dir: Path) -> Path:
    """Write a model.onnx that is not a valid protobuf; OpenVINO's read_model raises on it."""
    version_dir.mkdir(parents=True, exist_ok=True)
    path = version_dir / "model.onnx"
    path.write_bytes(b"this is not an onnx model\xff\xff\xff\xff")
    return path


def build_empty_version(version_dir: Path) -> Path:
    """Create a version folder with no model files (OVMS: FILE_INVALID, version stays LOADING/UNKNOWN)."""
    version_dir.mkdir(parents=True, exist_ok=True)
    return version_dir


def write_mapping_config(version_dir: Path, inputs: dict[str, str], outputs: dict[str, str]) -> Path:
    """Write OVMS's optional mapping_config.json renaming tensor names to exposed names."""
    path = version_dir / "mapping_config.json"
    path.write_text(json.dumps({"inputs": inputs, "outputs": outputs}, indent=4) + "\n")
    return path
