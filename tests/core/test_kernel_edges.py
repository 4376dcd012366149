"""Kernels on edge inputs (inf, NaN, empty tensors, shapes only known at run time) against
what TensorFlow 2.21's own kernels (``tf.raw_ops``) return for the same inputs; the expected
values below were read from TF, not from minitf.

Inputs are fed through rank-less placeholders, so only the kernels decide: these are the cases
an imported graph or an unknown shape reaches.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.opdef import lookup

INF, NAN = np.inf, np.nan

# inf and NaN arithmetic is the point here; pytest shows numpy's RuntimeWarnings about it,
# which the kernels' own filters hide outside pytest.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def f32(*values):
    return np.array(values, np.float32)


def run_op(op_type, inputs, **attrs):
    """Runs one op on fed inputs of unknown shape; returns its output(s)."""
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype)) for v in inputs]
        opdef = lookup(op_type)
        # an N*T argument (AddN's) takes the inputs as one list
        out = opdef(phs, **attrs) if opdef.args[0].number_attr else opdef(*phs, **attrs)
        with tf.Session(graph=graph) as sess:
            return sess.run(out, dict(zip(phs, inputs)))


@pytest.mark.parametrize("op_type, inputs, attrs, want", [
    # selects, as TF: inf * 0 in a multiplied-in mask would make NaN
    ("LeakyRelu", [f32(INF, -INF, NAN, -1, 2)], {"alpha": 0.0}, f32(INF, NAN, NAN, -0.0, 2)),
    ("LeakyRelu", [f32(INF, -INF, NAN, -1, 2)], {"alpha": 2.0}, f32(INF, -INF, NAN, -2, 2)),
    ("LeakyReluGrad", [f32(INF, -INF, INF, NAN, 1), f32(-1, -1, 7, 3, NAN)], {"alpha": 0.2},
     f32(INF, -INF, INF, NAN, 0.2)),
    ("EluGrad", [f32(1, 1, 1, 1), f32(NAN, INF, -INF, -0.5)], {}, f32(1, 1, -INF, 0.5)),
    ("SeluGrad", [f32(1, 1, 1, 1), f32(NAN, INF, -INF, -0.5)], {},
     f32(1.050701, 1.050701, -INF, 1.2580993)),
    # no gradient flowing gives 0, even where y is 0, inf or NaN
    ("SqrtGrad", [f32(0, INF, NAN, 1, 0), f32(0, 0, 0, 0, 1)], {}, f32(0, 0, 0, 0, INF)),
    ("RsqrtGrad", [f32(0, INF, NAN, 1, 0), f32(0, 0, 0, 0, 1)], {}, f32(0, 0, 0, 0, -0.0)),
    ("ReciprocalGrad", [f32(0, INF, NAN, 1, 0), f32(0, 0, 0, 0, 1)], {}, f32(0, 0, 0, 0, -0.0)),
    # a row with any non-finite prediction is never in the top k
    ("InTopKV2", [np.array([[1, INF, 2], [1, NAN, 2], [NAN, 2, 1], [1, 2, 3]], np.float32),
                  np.array([2, 2, 1, 2], np.int32), np.array(3, np.int32)], {},
     np.array([False, False, False, True])),
    # an axis argument of any shape
    ("Sum", [np.ones((2, 3), np.float32), np.array([[1]], np.int32)], {}, f32(3, 3)),
    # channels in dimension 1 for NCHW of rank 2 (TF's kernel; its shape function wants 3)
    ("BiasAdd", [np.zeros((2, 3), np.float32), f32(1, 2, 3)], {"data_format": "NCHW"},
     np.array([[1, 2, 3], [1, 2, 3]], np.float32)),
    ("BiasAddGrad", [np.ones((2, 3), np.float32)], {"data_format": "NCHW"}, f32(2, 2, 2)),
], ids=lambda v: v if isinstance(v, str) else None)
def test_values_match_tensorflow(op_type, inputs, attrs, want):
    got = run_op(op_type, inputs, **attrs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # NaN where TF has NaN
    real = ~np.isnan(want.astype(np.float64))  # -0.0 where TF has it (a NaN's sign is noise)
    np.testing.assert_array_equal(np.signbit(got)[real], np.signbit(want)[real])


@pytest.mark.parametrize("shape, want", [([1], ([], [])), ([1, 3], ([], [])),
                                         ([3, 1], ([], []))])
def test_broadcast_gradient_args_of_identical_shapes_is_empty(shape, want):
    r0, r1 = run_op("BroadcastGradientArgs", [np.array(shape, np.int32)] * 2)
    assert (r0.tolist(), r1.tolist()) == want
    r0, r1 = run_op("BroadcastGradientArgs", [np.array([1, 3], np.int32),
                                              np.array([2, 1, 3], np.int32)])
    assert (r0.tolist(), r1.tolist()) == ([0, 1], [1])


# (given, shape, run-time shape, static shape), recorded from tf.compat.v1 2.21: TF rounds
# the division down at run time; its shape function leaves a -1 beside a 0 unknown.
@pytest.mark.parametrize("given, shape, want, static", [
    ((0, 3), [-1, 0], (3, 0), [None, 0]), ((0, 3), [0, -1], (0, 3), [0, None]),
    ((0, 3), [-1, 3, 0], (1, 3, 0), [None, 3, 0]),
    ((0, 3), [-1, 0, 2], (1, 0, 2), [None, 0, 2]), ((0,), [-1, 0], (1, 0), [None, 0]),
    ((0,), [2, -1], (2, 0), [2, 0])])
def test_reshape_of_an_empty_tensor_infers_minus_one_as_tf_does(given, shape, want, static):
    out = run_op("Reshape", [np.zeros(given, np.float32), np.array(shape, np.int32)])
    assert out.shape == want
    with tf.Graph().as_default():
        assert tf.reshape(tf.zeros(given), shape).shape.as_list() == static


@pytest.mark.parametrize("op_type, inputs, message", [
    ("Reshape", [np.ones((3, 4), np.float32), np.array([-2, 6], np.int32)],
     "Size 0 must be non-negative, not -2"),  # numpy would read -2 as -1
    ("Reshape", [np.ones((3, 4), np.float32), np.array([-1, -1], np.int32)],
     "only one input size may be -1"),
    ("Reshape", [np.ones(6, np.float32), np.array([-1, 4], np.int32)],  # TF's words for a -1
     "a tensor with 6 values, but the requested shape requires a multiple of 4"),
    ("Reshape", [np.ones(6, np.float32), np.array([2, 4], np.int32)],
     "a tensor with 6 values, but the requested shape has 8"),
    ("AddN", [np.ones((3, 4), np.float32), np.ones((3, 1), np.float32)],
     "must have the same size and shape"),  # numpy would broadcast
    ("Fill", [np.array([2], np.int32), f32(1, 2)], "value must represent a scalar"),
    ("LogSoftmax", [np.float32(1)], "logits must have >= 1 dimension"),
    ("Softmax", [np.float32(1)], "logits must have >= 1 dimension"),
    ("SigmoidGrad", [np.ones((3, 1), np.float32), np.ones((3, 4), np.float32)],
     "must have the same size and shape"),
    ("SqrtGrad", [np.ones((3, 1), np.float32), np.ones((3, 4), np.float32)],
     "must have the same size and shape"),
    ("MatMul", [f32(1, 2), np.array([[1], [2]], np.float32)], "In[0] is not a matrix"),
    ("MatMul", [np.ones((2, 2, 2), np.float32), np.ones((2, 2), np.float32)],
     "In[0] is not a matrix"),
    ("OneHot", [np.array([0, 1], np.int32), np.array(3, np.int32), f32(1), np.float32(0)],
     "on_value must be a scalar, but got: [1]"),
])
def test_errors_tensorflow_raises_too(op_type, inputs, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("[", r"\[")):
        run_op(op_type, inputs)


@pytest.mark.parametrize("op_type", ["Relu", "Relu6", "Square"])
def test_bool_is_not_a_number(op_type):
    """TF has no such kernels; numpy would quietly give int64 or int8 for a bool tensor."""
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        lookup(op_type)(tf.placeholder(tf.bool, [2]))


def test_mirror_pad_mode_is_the_ops_upper_case_attr():
    with pytest.raises(ValueError, match="Value for attr 'mode' of \"reflect\""):
        lookup("MirrorPad")(tf.placeholder(tf.float32, [3]), [[1, 1]], mode="reflect")
    # tf.pad's own argument takes either case, as TF's does
    with tf.Session() as sess:
        out = sess.run(tf.pad(tf.constant([1.0, 2.0, 3.0]), [[1, 1]], mode="reflect"))
    np.testing.assert_array_equal(out, [2.0, 1.0, 2.0, 3.0, 2.0])


def test_gather_nd_scatter_nd_and_top_k_refuse_bad_input():
    params = tf.placeholder(tf.float32, [2, 3])
    idx = tf.placeholder(tf.int32, [None, 2])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"indices\[1\] = \[2, 0\] does not index into param shape "
                                 r"\[2,3\]"):
            sess.run(tf.gather_nd(params, idx), {params: np.zeros((2, 3)), idx: [[0, 0], [2, 0]]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="updates has shape"):
            sess.run(tf.scatter_nd(idx, tf.placeholder_with_default([1.0], None), [3, 3]),
                     {idx: [[0, 0], [1, 1]]})
        k = tf.placeholder(tf.int32, [])
        with pytest.raises(tf.errors.InvalidArgumentError, match="at least k columns. Had 3, "
                                                                 "needed 4"):
            sess.run(tf.nn.top_k(params, k), {params: np.zeros((2, 3)), k: 4})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Need k >= 0, got -1"):
            sess.run(tf.nn.top_k(params, k), {params: np.zeros((2, 3)), k: -1})
    with pytest.raises(ValueError, match="last dimension >= k = 4 but is 3"):
        tf.nn.top_k(params, 4)
    with pytest.raises(ValueError, match="indices.shape\\[-1\\] must be <= params.rank"):
        tf.gather_nd(params, tf.zeros([2, 3], tf.int32))


def test_gather_nd_scatter_nd_and_top_k_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(4)
    xv = rng.standard_normal((3, 4, 5)).astype(np.float32)

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x = T.placeholder(T.float32, [None, 4, 5])
            picked = T.gather_nd(x, [[0, 1], [2, 3], [0, 1]])
            values, indices = T.nn.top_k(x * 1.0, 3)
            scattered = T.scatter_nd([[1], [0], [1]], values[:, 0, :], [2, 3])
            loss = T.reduce_sum(picked ** 2) + T.reduce_sum(values * 0.5) + \
                T.reduce_sum(scattered ** 2)
            with T.Session() as sess:
                return sess.run([picked, values, indices, scattered, T.gradients(loss, x)[0]],
                                {x: xv})

    for ours, theirs in zip(run(tf), run(tf1)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_review_fixes_for_gather_nd_top_k_scatter_and_boolean_mask():
    """From a probe against tf.compat.v1: gather_nd's gradient for rows is sparse (so
    Momentum moves only the rows looked up: every row ends at 0.8 here, by hand); top_k ranks
    INT_MIN last and answers a namedtuple; k = 0 has a zero gradient; integer scatter_div
    divides toward zero; indices must be integers; bad masks' axes are refused."""
    emb = tf.Variable(np.ones((3, 2), np.float32))
    i = tf.placeholder(tf.int32, [None, 1])
    loss = tf.reduce_sum(tf.square(tf.gather_nd(emb, i)))
    (grad,) = tf.gradients(loss, emb)
    assert isinstance(grad, tf.IndexedSlices)
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    r = tf.nn.top_k(tf.constant([[3, -2 ** 31, 5]], tf.int32), 3)
    x = tf.placeholder(tf.float32, [2, 3])
    (g0,) = tf.gradients(tf.reduce_sum(tf.nn.top_k(x, 0).values), x)
    iv = tf.Variable([[30, -40], [7, 9]])
    div = tf.scatter_div(iv, [0, 0], [[3, 4], [2, -3]])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for row in range(3):
            sess.run(train, {i: [[row]]})
        np.testing.assert_allclose(sess.run(emb), np.full((3, 2), 0.8), rtol=1e-6)
        values, indices = sess.run(r)
        np.testing.assert_array_equal(values, [[5, 3, -2 ** 31]])
        np.testing.assert_array_equal(sess.run(r.indices), [[2, 0, 1]])
        np.testing.assert_array_equal(sess.run(g0, {x: np.ones((2, 3))}), np.zeros((2, 3)))
        np.testing.assert_array_equal(sess.run(div), [[5, 3], [7, 9]])  # 30/3/2, -40/4/-3
    # TF's messages (TF 2.21's registry: GatherNd and ScatterNd take int16 indices too)
    with pytest.raises(TypeError, match="'indices' has DataType float32 not in list of allowed "
                                        "values: int16, int32, int64"):
        tf.gather_nd(tf.zeros([2, 2]), [[1.0]])
    with pytest.raises(TypeError, match="'indices' has DataType float32 not in list of allowed "
                                        "values: int16, int32, int64"):
        tf.scatter_nd([[1.7]], [5.0], [3])
    with pytest.raises(TypeError, match="'indices' has DataType float32 not in list of allowed "
                                        "values: int32, int64"):
        tf.scatter_add(iv, tf.constant([0.0]), [[1, 1]])
    with pytest.raises(ValueError, match="must be indices.shape"):
        tf.scatter_nd([[0], [1]], [[1.0, 2.0]], [3, 2])
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(tf.zeros([2, 3, 4]), [True, False], axis=3)


