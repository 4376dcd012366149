"""Three probe findings, as TF 1.15 behaves:

1. Keras outputs compiled with loss None take no target: fit / evaluate / train_on_batch take
   targets (and sample weights) for the outputs with a loss only, in list or dict form; such an
   output has no loss term and no metrics; predict still returns it.
2. tf.keras.backend functions TF 1.15 exports (its v1 API golden list): conv3d,
   batch_normalization, normalize_batch_in_training, local_conv1d / local_conv2d,
   random_normal_variable / random_uniform_variable, manual_variable_initialization,
   name_scope, backend.
3. tf.layers / Keras batch normalization of a 5-D input takes the composed ops (TF 1.15's V1
   layer fuses rank 4 only, also ignoring fused=True), so the moving variance moves toward the
   biased batch variance.

Numpy references (direct loops, hand-computed SGD steps) run without TensorFlow; the side by
side tests compare with tf_keras where TF 2.21 agrees with TF 1.15."""

from __future__ import annotations

import itertools
import json
import logging
import textwrap

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import tf_side_json

K = tf.keras.backend
L = tf.keras.layers


# -- 1. outputs without a loss -----------------------------------------------------------------

W0 = np.array([[0.2, -0.1, 0.3], [0.0, 0.4, -0.2], [-0.3, 0.1, 0.1], [0.5, -0.4, 0.2]],
              np.float32)
X = np.array([[1.0, 0.5, -1.0, 2.0], [0.0, 1.0, 1.0, -1.0], [2.0, -1.0, 0.5, 0.5]],
             np.float32)
Y = np.eye(3, dtype=np.float32)[[0, 2, 1]]


def _two_output_model():
    inp = L.Input((4,))
    a = L.Dense(3, activation="softmax", kernel_initializer=tf.constant_initializer(W0),
                name="dense")(inp)
    b = L.Lambda(lambda t: t * 2.0, name="aux")(a)
    return tf.keras.Model(inp, [a, b])


def _softmax_ce(w, b, x, y, sample_weight=None):
    """Per-sample categorical crossentropy of softmax(x w + b) and its probabilities."""
    z = x.astype(np.float64) @ w + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return -(y * np.log(p)).sum(1), p


def test_loss_none_output_trains_without_a_target():
    """train_on_batch with the one target (list, bare array) by hand: the loss before the
    step, then W -= lr * x^T (p - y) / n (and b likewise), twice."""
    m = _two_output_model()
    m.compile(tf.keras.optimizers.SGD(learning_rate=0.5),
              loss=["categorical_crossentropy", None], metrics=["acc"])
    assert m.metrics_names == ["loss", "dense_loss", "dense_acc"]  # no aux_acc, no aux_loss
    graph = m.outputs[0].graph
    assert not [op.name for op in graph.get_operations() if "aux_target" in op.name]
    w, b = W0.astype(np.float64), np.zeros(3)
    for y in ([Y], Y):
        losses, p = _softmax_ce(w, b, X, Y)
        got = m.train_on_batch(X, y)
        acc = np.mean(p.argmax(1) == Y.argmax(1))
        np.testing.assert_allclose(got, [losses.mean(), losses.mean(), acc], rtol=1e-5)
        w = w - 0.5 * X.T.astype(np.float64) @ (p - Y) / len(X)
        b = b - 0.5 * (p - Y).mean(0)
        got_w, got_b = m.get_weights()
        np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)
    history = m.fit(X, [Y], epochs=2, batch_size=3, verbose=0).history
    assert sorted(history) == ["dense_acc", "dense_loss", "loss"]
    pred = m.predict(X)
    assert [p.shape for p in pred] == [(3, 3), (3, 3)]
    np.testing.assert_allclose(pred[1], 2 * pred[0], rtol=1e-6)


