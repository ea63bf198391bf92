"""KServe v2 REST endpoints (``/v2...``): health, server and model metadata, readiness, infer."""

from __future__ import annotations

from ovms.api_rest import kserve_response
from ovms.api_rest import rest_errors as texts
from ovms.api_rest.http_io import TIMEOUT_HEADER, Reply, RestCall, deadline_from
from ovms.api_rest.kserve_request import parse_infer
from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.routing import version_param
from ovms.dataplane import DataPlane
from ovms.errors import OvmsError, Status
from ovms.types import KSERVE_REST, InferRequest

HEADER_LENGTH = b"inference-header-content-length"
_INT32_MAX = (1 << 31) - 1


class KServeHandlers:
    """Handlers bound to one DataPlane; safe to share between concurrent requests."""

    def __init__(self, dataplane: DataPlane) -> None:
        self._dataplane = dataplane

    async def server_metadata(self, call: RestCall) -> Reply:
        """GET /v2: server name and version."""
        name, version = self._dataplane.server_metadata()
        return Reply(body=kserve_response.server_metadata_body(name, version))

    async def live(self, call: RestCall) -> Reply:
        """GET /v2/health/live: 200 with an empty body while the daemon runs."""
        if not self._dataplane.server_live():
            raise OvmsError(Status.INTERNAL_ERROR)
        return Reply()

    async def ready(self, call: RestCall) -> Reply:
        """GET /v2/health/ready: 200 once the initial configuration is loaded, else 503."""
        if not self._dataplane.server_ready():
            raise OvmsError(Status.SERVER_NOT_READY)
        return Reply()

    async def model_metadata(self, call: RestCall) -> Reply:
        """GET /v2/models/{name}[/versions/{v}][/]: inputs, outputs and AVAILABLE versions."""
        name = call.params["name"]
        meta = await self._dataplane.model_metadata(name, version_param(call.params), KSERVE_REST)
        versions = self._dataplane.available_versions(name)
        return Reply(body=kserve_response.model_metadata_body(meta, versions))

    async def model_ready(self, call: RestCall) -> Reply:
        """GET /v2/models/{name}[/versions/{v}]/ready: 200 when AVAILABLE, else 404 (OVMS)."""
        if not self._dataplane.model_ready(call.params["name"], version_param(call.params), KSERVE_REST):
            raise OvmsError(Status.MODEL_VERSION_NOT_LOADED_YET)
        return Reply()

    async def infer(self, call: RestCall) -> Reply:
        """POST /v2/models/{name}[/versions/{v}]/infer, JSON or JSON plus binary tensors.

        Deadline: header ``X-Request-Timeout-Ms`` or the request parameter ``timeout`` (µs).
        """
        parsed = parse_infer(call.body, _header_length(call.header(HEADER_LENGTH)))
        request = InferRequest(
            model_name=call.params["name"],
            version=version_param(call.params),
            inputs=parsed.inputs,
            frontend=KSERVE_REST,
            outputs=parsed.outputs,
            deadline=deadline_from(call.header(TIMEOUT_HEADER), parsed.parameters.get("timeout")),
            id=parsed.id,
            parameters=parsed.parameters,
        )
        response = await self._dataplane.infer(request)
        body, json_length = kserve_response.infer_body(response, parsed)
        if json_length is None:
            return Reply(body=body)
        return Reply(body=body, extra_headers=((HEADER_LENGTH, str(json_length).encode()),))


def _header_length(value: bytes | None) -> int | None:
    """``Inference-Header-Content-Length``: absent, or an int32 >= 0 (else 400)."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or int(text) > _INT32_MAX:
        raise RestError(texts.HEADER_LENGTH_INVALID)
    return int(text)
