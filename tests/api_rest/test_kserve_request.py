"""KServe v2 REST infer parsing: JSON data, parameters, outputs and the binary data extension."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pytest

from ovms.api_rest.kserve_request import parse_infer
from ovms.errors import OvmsError, Status
from ovms.types import Precision


def body(doc: dict, tail: bytes = b"") -> tuple[bytes, int | None]:
    head = orjson.dumps(doc)
    return head + tail, (len(head) if tail else None)


def tensor(name: str, shape: list[int], datatype: str, **extra: object) -> dict:
    return {"name": name, "shape": shape, "datatype": datatype, **extra}


def test_json_data_nested_or_flat_typed_by_datatype() -> None:
    doc = {
        "id": "req-1",
        "parameters": {"priority": 2, "tag": "x", "flag": True},
        "inputs": [
            tensor("a", [2, 2], "FP32", data=[[1, 2], [3, 4]]),
            tensor("b", [3], "INT8", data=[1, -2, 3]),
            tensor("c", [2], "BOOL", data=[True, False]),
            tensor("d", [2], "BYTES", data=["hi", "there"]),
        ],
    }
    parsed = parse_infer(*body(doc))
    assert parsed.id == "req-1" and parsed.parameters == {"priority": 2, "tag": "x", "flag": True}
    assert parsed.outputs is None and not parsed.wants_binary("anything")
    a, b, c, d = (parsed.inputs[k] for k in "abcd")
    assert a.precision is Precision.FP32 and a.shape == (2, 2) and a.values.dtype == np.float32
    np.testing.assert_array_equal(a.values, [1, 2, 3, 4])
    assert b.values.dtype == np.int8 and c.values.dtype == np.bool_
    assert d.precision is Precision.STRING and list(d.values) == [b"hi", b"there"]


def test_requested_outputs_and_binary_choices() -> None:
    doc = {
        "parameters": {"binary_data_output": True},
        "inputs": [tensor("a", [1], "FP32", data=[1])],
        "outputs": [{"name": "y", "parameters": {"binary_data": False}}, {"name": "z"}],
    }
    parsed = parse_infer(*body(doc))
    assert parsed.outputs == ("y", "z")
    assert not parsed.wants_binary("y") and parsed.wants_binary("z")


def test_binary_inputs_are_sliced_in_order() -> None:
    a = np.arange(6, dtype=np.float32)
    strings = struct.pack("<I", 2) + b"hi" + struct.pack("<I", 0)
    c = np.array([7, 8], dtype=np.int64)
    doc = {
        "inputs": [
            tensor("a", [2, 3], "FP32", parameters={"binary_data_size": a.nbytes}),
            tensor("s", [2], "BYTES", parameters={"binary_data_size": len(strings)}),
            tensor("j", [1], "INT32", data=[5]),
            tensor("c", [2], "INT64"),  # size from shape
        ]
    }
    parsed = parse_infer(*body(doc, a.tobytes() + strings + c.tobytes()))
    got_a = parsed.inputs["a"]
    assert isinstance(got_a.buffer, memoryview) and got_a.values is None and got_a.shape == (2, 3)
    np.testing.assert_array_equal(np.frombuffer(got_a.buffer, np.float32), a)
    assert list(parsed.inputs["s"].values) == [b"hi", b""]
    np.testing.assert_array_equal(parsed.inputs["j"].values, [5])
    np.testing.assert_array_equal(np.frombuffer(parsed.inputs["c"].buffer, np.int64), c)


def test_lone_bytes_input_takes_the_whole_tail() -> None:
    blob = struct.pack("<I", 3) + b"abc"
    parsed = parse_infer(*body({"inputs": [tensor("s", [1], "BYTES")]}, blob))
    assert list(parsed.inputs["s"].values) == [b"abc"]


INPUT_TEXT = "Could not parse input content. Not valid ndarray detected"
CASES = [
    ({"inputs": []}, "Invalid JSON structure, missing inputs"),
    ({"id": 5, "inputs": []}, INPUT_TEXT),
    ({}, "Invalid JSON structure, missing inputs"),
    ({"inputs": {"name": "a"}}, INPUT_TEXT),
    ({"inputs": [tensor("a", [1], "FP32", data=[1])], "parameters": {"p": 1.5}}, "Could not parse request parameters"),
    ({"inputs": [tensor("a", [1], "FP32", data=[1])], "outputs": [{"nom": "y"}]}, "Could not parse output content."),
    ({"inputs": [tensor("a", [-1], "FP32", data=[1])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "FP32", data=[[1, 2], [3]])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "INT32", data=[1.5, 2])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "UINT8", data=[-1, 2])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "FP16", data=[1, 2])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "BYTES", data=["a", 1])]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "BYTES")]}, INPUT_TEXT),
    ({"inputs": [tensor("a", [2], "FP32")]}, "Received buffer size is smaller than binary_data_size parameter indicates"),
    (
        {"inputs": [tensor("a", [1], "FP32", data=[1], parameters={"binary_data_size": 4})]},
        "Request contains values both in binary data and in content value",
    ),
    (
        {"inputs": [tensor("a", [1], "FP32", parameters={"binary_data_size": "4"})]},
        "binary_data_size parameter is invalid and cannot be parsed",
    ),
    ([1], "Request body should be JSON object"),
]


@pytest.mark.parametrize("doc, text", CASES)
def test_errors_carry_ovms_texts(doc: object, text: str) -> None:
    with pytest.raises(OvmsError) as caught:
        parse_infer(orjson.dumps(doc), None)
    assert str(caught.value) == text


def test_unknown_datatype_is_unsupported_precision() -> None:
    with pytest.raises(OvmsError) as caught:
        parse_infer(*body({"inputs": [tensor("a", [1], "BF16", data=[1])]}))
    assert caught.value.status is Status.UNSUPPORTED_PRECISION


def test_header_length_beyond_body_and_invalid_json() -> None:
    payload = orjson.dumps({"inputs": []})
    with pytest.raises(OvmsError) as caught:
        parse_infer(payload, len(payload) + 1)
    assert str(caught.value) == "Inference-Header-Content-Length header exceeds actual payload length"
    with pytest.raises(OvmsError) as caught:
        parse_infer(b'{"inputs": [', None)
    assert caught.value.status is Status.JSON_INVALID
    assert str(caught.value).startswith("The file is not valid json - Error: ")


def test_short_binary_tail_and_malformed_bytes() -> None:
    doc = {"inputs": [tensor("a", [1], "FP32", parameters={"binary_data_size": 8})]}
    with pytest.raises(OvmsError, match="smaller than binary_data_size"):
        parse_infer(*body(doc, b"\x00" * 4))
    with pytest.raises(OvmsError) as caught:
        parse_infer(*body({"inputs": [tensor("s", [1], "BYTES")]}, b"\x09\x00\x00\x00ab"))
    assert caught.value.status is Status.INVALID_INPUT_FORMAT
