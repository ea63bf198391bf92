"""Floors: bare servers that answer every request with a pre-built response, as fast as Python can.

- ``grpc``: a ``grpc.aio`` server (same message-size options as the daemon) on uvloop, with one
  generic raw-bytes handler for every method: no deserialization, no inference, the same response
  bytes each time.
- ``rest``: a bare ASGI app on uvicorn with httptools and uvloop (as the daemon's REST edge) that
  reads the body and answers the pre-built JSON (or JSON + binary) body.

The response file holds a response of the real size, recorded from the daemon. These measure what
the Python server stack alone costs per request; the daemon cannot beat them.

    python -m benchmarks.floors grpc --port 9001 --response resp.bin [--delay-ms 23]
    python -m benchmarks.floors rest --port 8001 --response resp.json [--header NAME=VALUE]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import uvicorn
import uvloop

MAX_MESSAGE_BYTES = 1024 * 1024 * 1024


class _AnyMethod(grpc.GenericRpcHandler):
    """Serves every unary method with the same raw response bytes.

    ``delay`` > 0: each answer first waits ``delay`` seconds, one request at a time (a lock), as a
    model with one stream answers: requests then arrive and wait as they do in the ResNet cells.
    """

    def __init__(self, response: bytes, delay: float = 0.0) -> None:
        turn = asyncio.Lock()

        async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            if delay > 0:
                async with turn:
                    await asyncio.sleep(delay)
            return response

        self._handler = grpc.unary_unary_rpc_method_handler(handle)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return self._handler


async def serve_grpc(host: str, port: int, response: bytes, delay: float = 0.0) -> None:
    options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    server = grpc.aio.server(options=options)
    server.add_generic_rpc_handlers((_AnyMethod(response, delay),))
    server.add_insecure_port(f"{host}:{port}")
    await server.start()
    await server.wait_for_termination()


def rest_app(body: bytes, extra_headers: list[tuple[bytes, bytes]]):
    """The bare ASGI app: read the request body, send the pre-built reply."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *extra_headers]
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    reply = {"type": "http.response.body", "body": body}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send(start)
        await send(reply)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("grpc", "rest"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True, help="response body (gRPC: framed message)")
    parser.add_argument("--header", action="append", default=[], help="extra REST header NAME=VALUE")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="gRPC: answer each request after this delay, one at a time (a one-stream model)")
    args = parser.parse_args(argv)
    body = args.response.read_bytes()
    if args.kind == "grpc":
        uvloop.run(serve_grpc(args.host, args.port, body[5:], args.delay_ms / 1e3))  # strip the frame prefix
        return 0
    headers = [(n.lower().encode(), v.encode()) for n, _, v in (h.partition("=") for h in args.header)]
    config = uvicorn.Config(rest_app(body, headers), host=args.host, port=args.port, http="httptools",
                            loop="uvloop", lifespan="off", access_log=False, log_level="warning")
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
