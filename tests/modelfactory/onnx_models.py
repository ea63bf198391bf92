"""Small ONNX models written with `onnx.helper` (opset 13, IR version 8: widely supported)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .spec import Arrays, ModelSpec, TensorSpec

OPSET = 13
IR_VERSION = 8

_ONNX_TYPES: dict[str, int] = {
    "float32": TensorProto.FLOAT,
    "float64": TensorProto.DOUBLE,
    "int32": TensorProto.INT32,
    "int64": TensorProto.INT64,
    "uint8": TensorProto.UINT8,
}


def _value_info(spec: TensorSpec) -> onnx.ValueInfoProto:
    shape = [d if d >= 0 else f"d{i}" for i, d in enumerate(spec.shape)]
    return helper.make_tensor_value_info(spec.name, _ONNX_TYPES[spec.dtype], shape)


def save_onnx(graph: onnx.GraphProto, version_dir: Path, stem: str = "model") -> Path:
    """Check and write `<stem>.onnx` into `version_dir`; the bytes depend only on the graph."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="ovms-py-modelfactory",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model)
    version_dir.mkdir(parents=True, exist_ok=True)
    path = version_dir / f"{stem}.onnx"
    path.write_bytes(model.SerializeToString(deterministic=True))
    return path


def build_dummy_onnx(
    version_dir: Path, increment: float = 1.0, shape: tuple[int, ...] = (1, 10), dtype: str = "float32"
) -> ModelSpec:
    """The dummy model in ONNX: input "b", output "a" = b + increment (initializer "increment")."""
    inp, out = TensorSpec("b", shape, dtype), TensorSpec("a", shape, dtype)
    step = np.asarray(increment, dtype=dtype)
    graph = helper.make_graph(
        [helper.make_node("Add", ["b", "increment"], ["a"], name="add")],
        "dummy",
        [_value_info(inp)],
        [_value_info(out)],
        [numpy_helper.from_array(step, "increment")],
    )
    path = save_onnx(graph, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"a": (inputs["b"] + step).astype(dtype)}

    return ModelSpec("onnx", version_dir, path, (inp,), (out,), reference)


def build_add_sub_onnx(version_dir: Path, shape: tuple[int, ...] = (1, 10)) -> ModelSpec:
    """Two inputs "x", "y" (FP32) and two outputs "sum" = x + y, "diff" = x - y."""
    inputs = (TensorSpec("x", shape, "float32"), TensorSpec("y", shape, "float32"))
    outputs = (TensorSpec("sum", shape, "float32"), TensorSpec("diff", shape, "float32"))
    nodes = [
        helper.make_node("Add", ["x", "y"], ["sum"], name="add"),
        helper.make_node("Sub", ["x", "y"], ["diff"], name="sub"),
    ]
    graph = helper.make_graph(
        nodes, "add_sub", [_value_info(t) for t in inputs], [_value_info(t) for t in outputs]
    )
    path = save_onnx(graph, version_dir)
    return ModelSpec("onnx", version_dir, path, inputs, outputs, _add_sub_reference)


def _add_sub_reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
    return {"sum": inputs["x"] + inputs["y"], "diff": inputs["x"] - inputs["y"]}
