"""Command line compatible with OpenVINO Model Server; the only place that calls sys.exit().

Exit codes: 64 (EX_USAGE) for invalid flags or config, 1 for failures while running, 0 after a
clean shutdown (SIGTERM/SIGINT).
"""

from __future__ import annotations

import argparse
import os
import sys

from ovms import __version__, allocator
from ovms.errors import ConfigError
from ovms.logs import LOG_FORMATS
from ovms.logs import configure_logging as setup_logging
from ovms.metrics import config as metrics_config
from ovms.settings import (
    ModelConfig,
    ServerSettings,
    parse_batch_size,
    parse_layout,
    parse_nireq,
    parse_plugin_config,
    parse_shape_param,
    parse_version_policy,
)

EX_USAGE = 64
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR")
MODEL_FLAGS = ("batch_size", "shape", "layout", "model_version_policy", "nireq", "target_device", "plugin_config")


class UsageError(Exception):
    """Invalid command line; the text is printed and the process exits with 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2; OVMS exits EX_USAGE
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The OVMS flags with OVMS's defaults (reference section 1)."""
    p = _Parser(prog="ovms", description="ovms-py: OpenVINO Model Server compatible daemon")
    p.add_argument("--version", action="store_true", help="show the version and exit")
    p.add_argument("--config_path", help="path to config.json (exclusive with --model_name/--model_path)")
    p.add_argument("--model_name", help="servable name (single-model mode)")
    p.add_argument("--model_path", help="model repository folder with numeric version subfolders")
    p.add_argument("--port", type=int, default=0, help="gRPC port; 0 = gRPC off")
    p.add_argument("--rest_port", type=int, default=0, help="REST port; 0 = REST off")
    p.add_argument("--grpc_bind_address", default="0.0.0.0", help="comma-separated gRPC addresses")
    p.add_argument("--rest_bind_address", default="0.0.0.0", help="comma-separated REST addresses")
    p.add_argument("--grpc_workers", type=int, default=1, help="accepted for compatibility (one server)")
    p.add_argument("--rest_workers", type=int, default=None, help="accepted for compatibility")
    p.add_argument("--file_system_poll_wait_seconds", type=int, default=1, help="config/version poll; 0 = off")
    p.add_argument("--log_level", default="INFO", help="TRACE, DEBUG, INFO, WARNING or ERROR")
    p.add_argument("--log_path", help="log file path")
    p.add_argument("--log_format", default="text", help="text (default) or json: one JSON object per line")
    p.add_argument("--cache_dir", help="OpenVINO compiled-model cache folder")
    p.add_argument("--metrics_enable", action="store_true", help="serve /metrics on the REST port")
    p.add_argument("--metrics_list", default="", help="comma-separated metric families to export instead of the default set")
    p.add_argument("--batch_size", help="batch size: N or min:max")
    p.add_argument("--shape", help="shape: (1,3,224,224), or JSON {input: shape}")
    p.add_argument("--layout", help="layout: NHWC, NHWC:NCHW or JSON {input: layout}")
    p.add_argument("--model_version_policy", help='e.g. {"latest": {"num_versions": 1}}')
    p.add_argument("--nireq", type=int, help="infer requests per version; 0 = OpenVINO's optimum")
    p.add_argument("--target_device", help="CPU, AUTO, MULTI:..., HETERO:...")
    p.add_argument("--plugin_config", help='OpenVINO properties as JSON, e.g. {"NUM_STREAMS": 2}')
    return p


