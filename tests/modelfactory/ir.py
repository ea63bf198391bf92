"""Small OpenVINO IR models built with the opset API (y = x + 1 and friends)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from .irsave import constant, parameter, result, save_ir
from .spec import Arrays, ModelSpec, TensorSpec


def build_dummy_ir(version_dir: Path, increment: float = 1.0) -> ModelSpec:
    """OVMS's classic `dummy`: input "b" [1,10] FP32, output "a" = b + increment.

    Give each version its own `increment` (e.g. the version number) so tests can tell versions apart.
    """
    return build_typed_ir(version_dir, "float32", increment=increment)


def build_typed_ir(
    version_dir: Path, dtype: str, increment: float = 1.0, shape: tuple[int, ...] = (1, 10)
) -> ModelSpec:
    """y = x + increment in `dtype` (e.g. int32, int64, uint8, float64): input "b", output "a"."""
    inp = TensorSpec("b", shape, dtype)
    x = parameter(inp)
    add = ops.add(x, constant(increment, dtype, "increment"), name="add")
    model = ov.Model([result(add, "a")], [x], "dummy")
    xml = save_ir(model, version_dir)
    step = np.asarray(increment, dtype=dtype)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"a": (inputs["b"] + step).astype(dtype)}

    return ModelSpec("ir", version_dir, xml, (inp,), (TensorSpec("a", shape, dtype),), reference)


def build_batched_ir(version_dir: Path, batch: int = -1, increment: float = 1.0) -> ModelSpec:
    """The dummy model with a batch dimension: input "b" [batch,10] FP32, "a" = b + increment.

    `batch` -1 makes the batch dimension dynamic."""
    return build_typed_ir(version_dir, "float32", increment=increment, shape=(batch, 10))


def build_add_sub_ir(version_dir: Path, shape: tuple[int, ...] = (1, 10)) -> ModelSpec:
    """Two inputs "x", "y" (FP32) and two outputs "sum" = x + y, "diff" = x - y."""
    x_spec, y_spec = TensorSpec("x", shape, "float32"), TensorSpec("y", shape, "float32")
    x, y = parameter(x_spec), parameter(y_spec)
    total = ops.add(x, y, name="add")
    diff = ops.subtract(x, y, name="subtract")
    model = ov.Model([result(total, "sum"), result(diff, "diff")], [x, y], "add_sub")
    xml = save_ir(model, version_dir)
    outputs = (TensorSpec("sum", shape, "float32"), TensorSpec("diff", shape, "float32"))
    return ModelSpec("ir", version_dir, xml, (x_spec, y_spec), outputs, _add_sub_reference)


def _add_sub_reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
    return {"sum": inputs["x"] + inputs["y"], "diff": inputs["x"] - inputs["y"]}


def build_dynamic_ir(version_dir: Path) -> ModelSpec:
    """Fully dynamic shape: input "x" [-1,-1] FP32, output "y" = x * 2."""
    inp = TensorSpec("x", (-1, -1), "float32")
    x = parameter(inp)
    doubled = ops.multiply(x, constant(2.0, "float32", "two"), name="multiply")
    model = ov.Model([result(doubled, "y")], [x], "dynamic")
    xml = save_ir(model, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"y": inputs["x"] * np.float32(2.0)}

    return ModelSpec("ir", version_dir, xml, (inp,), (TensorSpec("y", (-1, -1), "float32"),), reference)


def build_reshape_ir(version_dir: Path) -> ModelSpec:
    """Data-dependent shape: "y" = "x" [-1] FP32 reshaped to "shape" [2] I64.

    A "shape" whose product differs from x's size fails inside inference, after the request has
    started: OpenVINO reports such errors asynchronously.
    """
    x_spec, shape_spec = TensorSpec("x", (-1,), "float32"), TensorSpec("shape", (2,), "int64")
    x, shape = parameter(x_spec), parameter(shape_spec)
    reshaped = ops.reshape(x, shape, special_zero=False, name="reshape")
    model = ov.Model([result(reshaped, "y")], [x, shape], "reshape")
    xml = save_ir(model, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"y": inputs["x"].reshape(tuple(inputs["shape"]))}

    return ModelSpec("ir", version_dir, xml, (x_spec, shape_spec), (TensorSpec("y", (-1, -1), "float32"),),
                     reference)


def build_strings_ir(version_dir: Path) -> ModelSpec:
    """String identity: output "text_out" = input "text" [-1] STRING (bytes in, the same bytes out)."""
    text = ops.parameter([-1], ov.Type.string, name="text")
    text.output(0).set_names({"text"})
    # A Reshape between them: a Result straight on the Parameter would share its tensor names.
    same = ops.reshape(text, constant([-1], "int64", "flat"), special_zero=False, name="flatten")
    model = ov.Model([result(same, "text_out")], [text], "strings")
    xml = save_ir(model, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"text_out": inputs["text"]}

    return ModelSpec("ir", version_dir, xml, (TensorSpec("text", (-1,), "object"),),
                     (TensorSpec("text_out", (-1,), "object"),), reference)
