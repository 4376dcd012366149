"""Edge cases a probe found by running the same graphs in minitf and tf.compat.v1 (TF 2.21):
empty results of integer division, shapes only known at run time (unsorted_segment_mean, Fill,
sparse cross-entropy, VALID convolutions, Range), zero output channels and int64 wrap-around.

The expected values were read from TF 2.21 (or are numpy's / hand-computed where noted); where
TensorFlow is installed, ``test_against_tensorflow`` also runs each graph in it.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

f32, i32 = np.float32, np.int32


def run(build, feeds, known=False, T=tf):
    """Runs ``build(T, ph)`` in a fresh graph, ``ph(name)`` a placeholder fed ``feeds[name]``
    (of unknown shape unless ``known``)."""
    graph = T.Graph()
    with graph.as_default():
        phs = {}

        def ph(name):
            if name not in phs:
                value = np.asarray(feeds[name])
                phs[name] = T.placeholder(T.as_dtype(value.dtype),
                                          value.shape if known else None, name=name)
            return phs[name]

        out = build(T, ph)
        with T.Session(graph=graph) as sess:
            return sess.run(out, {phs[k]: np.asarray(v) for k, v in feeds.items()})


def _conv(padding, strides=1, data_format="NHWC"):
    def build(T, ph):
        y = T.nn.conv2d(ph("x"), ph("w"), strides, padding, data_format=data_format)
        return [y] + T.gradients(T.reduce_sum(y), [ph("x"), ph("w")])
    return build


def _window_op(kind, stride):
    def build(T, ph):
        strides = [1, stride, stride, 1]
        y = T.nn.depthwise_conv2d(ph("x"), ph("w"), strides, "VALID") if kind == "depthwise" \
            else getattr(T.nn, kind)(ph("x"), [1, 3, 3, 1], strides, "VALID")
        return [y, T.gradients(T.reduce_sum(y), ph("x"))[0]]
    return build


def _range(which):
    def build(T, ph):
        args = [0, 3, 1]
        args[which] = ph("v")
        return T.range(*args)
    return build


def _sparse_xent(T, ph):
    return T.nn.sparse_softmax_cross_entropy_with_logits(labels=ph("l"), logits=ph("x"))


X24 = np.arange(24, dtype=f32).reshape(2, 3, 4)
IDS = np.array([[0, 1, 1], [2, 0, 0]], i32)

# name -> (build, feeds, what TF 2.21 returned). Fed through placeholders of unknown shape.
CASES = {
    # 1. an empty broadcast result needs no divisor
    **{f"{op}-empty": (lambda T, ph, op=op: getattr(T, op)(ph("x"), ph("y")),
                       {"x": np.zeros((0, 1), i32), "y": np.array([[0, 1, 2]], i32)},
                       np.zeros((0, 3), i32))
       for op in ("floordiv", "floormod", "truncatediv", "truncatemod")},
    # ... so the reductions' gradients (floormod(axes, rank 0)) work for a scalar of unknown shape
    **{f"{r}-grad-scalar": (lambda T, ph, r=r: T.gradients(getattr(T, r)(ph("x"), []), ph("x")),
                            {"x": f32(2)}, [f32(1)])
       for r in ("reduce_max", "reduce_min", "reduce_prod", "reduce_sum")},
    "reduce_max-grad-scalar-all": (lambda T, ph: T.gradients(T.reduce_max(ph("x")), ph("x")),
                                   {"x": f32(2)}, [f32(1)]),
    # 2. unsorted_segment_mean of data of unknown rank
    "segment-mean-2d": (lambda T, ph: T.math.unsorted_segment_mean(ph("x"), ph("i"), 2),
                        {"x": np.ones((2, 3), f32), "i": np.array([0, 1], i32)},
                        np.ones((2, 3), f32)),
    "segment-mean-3d": (lambda T, ph: T.math.unsorted_segment_mean(ph("x"), ph("i"), 3),
                        {"x": X24, "i": IDS},
                        # numpy: segment 0 = rows (0,1),(1,1),(1,2); 1 = (0,1),(0,2); 2 = (1,0)
                        np.stack([(X24[0, 0] + X24[1, 1] + X24[1, 2]) / 3,
                                  (X24[0, 1] + X24[0, 2]) / 2, X24[1, 0]])),
    "segment-mean-const-ids": (
        lambda T, ph: T.math.unsorted_segment_mean(ph("x"), T.constant(IDS), 3),
        {"x": X24}, np.stack([(X24[0, 0] + X24[1, 1] + X24[1, 2]) / 3,
                              (X24[0, 1] + X24[0, 2]) / 2, X24[1, 0]])),
    # 3. a scalar shape is one dim to Fill's kernel and to ones/zeros (which reshape it first)
    "ones-const-scalar": (lambda T, ph: T.ones(T.constant(3)), {}, f32([1, 1, 1])),
    "zeros-fed-scalar": (lambda T, ph: T.zeros(ph("n"), T.int32), {"n": i32(3)},
                         np.zeros(3, i32)),
    "ones-fed-matrix": (lambda T, ph: T.ones(ph("n")), {"n": np.array([[2, 3]], i32)},
                        np.ones((2, 3), f32)),
    "fill-fed-scalar": (lambda T, ph: T.fill(ph("n"), 1.0), {"n": i32(3)}, f32([1, 1, 1])),
    # 4. labels of the right shape for logits of unknown rank
    "sparse-xent-3d": (_sparse_xent, {"x": np.zeros((2, 3, 4), f32),
                                      "l": np.array([[1, 2, 3], [0, 1, 2]], i32)},
                       np.full((2, 3), np.log(4), f32)),  # hand-computed: uniform over 4
    # TF's check compares shape(labels) with shape(logits)[:-1] by broadcasting: [1] == []
    "sparse-xent-1d-labels-1": (_sparse_xent, {"x": np.zeros(4, f32), "l": np.array([2], i32)},
                                np.full(1, np.log(4), f32)),
    # 5. zero output channels: an empty output, gradients of the inputs' shapes
    "conv-zero-channels": (_conv("SAME"), {"x": np.ones((1, 5, 5, 2), f32),
                                           "w": np.ones((3, 3, 2, 0), f32)},
                           [np.zeros((1, 5, 5, 0), f32), np.zeros((1, 5, 5, 2), f32),
                            np.zeros((3, 3, 2, 0), f32)]),
    "conv-zero-channels-nchw": (
        lambda T, ph: T.nn.conv2d(ph("x"), ph("w"), 1, "SAME", data_format="NCHW"),
        {"x": np.ones((1, 2, 5, 5), f32), "w": np.ones((3, 3, 2, 0), f32)},
        np.zeros((1, 0, 5, 5), f32)),
    # 6. VALID windows larger than the input (by less than a stride): no output positions.
    # TF's filter gradient here is uninitialised memory (a TF bug); 0 is the true gradient.
    "conv-valid-small": (lambda T, ph: T.nn.conv2d(ph("x"), ph("w"), 1, "VALID"),
                         {"x": np.ones((1, 2, 2, 2), f32), "w": np.ones((3, 3, 2, 4), f32)},
                         np.zeros((1, 0, 0, 4), f32)),
    "conv-valid-small-strided": (lambda T, ph: T.nn.conv2d(ph("x"), ph("w"), 2, "VALID"),
                                 {"x": np.ones((1, 1, 1, 2), f32),
                                  "w": np.ones((4, 4, 2, 4), f32)},
                                 np.zeros((1, 0, 0, 4), f32)),
    "conv-backprop-input-small": (
        lambda T, ph: T.nn.conv2d_backprop_input([1, 2, 2, 2], ph("w"), ph("dy"), [1, 1, 1, 1],
                                                 "VALID"),
        {"w": np.ones((3, 3, 2, 4), f32), "dy": np.ones((1, 0, 0, 4), f32)},
        np.zeros((1, 2, 2, 2), f32)),
    # ... and pooling and depthwise convolution: an empty output and a zero gradient
    **{f"{kind}-valid-small-s{stride}": (_window_op(kind, stride),
                                         {"x": np.ones((1, 2, 2, 2), f32),
                                          **({"w": np.ones((3, 3, 2, 2), f32)}
                                             if kind == "depthwise" else {})},
                                         [np.zeros((1, 0, 0, 4 if kind == "depthwise" else 2),
                                                   f32), np.zeros((1, 2, 2, 2), f32)])
       for kind in ("max_pool", "avg_pool", "depthwise") for stride in (1, 2)},
    # 7. Range takes a 1-element vector for any of its arguments
    "range-limit-vector": (_range(1), {"v": np.array([3], i32)}, np.arange(3, dtype=i32)),
    "range-start-vector": (_range(0), {"v": np.array([1], i32)}, np.array([1, 2], i32)),
    "range-delta-vector": (_range(2), {"v": np.array([2], i32)}, np.array([0, 2], i32)),
    # 8. an int64 mean divides the wrapped sum, truncating toward zero (TF 2.21's values)
    "mean-int64-wraps": (lambda T, ph: T.reduce_mean(ph("x")),
                         {"x": np.array([2**62, 2**62], np.int64)},
                         np.int64(-4611686018427387904)),
    "mean-int64-min": (lambda T, ph: T.reduce_mean(ph("x")),
                       {"x": np.array([-2**63, 0, 0], np.int64)},
                       np.int64(-3074457345618258602)),
    "mean-int64-rows": (lambda T, ph: T.reduce_mean(ph("x"), 1),
                        {"x": np.array([[2**62, 2**62, 2**62], [-2**63, -2**63, -1],
                                        [-7, -2, 0]], np.int64)},
                        np.array([-1537228672809129301, 0, -3], np.int64)),
}


def _assert_same(got, want, name):
    if isinstance(want, list):
        assert len(got) == len(want), name
        for g, w in zip(got, want):
            _assert_same(g, w, name)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, name
    assert got.dtype == want.dtype, name
    np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_case(name):
    build, feeds, want = CASES[name]
    _assert_same(run(build, feeds), want, name)


# TF 2.21's shape functions reject these graphs once the fed shapes are known (ValueError).
STATIC_ERRORS = {
    "fill-fed-scalar": "Shape must be rank 1 but is rank 0",
    "ones-fed-matrix": "Shape must be rank 1 but is rank 2",
    "sparse-xent-1d-labels-1": "`labels.shape.rank` must equal `logits.shape.rank - 1`",
    "conv-valid-small": "Negative dimension size caused by subtracting 3 from 2",
    "conv-valid-small-strided": "Negative dimension size caused by subtracting 4 from 1",
    **{f"range-{arg}-vector": f"{arg} must be a scalar" for arg in ("start", "limit", "delta")},
    **{f"{kind}-valid-small-s{stride}": "Negative dimension size caused by subtracting 3 from 2"
       for kind in ("max_pool", "avg_pool", "depthwise") for stride in (1, 2)},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_case_with_static_shapes(name):
    """The same graphs with the fed shapes known at graph construction."""
    build, feeds, want = CASES[name]
    if name in STATIC_ERRORS:
        with pytest.raises(ValueError, match=STATIC_ERRORS[name]):
            run(build, feeds, known=True)
    else:
        _assert_same(run(build, feeds, known=True), want, name)


def _onednn_enabled() -> bool:
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return False
    return _pywrap_util_port.IsMklEnabled()


def test_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    # TF's oneDNN conv kernels (on unless TF_ENABLE_ONEDNN_OPTS=0) reject zero output channels
    # and give a (1, 2, 2, 2) output for conv-valid-small: only TF's reference kernels are
    # compared, and the window cases' expected values above were read from them.
    onednn = _onednn_enabled()
    for name, (build, feeds, _) in CASES.items():
        if not (onednn and name.startswith(("conv-", "max_pool-", "avg_pool-", "depthwise-"))):
            _assert_same(run(build, feeds), run(build, feeds, T=tf1), name)


def test_int_division_by_zero_still_fails_with_a_result():
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        run(lambda T, ph: T.floormod(ph("x"), ph("y")),
            {"x": np.ones((2, 1), i32), "y": np.array([[0, 1, 2]], i32)})


def test_fill_dims_errors():
    # TF 2.21: a statically known scalar dims fails Fill's shape function ...
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 0"):
        tf.fill(tf.constant(3), 1.0)
    # ... a fed one of unknown shape is one dim to its kernel; a matrix is not
    with pytest.raises(InvalidArgumentError, match=r"dims must represent a vector, got shape "
                                                   r"\[1,1\]"):
        run(lambda T, ph: T.fill(ph("n"), 1.0), {"n": np.array([[3]], i32)})
    with pytest.raises(InvalidArgumentError, match="Dimension -3 must be >= 0"):
        run(lambda T, ph: T.fill(ph("n"), 1.0), {"n": i32(-3)})


def test_ones_of_a_constant_scalar_has_a_static_shape():
    assert tf.ones(tf.constant(3)).shape.as_list() == [3]  # TF 2.21: (3,)


def test_sparse_xent_checks_shapes_at_run_time():
    """TF 2.21 asserts shape(labels) == shape(logits)[:-1] when the shapes are not known."""
    for logits, labels in [((2, 3), [[1], [1]]), ((2, 3), [1, 1, 1]), ((2, 3, 4), [1, 1])]:
        with pytest.raises(InvalidArgumentError, match="Condition x == y did not hold"):
            run(_sparse_xent, {"x": np.ones(logits, f32), "l": np.array(labels, i32)})


def test_conv_errors_kept():
    # a filter with a zero spatial dim still fails when there is an output to compute
    with pytest.raises(InvalidArgumentError, match="filter must not have zero elements"):
        run(lambda T, ph: T.nn.conv2d(ph("x"), ph("w"), 1, "SAME"),
            {"x": np.ones((1, 5, 5, 2), f32), "w": np.ones((0, 3, 2, 4), f32)})
    # TF 2.21's kernel: (1 - 5 + 1) / 1 output rows
    with pytest.raises(InvalidArgumentError, match=r"Computed output size would be negative: -3 "
                                                   r"\[input_size: 1, effective_filter_size: 5, "
                                                   r"stride: 1\]"):
        run(lambda T, ph: T.nn.conv2d(ph("x"), ph("w"), 1, "VALID"),
            {"x": np.ones((1, 1, 1, 2), f32), "w": np.ones((5, 5, 2, 4), f32)})
    # shapes known at graph construction: the shape function's error, as TF's
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 3 from 2"):
        tf.nn.conv2d(tf.ones((1, 2, 2, 2)), tf.ones((3, 3, 2, 4)), 1, "VALID")


def test_conv_gradients_of_an_empty_output_are_zero():
    """No output position reads the input: both gradients are 0 (TF's filter gradient here is
    uninitialised memory, so the reference is the hand-computed 0)."""
    y, dx, dw = run(_conv("VALID"), {"x": np.ones((1, 2, 2, 2), f32),
                                     "w": np.ones((3, 3, 2, 4), f32)})
    assert y.shape == (1, 0, 0, 4)
    np.testing.assert_array_equal(dx, np.zeros((1, 2, 2, 2), f32))
    np.testing.assert_array_equal(dw, np.zeros((3, 3, 2, 4), f32))

    def depthwise(T, ph):
        y = T.nn.depthwise_conv2d(ph("x"), ph("w"), [1, 2, 2, 1], "VALID")
        return T.gradients(T.reduce_sum(y), ph("w"))[0]
    dw = run(depthwise, {"x": np.ones((1, 2, 2, 2), f32), "w": np.ones((3, 3, 2, 2), f32)})
    np.testing.assert_array_equal(dw, np.zeros((3, 3, 2, 2), f32))


def test_range_rejects_other_shapes():
    # TF 2.21's messages
    with pytest.raises(InvalidArgumentError, match=r"limit must be a scalar, not shape \[1,1\]"):
        run(_range(1), {"v": np.array([[3]], i32)})
    with pytest.raises(InvalidArgumentError, match=r"start must be a scalar, not shape \[2\]"):
        run(_range(0), {"v": np.array([1, 2], i32)})
