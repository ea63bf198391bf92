"""A model repository in every supported format and one real daemon serving it, per session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import modelfactory as mf
from tests.e2e.daemon import Daemon, start_daemon

FORMATS = ("ir", "onnx", "saved_model", "tflite", "paddle")


def build_repository(root: Path) -> dict[str, dict[int, mf.ModelSpec]]:
    """Models for the e2e suite; returns name -> version -> spec."""
    specs: dict[str, dict[int, mf.ModelSpec]] = {
        "dummy": {1: mf.build_dummy_ir(root / "dummy/1", 1.0), 2: mf.build_dummy_ir(root / "dummy/2", 2.0)},
        "add_sub": {1: mf.build_add_sub_onnx(root / "add_sub/1")},
        "dynamic": {1: mf.build_dynamic_ir(root / "dynamic/1")},
        "saved_model": {1: mf.build_dummy_saved_model(root / "saved_model/1")},
        "tflite": {1: mf.build_dummy_tflite(root / "tflite/1")},
        "paddle": {1: mf.build_dummy_paddle(root / "paddle/1")},
        "int32": {1: mf.build_typed_ir(root / "int32/1", "int32", increment=3)},
        "fp64": {1: mf.build_typed_ir(root / "fp64/1", "float64", increment=0.5)},
        "reshape": {1: mf.build_reshape_ir(root / "reshape/1")},
        "strings": {1: mf.build_strings_ir(root / "strings/1")},
    }
    mf.build_broken_ir(root / "broken/1")
    mf.build_empty_version(root / "empty/1")
    return specs


def write_config(path: Path, repo: Path, names: list[str], policies: dict[str, dict] | None = None) -> Path:
    entries = []
    for name in names:
        config: dict = {"name": name, "base_path": str(repo / name)}
        if policies and name in policies:
            config["model_version_policy"] = policies[name]
        entries.append({"config": config})
    path.write_text(json.dumps({"model_config_list": entries}, indent=2))
    return path


@pytest.fixture(scope="session")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[int, mf.ModelSpec]]]:
    root = tmp_path_factory.mktemp("models")
    return root, build_repository(root)


@pytest.fixture(scope="session")
def daemon(repository, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon serving every model of the repository (dummy with policy all)."""
    root, specs = repository
    work = tmp_path_factory.mktemp("daemon")
    names = [*specs, "broken", "empty"]
    config = write_config(work / "config.json", root, names, {"dummy": {"all": {}}})
    running = start_daemon(["--config_path", str(config)], work)
    yield running
    assert running.stop() == 0, running.log()


@pytest.fixture(scope="session")
def specs(repository) -> dict[str, dict[int, mf.ModelSpec]]:
    return repository[1]