def test_loss_none_output_evaluates_with_weights_for_the_outputs_with_a_loss():
    m = _two_output_model()
    m.compile("sgd", loss=["categorical_crossentropy", None])
    losses, _ = _softmax_ce(W0, 0.0, X, Y)
    np.testing.assert_allclose(m.evaluate(X, Y, verbose=0), [losses.mean()] * 2, rtol=1e-5)
    sw = np.array([1.0, 0.0, 2.0], np.float32)
    want = (losses * sw).sum() / len(X)  # SUM_OVER_BATCH_SIZE: over the samples
    for weights in ([sw], sw, {"dense": sw}):  # one weight per output with a loss
        np.testing.assert_allclose(m.evaluate(X, [Y], sample_weight=weights, verbose=0),
                                   [want] * 2, rtol=1e-5)
    np.testing.assert_allclose(m.test_on_batch(X, Y), [losses.mean()] * 2, rtol=1e-5)
    with pytest.raises(ValueError, match="Expected to see 1 array"):
        m.evaluate(X, [Y, Y], verbose=0)


def test_loss_dictionary_without_an_output_skips_it(caplog):
    m = _two_output_model()
    with caplog.at_level(logging.WARNING, logger="minitf"):
        m.compile(tf.keras.optimizers.SGD(learning_rate=0.5),
                  loss={"dense": "categorical_crossentropy"}, loss_weights=[2.0, 5.0],
                  metrics={"dense": "acc", "aux": "mae"})
    assert "Output aux missing from loss dictionary" in caplog.text
    assert m.metrics_names == ["loss", "dense_loss", "dense_acc"]
    losses, p = _softmax_ce(W0, 0.0, X, Y)
    got = m.train_on_batch(X, {"dense": Y})
    np.testing.assert_allclose(got[:2], [2 * losses.mean(), losses.mean()], rtol=1e-5)
    w = W0 - 0.5 * 2.0 * X.T.astype(np.float64) @ (p - Y) / len(X)  # loss weight 2
    np.testing.assert_allclose(m.get_weights()[0], w, rtol=1e-5, atol=1e-6)


def test_all_losses_none_is_refused():
    m = _two_output_model()
    with pytest.raises(ValueError, match="no loss to optimize"):
        m.compile("sgd", loss=[None, None])


_KERAS_SIDE = textwrap.dedent("""
    import numpy as np

    def run(T, W0, X, Y):
        L = T.keras.layers
        out = {}
        graph = T.Graph()
        with graph.as_default():
            inp = L.Input((4,))
            a = L.Dense(3, activation="softmax", name="dense",
                        kernel_initializer=T.constant_initializer(W0))(inp)
            b = L.Lambda(lambda t: t * 2.0, name="aux")(a)
            m = T.keras.Model(inp, [a, b])
            m.compile(T.keras.optimizers.SGD(learning_rate=0.5),
                      loss=["categorical_crossentropy", None], metrics=["acc"])
            out["names"] = list(m.metrics_names)
            out["step1"] = [float(v) for v in m.train_on_batch(X, [Y])]
            out["step2"] = [float(v) for v in m.train_on_batch(X, Y)]
            out["weights"] = [w.tolist() for w in m.get_weights()]
            sw = np.array([1.0, 0.0, 2.0], np.float32)
            out["eval"] = [float(v) for v in m.evaluate(X, [Y], sample_weight=[sw], verbose=0)]
            out["pred"] = [list(p.shape) for p in m.predict(X)]
            m.compile(T.keras.optimizers.SGD(learning_rate=0.5),
                      loss={"dense": "categorical_crossentropy"}, loss_weights=[2.0, 5.0],
                      metrics={"dense": "acc", "aux": "mae"})
            out["dict_names"] = list(m.metrics_names)
            out["dict_step"] = [float(v) for v in m.train_on_batch(X, {"dense": Y})]
            out["dict_weights"] = [w.tolist() for w in m.get_weights()]
        return out
""")

_KERAS_TF = _KERAS_SIDE + textwrap.dedent("""
    import json, sys
    import tensorflow.compat.v1 as tf1
    tf1.disable_v2_behavior()
    args = [np.array(json.loads(a), np.float32) for a in sys.argv[1:]]
    print(json.dumps(run(tf1, *args)))
""")


