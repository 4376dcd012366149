"""Builds the same sparse graphs in minitf and tf.compat.v1 and compares the op types they
emit, the fetched values (SparseTensorValues included) and the gradients with respect to the
sparse values and the dense operands. Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
R = np.random.default_rng(0)
IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]], np.int64)
VALS = R.standard_normal(4).astype(np.float32)
DENSE = R.standard_normal((3, 4)).astype(np.float32)
B = R.standard_normal((4, 2)).astype(np.float32)
SPARSE_TYPES = {"SparseToDense", "SparseTensorDenseMatMul", "SparseTensorDenseAdd", "SparseAdd",
                "SparseReorder", "SparseReshape", "SparseReduceSum", "SparseReduceMax",
                "SparseDenseCwiseMul", "SparseDenseCwiseDiv", "SparseFillEmptyRows",
                "SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN", "Where",
                "Unique", "SegmentSum", "SparseConcat", "SparseSlice", "SparseSliceGrad",
                "SparseSoftmax", "SparseDenseCwiseAdd"}


def build(tf, sp, d):
    """(name, output) pairs; ``sp`` is a sparse placeholder [3, 4], ``d`` a dense [3, 4]."""
    other = tf.SparseTensor([[0, 0], [1, 3], [2, 1]], [1.0, -2.0, 0.5], [3, 4])
    ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([2, 0, 2], tf.int64), [3, 2])
    weights = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [0.5, 2.0, 1.5], [3, 2])
    params = d[:, :2] * 3.0
    return [
        ("to_dense", tf.sparse_tensor_to_dense(sp, default_value=0.25)),
        ("matmul", tf.sparse_tensor_dense_matmul(sp, tf.constant(B) * d[0, 0])),
        ("matmul_adj", tf.sparse_tensor_dense_matmul(sp, d, adjoint_a=True)),
        ("dense_add", tf.sparse_add(sp, d)),
        ("sparse_add", tf.sparse_add(sp, other)),
        ("reduce_sum", tf.sparse_reduce_sum(sp, axis=1)),
        ("reduce_sum_all", tf.sparse_reduce_sum(sp)),
        ("reduce_max", tf.sparse_reduce_max(sp, axis=0, keepdims=True)),
        ("mul", sp * d[:1]),
        ("div", sp / (tf.abs(d) + 1.0)),
        ("reorder", tf.sparse_reorder(tf.SparseTensor([[2, 2], [0, 1]], sp.values[:2],
                                                      [3, 4]))),
        ("reshape", tf.sparse_reshape(sp, [2, -1])),
        ("transpose", tf.sparse_transpose(sp)),
        ("retain", tf.sparse_retain(sp, [True, False, True, True])),
        ("fill", tf.sparse_fill_empty_rows(
            tf.SparseTensor([[1, 0], [1, 2]], sp.values[:2], [4, 3]), -1.0)[0]),
        ("from_dense", tf.sparse.from_dense(d * tf.cast(d > 0, tf.float32))),
        ("seg_mean", tf.sparse_segment_mean(d, [0, 2, 2], [0, 0, 1])),
        ("seg_sqrtn", tf.sparse_segment_sqrt_n(d, [1, 2, 0, 0], [0, 1, 1, 3])),
        ("emb_mean", tf.nn.embedding_lookup_sparse(params, ids, None)),
        ("emb_sum", tf.nn.embedding_lookup_sparse(params, ids, None, combiner="sum")),
        ("emb_w_mean", tf.nn.embedding_lookup_sparse(params, ids, weights)),
        ("emb_w_sqrtn", tf.nn.embedding_lookup_sparse(params, ids, weights,
                                                      combiner="sqrtn")),
        ("safe_emb", tf.nn.safe_embedding_lookup_sparse(params, ids)),
        ("safe_emb_w", tf.nn.safe_embedding_lookup_sparse(params, ids, weights,
                                                          default_id=1)),
        ("concat", tf.sparse_concat(1, [sp, other])),
        ("concat0", tf.sparse.concat(0, [other, sp, other])),
        ("concat_neg", tf.sparse.concat(-1, [tf.sparse_reorder(tf.SparseTensor(
            [[2, 2], [0, 1]], sp.values[:2], [3, 4])), other])),
        ("concat_expand", tf.sparse_concat(0, [sp, tf.SparseTensor([[0, 5]], [7.0], [1, 6])],
                                           expand_nonconcat_dim=True)),
        ("slice", tf.sparse_slice(sp, [1, 0], [2, 3])),
        ("slice_past_end", tf.sparse.slice(sp, [1, 2], [5, 5])),
        ("softmax", tf.sparse_softmax(sp)),
        ("softmax_3d", tf.sparse.softmax(tf.SparseTensor(
            [[0, 0, 1], [0, 0, 3], [0, 2, 0], [1, 1, 1]], sp.values * 2.0, [2, 3, 4]))),
        ("indicator", tf.cast(tf.sparse_to_indicator(ids, 4), tf.float32)),
        ("merge", tf.sparse_merge(tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant(
            [3, 1, 0], tf.int64), [3, 2]), weights, 5)),
    ]


def run(tf):
    out = {}
    names = [n for n, _ in build_names()]
    for name in names:
        graph = tf.Graph()
        with graph.as_default():
            sp = tf.sparse_placeholder(tf.float32, shape=[3, 4], name="sp")
            d = tf.placeholder(tf.float32, [3, 4], name="d")
            y = dict(build(tf, sp, d))[name]
            values = y.values if isinstance(y, tf.SparseTensor) else y
            loss = tf.reduce_sum(values * values + 0.3 * values)
            try:
                grads = [g for g in tf.gradients(loss, [sp.values, d]) if g is not None]
            except LookupError:  # TF registers no gradient for SparseReduceMax; minitf: None
                grads = []
            types = sorted({op.type for op in graph.get_operations()} & SPARSE_TYPES)
            feed = {sp: tf.SparseTensorValue(IDX, VALS, [3, 4]), d: DENSE}
            with tf.Session(graph=graph) as sess:
                out[name] = (types, sess.run([y] + grads, feed), y.shape.as_list()
                             if y.shape.rank is not None else None)
    return out


def build_names():
    graph = mtf.Graph()
    with graph.as_default():
        return build(mtf, mtf.sparse_placeholder(mtf.float32, [3, 4]),
                     mtf.placeholder(mtf.float32, [3, 4]))


def flat(v):
    if isinstance(v, tuple) and hasattr(v, "indices"):
        return [np.asarray(v.indices), np.asarray(v.values), np.asarray(v.dense_shape)]
    return [np.asarray(v)]


ours, theirs = run(mtf), run(tf1)
failures = []
for name in ours:
    (t_ours, v_ours, s_ours), (t_tf, v_tf, s_tf) = ours[name], theirs[name]
    if t_ours != t_tf:
        failures.append(f"{name}: op types {t_ours} vs TF {t_tf}")
    # minitf may know more of a static shape than TF (to_dense keeps the sparse shape), never
    # less, and never something else.
    if s_tf is not None and (s_ours is None or len(s_ours) != len(s_tf) or any(
            t is not None and o != t for o, t in zip(s_ours, s_tf))):
        failures.append(f"{name}: static shape {s_ours} vs TF {s_tf}")
    a_all = [x for v in v_ours for x in flat(v)]
    b_all = [x for v in v_tf for x in flat(v)]
    if len(a_all) != len(b_all):
        failures.append(f"{name}: {len(a_all)} arrays vs TF {len(b_all)}")
        continue
    for i, (a, b) in enumerate(zip(a_all, b_all)):
        if a.shape != b.shape or a.dtype != b.dtype:
            failures.append(f"{name}[{i}]: {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif not np.allclose(a, b, rtol=1e-5, atol=1e-5, equal_nan=True):
            failures.append(f"{name}[{i}]: values differ\n{a}\nvs TF\n{b}")
print("\n".join(failures) or "ALL OK")
