"""Composition root: builds the core and both edges, runs them on one event loop, shuts down.

Start-up order: servers listen first (so health endpoints answer and requests for loading versions
can wait), then the initial configuration loads, then readiness turns true. Shutdown (SIGTERM or
SIGINT): stop accepting, finish in-flight requests, unload every version, return 0.

With metrics on, one :class:`ServerMetrics` is the manager's version observer (series created at
each load, scheduler timings) and the DataPlane's request sink; a registry owned by this daemon
serves it on ``GET /metrics``, reading live scheduler state from the manager at each scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
from collections.abc import Iterator
from typing import Any

import openvino as ov
import uvicorn

from ovms.api_grpc.server import build_grpc_server
from ovms.api_rest.app import ASGIApp, build_app
from ovms.config_file import ConfigFile
from ovms.dataplane import DataPlane
from ovms.metrics import config as metrics_config
from ovms.metrics.collector import LiveSource, LiveVersion, build_registry
from ovms.metrics.exposition import metrics_endpoint
from ovms.metrics.reporter import NO_METRICS, ServerMetrics
from ovms.models.manager import ModelManager
from ovms.models.source import ConfigSource
from ovms.scheduler.observer import NOOP_VERSIONS
from ovms.settings import ServerSettings

log = logging.getLogger("ovms.server")
GRACE_SECONDS = 30.0
DEFAULT_CACHE_DIR = "/opt/cache"


def run(settings: ServerSettings, config: ConfigFile | None) -> int:
    """Run the daemon until SIGTERM/SIGINT; returns the process exit code."""
    try:
        import uvloop

        return uvloop.run(serve(settings, config))
    except ImportError:
        return asyncio.run(serve(settings, config))


def freeze_startup_heap() -> None:
    """Exempt everything alive after start-up from the cycle collector (``gc.freeze``).

    Why: start-up leaves ~55,000 long-lived objects (modules, grpc, OpenVINO's bindings, the loaded
    models); every full collection traverses them, ~30 ms on the loop on 2 slow cores, and under
    load one comes every few seconds, since grpc's aio server leaves a small reference cycle per
    call that keeps the young generations filling. Frozen, they are never traversed: a full
    collection during serving takes under a millisecond. Reference counting still frees them;
    only a cycle through them would stay (a retired version's objects must not form one:
    tests/models/test_manager.py checks it). Garbage from start-up is collected first.
    """
    gc.collect()
    gc.freeze()
    log.debug("Froze %d start-up objects", gc.get_freeze_count())


def make_core(settings: ServerSettings) -> ov.Core:
    """One OpenVINO core; the compile cache is on when --cache_dir is given or /opt/cache exists."""
    core = ov.Core()
    cache_dir = settings.cache_dir or (DEFAULT_CACHE_DIR if os.path.isdir(DEFAULT_CACHE_DIR) else None)
    if cache_dir:
        core.set_property({"CACHE_DIR": cache_dir})
        log.info("Model cache is enabled: %s", cache_dir)
    return core


async def serve(settings: ServerSettings, config: ConfigFile | None) -> int:
    """Build, start, wait for a stop signal, stop gracefully."""
    monitoring = config.monitoring if config is not None else None
    metrics_setup = metrics_config.resolve(settings.metrics_enable, settings.metrics_list, monitoring,
                                           settings.rest_port)  # read once: reloads never change it
    metrics = ServerMetrics(metrics_setup) if metrics_setup.enabled else None
    manager = ModelManager(make_core(settings), observer=metrics or NOOP_VERSIONS)
    source = ConfigSource(manager, settings.config_path, settings.single_model)
    dataplane = DataPlane(manager, source, metrics or NO_METRICS)
    endpoint = None
    if metrics is not None:
        endpoint = metrics_endpoint(build_registry(metrics, live_state(manager)))
        log.info("Metrics enabled on GET /metrics: %s", ", ".join(sorted(metrics_setup.families)) or "no family")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        grpc_server = await _start_grpc(settings, dataplane)
        rest_server, rest_task = await _start_rest(settings, dataplane, endpoint)
    except OSError as err:
        log.error("Cannot start the servers: %s", err)
        return 1
    await source.initial(config)
    freeze_startup_heap()
    dataplane.set_ready()
    log.info("Server is ready")
    poller = None
    if settings.file_system_poll_wait_seconds > 0 and (settings.config_path or settings.single_model):
        poller = asyncio.ensure_future(source.poll(settings.file_system_poll_wait_seconds))
    await stop.wait()
    log.info("Shutting down: no new requests, finishing in-flight ones")
    if poller is not None:
        poller.cancel()
    await _stop_servers(grpc_server, rest_server, rest_task)
    await manager.shutdown()
    log.info("Shutdown complete")
    return 0


async def _start_grpc(settings: ServerSettings, dataplane: DataPlane):
    if not settings.port:
        return None
    addresses = [a.strip() for a in settings.grpc_bind_address.split(",") if a.strip()]
    server, port = build_grpc_server(dataplane, addresses, settings.port)
    await server.start()
    log.info("Started gRPC server on %s port %d", ",".join(addresses), port)
    return server


def live_state(manager: ModelManager) -> LiveSource:
    """Scrape-time state of every serving version's scheduler (requests in process, busy, queued)."""

    def snapshot() -> Iterator[LiveVersion]:
        for model in list(manager.models.values()):
            for number, version in list(model.versions.items()):
                servable = version.servable
                if servable is not None:
                    scheduler = servable.scheduler
                    yield LiveVersion(model.name, number, scheduler.inflight(), scheduler.pool.active(),
                                      scheduler.queued())

    return snapshot


async def _start_rest(settings: ServerSettings, dataplane: DataPlane, metrics: ASGIApp | None) -> Any:
    if not settings.rest_port:
        return None, None
    sockets = [_bind(a.strip(), settings.rest_port) for a in settings.rest_bind_address.split(",") if a.strip()]
    app = build_app(dataplane, max_body_bytes=settings.rest_max_body_bytes, metrics_endpoint=metrics)
    config = uvicorn.Config(
        app, http="httptools", loop="none", lifespan="off", log_level="warning",
        access_log=False, timeout_graceful_shutdown=int(GRACE_SECONDS),
    )
    server = _RestServer(config)
    task = asyncio.ensure_future(server.serve(sockets=sockets))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
    log.info("Started REST server on %s port %d", settings.rest_bind_address, settings.rest_port)
    return server, task


class _RestServer(uvicorn.Server):
    """uvicorn without its own SIGTERM/SIGINT handlers: the daemon owns shutdown order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def _stop_servers(grpc_server, rest_server, rest_task) -> None:
    stops = []
    if grpc_server is not None:
        stops.append(grpc_server.stop(GRACE_SECONDS))
    if rest_server is not None:
        rest_server.should_exit = True
        stops.append(rest_task)
    await asyncio.gather(*stops, return_exceptions=True)