def _close(got, want, path=""):
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), path
        for k in want:
            _close(got[k], want[k], f"{path}/{k}")
    elif isinstance(want, list) and want and isinstance(want[0], str):
        assert got == want, path
    elif path.endswith("weights"):  # a list of arrays
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _close(g, w, f"{path}[{i}]")
    else:
        np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                                   rtol=1e-5, atol=1e-6, err_msg=path)


def test_loss_none_outputs_match_tf_keras():
    """metrics_names, the values of train_on_batch / evaluate (list, bare and dict targets),
    the trained weights and predict's outputs, against tf_keras' training_v1 (TF 1.x)."""
    args = [json.dumps(a.tolist()) for a in (W0, X, Y)]
    want = tf_side_json(_KERAS_TF, *args)
    namespace: dict = {}
    exec(_KERAS_SIDE, namespace)
    _close(namespace["run"](tf, W0, X, Y), want)


# -- 2. backend functions ----------------------------------------------------------------------

# TF 1.15's tf.keras.backend (tensorflow/tools/api/golden/v1/tensorflow.keras.backend.pbtxt)
TF115_BACKEND = """
    name_scope abs all any arange argmax argmin backend batch_dot batch_flatten batch_get_value
    batch_normalization batch_set_value bias_add binary_crossentropy cast cast_to_floatx
    categorical_crossentropy clear_session clip concatenate constant conv1d conv2d
    conv2d_transpose conv3d cos count_params ctc_batch_cost ctc_decode
    ctc_label_dense_to_sparse cumprod cumsum dot dropout dtype elu epsilon equal eval exp
    expand_dims eye flatten floatx foldl foldr function gather get_session get_uid get_value
    gradients greater greater_equal hard_sigmoid image_data_format in_test_phase in_top_k
    in_train_phase int_shape is_keras_tensor is_sparse l2_normalize learning_phase
    learning_phase_scope less less_equal local_conv1d local_conv2d log
    manual_variable_initialization map_fn max maximum mean min minimum moving_average_update
    ndim normalize_batch_in_training not_equal one_hot ones ones_like permute_dimensions
    placeholder pool2d pool3d pow print_tensor prod random_binomial random_normal
    random_normal_variable random_uniform random_uniform_variable relu repeat repeat_elements
    reset_uids reshape resize_images resize_volumes reverse rnn round separable_conv2d
    set_epsilon set_floatx set_image_data_format set_learning_phase set_session set_value shape
    sigmoid sign sin softmax softplus softsign sparse_categorical_crossentropy
    spatial_2d_padding spatial_3d_padding sqrt square squeeze stack std stop_gradient sum
    switch tanh temporal_padding tile to_dense transpose truncated_normal update update_add
    update_sub var variable zeros zeros_like
""".split()


def test_backend_has_every_tf115_export():
    assert [n for n in TF115_BACKEND if not hasattr(tf.keras.backend, n)] == []
    assert K.backend() == "tensorflow"
    assert K.name_scope is tf.name_scope


def _run(t):
    return K.get_session().run(t)


