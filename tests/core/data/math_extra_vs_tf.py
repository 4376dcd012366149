"""Builds the same graphs in minitf and tf.compat.v1 and compares, for the math functions of
tests/core/test_math_extra.py, the op types of the new ops, the outputs' static shapes and
dtypes, the values and the gradients. Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()

R = np.random.default_rng(7)
X = R.uniform(-0.9, 0.9, (3, 4))
P = R.uniform(0.05, 0.95, (3, 4))
BIG = R.uniform(1.2, 4.0, (3, 4))
POS = R.uniform(0.5, 3.0, (3, 4))
ROW = R.uniform(-2.0, 2.0, (4,))
XZ = np.array([[0.0, 1.5, -2.0, 0.0], [0.7, 0.0, 2.5, -1.2]])
YZ = np.array([[0.8, 0.0, 1.3, 2.0], [0.0, 1.1, 0.6, 0.0]])
INTS = np.array([[7, -7, 9, -9], [5, -6, 0, 13]], np.int32)
DIVS = np.array([2, 3, -4, -5], np.int32)
KEY_TYPES = {"Acos", "Asin", "Atan", "Acosh", "Asinh", "Atanh", "Sinh", "Cosh", "Expm1", "Rint",
             "Erfinv", "Ndtri", "Atan2", "Xlogy", "Xdivy", "Xlog1py", "TruncateDiv",
             "TruncateMod", "MulNoNan", "EuclideanNorm", "CumulativeLogsumexp", "FloorDiv",
             "DivNoNan", "Lgamma", "AddN", "UnsortedSegmentSum", "Softmax", "LogSoftmax",
             "InvertPermutation", "SquaredDifference", "Select", "All"}


def cases(tf):
    """(name, fn(*inputs) -> output(s), inputs, options). Options: ``grad`` (default True),
    ``shapes`` (placeholder shapes; default the inputs' own)."""
    m = tf.math
    return [
        ("acos", tf.acos, [X], {}), ("asin", m.asin, [X], {}), ("atan", tf.atan, [X * 3], {}),
        ("acosh", tf.acosh, [BIG], {}), ("asinh", m.asinh, [X * 4], {}),
        ("atanh", tf.atanh, [X], {}), ("sinh", tf.sinh, [X * 3], {}),
        ("cosh", m.cosh, [X * 3], {"shapes": [[None, 4]]}), ("expm1", tf.expm1, [X], {}),
        ("rint", tf.rint, [X * 5], {"grad": False}),
        ("acos_f32", tf.acos, [X.astype(np.float32)], {}),
        ("erfinv", m.erfinv, [X], {}), ("ndtri", m.ndtri, [P], {}),
        ("erfcinv", m.erfcinv, [P * 2], {}),
        ("erfinv_f32", m.erfinv, [X.astype(np.float32)], {}),
        ("erf_edges", lambda x: [m.erfinv(x), m.ndtri(x)],
         [np.array([-1.0, 1.0, 0.0, 1.5, -0.99999, 0.5])], {"grad": False}),
        ("atan2", tf.atan2, [X[:, :1] + 0.1, ROW], {}),
        ("xlogy", m.xlogy, [XZ, YZ + POS[:2]], {}),
        ("xlogy_zeros", m.xlogy, [XZ, YZ], {"grad": False}),
        ("xdivy", m.xdivy, [XZ, POS[:2]], {"shapes": [[None, 4], [2, None]]}),
        ("xdivy_zeros", m.xdivy, [XZ, YZ], {"grad": False}),
        ("xlog1py", m.xlog1py, [XZ, ROW + 2.5], {}),
        ("truncatediv", tf.truncatediv, [INTS, DIVS], {"grad": False}),
        ("truncatediv_f", tf.truncatediv, [X * 7, POS[0]], {"grad": False}),
        ("truncatemod", tf.truncatemod, [INTS, DIVS], {"grad": False}),
        ("truncatemod_f", tf.truncatemod, [X * 7, POS[0] - 1.7], {"grad": False}),
        ("floor_div", tf.floor_div, [X * 7, POS[0]], {"grad": False}),
        ("mul_no_nan", m.multiply_no_nan, [X[:2], YZ], {}),
        ("mul_no_nan_inf", m.multiply_no_nan,
         [np.array([np.inf, np.nan, 1.0]), np.array([0.0, 0.0, 2.0])], {"grad": False}),
        ("eucl", lambda x: m.reduce_euclidean_norm(x, axis=1), [X], {"shapes": [[None, 4]]}),
        ("eucl_keep", lambda x: m.reduce_euclidean_norm(x, [0, 1], keepdims=True), [X], {}),
        ("eucl_all", m.reduce_euclidean_norm, [X], {"shapes": [None]}),
        ("eucl_int", lambda x: m.reduce_euclidean_norm(x, -1), [INTS], {"grad": False}),
        ("cle", lambda x: m.cumulative_logsumexp(x, axis=1), [X * 3], {}),
        ("cle_excl", lambda x: m.cumulative_logsumexp(x, exclusive=True), [X * 3], {}),
        ("cle_rev", lambda x: m.cumulative_logsumexp(x, 1, reverse=True), [X * 3], {}),
        ("cle_both", lambda x: m.cumulative_logsumexp(x, -1, exclusive=True, reverse=True),
         [X * 3], {"shapes": [[None, None]]}),
        ("cle_edges", lambda x: m.cumulative_logsumexp(x),
         [np.array([-np.inf, 1.0, np.nan, 1000.0, np.inf])], {"grad": False}),
        ("recip_no_nan", m.reciprocal_no_nan, [XZ], {}),
        ("lbeta", tf.lbeta, [POS], {}),
        ("polyval", lambda x: m.polyval([np.float64(1.5), x[0], np.float64(-2)], x), [X], {}),
        ("polyval_empty", lambda x: m.polyval([], x), [X], {"grad": False}),
        ("accumulate_n", lambda x: tf.accumulate_n([x, x * 2, x]), [X], {}),
        ("non_decreasing", lambda x: [tf.is_non_decreasing(x), m.is_non_decreasing(x[:1]),
                                      tf.is_non_decreasing(tf.sort(tf.reshape(x, [-1])))],
         [X], {"grad": False}),
        ("strictly_increasing", lambda x: [tf.is_strictly_increasing(x), m.is_strictly_increasing(
            tf.constant([1, 1, 2]))], [np.sort(X.ravel())], {"grad": False}),
        ("useg_sqrt_n", lambda x: tf.unsorted_segment_sqrt_n(x, [2, 0, 2], 4), [X], {}),
        ("useg_sqrt_n_1d", lambda x: m.unsorted_segment_sqrt_n(x, [[0, 1], [1, 1]], 3),
         [X[:2, :2]], {}),
        ("zero_fraction", tf.nn.zero_fraction, [XZ], {"grad": False}),
        ("zero_fraction_int", m.zero_fraction, [INTS], {"grad": False}),
        ("suff_stats", lambda x: list(tf.nn.sufficient_statistics(x, [0, 1])[:3]), [X], {}),
        ("suff_stats_shift", lambda x: list(tf.nn.sufficient_statistics(
            x, [-1], shift=np.float64(0.5), keepdims=True)[:3]), [X], {"shapes": [[None, 4]]}),
        ("suff_stats_dyn", lambda x: list(tf.nn.sufficient_statistics(x, [0])[:3]), [X],
         {"shapes": [[None, 4]]}),
        ("normalize", lambda x: list(tf.nn.normalize_moments(
            *tf.nn.sufficient_statistics(x, [0], shift=tf.constant(0.2, tf.float64)))), [X], {}),
        ("normalize_noshift", lambda x: list(tf.nn.normalize_moments(
            *tf.nn.sufficient_statistics(x, [1]))), [X], {}),
        ("weighted_moments", lambda x: list(tf.nn.weighted_moments(x, [1], POS[:, :1])), [X], {}),
        ("weighted_moments_keep", lambda x: list(tf.nn.weighted_moments(
            x, [0, 1], [[0.0, 1.0, 2.0, 0.5]], keep_dims=True)), [X], {}),
        ("log_poisson", lambda t, c: tf.nn.log_poisson_loss(t, c), [POS, X], {}),
        ("log_poisson_full", lambda t, c: tf.nn.log_poisson_loss(t, c, compute_full_loss=True),
         [np.concatenate([POS[:, :2], X[:, :2] * 0.5 + 0.5], 1), X], {}),
        ("softmax", lambda x: [m.softmax(x), m.log_softmax(x, axis=0)], [X], {}),
        ("invert_permutation", m.invert_permutation, [np.array([2, 0, 3, 1], np.int32)],
         {"grad": False}),
    ]


def _dtype_of(tf, a):
    return {np.float64: tf.float64, np.float32: tf.float32, np.int32: tf.int32}[a.dtype.type]


def run(tf):
    out = {}
    for name, fn, inputs, opts in cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            shapes = opts.get("shapes", [a.shape for a in inputs])
            phs = [tf.placeholder(_dtype_of(tf, a), s) for a, s in zip(inputs, shapes)]
            ys = fn(*phs)
            ys = ys if isinstance(ys, list) else [ys]
            types = sorted({op.type for op in graph.get_operations()} & KEY_TYPES)
            static = [(y.shape.as_list() if y.shape.rank is not None else None, y.dtype.name)
                      for y in ys]
            fetch = list(ys)
            if opts.get("grad", True):
                # Non-finite outputs (an exclusive scan's -inf) are left out of the loss.
                safe = [tf.where(tf.is_finite(y), y, tf.zeros_like(y)) for y in ys]
                loss = tf.add_n([tf.reduce_sum(s * s + 0.3 * s) for s in safe])
                fetch += [g for g in tf.gradients(loss, phs) if g is not None]
            with tf.Session(graph=graph) as sess:
                out[name] = (types, static, sess.run(fetch, dict(zip(phs, inputs))))
    return out


# float32 Erfinv: TF's kernel loses relative precision near 0 (it returns 0 for 1e-8);
# minitf's is accurate, so float32 values are compared at float32's resolution.
TOLERANCE = {"erfinv_f32": 1e-4, "acos_f32": 1e-6}

ours = run(mtf)
theirs = run(tf1)
failures = []
for name in ours:
    (t_ours, s_ours, v_ours), (t_tf, s_tf, v_tf) = ours[name], theirs[name]
    if t_ours != t_tf:
        failures.append(f"{name}: op types {t_ours} vs TF {t_tf}")
    if s_ours != s_tf:
        failures.append(f"{name}: static shapes/dtypes {s_ours} vs TF {s_tf}")
    if len(v_ours) != len(v_tf):
        failures.append(f"{name}: {len(v_ours)} fetches vs TF {len(v_tf)}")
        continue
    tol = TOLERANCE.get(name, 1e-9)
    for i, (a, b) in enumerate(zip(v_ours, v_tf)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            failures.append(f"{name}[{i}]: {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif not np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True):
            failures.append(f"{name}[{i}]: values differ\n{a}\nvs TF\n{b}")
print("\n".join(failures) or "ALL OK")
