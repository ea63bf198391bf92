"""Domain types shared by the core and the edges: precisions, tensor specs, requests, statuses.

Tensors are numpy arrays. Edges build :class:`InputTensor` objects from their wire format without
interpreting them against the model; the core validates them in OVMS's order (see ``validation.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Literal, Union

import numpy as np


class Precision(str, Enum):
    """OVMS precision names (as printed in error messages) with their numpy dtypes."""

    FP32 = "FP32"
    FP64 = "FP64"
    FP16 = "FP16"
    I8 = "I8"
    I16 = "I16"
    I32 = "I32"
    I64 = "I64"
    U8 = "U8"
    U16 = "U16"
    U32 = "U32"
    U64 = "U64"
    BOOL = "BOOL"
    STRING = "STRING"

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of the precision; STRING tensors are object arrays of ``bytes``."""
        return _DTYPES[self]

    @property
    def itemsize(self) -> int:
        """Bytes per element; 0 for STRING (variable length)."""
        return 0 if self is Precision.STRING else _DTYPES[self].itemsize

    @classmethod
    def from_dtype(cls, dtype: np.dtype) -> "Precision":
        """The precision of a numpy dtype; raises KeyError for unsupported dtypes."""
        if dtype.kind in ("O", "S", "U"):
            return cls.STRING
        return _BY_DTYPE[np.dtype(dtype)]


_DTYPES: dict[Precision, np.dtype] = {
    Precision.FP32: np.dtype(np.float32),
    Precision.FP64: np.dtype(np.float64),
    Precision.FP16: np.dtype(np.float16),
    Precision.I8: np.dtype(np.int8),
    Precision.I16: np.dtype(np.int16),
    Precision.I32: np.dtype(np.int32),
    Precision.I64: np.dtype(np.int64),
    Precision.U8: np.dtype(np.uint8),
    Precision.U16: np.dtype(np.uint16),
    Precision.U32: np.dtype(np.uint32),
    Precision.U64: np.dtype(np.uint64),
    Precision.BOOL: np.dtype(np.bool_),
    Precision.STRING: np.dtype(object),
}
_BY_DTYPE: dict[np.dtype, Precision] = {d: p for p, d in _DTYPES.items() if p is not Precision.STRING}

# A dimension of a model's tensor: a fixed size, -1 (any size) or an inclusive (min, max) range.
Dim = Union[int, tuple[int, int]]


def format_dim(dim: Dim) -> str:
    """OVMS rendering of a dimension: ``3``, ``-1`` or ``[200~500]``."""
    return f"[{dim[0]}~{dim[1]}]" if isinstance(dim, tuple) else str(dim)


def format_shape(shape: tuple[Dim, ...] | tuple[int, ...]) -> str:
    """OVMS rendering of a shape: ``(1,3,-1,[200~500])``."""
    return "(" + ",".join(format_dim(d) for d in shape) + ")"


def dim_accepts(dim: Dim, size: int) -> bool:
    """Whether a request dimension of ``size`` fits the model dimension ``dim``."""
    if isinstance(dim, tuple):
        return dim[0] <= size <= dim[1]
    return dim == -1 or dim == size


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One model input or output as exposed to clients (after mapping_config.json renames).

    ``shape`` uses -1 for any size and (min, max) for ranges; metadata reports both as -1.
    ``batch_index`` is the position of the ``N`` dimension from the layout (0 by default), or
    None when the layout has no batch dimension. ``layout`` is the client-facing layout configured
    for an input (``"NHWC"`` for ``--layout NHWC:NCHW``), None for OVMS's default ``N...``.
    """

    name: str
    precision: Precision
    shape: tuple[Dim, ...]
    batch_index: int | None = 0
    layout: str | None = None

    @property
    def metadata_shape(self) -> list[int]:
        """The shape as metadata reports it: ranges and dynamic dimensions are -1."""
        return [-1 if isinstance(d, tuple) else d for d in self.shape]


@dataclass(frozen=True, slots=True)
class ModelMetadata:
    """Inputs and outputs of one served model version, in the model's order."""

    name: str
    version: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


class ModelState(IntEnum):
    """OVMS model version lifecycle states with OVMS's numbers."""

    START = 10
    LOADING = 20
    AVAILABLE = 30
    UNLOADING = 40
    END = 50


class ErrorCode(IntEnum):
    """``status.error_code`` of a model version (tensorflow.error.Code numbers)."""

    OK = 0
    UNKNOWN = 2
    FAILED_PRECONDITION = 9


@dataclass(frozen=True, slots=True)
class VersionStatus:
    """Status of one model version as GetModelStatus reports it.

    ``error_message`` is always the code's name (OVMS behaviour); ``detail`` keeps the real cause of
    a failed load for logs and for ``/v1/config``-style diagnostics.
    """

    version: int
    state: ModelState
    error_code: ErrorCode = ErrorCode.OK
    detail: str = ""

    @property
    def error_message(self) -> str:
        return self.error_code.name


# The two APIs; OVMS words some errors differently in each.
Api = Literal["TensorFlowServing", "KServe"]


@dataclass(frozen=True, slots=True)
class Frontend:
    """Which API and transport a request came through (error texts and metric labels differ)."""

    api: Api
    interface: Literal["gRPC", "REST"]


TFS_GRPC = Frontend("TensorFlowServing", "gRPC")
TFS_REST = Frontend("TensorFlowServing", "REST")
KSERVE_GRPC = Frontend("KServe", "gRPC")
KSERVE_REST = Frontend("KServe", "REST")


@dataclass(slots=True)
class InputTensor:
    """One request input as received, before validation against the model.

    Exactly one of ``buffer`` and ``values`` holds the data:
    - ``buffer``: raw little-endian bytes in row-major order (``tensor_content``, KServe raw or
      binary data). The core checks its length against ``shape`` ("Invalid content size").
    - ``values``: a numpy array of already-typed values (typed proto fields, JSON), either flat or
      already shaped; the core checks the element count ("Invalid number of values"). For STRING
      tensors ``values`` is an object array (or list) of ``bytes``.

    ``precision`` is the client's declared precision, or None when the wire format has none (TFS
    REST): then the values are cast to the model's precision, as OVMS does.
    ``shape`` is the declared shape; None means "take it from ``values``" (JSON formats).
    """

    precision: Precision | None
    shape: tuple[int, ...] | None
    buffer: bytes | memoryview | None = None
    values: np.ndarray | list[bytes] | None = None


@dataclass(slots=True)
class InferRequest:
    """A transport-agnostic inference request.

    ``version`` 0 means the model's default version. ``outputs`` None means all outputs, otherwise
    the names to return. ``deadline`` is an absolute ``time.monotonic()`` value or None.
    """

    model_name: str
    version: int
    inputs: dict[str, InputTensor]
    frontend: Frontend
    outputs: tuple[str, ...] | None = None
    deadline: float | None = None
    id: str = ""
    parameters: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class InferResponse:
    """Result of an inference: outputs in the model's output order as numpy arrays."""

    model_name: str
    version: int
    outputs: dict[str, np.ndarray]
    id: str = ""
    parameters: dict[str, object] = field(default_factory=dict)
