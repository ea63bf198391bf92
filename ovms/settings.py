"""Typed, validated settings: server options and per-model configuration (OVMS's names).

Parsing of shapes/layouts/policies lives here so that the CLI (single-model mode) and config.json
produce exactly the same :class:`ModelConfig`. Validation failures raise :class:`ConfigError` whose
text names the offending key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from ovms.errors import ConfigError, EntryError
from ovms.scheduler.batching import BatchingConfig
from ovms.types import Dim

LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"]
MAX_NIREQ = 100_000
_SHAPE_RE = re.compile(r"^\(([0-9,:\- ]*)\)$")


@dataclass(frozen=True)
class VersionPolicy:
    """OVMS model_version_policy: the N latest, all, or a specific list of versions."""

    kind: Literal["latest", "all", "specific"] = "latest"
    num_versions: int = 1
    versions: tuple[int, ...] = ()

    def select(self, available: list[int]) -> list[int]:
        """The versions to serve out of ``available`` (any order), ascending."""
        ordered = sorted(set(available))
        if self.kind == "all":
            return ordered
        if self.kind == "latest":
            return ordered[-self.num_versions:]
        return [v for v in ordered if v in self.versions]


@dataclass(frozen=True)
class ModelConfig:
    """One entry of ``model_config_list`` (or the CLI single-model flags).

    ``shape`` maps input names to shapes; the key ``""`` is an anonymous shape for a one-input
    model. ``batch_size`` is None (model's own), an int, or a (min, max) range.
    """

    name: str
    base_path: str
    batch_size: Dim | None = None
    shape: dict[str, tuple[Dim, ...]] = field(default_factory=dict)
    layout: dict[str, str] = field(default_factory=dict)
    version_policy: VersionPolicy = VersionPolicy()
    nireq: int = 0
    target_device: str = "CPU"
    plugin_config: dict[str, str | int | float | bool] = field(default_factory=dict)
    allow_cache: bool = False
    batching: BatchingConfig | None = None
    max_queue_size: int | None = None


@dataclass(frozen=True)
class ServerSettings:
    """Server-wide options (OVMS CLI flags)."""

    port: int = 0
    rest_port: int = 0
    grpc_bind_address: str = "0.0.0.0"
    rest_bind_address: str = "0.0.0.0"
    grpc_workers: int = 1
    rest_workers: int | None = None
    file_system_poll_wait_seconds: int = 1
    log_level: LogLevel = "INFO"
    log_path: str | None = None
    log_format: Literal["text", "json"] = "text"
    cache_dir: str | None = None
    config_path: str | None = None
    metrics_enable: bool = False
    metrics_list: tuple[str, ...] = ()
    rest_max_body_bytes: int = 1 << 30
    single_model: ModelConfig | None = None


def parse_dim(text: str, key: str) -> Dim:
    """A dimension: ``N`` (>= 0), ``-1`` or ``min:max`` (both > 0, min <= max)."""
    text = text.strip()
    try:
        if ":" in text:
            lo, hi = (int(p) for p in text.split(":"))
            if lo <= 0 or hi <= 0 or lo > hi:
                raise ValueError
            return (lo, hi)
        value = int(text)
        if value < -1:
            raise ValueError
        return value
    except ValueError:
        raise EntryError(f"{key}: invalid dimension '{text}'") from None


def parse_shape(value: object, key: str) -> tuple[Dim, ...]:
    """A shape from ``"(1,3,-1,1:10)"`` or a list of ints."""
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return tuple(parse_dim(str(v), key) for v in value)
    if not isinstance(value, str):
        raise ConfigError(f"{key}: shape must be a string like (1,3,224,224)")
    match = _SHAPE_RE.match(value.strip())
    if not match:
        raise EntryError(f"{key}: invalid shape format '{value}'")
    body = match.group(1).strip()
    return tuple(parse_dim(d, key) for d in body.split(",")) if body else ()


def parse_shape_param(value: object, key: str = "shape") -> dict[str, tuple[Dim, ...]]:
    """``shape``: a tuple string, a JSON object string, or an object of input -> shape."""
    if isinstance(value, str) and value.strip().startswith("{"):
        value = _json_value(value, key)
    if isinstance(value, dict):
        if "ANONYMOUS_INPUT_NAME" in value:
            raise ConfigError(f"{key}: ANONYMOUS_INPUT_NAME is not allowed as an input name")
        return {name: parse_shape(s, f"{key}.{name}") for name, s in value.items()}
    if value == "auto":
        raise EntryError(f"{key}: 'auto' is not supported; use -1 or min:max dimensions")
    return {"": parse_shape(value, key)}


def parse_batch_size(value: object, key: str = "batch_size") -> Dim | None:
    """``batch_size``: an int, ``"8"``, ``"1:10"``; ``"0"``/0 keeps the model's batch."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{key}: must be an integer or a string")
    if value == "auto":
        raise EntryError(f"{key}: 'auto' is not supported; use -1 or a min:max range")
    dim = parse_dim(str(value), key)
    return None if dim == 0 else dim


def parse_layout(value: object, key: str = "layout") -> dict[str, str]:
    """``layout``: ``"NHWC"`` / ``"NHWC:NCHW"``, a JSON object string, or an object."""
    if isinstance(value, str) and value.strip().startswith("{"):
        value = _json_value(value, key)
    if isinstance(value, dict):
        if not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{key}: layout values must be strings")
        return dict(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string or an object")
    return {"": value}


def parse_version_policy(value: object, key: str = "model_version_policy") -> VersionPolicy:
    """Exactly one of ``{"all":{}}``, ``{"latest":{"num_versions":N}}``, ``{"specific":{...}}``."""
    if isinstance(value, str):
        value = _json_value(value, key)
    if not isinstance(value, dict) or len(value) != 1:
        raise ConfigError(f"{key}: must be an object with exactly one of all, latest, specific")
    kind, body = next(iter(value.items()))
    if not isinstance(body, dict):
        raise ConfigError(f"{key}.{kind}: must be an object")
    if kind == "all" and not body:
        return VersionPolicy("all")
    if kind == "latest" and set(body) <= {"num_versions"}:
        num = body.get("num_versions", 1)
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ConfigError(f"{key}.latest.num_versions: must be an integer >= 1")
        return VersionPolicy("latest", num_versions=num)
    if kind == "specific" and set(body) == {"versions"} and isinstance(body["versions"], list):
        versions = tuple(v for v in body["versions"] if isinstance(v, int) and not isinstance(v, bool) and v > 0)
        return VersionPolicy("specific", versions=versions)
    raise ConfigError(f"{key}: unsupported key or value '{kind}'")


def parse_plugin_config(value: object, key: str = "plugin_config") -> dict[str, str | int | float | bool]:
    """``plugin_config``: a JSON object (or its string) of OpenVINO properties."""
    if isinstance(value, str):
        value = _json_value(value, key) if value.strip() else {}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be a JSON object")
    for name, item in value.items():
        if not isinstance(item, (str, int, float, bool)):
            raise ConfigError(f"{key}.{name}: value must be a string, number or boolean")
    return dict(value)


def parse_nireq(value: object, key: str = "nireq") -> int:
    """``nireq``: 0 (OpenVINO's optimal number) up to 100000."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: must be an integer >= 0")
    if value > MAX_NIREQ:
        raise EntryError(f"{key}: Nireq parameter too high - Max: {MAX_NIREQ}")
    return value


def parse_dynamic_batching(value: object, key: str = "dynamic_batching") -> BatchingConfig:
    """ovms-py extension: ``{"max_batch_size": 16, "max_queue_delay_microseconds": 2000,
    "preferred_batch_sizes": [8, 16]}``; server-side batching of concurrent requests."""
    if isinstance(value, str):
        value = _json_value(value, key)
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be an object")
    unknown = sorted(set(value) - {"max_batch_size", "max_queue_delay_microseconds", "preferred_batch_sizes"})
    if unknown:
        raise ConfigError(f"{key}: unknown key '{unknown[0]}'")
    size = value.get("max_batch_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"{key}.max_batch_size: required, an integer >= 1")
    delay = value.get("max_queue_delay_microseconds", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ConfigError(f"{key}.max_queue_delay_microseconds: must be an integer >= 0")
    preferred = value.get("preferred_batch_sizes", [])
    if not isinstance(preferred, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= size for p in preferred
    ):
        raise ConfigError(f"{key}.preferred_batch_sizes: integers from 1 to max_batch_size")
    return BatchingConfig(size, delay / 1e6, tuple(sorted(set(preferred))))


def parse_max_queue_size(value: object, key: str = "max_queue_size") -> int:
    """ovms-py extension: requests allowed to wait per version; more get RESOURCE_EXHAUSTED."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key}: must be an integer >= 1")
    return value


def _json_value(text: str, key: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{key}: invalid JSON: {err}") from None
