"""Fixes from a differential fuzz probe against TF 1.x graph mode: sorted segment max/min keep
infinities, integer segment means stay exact, the diagonal ops take bool tensors, scatter_nd
takes zero-size slices, and index checks are skipped where TF skips them (nothing to read).

The expected values are hand-computed (each agrees with what TensorFlow 2.21 gave for the same
graph); ``test_cases_match_tensorflow`` runs the same graphs in TF, in a process of its own,
where it is installed."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

from .legacy_tf import tf_side_json

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# The graphs, as source: built with minitf here and with tf.compat.v1 in TF's process.
CASES = r'''
import numpy as np

INF = np.inf


def cases(tf):
    c = {}
    for dt in ("float16", "float32", "float64"):
        x = np.array([-INF, 1, INF], dt)
        c["segment_max_" + dt] = lambda x=x: tf.math.segment_max(x, [0, 1, 2])
        c["segment_min_" + dt] = lambda x=x: tf.math.segment_min(x, [0, 1, 2])
        # ids 1 and 3 skipped: their segments are empty, so 0
        c["segment_max_gaps_" + dt] = lambda x=x: tf.math.segment_max(x, [0, 2, 4])
        c["segment_min_gaps_" + dt] = lambda x=x: tf.math.segment_min(x, [0, 2, 4])
    for dt in ("int8", "int32", "int64", "uint8", "uint32"):
        lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
        c["segment_max_" + dt] = lambda lo=lo, hi=hi, dt=dt: tf.math.segment_max(
            np.array([lo, lo, 1, hi], dt), [0, 0, 2, 4])
        c["segment_min_" + dt] = lambda lo=lo, hi=hi, dt=dt: tf.math.segment_min(
            np.array([lo, hi, 1, hi], dt), [0, 2, 2, 4])
    c["segment_max_rows"] = lambda: tf.math.segment_max(
        np.array([[-INF, 1], [INF, -INF], [3, -INF]], np.float32), [0, 0, 2])
    c["unsorted_segment_max_inf"] = lambda: tf.math.unsorted_segment_max(
        np.array([-INF, 1, INF], np.float32), [0, 1, 2], 4)
    c["segment_mean_int64_big"] = lambda: tf.math.segment_mean(
        np.array([2 ** 60 + 1], np.int64), [0])
    c["segment_mean_int64"] = lambda: tf.math.segment_mean(
        np.array([-7, 0, 7, 0, -5, 3, 2 ** 62, 2 ** 62, 5], np.int64), [0, 0, 1, 1, 2, 2, 3, 3, 5])
    # 255 rows: the count, cast to int8 as TF's reducer casts it, is -1
    c["segment_mean_int8_count"] = lambda: tf.math.segment_mean(
        np.array([100] + [0] * 254, np.int8), np.zeros(255, np.int32))
    c["segment_mean_uint8"] = lambda: tf.math.segment_mean(
        np.array([7, 2, 9, 4, 255], np.uint8), [0, 0, 1, 1, 1])
    b = np.array([[True, False], [False, True]])
    v = np.array([True, False])
    c["linalg_diag_part_bool"] = lambda: tf.linalg.diag_part(b)
    c["matrix_diag_part_bool"] = lambda: tf.matrix_diag_part(b)
    c["linalg_diag_part_bool_band"] = lambda: tf.linalg.diag_part(b, k=(-1, 1))
    c["matrix_diag_bool"] = lambda: tf.matrix_diag(v)
    c["linalg_diag_bool_k"] = lambda: tf.linalg.diag(v, k=1)
    c["linalg_diag_bool_rows"] = lambda: tf.linalg.diag(v, num_rows=3, num_cols=2)
    c["linalg_diag_bool_padding_1"] = lambda: tf.linalg.diag(v, k=1, padding_value=1)
    c["matrix_set_diag_bool"] = lambda: tf.matrix_set_diag(b, [False, False])
    c["scatter_nd_zero_slices"] = lambda: tf.scatter_nd(
        np.zeros([0, 2], np.int32), np.zeros([0, 0, 3], np.float32), [3, 0, 0, 3])
    c["scatter_nd_empty_rows"] = lambda: tf.scatter_nd(
        np.zeros([2, 0], np.int32), np.zeros([2, 3, 0], np.float32), [3, 0])
    z20 = np.zeros([2, 0], np.float32)
    z230 = np.zeros([2, 3, 0], np.float32)
    c["gather_empty_rows"] = lambda: tf.gather(z20, [5])
    c["gather_empty_rows_negative"] = lambda: tf.gather(z20, [-1])
    c["gather_empty_axis1"] = lambda: tf.gather(np.zeros([0, 2, 3], np.float32), [5], axis=1)
    c["gather_empty_batch"] = lambda: tf.gather(z230, [[9], [1]], axis=1, batch_dims=1)
    c["unsorted_segment_sum_empty"] = lambda: tf.math.unsorted_segment_sum(
        np.zeros([1, 0], np.float32), [5], 3)
    c["unsorted_segment_max_empty"] = lambda: tf.math.unsorted_segment_max(
        np.zeros([1, 0], np.float32), [5], 3)
    c["unsorted_segment_min_empty"] = lambda: tf.math.unsorted_segment_min(
        np.zeros([1, 0], np.float32), [5], 0)
    c["unsorted_segment_prod_empty"] = lambda: tf.math.unsorted_segment_prod(
        np.zeros([1, 0], np.float32), [5], 3)
    c["gather_nd_batch_empty_batch"] = lambda: tf.gather_nd(
        np.zeros([0, 2, 3], np.float32), np.zeros([0, 4, 1], np.int32), batch_dims=1)
    c["gather_nd_batch_empty_all"] = lambda: tf.gather_nd(
        np.zeros([0, 0], np.float32), np.zeros([0, 2, 0], np.int32), batch_dims=1)
    c["gather_nd_batch2_empty"] = lambda: tf.gather_nd(
        np.zeros([2, 0, 3], np.float32), np.zeros([2, 0, 1], np.int32), batch_dims=2)
    # still refused, as TF refuses them
    c["error_gather_into_nonempty"] = lambda: tf.gather(z20, [5], axis=1)
    c["error_gather_empty_params_nonempty_out"] = lambda: tf.gather(
        np.zeros([0, 3], np.float32), [5])
    c["error_unsorted_segment_sum_id"] = lambda: tf.math.unsorted_segment_sum(
        np.zeros([1], np.float32), [5], 0)
    c["error_gather_nd_empty_params"] = lambda: tf.gather_nd(z230, [[1, 2]])
    c["error_gather_nd_batch_empty_params"] = lambda: tf.gather_nd(
        z230, np.ones([2, 1, 1], np.int32), batch_dims=1)
    c["error_scatter_nd_into_empty"] = lambda: tf.scatter_nd(
        [[1, 0]], np.zeros([1, 0, 3], np.float32), [3, 2, 0, 3])
    return c


def outcome(tf, build):
    """[dtype, shape, values] of the case's result, or ["error"]."""
    g = tf.Graph()
    try:
        with g.as_default():
            t = build()
            with tf.Session(graph=g) as sess:
                v = np.asarray(sess.run(t))
    except (ValueError, TypeError, tf.errors.OpError):
        return ["error"]
    return [v.dtype.name, list(v.shape), v.ravel().tolist()]
