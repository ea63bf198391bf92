"""Every REST error case over the real server: HTTP status codes and exact OVMS texts."""

from __future__ import annotations

import http.client
import logging

import httpx
import pytest

from tests.api_rest.conftest import BODY_LIMIT, RunningServer
from tests.api_rest.fake_dataplane import SECRET

ADD = {"inputs": {"x": [[1, 2, 3]]}}
PARSE = "Could not parse input content. Not valid ndarray detected"
INSTANCE = "Could not parse instance content. Not valid ndarray detected"

TFS_CASES = [
    ("POST", "/v1/models/nope:predict", ADD, 404, "Model with requested name is not found"),
    ("POST", "/v1/models/add/versions/9:predict", ADD, 404, "Model with requested version is not found"),
    ("POST", "/v1/models/add/versions/3:predict", ADD, 404, "Model with requested version is not loaded yet"),
    ("POST", f"/v1/models/add/versions/{1 << 63}:predict", ADD, 404, "Model with requested version is not found"),
    ("POST", "/v1/models/add:classify", {"examples": []}, 404, "Requested REST resource not found"),
    ("POST", "/v1/models/add/versions/1:regress", {"examples": []}, 404, "Requested REST resource not found"),
    ("POST", "/v1/models/add:predict", [1], 400, "Request body should be JSON object"),
    ("POST", "/v1/models/add:predict", {}, 400, "Invalid JSON structure. Could not detect row or column format"),
    ("POST", "/v1/models/add:predict", {"instances": []}, 400, "Invalid JSON structure. Missing instances in row format"),
    ("POST", "/v1/models/add:predict", {"instances": 3}, 400, "Invalid JSON structure. Nonamed instance is not an array."),
    ("POST", "/v1/models/add:predict", {"instances": [[1, 2, 3], [4]]}, 400, INSTANCE),
    ("POST", "/v1/models/add:predict", {"instances": [None]}, 400, "Could not detect neither named or nonamed format"),
    (
        "POST",
        "/v1/models/multi:predict",
        {"instances": [{"a": [1, 2], "b": [1, 2]}, {"a": [1, 2]}]},
        400,
        "Invalid JSON structure. Request inputs have different batch sizes",
    ),
    ("POST", "/v1/models/add:predict", {"inputs": {}}, 400, "Invalid JSON structure, missing inputs"),
    ("POST", "/v1/models/add:predict", {"inputs": {"x": [[1, 2], [3]]}}, 400, PARSE),
    ("POST", "/v1/models/add:predict", {"inputs": None}, 400, "Invalid JSON structure. One of inputs is not a JSON object."),
    ("POST", "/v1/models/multi:predict", {"inputs": [[1, 2]]}, 400, "Inputs inside buffer does not match expected format."),
    ("POST", "/v1/models/multi:predict", {"inputs": {"a": [[1, 2]]}}, 400, "Invalid number of inputs - Expected: 2; Actual: 1"),
    ("POST", "/v1/models/half:predict", {"inputs": {"x": [[1, 2, 3]]}}, 400,
     "Could not parse input content. Unsupported data precision detected"),
    ("POST", "/v1/models/boom:predict", {"inputs": [1]}, 500, "Internal server error"),
    ("GET", "/v1/models/nope", None, 404, "Model with requested name is not found"),
    ("GET", "/v1/models/add/versions/7", None, 404, "Model with requested version is not found"),
    ("GET", "/v1/models/nope/metadata", None, 404, "Model with requested name is not found"),
    ("GET", "/v1/models/add:predict", None, 406, "Unsupported method"),
    ("POST", "/v1/models/add", ADD, 406, "Unsupported method"),
    ("PUT", "/v1/models/add", None, 406, "Unsupported method"),
    ("DELETE", "/anything", None, 406, "Unsupported method"),
    ("GET", "/v1/nothing/here", None, 400, "Invalid request URL"),
    ("GET", "/v3/models", None, 400, "Invalid request URL"),
    ("POST", "/v1/config", None, 406, "Unsupported method"),
]


