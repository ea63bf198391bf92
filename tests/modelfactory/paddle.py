"""A PaddlePaddle inference model (.pdmodel + .pdiparams) encoded by hand, without paddlepaddle.

The .pdmodel is a `paddle.framework.proto.ProgramDesc` (framework.proto, proto2) with the usual
feed -> op -> fetch structure of `paddle.static.save_inference_model`. The .pdiparams holds the
persistable variables in name order, each as: uint32 version, uint64 LoD level count, uint32 version,
int32 TensorDesc size, TensorDesc, raw little-endian data.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from . import protowire as pw
from .spec import Arrays, ModelSpec, TensorSpec

# VarType.Type values from framework.proto.
_FP32, _LOD_TENSOR, _FEED_MINIBATCH, _FETCH_LIST = 5, 7, 9, 10
_ATTR_INT = 0


def _tensor_desc(dims: tuple[int, ...]) -> bytes:
    return pw.int_field(1, _FP32) + pw.repeated_int(2, dims)


def _lod_tensor_var(name: str, dims: tuple[int, ...], persistable: bool = False) -> bytes:
    var_type = pw.int_field(1, _LOD_TENSOR) + pw.bytes_field(3, pw.bytes_field(1, _tensor_desc(dims)))
    return pw.str_field(1, name) + pw.bytes_field(2, var_type) + pw.bool_field(3, persistable)


def _special_var(name: str, var_type: int) -> bytes:
    return pw.str_field(1, name) + pw.bytes_field(2, pw.int_field(1, var_type)) + pw.bool_field(3, True)


def _op(op_type: str, inputs: dict[str, str], outputs: dict[str, str], int_attrs: dict[str, int]) -> bytes:
    def slots(number: int, mapping: dict[str, str]) -> bytes:
        return pw.repeated(number, [pw.str_field(1, k) + pw.str_field(2, v) for k, v in mapping.items()])

    attrs = [
        pw.str_field(1, k) + pw.int_field(2, _ATTR_INT) + pw.int_field(3, v) for k, v in int_attrs.items()
    ]
    return slots(1, inputs) + slots(2, outputs) + pw.str_field(3, op_type) + pw.repeated(4, attrs)


def _param_record(value: np.ndarray) -> bytes:
    desc = _tensor_desc(value.shape)
    header = struct.pack("<IQIi", 0, 0, 0, len(desc))
    return header + desc + value.astype("<f4").tobytes()


def build_dummy_paddle(
    version_dir: Path, increment: float = 1.0, shape: tuple[int, ...] = (1, 10)
) -> ModelSpec:
    """Input "b" (FP32) + persistable parameter "increment" -> output "a", as model.pdmodel/.pdiparams."""
    bias = np.full(shape[-1:], increment, dtype=np.float32)
    variables = [
        _special_var("feed", _FEED_MINIBATCH),
        _special_var("fetch", _FETCH_LIST),
        _lod_tensor_var("b", shape),
        _lod_tensor_var("increment", bias.shape, persistable=True),
        _lod_tensor_var("a", shape),
    ]
    ops = [
        _op("feed", {"X": "feed"}, {"Out": "b"}, {"col": 0}),
        _op("elementwise_add", {"X": "b", "Y": "increment"}, {"Out": "a"}, {"axis": -1}),
        _op("fetch", {"X": "a"}, {"Out": "fetch"}, {"col": 0}),
    ]
    block = pw.int_field(1, 0) + pw.int_field(2, -1) + pw.repeated(3, variables) + pw.repeated(4, ops)
    program = pw.bytes_field(1, block) + pw.bytes_field(4, pw.int_field(1, 0))
    version_dir.mkdir(parents=True, exist_ok=True)
    model_file = version_dir / "model.pdmodel"
    model_file.write_bytes(program)
    (version_dir / "model.pdiparams").write_bytes(_param_record(bias))

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"a": inputs["b"] + bias}

    spec_in, spec_out = TensorSpec("b", shape, "float32"), TensorSpec("a", shape, "float32")
    return ModelSpec("paddle", version_dir, model_file, (spec_in,), (spec_out,), reference)
