"""The committed demo repository (`models/`) and the demo config (`config/config.json`)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .ir import build_dummy_ir, build_dynamic_ir
from .onnx_models import build_add_sub_onnx
from .spec import ModelSpec

Builder = Callable[[Path], ModelSpec]

#: name -> (version -> builder). Dummy versions differ by their increment: y = x + version.
DEMO_MODELS: dict[str, dict[int, Builder]] = {
    "dummy": {1: partial(build_dummy_ir, increment=1.0), 2: partial(build_dummy_ir, increment=2.0)},
    "add_sub": {1: build_add_sub_onnx},
    "dynamic": {1: build_dynamic_ir},
}

#: Version policies that differ from OVMS's default (latest, num_versions 1).
DEMO_POLICIES: dict[str, dict[str, Any]] = {"dummy": {"all": {}}}


def build_demo_repository(models_dir: Path) -> dict[str, dict[int, ModelSpec]]:
    """(Re)build every demo model under `models_dir`, replacing those model folders wholesale."""
    specs: dict[str, dict[int, ModelSpec]] = {}
    for name, versions in DEMO_MODELS.items():
        shutil.rmtree(models_dir / name, ignore_errors=True)
        specs[name] = {v: build(models_dir / name / str(v)) for v, build in versions.items()}
    return specs


def demo_config(models_dir: Path, config_dir: Path) -> dict[str, Any]:
    """The OVMS config.json content serving every demo model, base paths relative to `config_dir`."""
    entries = []
    for name in DEMO_MODELS:
        config: dict[str, Any] = {"name": name, "base_path": _relative(models_dir / name, config_dir)}
        if name in DEMO_POLICIES:
            config["model_version_policy"] = DEMO_POLICIES[name]
        entries.append({"config": config})
    return {"model_config_list": entries}


def write_demo_config(config_path: Path, models_dir: Path) -> Path:
    """Write `demo_config` as indented JSON to `config_path`."""
    config_path.parent.mkdir(parents=True, exist_ok=True)
    content = demo_config(models_dir, config_path.parent)
    config_path.write_text(json.dumps(content, indent=4) + "\n")
    return config_path


def _relative(target: Path, start: Path) -> str:
    # Not resolved: config/models is a link to ../models, and OVMS forbids ".." in base_path.
    return Path(os.path.relpath(target.absolute(), start.absolute())).as_posix()
