"""OpenVINO read / reshape / compile of one model version.

Blocking and CPU-heavy: always called in a worker thread. The result is a :class:`LoadedModel`
that knows the exposed tensor specs and the mapping from exposed names to OpenVINO port indices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import openvino as ov

from ovms.errors import OvmsError, Status
from ovms.repository.modelfiles import ModelFiles
from ovms.settings import ModelConfig
from ovms.types import Dim, ModelMetadata, Precision, TensorSpec

log = logging.getLogger(__name__)

_PRECISIONS: dict[str, Precision] = {
    "f32": Precision.FP32, "f64": Precision.FP64, "f16": Precision.FP16,
    "i8": Precision.I8, "i16": Precision.I16, "i32": Precision.I32, "i64": Precision.I64,
    "u8": Precision.U8, "u16": Precision.U16, "u32": Precision.U32, "u64": Precision.U64,
    "boolean": Precision.BOOL, "string": Precision.STRING,
}


@dataclass(frozen=True)
class LoadedModel:
    """A compiled model ready to serve, with exposed names in the model's port order."""

    compiled: ov.CompiledModel
    metadata: ModelMetadata
    nireq: int
    streams: int


def load_model(core: ov.Core, files: ModelFiles, config: ModelConfig, version: int) -> LoadedModel:
    """Read, reshape and compile; raises OvmsError (RESHAPE_ERROR / CANNOT_COMPILE...) or OSError."""
    model = core.read_model(files.path, files.weights) if files.weights else core.read_model(files.path)
    input_names = _exposed_names(model.inputs, files.input_names)
    output_names = _exposed_names(model.outputs, files.output_names)
    layouts = _apply_layouts(model, config.layout, input_names)
    _reshape(model, config, input_names)
    compiled = _compile(core, model, config)
    metadata = ModelMetadata(
        name=config.name,
        version=version,
        inputs=tuple(_spec(n, p, layouts.get(n)) for n, p in zip(input_names, compiled.inputs)),
        outputs=tuple(_spec(n, p, None) for n, p in zip(output_names, compiled.outputs)),
    )
    return LoadedModel(compiled, metadata, _nireq(compiled, config), _streams(compiled))


def _exposed_names(ports: list, mapping: dict[str, str]) -> list[str]:
    names = []
    for index, port in enumerate(ports):
        tensor_names = port.get_names()
        real = port.get_any_name() if tensor_names else f"out_{index}"
        names.append(next((mapping[n] for n in tensor_names if n in mapping), real))
    return names


def _apply_layouts(model: ov.Model, layout: dict[str, str], names: list[str]) -> dict[str, str]:
    """Tag or convert input layouts; returns exposed name -> client-facing layout."""
    if not layout:
        return {}
    per_input = _per_input(layout, names, "layout")
    ppp = ov.preprocess.PrePostProcessor(model)
    for name, value in per_input.items():
        index = names.index(name)
        target, _, source = value.partition(":")
        if source:
            ppp.input(index).tensor().set_layout(ov.Layout(target))
            ppp.input(index).model().set_layout(ov.Layout(source))
        else:
            ppp.input(index).model().set_layout(ov.Layout(target))
    ppp.build()
    return {name: value.partition(":")[0] for name, value in per_input.items()}


def _reshape(model: ov.Model, config: ModelConfig, names: list[str]) -> None:
    try:
        if config.shape:
            shapes = _per_input(config.shape, names, "shape")
            model.reshape({names.index(n): _partial_shape(s) for n, s in shapes.items()})
        elif config.batch_size is not None or config.batching is not None:
            batch = config.batch_size
            if batch is None and config.batching is not None:  # room for the batches it forms
                batch = (1, config.batching.max_batch_size)
            for parameter in model.get_parameters():
                # OVMS's default layout "N...": the batch is the first dimension.
                if parameter.get_layout().empty and parameter.get_partial_shape().rank.get_length() > 0:
                    parameter.set_layout(ov.Layout("N..."))
            ov.set_batch(model, _dimension(batch))
    except OvmsError:
        raise
    except RuntimeError as err:
        log.error("Model %s could not be reshaped: %s", config.name, err)
        raise OvmsError(Status.RESHAPE_ERROR) from err


