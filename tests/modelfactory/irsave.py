"""Helpers shared by the OpenVINO IR builders: naming nodes and saving deterministic IR files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops
from numpy.typing import ArrayLike

from .spec import TensorSpec

# `ov.save_model` records the runtime build in <rt_info>; dropping it keeps committed files identical
# whichever OpenVINO release regenerates them.
_RUNTIME_INFO = re.compile(rb'\s*<info name="OpenVINO Runtime" value="[^"]*" />')
_EMPTY_RT_INFO = re.compile(rb"\s*<rt_info>\s*</rt_info>")

OV_TYPES: dict[str, ov.Type] = {
    "float32": ov.Type.f32,
    "float64": ov.Type.f64,
    "float16": ov.Type.f16,
    "int8": ov.Type.i8,
    "int16": ov.Type.i16,
    "int32": ov.Type.i32,
    "int64": ov.Type.i64,
    "uint8": ov.Type.u8,
    "uint16": ov.Type.u16,
    "bool": ov.Type.boolean,
}


def parameter(spec: TensorSpec) -> ov.Node:
    """A Parameter whose friendly name and tensor name are `spec.name`."""
    node = ops.parameter(list(spec.shape), OV_TYPES[spec.dtype], name=spec.name)
    node.output(0).set_names({spec.name})
    return node


def constant(value: ArrayLike, dtype: str, name: str) -> ov.Node:
    """A Constant of numpy dtype `dtype` with a fixed friendly name (auto names are not stable)."""
    return ops.constant(np.asarray(value, dtype=dtype), name=name)


def result(node: ov.Node, name: str) -> ov.Node:
    """A Result fed by `node`, exposing the output tensor name `name`."""
    node.output(0).set_names({name})
    return ops.result(node, name=f"{name}/sink_port_0")


def save_ir(model: ov.Model, version_dir: Path, stem: str = "model") -> Path:
    """Write `<stem>.xml` + `<stem>.bin` (no FP16 compression) into `version_dir`; return the .xml path."""
    version_dir.mkdir(parents=True, exist_ok=True)
    xml_path = version_dir / f"{stem}.xml"
    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    text = _EMPTY_RT_INFO.sub(b"", _RUNTIME_INFO.sub(b"", xml_path.read_bytes()))
    xml_path.write_bytes(text)
    return xml_path
