"""KServe v2 gRPC messages <-> domain types (ModelInfer, ModelMetadata, versions, parameters).

Protocol-shape rules of the KServe API live here, the model rules in the core:
- a version string "" means the default version; anything but a base-10 integer is
  MODEL_VERSION_INVALID_FORMAT;
- data is either in typed ``contents`` or in ``raw_input_contents``; mixing them is
  INVALID_MESSAGE_STRUCTURE (OVMS's text, naming the first input that has ``contents``);
- the response echoes ``id`` and puts all outputs in ``raw_output_contents``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING

from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    InferParameter,
    ModelInferRequest,
    ModelInferResponse,
    ModelMetadataResponse,
)
from ovms.api_grpc import wire
from ovms.api_grpc.kserve_tensors import from_array, from_precision, to_input_tensor
from ovms.api_grpc.rpc import parse_split
from ovms.errors import OvmsError, Status
from ovms.types import (
    KSERVE_GRPC,
    InferRequest,
    InferResponse,
    InputTensor,
    ModelMetadata,
    TensorSpec,
)

if TYPE_CHECKING:
    from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

PLATFORM = "OpenVINO"
RAW_INPUT_CONTENTS = ModelInferRequest.DESCRIPTOR.fields_by_name["raw_input_contents"].number
_VERSION = re.compile(r"-?[0-9]+")


def to_version(text: str) -> int:
    """A KServe version string as a number: "" is 0 (default); non-numeric text is rejected."""
    if not text:
        return 0
    if _VERSION.fullmatch(text) is None:
        raise OvmsError(Status.MODEL_VERSION_INVALID_FORMAT)
    return int(text)


def parse_model_infer(raw: bytes) -> tuple[ModelInferRequest, list[memoryview] | None]:
    """A ModelInfer request; a large one's ``raw_input_contents`` come as views of ``raw``.

    Returns the message and, when they were taken out of it, the raw contents (else None: they
    are in the message). Malformed input raises as :func:`ovms.api_grpc.rpc.parse` does.
    """
    return parse_split(ModelInferRequest, raw, lambda data: wire.split_repeated_bytes(data, RAW_INPUT_CONTENTS))


def to_infer_request(request: ModelInferRequest, deadline: float | None,
                     raw_contents: list[memoryview] | None = None) -> InferRequest:
    """The domain request of a ModelInfer call; ``deadline`` is absolute ``time.monotonic()``.

    ``raw_contents``: the request's raw input contents when :func:`parse_model_infer` took them
    out of the message.
    """
    outputs = tuple(o.name for o in request.outputs) or None
    return InferRequest(
        model_name=request.model_name,
        version=to_version(request.model_version),
        inputs=to_inputs(request, raw_contents),
        frontend=KSERVE_GRPC,
        outputs=outputs,
        deadline=deadline,
        id=request.id,
        parameters=to_parameters(request.parameters),
    )


def to_inputs(request: ModelInferRequest, raw_contents: list[memoryview] | None = None) -> dict[str, InputTensor]:
    """Inputs by name; raw buffers pair with inputs by position (missing ones are empty)."""
    raw: list[bytes] | list[memoryview] = list(request.raw_input_contents) if raw_contents is None else raw_contents
    if not raw:
        return {t.name: to_input_tensor(t, None) for t in request.inputs}
    for tensor in request.inputs:
        if tensor.HasField("contents"):
            raise OvmsError(
                Status.INVALID_MESSAGE_STRUCTURE,
                f"Detected buffer in InferInputTensor contents for input: {tensor.name}",
            )
    return {t.name: to_input_tensor(t, raw[i] if i < len(raw) else b"") for i, t in enumerate(request.inputs)}


def from_infer_response(response: InferResponse, request_id: str) -> ModelInferResponse:
    """A ModelInferResponse: name, version as a string, echoed id, outputs as raw buffers."""
    message = ModelInferResponse(
        model_name=response.model_name, model_version=str(response.version), id=request_id
    )
    from_parameters(response.parameters, message.parameters)
    for name, array in response.outputs.items():
        datatype, shape, raw = from_array(array)
        message.outputs.add(name=name, datatype=datatype, shape=shape)
        message.raw_output_contents.append(raw)
    return message


def from_model_metadata(meta: ModelMetadata, versions: Iterable[int]) -> ModelMetadataResponse:
    """Name, AVAILABLE versions as strings, platform, tensors with -1 for dynamic dimensions."""
    message = ModelMetadataResponse(name=meta.name, versions=[str(v) for v in versions], platform=PLATFORM)
    _fill_tensors(meta.inputs, message.inputs)
    _fill_tensors(meta.outputs, message.outputs)
    return message


def _fill_tensors(specs: Iterable[TensorSpec], out: RepeatedCompositeFieldContainer[ModelMetadataResponse.TensorMetadata]) -> None:
    for spec in specs:
        out.add(name=spec.name, datatype=from_precision(spec.precision), shape=spec.metadata_shape)


def to_parameters(parameters: Mapping[str, InferParameter]) -> dict[str, object]:
    """Request parameters as plain Python values (the set member of each oneof)."""
    result: dict[str, object] = {}
    for key, parameter in parameters.items():
        choice = parameter.WhichOneof("parameter_choice")
        if choice is not None:
            result[key] = getattr(parameter, choice)
    return result


def from_parameters(parameters: Mapping[str, object], out: MutableMapping[str, InferParameter]) -> None:
    """Fill a parameters map from plain values (bool, int, float, str); others are stringified."""
    for key, value in parameters.items():
        parameter = out[key]
        if isinstance(value, bool):
            parameter.bool_param = value
        elif isinstance(value, int):
            parameter.int64_param = value
        elif isinstance(value, float):
            parameter.double_param = value
        else:
            parameter.string_param = str(value)

