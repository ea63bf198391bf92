"""URL routing with OVMS's rules: precompiled patterns matched on the raw (percent-encoded) path.

Matching the raw path lets a model name contain an encoded ``/``; captured parameters are
percent-decoded afterwards. Errors, in OVMS's order: a path containing ``..`` is 400
(PATH_INVALID); a method other than GET/POST is 406; a known path with the wrong method is 406;
an unknown path is 400 "Invalid request URL".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.http_io import Reply, RestCall
from ovms.api_rest.jsonio import ErrorStyle
from ovms.api_rest.rest_errors import RestError
from ovms.errors import OvmsError, Status

Handler = Callable[[RestCall], Awaitable[Reply]]

_METHODS = frozenset({"GET", "POST"})
_INT64_MAX = (1 << 63) - 1

# Path patterns (fullmatch), after src/http_rest_api_handler.cpp. {name}/{version}/{label} groups.
_VERSION = r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>\w+))?"
V1_PREDICT = rf"/v1/models/(?P<name>[^/:]+){_VERSION}:(?P<verb>classify|regress|predict)"
V1_METADATA = rf"/v1/models/(?P<name>[^/:]+){_VERSION}/metadata"
V1_STATUS = rf"/v1/models(?:/(?P<name>[^/:]+))?{_VERSION}"
V1_CONFIG = r"/v1/config"
V1_CONFIG_RELOAD = r"/v1/config/reload"
_V2_MODEL = r"/v2/models/(?P<name>[^/]+)(?:/versions/(?P<version>\d+))?"
V2_SERVER = r"/v2"
V2_LIVE = r"/v2/health/live"
V2_READY = r"/v2/health/ready"
V2_MODEL_READY = _V2_MODEL + "/ready"
V2_INFER = _V2_MODEL + "/infer"
V2_METADATA = _V2_MODEL + "/?"


@dataclass(frozen=True, slots=True)
class Route:
    """A path pattern, its handler per HTTP method, and how its errors are rendered."""

    pattern: str
    methods: Mapping[str, Handler]
    error_style: ErrorStyle = "compact"


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    handler: Handler
    params: dict[str, str]


class Router:
    """Finds the handler for (method, raw path); routes are tried in the order given.

    Routes are bucketed by their first path segment, so a request tries only a few patterns.
    """

    def __init__(self, routes: list[Route]) -> None:
        self._buckets: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
        for route in routes:
            bucket = self._buckets.setdefault(_first_segment(route.pattern), [])
            bucket.append((re.compile(route.pattern, re.ASCII), route))

    def match(self, method: str, raw_path: str) -> Match:
        """The matching route; raises OvmsError (400/406) as described in the module doc."""
        if ".." in raw_path or ".." in unquote(raw_path):
            raise RestError(texts.PATH_INVALID)
        if method not in _METHODS:
            raise OvmsError(Status.REST_UNSUPPORTED_METHOD)
        for pattern, route in self._buckets.get(_first_segment(raw_path), ()):
            found = pattern.fullmatch(raw_path)
            if found is None:
                continue
            handler = route.methods.get(method)
            if handler is None:
                raise OvmsError(Status.REST_UNSUPPORTED_METHOD)
            params = {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
            return Match(route, handler, params)
        raise OvmsError(Status.REST_INVALID_URL)


def _first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:] if end < 0 else path[1:end]


def version_param(params: dict[str, str]) -> int:
    """The URL's model version; 0 (default/all) when absent or given by label (labels are ignored).

    A version beyond int64 cannot exist: MODEL_VERSION_MISSING, as OVMS answers.
    """
    text = params.get("version")
    if text is None:
        return 0
    version = int(text)
    if version > _INT64_MAX:
        raise OvmsError(Status.MODEL_VERSION_MISSING)
    return version
