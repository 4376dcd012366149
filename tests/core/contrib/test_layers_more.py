"""tf.contrib.layers' gdn/GDN against its formula (and its lower bound's gradient),
recompute_grad and rev_block/RevBlock whose gradients equal the plain graph's and numpy's,
bow_encoder and the target columns against numpy; TF1's variable names and the errors."""

import re

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import layers

R = np.random.default_rng(5)
OFFSET = 2 ** -18


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None, init=True):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- GDN ------------------------------------------------------------------------------------------


def _gdn_ref(x, reparam_beta, reparam_gamma, inverse=False, beta_min=1e-6):
    """y_i = x_i / sqrt(beta_i + sum_j gamma_ji x_j^2) over the last axis, with beta and gamma
    from their bounded square roots."""
    ped = OFFSET ** 2
    beta = np.maximum(reparam_beta, np.sqrt(beta_min + ped)) ** 2 - ped
    gamma = np.maximum(reparam_gamma, OFFSET) ** 2 - ped
    norm = np.sqrt(beta + (x ** 2) @ gamma)
    return x * norm if inverse else x / norm


@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_channels_last_matches_formula_and_names(inverse):
    x = R.normal(size=(2, 3, 4, 5)).astype(np.float32)
    y = layers.gdn(tf.constant(x), inverse=inverse)
    beta, gamma = tf.global_variables()
    assert [beta.op.name, gamma.op.name] == ["gdn/reparam_beta", "gdn/reparam_gamma"]
    rb = R.uniform(0.5, 1.5, 5).astype(np.float32)
    rg = R.uniform(0.0, 0.6, (5, 5)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        init_b, init_g = sess.run([beta, gamma])
        beta.load(rb, sess)
        gamma.load(rg, sess)
        got = sess.run(y)
    # initial values: sqrt(1 + pedestal) and sqrt(0.1 * I + pedestal)
    np.testing.assert_allclose(init_b, np.sqrt(1 + OFFSET ** 2) * np.ones(5), rtol=1e-6)
    np.testing.assert_allclose(init_g, np.sqrt(0.1 * np.eye(5) + OFFSET ** 2), rtol=1e-6)
    np.testing.assert_allclose(got, _gdn_ref(x, rb, rg, inverse), rtol=1e-5)


@pytest.mark.parametrize("shape", [(2, 4, 6), (2, 4, 3, 5), (2, 4, 2, 3, 2)])
def test_gdn_channels_first_is_channels_last_transposed(shape):
    x = R.normal(size=shape).astype(np.float32)
    y = layers.gdn(tf.constant(x), data_format="channels_first", gamma_init=0.3)
    got = _run(y)
    last = np.moveaxis(x, 1, -1)
    want = _gdn_ref(last, np.sqrt(1 + OFFSET ** 2) * np.ones(4),
                    np.sqrt(0.3 * np.eye(4) + OFFSET ** 2))
    np.testing.assert_allclose(got, np.moveaxis(want, -1, 1), rtol=1e-5)


def test_gdn_lower_bound_gradient_passes_only_upward_pushes():
    x = np.abs(R.normal(size=(3, 1, 4))).astype(np.float32) + 0.1
    layer = layers.GDN(beta_min=0.5)
    y = layer(tf.constant(x))
    beta = layer.trainable_weights[0]
    grads = [tf.gradients(tf.reduce_sum(y), beta)[0], tf.gradients(-tf.reduce_sum(y), beta)[0]]
    low = np.array([0.1, 1.2, 0.2, 1.5], np.float32)  # channels 0 and 2 below the bound
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        beta.load(low, sess)
        up, down = sess.run(grads)
        gamma = sess.run(layer.trainable_weights[1])
    bound = np.sqrt(0.5 + OFFSET ** 2)

    def loss(rb):  # no bound on beta here (beta_min = -pedestal)
        return _gdn_ref(x.astype(np.float64), rb, gamma, beta_min=-OFFSET ** 2).sum()

    # d loss / d (bounded value): numeric, with the bound treated as the identity
    num = np.zeros(4)
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1e-4
        b = np.maximum(low, bound)
        num[i] = (loss(b + e) - loss(b - e)) / 2e-4
    # x > 0: a larger beta lowers sum(y), so minimising sum(y) pushes beta up: its gradient
    # passes the bound; minimising -sum(y) would push it down: blocked where it is bound
    assert np.all(num < 0)
    np.testing.assert_allclose(up, num, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(down, np.where(low >= bound, -num, 0.0), rtol=1e-3, atol=1e-6)


def test_gdn_errors():
    with pytest.raises(ValueError, match="Unsupported `data_format` for GDN layer: NHWC"):
        layers.GDN(data_format="NHWC")
    with pytest.raises(ValueError, match="channel dimension"):
        layers.gdn(tf.placeholder(tf.float32, [2, 3, None]))
    with pytest.raises(ValueError, match="ndim"):
        layers.gdn(tf.zeros([2, 3]))


# -- recompute_grad -------------------------------------------------------------------------------

W = R.normal(size=(3, 4)).astype(np.float32)
B = R.normal(size=(4,)).astype(np.float32)


def _dense_tanh(x):
    w = tf.get_variable("w", initializer=W)
    b = tf.get_variable("b", initializer=B)
    return tf.tanh(tf.matmul(x, w) + b)


@pytest.mark.parametrize("kwargs", [None, {}, {"use_data_dep": True, "tupleize_grads": True},
                                    {"tupleize_grads": True}])
def test_recompute_grad_gradients_equal_plain_and_numpy(kwargs):
    x = R.normal(size=(2, 3)).astype(np.float32)
    c = R.normal(size=(2, 4)).astype(np.float32)
    fn = layers.recompute_grad(_dense_tanh) if kwargs is None else \
        layers.recompute_grad(**kwargs)(_dense_tanh)
    xt = tf.constant(x)
    with tf.variable_scope("re"):
        y = fn(xt)
    with tf.variable_scope("plain"):
        y_plain = _dense_tanh(xt)
    tanhs = len([o for o in tf.get_default_graph().get_operations() if o.type == "Tanh"])
    wr, br = tf.trainable_variables()[:2]
    wp, bp = tf.trainable_variables()[2:]
    grads = tf.gradients(tf.reduce_sum(y * c), [xt, wr, br])
    plain = tf.gradients(tf.reduce_sum(y_plain * c), [xt, wp, bp])
    # the gradient recomputed the forward pass: one more Tanh, reusing re/w and re/b
    assert len([o for o in tf.get_default_graph().get_operations()
                if o.type == "Tanh"]) == tanhs + 1
    assert [v.op.name for v in tf.trainable_variables()] == ["re/w", "re/b", "plain/w",
                                                            "plain/b"]
    got_y, got, want = _run([y, grads, plain])
    h = np.tanh(x @ W + B)
    dz = (1 - h ** 2) * c
    np.testing.assert_allclose(got_y, h, rtol=1e-6)
    for g, p, ref in zip(got, want, [dz @ W.T, x.T @ dz, dz.sum(0)]):
        np.testing.assert_allclose(g, p, rtol=1e-6)
        np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6)


def test_recompute_grad_multiple_outputs_and_errors():
    @layers.recompute_grad
    def two(a, b):
        return a * b, tf.sin(a)

    a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, -1.0])
    p, s = two(a, b)
    ga, gb = _run(tf.gradients(tf.reduce_sum(p) + tf.reduce_sum(s), [a, b]), init=False)
    np.testing.assert_allclose(ga, [3.0 + np.cos(1.0), -1.0 + np.cos(2.0)], rtol=1e-6)
    np.testing.assert_allclose(gb, [1.0, 2.0])
    with pytest.raises(ValueError, match="All inputs to function must be Tensors"):
        two(np.ones(2, np.float32), b)


