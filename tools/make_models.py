"""Build the committed demo model repository and its config: `python tools/make_models.py`.

Writes models/{dummy/1,dummy/2,add_sub/1,dynamic/1} and config/config.json at the repository root
(or where --models-dir / --config say). Output is deterministic: rerunning changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.modelfactory.demo import build_demo_repository, write_demo_config  # noqa: E402


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config" / "config.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build the demo repository and config; print what was written."""
    args = _parse(argv)
    specs = build_demo_repository(args.models_dir)
    for name, versions in specs.items():
        for version, spec in versions.items():
            print(f"{name}/{version}: {spec.format} {spec.input_names} -> {spec.output_names}")
    # The config refers to the models through config/models -> ../models (no ".." in base_path).
    link = args.config.parent / "models"
    if not link.exists():
        link.symlink_to(os.path.relpath(args.models_dir.absolute(), args.config.parent.absolute()))
    print(f"config: {write_demo_config(args.config, link)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
