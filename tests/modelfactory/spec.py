"""What a model builder returns: a description of the model it wrote and how to check it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

ModelFormat = Literal["ir", "onnx", "saved_model", "tflite", "paddle"]

Arrays = dict[str, np.ndarray]
Reference = Callable[[Mapping[str, np.ndarray]], Arrays]

#: Size used for a dynamic (-1) dimension when sample inputs are made.
DYNAMIC_DIM = 3


@dataclass(frozen=True)
class TensorSpec:
    """One input or output as OpenVINO exposes it: name, shape (-1 = dynamic) and numpy dtype name."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def np_dtype(self) -> np.dtype:
        """The numpy dtype of this tensor."""
        return np.dtype(self.dtype)

    def concrete_shape(self, dynamic_dim: int = DYNAMIC_DIM) -> tuple[int, ...]:
        """The shape with every dynamic dimension replaced by `dynamic_dim`."""
        return tuple(dynamic_dim if d < 0 else d for d in self.shape)


@dataclass(frozen=True)
class ModelSpec:
    """A model written into a version folder, with a numpy reference of what it computes.

    `model_file` is the path to hand to `openvino.Core().read_model` (the SavedModel folder for
    `saved_model`). `reference` maps input arrays by name to expected outputs by name; it is None
    only for models too large to compute in numpy (the ResNet-50-sized benchmark model).
    """

    format: ModelFormat
    version_dir: Path
    model_file: Path
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    reference: Reference | None
    rtol: float = 1e-5
    atol: float = 1e-6
    notes: str = field(default="", compare=False)

    @property
    def input_names(self) -> list[str]:
        """Input names in declaration order."""
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """Output names in declaration order."""
        return [t.name for t in self.outputs]

    def sample_inputs(self, seed: int = 0, dynamic_dim: int = DYNAMIC_DIM) -> Arrays:
        """Deterministic random inputs matching the input specs (small values for integer types)."""
        rng = np.random.default_rng(seed)
        return {t.name: random_array(rng, t.concrete_shape(dynamic_dim), t.np_dtype) for t in self.inputs}

    def expected(self, inputs: Mapping[str, np.ndarray]) -> Arrays:
        """The reference outputs for `inputs`."""
        if self.reference is None:
            raise ValueError(f"model at {self.version_dir} has no numpy reference")
        return self.reference(inputs)


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Random values that survive `+ small constant` without overflow in any supported dtype."""
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(dtype)
    low = 0 if np.issubdtype(dtype, np.unsignedinteger) else -100
    return rng.integers(low, 100, shape).astype(dtype)
