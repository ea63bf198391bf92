"""config.json in OVMS's schema: read, validate up front, turn into :class:`ModelConfig` objects.

A file that fails validation is rejected as a whole with a :class:`ConfigError` naming the key.
Only ``model_config_list`` and ``monitoring`` are served by this daemon; the other OVMS top-level
keys (pipelines, custom nodes, loaders, MediaPipe) are recognised and rejected with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from ovms.errors import ConfigError, EntryError
from ovms.settings import (
    ModelConfig,
    parse_batch_size,
    parse_dynamic_batching,
    parse_max_queue_size,
    parse_layout,
    parse_nireq,
    parse_plugin_config,
    parse_shape_param,
    parse_version_policy,
)

_TOP_KEYS = {
    "model_config_list",
    "pipeline_config_list",
    "custom_node_library_config_list",
    "custom_loader_config_list",
    "mediapipe_config_list",
    "monitoring",
}
_UNSUPPORTED_TOP = _TOP_KEYS - {"model_config_list", "monitoring"}
_MODEL_KEYS = {
    "name", "base_path", "batch_size", "shape", "layout", "model_version_policy", "nireq",
    "target_device", "plugin_config", "allow_cache", "stateful", "idle_sequence_cleanup",
    "low_latency_transformation", "max_sequence_number", "custom_loader_options", "graph_path",
    "subconfig", "dynamic_batching", "max_queue_size",
}
_REMOTE_SCHEMES = ("s3://", "gs://", "az://", "azfs://")


@dataclass(frozen=True)
class MonitoringConfig:
    """``monitoring.metrics`` of config.json."""

    enable: bool
    metrics_list: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfigFile:
    """A validated config.json: its models, optional monitoring section and content hash.

    ``skipped`` holds one message per model entry left out for an unusable value (EntryError).
    """

    models: tuple[ModelConfig, ...]
    monitoring: MonitoringConfig | None
    digest: str
    skipped: tuple[str, ...] = ()


def read_config_file(path: str) -> ConfigFile:
    """Read and validate ``path``; raises ConfigError (OSError is wrapped, with the path)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise ConfigError(f"Config file not found or cannot open: {path}: {err.strerror}") from None
    return parse_config(raw, os.path.dirname(os.path.abspath(path)))


def parse_config(raw: bytes, base_dir: str) -> ConfigFile:
    """Validate config.json content; relative ``base_path`` values resolve against ``base_dir``."""
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file is not valid JSON: {err}") from None
    if not isinstance(doc, dict):
        raise ConfigError("config file: the top level must be a JSON object")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"config file: unknown key '{unknown[0]}'")
    unsupported = sorted(set(doc) & _UNSUPPORTED_TOP)
    if unsupported:
        raise ConfigError(f"config file: '{unsupported[0]}' is not supported by ovms-py")
    if "model_config_list" not in doc:
        raise ConfigError("config file: missing required key 'model_config_list'")
    entries = doc["model_config_list"]
    if not isinstance(entries, list):
        raise ConfigError("model_config_list: must be an array")
    models: list[ModelConfig] = []
    skipped: list[str] = []
    for index, entry in enumerate(entries):
        try:
            models.append(_model_entry(entry, index, base_dir))
        except EntryError as err:
            skipped.append(str(err))
    _check_unique_names(models)
    digest = hashlib.md5(raw).hexdigest()
    return ConfigFile(tuple(models), _monitoring(doc.get("monitoring")), digest, tuple(skipped))


def resolve_base_path(base_path: str, base_dir: str, key: str) -> str:
    """Reject ``..`` components; make local relative paths absolute against ``base_dir``."""
    if ".." in base_path.replace("\\", "/").split("/"):
        raise EntryError(f"{key}: Path {base_path} escape with .. is forbidden.")
    if base_path.startswith(_REMOTE_SCHEMES):
        return base_path
    return os.path.normpath(os.path.join(base_dir, base_path))