def parse_settings(argv: list[str]) -> ServerSettings:
    """Validate the command line into settings; raises UsageError or ConfigError."""
    args = build_parser().parse_args(argv)
    _check_modes(args)
    _check_ports(args)
    if args.log_level not in LOG_LEVELS:
        raise UsageError(f"log_level should be one of: {', '.join(LOG_LEVELS)}")
    if args.log_format not in LOG_FORMATS:
        raise UsageError(f"log_format should be one of: {', '.join(LOG_FORMATS)}")
    if args.file_system_poll_wait_seconds < 0:
        raise UsageError("file_system_poll_wait_seconds must be >= 0")
    metrics_list = tuple(n.strip() for n in args.metrics_list.split(",") if n.strip())
    if metrics_list and not args.metrics_enable:
        raise UsageError("metrics_enable setting is missing, required when metrics_list is provided")
    try:
        metrics_config.check_names(metrics_list)
    except ConfigError as err:
        raise UsageError(str(err)) from None
    if args.metrics_enable and not args.rest_port:
        raise UsageError("rest_port setting is missing, metrics are enabled on rest port")
    if args.rest_workers is not None and not args.rest_port:
        raise UsageError("rest_workers is set but rest_port is not set. rest_port is required to start rest servers")
    cores = os.cpu_count() or 1
    if not 1 <= args.grpc_workers <= cores:
        raise UsageError(f"grpc_workers count should be from 1 to CPU core count : {cores}")
    return ServerSettings(
        port=args.port, rest_port=args.rest_port,
        grpc_bind_address=args.grpc_bind_address, rest_bind_address=args.rest_bind_address,
        grpc_workers=args.grpc_workers, rest_workers=args.rest_workers,
        file_system_poll_wait_seconds=args.file_system_poll_wait_seconds,
        log_level=args.log_level, log_path=args.log_path, log_format=args.log_format, cache_dir=args.cache_dir,
        config_path=args.config_path, metrics_enable=args.metrics_enable, metrics_list=metrics_list,
        single_model=_single_model(args) if args.model_path else None,
    )


def _check_modes(args: argparse.Namespace) -> None:
    if args.config_path:
        if args.model_name or args.model_path:
            raise UsageError("Use either config_path or model_path with model_name")
        if any(getattr(args, f) is not None for f in MODEL_FLAGS):
            raise UsageError("Model parameters in CLI are exclusive with the config file")
    elif not (args.model_name and args.model_path):
        raise UsageError("Use either config_path or model_path with model_name")


def _check_ports(args: argparse.Namespace) -> None:
    for name in ("port", "rest_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise UsageError(f"{name} number out of range from 0 to 65535")
    if not args.config_path and args.port == 0 and args.rest_port == 0:
        raise UsageError("port and rest_port cannot both be unset")
    if args.port and args.port == args.rest_port:
        raise UsageError("port and rest_port cannot have the same values")


def _single_model(args: argparse.Namespace) -> ModelConfig:
    from ovms.config_file import resolve_base_path

    fields: dict = {}
    if args.shape is not None:
        fields["shape"] = parse_shape_param(args.shape)
    elif args.batch_size is not None:  # OVMS ignores batch_size when shape is set
        fields["batch_size"] = parse_batch_size(args.batch_size)
    if args.layout is not None:
        fields["layout"] = parse_layout(args.layout)
    if args.model_version_policy is not None:
        fields["version_policy"] = parse_version_policy(args.model_version_policy)
    if args.nireq is not None:
        fields["nireq"] = parse_nireq(args.nireq)
    if args.target_device is not None:
        fields["target_device"] = args.target_device
    if args.plugin_config is not None:
        fields["plugin_config"] = parse_plugin_config(args.plugin_config)
    base = resolve_base_path(args.model_path, os.getcwd(), "model_path")
    return ModelConfig(name=args.model_name, base_path=base, **fields)


def configure_logging(settings: ServerSettings) -> None:
    """One format (text or JSON) for every logger at ``--log_level``; TRACE maps to DEBUG."""
    setup_logging(settings.log_level, settings.log_path, settings.log_format)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ovms`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if "--version" in argv:
        print(version_text())
        sys.exit(0)
    try:
        settings = parse_settings(argv)
    except (UsageError, ConfigError) as err:
        print(f"error parsing options: {err}", file=sys.stderr)
        sys.exit(EX_USAGE)
    from ovms.config_file import read_config_file

    try:
        config = read_config_file(settings.config_path) if settings.config_path else None
        metrics_config.resolve(settings.metrics_enable, settings.metrics_list,
                               config.monitoring if config else None, settings.rest_port)
    except ConfigError as err:
        print(f"Invalid configuration file {settings.config_path}: {err}", file=sys.stderr)
        sys.exit(1)
    configure_logging(settings)
    allocator.tune(os.environ)
    from ovms.server import run

    sys.exit(run(settings, config))


def version_text() -> str:
    import openvino

    return f"OpenVINO Model Server {__version__} (ovms-py)\nOpenVINO backend {openvino.__version__}"