# -- rev_block ------------------------------------------------------------------------------------

F_W = R.normal(scale=0.5, size=(2, 4, 4)).astype(np.float32)
G_W = R.normal(scale=0.5, size=(2, 4, 4)).astype(np.float32)


def _fg(weights, use_side=False):
    """f or g: tanh(x @ w) (times the side input), w the weights of its layer's scope."""
    def fn(x, side=None):
        k = int(re.search(r"revlayer_(\d+)", tf.get_variable_scope().name).group(1))
        w = tf.get_variable("w", initializer=weights[k])
        out = tf.tanh(tf.matmul(x, w))
        return out * side[0] if use_side else out
    return fn


def _rev_ref(x1, x2, side=None, layers_=2):
    for k in range(layers_):
        f = np.tanh(x2 @ F_W[k]) * (side if side is not None else 1)
        x1 = x1 + f
        x2 = x2 + np.tanh(x1 @ G_W[k])
    return x1, x2


@pytest.mark.parametrize("use_side", [False, True])
def test_rev_block_gradients_equal_plain_graph(use_side):
    x1 = R.normal(size=(3, 4)).astype(np.float32)
    x2 = R.normal(size=(3, 4)).astype(np.float32)
    s = R.normal(size=(3, 4)).astype(np.float32)
    c1, c2 = R.normal(size=(3, 4)), R.normal(size=(3, 4))
    t1, t2, ts = tf.constant(x1), tf.constant(x2), tf.constant(s)
    out = {}
    for training in (True, False):
        with tf.variable_scope(f"t{training}"):
            f, g = _fg(F_W, use_side), _fg(G_W)
            y1, y2 = layers.rev_block(t1, t2, [f, f], [g, g], num_layers=2,
                                      f_side_input=[ts] if use_side else None,
                                      is_training=training)
        vs = [v for v in tf.trainable_variables() if v.op.name.startswith(f"t{training}/")]
        loss = tf.reduce_sum(y1 * c1.astype(np.float32)) + tf.reduce_sum(y2 * c2.astype(
            np.float32))
        xs = [t1, t2] + ([ts] if use_side else []) + vs
        out[training] = (y1, y2, tf.gradients(loss, xs), [v.op.name for v in vs])
    assert out[True][3] == ["tTrue/revblock/revlayer_0/f/w", "tTrue/revblock/revlayer_0/g/w",
                            "tTrue/revblock/revlayer_1/f/w", "tTrue/revblock/revlayer_1/g/w"]
    got, plain = _run([out[True][:3], out[False][:3]])
    want1, want2 = _rev_ref(x1, x2, s if use_side else None)
    np.testing.assert_allclose(got[0], want1, rtol=1e-5)
    np.testing.assert_allclose(got[1], want2, rtol=1e-5)
    for g, p in zip(got[2], plain[2]):
        np.testing.assert_allclose(g, p, rtol=1e-4, atol=1e-5)

    def loss_of(a, b):  # numpy check of d loss / d x1
        y1, y2 = _rev_ref(a, b, s if use_side else None)
        return (y1 * c1).sum() + (y2 * c2).sum()

    num = np.zeros_like(x1, np.float64)
    for idx in np.ndindex(x1.shape):
        e = np.zeros_like(x1, np.float64)
        e[idx] = 1e-4
        num[idx] = (loss_of(x1 + e, x2) - loss_of(x1 - e, x2)) / 2e-4
    np.testing.assert_allclose(got[2][0], num, rtol=2e-3, atol=2e-3)


