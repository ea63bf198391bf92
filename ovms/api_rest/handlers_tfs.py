"""TF Serving REST endpoints (``/v1/models/...``) and the config endpoints (``/v1/config...``).

Each handler converts the request to domain terms, calls one DataPlane method and converts the
result back (a no-named predict tensor goes to the core under ``NONAMED_INPUT``, which binds it to
the model's only input). Errors propagate as OvmsError to the app's single error handler.
"""

from __future__ import annotations

from ovms.api_rest import tfs_response
from ovms.api_rest.http_io import TIMEOUT_HEADER, Reply, RestCall, deadline_from
from ovms.api_rest.jsonio import loads
from ovms.api_rest.routing import version_param
from ovms.api_rest.tfs_request import parse_predict
from ovms.dataplane import NONAMED_INPUT, DataPlane
from ovms.errors import OvmsError, Status
from ovms.types import TFS_REST, InferRequest


class TfsHandlers:
    """Handlers bound to one DataPlane; safe to share between concurrent requests."""

    def __init__(self, dataplane: DataPlane) -> None:
        self._dataplane = dataplane

    async def status(self, call: RestCall) -> Reply:
        """GET /v1/models/{name}[/versions/{v}]: statuses of all versions (v absent or 0) or one."""
        statuses = self._dataplane.model_status(call.params.get("name", ""), version_param(call.params), TFS_REST)
        return Reply(body=tfs_response.status_body(statuses))

    async def metadata(self, call: RestCall) -> Reply:
        """GET /v1/models/{name}[/versions/{v}]/metadata of the default (v absent or 0) or one version."""
        meta = await self._dataplane.model_metadata(call.params["name"], version_param(call.params), TFS_REST)
        return Reply(body=tfs_response.metadata_body(meta))

    async def predict(self, call: RestCall) -> Reply:
        """POST .../{name}[/versions/{v}]:predict; ``:classify`` and ``:regress`` are not served."""
        if call.params["verb"] != "predict":
            raise OvmsError(Status.REST_RESOURCE_NOT_FOUND)
        name, version = call.params["name"], version_param(call.params)
        parsed = parse_predict(loads(call.body))
        inputs = parsed.named
        if inputs is None:
            assert parsed.nonamed is not None  # the parser sets exactly one of them
            inputs = {NONAMED_INPUT: parsed.nonamed}
        request = InferRequest(
            model_name=name,
            version=version,
            inputs=inputs,
            frontend=TFS_REST,
            deadline=deadline_from(call.header(TIMEOUT_HEADER)),
        )
        response = await self._dataplane.infer(request)
        return Reply(body=tfs_response.predict_body(response.outputs, parsed.order))

    async def config(self, call: RestCall) -> Reply:
        """GET /v1/config: every model's version statuses."""
        return Reply(body=tfs_response.config_body(self._dataplane.config_status()))

    async def config_reload(self, call: RestCall) -> Reply:
        """POST /v1/config/reload: 201 when something was reloaded, else 200; body as /v1/config."""
        reloaded = await self._dataplane.reload_config()
        body = tfs_response.config_body(self._dataplane.config_status())
        return Reply(status=201 if reloaded else 200, body=body)
