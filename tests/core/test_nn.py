"""tf.nn and tf.losses wrappers: node names, defaults, composites and error messages.

Expected values were computed with TensorFlow 2.21 (tf.compat.v1, graph mode) and hard-coded.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

LOGITS = np.array([[1.5, -0.5, 2.0], [-1.0, 0.25, 3.0]], np.float32)
LABELS = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
PREDS = np.array([[0.2, 0.7, 0.4], [0.9, 0.3, 0.05]], np.float32)
X3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10 - 1


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# -- naming ---------------------------------------------------------------------------------------


def test_wrapper_node_names_match_tensorflow():
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    b = tf.placeholder(tf.float32, [5], name="b")
    y = tf.placeholder(tf.float32, [None, 5], name="y")
    lab = tf.placeholder(tf.int32, [None], name="l")
    w = tf.ones([5, 3])
    expected = {
        tf.nn.bias_add(x, b): "BiasAdd:0",
        tf.nn.relu(x): "Relu:0",
        tf.nn.relu6(x): "Relu6:0",
        tf.nn.leaky_relu(x): "LeakyRelu:0",
        tf.nn.elu(x): "Elu:0",
        tf.nn.selu(x): "Selu:0",
        tf.nn.softplus(x): "Softplus:0",
        tf.nn.softsign(x): "Softsign:0",
        tf.nn.softmax(x): "Softmax:0",
        tf.nn.log_softmax(x): "LogSoftmax:0",
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x):
            "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits:0",
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x): "logistic_loss:0",
        tf.nn.l2_loss(x): "L2Loss:0",
        tf.nn.l2_normalize(x, axis=1): "l2_normalize:0",
        tf.nn.xw_plus_b(x, w, tf.ones([3])): "xw_plus_b:0",
        tf.nn.relu_layer(x, w, tf.ones([3])): "relu_layer:0",
        tf.nn.embedding_lookup(w, lab): "embedding_lookup/Identity:0",
        tf.nn.in_top_k(x, lab, 2): "in_top_k/InTopKV2:0",
    }
    for t, name in expected.items():
        assert t.name == name
    assert tf.nn.softmax(x, name="probs").name == "probs:0"
    assert tf.nn.bias_add(x, b, name="logits").op.type == "BiasAdd"
    g = tf.get_default_graph()
    assert g.get_operation_by_name("in_top_k/InTopKV2/k").type == "Const"
    assert g.get_operation_by_name("embedding_lookup").type == "GatherV2"


def test_softmax_cross_entropy_ops_are_named_by_their_scope():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.float32, [None, 5])
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
    g = tf.get_default_graph()
    assert g.get_operation_by_name("softmax_cross_entropy_with_logits_sg").type == \
        "SoftmaxCrossEntropyWithLogits"
    assert g.get_operation_by_name(
        "softmax_cross_entropy_with_logits_sg/labels_stop_gradient").type == "StopGradient"
    assert g.get_operation_by_name("softmax_cross_entropy_with_logits").type == \
        "SoftmaxCrossEntropyWithLogits"
    assert v1.shape.as_list() == [None] and v2.shape.as_list() == [None]


def test_softmax_on_another_axis_transposes_like_tensorflow():
    x = tf.constant(LOGITS)
    s = tf.nn.softmax(x, axis=0)
    assert s.name == "transpose_1:0" and s.shape.as_list() == [2, 3]
    np.testing.assert_allclose(run(s), [[0.9241418, 0.32082132, 0.26894143],
                                        [0.07585818, 0.6791787, 0.7310586]], rtol=1e-6)
    assert tf.nn.softmax(x, dim=0).name == "transpose_3:0"  # TF1's deprecated spelling
    with pytest.raises(ValueError, match="both 'axis' and 'dim'"):
        tf.nn.softmax(x, axis=0, dim=0)


def test_log_softmax_on_middle_axis():
    out = run(tf.nn.log_softmax(tf.constant(X3), axis=1))
    np.testing.assert_allclose(out[:, :, 0], [[-1.5512505, -1.1512506, -0.7512505]] * 2,
                               rtol=1e-6)


# -- activations ----------------------------------------------------------------------------------


def test_activation_values():
    lg = tf.constant(LOGITS)
    selu, softsign, l2 = run([tf.nn.selu(lg), tf.nn.softsign(lg), tf.nn.l2_loss(lg)])
    np.testing.assert_allclose(selu, [[1.5760515, -0.69175816, 2.101402],
                                      [-1.1113307, 0.26267526, 3.152103]], rtol=1e-6)
    np.testing.assert_allclose(softsign, [[0.6, -1 / 3, 2 / 3], [-0.5, 0.2, 0.75]], rtol=1e-6)
    assert l2 == np.float32(8.28125)


def test_leaky_relu_casts_integers_to_float():
    out = tf.nn.leaky_relu(tf.constant([-2, 3]))
    assert out.dtype == tf.float32 and out.name == "LeakyRelu:0"
    np.testing.assert_allclose(run(out), [-0.4, 3.0])
    assert run(tf.nn.leaky_relu(tf.constant([-2.0, 1.0]), alpha=np.float64(0.5))).tolist() == \
        [-1.0, 1.0]


def test_float_only_ops_refuse_integers_like_tensorflow():
    from minitf.ops import nn_ops, softmax_ops

    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        nn_ops.LEAKY_RELU(tf.constant([1, -2]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        softmax_ops.SOFTMAX(tf.constant([1, 2]))


def test_sigmoid_and_tanh_are_the_math_ops():
    assert tf.nn.sigmoid(tf.constant(LOGITS)).op.type == "Sigmoid"
    assert tf.nn.tanh(tf.constant(LOGITS)).op.type == "Tanh"


def test_second_derivatives_of_activations():
    x = tf.constant(np.array([-1.5, -0.3, 0.4, 2.0]))
    for fn, d2 in [
        (tf.nn.softplus, lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
        (tf.nn.elu, lambda v: np.where(v < 0, np.exp(v), 0.0)),
        (tf.nn.relu, lambda v: np.zeros_like(v)),
        (tf.nn.softsign, lambda v: -2 * np.sign(v) / (1 + np.abs(v)) ** 3),
    ]:
        (g,) = tf.gradients(fn(x), x)
        (h,) = tf.gradients(g, x)
        np.testing.assert_allclose(run(h), d2(np.array([-1.5, -0.3, 0.4, 2.0])), rtol=1e-6,
                                   atol=1e-12, err_msg=fn.__name__)


# -- BiasAdd --------------------------------------------------------------------------------------


def test_bias_add_data_formats_and_shape_errors():
    v = tf.constant(np.zeros((2, 3, 4), np.float32))
    out = tf.nn.bias_add(v, tf.constant([1.0, 2.0, 3.0]), data_format="NCW")  # NC... -> NCHW
    assert out.op.get_attr("data_format") == b"NCHW"
    assert run(out)[1, :, 0].tolist() == [1.0, 2.0, 3.0]
    assert tf.nn.bias_add(v, tf.ones([4]), data_format="NWC").op.get_attr("data_format") == b"NHWC"
    with pytest.raises(ValueError, match="`data_format` must be of the form"):
        tf.nn.bias_add(v, tf.ones([4]), data_format="HWC")
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 3"):
        tf.nn.bias_add(v, tf.ones([3]))
    with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
        tf.nn.bias_add(tf.ones([3]), tf.ones([3]))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.nn.bias_add(tf.ones([2, 3]), tf.ones([1, 3]))
    with pytest.raises(ValueError, match="at least rank 3 but is rank 2"):
        tf.nn.bias_add(tf.ones([2, 3]), tf.ones([3]), data_format="NCHW")


def test_bias_add_gradient_is_bias_add_grad():
    v = tf.placeholder(tf.float32, [None, 3])
    b = tf.Variable(tf.zeros([3]))
    (gb,) = tf.gradients(tf.reduce_sum(tf.nn.bias_add(v, b) * 2.0), b)
    assert gb.op.type == "BiasAddGrad"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(gb, {v: np.ones((5, 3))}).tolist() == [10.0, 10.0, 10.0]


# -- cross-entropy --------------------------------------------------------------------------------


def test_sigmoid_cross_entropy_values_and_gradient_at_zero():
    out = run(tf.nn.sigmoid_cross_entropy_with_logits(labels=LABELS, logits=LOGITS))
    np.testing.assert_allclose(out, [[1.7014133, 0.974077, 0.126928],
                                     [1.3132617, 0.8259394, 3.0485873]], rtol=1e-6)
    z = tf.zeros([3])
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([0.0, 1.0, 0.3]), logits=z)
    np.testing.assert_allclose(run(tf.gradients(loss, z)[0]), [0.5, -0.5, 0.2], rtol=1e-6)
    big = run(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=np.array([1.0, 0.0], np.float32), logits=np.array([100.0, -100.0], np.float32)))
    assert np.all((big >= 0) & (big < 1e-30))  # no overflow: the loss is exp(-100)
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones([2]), logits=tf.ones([3]))


def test_weighted_cross_entropy_with_logits():
    out = tf.nn.weighted_cross_entropy_with_logits(labels=LABELS, logits=LOGITS, pos_weight=3.0)
    assert out.name == "logistic_loss:0"
    np.testing.assert_allclose(run(out), [[1.7014133, 2.922231, 0.380784],
                                          [3.9397852, 0.8259394, 3.0485873]], rtol=1e-6)
    # TF1's deprecated name for the labels
    again = tf.nn.weighted_cross_entropy_with_logits(targets=LABELS, logits=LOGITS, pos_weight=3.0)
    np.testing.assert_allclose(run(again), run(out))
    # At logits 0 the gradient is TF's (1 - z) (its log1p(exp(-|x|)) + relu(-x) contributes
    # nothing there), not the true derivative: a zero-initialised model trains as in TF.
    z = tf.zeros([3])
    loss = tf.nn.weighted_cross_entropy_with_logits(labels=tf.constant([0.0, 1.0, 0.25]),
                                                    logits=z, pos_weight=2.0)
    np.testing.assert_allclose(run(tf.gradients(loss, z)[0]), [1.0, 0.0, 0.75], rtol=1e-6)


def test_softmax_cross_entropy_v2_values_axes_and_ranks():
    lg, lb = tf.constant(LOGITS), tf.constant(LABELS / 2)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lb, logits=lg)
    ax0 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lb, logits=lg, axis=0)
    x3 = tf.constant(X3)
    r3 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=np.full((2, 3, 4), 0.25, np.float32),
                                                    logits=x3)
    assert ax0.shape.as_list() == [3] and r3.shape.as_list() == [2, 3]
    a, b, c = run([v2, ax0, r3])
    np.testing.assert_allclose(a, [1.7739091, 2.039518], rtol=1e-6)
    np.testing.assert_allclose(b, [1.2894449, 0.5684355, 0.6566308], rtol=1e-6)
    np.testing.assert_allclose(c, np.full((2, 3), 1.3925356), rtol=1e-6)


def test_softmax_cross_entropy_v1_stops_gradient_into_labels_v2_does_not():
    lg, lb = tf.constant(LOGITS), tf.constant(LABELS)
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=lb / 2, logits=lg)
    assert tf.gradients(v1, lb)[0] is None
    assert tf.gradients(v1, lg)[0] is not None
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lb / 2, logits=lg)
    np.testing.assert_allclose(run(tf.gradients(v2, lb)[0]),
                               [[0.51195455, 1.5119545, 0.26195455],
                                [2.039518, 1.4145181, 0.03951807]], rtol=1e-6)


def test_cross_entropy_takes_positional_arguments_and_requires_both():
    # As TF 2.21's compat.v1 (TF 1.15 had a _sentinel first and refused positional ones)
    positional = tf.nn.softmax_cross_entropy_with_logits(LABELS, LOGITS)
    named = tf.nn.softmax_cross_entropy_with_logits(labels=LABELS, logits=LOGITS)
    np.testing.assert_array_equal(run(positional), run(named))
    with pytest.raises(ValueError, match="Both `labels` and `logits` must be provided"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(logits=LOGITS)


def test_softmax_cross_entropy_broadcasts_labels():
    from minitf.ops import softmax_ops

    loss, backprop = softmax_ops.SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
        tf.constant(LOGITS), tf.constant(np.array([0.5, 0.25, 0.25], np.float32)))
    assert loss.shape.as_list() == [2] and backprop.shape.as_list() == [2, 3]
    want = run(softmax_ops.SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
        tf.constant(LOGITS), tf.constant(np.tile([0.5, 0.25, 0.25], (2, 1)).astype(np.float32))))
    for got, w in zip(run([loss, backprop]), want):
        np.testing.assert_allclose(got, w, rtol=1e-6)
    with pytest.raises(ValueError, match="broadcasted with rank 2, but is rank 3"):
        softmax_ops.SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(tf.ones([2, 3, 4]), tf.ones([2, 3, 4]))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 5 and 4"):
        softmax_ops.SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(tf.ones([3, 5]), tf.ones([3, 4]))


def test_softmax_cross_entropy_hessian_wrt_logits():
    """The second-order path (grad of the backprop output) gives diag(p) - p p^T."""
    x = tf.constant(LOGITS.astype(np.float64))
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=LABELS.astype(np.float64) / 2,
                                                      logits=x)
    (g,) = tf.gradients(loss, x)
    row = tf.constant(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    (h_row,) = tf.gradients(tf.reduce_sum(g * row), x)  # first column of the Hessian of row 0
    p = np.exp(LOGITS[0].astype(np.float64)) / np.exp(LOGITS[0].astype(np.float64)).sum()
    want = np.zeros((2, 3))
    want[0] = np.eye(3)[0] * p[0] - p[0] * p
    np.testing.assert_allclose(run(h_row), want, rtol=1e-6, atol=1e-12)


def test_sparse_cross_entropy_rank_3_and_label_errors():
    labels = tf.constant([[0, 1, 3], [2, 2, 1]])
    out = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tf.constant(X3))
    assert out.shape.as_list() == [2, 3]
    np.testing.assert_allclose(run(out), [[1.5425355, 1.4425356, 1.2425355],
                                          [1.3425356, 1.3425356, 1.4425356]], rtol=1e-6)
    with pytest.raises(ValueError, match="`labels.shape.rank` must equal"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([[1]]),
                                                       logits=tf.ones([1, 3]))
    with pytest.raises(ValueError, match="must equal `logits.shape` except for the last"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([1, 2]),
                                                       logits=tf.ones([3, 4]))


def test_sparse_cross_entropy_out_of_range_label():
    lab = tf.placeholder(tf.int32, [3])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=tf.zeros([3, 10]))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        run(loss, {lab: [1, 10, 3]})
    assert "Received a label value of 10 which is outside the valid range of [0, 10).  " \
        "Label values: 1 10 3" in str(e.value)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of -1 "):
        run(loss, {lab: [1, -1, 3]})


# -- dropout --------------------------------------------------------------------------------------


def test_dropout_keep_prob_one_returns_input():
    x = tf.ones([4, 4])
    assert tf.nn.dropout(x, keep_prob=1.0) is x
    assert tf.nn.dropout(x, rate=0.0) is x


def test_dropout_with_placeholder_keep_prob():
    x = tf.ones([200, 50])
    keep = tf.placeholder(tf.float32)
    y = tf.nn.dropout(x, keep_prob=keep, seed=1)
    assert y.name == "dropout/mul:0" and y.shape.as_list() == [200, 50]
    with tf.Session() as sess:
        full = sess.run(y, {keep: 1.0})
        half = sess.run(y, {keep: 0.5})
    assert np.all(full == 1.0)
    assert set(np.unique(half)) <= {0.0, 2.0}
    assert abs((half == 2.0).mean() - 0.5) < 0.03


def test_dropout_rate_and_noise_shape():
    x = tf.ones([300, 4])
    y = tf.nn.dropout(x, rate=0.75, noise_shape=[300, 1], seed=3)
    out = run(y)
    assert set(np.unique(out)) <= {0.0, 4.0}
    assert np.all(out == out[:, :1])  # one decision per row, broadcast over the columns
    assert abs((out[:, 0] == 4.0).mean() - 0.25) < 0.08


def test_dropout_noise_shape_of_tensors_and_nones_shares_a_mask_per_row():
    # The "same mask across time" dropout of NLP code: a noise_shape list holding tensors
    # (tf.nn, tf.layers, contrib, Keras' backend) or, in a layer, None for the input's size.
    x = tf.placeholder(tf.float32, [None, 40, 6])
    n = tf.shape(x)[0]
    outs = [tf.nn.dropout(x, 0.5, noise_shape=[n, 1, tf.shape(x)[2]], seed=1),
            tf.layers.dropout(x, 0.5, noise_shape=[n, 1, 6], training=True, seed=2),
            tf.contrib.layers.dropout(x, 0.5, noise_shape=[n, 1, 6], seed=3),
            tf.keras.backend.dropout(x, 0.5, noise_shape=[n, 1, 6], seed=4),
            tf.layers.Dropout(0.5, noise_shape=[None, 1, 6], seed=5)(x, training=True),
            tf.layers.dropout(x, 0.5, noise_shape=[None, 1, None], training=True, seed=6)]
    with tf.Session() as sess:
        values = sess.run(outs, {x: np.ones((50, 40, 6), np.float32)})
    for out, value in zip(outs, values):
        assert out.shape.as_list() == [None, 40, 6] and value.shape == (50, 40, 6)
        assert set(np.unique(value)) <= {0.0, 2.0}
        assert np.all(value == value[:, :1])  # one draw per row and column, shared over axis 1
        assert 0.3 < (value[:, 0] == 2.0).mean() < 0.7
    with pytest.raises(ValueError, match="noise_shape \\[None, 1\\] has 2 entries; the inputs "
                                         "have rank 3"):
        tf.layers.dropout(x, 0.5, noise_shape=[None, 1], training=True)


def test_dropout_argument_errors():
    with pytest.raises(ValueError, match=r"range \(0, 1\], got 1.5"):
        tf.nn.dropout(tf.ones([2]), keep_prob=1.5)
    with pytest.raises(ValueError, match="x has to be a floating point tensor"):
        tf.nn.dropout(tf.constant([1, 2]), keep_prob=0.5)
    with pytest.raises(ValueError, match="Cannot specify both"):
        tf.nn.dropout(tf.ones([2]), keep_prob=0.5, rate=0.5)


def test_moments_refuses_both_keep_dims_spellings():
    with pytest.raises(ValueError, match="Cannot specify both 'keep_dims' and 'keepdims'"):
        tf.nn.moments(tf.ones([2, 3]), [1], keep_dims=True, keepdims=True)
    _, v = tf.nn.moments(tf.ones([2, 3]), [1], keepdims=True)
    assert v.shape.as_list() == [2, 1]


# -- other composites -----------------------------------------------------------------------------


def test_l2_normalize_moments_batch_normalization():
    lg, x3 = tf.constant(LOGITS), tf.constant(X3)
    m, v = tf.nn.moments(x3, axes=[0, 2])
    _, vk = tf.nn.moments(x3, axes=[1], keep_dims=True)
    bn = tf.nn.batch_normalization(lg, tf.constant([0.1, 0.2, 0.3]), tf.constant([1.0, 2.0, 0.5]),
                                   tf.constant([0.0, 1.0, -1.0]), tf.constant([2.0, 1.0, 0.5]),
                                   1e-3)
    bn_none = tf.nn.batch_normalization(lg, 0.5, 2.0, None, None, 1e-3)
    assert m.name == "moments/Squeeze:0" and v.name == "moments/Squeeze_1:0"
    assert vk.shape.as_list() == [2, 1, 4]
    l2n, m, v, vk, bn, bn_none = run([tf.nn.l2_normalize(lg, axis=1), m, v, vk, bn, bn_none])
    np.testing.assert_allclose(l2n, [[0.5883484, -0.19611613, 0.78446454],
                                     [-0.31524417, 0.07881104, 0.9457325]], rtol=1e-6)
    np.testing.assert_allclose(m, [-0.25, 0.15, 0.55], rtol=1e-5)
    np.testing.assert_allclose(v, [0.3725] * 3, rtol=1e-5)
    np.testing.assert_allclose(vk, np.full((2, 1, 4), 0.10666666), rtol=1e-5)
    np.testing.assert_allclose(bn, [[2.7986012, 0.5051489, 0.20088124],
                                    [-2.198901, 1.0353465, 0.9072819]], rtol=1e-5)
    np.testing.assert_allclose(bn_none, [[0.70693004, -0.7069301, 1.0603951],
                                         [-1.0603951, -0.17673253, 1.7673252]], rtol=1e-5)


def test_batch_normalization_builds_tf_ops_in_tf_order():
    """contrib.quantize's folding (TF's and minitf's) finds x * inv as batchnorm/mul_1."""
    from tests.core.side_by_side import tf1_or_skip

    def names(t):
        with t.Graph().as_default() as g:
            x = t.placeholder(t.float32, [2, 3])
            t.nn.batch_normalization(x, t.zeros([3]), t.ones([3]), t.zeros([3]), t.ones([3]),
                                     1e-3)
            return [(op.name, [i.op.name for i in op.inputs]) for op in g.get_operations()
                    if op.name.startswith("batchnorm")]

    got = names(tf)
    assert ("batchnorm/mul_1", ["Placeholder", "batchnorm/mul"]) in got
    assert got == names(tf1_or_skip())