def test_rev_block_backward_inverts_forward_and_errors():
    x1 = R.normal(size=(2, 4)).astype(np.float32)
    x2 = R.normal(size=(2, 4)).astype(np.float32)
    block = layers.RevBlock(_fg(F_W), _fg(G_W), num_layers=1)
    y1, y2 = block.forward(tf.constant(x1), tf.constant(x2))
    back = block.backward(y1, y2)
    assert len(block.trainable_weights) == 2
    got = _run(back)
    np.testing.assert_allclose(got[0], x1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], x2, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="2 f and 1 g functions for num_layers=2"):
        layers.RevBlock([_fg(F_W)] * 2, [_fg(G_W)], num_layers=2)


# -- bow_encoder -----------------------------------------------------------------------


def test_bow_encoder_sparse_and_dense():
    ids = np.array([[1, 3, 0], [2, 2, 4], [0, 0, 0]], np.int64)
    emb = R.normal(size=(5, 3)).astype(np.float32)
    init = tf.constant_initializer(emb)
    sparse = layers.bow_encoder(tf.constant(ids), 5, 3, initializer=init)
    dense = layers.bow_encoder(tf.constant(ids), 5, 3, sparse_lookup=False,
                               initializer=init, scope="dense")
    assert [v.op.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)] == [
        "bow_encoder/embeddings", "dense/embeddings"]
    got_sparse, got_dense = _run([sparse, dense])
    # sparse: ids 0 are padding; a row of padding gets id 0's embedding (default_id)
    want = [emb[[1, 3]].mean(0), emb[[2, 2, 4]].mean(0), emb[0]]
    np.testing.assert_allclose(got_sparse, want, rtol=1e-6)
    np.testing.assert_allclose(got_dense, emb[ids].mean(1), rtol=1e-6)
    with pytest.raises(ValueError, match="vocab size and embedding dimension"):
        layers.bow_encoder(tf.constant(ids), 0, 3)
    st = tf.SparseTensor([[0, 0]], tf.constant([1], tf.int64), [1, 1])
    with pytest.raises(TypeError, match="dense Tensor"):
        layers.bow_encoder(st, 5, 3, sparse_lookup=False, scope="bad")


# -- target columns -------------------------------------------------------------------------------