def _conv3d_numpy(x, k, strides, padding, dilation):
    """NDHWC x, (kd, kh, kw, cin, cout) k: the sum over the window, by loops."""
    sp = x.shape[1:4]
    eff = [(k.shape[i] - 1) * dilation[i] + 1 for i in range(3)]
    if padding == "same":
        out = [-(-sp[i] // strides[i]) for i in range(3)]
        pads = [max((out[i] - 1) * strides[i] + eff[i] - sp[i], 0) for i in range(3)]
        x = np.pad(x, [(0, 0)] + [(p // 2, p - p // 2) for p in pads] + [(0, 0)])
    else:
        out = [(sp[i] - eff[i]) // strides[i] + 1 for i in range(3)]
    y = np.zeros((x.shape[0], *out, k.shape[4]))
    for d, h, w in itertools.product(*map(range, out)):
        for a, b, c in itertools.product(*map(range, k.shape[:3])):
            patch = x[:, d * strides[0] + a * dilation[0], h * strides[1] + b * dilation[1],
                      w * strides[2] + c * dilation[2], :]
            y[:, d, h, w, :] += patch @ k[a, b, c]
    return y


@pytest.mark.parametrize("strides, padding, dilation, data_format", [
    ((1, 1, 1), "same", (1, 1, 1), "channels_last"),
    ((1, 2, 1), "same", (1, 1, 1), "channels_last"),
    ((2, 2, 2), "valid", (1, 1, 1), "channels_first"),
    ((1, 1, 1), "valid", (2, 1, 1), "channels_first"),
    ((1, 1, 1), "same", (1, 2, 1), None),
])
def test_conv3d_against_loops(strides, padding, dilation, data_format):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 4, 5, 2)).astype(np.float32)
    k = rng.standard_normal((2, 3, 2, 2, 3)).astype(np.float32)
    want = _conv3d_numpy(x.astype(np.float64), k.astype(np.float64), strides, padding,
                         dilation)
    fed = np.transpose(x, (0, 4, 1, 2, 3)) if data_format == "channels_first" else x
    y = K.conv3d(K.constant(fed), K.constant(k), strides, padding, data_format, dilation)
    got = _run(y)
    if data_format == "channels_first":
        got = np.transpose(got, (0, 2, 3, 4, 1))
    assert tuple(y.shape.as_list()) == np.shape(_run(y))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="Unknown data_format"):
        K.conv3d(K.constant(x), K.constant(k), data_format="NDHWC")


def test_batch_normalization_inference():
    """4-D: the fused op (NHWC with broadcast-shaped statistics, NCHW with vectors, epsilon
    raised to TF1's fused minimum 1.001e-5); other ranks: the composed formula."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    c = 5
    mean, var = rng.standard_normal(c), rng.random(c) + 0.5
    gamma, beta = rng.random(c) + 0.5, rng.standard_normal(c)

    def ref(x, shape, eps, g=gamma, b=beta):
        r = [v.reshape(shape) for v in (mean, var, g, b)]
        return (x - r[0]) / np.sqrt(r[1] + eps) * r[2] + r[3]

    f32 = lambda v, shape: K.constant(v.reshape(shape).astype(np.float32))  # noqa: E731
    y = K.batch_normalization(K.constant(x), f32(mean, (1, 1, 1, c)), f32(var, (1, 1, 1, c)),
                              None, None, axis=-1, epsilon=1e-7)
    assert y.op.type == "FusedBatchNormV3" and y.op.get_attr("data_format") == b"NHWC"
    assert y.op.get_attr("epsilon") == pytest.approx(1.001e-5)
    np.testing.assert_allclose(_run(y), ref(x, (1, 1, 1, c), 1.001e-5, np.ones(c),
                                            np.zeros(c)), rtol=1e-4, atol=1e-4)
    xc = rng.standard_normal((2, c, 3, 4)).astype(np.float32)
    y = K.batch_normalization(K.constant(xc), f32(mean, (c,)), f32(var, (c,)), f32(beta, (c,)),
                              f32(gamma, (c,)), axis=1)
    assert y.op.get_attr("data_format") == b"NCHW"
    np.testing.assert_allclose(_run(y), ref(xc, (1, c, 1, 1), 1e-3), rtol=1e-4, atol=1e-4)
    x3 = rng.standard_normal((3, 4, c)).astype(np.float32)
    y = K.batch_normalization(K.constant(x3), f32(mean, (c,)), f32(var, (c,)), f32(beta, (c,)),
                              f32(gamma, (c,)), epsilon=1e-7)
    assert y.op.type != "FusedBatchNormV3"
    np.testing.assert_allclose(_run(y), ref(x3, (c,), 1e-7), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, axes, unbiased", [((3, 4, 4, 2), [0, 1, 2], True),
                                                   ((3, 2, 4, 4), [0, 2, 3], False),
                                                   ((6, 3), [0], False),
                                                   ((2, 3, 4, 2, 2), [0, 1, 2, 3], False),
                                                   ((3, 4, 5), [0, 2], False)])
def test_normalize_batch_in_training(shape, axes, unbiased):
    """(normalized, mean, variance): the fused kernel's Bessel-corrected variance for a
    4-D input over [0, 1, 2]; the biased variance of the moments otherwise."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    keep = [i for i in range(len(shape)) if i not in axes]
    c = [shape[i] for i in keep]
    gamma, beta = rng.random(c) + 0.5, rng.standard_normal(c)
    bshape = [shape[i] if i in keep else 1 for i in range(len(shape))]
    normed, mean, var = K.normalize_batch_in_training(
        K.constant(x), K.constant(gamma.astype(np.float32)), K.constant(beta.astype(np.float32)),
        axes)
    got = _run([normed, mean, var])
    x64 = x.astype(np.float64)
    m, v = x64.mean(tuple(axes)), x64.var(tuple(axes))
    n = x.size / np.prod(c)
    want = (x64 - m.reshape(bshape)) / np.sqrt(v.reshape(bshape) + 1e-3) * \
        gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(got[0], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], m, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[2], v * n / (n - 1) if unbiased else v, rtol=1e-5)
    normed, _, _ = K.normalize_batch_in_training(K.constant(x), None, None, axes)
    np.testing.assert_allclose(_run(normed), (x64 - m.reshape(bshape)) /
                               np.sqrt(v.reshape(bshape) + 1e-3), rtol=1e-4, atol=1e-4)


def _local_numpy(x, kernel, kernel_size, strides, out_shape, first):
    """Each output position's window, flattened in the input's layout, dotted with that
    position's kernel."""
    y = np.zeros((x.shape[0], *out_shape, kernel.shape[-1]))
    for i, pos in enumerate(itertools.product(*map(range, out_shape))):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(pos, strides, kernel_size))
        patch = x[(slice(None), slice(None)) + window] if first else x[(slice(None),) + window]
        y[(slice(None),) + pos] = patch.reshape(len(x), -1) @ kernel[i]
    return np.moveaxis(y, -1, 1) if first else y


@pytest.mark.parametrize("first", [False, True])
def test_local_conv1d_and_2d_against_loops(first):
    rng = np.random.default_rng(3)
    fmt = "channels_first" if first else "channels_last"
    x1 = rng.standard_normal((2, 3, 7) if first else (2, 7, 3)).astype(np.float32)
    k1 = rng.standard_normal((3, 2 * 3, 4)).astype(np.float32)  # out 3 = (7 - 2) // 2 + 1
    y = K.local_conv1d(K.constant(x1), K.constant(k1), (2,), (2,), fmt)
    np.testing.assert_allclose(_run(y), _local_numpy(x1, k1, (2,), (2,), (3,), first),
                               rtol=1e-4, atol=1e-4)
    x2 = rng.standard_normal((2, 2, 5, 4) if first else (2, 5, 4, 2)).astype(np.float32)
    k2 = rng.standard_normal((2 * 3, 2 * 2 * 2, 3)).astype(np.float32)
    y = K.local_conv2d(K.constant(x2), K.constant(k2), (2, 2), (2, 1), (2, 3), fmt)
    np.testing.assert_allclose(_run(y), _local_numpy(x2, k2, (2, 2), (2, 1), (2, 3), first),
                               rtol=1e-4, atol=1e-4)


def test_random_variables():
    v = K.random_normal_variable((300, 200), 2.0, 0.5, name="rn")
    u = K.random_uniform_variable((300, 200), -1.0, 3.0, dtype="float64", seed=7)
    assert v.op.name == "rn" and v.dtype.base_dtype == tf.float32
    assert u.dtype.base_dtype == tf.float64 and u.shape.as_list() == [300, 200]
    vv, uu = K.batch_get_value([v, u])  # get_session initialized them
    assert abs(vv.mean() - 2.0) < 0.01 and abs(vv.std() - 0.5) < 0.01
    assert uu.min() >= -1.0 and uu.max() < 3.0 and abs(uu.mean() - 1.0) < 0.02
    # without a seed, one from numpy's global RNG: np.random.seed repeats the draw
    np.random.seed(5)
    a = K.get_value(K.random_normal_variable((4,), 0.0, 1.0))
    np.random.seed(5)
    b = K.get_value(K.random_normal_variable((4,), 0.0, 1.0))
    np.testing.assert_array_equal(a, b)


def test_manual_variable_initialization():
    K.manual_variable_initialization(True)
    try:
        v = K.variable(np.ones(2))
        with pytest.raises(tf.errors.FailedPreconditionError):
            K.get_value(v)
        K.get_session().run(v.initializer)
        np.testing.assert_array_equal(K.get_value(v), [1.0, 1.0])
    finally:
        K.manual_variable_initialization(False)
    w = K.variable(np.zeros(2))
    np.testing.assert_array_equal(K.get_value(w), [0.0, 0.0])


_BACKEND_SIDE = textwrap.dedent("""
    import numpy as np

    def run(T, KB):
        rng = np.random.default_rng(4)
        out = {}
        graph = T.Graph()
        with graph.as_default(), T.Session() as sess:
            c = lambda a: KB.constant(np.asarray(a, np.float32))
            x = rng.standard_normal((2, 5, 4, 5, 2))
            k = rng.standard_normal((2, 3, 2, 2, 3))
            xf = np.transpose(x, (0, 4, 1, 2, 3))
            t = {"conv3d_same": KB.conv3d(c(x), c(k), (1, 2, 1), "same"),
                 "conv3d_first": KB.conv3d(c(xf), c(k), (2, 1, 2), "valid", "channels_first"),
                 "conv3d_dilated": KB.conv3d(c(x), c(k), padding="same",
                                             dilation_rate=(2, 1, 1))}
            x4 = rng.standard_normal((3, 4, 4, 2)) * 2 + 1
            g, b = rng.random(2) + 0.5, rng.standard_normal(2)
            for name, xs, axes in (("nbt_fused", x4, [0, 1, 2]),
                                   ("nbt_nchw", np.transpose(x4, (0, 3, 1, 2)), [0, 2, 3]),
                                   ("nbt_3d", x4[:, 0], [0, 1])):
                for i, v in enumerate(KB.normalize_batch_in_training(c(xs), c(g), c(b), axes)):
                    t[f"{name}{i}"] = v
            m, v = rng.standard_normal(2), rng.random(2) + 0.5
            t["bn_nhwc"] = KB.batch_normalization(c(x4), c(m.reshape(1, 1, 1, 2)),
                                                  c(v.reshape(1, 1, 1, 2)), None, None)
            t["bn_nchw"] = KB.batch_normalization(c(np.transpose(x4, (0, 3, 1, 2))), c(m), c(v),
                                                  c(b), c(g), axis=1)
            t["bn_2d"] = KB.batch_normalization(c(x4[:, 0, 0]), c(m), c(v), c(b), c(g))
            x1 = rng.standard_normal((2, 7, 3))
            t["local1d"] = KB.local_conv1d(c(x1), c(rng.standard_normal((3, 6, 4))), (2,), (2,))
            x2 = rng.standard_normal((2, 2, 5, 4))
            t["local2d"] = KB.local_conv2d(c(x2), c(rng.standard_normal((6, 8, 3))), (2, 2),
                                           (2, 1), (2, 3), "channels_first")
            out = {k: v.tolist() for k, v in sess.run(t).items()}
        return out
""")

_BACKEND_TF = _BACKEND_SIDE + textwrap.dedent("""
    import json
    import tensorflow.compat.v1 as tf1
    tf1.disable_v2_behavior()
    from tf_keras.src import backend as KB
    print(json.dumps(run(tf1, KB)))
""")


def test_backend_functions_match_tf_keras():
    """conv3d, normalize_batch_in_training, batch_normalization and local_conv1d/2d against
    tf_keras' backend (TF 1.15's code for these, on a CPU) in graph mode."""
    want = tf_side_json(_BACKEND_TF)
    namespace: dict = {}
    exec(_BACKEND_SIDE, namespace)
    got = namespace["run"](tf, K)
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-4, err_msg=key)


