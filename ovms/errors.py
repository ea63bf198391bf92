"""One error taxonomy for the whole daemon.

Every failure a client can see is an :class:`OvmsError` carrying a :class:`Status`. A status names
OVMS's internal status (``MODEL_NAME_MISSING`` ...), its canonical gRPC-style :class:`Code` and OVMS's
base message text. Edges map statuses to their wire codes in exactly one table each
(``api_grpc/status.py``, ``api_rest/status.py``); nothing else decides a wire code.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Code(IntEnum):
    """Canonical status codes (the numbering of grpc.StatusCode and tensorflow.error.Code)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class Status(Enum):
    """OVMS statuses that reach clients: (canonical code, OVMS base message)."""

    MODEL_NAME_MISSING = (Code.NOT_FOUND, "Model with requested name is not found")
    PIPELINE_DEFINITION_NAME_MISSING = (Code.NOT_FOUND, "Pipeline with requested name is not found")
    MEDIAPIPE_DEFINITION_NAME_MISSING = (
        Code.NOT_FOUND,
        "Mediapipe graph definition with requested name is not found",
    )
    MODEL_VERSION_MISSING = (Code.NOT_FOUND, "Model with requested version is not found")
    MODEL_VERSION_NOT_LOADED_YET = (Code.UNAVAILABLE, "Model with requested version is not loaded yet")
    MODEL_VERSION_NOT_LOADED_ANYMORE = (Code.NOT_FOUND, "Model with requested version is retired")
    MODEL_VERSION_INVALID_FORMAT = (Code.INVALID_ARGUMENT, "invalid model version format in request")
    MODEL_SPEC_MISSING = (Code.INVALID_ARGUMENT, "model_spec missing in request")
    INVALID_SIGNATURE_DEF = (Code.INVALID_ARGUMENT, "Invalid signature name")
    INVALID_NO_OF_INPUTS = (Code.INVALID_ARGUMENT, "Invalid number of inputs")
    INVALID_MISSING_INPUT = (Code.INVALID_ARGUMENT, "Missing input with specific name")
    INVALID_MISSING_OUTPUT = (Code.INVALID_ARGUMENT, "Missing output with specific name")
    INVALID_NO_OF_SHAPE_DIMENSIONS = (Code.INVALID_ARGUMENT, "Invalid number of shape dimensions")
    INVALID_BATCH_SIZE = (Code.INVALID_ARGUMENT, "Invalid input batch size")
    INVALID_SHAPE = (Code.INVALID_ARGUMENT, "Invalid input shape")
    INVALID_PRECISION = (Code.INVALID_ARGUMENT, "Invalid input precision")
    INVALID_CONTENT_SIZE = (Code.INVALID_ARGUMENT, "Invalid content size of tensor proto")
    INVALID_VALUE_COUNT = (
        Code.INVALID_ARGUMENT,
        "Invalid number of values in tensor proto container",
    )
    INVALID_NEGATIVE_DIMENSION = (
        Code.INVALID_ARGUMENT,
        "Negative or zero dimension size is not acceptable",
    )
    INVALID_MESSAGE_STRUCTURE = (
        Code.INVALID_ARGUMENT,
        "Passing buffers both in ModelInferRequest::InferInputTensor::contents and in "
        "ModelInferRequest::raw_input_contents is not allowed",
    )
    INVALID_INPUT_FORMAT = (Code.INVALID_ARGUMENT, "Inputs inside buffer does not match expected format.")
    UNSUPPORTED_PRECISION = (
        Code.INVALID_ARGUMENT,
        "Could not parse input content. Unsupported data precision detected",
    )
    UNSUPPORTED_LAYOUT = (
        Code.INVALID_ARGUMENT,
        "Received binary image input but resource not configured to accept NHWC layout",
    )
    IMAGE_PARSING_FAILED = (Code.INVALID_ARGUMENT, "Image parsing failed")
    INVALID_NO_OF_CHANNELS = (Code.INVALID_ARGUMENT, "Invalid number of channels in binary input")
    BINARY_IMAGES_RESOLUTION_MISMATCH = (
        Code.INVALID_ARGUMENT,
        "Binary input images for this endpoint are required to have the same resolution",
    )
    STRING_VAL_EMPTY = (Code.INVALID_ARGUMENT, "String val is empty")
    BYTES_CONTENTS_EMPTY = (Code.INVALID_ARGUMENT, "Bytes contents is empty")
    INVALID_STRING_MAX_SIZE_EXCEEDED = (
        Code.INVALID_ARGUMENT,
        "Maximum 2D array after string conversion exceeded 1GB",
    )
    REST_PARSE_ERROR = (Code.INVALID_ARGUMENT, "Invalid JSON structure")
    JSON_INVALID = (Code.FAILED_PRECONDITION, "The file is not valid json")
    RESHAPE_ERROR = (Code.FAILED_PRECONDITION, "Model could not be reshaped with requested shape")
    CANNOT_COMPILE_MODEL_INTO_TARGET_DEVICE = (
        Code.FAILED_PRECONDITION,
        "Cannot compile model into target device",
    )
    OV_INTERNAL_INFERENCE_ERROR = (Code.INTERNAL, "Internal inference error")
    REQUEST_TOO_LARGE = (Code.RESOURCE_EXHAUSTED, "Request body is too large")
    QUEUE_FULL = (Code.RESOURCE_EXHAUSTED, "Request queue is full")
    DEADLINE_EXCEEDED = (Code.DEADLINE_EXCEEDED, "Deadline exceeded before inference")
    SERVER_NOT_READY = (Code.UNAVAILABLE, "Server is not ready")
    SHUTTING_DOWN = (Code.UNAVAILABLE, "Server is shutting down")
    REST_RESOURCE_NOT_FOUND = (Code.NOT_FOUND, "Requested REST resource not found")
    REST_INVALID_URL = (Code.INVALID_ARGUMENT, "Invalid request URL")
    REST_UNSUPPORTED_METHOD = (Code.UNIMPLEMENTED, "Unsupported method")
    CONFIG_FILE_INVALID = (Code.FAILED_PRECONDITION, "Config file not found or cannot open.")
    CONFIG_RELOAD_FAILED = (
        Code.FAILED_PRECONDITION,
        "Reloading config file failed. Check server logs for more info.",
    )
    MODEL_RELOAD_FAILED = (
        Code.FAILED_PRECONDITION,
        "Reloading models versions failed. Check server logs for more info.",
    )
    INTERNAL_ERROR = (Code.INTERNAL, "Internal server error")

    @property
    def code(self) -> Code:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


class OvmsError(Exception):
    """A failure with an OVMS status; ``str(err)`` is the exact text sent to clients.

    The text is ``"<base message>"`` or ``"<base message> - <details>"``, as in OVMS.
    """

    def __init__(self, status: Status, details: str = "") -> None:
        self.status = status
        self.details = details
        super().__init__(f"{status.message} - {details}" if details else status.message)

    @property
    def code(self) -> Code:
        return self.status.code


class ConfigError(Exception):
    """An invalid setting, CLI flag or config.json; the text names the offending key."""


class EntryError(ConfigError):
    """A value OVMS's schema accepts but the model cannot use (a malformed shape string, ".." in a
    path, too many infer requests): in config.json only that model entry is skipped, as in OVMS."""
