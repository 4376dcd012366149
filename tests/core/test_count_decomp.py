"""The counting functions (bincount and the DenseBincount op, unique_with_counts,
histogram_fixed_width, histogram_fixed_width_bins, searchsorted, confusion_matrix) and the
decompositions (svd, qr, self_adjoint_eig / eigh, eigvalsh): values against numpy, static
shapes, errors; and everything, with the FTRL / proximal optimizers, against tf.compat.v1
where TensorFlow is installed (and TF-written graphs imported and run)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

R = np.random.default_rng(7)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _types():
    return {op.type for op in tf.get_default_graph().get_operations()}


# -- bincount -------------------------------------------------------------------------------------
def test_bincount_matches_numpy():
    arr = R.integers(0, 9, 30).astype(np.int32)
    weights = R.standard_normal(30).astype(np.float32)
    x = tf.placeholder(tf.int32, [None])
    got = _run([tf.bincount(x), tf.bincount(x, minlength=12), tf.bincount(x, maxlength=4),
                tf.bincount(x, weights=weights), tf.math.bincount(x, dtype=tf.float64),
                tf.bincount(x, minlength=3, maxlength=5)], {x: arr})
    np.testing.assert_array_equal(got[0], np.bincount(arr))
    assert got[0].dtype == np.int32
    np.testing.assert_array_equal(got[1], np.bincount(arr, minlength=12))
    np.testing.assert_array_equal(got[2], np.bincount(arr)[:4])
    np.testing.assert_allclose(got[3], np.bincount(arr, weights), rtol=1e-5, atol=1e-6)
    assert got[3].dtype == np.float32 and got[4].dtype == np.float64
    np.testing.assert_array_equal(got[5], np.bincount(arr)[:5])


def test_bincount_of_empty_and_multidimensional_arrays():
    empty = tf.bincount(tf.constant([], tf.int32))
    padded = tf.bincount(tf.constant([], tf.int32), minlength=3)
    matrix = tf.bincount([[1, 2], [2, 5]])
    got = _run([empty, padded, matrix])
    np.testing.assert_array_equal(got[0], np.zeros(0, np.int32))
    np.testing.assert_array_equal(got[1], [0, 0, 0])
    np.testing.assert_array_equal(got[2], [0, 1, 2, 0, 0, 1])


def test_bincount_is_composed_as_tf1():
    """TF1's composition: the length from Max/Maximum/Minimum under "bincount"; counts from
    Bincount, weighted counts from UnsortedSegmentSum."""
    x = tf.placeholder(tf.int32, [None])
    counts = tf.bincount(x, minlength=2, maxlength=9)
    assert counts.op.type == "Bincount" and counts.op.name == "bincount/Bincount"
    assert counts.shape.as_list() == [None]
    assert {"Max", "Maximum", "Minimum", "Prod"} <= _types()
    assert tf.bincount(x, weights=tf.ones([4])).op.type == "UnsortedSegmentSum"
    assert tf.math.bincount is tf.bincount



def test_weighted_bincount_skips_values_past_maxlength():
    """As documented (and as TF 2's compat.v1 does): values >= maxlength are skipped, with or
    without weights (the weighted path failed on them, as TF 1.x's segment sum did)."""
    arr, weights = [1, 3, 3, 0, 5], [1.0, 2.0, 3.0, 4.0, 5.0]
    want = np.zeros(3)
    for a, w in zip(arr, weights):
        if a < 3:
            want[a] += w
    got, counts = _run([tf.bincount(arr, weights=weights, maxlength=3),
                        tf.bincount(arr, maxlength=3)])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(counts, [1, 1, 0])
    np.testing.assert_array_equal(_run(tf.bincount(arr, weights=weights, minlength=2,
                                                   maxlength=4)), [4.0, 1.0, 0.0, 5.0])

def test_bincount_rejects_negative_values():
    x = tf.placeholder(tf.int32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input arr must be non-negative"):
        _run(tf.bincount(x, minlength=3), {x: [1, -2]})



def test_dense_bincount_op_counts_rows_and_binary_outputs():
    """DenseBincount (what TF >= 2.3's tf.bincount writes, so imported graphs run): one
    bincount per row of a 2-D input, weights summed, binary_output 0/1; values against
    np.bincount. minitf's own tf.bincount keeps TF1's Bincount."""
    from minitf.ops.count_ops import DENSE_BINCOUNT

    arr = R.integers(0, 7, (3, 10)).astype(np.int64)
    weights = R.standard_normal((3, 10))
    x = tf.placeholder(tf.int64, [None, 10])
    w = tf.placeholder(tf.float64, [None, 10])
    size = tf.placeholder(tf.int64, [])
    counts = DENSE_BINCOUNT(x, np.int64(5), np.zeros(0, np.int32))
    weighted = DENSE_BINCOUNT(x, size, w)
    binary = DENSE_BINCOUNT(x[0], np.int64(6), np.zeros(0, np.float32), binary_output=True)
    assert counts.shape.as_list() == [None, 5] and weighted.shape.as_list() == [None, None]
    assert binary.shape.as_list() == [6] and binary.dtype == tf.float32
    got = _run([counts, weighted, binary], {x: arr, w: weights, size: 7})
    keep = [r[r < 5] for r in arr]
    np.testing.assert_array_equal(got[0], [np.bincount(r, minlength=5) for r in keep])
    np.testing.assert_allclose(got[1], [np.bincount(r, wr, minlength=7)
                                        for r, wr in zip(arr, weights)])
    np.testing.assert_array_equal(got[2], (np.bincount(arr[0], minlength=7)[:6] > 0))
    err = tf.errors.InvalidArgumentError
    with pytest.raises(err, match="size \\(-1\\) must be non-negative"):
        DENSE_BINCOUNT([1, 2], -1, np.zeros(0, np.float32))
    with pytest.raises(err, match="Shape must be at most rank 2 but is rank 3"):
        DENSE_BINCOUNT(np.zeros((1, 1, 1), np.int32), 2, np.zeros(0, np.float32))
    with pytest.raises(TypeError, match="'weights' has DataType float16"):
        DENSE_BINCOUNT([1], 2, np.zeros(1, np.float16))
    loose = tf.placeholder(tf.float64)
    with pytest.raises(err, match="`weights` must be the same shape as `arr`"):
        _run(DENSE_BINCOUNT(x, np.int64(3), loose), {x: arr, loose: weights[:, :4]})
    with pytest.raises(err, match="Input arr must be non-negative!"):
        _run(DENSE_BINCOUNT(x, np.int64(3), np.zeros(0, np.int32)), {x: -arr - 1})

# -- unique_with_counts ---------------------------------------------------------------------------
def test_unique_with_counts_keeps_the_order_of_first_appearance():
    x = tf.placeholder(tf.int64, [None])
    out = tf.unique_with_counts(x, out_idx=tf.int64)
    assert out.y.shape.as_list() == [None] and out.count.dtype == tf.int64
    assert out.y.op.type == "UniqueWithCounts"
    v = np.array([5, 3, 5, 5, 9, 3, 1])
    y, idx, count = _run(out, {x: v})
    np.testing.assert_array_equal(y, [5, 3, 9, 1])
    np.testing.assert_array_equal(idx, [0, 1, 0, 0, 2, 1, 3])
    np.testing.assert_array_equal(count, [3, 2, 1, 1])
    np.testing.assert_array_equal(y[idx], v)



def test_unique_with_counts_keeps_each_nan():
    """TF's hash map finds no NaN equal to another: each is a value of its own."""
    y, idx, count = _run(tf.unique_with_counts([np.nan, 1.0, np.nan]))
    assert np.isnan(y[0]) and y[1] == 1.0 and np.isnan(y[2]) and len(y) == 3
    np.testing.assert_array_equal(idx, [0, 1, 2])
    np.testing.assert_array_equal(count, [1, 1, 1])

def test_unique_with_counts_wants_a_vector():
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be rank 1"):
        tf.unique_with_counts(tf.zeros([2, 2]))
    x = tf.placeholder(tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="1D vector"):
        _run(tf.unique_with_counts(x), {x: np.zeros((2, 2))})


# -- histogram_fixed_width ------------------------------------------------------------------------
def test_histogram_fixed_width_matches_numpy_with_outliers_in_the_end_bins():
    values = R.uniform(-3.0, 8.0, (7, 11))
    x = tf.placeholder(tf.float64, [None, 11])
    hist = tf.histogram_fixed_width(x, [0.0, 5.0], nbins=6)
    assert hist.shape.as_list() == [6] and hist.dtype == tf.int32
    assert hist.op.name == "histogram_fixed_width" and hist.op.type == "HistogramFixedWidth"
    want, _ = np.histogram(np.clip(values, 0.0, 5.0), bins=6, range=(0.0, 5.0))
    np.testing.assert_array_equal(_run(hist, {x: values}), want)
    wide = tf.histogram_fixed_width(values.astype(np.float32), [-1.0, 2.0], dtype=tf.int64)
    assert wide.shape.as_list() == [100] and _run(wide).sum() == values.size


def test_histogram_fixed_width_bins_matches_numpy():
    """Each value's bin index (outliers in the end bins), shaped like the values; composed of
    plain ops as TF composes it."""
    values = R.uniform(-3.0, 8.0, (4, 6)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 6])
    bins = tf.histogram_fixed_width_bins(x, [0.0, 5.0], nbins=7)
    assert bins.dtype == tf.int32 and bins.op.name == "histogram_fixed_width_bins/Reshape_1"
    assert not _types() & {"HistogramFixedWidth", "Bucketize"}
    want = np.clip(np.floor((values - 0.0) / 5.0 * 7), 0, 6).astype(np.int32)
    np.testing.assert_array_equal(_run(bins, {x: values}), want)
    # The counts of the bins are histogram_fixed_width's.
    np.testing.assert_array_equal(np.bincount(want.ravel(), minlength=7),
                                  _run(tf.histogram_fixed_width(values, [0.0, 5.0], 7)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="must > 0"):
        _run(tf.histogram_fixed_width_bins(x, [0.0, 5.0], nbins=tf.constant(0) * 1),
             {x: values})


@pytest.mark.parametrize("value_range, nbins, values, message", [
    ([2.0, 1.0], 3, [1.0], r"value_range\[0\] < value_range\[1\], but got '\[2.0, 1.0\]'"),
    ([0.0, 1.0], 0, [1.0], "nbins should be a positive number, but got '0'"),
    ([0.0, 1.0, 2.0], 3, [1.0], "value_range should be a vector of 2 elements"),
    ([0.0, 1.0], 3, [1.0, np.nan], "must not contain NaN"),
])
def test_histogram_fixed_width_errors(value_range, nbins, values, message):
    v = tf.placeholder(tf.float64)
    r = tf.placeholder(tf.float64)
    n = tf.placeholder(tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _run(tf.histogram_fixed_width(v, r, n), {v: values, r: value_range, n: nbins})


# -- searchsorted ---------------------------------------------------------------------------------
def test_searchsorted_matches_numpy_per_innermost_row():
    seq = np.sort(R.integers(0, 10, (2, 3, 7)), axis=-1).astype(np.float32)
    probes = R.integers(-1, 11, (2, 3, 5)).astype(np.float32)
    s = tf.placeholder(tf.float32, [None, None, 7])
    p = tf.placeholder(tf.float32, [2, 3, 5])
    left = tf.searchsorted(s, p)
    right = tf.searchsorted(s, p, side="right", out_type=tf.int64)
    assert left.shape.as_list() == [2, 3, 5] and right.dtype == tf.int64
    assert {"LowerBound", "UpperBound"} <= _types()
    got_left, got_right = _run([left, right], {s: seq, p: probes})
    for side, got in (("left", got_left), ("right", got_right)):
        want = [[np.searchsorted(seq[i, j], probes[i, j], side=side) for j in range(3)]
                for i in range(2)]
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(_run(tf.searchsorted([1, 3, 3, 7], [3, 0, 8])), [1, 0, 4])



def test_searchsorted_nan_probes_and_an_empty_sequence():
    """TF's bounds compare with <, which is false for NaN: a NaN probe's lower bound is 0 and
    its upper bound the length (numpy puts NaN last). An empty sequence gives 0s."""
    left, right, empty = _run([tf.searchsorted([1.0, 2.0, 3.0], [np.nan, 2.0]),
                               tf.searchsorted([1.0, 2.0, 3.0], [np.nan, 2.0], side="right"),
                               tf.searchsorted(tf.constant([], tf.float32), [1.0, 2.0])])
    np.testing.assert_array_equal(left, [0, 1])
    np.testing.assert_array_equal(right, [3, 2])
    np.testing.assert_array_equal(empty, [0, 0])

def test_searchsorted_checks_its_arguments():
    with pytest.raises(ValueError, match="`side` must be either 'right' or 'left'"):
        tf.searchsorted([1.0, 2.0], [1.5], side="middle")
    s = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Leading dim_size"):
        _run(tf.searchsorted(s, [[1.0], [2.0]]), {s: np.zeros((3, 4))})


# -- confusion_matrix -----------------------------------------------------------------------------
def _confusion_ref(labels, predictions, n, weights=None):
    out = np.zeros((n, n))
    np.add.at(out, (labels, predictions), 1 if weights is None else weights)
    return out


def test_confusion_matrix_counts_label_prediction_pairs():
    labels = R.integers(0, 4, 20)
    preds = R.integers(0, 4, 20)
    weights = R.uniform(0, 1, 20)
    lab = tf.placeholder(tf.int64, [None])
    pred = tf.placeholder(tf.int32, [None])
    cm = tf.confusion_matrix(lab, pred)
    cm6 = tf.math.confusion_matrix(lab, pred, num_classes=6, weights=weights, dtype=tf.float64)
    assert cm.op.type == "ScatterNd" and cm.dtype == tf.int32 and cm6.dtype == tf.float64
    got, got6 = _run([cm, cm6], {lab: labels, pred: preds})
    n = max(labels.max(), preds.max()) + 1
    np.testing.assert_array_equal(got, _confusion_ref(labels, preds, n))
    np.testing.assert_allclose(got6, _confusion_ref(labels, preds, 6, weights))


def test_confusion_matrix_squeezes_a_trailing_unit_dimension():
    got = _run(tf.confusion_matrix([[0], [2], [2]], [0, 1, 2]))
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 0], [0, 1, 1]])
    lab, pred = tf.placeholder(tf.int32), tf.placeholder(tf.int32)  # unknown ranks: a cond
    got = _run(tf.confusion_matrix(lab, pred, num_classes=3), {lab: [0, 2], pred: [[0], [1]]})
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize("labels, predictions, message", [
    ([0, -1], [0, 1], "`labels` contains negative values"),
    ([0, 1], [-3, 1], "`predictions` contains negative values"),
    ([0, 3], [0, 1], "`labels` out of bound"),
    ([0, 1], [3, 1], "`predictions` out of bound"),
])
def test_confusion_matrix_asserts_its_ids(labels, predictions, message):
    lab, pred = tf.placeholder(tf.int32, [2]), tf.placeholder(tf.int32, [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _run(tf.confusion_matrix(lab, pred, num_classes=3), {lab: labels, pred: predictions})


def test_confusion_matrix_weights_must_match_predictions():
    with pytest.raises(ValueError, match="incompatible"):
        tf.confusion_matrix([0, 1], [0, 1], weights=[1.0, 2.0, 3.0])


# -- decompositions -------------------------------------------------------------------------------
def _t(x):
    return np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 4, 2)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_matches_numpy_and_reconstructs(shape, full_matrices):
    a = R.standard_normal(shape)
    s, u, v = tf.svd(tf.constant(a), full_matrices=full_matrices)
    m, n = shape[-2:]
    p = min(m, n)
    assert s.shape.as_list() == list(shape[:-2]) + [p]
    assert u.shape.as_list() == list(shape[:-2]) + [m, m if full_matrices else p]
    assert v.shape.as_list() == list(shape[:-2]) + [n, n if full_matrices else p]
    sv, uv, vv = _run([s, u, v])
    np.testing.assert_allclose(sv, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose((uv[..., :p] * sv[..., None, :]) @ _t(vv[..., :p]), a,
                               atol=1e-12)
    np.testing.assert_allclose(_t(uv) @ uv, np.broadcast_to(np.eye(uv.shape[-1]),
                                                            _t(uv).shape[:-1] + uv.shape[-1:]),
                               atol=1e-12)


def test_svd_without_vectors_and_the_linalg_names():
    a = R.standard_normal((2, 5, 3)).astype(np.float32)
    s = tf.linalg.svd(a, compute_uv=False)
    assert isinstance(s, tf.Tensor) and s.shape.as_list() == [2, 3] and s.dtype == tf.float32
    assert [t.shape.as_list() for t in s.op.outputs[1:]] == [[0], [0]]
    np.testing.assert_allclose(_run(s), np.linalg.svd(a, compute_uv=False), rtol=1e-5)
    assert tf.linalg.svd is tf.svd and tf.linalg.qr is tf.qr
    assert tf.linalg.eigh is tf.self_adjoint_eig
    assert tf.linalg.eigvalsh is tf.self_adjoint_eigvals


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_qr_matches_numpy(shape, full_matrices):
    a = R.standard_normal(shape)
    q, r = tf.qr(a, full_matrices=full_matrices)
    m, n = shape[-2:]
    k = m if full_matrices else min(m, n)
    assert q.shape.as_list() == list(shape[:-2]) + [m, k]
    assert r.shape.as_list() == list(shape[:-2]) + [k, n]
    qv, rv = _run([q, r])
    nq, nr = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    np.testing.assert_allclose(qv, nq, atol=1e-12)
    np.testing.assert_allclose(rv, nr, atol=1e-12)
    np.testing.assert_allclose(qv @ rv, a, atol=1e-12)


def test_self_adjoint_eig_reads_the_lower_triangle():
    sym = R.standard_normal((2, 4, 4))
    sym = sym + _t(sym)
    stored = np.tril(sym) + np.triu(R.standard_normal(sym.shape), 1)  # upper half ignored
    x = tf.placeholder(tf.float64, [None, 4, 4])
    e, v = tf.self_adjoint_eig(x)
    ev = tf.linalg.eigvalsh(x)
    assert e.shape.as_list() == [None, 4] and v.shape.as_list() == [None, 4, 4]
    assert ev.op.get_attr("compute_v") is False
    got_e, got_v, got_ev = _run([e, v, ev], {x: stored})
    np.testing.assert_allclose(got_e, np.linalg.eigvalsh(sym), atol=1e-12)
    np.testing.assert_allclose(got_ev, got_e, atol=1e-12)
    np.testing.assert_allclose((got_v * got_e[..., None, :]) @ _t(got_v), sym, atol=1e-12)


def test_half_precision_is_computed_in_float32():
    a = np.array([[2.0, 1.0], [1.0, 3.0]], np.float16)
    e, _ = tf.self_adjoint_eig(a)
    assert e.dtype == tf.float16
    np.testing.assert_allclose(_run(e), np.linalg.eigvalsh(a.astype(np.float64)), rtol=1e-3)


def test_decomposition_shape_and_dtype_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least rank 2"):
        tf.svd(tf.zeros([3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimensions must be equal"):
        tf.self_adjoint_eig(tf.zeros([2, 3]))
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        tf.qr(tf.zeros([2, 2], tf.int32))
    x = tf.placeholder(tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be square"):
        _run(tf.self_adjoint_eigvals(x), {x: np.zeros((2, 3))})
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 2"):
        _run(tf.qr(x)[0], {x: np.zeros(3)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="not successful"):
        _run(tf.self_adjoint_eigvals(x), {x: np.full((2, 2), np.nan)})
    # Svd and Qr of a non-finite matrix are NaN, as TF's.
    s, u, v = _run(tf.svd(x), {x: np.full((2, 2), np.inf)})
    assert np.isnan(s).all() and np.isnan(u).all() and np.isnan(v).all()


def test_gradients_tf_does_not_implement_say_so():
    """TF's NotImplementedErrors, with its messages: Qr of a tall matrix with full_matrices,
    Svd with full_matrices and |M - N| > 1, either with unknown matrix dimensions."""
    q, _ = tf.qr(tf.zeros([4, 2]), full_matrices=True)
    with pytest.raises(NotImplementedError, match="nrows > ncols and full_matrices"):
        tf.gradients(q, tf.get_default_graph().get_operations()[0].outputs[0])
    a = tf.placeholder(tf.float32, [2, 5])
    with pytest.raises(NotImplementedError, match=r"abs\(m - n\) > 1"):
        tf.gradients(tf.svd(a, full_matrices=True)[0], a)
    b = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(NotImplementedError, match="unknown inner matrix shape"):
        tf.gradients(tf.svd(b)[1], b)
    with pytest.raises(NotImplementedError, match="dynamic shapes"):
        tf.gradients(tf.qr(b)[1], b)
    # The values alone have a gradient at any shape: u diag(ds) v^T.
    (g,) = tf.gradients(tf.reduce_sum(tf.svd(b, compute_uv=False)), b)
    a0 = R.standard_normal((3, 2))
    u, _, vt = np.linalg.svd(a0, full_matrices=False)
    np.testing.assert_allclose(_run(g, {b: a0}), u @ vt, rtol=1e-5, atol=1e-6)


def test_ops_and_optimizers_match_tensorflow():
    """Values, gradients and op types of every function above, and the FTRL / proximal
    optimizers' variables and slots over five dense and sparse steps, in tf.compat.v1."""
    run_against_tf("extra_ops_vs_tf.py", cases=28)
