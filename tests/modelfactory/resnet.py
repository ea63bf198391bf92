"""A ResNet-50-shaped IR model with random weights, built locally for benchmarks (never committed),
and a model with its input and output but no compute.

Same topology and parameter count (~25.5 M) as ResNet-50 v1 with batch norm folded into per-channel
biases; the weights are random, so its outputs mean nothing, but its compute cost is realistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset1 as opset1
import openvino.opset13 as ops

from .irsave import constant, parameter, result, save_ir
from .spec import Arrays, ModelSpec, TensorSpec

#: (bottleneck width, number of blocks, stride of the first block) per stage.
_STAGES: tuple[tuple[int, int, int], ...] = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))
_EXPANSION = 4


class _Builder:
    """Creates named, randomly initialised layers; names come from a counter so output is stable."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._count = 0

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{kind}_{self._count}"

    def conv(
        self, x: ov.Node, out_ch: int, kernel: int, stride: int = 1, relu: bool = True, gain: float = 1.0
    ) -> ov.Node:
        """Conv (He-initialised, scaled by `gain`) + per-channel bias (folded BN) + optional ReLU."""
        in_ch = x.get_output_partial_shape(0)[1].get_length()
        fan_in = in_ch * kernel * kernel
        std = gain * np.sqrt(2.0 / fan_in)
        w = self._rng.standard_normal((out_ch, in_ch, kernel, kernel), dtype=np.float32) * std
        pad = kernel // 2
        name = self._name("conv")
        y = ops.convolution(
            x,
            constant(w, "float32", f"{name}/weights"),
            [stride, stride],
            [pad, pad],
            [pad, pad],
            [1, 1],
            name=name,
        )
        y = ops.add(y, constant(np.zeros((1, out_ch, 1, 1)), "float32", f"{name}/bias"), name=f"{name}/add")
        return ops.relu(y, name=f"{name}/relu") if relu else y

    def bottleneck(self, x: ov.Node, width: int, stride: int) -> ov.Node:
        """1x1 -> 3x3 (strided) -> 1x1 with a projection shortcut when the shape changes."""
        in_ch = x.get_output_partial_shape(0)[1].get_length()
        out_ch = width * _EXPANSION
        y = self.conv(x, width, 1)
        y = self.conv(y, width, 3, stride)
        y = self.conv(y, out_ch, 1, relu=False, gain=0.2)
        shortcut = x if (in_ch == out_ch and stride == 1) else self.conv(x, out_ch, 1, stride, relu=False)
        return ops.relu(ops.add(y, shortcut, name=self._name("residual")), name=self._name("relu"))

    def head(self, x: ov.Node, classes: int) -> ov.Node:
        """Global average pool, fully connected layer and softmax."""
        pooled = ops.reduce_mean(x, constant([2, 3], "int64", "pool_axes"), False, name="global_pool")
        fan_in = pooled.get_output_partial_shape(0)[1].get_length()
        w = self._rng.standard_normal((fan_in, classes), dtype=np.float32) * np.float32(np.sqrt(1.0 / fan_in))
        logits = ops.matmul(pooled, constant(w, "float32", "fc/weights"), False, False, name="fc")
        logits = ops.add(logits, constant(np.zeros((1, classes)), "float32", "fc/bias"), name="fc/add")
        return ops.softmax(logits, 1, name="softmax")


def build_resnet50_ir(version_dir: Path, batch: int = 1, classes: int = 1000, seed: int = 0) -> ModelSpec:
    """Input "data" [batch,3,224,224] FP32 -> output "prob" [batch,classes] (softmax). No reference.

    Writes a ~100 MB .bin; builds in a few seconds. `batch` may be -1 for a dynamic batch.
    """
    inp = TensorSpec("data", (batch, 3, 224, 224), "float32")
    b = _Builder(seed)
    x = parameter(inp)
    y = b.conv(x, 64, 7, 2)
    y = opset1.max_pool(y, [2, 2], [1, 1], [1, 1], [3, 3], name="stem_pool")  # one output
    for width, blocks, stride in _STAGES:
        for i in range(blocks):
            y = b.bottleneck(y, width, stride if i == 0 else 1)
    model = ov.Model([result(b.head(y, classes), "prob")], [x], "resnet50_random")
    xml = save_ir(model, version_dir)
    outputs = (TensorSpec("prob", (batch, classes), "float32"),)
    return ModelSpec("ir", version_dir, xml, (inp,), outputs, None, notes="random weights, no reference")


def build_resnet_io_ir(version_dir: Path, classes: int = 1000) -> ModelSpec:
    """ResNet-50's input and output without its compute: "prob" = the first ``classes`` values of "data".

    Input "data" [1,3,224,224] FP32 (a 600 KB request), output "prob" [1,classes] FP32. A server
    answers it with the same bytes on the wire as :func:`build_resnet50_ir`, so the server's own cost
    per ResNet-sized request can be measured apart from the inference (``benchmarks.threadcpu``).
    """
    inp = TensorSpec("data", (1, 3, 224, 224), "float32")
    x = parameter(inp)
    flat = ops.reshape(x, constant([1, -1], "int64", "flat_shape"), False, name="flat")
    head = ops.slice(flat, constant([0, 0], "int64", "start"), constant([1, classes], "int64", "stop"),
                     constant([1, 1], "int64", "step"), name="head")
    model = ov.Model([result(head, "prob")], [x], "resnet_io")
    xml = save_ir(model, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        return {"prob": inputs["data"].reshape(1, -1)[:, :classes].copy()}

    outputs = (TensorSpec("prob", (1, classes), "float32"),)
    return ModelSpec("ir", version_dir, xml, (inp,), outputs, reference)
