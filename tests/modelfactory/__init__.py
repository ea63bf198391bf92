"""Tiny models made by code, for tests and the demo repository (nothing is ever downloaded).

Every `build_*` function writes one model into a version folder (e.g. `<repo>/<name>/1/`), creating
it if needed, and returns a `ModelSpec`: the exposed input/output names, shapes and dtypes, and a
numpy reference of the outputs. TensorFlow is imported only when a TF builder is called.
"""

from .broken import build_broken_ir, build_broken_onnx, build_empty_version, write_mapping_config
from .ir import (
    build_add_sub_ir,
    build_batched_ir,
    build_dummy_ir,
    build_dynamic_ir,
    build_reshape_ir,
    build_strings_ir,
    build_typed_ir,
)
from .onnx_models import build_add_sub_onnx, build_dummy_onnx
from .paddle import build_dummy_paddle
from .resnet import build_resnet50_ir, build_resnet_io_ir
from .slow import build_slow_ir
from .spec import ModelFormat, ModelSpec, TensorSpec
from .tf_models import (
    build_add_sub_saved_model,
    build_add_sub_tflite,
    build_dummy_saved_model,
    build_dummy_tflite,
)

__all__ = [
    "ModelFormat",
    "ModelSpec",
    "TensorSpec",
    "build_add_sub_ir",
    "build_add_sub_onnx",
    "build_add_sub_saved_model",
    "build_add_sub_tflite",
    "build_batched_ir",
    "build_broken_ir",
    "build_broken_onnx",
    "build_dummy_ir",
    "build_dummy_onnx",
    "build_dummy_paddle",
    "build_dummy_saved_model",
    "build_dummy_tflite",
    "build_dynamic_ir",
    "build_empty_version",
    "build_reshape_ir",
    "build_resnet50_ir",
    "build_resnet_io_ir",
    "build_strings_ir",
    "build_slow_ir",
    "build_typed_ir",
    "write_mapping_config",
]
