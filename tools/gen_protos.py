"""Regenerate ``ovms/api_grpc/generated/`` from the ``.proto`` files in ``ovms/api_grpc/protos/``.

Usage::

    python tools/gen_protos.py            # rewrite the committed generated modules
    python tools/gen_protos.py --out DIR  # generate elsewhere (the staleness test does this)

Runs ``grpc_tools.protoc`` (messages only: ``*_pb2.py`` plus ``*_pb2.pyi`` stubs; the services are
registered by hand with their standard names) and post-processes its output:

- the ``ovmspy/`` directory level is dropped and cross-file imports become package-relative
  (``from ..tf import tensor_pb2``), so the modules live inside ``ovms.api_grpc.generated``;
- the module name passed to the protobuf builder becomes the real dotted module path;
- the gencode version check is pinned to ``MIN_PROTOBUF`` (the floor pinned in pyproject.toml).
  protoc stamps its own, newer version, which would make the modules refuse every older runtime;
  the emitted code (a serialized descriptor plus builder calls) is the same since protobuf 5.26,
  and the test suite imports it under the floor version to prove that.

The output is deterministic, so regenerating an unchanged tree is a no-op.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO / "ovms" / "api_grpc" / "protos"
GENERATED = REPO / "ovms" / "api_grpc" / "generated"
PACKAGE = "ovms.api_grpc.generated"
PROTO_PREFIX = "ovmspy"  # first path component of every proto file (unique file names)
MIN_PROTOBUF = (6, 31, 1)

_IMPORT = re.compile(rf"^from {PROTO_PREFIX}\.(\w+) import (\w+) as (\w+)$", re.MULTILINE)
_BUILD = re.compile(rf"_builder\.BuildTopDescriptorsAndMessages\(DESCRIPTOR, '{PROTO_PREFIX}\.(\w+)\.(\w+)'")
_VERSION = re.compile(
    r"(ValidateProtobufRuntimeVersion\(\n\s+_runtime_version\.Domain\.PUBLIC,\n)\s+\d+,\n\s+\d+,\n\s+\d+,\n"
)
_STAMP = re.compile(r"^# Protobuf Python Version: .*$", re.MULTILINE)

INIT_DOC = {
    "": '"""Generated protobuf messages (see tools/gen_protos.py); do not edit."""\n',
    "tf": '"""TensorFlow core messages (package ovmspy.tensorflow); generated, do not edit."""\n',
    "tfs": '"""TF Serving API messages (package ovmspy.tensorflow.serving); generated, do not edit."""\n',
    "kserve": '"""KServe v2 messages (package ovmspy.inference); generated, do not edit."""\n',
}


def proto_files() -> list[Path]:
    """All .proto files, relative to PROTO_ROOT, in a stable order."""
    return sorted(p.relative_to(PROTO_ROOT) for p in PROTO_ROOT.rglob("*.proto"))


def run_protoc(out_dir: Path) -> None:
    """Run protoc on every proto file, writing raw output under ``out_dir/ovmspy/``."""
    from grpc_tools import protoc  # imported here: a test/dev dependency only

    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *(str(p) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed; see the messages above")


def fix_module(text: str, subpackage: str) -> str:
    """Rewrite one generated module (or stub) for its place inside ``PACKAGE``."""

    def relative(match: re.Match[str]) -> str:
        target, module, alias = match.groups()
        source = "." if target == subpackage else f"..{target}"
        return f"from {source} import {module} as {alias}"

    text = _IMPORT.sub(relative, text)
    text = _BUILD.sub(
        lambda m: f"_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, '{PACKAGE}.{m[1]}.{m[2]}'", text
    )
    major, minor, patch = MIN_PROTOBUF
    text = _VERSION.sub(rf"\g<1>    {major},\n    {minor},\n    {patch},\n", text)
    return _STAMP.sub(f"# Protobuf Python Version: {major}.{minor}.{patch} (pinned by tools/gen_protos.py)", text)


def generate(out_dir: Path) -> list[Path]:
    """Write the post-processed package into ``out_dir``; returns the files written (relative)."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_protoc(Path(tmp))
        raw_root = Path(tmp) / PROTO_PREFIX
        for raw in sorted(raw_root.rglob("*_pb2.py*")):
            rel = raw.relative_to(raw_root)
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / rel).write_text(fix_module(raw.read_text(), rel.parent.name))
            written.append(rel)
    for sub, doc in INIT_DOC.items():
        init = Path(sub) / "__init__.py"
        (out_dir / init).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / init).write_text(doc)
        written.append(init)
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GENERATED, help="output package directory")
    args = parser.parse_args(argv)
    if args.out.resolve() == GENERATED.resolve() and GENERATED.exists():
        shutil.rmtree(GENERATED)  # drop modules of deleted protos
    for rel in generate(args.out):
        print(args.out / rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
