"""Image decoding for binary inputs: layouts, precisions, resizing, and OVMS's errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ovms.errors import OvmsError, Status
from ovms.images import accepts_images, decode_images
from ovms.types import Precision, TensorSpec

RNG = np.random.default_rng(3)
IMAGE = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
# 2x2 blocks of one colour: a bilinear 2x reduction is exactly the block mean.
BLOCKS = np.repeat(np.repeat(IMAGE, 2, axis=0), 2, axis=1)


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def spec(shape, precision=Precision.FP32, layout=None) -> TensorSpec:
    return TensorSpec("img", precision, tuple(shape), 0, layout)


def failure(input_spec: TensorSpec, blobs: list[bytes]) -> OvmsError:
    with pytest.raises(OvmsError) as caught:
        decode_images(input_spec, blobs)
    return caught.value


@pytest.mark.parametrize(("layout", "accepted"), [
    (None, True), ("NHWC", True), ("nhwc", True), ("N...", True), ("...", True), ("N...C", True),
    ("NHW?", True), ("NCHW", False), ("N?HWC", False), ("NC...", False), ("HWC", False),
])
def test_layouts_compatible_with_nhwc(layout, accepted):
    assert accepts_images(spec((1, 6, 8, 3), layout=layout)) is accepted


def test_png_decodes_losslessly_as_bgr_in_the_inputs_precision():
    for precision in (Precision.FP32, Precision.U8, Precision.I32, Precision.FP16):
        result = decode_images(spec((2, 6, 8, 3), precision), [png(IMAGE), png(IMAGE[::-1])])
        assert result.dtype == precision.dtype
        np.testing.assert_array_equal(result, np.stack([IMAGE, IMAGE[::-1]]).astype(precision.dtype))


def test_resize_to_a_configured_nhwc_input_is_bilinear():
    expected = BLOCKS.astype(np.float32).reshape(6, 2, 8, 2, 3).mean(axis=(1, 3))
    result = decode_images(spec((1, 6, 8, 3), layout="NHWC"), [png(BLOCKS)])
    np.testing.assert_allclose(result[0], expected, atol=1e-4)
    grey = decode_images(spec((1, 6, 8, 1), layout="NHWC"), [png(BLOCKS[:, :, 0])])
    np.testing.assert_allclose(grey[0, :, :, 0], expected[:, :, 0], atol=1e-4)
    # I8 is not an OpenCV resize type: resized in FP32, then saturated (values above 127 clip).
    signed = decode_images(spec((1, 6, 8, 3), Precision.I8, layout="NHWC"), [png(BLOCKS)])
    np.testing.assert_array_equal(signed[0], np.minimum(expected, 127).astype(np.int8))


def test_ranges_take_the_nearest_border_and_any_size_the_first_image():
    clamped = decode_images(spec((1, (2, 6), (16, 20), 3), layout="NHWC"), [png(BLOCKS)])
    assert clamped.shape == (1, 6, 16, 3)
    free = decode_images(spec((-1, -1, -1, 3)), [png(BLOCKS), png(BLOCKS)])
    np.testing.assert_array_equal(free, np.stack([BLOCKS, BLOCKS]).astype(np.float32))


def test_sixteen_bit_png_saturates_into_u8_and_keeps_values_in_fp32():
    deep = (IMAGE.astype(np.uint16) * 257)
    np.testing.assert_array_equal(decode_images(spec((1, 6, 8, 3), Precision.U8), [png(deep)])[0],
                                  np.where(deep > 255, 255, deep).astype(np.uint8))
    np.testing.assert_array_equal(decode_images(spec((1, 6, 8, 3)), [png(deep)])[0], deep.astype(np.float32))


def test_errors_in_ovms_order_and_words():
    assert failure(spec((1, 6, 8, 3), layout="NCHW"), [png(IMAGE)]).status is Status.UNSUPPORTED_LAYOUT
    assert failure(spec((1, 6, 8, 3), Precision.I64), [png(IMAGE)]).status is Status.INVALID_PRECISION
    assert str(failure(spec((1, 6, 8, 3)), [b"\x89PNG broken"])) == "Image parsing failed"
    assert failure(spec((1, 3, 6, 8)), [png(IMAGE)]).status is Status.INVALID_NO_OF_CHANNELS
    mixed = failure(spec((-1, -1, -1, -1)), [png(IMAGE), png(IMAGE[:, :, :1])])
    assert mixed.status is Status.INVALID_NO_OF_CHANNELS
    sizes = failure(spec((-1, -1, -1, 3)), [png(IMAGE), png(BLOCKS)])
    assert sizes.status is Status.BINARY_IMAGES_RESOLUTION_MISMATCH
    # OVMS's default layout N... does not resize: the image must have the input's resolution.
    assert str(failure(spec((1, 6, 8, 3)), [png(BLOCKS)])).startswith(
        "Invalid input shape - Expected: (1,6,8,3); Actual: (1,12,16,3); input name: img")
