"""A deliberately slow IR model (a chain of MatMuls) for scheduler and timeout tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from .irsave import constant, parameter, result, save_ir
from .spec import Arrays, ModelSpec, TensorSpec


def build_slow_ir(
    version_dir: Path, depth: int = 256, width: int = 512, batch: int = 1, seed: int = 0
) -> ModelSpec:
    """Input "x" [batch,width] FP32 -> `depth` times x = tanh(x @ W) -> output "y".

    W is one shared random orthogonal matrix, so values neither vanish nor explode and the .bin stays
    `width*width*4` bytes whatever the depth (1 MiB by default). Latency grows linearly with `depth`;
    the defaults took 2-8 ms per inference on a 2-core AVX-512 machine (measure rather than assume).
    `batch` may be -1 for a dynamic batch. The tolerance (atol 0.02) covers the bf16 inference
    precision that OpenVINO's CPU plugin picks by default on bf16-capable CPUs (observed error ~0.007).
    """
    weight = _orthogonal(width, seed)
    inp = TensorSpec("x", (batch, width), "float32")
    x = parameter(inp)
    w = constant(weight, "float32", "weight")
    node: ov.Node = x
    for i in range(depth):
        node = ops.tanh(ops.matmul(node, w, False, False, name=f"matmul_{i}"), name=f"tanh_{i}")
    model = ov.Model([result(node, "y")], [x], "slow")
    xml = save_ir(model, version_dir)

    def reference(inputs: Mapping[str, np.ndarray]) -> Arrays:
        y = inputs["x"].astype(np.float64)
        for _ in range(depth):
            y = np.tanh(y @ weight.astype(np.float64))
        return {"y": y.astype(np.float32)}

    outputs = (TensorSpec("y", (batch, width), "float32"),)
    return ModelSpec("ir", version_dir, xml, (inp,), outputs, reference, rtol=0.0, atol=0.02)


def _orthogonal(width: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((width, width)))
    return q.astype(np.float32)
