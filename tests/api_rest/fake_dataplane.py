"""An in-memory DataPlane for REST edge tests: numpy "models", OVMS-style errors, a request log.

Models (all FP32 unless said otherwise):
- ``add``: versions 1 and 2 AVAILABLE, 3 LOADING; input ``x`` [-1, 3] -> ``y = x + 1``.
- ``multi``: inputs ``a``, ``b`` [-1, 2] -> ``sum = a + b``, ``diff = a - b``.
- ``echo``: STRING ``text`` [-1] -> ``upper`` (STRING, upper-cased) and ``raw_bytes`` (as is).
- ``half``: ``x`` [-1, 3] -> ``h`` FP16 and ``pos`` BOOL (``x > 0``).
- ``ints``: ``i`` I64 [-1] -> ``o = 2 * i`` (I64).
- ``boom``: raises a RuntimeError carrying :data:`SECRET` (the edge must not leak it).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ovms.dataplane import NONAMED_INPUT, DataPlane
from ovms.errors import OvmsError, Status
from ovms.types import (
    KSERVE_REST,
    TFS_REST,
    ErrorCode,
    Frontend,
    InferRequest,
    InferResponse,
    InputTensor,
    ModelMetadata,
    ModelState,
    Precision,
    TensorSpec,
    VersionStatus,
)

SECRET = "secret-internal-detail"
FP32, STRING = Precision.FP32, Precision.STRING


def _model(name: str, inputs: list[TensorSpec], outputs: list[TensorSpec]) -> ModelMetadata:
    return ModelMetadata(name, 1, tuple(inputs), tuple(outputs))


MODELS: dict[str, ModelMetadata] = {
    "add": ModelMetadata("add", 2, (TensorSpec("x", FP32, (-1, 3)),), (TensorSpec("y", FP32, (-1, 3)),)),
    "multi": _model(
        "multi",
        [TensorSpec("a", FP32, (-1, 2)), TensorSpec("b", FP32, (-1, 2))],
        [TensorSpec("sum", FP32, (-1, 2)), TensorSpec("diff", FP32, (-1, 2))],
    ),
    "echo": _model("echo", [TensorSpec("text", STRING, (-1,))], [TensorSpec("upper", STRING, (-1,)),
                                                                  TensorSpec("raw_bytes", STRING, (-1,))]),
    "half": _model("half", [TensorSpec("x", FP32, (-1, 3))],
                   [TensorSpec("h", Precision.FP16, (-1, 3)), TensorSpec("pos", Precision.BOOL, (-1, 3))]),
    "ints": _model("ints", [TensorSpec("i", Precision.I64, (-1,))], [TensorSpec("o", Precision.I64, (-1,))]),
    "boom": _model("boom", [TensorSpec("x", FP32, (-1,))], [TensorSpec("y", FP32, (-1,))]),
}
STATUSES: dict[str, list[VersionStatus]] = {
    "add": [
        VersionStatus(1, ModelState.AVAILABLE),
        VersionStatus(2, ModelState.AVAILABLE),
        VersionStatus(3, ModelState.LOADING, ErrorCode.UNKNOWN, "no files"),
    ],
}


def decode(spec: TensorSpec, tensor: InputTensor) -> np.ndarray:
    """What the real core does with an InputTensor, minus most validation."""
    precision = tensor.precision or spec.precision
    if precision is not spec.precision:
        raise OvmsError(
            Status.INVALID_PRECISION,
            f"Expected: {spec.precision.value}; Actual: {precision.value}; input name: {spec.name}",
        )
    if tensor.buffer is not None:
        return np.frombuffer(tensor.buffer, dtype=precision.dtype).reshape(tensor.shape)
    values = np.asarray(tensor.values).astype(precision.dtype)
    return values.reshape(tensor.shape) if tensor.shape is not None else values


def compute(name: str, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if name == "add":
        return {"y": x["x"] + 1}
    if name == "multi":
        return {"sum": x["a"] + x["b"], "diff": x["a"] - x["b"]}
    if name == "echo":
        upper = np.frompyfunc(bytes.upper, 1, 1)(x["text"]).astype(object)
        return {"upper": upper, "raw_bytes": x["text"]}
    if name == "half":
        return {"h": x["x"].astype(np.float16), "pos": x["x"] > 0}
    if name == "ints":
        return {"o": x["i"] * 2}
    raise RuntimeError(f"model exploded: {SECRET}")


class FakeDataPlane(DataPlane):
    """Serves :data:`MODELS`; ``requests`` logs every InferRequest; ``reload_result`` is returned."""

    def __init__(self) -> None:
        self.requests: list[InferRequest] = []
        self.ready = True
        self.reload_result: bool | OvmsError = True

    def _meta(self, name: str, version: int, frontend: Frontend | None = None) -> ModelMetadata:
        meta = MODELS.get(name)
        if meta is None:
            missing = Status.MEDIAPIPE_DEFINITION_NAME_MISSING if frontend is KSERVE_REST else Status.MODEL_NAME_MISSING
            raise OvmsError(missing)
        if version == 3 and name == "add":
            raise OvmsError(Status.MODEL_VERSION_NOT_LOADED_YET)
        if version not in (0, 1, meta.version):
            raise OvmsError(Status.MODEL_VERSION_MISSING)
        return replace(meta, version=version or meta.version)

    async def infer(self, request: InferRequest) -> InferResponse:
        self.requests.append(request)
        meta = self._meta(request.model_name, request.version, request.frontend)
        if NONAMED_INPUT in request.inputs:  # as the real core: the no-named tensor feeds the only input
            if len(meta.inputs) != 1:
                raise OvmsError(Status.INVALID_INPUT_FORMAT)
            request.inputs = {meta.inputs[0].name: request.inputs[NONAMED_INPUT]}
        if len(request.inputs) != len(meta.inputs):
            raise OvmsError(Status.INVALID_NO_OF_INPUTS, f"Expected: {len(meta.inputs)}; Actual: {len(request.inputs)}")
        arrays = {}
        for spec in meta.inputs:
            if spec.name not in request.inputs:
                raise OvmsError(Status.INVALID_MISSING_INPUT, f"Required input: {spec.name}")
            arrays[spec.name] = decode(spec, request.inputs[spec.name])
        outputs = compute(meta.name, arrays)
        if request.outputs is not None:
            outputs = {k: v for k, v in outputs.items() if k in request.outputs}
        return InferResponse(meta.name, meta.version, outputs, request.id, {"echoed": True})

    async def model_metadata(self, name: str, version: int, frontend: Frontend) -> ModelMetadata:
        return self._meta(name, version, frontend)

    def model_status(self, name: str, version: int, frontend: Frontend = TFS_REST) -> list[VersionStatus]:
        self._meta(name, 0)
        statuses = STATUSES.get(name, [VersionStatus(1, ModelState.AVAILABLE)])
        chosen = [s for s in statuses if version in (0, s.version)]
        if not chosen:
            raise OvmsError(Status.MODEL_VERSION_MISSING)
        return chosen

    def available_versions(self, name: str) -> list[int]:
        return [s.version for s in self.model_status(name, 0) if s.state is ModelState.AVAILABLE]

    def model_ready(self, name: str, version: int, frontend: Frontend = KSERVE_REST) -> bool:
        if name == "add" and version == 3:
            return False
        self._meta(name, version)
        return True

    def server_live(self) -> bool:
        return True

    def server_ready(self) -> bool:
        return self.ready

    def server_metadata(self) -> tuple[str, str]:
        return "OpenVINO Model Server", "2026.11.0"

    async def reload_config(self) -> bool:
        if isinstance(self.reload_result, OvmsError):
            raise self.reload_result
        return self.reload_result

    def config_status(self) -> dict[str, list[VersionStatus]]:
        return {name: self.model_status(name, 0) for name in sorted(MODELS)}