@pytest.mark.parametrize("method, path, body, code, text", TFS_CASES)
def test_tfs_and_url_errors(http: httpx.Client, method: str, path: str, body: object, code: int, text: str) -> None:
    response = http.request(method, path, json=body)
    assert response.status_code == code, response.text
    assert response.json() == {"error": text}
    assert response.headers["content-type"] == "application/json"


def test_invalid_json_is_412(http: httpx.Client) -> None:
    response = http.post("/v1/models/add:predict", content=b'{"instances": [1,')
    assert response.status_code == 412
    assert response.json() == {"error": "The file is not valid json - Error: unexpected end of data Offset: 17"}
    kserve = http.post("/v2/models/add/infer", content=b"{nope")
    assert kserve.status_code == 412 and kserve.json()["error"].startswith("The file is not valid json - Error: ")


def test_internal_errors_are_logged_not_leaked(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="ovms.api_rest"):
        response = http.post("/v1/models/boom:predict", json={"instances": [1.0]})
    assert response.status_code == 500 and SECRET not in response.text
    assert any(SECRET in (r.exc_text or "") for r in caplog.records)


def test_dotdot_path_is_400(rest_server: RunningServer) -> None:
    # httpx normalises "..", so send the raw request line.
    connection = http.client.HTTPConnection("127.0.0.1", rest_server.port, timeout=10)
    try:
        connection.request("GET", "/v1/models/../v1/models/add")
        response = connection.getresponse()
        assert response.status == 400
        assert response.read() == b'{"error":"The provided base path is invalid or doesn\'t exists"}'
    finally:
        connection.close()


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = b"[" + b"1," * BODY_LIMIT + b"1]"
    response = http.post("/v1/models/add:predict", content=big)
    assert response.status_code == 413
    assert response.json() == {"error": f"Request body is too large - limit is {BODY_LIMIT} bytes"}

    def chunks():
        for _ in range(8):
            yield b"x" * (BODY_LIMIT // 4)

    chunked = http.post("/v2/models/add/infer", content=chunks())
    assert chunked.status_code == 413
    assert http.get("/v2/health/live").status_code == 200  # the server is still fine


def test_bad_timeout_header(http: httpx.Client) -> None:
    response = http.post("/v1/models/add:predict", json=ADD, headers={"X-Request-Timeout-Ms": "soon"})
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid X-Request-Timeout-Ms header: expected a positive number of milliseconds"}


def test_config_endpoints(rest_server: RunningServer, http: httpx.Client) -> None:
    config = http.get("/v1/config").json()
    assert list(config) == sorted(config) and "add" in config
    assert config["add"]["model_version_status"][0]["version"] == "1"
    rest_server.dataplane.reload_result = True
    reloaded = http.post("/v1/config/reload")
    assert reloaded.status_code == 201 and reloaded.json() == config
    rest_server.dataplane.reload_result = False
    assert http.post("/v1/config/reload").status_code == 200


def test_config_reload_errors_use_the_tab_format(rest_server: RunningServer, http: httpx.Client) -> None:
    from ovms.errors import OvmsError, Status

    rest_server.dataplane.reload_result = OvmsError(Status.CONFIG_FILE_INVALID)
    try:
        response = http.post("/v1/config/reload")
    finally:
        rest_server.dataplane.reload_result = True
    assert response.status_code == 500
    assert response.content == b'{\n\t"error": "Config file not found or cannot open."\n}'


def test_metrics_hook(rest_server: RunningServer, bare_server: RunningServer) -> None:
    with_metrics = httpx.get(f"{rest_server.url}/metrics?name[]=x", timeout=10)
    assert with_metrics.status_code == 200 and with_metrics.text == "# fake metrics\n"
    assert httpx.post(f"{rest_server.url}/metrics", timeout=10).status_code == 400
    without = httpx.get(f"{bare_server.url}/metrics", timeout=10)
    assert without.status_code == 400 and without.json() == {"error": "Invalid request URL"}