def test_xw_plus_b_and_relu_layer():
    w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    b = tf.constant([1.0, -20.0])
    xwb, rl = run([tf.nn.xw_plus_b(LOGITS, w, b), tf.nn.relu_layer(LOGITS, w, b)])
    np.testing.assert_allclose(xwb, [[8.0, -10.0], [13.5, -5.25]])
    np.testing.assert_allclose(rl, [[8.0, 0.0], [13.5, 0.0]])


def test_embedding_lookup_single_and_sharded():
    params = tf.constant(np.arange(20, dtype=np.float32).reshape(10, 2))
    shards = [tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2)),
              tf.constant(np.arange(8, 14, dtype=np.float32).reshape(3, 2)),
              tf.constant(np.arange(14, 20, dtype=np.float32).reshape(3, 2))]
    ids = tf.constant([[9, 0], [4, 5]])
    single, mod, div, clipped = run([
        tf.nn.embedding_lookup(params, ids), tf.nn.embedding_lookup(shards, ids),
        tf.nn.embedding_lookup(shards, ids, partition_strategy="div"),
        tf.nn.embedding_lookup(params, ids, max_norm=5.0)])
    np.testing.assert_array_equal(single, [[[18, 19], [0, 1]], [[8, 9], [10, 11]]])
    np.testing.assert_array_equal(mod, [[[6, 7], [0, 1]], [[10, 11], [16, 17]]])
    np.testing.assert_array_equal(div, single)
    np.testing.assert_allclose(clipped, [[[3.4387233, 3.6297634], [0.0, 1.0]],
                                         [[3.3218193, 3.7370467], [3.363364, 3.6997004]]],
                               rtol=1e-6)



