"""Run a built model with OpenVINO directly and compare it with its numpy reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import openvino as ov

from .spec import Arrays, ModelSpec, TensorSpec


def exposed_tensors(model: ov.Model) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Inputs and outputs as OpenVINO exposes them (any_name, partial shape with -1, numpy dtype)."""
    return [_as_spec(p) for p in model.inputs], [_as_spec(p) for p in model.outputs]


def _as_spec(port: Any) -> TensorSpec:
    shape = tuple(d.get_length() if d.is_static else -1 for d in port.get_partial_shape())
    return TensorSpec(port.get_any_name(), shape, np.dtype(port.get_element_type().to_dtype()).name)


def infer(
    spec: ModelSpec,
    inputs: Mapping[str, np.ndarray],
    config: dict[str, Any] | None = None,
    core: ov.Core | None = None,
) -> Arrays:
    """read_model + compile on CPU + one synchronous inference; outputs by name."""
    core = core or ov.Core()
    compiled = core.compile_model(core.read_model(spec.model_file), "CPU", config or {})
    results = compiled.create_infer_request().infer(dict(inputs))
    return {name: np.array(results[name]) for name in spec.output_names}


def assert_matches_reference(spec: ModelSpec, inputs: Mapping[str, np.ndarray], actual: Arrays) -> None:
    """Every output equals the reference within the spec's tolerance, with the spec's dtype."""
    expected = spec.expected(inputs)
    for out in spec.outputs:
        assert actual[out.name].dtype == out.np_dtype, (out.name, actual[out.name].dtype)
        np.testing.assert_allclose(
            actual[out.name], expected[out.name], rtol=spec.rtol, atol=spec.atol, err_msg=out.name
        )
