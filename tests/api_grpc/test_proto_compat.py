"""Our .proto definitions are wire-compatible with upstream TF Serving and KServe/Triton.

Walks every message reachable from the RPC request/response types and checks, field by field,
that ours matches the upstream definition shipped with tensorflow-serving-api and tritonclient:
same numbers, names, types, cardinality and packing; upstream fields we leave out are reserved.
"""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    predict_pb2,
)
from tritonclient.grpc import service_pb2

from ovms.api_grpc.generated.kserve import grpc_service_pb2 as our_kserve
from ovms.api_grpc.generated.tfs import get_model_metadata_pb2 as our_meta
from ovms.api_grpc.generated.tfs import get_model_status_pb2 as our_status
from ovms.api_grpc.generated.tfs import model_management_pb2 as our_mgmt
from ovms.api_grpc.generated.tfs import predict_pb2 as our_predict

PAIRS: list[tuple[Descriptor, Descriptor]] = [
    (our_predict.PredictRequest.DESCRIPTOR, predict_pb2.PredictRequest.DESCRIPTOR),
    (our_predict.PredictResponse.DESCRIPTOR, predict_pb2.PredictResponse.DESCRIPTOR),
    (our_meta.GetModelMetadataRequest.DESCRIPTOR, get_model_metadata_pb2.GetModelMetadataRequest.DESCRIPTOR),
    (our_meta.GetModelMetadataResponse.DESCRIPTOR, get_model_metadata_pb2.GetModelMetadataResponse.DESCRIPTOR),
    (our_meta.SignatureDefMap.DESCRIPTOR, get_model_metadata_pb2.SignatureDefMap.DESCRIPTOR),
    (our_status.GetModelStatusRequest.DESCRIPTOR, get_model_status_pb2.GetModelStatusRequest.DESCRIPTOR),
    (our_status.GetModelStatusResponse.DESCRIPTOR, get_model_status_pb2.GetModelStatusResponse.DESCRIPTOR),
    (our_mgmt.ReloadConfigRequest.DESCRIPTOR, model_management_pb2.ReloadConfigRequest.DESCRIPTOR),
    (our_mgmt.ReloadConfigResponse.DESCRIPTOR, model_management_pb2.ReloadConfigResponse.DESCRIPTOR),
] + [
    (desc, service_pb2.DESCRIPTOR.message_types_by_name[name])
    for name, desc in our_kserve.DESCRIPTOR.message_types_by_name.items()
]


def upstream_name(ours: str) -> str:
    return ours.removeprefix("ovmspy.")


def reserved_numbers(desc: Descriptor) -> set[int]:
    proto = descriptor_pb2.DescriptorProto()
    desc.CopyToProto(proto)
    return {n for r in proto.reserved_range for n in range(r.start, r.end)}


def compare_enums(ours: EnumDescriptor, theirs: EnumDescriptor) -> list[str]:
    assert upstream_name(ours.full_name) == theirs.full_name
    theirs_values = {v.name: v.number for v in theirs.values}
    return [f"{ours.full_name}.{v.name}={v.number}" for v in ours.values if theirs_values.get(v.name) != v.number]


def compare(ours: Descriptor, theirs: Descriptor, seen: set[str]) -> list[str]:
    """Differences between two message descriptors (recursing into field types)."""
    if ours.full_name in seen:
        return []
    seen.add(ours.full_name)
    problems = [] if upstream_name(ours.full_name) == theirs.full_name else [f"name {ours.full_name}"]
    for field in ours.fields:
        other = theirs.fields_by_number.get(field.number)
        where = f"{theirs.full_name}.{field.name}={field.number}"
        if other is None:
            problems.append(f"{where}: not upstream")
            continue
        shape = (field.name, field.type, field.is_repeated, field.is_packed)
        if shape != (other.name, other.type, other.is_repeated, other.is_packed):
            problems.append(f"{where}: {shape} upstream {(other.name, other.type, other.is_repeated, other.is_packed)}")
        elif field.message_type is not None:
            problems += compare(field.message_type, other.message_type, seen)
        elif field.enum_type is not None:
            problems += compare_enums(field.enum_type, other.enum_type)
    left_out = set(theirs.fields_by_number) - set(ours.fields_by_number) - reserved_numbers(ours)
    problems += [f"{theirs.full_name}: upstream field {n} neither defined nor reserved" for n in sorted(left_out)]
    return problems


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[1].full_name for p in PAIRS])
def test_wire_compatible_with_upstream(ours: Descriptor, theirs: Descriptor) -> None:
    assert compare(ours, theirs, set()) == []


def test_all_kserve_core_messages_are_defined() -> None:
    core = {"ServerLiveRequest", "ServerLiveResponse", "ServerReadyRequest", "ServerReadyResponse",
            "ModelReadyRequest", "ModelReadyResponse", "ServerMetadataRequest", "ServerMetadataResponse",
            "ModelMetadataRequest", "ModelMetadataResponse", "InferParameter", "InferTensorContents",
            "ModelInferRequest", "ModelInferResponse"}
    assert core <= set(our_kserve.DESCRIPTOR.message_types_by_name)


def test_our_files_and_packages_cannot_clash() -> None:
    for module in (our_kserve, our_meta, our_status, our_mgmt, our_predict):
        assert module.DESCRIPTOR.name.startswith("ovmspy/")
        assert module.DESCRIPTOR.package.startswith("ovmspy.")
