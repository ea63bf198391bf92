"""TF Serving REST predict body parsing (row/column, named/no-named) and its error texts."""

from __future__ import annotations

import numpy as np
import pytest

from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.tfs_request import parse_predict
from ovms.errors import Status
from ovms.types import Precision


def test_row_named_stacks_instances_along_batch() -> None:
    parsed = parse_predict({"instances": [{"a": [1, 2], "b": 5}, {"a": [3, 4], "b": 6}]})
    assert parsed.order == "row" and parsed.nonamed is None and parsed.named is not None
    a, b = parsed.named["a"], parsed.named["b"]
    assert a.precision is None and a.shape is None
    np.testing.assert_array_equal(a.values, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(b.values, [5, 6])


def test_row_nonamed_is_one_tensor() -> None:
    parsed = parse_predict({"signature_name": "serving_default", "instances": [[1.5, 2], [3, 4]]})
    assert parsed.order == "row" and parsed.named is None and parsed.nonamed is not None
    assert parsed.nonamed.values.shape == (2, 2) and parsed.nonamed.values.dtype == np.float64


def test_row_nonamed_b64_instances() -> None:
    parsed = parse_predict({"instances": [{"b64": "YWJj"}, {"b64": "ZGVm"}]})
    assert parsed.nonamed is not None and parsed.nonamed.precision is Precision.STRING
    assert list(parsed.nonamed.values) == [b"abc", b"def"]


def test_column_named_and_nonamed() -> None:
    parsed = parse_predict({"inputs": {"x": [[1, 2, 3]], "s": [{"b64": "YQ=="}], "n": 7}})
    assert parsed.order == "column" and parsed.named is not None
    assert parsed.named["x"].values.shape == (1, 3)
    assert parsed.named["s"].precision is Precision.STRING and list(parsed.named["s"].values) == [b"a"]
    assert parsed.named["n"].values.shape == ()
    bare = parse_predict({"inputs": [[1, 2, 3]]})
    assert bare.order == "column" and bare.nonamed is not None and bare.nonamed.values.shape == (1, 3)


@pytest.mark.parametrize(
    "doc, text",
    [
        ([1, 2], "Request body should be JSON object"),
        ({}, "Invalid JSON structure. Could not detect row or column format"),
        ({"instances": [[1]], "inputs": [[1]]}, "Invalid JSON structure. Could not detect row or column format"),
        ({"instances": {"a": 1}}, "Invalid JSON structure. Nonamed instance is not an array."),
        ({"instances": []}, "Invalid JSON structure. Missing instances in row format"),
        ({"instances": [{"a": [1]}, [1]]}, "Invalid JSON structure. One of named instances is not a JSON object."),
        ({"instances": [{"a": [1]}, {}]}, "Could not parse instance content. Not valid ndarray detected"),
        ({"instances": [{"a": [1, 2]}, {"a": [1]}]}, "Could not parse instance content. Not valid ndarray detected"),
        ({"instances": [[1, 2], [3]]}, "Could not parse instance content. Not valid ndarray detected"),
        ({"instances": [True]}, "Could not detect neither named or nonamed format"),
        ({"instances": [None]}, "Could not detect neither named or nonamed format"),
        (
            {"instances": [{"a": [1], "b": [2]}, {"a": [3]}]},
            "Invalid JSON structure. Request inputs have different batch sizes",
        ),
        ({"inputs": {}}, "Invalid JSON structure, missing inputs"),
        ({"inputs": True}, "Invalid JSON structure. One of inputs is not a JSON object."),
        ({"inputs": {"x": [[1, 2], [3]]}}, "Could not parse input content. Not valid ndarray detected"),
        ({"inputs": {"x": []}}, "Could not parse input content. Not valid ndarray detected"),
        ({"inputs": [1, "a"]}, "Could not parse input content. Not valid ndarray detected"),
    ],
)
def test_parser_errors_carry_ovms_texts(doc: object, text: str) -> None:
    with pytest.raises(RestError) as caught:
        parse_predict(doc)
    assert str(caught.value) == text
    assert caught.value.status is Status.REST_PARSE_ERROR
