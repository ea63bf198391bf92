"""TensorFlow SavedModel and TFLite models. TensorFlow is imported only inside the builders (slow import).

Names OpenVINO exposes (checked by tests/test_modelfactory.py):
- SavedModel: inputs are the `serving_default` argument names, outputs the keys of the returned dict.
- TFLite: inputs are "serving_default_<arg>:0"; outputs are "StatefulPartitionedCall:<i>" with i the
  position of the output key in sorted order (the converter sorts the returned dict's keys).
A SavedModel folder written by TF >= 2.12 holds fingerprint.pb next to saved_model.pb (plus assets/
and variables/): model file detection must not take fingerprint.pb for a frozen graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .spec import Arrays, ModelSpec, TensorSpec


def _dummy_module(increment: float, shape: tuple[int, ...]) -> Any:
    """A tf.Module computing {"a": b + increment}, the increment held in a tf.Variable."""
    import tensorflow as tf

    class Dummy(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.increment = tf.Variable(increment, dtype=tf.float32, name="increment")

        @tf.function(input_signature=[tf.TensorSpec(_tf_shape(shape), tf.float32, name="b")])
        def serve(self, b: Any) -> dict[str, Any]:
            return {"a": b + self.increment}

    return Dummy()


def _add_sub_module(shape: tuple[int, ...]) -> Any:
    """A tf.Module computing {"sum": x + y, "diff": x - y}."""
    import tensorflow as tf

    spec = [tf.TensorSpec(_tf_shape(shape), tf.float32, name=n) for n in ("x", "y")]

    class AddSub(tf.Module):
        @tf.function(input_signature=spec)
        def serve(self, x: Any, y: Any) -> dict[str, Any]:
            return {"sum": x + y, "diff": x - y}

    return AddSub()


def _tf_shape(shape: tuple[int, ...]) -> list[int | None]:
    return [None if d < 0 else d for d in shape]


def _save_saved_model(module: Any, version_dir: Path) -> Path:
    import tensorflow as tf

    version_dir.mkdir(parents=True, exist_ok=True)
    tf.saved_model.save(module, str(version_dir), signatures={"serving_default": module.serve})
    return version_dir


def _save_tflite(module: Any, version_dir: Path, stem: str = "model") -> Path:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.serve.get_concrete_function()], module
    )
    version_dir.mkdir(parents=True, exist_ok=True)
    path = version_dir / f"{stem}.tflite"
    path.write_bytes(converter.convert())
    return path


def _dummy_reference(increment: float) -> Any:
    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"a": inputs["b"] + np.float32(increment)}

    return reference


def _add_sub_reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
    return {"sum": inputs["x"] + inputs["y"], "diff": inputs["x"] - inputs["y"]}


def build_dummy_saved_model(
    version_dir: Path, increment: float = 1.0, shape: tuple[int, ...] = (1, 10)
) -> ModelSpec:
    """SavedModel (saved_model.pb + variables/) with input "b" and output "a" = b + increment."""
    path = _save_saved_model(_dummy_module(increment, shape), version_dir)
    inp, out = TensorSpec("b", shape, "float32"), TensorSpec("a", shape, "float32")
    return ModelSpec("saved_model", version_dir, path, (inp,), (out,), _dummy_reference(increment))


def build_add_sub_saved_model(version_dir: Path, shape: tuple[int, ...] = (1, 10)) -> ModelSpec:
    """SavedModel with inputs "x", "y" and outputs "sum", "diff"; OpenVINO lists outputs sorted: diff, sum."""
    path = _save_saved_model(_add_sub_module(shape), version_dir)
    inputs = (TensorSpec("x", shape, "float32"), TensorSpec("y", shape, "float32"))
    outputs = (TensorSpec("diff", shape, "float32"), TensorSpec("sum", shape, "float32"))
    return ModelSpec("saved_model", version_dir, path, inputs, outputs, _add_sub_reference)


def build_dummy_tflite(
    version_dir: Path, increment: float = 1.0, shape: tuple[int, ...] = (1, 10)
) -> ModelSpec:
    """TFLite b + increment: OpenVINO names the input "serving_default_b:0", the output
    "StatefulPartitionedCall:0"."""
    path = _save_tflite(_dummy_module(increment, shape), version_dir)
    inp = TensorSpec("serving_default_b:0", shape, "float32")
    out = TensorSpec("StatefulPartitionedCall:0", shape, "float32")
    ref = _dummy_reference(increment)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {out.name: ref({"b": inputs[inp.name]})["a"]}

    return ModelSpec("tflite", version_dir, path, (inp,), (out,), reference)


def build_add_sub_tflite(version_dir: Path, shape: tuple[int, ...] = (1, 10)) -> ModelSpec:
    """TFLite add/sub, specs in OpenVINO's order: inputs "serving_default_y:0", "serving_default_x:0"
    (y first!); outputs "PartitionedCall:1" (sum), "PartitionedCall:0" (diff). No variables, hence
    "PartitionedCall" rather than "StatefulPartitionedCall"."""
    path = _save_tflite(_add_sub_module(shape), version_dir)
    x, y = "serving_default_x:0", "serving_default_y:0"
    diff, total = "PartitionedCall:0", "PartitionedCall:1"
    inputs = (TensorSpec(y, shape, "float32"), TensorSpec(x, shape, "float32"))
    outputs = (TensorSpec(total, shape, "float32"), TensorSpec(diff, shape, "float32"))

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        ref = _add_sub_reference({"x": inputs[x], "y": inputs[y]})
        return {diff: ref["diff"], total: ref["sum"]}

    return ModelSpec("tflite", version_dir, path, inputs, outputs, reference)