'''

_NS: dict = {}
exec(compile(CASES, "CASES", "exec"), _NS)  # noqa: S102 - our own source, shared with TF's run
INF = np.inf


def _f(dt, *values):
    return [dt, [len(values)], list(values)]


def _int_extremes(dt):
    lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    return [dt, [5], [lo, 0, 1, 0, hi]]


T, F = True, False
WANT = {
    **{f"segment_{op}_{dt}": _f(dt, -INF, 1.0, INF)
       for op in ("max", "min") for dt in ("float16", "float32", "float64")},
    **{f"segment_{op}_gaps_{dt}": _f(dt, -INF, 0.0, 1.0, 0.0, INF)
       for op in ("max", "min") for dt in ("float16", "float32", "float64")},
    **{f"segment_{op}_{dt}": _int_extremes(dt)
       for op in ("max", "min") for dt in ("int8", "int32", "int64", "uint8", "uint32")},
    "segment_max_rows": ["float32", [3, 2], [INF, 1.0, 0.0, 0.0, 3.0, -INF]],
    # the unsorted op starts from the finite lowest, as TF's: -inf and empty give it
    "unsorted_segment_max_inf": ["float32", [4], [float(np.finfo(np.float32).min), 1.0, INF,
                                                 float(np.finfo(np.float32).min)]],
    "segment_mean_int64_big": ["int64", [1], [2 ** 60 + 1]],
    # C++ division truncates toward zero; 2**62 + 2**62 wraps to -2**63
    "segment_mean_int64": ["int64", [6], [-3, 3, -1, -2 ** 62, 0, 5]],
    "segment_mean_int8_count": ["int8", [1], [-100]],
    "segment_mean_uint8": ["uint8", [2], [4, 4]],  # (9 + 4 + 255) % 256 // 3
    "linalg_diag_part_bool": ["bool", [2], [T, T]],
    "matrix_diag_part_bool": ["bool", [2], [T, T]],
    "linalg_diag_part_bool_band": ["bool", [3, 2], [F, F, T, T, F, F]],
    "matrix_diag_bool": ["bool", [2, 2], [T, F, F, F]],
    "linalg_diag_bool_k": ["bool", [3, 3], [F, T, F, F, F, F, F, F, F]],
    "linalg_diag_bool_rows": ["bool", [3, 2], [T, F, F, F, F, F]],
    "linalg_diag_bool_padding_1": ["bool", [3, 3], [T, T, T, T, T, F, T, T, T]],
    "matrix_set_diag_bool": ["bool", [2, 2], [F, F, F, F]],
    "scatter_nd_zero_slices": ["float32", [3, 0, 0, 3], []],
    "scatter_nd_empty_rows": ["float32", [3, 0], []],
    "gather_empty_rows": ["float32", [1, 0], []],
    "gather_empty_rows_negative": ["float32", [1, 0], []],
    "gather_empty_axis1": ["float32", [0, 1, 3], []],
    "gather_empty_batch": ["float32", [2, 1, 0], []],
    "unsorted_segment_sum_empty": ["float32", [3, 0], []],
    "unsorted_segment_max_empty": ["float32", [3, 0], []],
    "unsorted_segment_min_empty": ["float32", [0, 0], []],
    "unsorted_segment_prod_empty": ["float32", [3, 0], []],
    "gather_nd_batch_empty_batch": ["float32", [0, 4, 3], []],
    "gather_nd_batch_empty_all": ["float32", [0, 2, 0], []],
    "gather_nd_batch2_empty": ["float32", [2, 0], []],
}


def _outcomes():
    return {name: _NS["outcome"](tf, build) for name, build in _NS["cases"](tf).items()}


def test_every_case_has_an_expectation():
    names = set(_NS["cases"](tf))
    assert names == set(WANT) | {n for n in names if n.startswith("error_")}


@pytest.mark.parametrize("name", sorted(WANT))
def test_case(name):
    got = _NS["outcome"](tf, _NS["cases"](tf)[name])
    assert got == WANT[name], name


@pytest.mark.parametrize("name", sorted(n for n in _NS["cases"](tf) if n.startswith("error_")))
def test_still_refused(name):
    assert _NS["outcome"](tf, _NS["cases"](tf)[name]) == ["error"]


def test_segment_extremes_against_numpy():
    """Random data with infinities, gaps and repeated ids: each segment's max/min is numpy's
    over its rows, an empty one 0."""
    rng = np.random.default_rng(7)
    for dt in (np.float16, np.float32, np.float64, np.int16, np.uint8):
        x = rng.integers(0, 50, size=(40, 3)).astype(dt)
        if x.dtype.kind == "f":
            x[rng.random(x.shape) < 0.2] = -INF
            x[rng.random(x.shape) < 0.1] = INF
        ids = np.sort(rng.integers(0, 25, size=40)).astype(np.int32)
        n = ids[-1] + 1
        with tf.Graph().as_default(), tf.Session() as sess:
            got_max, got_min = sess.run([tf.math.segment_max(x, ids), tf.math.segment_min(x, ids)])
        for seg in range(n):
            rows = x[ids == seg]
            want_max = rows.max(0) if rows.size else np.zeros(3, dt)
            want_min = rows.min(0) if rows.size else np.zeros(3, dt)
            np.testing.assert_array_equal(got_max[seg], want_max)
            np.testing.assert_array_equal(got_min[seg], want_min)


def _sequential_extreme(x, ids, n, largest, start):
    """TF's CPU loop, one value at a time: the running value stays only while it compares
    greater (less), so a NaN replaces it and the next value replaces the NaN."""
    out = np.full((n,) + x.shape[1:], start, x.dtype)
    for row, seg in zip(x, ids):
        if seg < 0:
            continue
        keep = out[seg] > row if largest else out[seg] < row
        out[seg] = np.where(keep, out[seg], row)
    return out


def test_segment_extremes_with_nans():
    """A NaN is not sticky as in numpy: the values after a segment's last NaN decide it (each
    hand-checked case and the random ones agree with TensorFlow 2.21's CPU kernels)."""
    nan = np.nan
    x = np.array([nan, 1, 2, 3, nan, nan, 5, 7], np.float32)
    ids = [0, 0, 0, 1, 1, 2, 3, 3]
    big = float(np.finfo(np.float32).max)
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run([tf.math.segment_max(x, ids), tf.math.segment_min(x, ids),
                        tf.math.unsorted_segment_max(x, ids, 5),
                        tf.math.unsorted_segment_min(x, ids, 5)])
    for g, want in zip(got, [[2, nan, nan, 7], [1, nan, nan, 5], [2, nan, nan, 7, -big],
                             [1, nan, nan, 5, big]]):
        np.testing.assert_array_equal(g, np.array(want, np.float32))
    rng = np.random.default_rng(11)
    for trial in range(40):
        shape = (int(rng.integers(1, 12)),) + ((int(rng.integers(1, 4)),) if trial % 2 else ())
        x = rng.normal(size=shape).astype(np.float32)
        x[rng.random(shape) < 0.3] = nan
        x[rng.random(shape) < 0.1] = -np.inf
        ids = np.sort(rng.integers(0, 4, size=shape[0])).astype(np.int32)
        uids = rng.integers(-1, 5, size=shape[0]).astype(np.int32)
        n = int(ids[-1]) + 1
        with tf.Graph().as_default(), tf.Session() as sess:
            got = sess.run([tf.math.segment_max(x, ids), tf.math.segment_min(x, ids),
                            tf.math.unsorted_segment_max(x, uids, 5),
                            tf.math.unsorted_segment_min(x, uids, 5)])
        lo = np.finfo(np.float32)
        for g, want in zip(got[:2], [_sequential_extreme(x, ids, n, True, -np.inf),
                                     _sequential_extreme(x, ids, n, False, np.inf)]):
            want[np.bincount(ids, minlength=n) == 0] = 0  # an empty sorted segment is 0
            np.testing.assert_array_equal(g, want)
        np.testing.assert_array_equal(got[2], _sequential_extreme(x, uids, 5, True, lo.min))
        np.testing.assert_array_equal(got[3], _sequential_extreme(x, uids, 5, False, lo.max))


def test_integer_segment_mean_against_python():
    """int64 means as exact Python integers: sum, then divide toward zero."""
    rng = np.random.default_rng(3)
    x = rng.integers(-2 ** 58, 2 ** 58, size=30, dtype=np.int64)
    ids = np.sort(rng.integers(0, 8, size=30)).astype(np.int32)
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(tf.math.segment_mean(x, ids))
    for seg in range(ids[-1] + 1):
        rows = [int(v) for v in x[ids == seg]]
        total = sum(rows)
        want = 0 if not rows else abs(total) // len(rows) * (1 if total >= 0 else -1)
        assert int(got[seg]) == want


def test_string_diagonals_still_need_a_string_padding():
    """As TF's wrappers: only bool gets its padding converted; 0 is no string."""
    with tf.Graph().as_default():
        with pytest.raises(TypeError):
            tf.linalg.diag_part(tf.constant([["a", "b"], ["c", "d"]]))
        with pytest.raises(TypeError):
            tf.matrix_diag(tf.constant(["a", "b"]))


def test_scatter_nd_into_empty_output_fed_at_run_time():
    """The shape known only at run time: the kernel refuses index tuples for an empty output
    (TF's message), and takes none."""
    with tf.Graph().as_default():
        idx = tf.placeholder(tf.int32)
        upd = tf.placeholder(tf.float32)
        shape = tf.placeholder(tf.int32)
        out = tf.scatter_nd(idx, upd, shape)
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match="empty output shape"):
                sess.run(out, {idx: [[1, 0]], upd: np.zeros([1, 0, 3]), shape: [3, 2, 0, 3]})
            got = sess.run(out, {idx: np.zeros([0, 2]), upd: np.zeros([0, 0, 3]),
                                 shape: [3, 0, 0, 3]})
    assert got.shape == (3, 0, 0, 3)


def test_gather_grad_with_empty_output():
    """The gradient of a gather that reads nothing is zeros of params' shape."""
    with tf.Graph().as_default():
        p = tf.zeros([2, 0])
        g = tf.gradients(tf.reduce_sum(tf.gather(p, [5, 1])), p)[0]
        with tf.Session() as sess:
            assert np.asarray(sess.run(tf.convert_to_tensor(g))).shape == (2, 0)


PROGRAM = CASES + r'''
import json
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
print(json.dumps({name: outcome(tf, build) for name, build in cases(tf).items()}))
'''


def test_cases_match_tensorflow():
    theirs = tf_side_json(PROGRAM, legacy_keras=False)
    ours = _outcomes()
    assert set(theirs) == set(ours)
    diffs = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert not diffs


# -- the tensor scatter family into an empty tensor (TF 2.21's answers) --------------------------
@pytest.mark.parametrize("op", ["tensor_scatter_nd_update", "tensor_scatter_nd_add",
                                "tensor_scatter_nd_sub", "tensor_scatter_nd_max",
                                "tensor_scatter_nd_min"])
def test_tensor_scatter_into_empty_tensor(op):
    fn = getattr(tf, op)
    with tf.Graph().as_default(), tf.Session() as sess:
        t = tf.placeholder(tf.float32, None)
        nothing = fn(t, np.zeros([0, 1], np.int32), np.zeros([0, 0, 3], np.float32))
        assert sess.run(nothing, {t: np.zeros([3, 0, 3])}).shape == (3, 0, 3)
        some = fn(t, np.zeros([2, 1], np.int32), np.zeros([2, 0, 3], np.float32))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Indices and updates specified for empty input"):
            sess.run(some, {t: np.zeros([3, 0, 3])})


def test_scatter_nd_update_of_an_empty_variable():
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable(np.zeros([2, 0], np.float32))
        sess.run(v.initializer)
        up = tf.scatter_nd_update(v, np.zeros([0, 1], np.int32), np.zeros([0, 0], np.float32))
        assert sess.run(up).shape == (2, 0)
        with pytest.raises(tf.errors.InvalidArgumentError, match="empty input"):
            sess.run(tf.scatter_nd_add(v, [[1]], np.zeros([1, 0], np.float32)))


def test_tensor_scatter_into_a_static_empty_tensor_fails_at_build():
    with tf.Graph().as_default():
        t = tf.zeros([3, 0, 3])
        with pytest.raises(ValueError, match="Indices and updates specified for empty input"):
            tf.tensor_scatter_nd_update(t, np.zeros([2, 1], np.int32), np.zeros([2, 0, 3]))
        # nothing to scatter builds (and runs) as TF's
        ok = tf.tensor_scatter_nd_add(t, np.zeros([0, 1], np.int32), np.zeros([0, 0, 3]))
        with tf.Session() as sess:
            assert sess.run(ok).shape == (3, 0, 3)
