"""Kernel results at edges where a sweep of minitf's ops against tf.raw_ops (TF 2.21's CPU
kernels, oneDNN off) differed: NaN and -inf in max pooling and top_k, NaN clip bounds, -inf in
a sparse max, an empty UniqueV2 along an axis, zeta at q = -inf. Expected values are what TF's
kernels compute, written out by hand; the TF-gated test runs the same inputs through
tf.raw_ops."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

F = np.float32
LOWEST = np.finfo(F).min
NAN, INF = float("nan"), float("inf")


def cases(m):
    """(name, minitf-or-tf op outputs) built against ``m``: minitf's graph API or TF's
    raw_ops (eager)."""
    pool = [np.array(v, F).reshape(1, 2, 2, 1) for v in
            ([NAN, 1, 2, 0], [-INF] * 4, [NAN] * 4, [1, NAN, 3, 2])]
    pool3d = np.array([NAN, 1, 2, 0], F).reshape(1, 1, 2, 2, 1)
    if m is tf:
        return [
            *[tf.nn.max_pool(tf.constant(p), [1, 2, 2, 1], [1, 1, 1, 1], "VALID") for p in pool],
            tf.nn.max_pool3d(tf.constant(pool3d), [1, 1, 2, 2, 1], [1] * 5, "VALID"),
            tf.nn.top_k(tf.constant([[1, NAN, 3, NAN]], F), 4),
            tf.raw_ops.ClipByValue(t=tf.constant([1, 2, NAN], F), clip_value_min=F(NAN),
                                   clip_value_max=F(NAN)),
            tf.raw_ops.SparseReduceMax(input_indices=tf.constant([[0, 0], [1, 1]], np.int64),
                                       input_values=tf.constant([-INF, 3], F),
                                       input_shape=tf.constant([2, 2], np.int64),
                                       reduction_axes=tf.constant([1])),
            tf.raw_ops.UniqueV2(x=tf.constant(np.zeros((0, 4), np.int32)),
                                axis=tf.constant([0])),
            tf.math.zeta(tf.constant([2.0, 2.5], F), tf.constant([-INF, -INF], F)),
        ]
    raw = m.raw_ops
    return [
        *[raw.MaxPool(input=p, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID")
          for p in pool],
        raw.MaxPool3D(input=pool3d, ksize=[1, 1, 2, 2, 1], strides=[1] * 5, padding="VALID"),
        raw.TopKV2(input=np.array([[1, NAN, 3, NAN]], F), k=4),
        raw.ClipByValue(t=np.array([1, 2, NAN], F), clip_value_min=F(NAN),
                        clip_value_max=F(NAN)),
        raw.SparseReduceMax(input_indices=np.array([[0, 0], [1, 1]], np.int64),
                            input_values=np.array([-INF, 3], F),
                            input_shape=np.array([2, 2], np.int64), reduction_axes=[1]),
        raw.UniqueV2(x=np.zeros((0, 4), np.int32), axis=[0]),
        raw.Zeta(x=np.array([2.0, 2.5], F), q=np.array([-INF, -INF], F)),
    ]


def flat(values):
    out = []
    for v in values:
        out.extend(flat(v) if isinstance(v, (tuple, list)) else [np.asarray(v)])
    return out


def ours():
    with tf.Graph().as_default(), tf.Session() as sess:
        return flat(sess.run(cases(tf)))


def test_hand_computed():
    got = ours()
    want = [[2], [LOWEST], [LOWEST], [3],  # 2-D: NaN skipped, lowest finite for none left
            [2],  # 3-D: NaN skipped
            [[3, 1, NAN, NAN]], [[2, 0, 1, 3]],  # top_k: NaNs last
            [1, 2, NAN],  # NaN bounds clip nothing; a NaN value stays
            [-INF, 3],  # an entry of -inf is the max of its row
            np.zeros((0, 4)), np.zeros(0),  # UniqueV2 of nothing along axis 0
            [INF, NAN]]  # zeta at q = -inf: inf for an even integer x, else NaN
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.reshape(np.shape(w)), np.asarray(w, g.dtype))


def test_match_tensorflow_raw_ops():
    T = pytest.importorskip("tensorflow")
    theirs = [np.asarray(v) for v in flat(cases(T))]
    for a, b in zip(ours(), theirs):
        np.testing.assert_array_equal(a, b)
