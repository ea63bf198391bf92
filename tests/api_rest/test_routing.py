"""URL routing: OVMS's paths, percent-decoding, and the 400/406 rules."""

from __future__ import annotations

import pytest

from ovms.api_rest import routing as paths
from ovms.api_rest.http_io import Reply, RestCall
from ovms.api_rest.routing import Route, Router, version_param
from ovms.errors import OvmsError, Status


def _handler(label: str):
    async def handle(call: RestCall) -> Reply:
        return Reply(body=label.encode())

    handle.label = label  # type: ignore[attr-defined]
    return handle


ROUTER = Router(
    [
        Route(paths.V1_PREDICT, {"POST": _handler("predict")}),
        Route(paths.V1_METADATA, {"GET": _handler("metadata")}),
        Route(paths.V1_STATUS, {"GET": _handler("status")}),
        Route(paths.V1_CONFIG, {"GET": _handler("config")}, "tab"),
        Route(paths.V1_CONFIG_RELOAD, {"POST": _handler("reload")}, "tab"),
        Route(paths.V2_SERVER, {"GET": _handler("server")}),
        Route(paths.V2_LIVE, {"GET": _handler("live")}),
        Route(paths.V2_READY, {"GET": _handler("ready")}),
        Route(paths.V2_MODEL_READY, {"GET": _handler("model_ready")}),
        Route(paths.V2_INFER, {"POST": _handler("infer")}),
        Route(paths.V2_METADATA, {"GET": _handler("model_metadata")}),
    ]
)


@pytest.mark.parametrize(
    "method, path, label, params",
    [
        ("POST", "/v1/models/m:predict", "predict", {"name": "m", "verb": "predict"}),
        ("POST", "/v1/models/m/versions/3:classify", "predict", {"name": "m", "version": "3", "verb": "classify"}),
        ("POST", "/v1/models/m/labels/stable:predict", "predict", {"name": "m", "label": "stable", "verb": "predict"}),
        ("GET", "/v1/models/m", "status", {"name": "m"}),
        ("GET", "/v1/models", "status", {}),
        ("GET", "/v1/models/m/versions/0", "status", {"name": "m", "version": "0"}),
        ("GET", "/v1/models/m/labels/beta/metadata", "metadata", {"name": "m", "label": "beta"}),
        ("GET", "/v1/models/my%20model/metadata", "metadata", {"name": "my model"}),
        ("GET", "/v1/config", "config", {}),
        ("POST", "/v1/config/reload", "reload", {}),
        ("GET", "/v2", "server", {}),
        ("GET", "/v2/health/live", "live", {}),
        ("GET", "/v2/health/ready", "ready", {}),
        ("GET", "/v2/models/m/versions/2/ready", "model_ready", {"name": "m", "version": "2"}),
        ("GET", "/v2/models/a%2Fb/ready", "model_ready", {"name": "a/b"}),
        ("POST", "/v2/models/m/infer", "infer", {"name": "m"}),
        ("GET", "/v2/models/m", "model_metadata", {"name": "m"}),
        ("GET", "/v2/models/m/versions/1/", "model_metadata", {"name": "m", "version": "1"}),
    ],
)
def test_routes(method: str, path: str, label: str, params: dict[str, str]) -> None:
    match = ROUTER.match(method, path)
    assert match.handler.label == label  # type: ignore[attr-defined]
    assert match.params == params


def test_config_routes_render_errors_in_tab_style() -> None:
    assert ROUTER.match("GET", "/v1/config").route.error_style == "tab"
    assert ROUTER.match("GET", "/v1/models/m").route.error_style == "compact"


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/v1/models/m:predict", Status.REST_UNSUPPORTED_METHOD),
        ("POST", "/v1/models/m", Status.REST_UNSUPPORTED_METHOD),
        ("POST", "/v2/health/live", Status.REST_UNSUPPORTED_METHOD),
        ("GET", "/v2/models/m/infer", Status.REST_UNSUPPORTED_METHOD),
        ("PUT", "/nowhere", Status.REST_UNSUPPORTED_METHOD),
        ("DELETE", "/v1/models/m", Status.REST_UNSUPPORTED_METHOD),
        ("GET", "/v1/models/m/versions/x", Status.REST_INVALID_URL),
        ("GET", "/v1/models/m/versions/٣", Status.REST_INVALID_URL),  # \d is ASCII only
        ("GET", "/v3/models", Status.REST_INVALID_URL),
        ("GET", "/", Status.REST_INVALID_URL),
        ("GET", "/metrics", Status.REST_INVALID_URL),
        ("POST", "/v1/models/m:explain", Status.REST_INVALID_URL),
    ],
)
def test_route_errors(method: str, path: str, status: Status) -> None:
    with pytest.raises(OvmsError) as caught:
        ROUTER.match(method, path)
    assert caught.value.status is status


@pytest.mark.parametrize("path", ["/v1/models/../etc", "/v1/models/%2E%2E/x", "/v2/models/a..b"])
def test_dotdot_paths_are_invalid(path: str) -> None:
    with pytest.raises(OvmsError) as caught:
        ROUTER.match("GET", path)
    assert caught.value.status is Status.REST_PARSE_ERROR
    assert str(caught.value) == "The provided base path is invalid or doesn't exists"


def test_version_param() -> None:
    assert version_param({}) == 0
    assert version_param({"label": "x"}) == 0
    assert version_param({"version": "12"}) == 12
    with pytest.raises(OvmsError) as caught:
        version_param({"version": str(1 << 63)})
    assert caught.value.status is Status.MODEL_VERSION_MISSING
