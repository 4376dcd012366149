"""tf.layers against numpy: TF1's variable and op names, shapes, values, reuse."""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

RNG = np.random.default_rng(5)


def test_dense_names_values_and_unique_scopes():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    h = tf.layers.dense(x, 8, activation=tf.nn.relu)
    y = tf.layers.dense(h, 3, name="logits")
    z = tf.layers.dense(x, 2, use_bias=False)
    assert [v.name for v in tf.trainable_variables()] == [
        "dense/kernel:0", "dense/bias:0", "logits/kernel:0", "logits/bias:0", "dense_1/kernel:0"]
    assert (h.op.name, y.op.name, z.op.name) == ("dense/Relu", "logits/BiasAdd", "dense_1/MatMul")
    assert h.shape.as_list() == [None, 8] and y.shape.as_list() == [None, 3]
    xv = RNG.standard_normal((5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w1, b1, w2, b2, w3 = sess.run(tf.trainable_variables())
        got_y, got_z = sess.run([y, z], {x: xv})
    assert not b1.any() and np.abs(w1).max() <= np.sqrt(6 / (4 + 8))  # zeros, glorot uniform
    np.testing.assert_allclose(got_y, np.maximum(xv @ w1 + b1, 0) @ w2 + b2, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(got_z, xv @ w3, rtol=1e-5, atol=1e-6)


def test_dense_over_the_last_axis_of_a_rank_3_input():
    x = tf.placeholder(tf.float32, [None, 5, 4])
    y = tf.layers.dense(x, 6)
    assert y.shape.as_list() == [None, 5, 6]
    xv = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w, b = sess.run(tf.trainable_variables())
        np.testing.assert_allclose(sess.run(y, {x: xv}), xv @ w + b, rtol=1e-5, atol=1e-6)


def test_dense_reuse_shares_and_refuses_duplicates():
    x = tf.placeholder(tf.float32, [None, 4])
    a = tf.layers.dense(x, 3, name="shared")
    b = tf.layers.dense(x, 3, name="shared", reuse=True)
    assert len(tf.trainable_variables()) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        xv = np.ones((1, 4), np.float32)
        np.testing.assert_array_equal(*sess.run([a, b], {x: xv}))
    with pytest.raises(ValueError, match="already exists"):
        tf.layers.dense(x, 3, name="shared")
    with pytest.raises(ValueError, match="last dimension of the inputs to `Dense`"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 3)


def test_conv_pooling_flatten_dropout():
    img = tf.placeholder(tf.float32, [None, 8, 8, 2])
    c = tf.layers.conv2d(img, 4, 3, padding="same", activation=tf.nn.relu)
    v = tf.layers.conv2d(img, 3, (3, 2), strides=2)  # valid padding
    p = tf.layers.max_pooling2d(c, 2, 2)
    a = tf.layers.average_pooling2d(c, 2, 2)
    f = tf.layers.flatten(p)
    training = tf.placeholder_with_default(False, [])
    d = tf.layers.dropout(f, 0.5, training=training, seed=1)
    assert (c.op.name, p.op.name, a.op.name, f.op.name) == (
        "conv2d/Relu", "max_pooling2d/MaxPool", "average_pooling2d/AvgPool", "flatten/Reshape")
    assert [t.shape.as_list() for t in (c, v, p, a, f, d)] == [
        [None, 8, 8, 4], [None, 3, 4, 3], [None, 4, 4, 4], [None, 4, 4, 4], [None, 64],
        [None, 64]]
    iv = RNG.standard_normal((2, 8, 8, 2)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel, bias = sess.run(["conv2d/kernel:0", "conv2d/bias:0"])
        want_c = sess.run(tf.nn.relu(tf.nn.bias_add(
            tf.nn.conv2d(img, kernel, [1, 1, 1, 1], "SAME"), bias)), {img: iv})
        got_c, got_p, got_f, kept = sess.run([c, p, f, d], {img: iv})
        dropped = sess.run(d, {img: iv, training: True})
    np.testing.assert_allclose(got_c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_p, want_c.reshape(2, 4, 2, 4, 2, 4).max(axis=(2, 4)))
    np.testing.assert_array_equal(got_f, got_p.reshape(2, -1))
    np.testing.assert_array_equal(kept, got_f)  # not training: the identity
    # training: each value dropped (0) or scaled by 1 / (1 - rate)
    assert np.all((dropped == 0) | np.isclose(dropped, got_f * 2))
    assert 0 < np.count_nonzero(dropped == 0) < dropped.size
    assert tf.layers.dropout(f, 0.5, training=False).op.type == "Identity"


def _bn_reference(x, axis, mean_var, eps=1e-3):
    reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    mean = x.mean(axis=reduce, keepdims=True)
    var = x.var(axis=reduce, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), mean.reshape(-1), var.reshape(-1)


@pytest.mark.parametrize("shape, axis, unbiased", [((8, 5), -1, False),
                                                   ((4, 3, 3, 2), -1, True),
                                                   ((4, 2, 3, 3), 1, True)])
def test_batch_normalization_trains_and_infers_as_tf1(shape, axis, unbiased):
    """Batch statistics and UPDATE_OPS when training, the moving averages when not (a
    training tensor chooses at run time, and then the averages stay put). As TF's fused
    kernel, a 4-D input's moving variance takes the unbiased batch variance. (The same cases
    agree with tf.compat.v1's layer, test below.)"""
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [None] + list(shape[1:]))
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(x, axis=axis, training=training, momentum=0.9)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    assert sorted(v.op.name for v in tf.trainable_variables()) == [
        "batch_normalization/beta", "batch_normalization/gamma"]
    mm, mv = [v for v in tf.global_variables() if "moving" in v.op.name]
    xv = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    want, mean, var = _bn_reference(xv.astype(np.float64), axis, None)
    n = xv.size / shape[axis]
    var_for_average = var * n / (n - 1) if unbiased else var
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([y] + updates, {x: xv, training: True})[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(sess.run(mm), 0.1 * mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sess.run(mv), 0.9 + 0.1 * var_for_average, rtol=1e-5)
        before = sess.run([mm, mv])
        inferred = sess.run([y] + updates, {x: xv, training: False})[0]
        after = sess.run([mm, mv])
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)  # not training: the averages did not move
    bshape = [1] * len(shape)
    bshape[axis] = shape[axis]
    np.testing.assert_allclose(
        inferred, (xv - before[0].reshape(bshape)) / np.sqrt(before[1].reshape(bshape) + 1e-3),
        rtol=1e-4, atol=1e-5)


def test_batch_normalization_python_flags_and_reuse():
    x = tf.placeholder(tf.float32, [None, 3])
    y_train = tf.layers.batch_normalization(x, training=True, name="bn")
    y_eval = tf.layers.batch_normalization(x, training=False, name="bn", reuse=True)
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2  # only the training call
    assert len(tf.global_variables()) == 4  # shared: gamma, beta, moving mean and variance
    xv = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y_eval, {x: xv}), xv / np.sqrt(1.001), rtol=1e-5)
        np.testing.assert_allclose(sess.run(y_train, {x: xv}),
                                   _bn_reference(xv.astype(np.float64), -1, None)[0],
                                   rtol=1e-4, atol=1e-5)


def test_batch_normalization_matches_tensorflow_layer():
    """tf.compat.v1.layers.batch_normalization itself, where tf_keras is installed."""
    run_against_tf("bn_against_tf.py", cases=9)


def test_layer_constraints_reach_their_variables():
    """kernel_constraint / bias_constraint (dense, conv2d) and gamma/beta constraints are the
    variables' constraints, which the optimizers apply after each update (as TF1's layers)."""
    clip = lambda t: tf.clip_by_value(t, -0.01, 0.01)  # noqa: E731
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.layers.dense(x, 3, kernel_constraint=clip, bias_constraint=clip, name="d")
    kernel, bias = tf.trainable_variables()
    assert kernel.constraint is clip and bias.constraint is clip
    train = tf.train.GradientDescentOptimizer(10.0).minimize(tf.reduce_sum(y))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: np.ones((2, 4), np.float32)})
        assert np.abs(sess.run(kernel)).max() <= 0.01 and np.abs(sess.run(bias)).max() <= 0.01


