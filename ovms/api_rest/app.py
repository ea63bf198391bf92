"""The REST edge as one ASGI application: TF Serving REST, KServe v2 REST and config endpoints.

A bare ASGI callable rather than a framework: routing is a few precompiled patterns, bodies are
read once into bytes, and every reply is a complete JSON body, so request and response objects
would only add allocations on the hot path. Errors are turned into responses in exactly one place
(:meth:`RestApp._respond`): OvmsError -> ``{"error": str(err)}`` with the code from
``status.py``; anything else is logged with its traceback and answered 500 "Internal server error".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ovms.api_rest import routing as paths
from ovms.api_rest.handlers_kserve import KServeHandlers
from ovms.api_rest.handlers_tfs import TfsHandlers
from ovms.api_rest.http_io import (
    JSON_CONTENT,
    Disconnected,
    Message,
    Receive,
    Reply,
    RestCall,
    Send,
    read_body,
)
from ovms.api_rest.jsonio import ErrorStyle, error_body
from ovms.api_rest.routing import Route, Router
from ovms.api_rest.status import http_status
from ovms.dataplane import DataPlane
from ovms.errors import OvmsError, Status

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("ovms.api_rest")


def build_app(
    dataplane: DataPlane,
    *,
    max_body_bytes: int = 1 << 30,
    metrics_endpoint: ASGIApp | None = None,
) -> ASGIApp:
    """The REST ASGI app serving ``dataplane``.

    ``max_body_bytes`` bounds request bodies (413 beyond it). ``metrics_endpoint``, an ASGI app,
    answers ``GET /metrics`` (query string ignored); without it ``/metrics`` is 400 "Invalid
    request URL", as OVMS answers when metrics are disabled. Construction has no side effects.
    """
    return RestApp(_routes(dataplane), max_body_bytes, metrics_endpoint)


def _routes(dataplane: DataPlane) -> Router:
    tfs, kserve = TfsHandlers(dataplane), KServeHandlers(dataplane)
    return Router(
        [
            Route(paths.V1_PREDICT, {"POST": tfs.predict}),
            Route(paths.V1_METADATA, {"GET": tfs.metadata}),
            Route(paths.V1_STATUS, {"GET": tfs.status}),
            Route(paths.V1_CONFIG, {"GET": tfs.config}, "tab"),
            Route(paths.V1_CONFIG_RELOAD, {"POST": tfs.config_reload}, "tab"),
            # The /v2 patterns do not overlap: inference goes first only because it is the hot path.
            Route(paths.V2_INFER, {"POST": kserve.infer}),
            Route(paths.V2_MODEL_READY, {"GET": kserve.model_ready}),
            Route(paths.V2_METADATA, {"GET": kserve.model_metadata}),
            Route(paths.V2_SERVER, {"GET": kserve.server_metadata}),
            Route(paths.V2_LIVE, {"GET": kserve.live}),
            Route(paths.V2_READY, {"GET": kserve.ready}),
        ]
    )


class RestApp:
    """ASGI callable: ``http`` requests are routed; ``lifespan`` is acknowledged; nothing else."""

    def __init__(self, router: Router, max_body_bytes: int, metrics: ASGIApp | None) -> None:
        self._router = router
        self._limit = max_body_bytes
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        # Websockets are not served: returning without accepting makes the server refuse them.

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._metrics is not None and scope["path"] == "/metrics" and scope["method"] == "GET":
            await self._metrics(scope, receive, send)
            return
        try:
            reply = await self._respond(scope, receive)
        except Disconnected:
            return
        await _send_reply(send, reply)

    async def _respond(self, scope: Scope, receive: Receive) -> Reply:
        """Route and run one request; the only place where errors become HTTP responses."""
        style: ErrorStyle = "compact"
        try:
            match = self._router.match(scope["method"], _raw_path(scope))
            style = match.route.error_style
            body = b""
            if scope["method"] == "POST":
                body = await read_body(receive, self._limit, _header(scope, b"content-length"))
            return await match.handler(RestCall(match.params, scope["headers"], body))
        except OvmsError as err:
            return Reply(http_status(err.status), error_body(str(err), style))
        except Disconnected:
            raise
        except Exception:  # noqa: BLE001 - the one catch-all: log it, answer 500, never leak it
            _log.exception("REST %s %s failed", scope["method"], scope["path"])
            internal = Status.INTERNAL_ERROR
            return Reply(http_status(internal), error_body(internal.message, style))


def _raw_path(scope: Scope) -> str:
    # Match on the undecoded path so an encoded "/" inside a model name stays part of the name.
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else scope["path"]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def _send_reply(send: Send, reply: Reply) -> None:
    headers = [JSON_CONTENT, (b"content-length", str(len(reply.body)).encode()), *reply.extra_headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop here: the composition root owns the DataPlane's lifecycle."""
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
