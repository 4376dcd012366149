"""tf.contrib.layers' normalization and extra layers without TensorFlow: numpy references for
batch_norm's outputs and moving averages over training steps, layer/instance/group norm,
separable convolution, spatial softmax, maxout, embeddings and gradient scaling."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import layers

RNG = np.random.RandomState(2)
X4 = RNG.randn(3, 4, 4, 2).astype(np.float32)
X2 = RNG.randn(6, 3).astype(np.float32)


def run(fetches, feed=None, steps=1, extra=()):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = [sess.run([fetches, list(extra)], feed)[0] for _ in range(steps)]
        return out[0] if steps == 1 else out


def names(key):
    return [v.op.name for v in tf.get_collection(key)]


def np_norm(x, axes, eps, gamma=1.0, beta=0.0, ddof=0):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


@pytest.mark.parametrize("kw, bessel", [
    ({}, True),                                   # fused layer path, UPDATE_OPS
    ({"fused": False}, False),                    # composed layer path
    ({"updates_collections": None}, True),        # TF1's _fused_batch_norm, in place
    ({"fused": False, "updates_collections": None}, False),
])
def test_batch_norm_moving_averages_over_steps(kw, bessel):
    decay = 0.8
    with tf.Graph().as_default():
        y = layers.batch_norm(tf.constant(X4), decay=decay, scale=True, **kw)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert len(updates) == (0 if "updates_collections" in kw else 2)
        assert names("model_variables") == names("variables")
        assert sorted(names("variables")) == ["BatchNorm/beta", "BatchNorm/gamma",
                                              "BatchNorm/moving_mean",
                                              "BatchNorm/moving_variance"]
        assert names("trainable_variables") == ["BatchNorm/gamma", "BatchNorm/beta"] or \
            names("trainable_variables") == ["BatchNorm/beta", "BatchNorm/gamma"]
        mm, mv = tf.get_collection("variables", "BatchNorm/moving_")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                got = sess.run([y] + updates)[0]
            got_mm, got_mv = sess.run([mm, mv])
    np.testing.assert_allclose(got, np_norm(X4, (0, 1, 2), 1e-3), rtol=1e-4, atol=1e-5)
    n = X4.size // 2
    var = X4.var((0, 1, 2)) * (n / (n - 1) if bessel else 1)
    f = 1 - decay ** 3
    np.testing.assert_allclose(got_mm, f * X4.mean((0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_mv, decay ** 3 + f * var, rtol=1e-5)


def test_batch_norm_rank2_zero_debias_and_inference():
    with tf.Graph().as_default():
        y = layers.batch_norm(tf.constant(X2), decay=0.5, zero_debias_moving_mean=True)
        mm = tf.get_collection("variables", "BatchNorm/moving_mean")[0]
        # as TF1: the debiasing variables open a scope named after the average, inside the
        # current one
        assert "BatchNorm/BatchNorm/moving_mean/biased" in names("variables")
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        flag = tf.placeholder(tf.bool, [])
        z = layers.batch_norm(tf.constant(X2), is_training=flag, scope="bn2",
                              param_initializers={"moving_mean": tf.ones_initializer()})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([y] + updates)[0]
            got_mm = sess.run(mm)
            z_train, z_infer = sess.run(z, {flag: True}), sess.run(z, {flag: False})
    np.testing.assert_allclose(got, np_norm(X2, 0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_mm, X2.mean(0), rtol=1e-5)  # debiased after one step
    np.testing.assert_allclose(z_train, np_norm(X2, 0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(z_infer, (X2 - 1) / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_batch_norm_nchw_batch_weights_and_errors():
    xt = X4.transpose(0, 3, 1, 2)
    weights = np.array([1.0, 2.0, 1.0], np.float32)
    with tf.Graph().as_default():
        y = layers.batch_norm(tf.constant(xt), data_format="NCHW", center=False)
        w = layers.batch_norm(tf.constant(X2), batch_weights=tf.constant(np.r_[weights,
                                                                                 weights]),
                              scope="w")
        assert names("variables")[:2] == ["BatchNorm/moving_mean", "BatchNorm/moving_variance"]
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC"):
            layers.batch_norm(tf.constant(X4), data_format="NDHWC", fused=False)
        with pytest.raises(ValueError, match="undefined rank"):
            layers.batch_norm(tf.placeholder(tf.float32), fused=False)
        got_y, got_w = run([y, w])
    np.testing.assert_allclose(got_y, np_norm(xt, (0, 2, 3), 1e-3), rtol=1e-4, atol=1e-5)
    ww = np.r_[weights, weights][:, None]
    mean = (X2 * ww).sum(0) / ww.sum()
    var = (ww * (X2 - mean) ** 2).sum(0) / ww.sum()
    np.testing.assert_allclose(got_w, (X2 - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)


def test_layer_instance_group_norm_match_numpy():
    x = RNG.randn(2, 3, 4, 6).astype(np.float32)
    with tf.Graph().as_default():
        ln = layers.layer_norm(tf.constant(x), begin_norm_axis=-2, begin_params_axis=-2)
        assert [v.shape.as_list() for v in tf.global_variables()] == [[4, 6], [4, 6]]
        inn = layers.instance_norm(tf.constant(x))
        gn = layers.group_norm(tf.constant(x), groups=2)
        gnz = layers.group_norm(tf.constant(x), groups=3, mean_close_to_zero=True, scale=False)
        assert names("model_variables")[2:] == ["InstanceNorm/beta", "InstanceNorm/gamma",
                                                "GroupNorm/beta", "GroupNorm/gamma",
                                                "GroupNorm_1/beta"]
        with pytest.raises(ValueError, match="must be < rank"):
            layers.layer_norm(tf.constant(x), begin_norm_axis=4)
        with pytest.raises(ValueError, match="not commensurate with 4 groups"):
            layers.group_norm(tf.constant(x), groups=4)
        with pytest.raises(ValueError, match="Invalid groups 7 for 6 channels"):
            layers.group_norm(tf.constant(x), groups=7)
        grad = tf.gradients(tf.reduce_sum(ln * np.arange(6.0, dtype=np.float32)), ln.op.inputs[0])
        got = run([ln, inn, gn, gnz])
    np.testing.assert_allclose(got[0], np_norm(x, (2, 3), 1e-12), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], np_norm(x, (1, 2), 1e-6), rtol=1e-4, atol=1e-5)
    g = x.reshape(2, 3, 4, 2, 3)
    np.testing.assert_allclose(got[2], np_norm(g, (1, 2, 4), 1e-6).reshape(x.shape), rtol=1e-4,
                               atol=1e-5)
    g = x.reshape(2, 3, 4, 3, 2)
    np.testing.assert_allclose(got[3], np_norm(g, (1, 2, 4), 1e-6).reshape(x.shape), rtol=1e-3,
                               atol=1e-4)
    assert grad[0] is not None


def test_separable_conv2d_depthwise_only_and_full():
    x = RNG.randn(1, 3, 3, 2).astype(np.float32)
    dw = RNG.randn(1, 1, 2, 2).astype(np.float32)
    pw = RNG.randn(1, 1, 4, 3).astype(np.float32)
    with tf.Graph().as_default():
        d = layers.separable_conv2d(tf.constant(x), None, 1, depth_multiplier=2,
                                    weights_initializer=tf.constant_initializer(dw),
                                    activation_fn=None)
        s = layers.separable_conv2d(tf.constant(x), 3, 1, depth_multiplier=2,
                                    weights_initializer=tf.constant_initializer(dw),
                                    pointwise_initializer=tf.constant_initializer(pw),
                                    activation_fn=None, variables_collections=["wc"])
        assert names("model_variables") == [
            "SeparableConv2d/depthwise_weights", "SeparableConv2d/biases",
            "SeparableConv2d_1/depthwise_weights", "SeparableConv2d_1/pointwise_weights",
            "SeparableConv2d_1/biases"]
        assert names("wc") == names("model_variables")[2:]
        got_d, got_s = run([d, s])
    want_d = (x[..., :, None] * dw[0, 0]).reshape(1, 3, 3, 4)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_s, want_d @ pw[0, 0], rtol=1e-5, atol=1e-6)


def test_spatial_softmax_maxout_scale_gradient():
    x = RNG.randn(2, 3, 4, 2).astype(np.float32)
    with tf.Graph().as_default():
        sp = layers.spatial_softmax(tf.constant(x), temperature=2.0)
        assert names("model_variables") == ["spatial_softmax/temperature"]
        m = layers.maxout(tf.constant(x), 1)
        with pytest.raises(ValueError, match=r"number of features\(2\) is not a multiple"):
            layers.maxout(tf.constant(x), 3)
        c = tf.constant(x)
        g = tf.gradients(tf.reduce_sum(layers.scale_gradient(c, -0.5) * 2.0), c)[0]
        got_sp, got_m, got_g = run([sp, m, g])
    pos_x, pos_y = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 4), indexing="ij")
    feats = x.transpose(0, 3, 1, 2).reshape(4, 12) / 2.0
    att = np.exp(feats - feats.max(1, keepdims=True))
    att /= att.sum(1, keepdims=True)
    want = np.stack([(att * pos_x.ravel()).sum(1), (att * pos_y.ravel()).sum(1)], 1)
    np.testing.assert_allclose(got_sp, want.reshape(2, 4), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_m, x.max(-1, keepdims=True))
    np.testing.assert_allclose(got_g, np.full(x.shape, -1.0))


def test_embeddings():
    table = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    ids = np.array([[1, 4, 1], [0, 0, 2]])
    with tf.Graph().as_default():
        e = layers.embed_sequence(tf.constant(ids), 5, 3,
                                  initializer=tf.constant_initializer(table))
        u = layers.embed_sequence(tf.constant(ids), unique=True, reuse=True,
                                  scope="EmbedSequence")
        assert names("model_variables") == ["EmbedSequence/embeddings"]
        assert u.shape.as_list() == [2, 3, 3]
        with pytest.raises(ValueError, match="Must specify vocab size"):
            layers.embed_sequence(tf.constant(ids))
        sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 3, -1], [3, 2])
        s = layers.safe_embedding_lookup_sparse(tf.constant(table), sp, combiner="sum")
        got_e, got_u, got_s = run([e, u, s])
    np.testing.assert_allclose(got_e, table[ids])
    np.testing.assert_allclose(got_u, table[ids])
    np.testing.assert_allclose(got_s, [table[1] + table[3], np.zeros(3), np.zeros(3)])


def test_images_sequence_round_trip():
    with tf.Graph().as_default():
        seq = layers.images_to_sequence(tf.constant(X4))
        back = layers.sequence_to_images(seq, 4)
        got_seq, got_back = run([seq, back])
    np.testing.assert_allclose(got_seq, X4.transpose(2, 0, 1, 3).reshape(4, 12, 2))
    np.testing.assert_allclose(got_back, X4)


def test_legacy_in_plane_pool_dense_to_sparse():
    x = RNG.randn(1, 3, 3, 2).astype(np.float32)
    with tf.Graph().as_default():
        ip = layers.conv2d_in_plane(tf.constant(x), 1, weights_initializer=tf.constant_initializer(
            2.0), activation_fn=None)
        mp = layers.pool(tf.constant(x), [3, 3], "MAX")
        assert mp.op.name == "max_pool"  # TF1: nn.pool names its op after the scope
        with pytest.raises(ValueError, match="Rank of inputs must be >= 3"):
            layers.pool(tf.constant(X2), 2, "AVG")
        lf = layers.legacy_fully_connected(tf.constant(X2), 2, weight_init=tf.ones_initializer())
        assert names("weights") == ["fully_connected/weights"]
        assert names("biases") == ["fully_connected/bias"] and names("model_variables") == [
            "ConvInPlane/weights", "ConvInPlane/biases"]
        assert tf.get_collection("activations") == [lf]  # once, as TF1
        sp = layers.dense_to_sparse(tf.constant([[1, 0], [0, 5]]))
        got = run([ip, mp, lf, sp.indices, sp.values, sp.dense_shape])
    np.testing.assert_allclose(got[0], 2 * x, rtol=1e-6)
    np.testing.assert_allclose(got[1], x.max((1, 2), keepdims=True))
    np.testing.assert_allclose(got[2], np.repeat(X2.sum(1, keepdims=True), 2, 1), rtol=1e-5)
    np.testing.assert_array_equal(got[3], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(got[4], [1, 5])
    np.testing.assert_array_equal(got[5], [2, 2])


def test_batch_norm_5d_is_not_fused_as_tf_1_15():
    x = RNG.randn(2, 3, 2, 2, 2).astype(np.float32)
    with tf.Graph().as_default():
        y = layers.batch_norm(tf.constant(x), decay=0.0)
        assert not [op for op in tf.get_default_graph().get_operations()
                    if op.type.startswith("FusedBatchNorm")]
        mv = tf.get_collection("variables", "BatchNorm/moving_variance")[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([y] + tf.get_collection(tf.GraphKeys.UPDATE_OPS))[0]
            got_mv = sess.run(mv)
    np.testing.assert_allclose(got, np_norm(x, (0, 1, 2, 3), 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_mv, x.var((0, 1, 2, 3)), rtol=1e-5)  # biased


@pytest.mark.parametrize("kw", [{"updates_collections": None},
                                {"zero_debias_moving_mean": True}])
def test_batch_norm_evaluation_leaves_the_moving_statistics(kw):
    # is_training a tensor: the updates run only when it is true (TF's smart_cond).
    x = np.array([[[1.0, 2.0]], [[3.0, 6.0]]], np.float32)  # rank 3: the composed path
    flag = tf.placeholder(tf.bool, [])
    y = tf.contrib.layers.batch_norm(tf.constant(x), is_training=flag, decay=0.5, **kw)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    state = [v for v in tf.global_variables() if "moving" in v.name or "local_step" in v.name]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(state)
        got = sess.run([y] + updates, {flag: False})[0]
        np.testing.assert_allclose(got, x / np.sqrt(1 + 0.001), rtol=1e-6)
        for a, b in zip(before, sess.run(state)):
            np.testing.assert_array_equal(a, b)
        sess.run([y] + updates, {flag: True})
        mean = [v for v in state if v.name.endswith("moving_mean:0")][0]
        # decay 0.5 from zeros towards the batch mean [2, 4] (zero-debiased: all of it).
        want = [2.0, 4.0] if kw.get("zero_debias_moving_mean") else [1.0, 2.0]
        np.testing.assert_allclose(sess.run(mean), want, rtol=1e-6)
