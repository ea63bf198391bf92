"""Names of precisions on the REST wire: TF Serving ``DT_*`` and KServe datatypes.

Also which output precisions each JSON API can serialize, as in OVMS: TFS REST has no FP16, BOOL
or U16 branch, KServe JSON has no FP16 branch (binary outputs carry any precision).
"""

from __future__ import annotations

from ovms.types import Precision

TFS_DTYPE: dict[Precision, str] = {
    Precision.FP32: "DT_FLOAT",
    Precision.FP64: "DT_DOUBLE",
    Precision.FP16: "DT_HALF",
    Precision.I8: "DT_INT8",
    Precision.I16: "DT_INT16",
    Precision.I32: "DT_INT32",
    Precision.I64: "DT_INT64",
    Precision.U8: "DT_UINT8",
    Precision.U16: "DT_UINT16",
    Precision.U32: "DT_UINT32",
    Precision.U64: "DT_UINT64",
    Precision.BOOL: "DT_BOOL",
    Precision.STRING: "DT_STRING",
}

KSERVE_DATATYPE: dict[Precision, str] = {
    Precision.FP32: "FP32",
    Precision.FP64: "FP64",
    Precision.FP16: "FP16",
    Precision.I8: "INT8",
    Precision.I16: "INT16",
    Precision.I32: "INT32",
    Precision.I64: "INT64",
    Precision.U8: "UINT8",
    Precision.U16: "UINT16",
    Precision.U32: "UINT32",
    Precision.U64: "UINT64",
    Precision.BOOL: "BOOL",
    Precision.STRING: "BYTES",
}

PRECISION_OF_DATATYPE: dict[str, Precision] = {name: p for p, name in KSERVE_DATATYPE.items()}

TFS_JSON_OUTPUTS: frozenset[Precision] = frozenset(TFS_DTYPE) - {
    Precision.FP16,
    Precision.BOOL,
    Precision.U16,
}
KSERVE_JSON_OUTPUTS: frozenset[Precision] = frozenset(KSERVE_DATATYPE) - {Precision.FP16}