def test_segment_reductions_refuse_bad_ids_and_match_tensorflow():
    """Sorted segment ops want increasing non-negative ids matching data's rows; the values
    and gradients of every segment reduction (ties included: the gradient is shared) equal
    tf.compat.v1's."""
    data = tf.placeholder(tf.float32, [None, 2])
    ids = tf.placeholder(tf.int32, [None])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing: 2 then 1"):
            sess.run(tf.segment_sum(data, ids), {data: np.ones((3, 2)), ids: [0, 2, 1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="same size as dimension 0"):
            sess.run(tf.segment_max(data, ids), {data: np.ones((3, 2)), ids: [0, 1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be >= 0"):
            sess.run(tf.segment_mean(data, ids), {data: np.ones((2, 2)), ids: [-1, 0]})
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    xv = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 6.0], [0.0, 6.0], [2.0, 2.0]], np.float32)
    sorted_ids, loose_ids = [0, 0, 2, 2, 3], [1, -1, 0, 1, 0]

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x = T.constant(xv)
            outs = [T.segment_sum(x, sorted_ids), T.segment_mean(x, sorted_ids),
                    T.segment_max(x, sorted_ids), T.segment_min(x, sorted_ids),
                    T.unsorted_segment_max(x, loose_ids, 3),
                    T.unsorted_segment_min(x, loose_ids, 3),
                    T.unsorted_segment_mean(x, loose_ids, 3)]
            rows = [4, 4, 4, 4, 3, 3, 3]  # max(sorted id) + 1, and num_segments
            weights = [np.arange(r * 2, dtype=np.float32).reshape(r, 2) for r in rows]
            grads = [T.gradients(T.reduce_sum(o * w), x)[0] for o, w in zip(outs, weights)]
            with T.Session() as sess:
                return sess.run([T.convert_to_tensor(t) for t in outs + grads])

    for ours, theirs in zip(run(tf), run(tf1)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_reshape_of_a_partly_known_shape_checks_divisibility_at_construction():
    """[None, 3] cannot become [2, 2] whatever the batch: TF refuses it when the graph is
    built ("Dimension size must be evenly divisible by 3 but is 4"), minitf did so only at
    run time."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        with pytest.raises(ValueError, match="evenly divisible by 3 but is 4"):
            tf.reshape(x, [2, 2])
        assert tf.reshape(x, [3, 2]).shape.as_list() == [3, 2]
        assert tf.reshape(x, [-1, 3]).shape.as_list() == [None, 3]


def test_shape_lists_holding_int64_tensors():
    """TF packs a shape list at its tensors' dtype: an int64 size (Dataset.range's ids, a
    parsed feature) sizes zeros, ones and the random ops (they insisted on int32)."""
    with tf.Graph().as_default():
        n = tf.constant(3, tf.int64)
        made = [tf.zeros([n, 2]), tf.ones([n]), tf.random_uniform([n]),
                tf.random_normal([n, 2]), tf.truncated_normal([n]),
                tf.random_uniform([n], maxval=5, dtype=tf.int64)]
        assert [m.shape.as_list() for m in made] == [[3, 2], [3], [3], [3, 2], [3], [3]]
        with tf.Session() as sess:
            assert [list(v.shape) for v in sess.run(made)] == [[3, 2], [3], [3], [3, 2], [3],
                                                                [3]]
