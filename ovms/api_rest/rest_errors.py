"""OVMS REST-only error texts that the core taxonomy does not name one by one.

OVMS has a dozen REST parser statuses ("Could not parse instance content. Not valid ndarray
detected", ...), all answered with HTTP 400. The core keeps one status for them
(``Status.REST_PARSE_ERROR``), so a :class:`RestError` carries that status, which the single HTTP
table in ``status.py`` maps, and OVMS's exact text, which is what ``str(err)`` returns.
"""

from __future__ import annotations

from ovms.errors import OvmsError, Status

# TFS REST parser (src/rest_parser.cpp, src/status.cpp).
BODY_NOT_OBJECT = "Request body should be JSON object"
UNKNOWN_ORDER = "Invalid JSON structure. Could not detect row or column format"
INSTANCES_NOT_ARRAY = "Invalid JSON structure. Nonamed instance is not an array."
NAMED_INSTANCE_NOT_OBJECT = "Invalid JSON structure. One of named instances is not a JSON object."
NO_INSTANCES = "Invalid JSON structure. Missing instances in row format"
NOT_NAMED_OR_NONAMED = "Could not detect neither named or nonamed format"
INSTANCE_NOT_NDARRAY = "Could not parse instance content. Not valid ndarray detected"
BATCH_SIZES_DIFFER = "Invalid JSON structure. Request inputs have different batch sizes"
INPUTS_NOT_OBJECT = "Invalid JSON structure. One of inputs is not a JSON object."
NO_INPUTS = "Invalid JSON structure, missing inputs"
INPUT_NOT_NDARRAY = "Could not parse input content. Not valid ndarray detected"
RESPONSE_TO_JSON = "Response parsing to JSON error"

# KServe REST parser and binary data extension.
OUTPUT_NOT_PARSED = "Could not parse output content."
PARAMETERS_NOT_PARSED = "Could not parse request parameters"
BINARY_SIZE_INVALID = "binary_data_size parameter is invalid and cannot be parsed"
BINARY_BUFFER_EXCEEDED = "Received buffer size is smaller than binary_data_size parameter indicates"
HEADER_LENGTH_INVALID = "Inference-Header-Content-Length header is invalid and couldn't be parsed"
HEADER_LENGTH_EXCEEDS = "Inference-Header-Content-Length header exceeds actual payload length"
BOTH_BINARY_AND_JSON = "Request contains values both in binary data and in content value"

# URL handling: OVMS answers PATH_INVALID for any path with "..".
PATH_INVALID = "The provided base path is invalid or doesn't exists"

# Not OVMS: our optional deadline header (see ``http_io.deadline_from``).
TIMEOUT_HEADER_INVALID = "Invalid X-Request-Timeout-Ms header: expected a positive number of milliseconds"


class RestError(OvmsError):
    """An OvmsError whose client text is an OVMS REST text rather than ``status.message``.

    ``status`` decides the HTTP code (through ``status.py``); ``str(err)`` is ``text`` exactly.
    """

    def __init__(self, text: str, status: Status = Status.REST_PARSE_ERROR) -> None:
        super().__init__(status, text)
        # OvmsError renders "<base> - <details>"; OVMS sends these texts without a base message.
        self.args = (text,)

