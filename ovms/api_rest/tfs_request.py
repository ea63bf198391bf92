"""TF Serving REST predict bodies -> domain input tensors (OVMS's ``TFSRestParser`` rules).

Row format ``{"instances": [...]}`` and column format ``{"inputs": ...}``, each named (objects
keyed by input name) or no-named (bare arrays). JSON carries no precision: tensors are built with
``precision=None`` (the core casts to the model's precision) except strings and ``{"b64": ...}``
values, which are STRING. No-named tensors are bound to the model's only input by the caller,
which needs the model's metadata for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.tensors import NotAnArray, json_to_array
from ovms.types import InputTensor

Order = Literal["row", "column"]


@dataclass(slots=True)
class TfsPredict:
    """A parsed predict body: ``named`` inputs, or one ``nonamed`` tensor, and the order used."""

    order: Order
    named: dict[str, InputTensor] | None = None
    nonamed: InputTensor | None = None


def parse_predict(doc: Any) -> TfsPredict:
    """Interpret a parsed JSON body; raises RestError with OVMS's parser texts."""
    if type(doc) is not dict:
        raise RestError(texts.BODY_NOT_OBJECT)
    has_rows, has_columns = "instances" in doc, "inputs" in doc
    if has_rows == has_columns:
        raise RestError(texts.UNKNOWN_ORDER)
    if has_rows:
        return _parse_rows(doc["instances"])
    return _parse_columns(doc["inputs"])


def _parse_rows(instances: Any) -> TfsPredict:
    if type(instances) is not list:
        raise RestError(texts.INSTANCES_NOT_ARRAY)
    if not instances:
        raise RestError(texts.NO_INSTANCES)
    first = instances[0]
    if type(first) is dict and not _is_b64(first):
        return TfsPredict("row", named=_named_rows(instances))
    if _is_nonamed_value(first):
        return TfsPredict("row", nonamed=_tensor(instances, texts.INSTANCE_NOT_NDARRAY))
    raise RestError(texts.NOT_NAMED_OR_NONAMED)


def _named_rows(instances: list[Any]) -> dict[str, InputTensor]:
    """Each instance adds one to dimension 0 of every input it names."""
    for instance in instances:
        if type(instance) is not dict:
            raise RestError(texts.NAMED_INSTANCE_NOT_OBJECT)
        if not instance:
            raise RestError(texts.INSTANCE_NOT_NDARRAY)
    names = dict.fromkeys(name for instance in instances for name in instance)
    tensors: dict[str, InputTensor] = {}
    for name in names:
        rows = [instance[name] for instance in instances if name in instance]
        if len(rows) != len(instances):
            raise RestError(texts.BATCH_SIZES_DIFFER)
        tensors[name] = _tensor(rows, texts.INSTANCE_NOT_NDARRAY)
    return tensors


def _parse_columns(inputs: Any) -> TfsPredict:
    if type(inputs) is dict and not _is_b64(inputs):
        if not inputs:
            raise RestError(texts.NO_INPUTS)
        named = {name: _tensor(value, texts.INPUT_NOT_NDARRAY) for name, value in inputs.items()}
        return TfsPredict("column", named=named)
    if _is_nonamed_value(inputs):
        return TfsPredict("column", nonamed=_tensor(inputs, texts.INPUT_NOT_NDARRAY))
    raise RestError(texts.INPUTS_NOT_OBJECT)


def _tensor(value: Any, error_text: str) -> InputTensor:
    try:
        precision, array = json_to_array(value)
    except NotAnArray:
        raise RestError(error_text) from None
    return InputTensor(precision=precision, shape=None, values=array)


def _is_nonamed_value(value: Any) -> bool:
    # JSON booleans are not numbers for OVMS; bool is an int subclass in Python.
    kind = type(value)
    return kind in (list, int, float, str) or (kind is dict and _is_b64(value))


def _is_b64(value: dict[str, Any]) -> bool:
    """OVMS's ``isBinary``: an object with exactly one member ``b64`` holding a string."""
    return len(value) == 1 and type(value.get("b64")) is str
