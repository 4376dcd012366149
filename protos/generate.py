"""Regenerate the Python modules of ``minitf.protos`` from the ``.proto`` files beside this one.

Run ``make protos`` (or ``python protos/generate.py``) after editing a ``.proto`` file and commit
the result; ``tests/export/test_protos.py`` fails while the committed modules are stale.

Every ``protos/<name>.proto`` is compiled under the file name ``minitf/protos/<name>.proto`` into
``protos/<name>_pb2.py`` and ``protos/<name>_pb2.pyi``. The file names never collide with
TensorFlow's, TF Serving's or Triton's in the default descriptor pool, and the generated modules
import each other as ``from minitf.protos import ..._pb2``. Only messages are generated: the
server registers its gRPC handlers itself, under the canonical service names.

The output depends only on the sources and on the pinned grpcio-tools (its bundled protoc).
``--out DIR`` writes the modules to DIR instead (the staleness test compares them). Run it in a
process of its own: grpc_tools' protoc crashes in a process that has imported tensorflow.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

PROTOS_DIR = Path(__file__).resolve().parent
# Where the sources live in the proto namespace; also the import path of the generated modules.
PROTO_ROOT = "minitf/protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi")


def proto_sources(src_dir: Path = PROTOS_DIR) -> list[Path]:
    """The ``.proto`` files to compile, in a stable order."""
    return sorted(src_dir.glob("*.proto"))


def generate(out_dir: Path, src_dir: Path = PROTOS_DIR) -> list[Path]:
    """Compile every source in ``src_dir`` into ``out_dir``; return the written files, sorted."""
    from grpc_tools import protoc  # only needed here, so importing minitf.protos stays light

    sources = proto_sources(src_dir)
    if not sources:
        raise FileNotFoundError(f"no .proto files in {src_dir}")
    well_known = resources.files("grpc_tools") / "_proto"  # google/protobuf/*.proto
    with tempfile.TemporaryDirectory() as tmp:
        include, gen = Path(tmp, "include"), Path(tmp, "gen")
        staged = include / PROTO_ROOT
        staged.mkdir(parents=True)
        gen.mkdir()
        for src in sources:
            shutil.copyfile(src, staged / src.name)
        args = [
            "grpc_tools.protoc",
            f"--proto_path={include}",
            f"--proto_path={well_known}",
            f"--python_out={gen}",
            f"--pyi_out={gen}",
            *(str(staged / src.name) for src in sources),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed: {' '.join(args)}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for produced in sorted((gen / PROTO_ROOT).iterdir()):
            target = out_dir / produced.name
            shutil.copyfile(produced, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", type=Path, help="write here instead of into protos/")
    out = parser.parse_args(argv).out
    written = generate(out or PROTOS_DIR)
    stale = [] if out else _remove_stale(PROTOS_DIR, keep={path.name for path in written})
    print(f"protos: wrote {len(written)} files, removed {len(stale)} stale ones")
    return 0


def _remove_stale(directory: Path, keep: set[str]) -> list[Path]:
    """Delete generated files whose source is gone."""
    stale = [
        path
        for path in sorted(directory.iterdir())
        if path.name.endswith(GENERATED_SUFFIXES) and path.name not in keep
    ]
    for path in stale:
        path.unlink()
    return stale


if __name__ == "__main__":
    sys.exit(main())