# -- 3. 5-D batch normalization ----------------------------------------------------------------


def _fused_ops():
    return [op for op in tf.get_default_graph().get_operations()
            if op.type.startswith("FusedBatchNorm")]


@pytest.mark.parametrize("fused", [None, True])
@pytest.mark.parametrize("axis", [-1, 1])
def test_layers_batch_norm_5d_moves_toward_the_biased_variance(fused, axis):
    rng = np.random.default_rng(5)
    shape = (2, 3, 2, 3, 3)
    c = shape[axis]
    x = tf.placeholder(tf.float32, shape)
    y = tf.layers.batch_normalization(x, axis=axis, training=True, momentum=0.5, fused=fused)
    assert _fused_ops() == []
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    mv = [v for v in tf.global_variables() if "moving_variance" in v.op.name][0]
    red = tuple(i for i in range(5) if i != axis % 5)
    b = [c if i == axis % 5 else 1 for i in range(5)]
    want_mv = np.ones(c)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(2):
            xv = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
            got = sess.run([y] + updates, {x: xv})[0]
            x64 = xv.astype(np.float64)
            var = x64.var(red)
            want = (x64 - x64.mean(red).reshape(b)) / np.sqrt(var.reshape(b) + 1e-3)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
            want_mv = 0.5 * want_mv + 0.5 * var  # biased: no n / (n - 1)
            np.testing.assert_allclose(sess.run(mv), want_mv, rtol=1e-5)


