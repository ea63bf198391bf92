"""The benchmark's models, built locally with tests/modelfactory, and the daemon's config.json.

- ``tiny``: OVMS's ``dummy`` (input "b" [1,10] FP32, "a" = b + 1): the server's own cost per call.
- ``resnet``: ResNet-50-sized (~25.5 M random weights, input "data" [1,3,224,224], output "prob"
  [1,1000]): a realistic inference cost.
- ``resnet_io``: ResNet's input and output bytes with no compute (not in the default set; for
  ``benchmarks.threadcpu``).
- ``matmul`` / ``matmul_batched``: one batchable model (input "x" [-1,W], ``depth`` x tanh(x @ W))
  served twice, without and with ``dynamic_batching``: where batching pays, as a batch of 16 costs
  far less than 16 inferences of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.modelfactory import build_dummy_ir, build_resnet50_ir, build_resnet_io_ir, build_slow_ir

MODEL_NAMES = ("tiny", "resnet")


@dataclass(frozen=True)
class Model:
    """One served model: names and the request shape the benchmark sends."""

    name: str
    xml: Path
    input_name: str
    output_name: str
    shape: tuple[int, ...]
    config: dict[str, object] = field(default_factory=dict)  # extra config.json keys


@dataclass(frozen=True)
class Batching:
    """The ``dynamic_batching`` setting and the batchable model's size."""

    max_batch_size: int = 16
    max_queue_delay_us: int = 2000
    depth: int = 32
    width: int = 512


def build(root: Path, names: list[str], batching: Batching | None) -> dict[str, Model]:
    """Write the selected models under ``root`` (reusing any already there); by name."""
    models: dict[str, Model] = {}
    if "tiny" in names:
        spec = _cached(root / "tiny" / "1", lambda d: build_dummy_ir(d))
        models["tiny"] = Model("tiny", spec, "b", "a", (1, 10))
    if "resnet" in names:
        spec = _cached(root / "resnet" / "1", lambda d: build_resnet50_ir(d))
        models["resnet"] = Model("resnet", spec, "data", "prob", (1, 3, 224, 224))
    if "resnet_io" in names:
        spec = _cached(root / "resnet_io" / "1", lambda d: build_resnet_io_ir(d))
        models["resnet_io"] = Model("resnet_io", spec, "data", "prob", (1, 3, 224, 224))
    if batching is not None:
        folder = f"matmul-d{batching.depth}-w{batching.width}"
        xml = _cached(root / folder / "1",
                      lambda d: build_slow_ir(d, depth=batching.depth, width=batching.width, batch=-1))
        shape = (1, batching.width)
        models["matmul"] = Model("matmul", xml, "x", "y", shape)
        dynamic = {"max_batch_size": batching.max_batch_size,
                   "max_queue_delay_microseconds": batching.max_queue_delay_us}
        models["matmul_batched"] = Model("matmul_batched", xml, "x", "y", shape, {"dynamic_batching": dynamic})
    return models


def _cached(version_dir: Path, builder) -> Path:
    xml = version_dir / "model.xml"
    if not xml.exists():
        builder(version_dir)
    return xml


def write_config(path: Path, models: dict[str, Model], plugin_config: dict[str, object]) -> Path:
    """config.json serving every model (base_path: the folder above each version folder)."""
    entries = []
    for model in models.values():
        config: dict[str, object] = {"name": model.name, "base_path": str(model.xml.parent.parent)}
        if plugin_config:
            config["plugin_config"] = plugin_config
        config.update(model.config)
        entries.append({"config": config})
    path.write_text(json.dumps({"model_config_list": entries}, indent=2))
    return path
