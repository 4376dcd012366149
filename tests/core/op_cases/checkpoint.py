"""Cases for the Saver's ops: ShardedFilename/ShardedFilespec against the names TF 2.21 gave,
RestoreV2 reading the checkpoint TensorFlow's Saver wrote (tests/core/data/tf_saver_meta),
against the values TensorFlow had saved (expected.npz). SaveV2 and MergeV2Checkpoints write
files: test_checkpoint_ops.py covers them."""

import pathlib

import numpy as np

from .harness import Case, Const

DATA = pathlib.Path(__file__).parent.parent / "data" / "tf_saver_meta"
PREFIX = np.array(str(DATA / "plain" / "model.ckpt-3").encode(), dtype=object)
_T = "tests/core/test_checkpoint_ops.py::"


def _saved(name):
    with np.load(DATA / "expected.npz", allow_pickle=False) as z:
        return z[f"saved:{name}"]


def _strings(*items):
    return np.array([s.encode() for s in items], dtype=object)


_B = np.concatenate([_saved("b/part_0"), _saved("b/part_1")])  # b is saved in two slices

CASES = [
    # TF 2.21: sharded_filename("a/b", 3, 12) == b"a/b-00003-of-00012".
    Case("ShardedFilename", [np.array(b"a/b", dtype=object), np.int32(3), np.int32(12)],
         ref=lambda *_: np.array(b"a/b-00003-of-00012", dtype=object)),
    # TF 2.21: sharded_filespec("a/b", 12) == b"a/b-?????-of-00012".
    Case("ShardedFilespec", [np.array(b"a/b", dtype=object), np.int32(12)],
         ref=lambda *_: np.array(b"a/b-?????-of-00012", dtype=object)),
    # Whole tensors (shapes unknown until run, as TF infers them), of three dtypes.
    Case("RestoreV2", [PREFIX, _strings("w", "global_step", "v/Adam"), _strings("", "", "")],
         attrs={"dtypes": [np.float32, np.int64, np.float32]}, exact_shape=False,
         ref=lambda *_, dtypes: (_saved("w"), _saved("global_step"), _saved("v/Adam")),
         id="RestoreV2-whole"),
    # Blocks: across b's two slices, one inside a slice, and of a tensor saved whole; known
    # specs give the blocks' shapes at graph construction.
    Case("RestoreV2", [PREFIX, Const(_strings("b", "b", "w")),
                       Const(_strings("4 1,2", "4 2,2", "3 4 -:1,2"))],
         attrs={"dtypes": [np.float32] * 3},
         ref=lambda *_, dtypes: (_B[1:3], _B[2:4], _saved("w")[:, 1:3]),
         id="RestoreV2-slices"),
]

COVERED_BY = {
    "SaveV2": _T + "test_save_v2_round_trip",
    "MergeV2Checkpoints": _T + "test_merge_v2_checkpoints",
}
