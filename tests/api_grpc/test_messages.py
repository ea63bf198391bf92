"""TFS and KServe message converters: versions, protocol checks, metadata, statuses (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from ovms.api_grpc import kserve_messages, tfs_messages
from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    InferParameter,
    ModelInferRequest,
    ModelInferResponse,
)
from ovms.api_grpc.generated.tfs.get_model_metadata_pb2 import (
    GetModelMetadataRequest,
    SignatureDefMap,
)
from ovms.api_grpc.generated.tfs.model_pb2 import ModelSpec
from ovms.api_grpc.generated.tfs.predict_pb2 import PredictRequest
from ovms.errors import OvmsError, Status
from ovms.types import (
    KSERVE_GRPC,
    TFS_GRPC,
    ErrorCode,
    InferResponse,
    ModelMetadata,
    ModelState,
    Precision,
    TensorSpec,
    VersionStatus,
)

META = ModelMetadata(
    "m", 4, (TensorSpec("in", Precision.U8, (1, -1, (2, 9))),), (TensorSpec("out", Precision.STRING, (-1,)),)
)


def test_tfs_version_absent_or_zero_is_default() -> None:
    assert tfs_messages.to_version(ModelSpec(name="m")) == 0
    spec = ModelSpec(name="m")
    spec.version.value = 0
    assert spec.HasField("version") and tfs_messages.to_version(spec) == 0
    spec.version.value = 5
    assert tfs_messages.to_version(spec) == 5


def test_tfs_predict_request() -> None:
    request = PredictRequest(output_filter=["ignored"])
    request.model_spec.name = "m"
    request.model_spec.signature_name = "ignored too"
    request.inputs["in"].dtype = 4  # DT_UINT8
    result = tfs_messages.to_infer_request(request, deadline=12.5)
    assert (result.model_name, result.version, result.frontend, result.deadline) == ("m", 0, TFS_GRPC, 12.5)
    assert result.outputs is None and list(result.inputs) == ["in"]  # output_filter ignored (OVMS)


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (GetModelMetadataRequest(metadata_field=["signature_def"]), Status.MODEL_SPEC_MISSING),
        (GetModelMetadataRequest(model_spec=ModelSpec(name="m")), Status.INVALID_SIGNATURE_DEF),
        (GetModelMetadataRequest(model_spec=ModelSpec(), metadata_field=["inputs"]), Status.INVALID_SIGNATURE_DEF),
    ],
)
def test_tfs_metadata_query_checks(request_: GetModelMetadataRequest, status: Status) -> None:
    with pytest.raises(OvmsError) as info:
        tfs_messages.to_metadata_query(request_)
    assert info.value.status is status and str(info.value) == status.message


def test_tfs_metadata_response() -> None:
    response = tfs_messages.from_model_metadata(META)
    assert (response.model_spec.name, response.model_spec.version.value) == ("m", 4)
    packed = response.metadata["signature_def"]
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    signature = SignatureDefMap.FromString(packed.value).signature_def["serving_default"]
    info = signature.inputs["in"]
    assert (info.name, info.dtype, [d.size for d in info.tensor_shape.dim]) == ("in", 4, [1, -1, -1])
    assert signature.outputs["out"].dtype == 7  # DT_STRING


def test_tfs_statuses() -> None:
    response = tfs_messages.from_version_statuses(
        [VersionStatus(1, ModelState.END), VersionStatus(2, ModelState.LOADING, ErrorCode.FAILED_PRECONDITION)]
    )
    rows = [(s.version, s.state, s.status.error_code, s.status.error_message) for s in response.model_version_status]
    assert rows == [(1, 50, 0, "OK"), (2, 20, 9, "FAILED_PRECONDITION")]


@pytest.mark.parametrize(("text", "version"), [("", 0), ("0", 0), ("12", 12), ("007", 7), ("-1", -1)])
def test_kserve_version(text: str, version: int) -> None:
    assert kserve_messages.to_version(text) == version


@pytest.mark.parametrize("text", ["abc", "1.0", " 1", "1_0", "\u0663", "+1", "0x1"])
def test_kserve_version_invalid(text: str) -> None:
    with pytest.raises(OvmsError) as info:
        kserve_messages.to_version(text)
    assert str(info.value) == "invalid model version format in request"


def kserve_request(raw: list[bytes], names: tuple[str, ...] = ("a", "b")) -> ModelInferRequest:
    request = ModelInferRequest(model_name="m", model_version="3", id="r1", raw_input_contents=raw)
    for name in names:
        request.inputs.add(name=name, datatype="FP32", shape=[1])
    request.outputs.add(name="out")
    request.parameters["p"].string_param = "v"
    return request


def test_kserve_infer_request() -> None:
    result = kserve_messages.to_infer_request(kserve_request([b"1111", b"2222"]), deadline=None)
    assert (result.model_name, result.version, result.id, result.frontend) == ("m", 3, "r1", KSERVE_GRPC)
    assert result.outputs == ("out",) and result.parameters == {"p": "v"}
    assert [t.buffer for t in result.inputs.values()] == [b"1111", b"2222"]


def test_kserve_raw_buffers_pair_by_position() -> None:
    inputs = kserve_messages.to_inputs(kserve_request([b"1111"]))  # second buffer missing
    assert inputs["a"].buffer == b"1111" and inputs["b"].buffer == b""


def test_kserve_mixing_contents_and_raw() -> None:
    request = kserve_request([b"1111"])
    request.inputs[1].contents.fp32_contents.append(1.0)
    with pytest.raises(OvmsError) as info:
        kserve_messages.to_inputs(request)
    assert info.value.status is Status.INVALID_MESSAGE_STRUCTURE
    assert info.value.details.endswith("Detected buffer in InferInputTensor contents for input: b")


def test_kserve_parameters_roundtrip() -> None:
    values = {"b": True, "i": -3, "f": 0.5, "s": "x"}
    message = ModelInferResponse()
    kserve_messages.from_parameters(values, message.parameters)
    assert kserve_messages.to_parameters(message.parameters) == values
    assert kserve_messages.to_parameters({"unset": InferParameter()}) == {}


def test_kserve_infer_response() -> None:
    outputs = {"y": np.ones((1, 2), np.int16), "s": np.array([b"ab"], dtype=object)}
    message = kserve_messages.from_infer_response(InferResponse("m", 3, outputs, "ignored", {"k": 1}), "r1")
    assert (message.model_name, message.model_version, message.id) == ("m", "3", "r1")
    tensors = [(o.name, o.datatype, list(o.shape)) for o in message.outputs]
    assert tensors == [("y", "INT16", [1, 2]), ("s", "BYTES", [1])]
    assert list(message.raw_output_contents) == [outputs["y"].tobytes(), b"\x02\x00\x00\x00ab"]
    assert message.parameters["k"].int64_param == 1


def test_kserve_metadata_response() -> None:
    message = kserve_messages.from_model_metadata(META, [2, 4])
    assert (message.name, list(message.versions), message.platform) == ("m", ["2", "4"], "OpenVINO")
    assert [(t.name, t.datatype, list(t.shape)) for t in message.inputs] == [("in", "UINT8", [1, -1, -1])]
    assert [(t.name, t.datatype, list(t.shape)) for t in message.outputs] == [("out", "BYTES", [-1])]
