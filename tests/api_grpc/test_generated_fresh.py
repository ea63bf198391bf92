"""The committed generated modules are exactly what tools/gen_protos.py produces today."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "ovms" / "api_grpc" / "generated"
GENERATOR = REPO / "tools" / "gen_protos.py"


def files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_modules_are_fresh(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, capture_output=True)
    fresh, committed = files(tmp_path), files(GENERATED)
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, f"stale generated files {stale}: run `python tools/gen_protos.py` and commit the result"


def test_version_check_is_pinned_to_the_pyproject_floor() -> None:
    floor = re.search(r'"protobuf>=([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert floor is not None
    major, minor, *patch = (int(p) for p in floor.group(1).split("."))
    for name, text in files(GENERATED).items():
        if name.endswith("_pb2.py"):
            pinned = re.search(r"Domain\.PUBLIC,\n\s+(\d+),\n\s+(\d+),\n\s+(\d+),", text)
            assert pinned is not None, name
            assert (int(pinned[1]), int(pinned[2])) == (major, minor), name
            assert int(pinned[3]) <= (patch[0] if patch else 99), name


@pytest.fixture(scope="module")
def floor_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh venv holding only the oldest protobuf that pyproject.toml allows."""
    floor = re.search(r'"protobuf>=([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert floor is not None
    venv = tmp_path_factory.mktemp("protobuf-floor")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", f"protobuf=={floor.group(1)}"], check=True)
    return python


@pytest.mark.parametrize("implementation", ["upb", "python"])
def test_generated_modules_import_under_the_floor_protobuf(floor_python: str, implementation: str) -> None:
    code = (
        "from ovms.api_grpc.generated.tfs import predict_pb2, get_model_metadata_pb2, get_model_status_pb2, "
        "model_management_pb2\nfrom ovms.api_grpc.generated.kserve import grpc_service_pb2\n"
        "r = predict_pb2.PredictRequest(); r.inputs['x'].tensor_content = b'1234'\n"
        "assert predict_pb2.PredictRequest.FromString(r.SerializeToString()) == r\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": implementation}
    subprocess.run([floor_python, "-c", code], check=True, env=env, cwd="/")
