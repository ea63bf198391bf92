"""A small in-memory DataPlane for edge tests: numpy "models", OVMS-style errors, a request log.

Models:
- ``add``: versions 1, 2 (AVAILABLE) and 3 (LOADING/UNKNOWN); input ``x`` FP32 [-1, 3] (any
  precision is accepted); output ``y = x + 1`` in the input's dtype (``not x`` for BOOL).
- ``multi``: inputs ``a``, ``b`` -> outputs ``sum = a + b`` and ``diff = a - b``.
- ``echo``: STRING input ``text`` -> ``text_out`` with every element upper-cased.
- ``boom``: raises a RuntimeError carrying a secret (the edge must not leak it).
"""

from __future__ import annotations

import numpy as np

from ovms.dataplane import DataPlane
from ovms.errors import OvmsError, Status
from ovms.types import (
    KSERVE_GRPC,
    TFS_GRPC,
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
FP32 = Precision.FP32
MODELS: dict[str, ModelMetadata] = {
    "add": ModelMetadata("add", 2, (TensorSpec("x", FP32, (-1, 3)),), (TensorSpec("y", FP32, (-1, 3)),)),
    "multi": ModelMetadata(
        "multi",
        1,
        (TensorSpec("a", FP32, (1, (2, 5))), TensorSpec("b", FP32, (1, (2, 5)))),
        (TensorSpec("sum", FP32, (1, -1)), TensorSpec("diff", FP32, (1, -1))),
    ),
    "echo": ModelMetadata(
        "echo", 1, (TensorSpec("text", Precision.STRING, (-1,)),), (TensorSpec("text_out", Precision.STRING, (-1,)),)
    ),
    "boom": ModelMetadata("boom", 1, (TensorSpec("x", FP32, (1,)),), (TensorSpec("y", FP32, (1,)),)),
}
STATUSES: dict[str, list[VersionStatus]] = {
    "add": [
        VersionStatus(1, ModelState.AVAILABLE),
        VersionStatus(2, ModelState.AVAILABLE),
        VersionStatus(3, ModelState.LOADING, ErrorCode.UNKNOWN, "no files"),
    ],
}
_NAME_MISSING = {
    TFS_GRPC: Status.PIPELINE_DEFINITION_NAME_MISSING,
    KSERVE_GRPC: Status.MEDIAPIPE_DEFINITION_NAME_MISSING,
}


def decode(tensor: InputTensor) -> np.ndarray:
    """The numpy array an InputTensor describes (what the real core does after validation)."""
    assert tensor.precision is not None and tensor.shape is not None
    if tensor.buffer is not None:
        return np.frombuffer(tensor.buffer, dtype=tensor.precision.dtype).reshape(tensor.shape)
    return np.asarray(tensor.values).reshape(tensor.shape)


def _plus_one(x: np.ndarray) -> np.ndarray:
    return np.logical_not(x) if x.dtype == np.bool_ else x + x.dtype.type(1)


class FakeDataPlane(DataPlane):
    """Implements every DataPlane method over MODELS/STATUSES; records infer requests."""

    def __init__(self) -> None:  # the real DataPlane needs a manager; the fake needs nothing
        self.requests: list[InferRequest] = []

    async def infer(self, request: InferRequest) -> InferResponse:
        self.requests.append(request)
        meta = self._meta(request.model_name, request.version, _NAME_MISSING.get(request.frontend))
        if meta.name == "boom":
            raise RuntimeError(SECRET)
        arrays = {name: decode(t) for name, t in request.inputs.items()}
        outputs = self._compute(meta.name, arrays)
        if request.outputs is not None:
            outputs = {n: outputs[n] for n in request.outputs}
        return InferResponse(meta.name, meta.version, outputs, request.id, {"fake": True})

    @staticmethod
    def _compute(name: str, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if name == "add":
            return {"y": _plus_one(x["x"])}
        if name == "multi":
            return {"sum": x["a"] + x["b"], "diff": x["a"] - x["b"]}
        upper = [s.upper() for s in x["text"].reshape(-1).tolist()]
        return {"text_out": np.array(upper, dtype=object).reshape(x["text"].shape)}

    def _meta(self, name: str, version: int, missing: Status | None = None) -> ModelMetadata:
        if name not in MODELS:
            raise OvmsError(missing or Status.MODEL_NAME_MISSING)
        meta = MODELS[name]
        known = [s.version for s in STATUSES.get(name, [VersionStatus(meta.version, ModelState.AVAILABLE)])]
        if version not in (0, *known):
            raise OvmsError(Status.MODEL_VERSION_MISSING)
        return ModelMetadata(meta.name, version or meta.version, meta.inputs, meta.outputs)

    async def model_metadata(self, name: str, version: int, frontend: Frontend) -> ModelMetadata:
        return self._meta(name, version)

    def model_status(self, name: str, version: int, frontend: Frontend = TFS_GRPC) -> list[VersionStatus]:
        meta = self._meta(name, version)
        statuses = STATUSES.get(name, [VersionStatus(meta.version, ModelState.AVAILABLE)])
        return statuses if version == 0 else [s for s in statuses if s.version == version]

    def available_versions(self, name: str) -> list[int]:
        return [s.version for s in self.model_status(name, 0) if s.state is ModelState.AVAILABLE]

    def model_ready(self, name: str, version: int, frontend: Frontend = KSERVE_GRPC) -> bool:
        meta = self._meta(name, version)
        return self.model_status(name, meta.version)[0].state is ModelState.AVAILABLE

    def server_live(self) -> bool:
        return True

    def server_ready(self) -> bool:
        return True

    def server_metadata(self) -> tuple[str, str]:
        return "OpenVINO Model Server", "2026.11.0"

    async def reload_config(self) -> bool:
        raise AssertionError("HandleReloadConfigRequest must not reload (OVMS: no-op)")