def test_reentered_scope_reuses_its_unnamed_layers():
    """GAN/siamese code: unnamed layers inside a re-entered scope get the same default names
    (TF1 forgets a scope's subscope counts when it is left), so reuse shares them; with
    AUTO_REUSE too (which before quietly created new, unshared weights)."""
    x = tf.placeholder(tf.float32, [None, 3])

    def tower(inputs, reuse):
        with tf.variable_scope("D", reuse=reuse):
            return tf.layers.dense(tf.layers.dense(inputs, 4), 1)

    a = tower(x, False)
    b = tower(x, True)
    c = tower(x, tf.AUTO_REUSE)
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["D/dense/kernel", "D/dense/bias", "D/dense_1/kernel", "D/dense_1/bias"]
    xv = np.ones((2, 3), np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        ra, rb, rc = sess.run([a, b, c], {x: xv})
    np.testing.assert_array_equal(ra, rb)
    np.testing.assert_array_equal(ra, rc)
    # Outside any re-entered scope, unnamed layers still count up.
    tf.layers.dense(x, 2)
    tf.layers.dense(x, 2)
    assert {"dense/kernel", "dense_1/kernel"} <= {v.op.name for v in tf.global_variables()}


def test_training_placeholder_of_unknown_rank_keeps_the_layers_shapes():
    """The usual tf.placeholder(tf.bool, name='is_training') has no shape; dropout and batch
    normalization keep their input's shape, as TF1's smart_cond does."""
    x = tf.placeholder(tf.float32, [None, 64])
    is_training = tf.placeholder(tf.bool, name="is_training")
    dropped = tf.layers.dropout(x, 0.5, training=is_training)
    normed = tf.layers.batch_normalization(dropped, training=is_training)
    assert dropped.shape.as_list() == [None, 64] and normed.shape.as_list() == [None, 64]
    assert tf.layers.dense(normed, 10).shape.as_list() == [None, 10]


def test_batch_normalization_parameter_shapes_and_float64_variance():
    """Several axes: parameters of the input's rank with 1s (TF1's); a 4-D float64 input
    keeps the biased batch variance (TF's fused kernel, with its n/(n-1), is float32 only)."""
    x3 = tf.placeholder(tf.float32, [None, 3, 5])
    tf.layers.batch_normalization(x3, axis=[1, 2], training=True, name="multi")
    assert [v.shape.as_list() for v in tf.global_variables()] == [[1, 3, 5]] * 4
    x = tf.placeholder(tf.float64, [2, 2, 2, 1])
    tf.layers.batch_normalization(x, training=True, momentum=0.0, name="f64")
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert all(isinstance(u, tf.Operation) for u in updates)  # operations, as in TF1
    moving_var = [v for v in tf.global_variables() if v.op.name == "f64/moving_variance"][0]
    xv = np.arange(8, dtype=np.float64).reshape(2, 2, 2, 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(updates[-2:], {x: xv})
        np.testing.assert_allclose(sess.run(moving_var), [xv.var()])  # momentum 0: the batch's


def test_layer_objects_match_tensorflow():
    """tf.layers.Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout and
    BatchNormalization as objects, a Dense shared by two calls, trained two Adam steps."""
    run_against_tf("layer_objects_against_tf.py", cases=10)


def test_a_layer_object_shares_its_variables_across_calls():
    """Its first call makes the variables (in its own scope), later calls reuse them even
    under another scope; the object's configuration and variables are attributes; outputs
    equal the numpy computation with those variables."""
    x = tf.placeholder(tf.float32, [None, 3])
    layer = tf.layers.Dense(2, activation=tf.nn.relu, name="fc")
    assert not layer.built and layer.units == 2 and layer.use_bias
    y1 = layer(x)
    with tf.variable_scope("elsewhere"):
        y2 = layer.apply(x * 2.0)
    other = tf.layers.Dense(2, use_bias=False)
    other(x)
    assert layer.built and layer.name == "fc" and other.name == "dense"
    assert [v.op.name for v in tf.global_variables()] == ["fc/kernel", "fc/bias", "dense/kernel"]
    assert layer.kernel.op.name == "fc/kernel" and other.bias is None
    assert layer.trainable_variables == [layer.kernel, layer.bias] == layer.weights
    assert layer.non_trainable_variables == []
    xv = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, b, a1, a2 = sess.run([layer.kernel, layer.bias, y1, y2], {x: xv})
    np.testing.assert_allclose(a1, np.maximum(xv @ k + b, 0), rtol=1e-6)
    np.testing.assert_allclose(a2, np.maximum(2 * xv @ k + b, 0), rtol=1e-6)
    with pytest.raises(TypeError, match="Dense: missing a required argument: 'units'"):
        tf.layers.Dense(unit=3)
    with pytest.raises(TypeError, match="Dense: got an unexpected keyword argument 'unit'"):
        tf.layers.Dense(3, unit=3)
    with pytest.raises(AttributeError, match="no attribute 'filters'"):
        _ = layer.filters


def test_layer_objects_make_their_names_unique_and_flatten_channels_first():
    """As TF1 (tf.compat.v1 printed these): three Dense(name="logits") objects keep the name
    they were given and get the scopes logits, logits_1, logits_2; Flatten of channels_first
    input puts channels last first (values by hand)."""
    x = tf.placeholder(tf.float32, [None, 3])
    layers = [tf.layers.Dense(2, name="logits") for _ in range(3)]
    for layer in layers:
        layer(x)
    assert [layer.name for layer in layers] == ["logits"] * 3
    assert [layer.scope_name for layer in layers] == ["logits", "logits_1", "logits_2"]
    assert [v.op.name for v in tf.global_variables()][::2] == [
        "logits/kernel", "logits_1/kernel", "logits_2/kernel"]
    flat = tf.layers.Flatten(data_format="channels_first")(
        tf.constant(np.arange(12.0).reshape(1, 2, 3, 2)))
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(flat), np.arange(12.0).reshape(1, 2, 6)
                                      .transpose(0, 2, 1).reshape(1, 12))


def test_a_layer_objects_later_calls_name_their_ops_in_its_scope():
    """As TF1's layer objects (names from tf.compat.v1): fc/Relu, fc/Relu_1 (even when called
    under another scope), fc/Relu_2; a pooling layer's second call max_pooling2d/MaxPool_1."""
    x = tf.placeholder(tf.float32, [None, 3])
    fc = tf.layers.Dense(2, activation=tf.nn.relu, name="fc")
    first = fc(x)
    with tf.variable_scope("other"):
        second = fc(x)
    third = fc(x)
    pool = tf.layers.MaxPooling2D(2, 2)
    images = tf.placeholder(tf.float32, [None, 4, 4, 1])
    pool(images)
    assert [t.op.name for t in (first, second, third, pool(images))] == [
        "fc/Relu", "fc/Relu_1", "fc/Relu_2", "max_pooling2d/MaxPool_1"]
    assert [v.op.name for v in tf.global_variables()] == ["fc/kernel", "fc/bias"]


def test_layer_objects_report_updates_losses_and_weights():
    """As TF1's layer objects: batch norm's moving-average updates in .updates (once per
    call), the kernel regularizer's loss in .losses, get_weights/set_weights through the
    default session."""
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder(tf.bool, [])
    bn = tf.layers.BatchNormalization()
    bn(x, training=training)
    assert len(bn.updates) == 2
    assert bn.updates == tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    dense = tf.layers.Dense(2, kernel_regularizer=lambda w: tf.reduce_sum(w * w))
    dense(x)
    assert dense.losses == tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(dense.losses) == 1 and dense.updates == []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel = np.arange(6, dtype=np.float32).reshape(3, 2)
        dense.set_weights([kernel, np.ones(2, np.float32)])
        got = dense.get_weights()
        np.testing.assert_array_equal(got[0], kernel)
        np.testing.assert_array_equal(got[1], [1.0, 1.0])
        np.testing.assert_allclose(sess.run(dense.losses[0]), np.sum(kernel ** 2))
        with pytest.raises(ValueError, match="expecting 2 weights"):
            dense.set_weights([kernel])


def test_activity_regularizers_add_per_example_losses():
    """As TF1's base Layer: activity_regularizer(outputs) / batch size, made under
    "<layer>/ActivityRegularizer", in REGULARIZATION_LOSSES (so in the total regularization
    loss) and, for a layer object, in .losses once per call. Values against numpy; names and
    values against TF in conv_family_vs_tf.py."""
    def l1(t):
        return tf.reduce_sum(tf.abs(t)) * 0.1

    x = tf.placeholder(tf.float32, [None, 4])
    img = tf.placeholder(tf.float32, [None, 5, 5, 2])
    seq = tf.placeholder(tf.float32, [None, 6, 2])
    outs = [tf.layers.dense(x, 3, activation=tf.nn.relu, activity_regularizer=l1),
            tf.layers.conv2d(img, 2, 3, activity_regularizer=l1),
            tf.layers.conv2d_transpose(img, 2, 3, 2, activity_regularizer=l1),
            tf.layers.separable_conv2d(img, 2, 3, activity_regularizer=l1),
            tf.layers.conv1d(seq, 2, 3, activity_regularizer=l1),
            tf.layers.separable_conv1d(seq, 2, 3, activity_regularizer=l1)]
    layer = tf.layers.Dense(2, activity_regularizer=l1, name="obj")
    outs += [layer(x), layer(x * 2.0)]
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert [t.name for t in losses] == [
        f"{s}/ActivityRegularizer/truediv:0" for s in
        ("dense", "conv2d", "conv2d_transpose", "separable_conv2d", "conv1d",
         "separable_conv1d", "obj")] + ["obj/ActivityRegularizer_1/truediv:0"]
    assert layer.losses == losses[-2:]
    assert tf.layers.dense(x, 3).op.name == "dense_1/BiasAdd"  # none without a regularizer
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 8
    feed = {x: RNG.standard_normal((5, 4)), img: RNG.standard_normal((3, 5, 5, 2)),
            seq: RNG.standard_normal((2, 6, 2))}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_outs, got_losses, total = sess.run(
            [outs, losses, tf.losses.get_regularization_loss()], feed)
    batch = [5, 3, 3, 3, 2, 2, 5, 5]
    want = [0.1 * np.abs(o).sum() / n for o, n in zip(got_outs, batch)]
    np.testing.assert_allclose(got_losses, want, rtol=1e-5)
    np.testing.assert_allclose(total, sum(want), rtol=1e-5)


def test_batch_normalization_of_float16_keeps_float32_parameters():
    """As TF's layer: float32 gamma/beta/moving averages for a float16 input (a TF checkpoint
    restores), computed in float32 and the output cast back to float16 (values recorded
    from tf.compat.v1 2.21 with tf_keras match these numpy ones)."""
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(np.float16)
    with tf.Graph().as_default():
        xt = tf.constant(x)
        y = tf.layers.batch_normalization(xt, training=True)
        assert y.dtype == tf.float16
        assert {v.dtype.base_dtype for v in tf.global_variables()} == {tf.float32}
        grads = tf.gradients(tf.reduce_sum(y * y), [xt] + tf.trainable_variables())
        assert [g.dtype for g in grads] == [tf.float16, tf.float32, tf.float32]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, _ = sess.run([y, tf.get_collection(tf.GraphKeys.UPDATE_OPS)])
            mean, var = sess.run(tf.global_variables()[2:4])
    x32 = x.astype(np.float32)
    mu, v = x32.mean(axis=(0, 1, 2)), x32.var(axis=(0, 1, 2))
    want = ((x32 - mu) / np.sqrt(v + 1e-3)).astype(np.float16)
    np.testing.assert_allclose(out.astype(np.float32), want.astype(np.float32), atol=2e-3)
    np.testing.assert_allclose(mean, 0.01 * mu, rtol=1e-5)
    np.testing.assert_allclose(var, 0.99 + 0.01 * v * 50 / 49, rtol=1e-5)  # fused: unbiased


def test_layer_objects_normalise_their_arguments_as_tensorflow():
    """TF's attributes (tf.compat.v1 2.21 printed them): tuples of the layer's rank,
    lower-case padding, channels_last by default, an identity ``activation`` when none is
    given; dtype None until the first call gives the input's; Keras' messages for bad
    values."""
    conv = tf.layers.Conv2D(4, 3, strides=2, padding="SAME", activation=tf.nn.relu)
    assert (conv.kernel_size, conv.strides, conv.dilation_rate) == ((3, 3), (2, 2), (1, 1))
    assert (conv.padding, conv.data_format, conv.filters) == ("same", "channels_last", 4)
    assert conv.activation is tf.nn.relu
    pool = tf.layers.MaxPooling2D(2, 2)
    assert (pool.pool_size, pool.strides, pool.padding) == ((2, 2), (2, 2), "valid")
    assert tf.layers.MaxPooling2D([2, 3], 1, padding="Same").padding == "same"
    assert (tf.layers.Conv1D(2, 3).kernel_size, tf.layers.Conv1D(2, 3).strides,
            tf.layers.MaxPooling1D(2, 2).pool_size) == ((3,), (1,), (2,))
    assert (tf.layers.Conv3D(2, 3).kernel_size, tf.layers.MaxPooling3D(2, 2).pool_size) == (
        (3, 3, 3), (2, 2, 2))
    assert (tf.layers.Conv2DTranspose(2, 3, 2).strides,
            tf.layers.SeparableConv2D(2, 3).kernel_size) == ((2, 2), (3, 3))
    dense = tf.layers.Dense(3.0)
    assert dense.units == 3 and dense.activation(5) == 5 and dense.activation.__name__ == "linear"
    assert tf.layers.BatchNormalization(axis=[1, 3]).axis == [1, 3]
    assert dense.dtype is None and tf.layers.Dense(2, dtype=tf.float64).dtype == "float64"
    dense(tf.placeholder(tf.float32, [None, 5]))
    assert dense.dtype == "float32"
    wide = tf.layers.Dense(2)
    wide(tf.placeholder(tf.float64, [None, 5]))
    assert wide.dtype == "float64" and wide.kernel.dtype.base_dtype == tf.float64


@pytest.mark.parametrize("make, message", [
    (lambda: tf.layers.Conv2D(4, (3, 3, 3)),
     "The `kernel_size` argument must be a tuple of 2 integers. Received: (3, 3, 3)"),
    (lambda: tf.layers.Conv2D(4, "a"),
     "The `kernel_size` argument must be a tuple of 2 integers. Received: a"),
    (lambda: tf.layers.Conv2D(4, (3, "a")),
     "The `kernel_size` argument must be a tuple of 2 integers. Received: (3, 'a')including "
     "element a of type <class 'str'>"),
    (lambda: tf.layers.Conv2D(4, 0),
     "The `kernel_size` argument must be a tuple of 2 integers. Received: 0 including {0} "
     "that does not satisfy the requirement `> 0`."),
    (lambda: tf.layers.Conv2D(4, 2.5),
     "The `kernel_size` argument must be a tuple of 2 integers. Received: 2.5"),
    (lambda: tf.layers.Conv2D(4, 3, strides=0),
     "The argument `strides` cannot contains 0(s). Received: (0, 0)"),
    (lambda: tf.layers.Conv2D(4, 3, dilation_rate=0),
     "The `dilation_rate` argument must be a tuple of 2 integers. Received: 0 including {0} "
     "that does not satisfy the requirement `> 0`."),
    (lambda: tf.layers.MaxPooling2D((1, 2, 3), 1),
     "The `pool_size` argument must be a tuple of 2 integers. Received: (1, 2, 3)"),
    (lambda: tf.layers.Conv2D(4, 3, padding="full"),
     'The `padding` argument must be a list/tuple or one of "valid", "same" (or "causal", '
     'only for `Conv1D). Received: full'),
    (lambda: tf.layers.Conv2D(4, 3, data_format="NHWC"),
     'The `data_format` argument must be one of "channels_first", "channels_last". '
     'Received: NHWC'),
    (lambda: tf.layers.Conv2D(0, 3),
     "Invalid value for argument `filters`. Expected a strictly positive value. Received "
     "filters=0."),
], ids=["kernel_size_length", "kernel_size_str", "kernel_size_element", "kernel_size_zero",
        "kernel_size_float", "strides_zero", "dilation_zero", "pool_size_length", "padding",
        "data_format", "filters_zero"])
def test_layer_objects_refuse_bad_arguments_with_keras_messages(make, message):
    """Messages as TF printed them (conv_utils.normalize_tuple and friends)."""
    with pytest.raises(ValueError) as caught:
        make()
    assert str(caught.value) == message


def test_layer_objects_compute_output_shape():
    """Shapes by hand (the same TF printed): Dense over the last axis, a strided conv in both
    data formats, pooling, flatten."""
    dense = tf.layers.Dense(3)
    assert dense.compute_output_shape(tf.TensorShape([None, 5])).as_list() == [None, 3]
    assert dense.compute_output_shape([4, 2, 5]).as_list() == [4, 2, 3]
    with pytest.raises(ValueError, match="last dimension"):
        dense.compute_output_shape([None, None])
    assert tf.layers.Conv2D(4, 3, strides=2).compute_output_shape(
        [None, 9, 9, 2]).as_list() == [None, 4, 4, 4]
    assert tf.layers.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first") \
        .compute_output_shape([None, 2, 9, 9]).as_list() == [None, 4, 5, 5]
    assert tf.layers.MaxPooling2D(2, 2).compute_output_shape(
        [None, 9, 9, 2]).as_list() == [None, 4, 4, 2]
    assert tf.layers.Flatten().compute_output_shape([None, 2, 3]).as_list() == [None, 6]
    assert tf.global_variables() == []  # (a scratch graph: nothing made here)


@pytest.mark.parametrize("training", ["true", "placeholder"])
def test_batch_normalization_over_several_axes_keeps_their_dimensions(training):
    """axis=[1, 3] of a [2, 7, 6, 3] input: parameters [1, 7, 1, 3] (TF's), statistics over
    axes 0 and 2 kept as [1, 7, 1, 3], the moving averages updated with the biased variance
    (no fused kernel here: TF's values agreed with these numpy ones to 6e-8)."""
    x = np.random.RandomState(0).randn(2, 7, 6, 3).astype(np.float32)
    is_training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(
        tf.constant(x), axis=[1, 3], momentum=0.9,
        training=True if training == "true" else is_training)
    y_eval = tf.layers.batch_normalization(tf.constant(x), axis=[1, 3], training=False,
                                           name="eval")
    assert [v.shape.as_list() for v in tf.global_variables()] == [[1, 7, 1, 3]] * 8
    assert y.shape.as_list() == [2, 7, 6, 3]
    moving_mean, moving_var = tf.global_variables()[2:4]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, _ = sess.run([y, tf.get_collection(tf.GraphKeys.UPDATE_OPS)], {is_training: True})
        mean, var, out_eval = sess.run([moving_mean, moving_var, y_eval])
    mu, v = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mu) / np.sqrt(v + 1e-3), atol=2e-6)
    np.testing.assert_allclose(mean, 0.1 * mu, atol=1e-7)
    np.testing.assert_allclose(var, 0.9 + 0.1 * v, rtol=1e-6)
    np.testing.assert_allclose(out_eval, x / np.sqrt(1 + 1e-3), rtol=1e-6)


