"""TF Serving API messages <-> domain types (Predict, GetModelMetadata, GetModelStatus).

Protocol-shape rules of the TFS API live here, the model rules in the core:
- ``model_spec.version`` absent or 0 means the default version (or all versions for status);
  ``version_label`` and ``signature_name`` are ignored, as in OVMS.
- GetModelMetadata requires ``model_spec`` and ``metadata_field == ["signature_def"]``.
- ``PredictRequest.output_filter`` is ignored and ``PredictResponse.model_spec`` left unset (OVMS).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from ovms.api_grpc import wire
from ovms.api_grpc.generated.tf.meta_graph_pb2 import TensorInfo
from ovms.api_grpc.generated.tf.tensor_pb2 import TensorProto
from ovms.api_grpc.generated.tfs.get_model_metadata_pb2 import (
    GetModelMetadataRequest,
    GetModelMetadataResponse,
    SignatureDefMap,
)
from ovms.api_grpc.generated.tfs.get_model_status_pb2 import (
    GetModelStatusRequest,
    GetModelStatusResponse,
)
from ovms.api_grpc.generated.tfs.model_pb2 import ModelSpec
from ovms.api_grpc.generated.tfs.predict_pb2 import PredictRequest, PredictResponse
from ovms.api_grpc.rpc import parse_split
from ovms.api_grpc.tfs_tensors import (
    from_array,
    from_precision,
    from_shape,
    to_input_tensor,
)
from ovms.errors import OvmsError, Status
from ovms.types import (
    TFS_GRPC,
    InferRequest,
    InferResponse,
    ModelMetadata,
    TensorSpec,
    VersionStatus,
)

SIGNATURE_DEF = "signature_def"
INPUTS = PredictRequest.DESCRIPTOR.fields_by_name["inputs"].number
TENSOR_CONTENT = TensorProto.DESCRIPTOR.fields_by_name["tensor_content"].number
Contents = dict[str, memoryview]  # tensor_content by input name, views of the received message
SERVING_DEFAULT = "serving_default"
# The Any must name the upstream type: clients Unpack() it into tensorflow's own class.
SIGNATURE_DEF_MAP_TYPE_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


def to_version(spec: ModelSpec) -> int:
    """The requested version: 0 (default / all) when ``version`` is absent or 0."""
    return spec.version.value if spec.HasField("version") else 0


def parse_predict(raw: bytes) -> tuple[PredictRequest, Contents | None]:
    """A Predict request; a large one's ``tensor_content`` fields come as views of ``raw``.

    Returns the message and the contents taken out of it by input name (None when they stayed
    in it). Malformed input raises as :func:`ovms.api_grpc.rpc.parse` does.
    """
    return parse_split(PredictRequest, raw, lambda data: wire.split_map_bytes(data, INPUTS, TENSOR_CONTENT))


def to_infer_request(request: PredictRequest, deadline: float | None, contents: Contents | None = None) -> InferRequest:
    """The domain request of a Predict call; ``deadline`` is absolute ``time.monotonic()``.

    ``contents``: ``tensor_content`` by input name, where :func:`parse_predict` took it out.
    """
    contents = contents or {}
    inputs = {name: to_input_tensor(proto, name, contents.get(name)) for name, proto in request.inputs.items()}
    spec = request.model_spec
    return InferRequest(spec.name, to_version(spec), inputs, TFS_GRPC, deadline=deadline)


def from_infer_response(response: InferResponse) -> PredictResponse:
    """A PredictResponse with every output in ``tensor_content`` (strings in ``string_val``).

    Unlike OVMS (which leaves it empty) and like TF Serving, ``model_spec`` names the model and
    the version that answered, so clients can tell which version served them.
    """
    message = PredictResponse()
    message.model_spec.name = response.model_name
    message.model_spec.version.value = response.version
    for name, array in response.outputs.items():
        from_array(array, message.outputs[name])
    return message


def to_metadata_query(request: GetModelMetadataRequest) -> tuple[str, int]:
    """(model name, version) of a GetModelMetadata call, checked as OVMS checks it."""
    if not request.HasField("model_spec"):
        raise OvmsError(Status.MODEL_SPEC_MISSING)
    if list(request.metadata_field) != [SIGNATURE_DEF]:
        raise OvmsError(Status.INVALID_SIGNATURE_DEF)
    return request.model_spec.name, to_version(request.model_spec)


def from_model_metadata(meta: ModelMetadata) -> GetModelMetadataResponse:
    """``model_spec {name, version}`` and ``metadata["signature_def"]`` = {"serving_default": ...}."""
    signatures = SignatureDefMap()
    signature = signatures.signature_def[SERVING_DEFAULT]  # method_name stays "" as in OVMS
    _fill_tensor_infos(meta.inputs, signature.inputs)
    _fill_tensor_infos(meta.outputs, signature.outputs)
    message = GetModelMetadataResponse()
    message.model_spec.name = meta.name
    message.model_spec.version.value = meta.version
    packed = message.metadata[SIGNATURE_DEF]
    packed.type_url = SIGNATURE_DEF_MAP_TYPE_URL  # set by hand: Pack() would use our package name
    packed.value = signatures.SerializeToString()
    return message


def _fill_tensor_infos(specs: Iterable[TensorSpec], out: MutableMapping[str, TensorInfo]) -> None:
    """TensorInfo per tensor: exposed name, dtype and shape with -1 for dynamic dimensions."""
    for spec in specs:
        info = out[spec.name]
        info.name = spec.name
        info.dtype = from_precision(spec.precision)
        from_shape(spec.metadata_shape, info.tensor_shape)


def to_status_query(request: GetModelStatusRequest) -> tuple[str, int]:
    """(model name, version) of a GetModelStatus call; version 0 means all versions."""
    return request.model_spec.name, to_version(request.model_spec)


def from_version_statuses(statuses: Iterable[VersionStatus]) -> GetModelStatusResponse:
    """One ModelVersionStatus per version, in the given (ascending) order."""
    message = GetModelStatusResponse()
    for status in statuses:
        entry = message.model_version_status.add()
        entry.version = status.version
        entry.state = int(status.state)  # type: ignore[assignment]
        entry.status.error_code = int(status.error_code)  # type: ignore[assignment]
        entry.status.error_message = status.error_message
    return message