def test_regression_target_losses():
    logits = R.normal(size=(4, 1)).astype(np.float32)
    labels = R.normal(size=(4,)).astype(np.float32)
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    col = layers.regression_target(weight_column_name="w")
    feats = {"w": tf.constant(w)}
    tl, lo, pred = _run([col.training_loss(logits, labels, feats), col.loss(logits, labels, feats),
                         col.logits_to_predictions(logits)], init=False)
    sq = (logits[:, 0] - labels) ** 2
    np.testing.assert_allclose(tl, (w * sq).mean(), rtol=1e-6)
    np.testing.assert_allclose(lo, (w * sq).sum() / w.sum(), rtol=1e-6)
    np.testing.assert_allclose(pred, logits[:, 0])
    assert col.num_label_columns == 1 and col.problem_type == 2


def test_multi_class_and_svm_targets():
    logits3 = R.normal(size=(4, 3)).astype(np.float32)
    labels3 = np.array([0, 2, 1, 2])
    logits1 = R.normal(size=(4, 1)).astype(np.float32)
    labels1 = np.array([1, 0, 0, 1])
    soft = layers.multi_class_target(3)
    binary = layers.multi_class_target(2)
    svm = tf.contrib.slim.binary_svm_target()
    got = _run([soft.loss(logits3, tf.constant(labels3), {}),
                soft.logits_to_predictions(logits3, proba=True),
                binary.loss(logits1, tf.constant(labels1), {}),
                binary.logits_to_predictions(logits1),
                svm.loss(logits1, tf.constant(labels1, tf.float32), {})], init=False)
    p3 = np.exp(logits3) / np.exp(logits3).sum(1, keepdims=True)
    np.testing.assert_allclose(got[0], -np.log(p3[range(4), labels3]).mean(), rtol=1e-5)
    np.testing.assert_allclose(got[1], p3, rtol=1e-5)
    z, y = logits1[:, 0], labels1
    np.testing.assert_allclose(got[2], np.mean(np.maximum(z, 0) - z * y + np.log1p(
        np.exp(-np.abs(z)))), rtol=1e-5)
    np.testing.assert_array_equal(got[3], (z > 0).astype(int))
    np.testing.assert_allclose(got[4], np.mean(np.maximum(0, 1 - (2 * y - 1) * z)), rtol=1e-5)
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        layers.multi_class_target(1)
    with pytest.raises(ValueError, match="should be integer"):
        soft.loss(logits3, tf.constant(labels3, tf.float32), {})
    with pytest.raises(ValueError, match="not supported"):
        svm.logits_to_predictions(logits1, proba=True)


def test_target_eval_ops():
    logits1 = np.array([[2.0], [-1.0], [0.5], [-3.0]], np.float32)
    labels1 = np.array([[1], [1], [0], [0]], np.int64)
    ops = layers.multi_class_target(2).get_eval_ops({}, tf.constant(logits1),
                                                    tf.constant(labels1))
    assert {"loss", "accuracy", "auc", "labels/prediction_mean",
            "accuracy/threshold_0.500000_mean", "precision/positive_threshold_0.500000_mean",
            "recall/positive_threshold_0.500000_mean"} <= set(ops)
    for name in ("precision/positive_threshold_0.500000_mean",
                 "recall/positive_threshold_0.500000_mean"):
        assert [t.shape.as_list() for t in ops[name]] == [[], []]  # value and update, as TF
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([u for _, u in ops.values()])
        got = sess.run({k: v for k, (v, _) in ops.items()})
    pred = (logits1[:, 0] > 0).astype(int)
    np.testing.assert_allclose(got["accuracy"], np.mean(pred == labels1[:, 0]))
    np.testing.assert_allclose(got["accuracy/threshold_0.500000_mean"], 0.5)
    np.testing.assert_allclose(got["precision/positive_threshold_0.500000_mean"], 0.5)
    np.testing.assert_allclose(got["labels/prediction_mean"],
                               np.mean(1 / (1 + np.exp(-logits1))), rtol=1e-6)


def test_rev_block_gradient_of_one_output_only():
    x1 = R.normal(size=(2, 4)).astype(np.float32)
    x2 = R.normal(size=(2, 4)).astype(np.float32)
    t1, t2 = tf.constant(x1), tf.constant(x2)
    _, y2 = layers.rev_block(t1, t2, _fg(F_W), _fg(G_W), num_layers=1)
    g1, g2 = _run(tf.gradients(tf.reduce_sum(y2), [t1, t2]))
    # y2 = x2 + tanh((x1 + tanh(x2 F)) G): numpy's chain rule
    h = np.tanh(x2 @ F_W[0])
    a = 1 - np.tanh((x1 + h) @ G_W[0]) ** 2
    d1 = a @ G_W[0].T
    np.testing.assert_allclose(g1, d1, rtol=1e-5)
    np.testing.assert_allclose(g2, 1 + ((1 - h ** 2) * d1) @ F_W[0].T, rtol=1e-5)