def _per_input(values: dict, names: list[str], key: str) -> dict:
    if "" in values:
        if len(names) != 1:
            raise OvmsError(Status.RESHAPE_ERROR, f"Anonymous fixed {key} is invalid for models with multiple inputs")
        return {names[0]: values[""]}
    unknown = [n for n in values if n not in names]
    if unknown:
        raise OvmsError(Status.RESHAPE_ERROR, f"{key} given for unknown input: {unknown[0]}")
    return values


def _dimension(dim: Dim) -> ov.Dimension:
    return ov.Dimension(dim[0], dim[1]) if isinstance(dim, tuple) else ov.Dimension(dim)


def _partial_shape(shape: tuple[Dim, ...]) -> ov.PartialShape:
    return ov.PartialShape([_dimension(d) for d in shape])


def _compile(core: ov.Core, model: ov.Model, config: ModelConfig) -> ov.CompiledModel:
    properties = dict(config.plugin_config)
    # OVMS's default: a latency hint unless the user sized streams or chose a hint.
    if "NUM_STREAMS" not in properties and "PERFORMANCE_HINT" not in properties:
        properties["PERFORMANCE_HINT"] = "LATENCY"
    try:
        return core.compile_model(model, config.target_device, {k: _prop(v) for k, v in properties.items()})
    except RuntimeError as err:
        log.error("Model %s could not be compiled on %s: %s", config.name, config.target_device, err)
        raise OvmsError(Status.CANNOT_COMPILE_MODEL_INTO_TARGET_DEVICE) from err


def _prop(value: object) -> object:
    # OpenVINO takes most properties as strings; booleans are spelled YES/NO in its docs.
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return str(value) if isinstance(value, (int, float)) else value


def _nireq(compiled: ov.CompiledModel, config: ModelConfig) -> int:
    """``nireq``, or for 0 twice OpenVINO's optimal number.

    OVMS uses the optimal number itself (one request per stream). Here results travel back
    through the event loop before a request can be reused, so with one request per stream each
    stream idles for that hand-over; a second, staged request per stream keeps it busy (measured
    through the core with 8 concurrent callers on the [1,10] demo model, LATENCY's one stream,
    four interleaved runs each: median ~4.8k inferences/s with 1 request, ~6.6k with 2).
    Latency is unchanged: a staged request only waits where it would have queued anyway.
    """
    if config.nireq:
        return config.nireq
    try:
        return 2 * max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
    except RuntimeError:
        return 2


def _streams(compiled: ov.CompiledModel) -> int:
    try:
        return int(compiled.get_property("NUM_STREAMS"))
    except (RuntimeError, TypeError, ValueError):
        return 0


def _spec(name: str, port: ov.ConstOutput, layout: str | None) -> TensorSpec:
    precision = _PRECISIONS.get(port.get_element_type().get_type_name())
    if precision is None:
        raise OvmsError(Status.UNSUPPORTED_PRECISION, f"{port.get_element_type()} of tensor {name}")
    shape = _dims(port.get_partial_shape())
    return TensorSpec(name, precision, shape, _batch_index(layout, len(shape)), layout)


def _dims(shape: ov.PartialShape) -> tuple[Dim, ...]:
    if shape.rank.is_dynamic:
        return ()
    return tuple(_dim(d) for d in shape)


def _dim(dim: ov.Dimension) -> Dim:
    if dim.is_static:
        return dim.get_length()
    lo, hi = dim.get_min_length(), dim.get_max_length()
    return (max(lo, 1), hi) if hi > 0 and (lo > 0 or hi > 0) else -1


def _batch_index(layout: str | None, rank: int) -> int | None:
    if layout is None:
        return 0 if rank > 0 else None
    index = ov.Layout(layout)
    return ov.layout_helpers.batch_idx(index) % rank if ov.layout_helpers.has_batch(index) and rank else None
