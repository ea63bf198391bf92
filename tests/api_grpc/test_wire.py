"""Wire splitters: the stripped message parses to the original less its tensor bytes, which come
back as views of the received buffer; anything unusual is left to the ordinary parse."""

import numpy as np

from ovms.api_grpc import wire
from ovms.api_grpc.generated.kserve.grpc_service_pb2 import ModelInferRequest
from ovms.api_grpc.generated.tf.tensor_pb2 import DataType, TensorProto
from ovms.api_grpc.generated.tfs.predict_pb2 import PredictRequest


def predict(**contents: bytes) -> PredictRequest:
    request = PredictRequest()
    request.model_spec.name = "m"
    request.model_spec.version.value = 3
    request.output_filter.append("out")
    for name, content in contents.items():
        tensor = request.inputs[name]
        tensor.dtype = DataType.DT_FLOAT
        tensor.tensor_shape.dim.add().size = len(content) // 4
        tensor.tensor_content = content
    return request


def test_predict_contents_come_out_as_views_and_the_rest_parses_unchanged():
    a, b = np.arange(40000, dtype=np.float32).tobytes(), b"\x01\x02\x03\x04"
    original = predict(a=a, b=b)
    original.inputs["c"].string_val.append(b"text")  # no tensor_content: left as it is
    raw = original.SerializeToString()
    stripped, contents = wire.split_map_bytes(raw, 2, 4)
    assert set(contents) == {"a", "b"} and bytes(contents["a"]) == a and bytes(contents["b"]) == b
    assert contents["a"].obj is raw  # a view of the received bytes, not a copy
    parsed = PredictRequest.FromString(stripped)
    for name in ("a", "b"):
        original.inputs[name].ClearField("tensor_content")
    assert parsed == original
    assert len(stripped) < 200


def test_predict_later_map_entries_win():
    first, second = predict(x=b"\x00" * 8).SerializeToString(), predict(x=b"\x01" * 4).SerializeToString()
    raw = first + second  # concatenated messages merge: the later map entry replaces the earlier
    stripped, contents = wire.split_map_bytes(raw, 2, 4)
    assert bytes(contents["x"]) == b"\x01" * 4
    assert PredictRequest.FromString(stripped).inputs["x"].tensor_shape.dim[0].size == 1
    without = predict(x=b"").SerializeToString()  # a later entry without content drops it
    assert wire.split_map_bytes(first + without, 2, 4)[1] == {}


def test_model_infer_raw_contents_in_order():
    request = ModelInferRequest(model_name="m", id="7")
    request.inputs.add(name="x", datatype="FP32", shape=[1, 2])
    request.raw_input_contents.extend([b"\x00" * 8, b"abc"])
    raw = request.SerializeToString()
    stripped, contents = wire.split_repeated_bytes(raw, 7)
    assert [bytes(c) for c in contents] == [b"\x00" * 8, b"abc"] and contents[0].obj is raw
    request.ClearField("raw_input_contents")
    assert ModelInferRequest.FromString(stripped) == request


def test_unusual_or_malformed_messages_are_left_to_the_ordinary_parse():
    raw = predict(a=b"\x00" * 8).SerializeToString()
    assert wire.split_map_bytes(raw[:-3], 2, 4) is None  # truncated
    assert wire.split_map_bytes(b"\x0b\x0c" + raw, 2, 4) is None  # a group (wire type 3)
    assert wire.split_map_bytes(b"\x10\x01" + raw, 2, 4) is None  # field 2 as a varint
    value = TensorProto(dtype=DataType.DT_FLOAT).SerializeToString()
    entry = b"\x0a\x01a" + b"\x12" + bytes([len(value)]) + value + b"\x12" + bytes([len(value)]) + value
    assert wire.split_map_bytes(b"\x12" + bytes([len(entry)]) + entry, 2, 4) is None  # value given twice
    bad_key = b"\x0a\x02\xff\xfe"
    assert wire.split_map_bytes(b"\x12" + bytes([len(bad_key)]) + bad_key, 2, 4) is None  # not UTF-8
    assert wire.split_repeated_bytes(b"\x38\x01", 7) is None  # field 7 as a varint


def test_large_requests_reach_the_core_as_views_small_ones_as_parsed():
    from ovms.api_grpc import kserve_messages, tfs_messages

    big = np.arange(wire.MIN_SIZE // 4, dtype=np.float32).tobytes()
    raw = predict(x=big).SerializeToString()
    request, contents = tfs_messages.parse_predict(raw)
    tensor = tfs_messages.to_infer_request(request, None, contents).inputs["x"]
    assert isinstance(tensor.buffer, memoryview) and tensor.buffer.obj is raw and bytes(tensor.buffer) == big
    small = predict(x=b"\x00" * 8).SerializeToString()
    request, contents = tfs_messages.parse_predict(small)
    assert contents is None and tfs_messages.to_infer_request(request, None, contents).inputs["x"].buffer == b"\x00" * 8

    infer = ModelInferRequest(model_name="m")
    infer.inputs.add(name="x", datatype="FP32", shape=[len(big) // 4])
    infer.raw_input_contents.append(big)
    raw = infer.SerializeToString()
    request, raw_contents = kserve_messages.parse_model_infer(raw)
    tensor = kserve_messages.to_infer_request(request, None, raw_contents).inputs["x"]
    assert isinstance(tensor.buffer, memoryview) and tensor.buffer.obj is raw


def test_split_agrees_with_upb_on_random_requests():
    rng = np.random.default_rng(7)
    names = ["x", "y", "\u00e9t\u00e9", "a b", ""]
    for _ in range(300):
        parts = []
        for _ in range(int(rng.integers(1, 3))):  # two serialized messages concatenated merge
            request = PredictRequest()
            request.model_spec.name = str(rng.choice(["m", "model", ""]))
            if rng.random() < 0.5:
                request.model_spec.version.value = int(rng.integers(0, 1 << 40))
            for name in rng.choice(names, size=int(rng.integers(0, 4)), replace=False):
                tensor = request.inputs[str(name)]
                tensor.dtype = int(rng.choice([DataType.DT_FLOAT, DataType.DT_INT64, DataType.DT_STRING]))
                for _ in range(int(rng.integers(0, 3))):
                    tensor.tensor_shape.dim.add().size = int(rng.integers(0, 300))
                if rng.random() < 0.7:
                    tensor.tensor_content = rng.bytes(int(rng.integers(0, 3000)))
                if rng.random() < 0.3:
                    tensor.float_val.extend(rng.random(3).tolist())
            parts.append(request.SerializeToString())
        raw = b"".join(parts)
        expected = PredictRequest.FromString(raw)
        split = wire.split_map_bytes(raw, 2, 4)
        assert split is not None
        stripped, contents = split
        assert {k: bytes(v) for k, v in contents.items()} == {
            k: t.tensor_content for k, t in expected.inputs.items() if t.tensor_content}
        for tensor in expected.inputs.values():
            tensor.ClearField("tensor_content")
        assert PredictRequest.FromString(stripped) == expected