def _keras_bn_5d(fused):
    model = tf.keras.Sequential([L.BatchNormalization(momentum=0.5, fused=fused,
                                                      input_shape=(2, 3, 3, 2)),
                                 L.Flatten()])  # a per-sample mse
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("fused", [None, True])
def test_keras_batch_norm_5d_moves_toward_the_biased_variance(fused):
    rng = np.random.default_rng(6)
    model = _keras_bn_5d(fused)
    xv = (rng.standard_normal((4, 2, 3, 3, 2)) * 2 + 1).astype(np.float32)
    model.train_on_batch(xv, np.zeros((4, 36), np.float32))
    assert _fused_ops() == []
    var = xv.astype(np.float64).var((0, 1, 2, 3))
    np.testing.assert_allclose(model.layers[0].get_weights()[3], 0.5 + 0.5 * var, rtol=1e-5)


_BN_SIDE = textwrap.dedent("""
    import numpy as np

    def run(T, fused):
        rng = np.random.default_rng(7)
        graph = T.Graph()
        with graph.as_default():
            L = T.keras.layers
            inp = L.Input((2, 3, 3, 2))
            bn = L.BatchNormalization(momentum=0.5, fused=fused)
            m = T.keras.Model(inp, L.Flatten()(bn(inp)))  # a per-sample mse
            m.compile(T.keras.optimizers.SGD(learning_rate=0.1), "mse")
            out = {}
            for step in range(2):
                xv = (rng.standard_normal((4, 2, 3, 3, 2)) * 2 + 1).astype(np.float32)
                target = np.linspace(-1, 1, 4 * 36).reshape(4, 36).astype(np.float32)
                out[f"loss{step}"] = float(m.train_on_batch(xv, target))
            out["weights"] = [w.tolist() for w in bn.get_weights()]
            out["pred"] = m.predict(xv).tolist()
        return out
""")

_BN_TF = _BN_SIDE + textwrap.dedent("""
    import json
    import tensorflow.compat.v1 as tf1
    tf1.disable_v2_behavior()
    print(json.dumps(run(tf1, False)))  # TF 2 fuses 5-D by default; TF 1.15 never does
""")


def test_keras_batch_norm_5d_matches_tf_keras_composed_path():
    """minitf's default (and fused=True, which TF 1.15's V1 layer ignores for 5-D) against
    tf_keras with fused=False: TF 1.15's path for a 5-D input."""
    want = tf_side_json(_BN_TF)
    namespace: dict = {}
    exec(_BN_SIDE, namespace)
    flat = lambda v: np.concatenate([np.ravel(np.asarray(a, np.float64))  # noqa: E731
                                     for a in (v if isinstance(v, list) else [v])])
    for fused in (None, True):
        got = namespace["run"](tf, fused)
        assert sorted(got) == sorted(want)
        for key in want:
            np.testing.assert_allclose(flat(got[key]), flat(want[key]), rtol=1e-4, atol=1e-5,
                                       err_msg=f"fused={fused}: {key}")