def _tf_placement(sizes, ids, strategy):
    """(shard, row) of each id as TF places them (hand-written from TF's rules)."""
    n, total = len(sizes), sum(sizes)
    out = []
    for i in ids:
        if strategy == "mod":
            out.append((i % n, i // n))
        else:
            per, extras = divmod(total, n)
            shard = max(i // (per + 1), (i - extras) // per)
            out.append((shard, i % (per + 1) if shard < extras else (i - extras) % per))
    return out


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_shards_known_only_at_run_time(strategy):
    """Shards whose row counts come at run time, uneven shards, and ids past a shard's end
    (an error, as TF's per-shard gather; the concatenated table used to read the next
    shard's rows, and 'mod' refused unknown sizes)."""
    sizes = [5, 3]
    arrays = [np.arange(5, dtype=np.float32)[:, None],
              100 + np.arange(3, dtype=np.float32)[:, None]]
    ids = [0, 2, 4, 6] if strategy == "div" else [0, 3, 4, 5]
    a, b = tf.placeholder(tf.float32, [None, 1]), tf.placeholder(tf.float32, [None, 1])
    y = tf.nn.embedding_lookup([a, b], ids, partition_strategy=strategy)
    assert y.shape.as_list() == [4, 1]
    feed = {a: arrays[0], b: arrays[1]}
    want = [arrays[s][r, 0] for s, r in _tf_placement(sizes, ids, strategy)]
    np.testing.assert_array_equal(run(y, feed)[:, 0], want)
    with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
        run(tf.nn.embedding_lookup([a, b], [7], partition_strategy=strategy), feed)
    clipped = tf.nn.embedding_lookup([a, b], ids, partition_strategy=strategy, max_norm=3.0)
    np.testing.assert_allclose(run(clipped, feed)[:, 0], np.minimum(want, 3.0))

def test_in_top_k():
    out = tf.nn.in_top_k(LOGITS, tf.constant([2, 1]), 1)
    assert out.dtype == tf.bool
    assert run(out).tolist() == [True, False]


# -- tf.losses ------------------------------------------------------------------------------------

W2 = np.array([[2.0, 0.0, 1.0], [0.5, 0.0, 3.0]], np.float32)


def test_losses_match_tensorflow():
    R = tf.losses.Reduction
    oh = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
    cases = {
        "mean_squared_error/value:0": (tf.losses.mean_squared_error(LABELS, PREDS), 0.09875),
        "mean_squared_error_1/value:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=np.array([[1.0], [0.0]], np.float32)), 0.16333334),
        "mean_squared_error_2/Sum:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=W2, reduction=R.SUM), 0.45250002),
        "mean_squared_error_3/value:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=W2, reduction=R.MEAN), 0.06961539),
        "mean_squared_error_4/value:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=W2, reduction=R.SUM_OVER_BATCH_SIZE), 0.07541667),
        "mean_squared_error_5/value:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=W2), 0.113125004),
        "mean_squared_error_6/value:0": (tf.losses.mean_squared_error(
            LABELS, PREDS, weights=0.0), 0.0),
        "absolute_difference/value:0": (tf.losses.absolute_difference(LABELS, PREDS),
                                        0.25833333),
        "log_loss/value:0": (tf.losses.log_loss(LABELS, PREDS), 0.3349062),
        "hinge_loss/value:0": (tf.losses.hinge_loss(LABELS, LOGITS), 1.875),
        "huber_loss/value:0": (tf.losses.huber_loss(LABELS, LOGITS), 1.0885416),
        "huber_loss_1/value:0": (tf.losses.huber_loss(LABELS, LOGITS, delta=0.5), 0.6510417),
        "sigmoid_cross_entropy_loss/value:0": (tf.losses.sigmoid_cross_entropy(LABELS, LOGITS),
                                               1.3317012),
        "sigmoid_cross_entropy_loss_1/value:0": (tf.losses.sigmoid_cross_entropy(
            LABELS, LOGITS, label_smoothing=0.2), 1.2608677),
        "softmax_cross_entropy_loss/value:0": (tf.losses.softmax_cross_entropy(oh, LOGITS),
                                               2.3014727),
        "softmax_cross_entropy_loss_1/value:0": (tf.losses.softmax_cross_entropy(
            oh, LOGITS, label_smoothing=0.1), 2.2639728),
        "softmax_cross_entropy_loss_2/value:0": (tf.losses.softmax_cross_entropy(
            oh, LOGITS, weights=np.array([1.0, 3.0], np.float32)), 6.3805084),
        "sparse_softmax_cross_entropy_loss/value:0": (tf.losses.sparse_softmax_cross_entropy(
            np.array([2, 0], np.int32), LOGITS), 2.3014727),
        "sparse_softmax_cross_entropy_loss_1/value:0": (tf.losses.sparse_softmax_cross_entropy(
            np.array([2, 0], np.int32), LOGITS, weights=np.array([[0.5], [2.0]], np.float32)),
            4.2100134),
    }
    got = run({k: t for k, (t, _) in cases.items()})
    for name, (t, want) in cases.items():
        assert t.name == name
        assert t.shape.as_list() == [] and t.dtype == tf.float32
        np.testing.assert_allclose(got[name], want, rtol=1e-5, err_msg=name)
    assert tf.losses.get_losses() == [t for t, _ in cases.values()]


def test_mean_pairwise_squared_error_against_pairs():
    """Per example, the mean over ordered pairs i != j of ((p_i - p_j) - (l_i - l_j))^2,
    times the example's weight, summed over the batch."""
    rng = np.random.RandomState(0)
    labels = rng.randn(3, 2, 2).astype(np.float32)
    preds = rng.randn(3, 2, 2).astype(np.float32)
    weights = np.array([1.0, 2.5, 0.0], np.float32).reshape(3, 1, 1)

    def reference(w):
        total = 0.0
        for p, lab, wt in zip(preds, labels, w.ravel()):
            d = (p - lab).ravel()
            total += wt * np.mean([(a - b) ** 2 for i, a in enumerate(d)
                                   for j, b in enumerate(d) if i != j])
        return total

    loss = tf.losses.mean_pairwise_squared_error(labels, preds)
    weighted = tf.losses.mean_pairwise_squared_error(labels, preds, weights=weights)
    assert loss.name == "mean_pairwise_squared_error/value_2:0"  # TF's name too
    got = run([loss, weighted])
    np.testing.assert_allclose(got, [reference(np.ones(3)), reference(weights)], rtol=1e-5)
    assert tf.losses.get_losses() == [loss, weighted]
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        tf.losses.mean_pairwise_squared_error(labels, preds, weights=np.ones((3, 3)))


def test_cosine_distance():
    loss = tf.losses.cosine_distance(tf.nn.l2_normalize(LABELS + 0.1, 1),
                                     tf.nn.l2_normalize(PREDS, 1), axis=1)
    np.testing.assert_allclose(run(loss), 0.038623393, rtol=1e-5)
    with pytest.raises(ValueError, match="You must specify argument `axis`"):
        tf.losses.cosine_distance(LABELS, PREDS)


def test_reduction_none_keeps_shape_and_bad_keys_raise():
    loss = tf.losses.mean_squared_error(LABELS, PREDS, weights=W2,
                                        reduction=tf.losses.Reduction.NONE)
    assert loss.shape.as_list() == [2, 3]
    np.testing.assert_allclose(run(loss), [[0.08, 0.0, 0.36], [0.005, 0.0, 0.0075]], rtol=1e-5)
    with pytest.raises(ValueError, match="Invalid Reduction Key bogus"):
        tf.losses.mean_squared_error(LABELS, PREDS, reduction="bogus")


def test_weights_that_cannot_broadcast_are_rejected():
    with pytest.raises(ValueError, match="weights can not be broadcast to values"):
        tf.losses.mean_squared_error(LABELS, PREDS, weights=np.ones(3, np.float32))
    with pytest.raises(ValueError, match="Mismatch at dim 1"):
        tf.losses.mean_squared_error(LABELS, PREDS, weights=np.ones((2, 2), np.float32))


def test_loss_collection_and_total_loss():
    a = tf.losses.absolute_difference(LABELS, PREDS)
    tf.losses.mean_squared_error(LABELS, PREDS, loss_collection=None)  # not collected
    reg = tf.constant(0.5)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, reg)
    custom = tf.constant(2.0)
    tf.losses.add_loss(custom)
    assert tf.losses.get_losses() == [a, custom]
    assert tf.losses.get_regularization_losses() == [reg]
    total = tf.losses.get_total_loss()
    assert total.name == "total_loss:0"
    np.testing.assert_allclose(run(total), 0.25833333 + 2.0 + 0.5, rtol=1e-6)
    no_reg = tf.losses.get_total_loss(add_regularization_losses=False, name="plain")
    np.testing.assert_allclose(run(no_reg), 2.25833333, rtol=1e-6)
    assert run(tf.losses.get_regularization_loss()) == 0.5


def test_regularization_loss_is_zero_without_losses():
    assert run(tf.losses.get_regularization_loss()) == 0.0


_CX = np.array([[1j, 2.0, 0.0], [3 - 1j, 0.5j, 1 + 1j]])
_CW = np.array([[1 + 2j, -1j, 0.5], [0.5, 2 - 1j, 1j]])


def _complex_l2_normalize(lib, x0=_CX, axis=1, epsilon=1e-12):
    x = lib.constant(x0)
    y = lib.nn.l2_normalize(x, axis=axis, epsilon=epsilon)
    loss = lib.reduce_sum(lib.math.real(y * lib.constant(np.conj(_CW))))
    return x, y, loss, lib.gradients(loss, x)[0]


def test_l2_normalize_of_complex_tensors():
    """As TF: |x|^2 summed from the real and imaginary parts, both scaled by the real inverse
    norm (x ** 2 would be complex); values, dtype, node and gradient (dL/dRe + i dL/dIm)."""
    x, y, loss, grad = _complex_l2_normalize(tf)
    y64 = tf.nn.l2_normalize(tf.constant(np.array([1j, 2.0], np.complex64)))
    tiny = tf.nn.l2_normalize(tf.constant(np.array([1e-8j, 0.0])), epsilon=1e-4)
    assert y.name == "l2_normalize:0" and y.op.type == "Complex" and y.dtype == tf.complex128
    assert y64.dtype == tf.complex64
    with tf.Session() as sess:
        got, got64, got_tiny, g = sess.run([y, y64, tiny, grad])
        num = np.zeros_like(_CX)
        for j in np.ndindex(*_CX.shape):
            for unit in (1, 1j):
                for sign in (1, -1):
                    xj = _CX.copy()
                    xj[j] += sign * 1e-6 * unit
                    num[j] += unit * sign * sess.run(loss, {x: xj}) / 2e-6
    norm = np.sqrt(np.sum(np.abs(_CX) ** 2, axis=1, keepdims=True))
    np.testing.assert_allclose(got, _CX / norm, rtol=1e-12)
    np.testing.assert_allclose(got64, np.array([1j, 2.0]) / np.sqrt(5), rtol=1e-6)
    np.testing.assert_allclose(got_tiny, np.array([1e-8j, 0.0]) / np.sqrt(1e-4), rtol=1e-12)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_l2_normalize_of_complex_tensors_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    results = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default():
            _, y, _, grad = _complex_l2_normalize(lib)
            _, y0, _, grad0 = _complex_l2_normalize(lib, axis=[0, 1], epsilon=100.0)
            types = sorted({op.type for op in g.get_operations() if "gradients" not in op.name})
            with lib.Session(graph=g) as sess:
                results.append(([t.name for t in (y, y0)], types, sess.run([y, grad, y0, grad0])))
    (m_names, m_types, mine), (t_names, t_types, theirs) = results
    assert m_names == t_names and m_types == t_types
    for a, b in zip(mine, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_sparse_losses_squeeze_labels_and_weights_of_unknown_shape():
    """Labels [batch, 1] whose last dimension or rank is unknown until run time (parsed
    features) are squeezed as TF squeezes them, and so are weights of unknown rank."""
    logits = np.eye(3, 4, dtype=np.float32)
    want = -np.log(np.exp(1) / (np.exp(1) + 3))  # every row's label is its 1
    dims = tf.placeholder(tf.int32, [None, None])
    rank = tf.placeholder(tf.int32)
    weights = tf.placeholder(tf.float32)
    losses = [tf.losses.sparse_softmax_cross_entropy(dims, logits),
              tf.losses.sparse_softmax_cross_entropy(rank, logits),
              tf.losses.sparse_softmax_cross_entropy(rank, logits, weights=weights)]
    labels = [[0], [1], [2]]
    got = run(losses, {dims: labels, rank: labels, weights: [[1.0], [0.0], [2.0]]})
    np.testing.assert_allclose(got, [want, want, want * 3 / 2], rtol=1e-5)
    # labels of rank 1 go through the same run-time decision unsqueezed
    np.testing.assert_allclose(run(losses[1], {rank: [0, 1, 2]}), want, rtol=1e-5)


def test_losses_train_a_variable():
    """The usual TF1 pattern: a loss from tf.losses drives gradients into a variable."""
    w = tf.Variable(np.zeros((3, 3), np.float32))
    loss = tf.losses.sparse_softmax_cross_entropy(np.array([2, 0], np.int32),
                                                  tf.matmul(tf.constant(LOGITS), w))
    (g,) = tf.gradients(loss, w)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gv = sess.run(g)
    # d/dW of mean CE at W = 0 (uniform softmax): x^T (1/3 - onehot) / 2
    onehot = np.array([[0, 0, 1], [1, 0, 0]], np.float32)
    np.testing.assert_allclose(gv, LOGITS.T @ (1 / 3 - onehot) / 2, rtol=1e-5)
