"""KServe v2 REST infer bodies -> domain inputs, with the binary data extension.

The body is a JSON header, optionally followed by tensor bytes when the client sends
``Inference-Header-Content-Length`` (the JSON's length). Inputs without ``data`` take their bytes
from that tail in order: ``parameters.binary_data_size`` bytes, else ``prod(shape) * itemsize``,
else (a lone BYTES input) the whole tail. Numeric binary inputs stay zero-copy ``memoryview``
slices of the body; BYTES elements (4-byte little-endian length prefixes) become ``bytes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.dtypes import PRECISION_OF_DATATYPE
from ovms.api_rest.jsonio import loads
from ovms.api_rest.kserve_values import data_values, parameters
from ovms.api_rest.rest_errors import RestError
from ovms.errors import OvmsError, Status
from ovms.strings import split_length_prefixed
from ovms.types import InputTensor, Precision

_WHOLE_TAIL = -1


@dataclass(slots=True)
class KServeInfer:
    """A parsed infer request; ``binary`` maps requested outputs to their ``binary_data`` choice."""

    id: str
    parameters: dict[str, object]
    inputs: dict[str, InputTensor]
    outputs: tuple[str, ...] | None
    binary: dict[str, bool] = field(default_factory=dict)
    binary_default: bool = False

    def wants_binary(self, output: str) -> bool:
        """Per-output ``binary_data`` wins over the request's ``binary_data_output``."""
        return self.binary.get(output, self.binary_default)


@dataclass(slots=True)
class _Pending:
    """An input whose data comes from the binary tail."""

    name: str
    precision: Precision
    shape: tuple[int, ...]
    size: int | None  # binary_data_size; None: from the shape; _WHOLE_TAIL: all that is left


def parse_infer(body: bytes, header_length: int | None) -> KServeInfer:
    """Parse ``body`` (JSON, plus binary tail when ``header_length`` is given); raises OvmsError."""
    end = len(body) if header_length is None else header_length
    if end > len(body):
        raise RestError(texts.HEADER_LENGTH_EXCEEDS)
    view = memoryview(body)
    doc = loads(view[:end])
    if type(doc) is not dict:
        raise RestError(texts.BODY_NOT_OBJECT)
    request = _header_fields(doc)
    pending = _parse_inputs(doc.get("inputs"), request.inputs)
    _attach_binary(pending, view[end:], request.inputs)
    return request


def _header_fields(doc: dict[str, Any]) -> KServeInfer:
    request_id = doc.get("id", "")
    if type(request_id) is not str:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    params = parameters(doc.get("parameters"))
    names, binary = _parse_outputs(doc.get("outputs"))
    default = params.get("binary_data_output") is True
    return KServeInfer(request_id, params, {}, names, binary, default)


def _parse_outputs(node: Any) -> tuple[tuple[str, ...] | None, dict[str, bool]]:
    if node is None:
        return None, {}
    if type(node) is not list:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    binary: dict[str, bool] = {}
    for output in node:
        if type(output) is not dict or type(output.get("name")) is not str:
            raise RestError(texts.OUTPUT_NOT_PARSED)
        choice = parameters(output.get("parameters")).get("binary_data")
        if type(choice) is bool:
            binary[output["name"]] = choice
    names = tuple(dict.fromkeys(output["name"] for output in node))
    return names or None, binary


def _parse_inputs(node: Any, inputs: dict[str, InputTensor]) -> list[_Pending]:
    """Fill ``inputs`` with JSON-data tensors; return the inputs waiting for binary data."""
    if node is None:
        raise RestError(texts.NO_INPUTS)
    if type(node) is not list:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    if not node:
        raise RestError(texts.NO_INPUTS)
    pending: list[_Pending] = []
    for item in node:
        waiting = _parse_input(item, only_one=len(node) == 1, inputs=inputs)
        if waiting is not None:
            pending.append(waiting)
    return pending


def _parse_input(node: Any, only_one: bool, inputs: dict[str, InputTensor]) -> _Pending | None:
    """Add a JSON-data input to ``inputs``, or describe the binary data it waits for."""
    if type(node) is not dict or type(node.get("name")) is not str:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    name, shape, precision = node["name"], _shape(node.get("shape")), _precision(node.get("datatype"))
    size = parameters(node.get("parameters")).get("binary_data_size")
    data = node.get("data")
    values = None if data is None else data_values(data, precision)
    # Empty ``data`` with a binary_data_size counts as no data (OVMS's isInputEmpty).
    if values is not None and (values.size or size is None):
        if size is not None:
            raise RestError(texts.BOTH_BINARY_AND_JSON)
        inputs[name] = InputTensor(precision, shape, values=values)
        return None
    return _pending(name, precision, shape, size, only_one)


def _pending(name: str, precision: Precision, shape: tuple[int, ...], size: object, only_one: bool) -> _Pending:
    if size is not None:
        if type(size) is not int or size < 0:
            raise RestError(texts.BINARY_SIZE_INVALID)
        return _Pending(name, precision, shape, size)
    if precision is Precision.STRING:
        # A BYTES tensor's size does not follow from its shape: only a lone [1] input may go
        # without binary_data_size, and it takes the whole tail.
        if not only_one or shape != (1,):
            raise RestError(texts.INPUT_NOT_NDARRAY)
        return _Pending(name, precision, shape, _WHOLE_TAIL)
    return _Pending(name, precision, shape, None)


def _shape(node: Any) -> tuple[int, ...]:
    if type(node) is not list or any(type(d) is not int or d < 0 for d in node):
        raise RestError(texts.INPUT_NOT_NDARRAY)
    return tuple(node)


def _precision(node: Any) -> Precision:
    if type(node) is not str:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    precision = PRECISION_OF_DATATYPE.get(node)
    if precision is None:
        raise OvmsError(Status.UNSUPPORTED_PRECISION)
    return precision


def _attach_binary(pending: list[_Pending], tail: memoryview, inputs: dict[str, InputTensor]) -> None:
    offset = 0
    for item in pending:
        size = item.size
        if size is None:
            size = math.prod(item.shape) * item.precision.itemsize
        elif size == _WHOLE_TAIL:
            size = len(tail) - offset
        if offset + size > len(tail):
            raise RestError(texts.BINARY_BUFFER_EXCEEDED)
        inputs[item.name] = _binary_tensor(item, tail[offset : offset + size])
        offset += size


def _binary_tensor(item: _Pending, blob: memoryview) -> InputTensor:
    if item.precision is not Precision.STRING:
        return InputTensor(item.precision, item.shape, buffer=blob)
    try:
        elements = split_length_prefixed(blob)
    except ValueError:
        raise OvmsError(Status.INVALID_INPUT_FORMAT) from None
    values = np.empty(len(elements), dtype=object)
    values[:] = elements
    return InputTensor(item.precision, item.shape, values=values)