def _model_entry(entry: object, index: int, base_dir: str) -> ModelConfig:
    where = f"model_config_list[{index}]"
    if not isinstance(entry, dict) or set(entry) != {"config"} or not isinstance(entry["config"], dict):
        raise ConfigError(f"{where}: must be an object with exactly one key 'config'")
    cfg: dict = entry["config"]
    where += ".config"
    unknown = sorted(set(cfg) - _MODEL_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'")
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.name: required, must be a non-empty string")
    where = f"{where} ({name})"
    _reject_unsupported(cfg, where)
    base_path = cfg.get("base_path")
    if not isinstance(base_path, str) or not base_path:
        raise ConfigError(f"{where}.base_path: required, must be a non-empty string")
    return ModelConfig(
        name=name,
        base_path=resolve_base_path(base_path, base_dir, f"{where}.base_path"),
        **_optional_fields(cfg, where),
    )


def _optional_fields(cfg: dict, where: str) -> dict:
    fields: dict = {}
    if "batch_size" in cfg:
        fields["batch_size"] = parse_batch_size(cfg["batch_size"], f"{where}.batch_size")
    if "shape" in cfg:
        fields["shape"] = parse_shape_param(cfg["shape"], f"{where}.shape")
    if "layout" in cfg:
        fields["layout"] = parse_layout(cfg["layout"], f"{where}.layout")
    if "model_version_policy" in cfg:
        fields["version_policy"] = parse_version_policy(cfg["model_version_policy"], f"{where}.model_version_policy")
    if "nireq" in cfg:
        fields["nireq"] = parse_nireq(cfg["nireq"], f"{where}.nireq")
    if "target_device" in cfg:
        if not isinstance(cfg["target_device"], str) or not cfg["target_device"]:
            raise ConfigError(f"{where}.target_device: must be a non-empty string")
        fields["target_device"] = cfg["target_device"]
    if "plugin_config" in cfg:
        fields["plugin_config"] = parse_plugin_config(cfg["plugin_config"], f"{where}.plugin_config")
    if "dynamic_batching" in cfg:
        fields["batching"] = parse_dynamic_batching(cfg["dynamic_batching"], f"{where}.dynamic_batching")
    if "max_queue_size" in cfg:
        fields["max_queue_size"] = parse_max_queue_size(cfg["max_queue_size"], f"{where}.max_queue_size")
    if "allow_cache" in cfg:
        if not isinstance(cfg["allow_cache"], bool):
            raise ConfigError(f"{where}.allow_cache: must be a boolean")
        fields["allow_cache"] = cfg["allow_cache"]
    return fields


def _reject_unsupported(cfg: dict, where: str) -> None:
    for key in ("stateful", "idle_sequence_cleanup", "low_latency_transformation", "max_sequence_number"):
        if key in cfg:
            raise ConfigError(f"{where}.{key}: Stateful model config parameter used for non stateful model")
    for key in ("custom_loader_options", "graph_path", "subconfig"):
        if key in cfg:
            raise ConfigError(f"{where}.{key}: is not supported by ovms-py")


def _check_unique_names(models: list[ModelConfig]) -> None:
    seen: set[str] = set()
    for model in models:
        if model.name in seen:
            raise ConfigError(f"model_config_list: duplicated model name '{model.name}'")
        seen.add(model.name)


def _monitoring(value: object) -> MonitoringConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"metrics"} or not isinstance(value["metrics"], dict):
        raise ConfigError("monitoring: must be an object with exactly the key 'metrics'")
    metrics = value["metrics"]
    unknown = sorted(set(metrics) - {"enable", "metrics_list"})
    if unknown:
        raise ConfigError(f"monitoring.metrics: unknown key '{unknown[0]}'")
    if not isinstance(metrics.get("enable"), bool):
        raise ConfigError("monitoring.metrics.enable: required, must be a boolean")
    names = metrics.get("metrics_list", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("monitoring.metrics.metrics_list: must be an array of strings")
    return MonitoringConfig(metrics["enable"], tuple(names))
