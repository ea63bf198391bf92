"""Encoded images and strings into numeric inputs, against the real daemon with the real clients.

Models (identities, so the output is exactly what the daemon fed OpenVINO):
- ``photo``: an NCHW [1,3,6,8] FP32 model served with ``layout: NHWC:NCHW`` (client-facing
  [1,6,8,3]): images are resized to 6x8 and come back transposed to NCHW.
- ``pixels``: [-1,6,8,3] U8 with OVMS's default layout ``N...``: images must be 6x8 already.
- ``rows``: [-1,-1] U8: strings become zero-padded rows.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as tgrpc
import tritonclient.http as thttp
from ovmsclient import make_grpc_client
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
from tritonclient.utils import InferenceServerException

from tests import modelfactory as mf
from tests.e2e.daemon import Daemon, start_daemon

RNG = np.random.default_rng(11)
# 12x16 BGR made of 2x2 blocks of one colour: OpenCV's bilinear 2x reduction is the block mean.
BIG = np.repeat(np.repeat(RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8), 2, axis=0), 2, axis=1)
SMALL = [RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8) for _ in range(2)]


def png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


def jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def block_mean_nchw(image: np.ndarray) -> np.ndarray:
    """Numpy reference for ``photo``: halve the resolution by 2x2 means, HWC -> NCHW."""
    height, width, channels = image.shape
    halved = image.astype(np.float32).reshape(height // 2, 2, width // 2, 2, channels).mean(axis=(1, 3))
    return halved.transpose(2, 0, 1)[np.newaxis]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("binary-models")
    mf.build_typed_ir(root / "photo/1", "float32", increment=0.0, shape=(1, 3, 6, 8))
    mf.build_typed_ir(root / "pixels/1", "uint8", increment=0, shape=(-1, 6, 8, 3))
    mf.build_typed_ir(root / "rows/1", "uint8", increment=0, shape=(-1, -1))
    entries = [
        {"config": {"name": "photo", "base_path": str(root / "photo"), "layout": "NHWC:NCHW"}},
        {"config": {"name": "pixels", "base_path": str(root / "pixels")}},
        {"config": {"name": "rows", "base_path": str(root / "rows")}},
    ]
    config = Path(tmp_path_factory.mktemp("binary-daemon")) / "config.json"
    config.write_text(json.dumps({"model_config_list": entries}))
    running = start_daemon(["--config_path", str(config)], config.parent)
    yield running
    assert running.stop() == 0, running.log()


def tfs_request(model: str, blobs: list[bytes], name: str = "b") -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs[name].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, tensor_shape={"dim": [{"size": len(blobs)}]}, string_val=blobs))
    return request


def tfs_predict(daemon: Daemon, request: predict_pb2.PredictRequest) -> np.ndarray:
    with grpc.insecure_channel(daemon.grpc_url) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=10)
    output = response.outputs["a"]
    shape = [d.size for d in output.tensor_shape.dim]
    dtype = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_UINT8: np.uint8}[output.dtype]
    return np.frombuffer(output.tensor_content, dtype=dtype).reshape(shape)


def test_tfs_grpc_png_is_resized_and_transposed(daemon):
    result = tfs_predict(daemon, tfs_request("photo", [png(BIG)]))
    np.testing.assert_allclose(result, block_mean_nchw(BIG), atol=1e-4)


def test_ovmsclient_sends_a_jpeg_as_a_binary_input(daemon):
    blob = jpeg(SMALL[0])
    client = make_grpc_client(daemon.grpc_url)
    result = client.predict({"b": blob}, "photo")
    # Same resolution, so no resize: exactly what OpenCV decodes, as FP32, in NCHW.
    decoded = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(result, decoded.astype(np.float32).transpose(2, 0, 1)[np.newaxis])


def test_tfs_rest_b64_row_and_column_formats(daemon):
    b64 = {"b64": base64.b64encode(png(BIG)).decode()}
    for body in ({"instances": [b64]}, {"inputs": {"b": [b64]}}):
        response = httpx.post(f"{daemon.rest_url}/v1/models/photo:predict", json=body, timeout=10)
        assert response.status_code == 200, response.text
        answer = response.json()
        values = answer["predictions"] if "instances" in body else answer["outputs"]
        np.testing.assert_allclose(np.array(values, dtype=np.float32), block_mean_nchw(BIG), atol=1e-4)


def test_kserve_grpc_and_rest_binary_bytes_batch_of_two(daemon):
    # KServe REST carries images only as binary data: JSON BYTES data are UTF-8 strings.
    blobs = np.array([png(image) for image in SMALL], dtype=object)
    grpc_client = tgrpc.InferenceServerClient(daemon.grpc_url)
    http_client = thttp.InferenceServerClient(f"127.0.0.1:{daemon.rest_port}")
    try:
        grpc_input = tgrpc.InferInput("b", [2], "BYTES")
        grpc_input.set_data_from_numpy(blobs)
        http_input = thttp.InferInput("b", [2], "BYTES")
        http_input.set_data_from_numpy(blobs, binary_data=True)
        for result in (grpc_client.infer("pixels", [grpc_input], client_timeout=10),
                       http_client.infer("pixels", [http_input])):
            np.testing.assert_array_equal(result.as_numpy("a"), np.stack(SMALL))
    finally:
        grpc_client.close()
        http_client.close()


def test_strings_become_zero_padded_u8_rows(daemon):
    words = [b"ab", b"c", b"\x00z"]
    rows = tfs_predict(daemon, tfs_request("rows", words))
    np.testing.assert_array_equal(rows, np.array([[97, 98, 0], [99, 0, 0], [0, 122, 0]], dtype=np.uint8))
    response = httpx.post(f"{daemon.rest_url}/v1/models/rows:predict", json={"instances": ["hi", "o"]},
                          timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [[104, 105, 0], [111, 0, 0]]}


@pytest.mark.parametrize(("model", "blob", "text"), [
    ("photo", b"not an image", "Image parsing failed"),
    ("photo", png(SMALL[0][:, :, 0]), "Invalid number of channels in binary input"),
    ("pixels", png(BIG), "Invalid input shape - Expected: (-1,6,8,3); Actual: (1,12,16,3); input name: b"),
    ("photo", b"", "String val is empty"),
])
def test_bad_images_get_clear_errors_and_the_daemon_keeps_serving(daemon, model, blob, text):
    with pytest.raises(grpc.RpcError) as caught:
        tfs_predict(daemon, tfs_request(model, [blob]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(text)
    b64 = {"b64": base64.b64encode(blob).decode()}
    response = httpx.post(f"{daemon.rest_url}/v1/models/{model}:predict", json={"instances": [b64]}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"].startswith(text)
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    try:
        tensor = tgrpc.InferInput("b", [1], "BYTES")
        tensor.set_data_from_numpy(np.array([blob], dtype=object))
        with pytest.raises(InferenceServerException) as kserve_error:
            client.infer(model, [tensor], client_timeout=10)
        expected = "Bytes contents is empty" if not blob else text
        assert kserve_error.value.status() == "StatusCode.INVALID_ARGUMENT"
        assert expected in kserve_error.value.message()
    finally:
        client.close()
    np.testing.assert_allclose(tfs_predict(daemon, tfs_request("photo", [png(BIG)])), block_mean_nchw(BIG),
                               atol=1e-4)


def test_binary_input_must_be_one_dimensional(daemon):
    request = tfs_request("photo", [png(BIG)])
    request.inputs["b"].tensor_shape.dim.add().size = 1
    with pytest.raises(grpc.RpcError) as caught:
        tfs_predict(daemon, request)
    assert caught.value.details() == (
        "Invalid number of shape dimensions - Expected number of binary input shape dimensions: 1; "
        "Actual: 2; input name: b")


def test_an_image_that_decodes_too_large_is_refused(daemon):
    # 72 M pixels, ~70 KB as PNG: above the daemon's default OPENCV_IO_MAX_IMAGE_PIXELS (2**26).
    bomb = png(np.zeros((9000, 8000), dtype=np.uint8))
    assert len(bomb) < 1 << 20
    with pytest.raises(grpc.RpcError) as caught:
        tfs_predict(daemon, tfs_request("photo", [bomb]))
    assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                             "Image parsing failed")
