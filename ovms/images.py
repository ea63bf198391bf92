"""Encoded images (JPEG, PNG, anything OpenCV reads) into an NHWC tensor, as OVMS's binary inputs.

Contract (reference 5.3 "Binary inputs", OVMS's ``tensor_conversion.cpp``): each element is decoded
with OpenCV as it is stored (BGR, BGRA or grey, 8 or 16 bits, no colour conversion), converted to
the input's precision with a saturating cast (values stay 0-255: no scaling), and resized with
bilinear interpolation to the input's height and width (a range dimension takes the nearest
border, an any-size dimension the first image's size). Resizing needs an input configured as
``NHWC`` with no any-size dimension; otherwise every image must already have the input's and the
first image's resolution. The input's layout must fit ``N...HWC``, so an ``NCHW`` input refuses
images; use ``--layout NHWC:NCHW`` on such a model.

OpenCV releases the GIL while it decodes and resizes: callers run :func:`decode_images` on a
worker thread, never on the event loop.
"""

from __future__ import annotations

import os
from functools import cache
from types import ModuleType

import numpy as np

from ovms.errors import OvmsError, Status
from ovms.types import Dim, Precision, TensorSpec, dim_accepts, format_shape

# Decoded size that a small compressed payload may claim (a PNG of one colour compresses ~1000:1);
# OpenCV's own default is 2**30 pixels (3 GB as BGR). Users may set the variable themselves.
_MAX_PIXELS = str(1 << 26)
# Precisions an image converts to, as in OVMS (no 64-bit integers, no BOOL).
_IMAGE_DTYPES = frozenset(
    {Precision.FP32, Precision.FP64, Precision.FP16, Precision.I8, Precision.U8,
     Precision.I16, Precision.U16, Precision.I32}
)
# Element types cv2.resize interpolates in; others are resized in FP32 and cast back.
_RESIZABLE = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32, np.float64))
_LAYOUT = "NHWC"


@cache
def _cv2() -> ModuleType:
    """OpenCV, imported on first use (it is large and most models never see an image)."""
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", _MAX_PIXELS)
    import cv2

    # Parallelism comes from concurrent requests; OpenCV's own pool would compete with OpenVINO's.
    cv2.setNumThreads(1)
    return cv2


def accepts_images(spec: TensorSpec) -> bool:
    """Whether the input's layout is compatible with ``N...HWC`` (OVMS's layout intersection)."""
    letters = _expand(spec.layout or "N...", len(spec.shape))
    return letters is not None and all(a in (b, "?") for a, b in zip(letters, _LAYOUT))


def decode_images(spec: TensorSpec, items: list[bytes]) -> np.ndarray:
    """Decode ``items`` (non-empty, one per batch element) into an [N,H,W,C] array of the input.

    Raises OvmsError: UNSUPPORTED_LAYOUT, INVALID_PRECISION, IMAGE_PARSING_FAILED,
    INVALID_NO_OF_CHANNELS, BINARY_IMAGES_RESOLUTION_MISMATCH or INVALID_SHAPE.
    """
    if not accepts_images(spec):
        raise OvmsError(Status.UNSUPPORTED_LAYOUT)
    if spec.precision not in _IMAGE_DTYPES:
        raise OvmsError(
            Status.INVALID_PRECISION,
            f"binary images cannot be converted to {spec.precision.value}; input name: {spec.name}",
        )
    resizable = (spec.layout or "").upper() in (_LAYOUT, "...") and -1 not in spec.shape
    dtype = spec.precision.dtype
    images: list[np.ndarray] = []
    target: tuple[int, int] = (0, 0)
    for blob in items:
        image = _decode(blob)
        _check_image(spec, image, images[0] if images else None, resizable)
        if not images:
            target = (_target(spec.shape[1], image.shape[0]), _target(spec.shape[2], image.shape[1]))
        image = _cast(image, dtype)
        if image.shape[:2] != target:
            if not resizable:
                raise _shape_error(spec, len(items), image)
            image = _resize(image, target)
        images.append(image)
    return np.stack(images)


def _expand(layout: str, rank: int) -> str | None:
    """The layout's letters for ``rank`` dimensions (``...`` as ``?``), or None if it cannot fit."""
    layout = layout.upper()
    head, dots, tail = layout.partition("...")
    if not dots:
        return layout if len(layout) == rank else None
    missing = rank - len(head) - len(tail)
    return head + "?" * missing + tail if missing >= 0 else None


def _decode(blob: bytes) -> np.ndarray:
    cv2 = _cv2()
    try:
        image = cv2.imdecode(np.frombuffer(blob, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:  # e.g. more pixels than OPENCV_IO_MAX_IMAGE_PIXELS
        image = None
    if image is None:
        raise OvmsError(Status.IMAGE_PARSING_FAILED)
    return image if image.ndim == 3 else image[:, :, np.newaxis]


def _check_image(spec: TensorSpec, image: np.ndarray, first: np.ndarray | None, resizable: bool) -> None:
    if first is not None and not resizable and image.shape[:2] != first.shape[:2]:
        raise OvmsError(Status.BINARY_IMAGES_RESOLUTION_MISMATCH)
    channels: Dim = spec.shape[3]
    if channels == -1 and first is not None:
        channels = first.shape[2]
    if not dim_accepts(channels, image.shape[2]):
        raise OvmsError(Status.INVALID_NO_OF_CHANNELS)


def _target(dim: Dim, size: int) -> int:
    """The height or width an image gets: the input's size, the nearest border of its range, or
    the image's own size for an any-size dimension."""
    if isinstance(dim, tuple):
        return min(max(size, dim[0]), dim[1])
    return size if dim == -1 else dim


def _cast(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """OpenCV's ``convertTo``: floats round to nearest, integers saturate at the target's range."""
    if image.dtype == dtype:
        return image
    if dtype.kind == "f":
        return image.astype(dtype)
    info = np.iinfo(dtype)
    wide = np.rint(image) if image.dtype.kind == "f" else image.astype(np.int64)
    return np.clip(wide, info.min, info.max).astype(dtype)


def _resize(image: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    height, width = target
    cv2 = _cv2()
    source = image if image.dtype in _RESIZABLE else image.astype(np.float32)
    resized = cv2.resize(source, (width, height), interpolation=cv2.INTER_LINEAR)
    resized = resized.reshape(height, width, image.shape[2])  # one channel comes back 2-D
    return resized if resized.dtype == image.dtype else _cast(resized, image.dtype)


def _shape_error(spec: TensorSpec, count: int, image: np.ndarray) -> OvmsError:
    height, width, channels = image.shape
    return OvmsError(
        Status.INVALID_SHAPE,
        f"Expected: {format_shape(spec.shape)}; Actual: {format_shape((count, height, width, channels))}; "
        f"input name: {spec.name} (binary images are resized only for inputs configured as NHWC)",
    )
