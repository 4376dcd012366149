"""Builds the same graphs in minitf and tf.compat.v1 and compares op types, values and
gradients of the APIs of tests/core/test_added_apis.py. Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf2  # noqa: E402
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
R = np.random.default_rng(0)
A = R.standard_normal((2, 3, 3)) + 3 * np.eye(3)
SPD = np.einsum("...ij,...kj->...ik", A, A)
X = R.permutation(12).reshape(3, 4).astype(np.float64) / 3 - 1
V = R.uniform(0.5, 3.0, (5,))


def build(tf, gelu):
    """(name, fn(tf, input) -> output, input) triples; gradients are taken w.r.t. input."""
    return [
        ("sort", lambda x: tf.sort(x, axis=0), X),
        ("sort_desc", lambda x: tf.sort(x, direction="DESCENDING"), X),
        ("argsort", lambda x: tf.cast(tf.argsort(x, axis=0), tf.float64) * x, X),
        ("linspace", lambda x: tf.linspace(x[0], x[1], 5), X[0]),
        ("linspace_nd", lambda x: tf.linspace(x[0], x[1], 4, axis=-1), X[:2]),
        ("meshgrid", lambda x: tf.meshgrid(x[0], x[1])[1] * tf.meshgrid(x[0], x[1])[0], X[:2]),
        ("roll", lambda x: tf.roll(x, [1, -3], [0, 1]), X),
        ("saturate_cast", lambda x: tf.cast(tf.saturate_cast(x * 200, tf.uint8), tf.float64),
         X),
        ("erf", tf.math.erf, X), ("erfc", tf.math.erfc, X), ("lgamma", tf.math.lgamma, V),
        ("gelu", lambda x: gelu(x), X), ("gelu_tanh", lambda x: gelu(x, approximate=True), X),
        ("swish", tf.nn.swish, X), ("crelu", tf.nn.crelu, X),
        ("matrix_diag", lambda x: tf.linalg.diag(x, k=(-1, 0)),
         X[:2, :3].reshape(1, 2, 3)),
        ("diag_part", lambda x: tf.linalg.diag_part(x, k=(-1, 2), padding_value=5), X),
        ("set_diag", lambda x: tf.linalg.set_diag(x, x[0, 1:], k=1), X[:3, :4]),
        ("band", lambda x: tf.linalg.band_part(x, 1, 0), X),
        ("trace", tf.linalg.trace, A), ("tdiag", tf.linalg.tensor_diag, X[0]),
        ("inv", tf.linalg.inv, A), ("det", tf.linalg.det, A),
        ("cholesky", lambda x: tf.linalg.cholesky(
            0.5 * (x + tf.linalg.matrix_transpose(x)) + 3 * tf.eye(3, dtype=tf.float64)), A),
        ("solve", lambda x: tf.linalg.solve(x, x[..., :1] * 2), A),
        ("solve_adj", lambda x: tf.linalg.solve(x, x[..., 1:], adjoint=True), A),
        ("segment_prod", lambda x: tf.math.segment_prod(x, [0, 0, 1]), X[:, :2]),
        ("useg_prod", lambda x: tf.math.unsorted_segment_prod(x, [2, 0, 2], 3), X),
        ("tsu", lambda x: tf.tensor_scatter_nd_update(x, [[0, 1], [2, 2]], x[1, :2]), X),
        ("tsa", lambda x: tf.tensor_scatter_nd_add(x, [[0], [0]], x[1:]), X),
        ("s2d", lambda x: tf.space_to_depth(tf.reshape(x, [1, 2, 2, 3]), 2), X),
        ("d2s", lambda x: tf.nn.depth_to_space(tf.reshape(x, [1, 1, 3, 4]), 2), X),
        ("variance", lambda x: tf.math.reduce_variance(x, axis=0), X),
        ("std", lambda x: tf.math.reduce_std(x), X),
        ("clip_avg", lambda x: tf.clip_by_average_norm(tf.cast(x, tf.float32), 0.1), X),
        ("identity_n", lambda x: tf.identity_n([x, x * 2])[1], X),
        ("ensure_shape", lambda x: tf.ensure_shape(x, [3, None]), X),
    ]


def run(tf, gelu):
    out = {}
    for name, fn, x0 in build(tf, gelu):
        g = tf.Graph() if tf is tf1 else None
        graph = g or (tf.reset_default_graph() or tf.get_default_graph())
        with graph.as_default():
            x = tf.placeholder(tf.float64 if x0.dtype == np.float64 else tf.float32, x0.shape)
            y = fn(x)
            grads = tf.gradients(tf.reduce_sum(y * y + 0.3 * y), [x])
            fetch = [y] + [gr for gr in grads if gr is not None]
            types = sorted({op.type for op in graph.get_operations()
                            if op.type in ("Roll", "TopKV2", "MatrixDiagV3", "MatrixDiagPartV3",
                                           "MatrixSetDiagV3", "MatrixBandPart", "MatrixInverse",
                                           "MatrixDeterminant", "Cholesky", "MatrixSolve",
                                           "SegmentProd", "UnsortedSegmentProd", "Erf", "Erfc",
                                           "Lgamma", "TensorScatterUpdate", "TensorScatterAdd",
                                           "SpaceToDepth", "DepthToSpace", "IdentityN",
                                           "EnsureShape", "Diag")})
            with tf.Session(graph=graph) as sess:
                out[name] = (types, sess.run(fetch, {x: x0}))
    return out


ours = run(mtf, mtf.nn.gelu)
theirs = run(tf1, tf2.nn.gelu)
failures = []
for name in ours:
    (t_ours, v_ours), (t_tf, v_tf) = ours[name], theirs[name]
    if t_ours != t_tf and name not in ("swish", "cholesky"):  # TF: IdentityN / triangular solve
        failures.append(f"{name}: op types {t_ours} vs TF {t_tf}")
    if len(v_ours) != len(v_tf):
        failures.append(f"{name}: {len(v_ours)} fetches vs TF {len(v_tf)}")
        continue
    for i, (a, b) in enumerate(zip(v_ours, v_tf)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            failures.append(f"{name}[{i}]: {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif not np.allclose(a, b, rtol=1e-5, atol=1e-5, equal_nan=True):
            failures.append(f"{name}[{i}]: values differ\n{a}\nvs TF\n{b}")
print("\n".join(failures) or "ALL OK")