def test_layers_without_a_kernel_initializer_take_the_scopes():
    # TF1's layers pass a missing kernel initializer to get_variable, so the enclosing
    # variable_scope's initializer applies (biases keep their zeros default).
    with tf.Graph().as_default():
        x = tf.ones((1, 4, 4, 2))
        with tf.variable_scope("L", initializer=tf.constant_initializer(3.0)):
            tf.layers.dense(tf.ones((1, 2)), 2, name="d")
            tf.layers.conv2d(x, 3, 2, name="c")
            tf.layers.separable_conv2d(x, 3, 2, name="s")
            tf.layers.Dense(2, name="o")(tf.ones((1, 2)))
        tf.layers.dense(tf.ones((1, 2)), 50, name="plain")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
    for name in ("L/d/kernel", "L/c/kernel", "L/s/depthwise_kernel", "L/s/pointwise_kernel",
                 "L/o/kernel"):
        np.testing.assert_array_equal(values[name], np.full_like(values[name], 3.0))
    for name in ("L/d/bias", "L/c/bias", "L/s/bias"):
        np.testing.assert_array_equal(values[name], 0.0)
    plain = values["plain/kernel"]  # no scope initializer: glorot_uniform's range
    limit = np.sqrt(6.0 / (2 + 50))
    assert np.all(np.abs(plain) <= limit) and plain.std() > limit / 4


def test_batch_normalization_moving_statistics_are_never_partitioned():
    # TF's BatchNormalization.build switches the scope's partitioner off for them (gamma and
    # beta are partitioned); names from TF 2.21's tf.compat.v1.layers
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
        tf.layers.batch_normalization(tf.zeros([4, 6]), training=True, renorm=True)
        scope = tf.get_variable_scope()
    assert [v.name for v in tf.global_variables()] == [
        "s/batch_normalization/gamma/part_0:0", "s/batch_normalization/gamma/part_1:0",
        "s/batch_normalization/beta/part_0:0", "s/batch_normalization/beta/part_1:0",
        "s/batch_normalization/moving_mean:0", "s/batch_normalization/moving_variance:0",
        "s/batch_normalization/moving_stddev:0", "s/batch_normalization/renorm_mean:0",
        "s/batch_normalization/renorm_stddev:0"]
    assert scope.partitioner is not None  # put back
