"""tf.keras.layers.Conv2DTranspose with ``dilation_rate`` and BatchNormalization with
``renorm`` / ``virtual_batch_size`` / ``adjustment``: against numpy (always) and side by side
with tf_keras' v1 layers (tf.compat.v1.keras.layers in TF1 graph mode, a process of its own;
skipped without TensorFlow and tf_keras)."""


import numpy as np
import pytest

import minitf as tf
import minitf.keras  # noqa: F401 - tf.keras as an attribute
from minitf.keras import backend

from .legacy_tf import run_against_tf

from .test_layers_batch_norm_renorm import check_renorm_steps, check_virtual_batch_steps

L = minitf.keras.layers
EPS = 1e-3
CLIP = {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3}


@pytest.fixture(autouse=True)
def fresh_graph():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- Conv2DTranspose with dilation_rate -----------------------------------------------------------
def _dilated_transpose(x, k, rate, padding):
    """A stride-1 transposed convolution with a kernel dilated by ``rate``, NHWC, kernel
    [kh, kw, out, in]: each input pixel scatters the dilated kernel; "same" crops the full
    output to the input's size, (dilated length - 1) // 2 from the start (as TF's SAME)."""
    n, h, w, _ = x.shape
    kh, kw, out, _ = k.shape
    fh, fw = kh + (kh - 1) * (rate - 1), kw + (kw - 1) * (rate - 1)
    full = np.zeros((n, h + fh - 1, w + fw - 1, out), np.float64)
    for a in range(kh):
        for b in range(kw):
            full[:, a * rate:a * rate + h, b * rate:b * rate + w] += \
                np.einsum("nijc,fc->nijf", x, k[a, b])
    if padding == "valid":
        return full
    top, left = (fh - 1) // 2, (fw - 1) // 2
    return full[:, top:top + h, left:left + w]


@pytest.mark.parametrize("padding, kernel, rate, shape", [
    ("valid", 3, 2, (2, 1, 1, 3)),  # the probe's: (2, 5, 5, 2)
    ("valid", 3, 2, (2, 4, 5, 3)),
    ("same", 3, 2, (2, 4, 5, 3)),
    ("valid", (2, 3), 3, (1, 3, 2, 2)),
    ("same", (3, 2), 2, (1, 4, 4, 1)),
])
def test_dilated_conv2d_transpose_matches_numpy(padding, kernel, rate, shape):
    rng = _rng(1)
    x = tf.placeholder(tf.float32, [None, None, None, shape[-1]])
    layer = L.Conv2DTranspose(2, kernel, padding=padding, dilation_rate=rate)
    y = layer(x)
    xv = rng.standard_normal(shape).astype(np.float32)
    kv = rng.standard_normal(layer.kernel.shape.as_list()).astype(np.float32)
    bv = np.array([0.5, -1.0], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        layer.kernel.load(kv, sess)
        layer.bias.load(bv, sess)
        out = sess.run(y, {x: xv})
    expected = _dilated_transpose(xv, kv, rate, padding) + bv
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    static = layer.compute_output_shape([shape[0], *shape[1:]]).as_list()
    assert static == list(expected.shape)


def test_dilated_conv2d_transpose_static_shape_and_output_padding():
    """Keras' deconv_output_length over the dilated kernel (3 at rate 2 is 5 long): valid
    n + 4, same n; an output_padding (below the stride 1: 0) takes the exact formula."""
    x = tf.placeholder(tf.float32, [2, 1, 1, 3])
    assert L.Conv2DTranspose(2, 3, dilation_rate=2)(x).shape.as_list() == [2, 5, 5, 2]
    layer = L.Conv2DTranspose(2, 3, dilation_rate=2, output_padding=0, padding="same")
    assert layer.compute_output_shape([None, 7, 6, 3]).as_list() == [None, 7, 6, 2]
    layer = L.Conv2DTranspose(2, 3, dilation_rate=3, output_padding=0)
    assert layer.compute_output_shape([None, 7, 6, 3]).as_list() == [None, 13, 12, 2]
    first = L.Conv2DTranspose(2, 3, dilation_rate=2, data_format="channels_first")
    assert first(tf.placeholder(tf.float32, [None, 3, 4, 5])).shape.as_list() == \
        [None, 2, 8, 9]
    assert first.get_config()["dilation_rate"] == (2, 2)


def test_dilated_conv2d_transpose_channels_first_and_gradients_match_numpy():
    rng = _rng(2)
    x = tf.placeholder(tf.float32, [None, 2, None, None])
    layer = L.Conv2DTranspose(3, 2, dilation_rate=2, data_format="channels_first",
                              use_bias=False)
    y = layer(x)
    weights = tf.placeholder(tf.float32, [None, 3, None, None])
    grad_k, grad_x = tf.gradients(tf.reduce_sum(y * weights), [layer.kernel, x])
    xv = rng.standard_normal((2, 2, 3, 4)).astype(np.float32)
    wv = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    kv = rng.standard_normal((2, 2, 3, 2)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        layer.kernel.load(kv, sess)
        out, gk, gx = sess.run([y, grad_k, grad_x], {x: xv, weights: wv})
    last = xv.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(out, _dilated_transpose(last, kv, 2, "valid").transpose(
        0, 3, 1, 2), rtol=1e-4, atol=1e-4)
    # d/dK[a, b, f, c] = sum x[n, i, j, c] * w[n, i + 2a, j + 2b, f]; d/dx likewise
    wl = wv.transpose(0, 2, 3, 1)
    want_k = np.zeros_like(kv)
    want_x = np.zeros_like(last)
    for a in range(2):
        for b in range(2):
            window = wl[:, 2 * a:2 * a + 3, 2 * b:2 * b + 4]
            want_k[a, b] = np.einsum("nijc,nijf->fc", last, window)
            want_x += np.einsum("nijf,fc->nijc", window, kv[a, b])
    np.testing.assert_allclose(gk, want_k, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gx, want_x.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)


def test_dilated_transposed_convolutions_refuse_what_keras_does():
    with pytest.raises(ValueError, match="dilation_rate. argument to be equal"):
        L.Conv2DTranspose(2, 3, dilation_rate=(2, 3))(tf.placeholder(tf.float32,
                                                                      [None, 4, 4, 1]))
    with pytest.raises(ValueError, match="strides > 1. not supported"):
        L.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="Conv3DTranspose ignores .dilation_rate"):
        L.Conv3DTranspose(2, 3, dilation_rate=2)


# -- BatchNormalization: renorm, virtual batches, adjustment --------------------------------------
def _train_steps(xs, layer, fetch_weights=True):
    """Builds ``layer`` on a [None, ...] input, runs it in training (the learning phase fed)
    with its updates on each batch; returns the outputs, the inference output on the last
    batch and the weights by name."""
    x = tf.placeholder(tf.float32, [None] + list(xs[0].shape[1:]))
    y = layer(x)
    phase = backend.learning_phase()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        outs = [sess.run([y] + layer.updates, {x: xv, phase: True})[0] for xv in xs]
        inferred = sess.run(y, {x: xs[-1], phase: False})
        values = {v.op.name.split("/")[-1]: sess.run(v) for v in layer.weights}
    return outs, inferred, values


def _batches(shape, steps, seed=0):
    rng = _rng(seed)
    return [(rng.standard_normal(shape) * 3 + 1).astype(np.float32) for _ in range(steps)]


def test_renorm_training_inference_and_statistics_match_numpy():
    """Batch renorm as TF's layer: r and d from the renorm averages before the step (clipped),
    which move by 1 - renorm_momentum; the inference averages by 1 - momentum, toward the
    batch mean and stddev (moving_variance = moving_stddev^2 - eps)."""
    xs = _batches((8, 3), 3)
    layer = L.BatchNormalization(momentum=0.9, renorm=True, renorm_clipping=CLIP,
                                 renorm_momentum=0.8)
    outs, inferred, values = _train_steps(xs, layer)
    assert len(layer.updates) == 2
    expected = check_renorm_steps(xs, outs)
    moving_mean, moving_std = expected["moving_mean"], expected["moving_stddev"]
    assert list(values) == list(expected)  # TF's order
    for name, want in expected.items():
        np.testing.assert_allclose(values[name], want, rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(inferred, (xs[-1] - moving_mean) / moving_std, rtol=1e-4,
                               atol=1e-4)
    assert [v.name for v in layer.non_trainable_weights] == [
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0",
        "batch_normalization/moving_stddev:0", "batch_normalization/renorm_mean:0",
        "batch_normalization/renorm_stddev:0"]


def test_renorm_stddev_initializers_are_the_variance_initializers_square_root():
    layer = L.BatchNormalization(renorm=True, moving_variance_initializer="zeros",
                                 moving_mean_initializer=tf.keras.initializers.Constant(2.0))
    layer(tf.placeholder(tf.float32, [None, 4, 2]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run({v.op.name.split("/")[-1]: v for v in layer.weights})
    assert values["moving_stddev"].tolist() == [0.0, 0.0]
    assert values["renorm_stddev"].tolist() == [0.0, 0.0]
    assert values["renorm_mean"].tolist() == [2.0, 2.0]
    assert layer.renorm_clipping == {}  # None as TF: no clipping


def test_virtual_batches_match_numpy():
    """Ghost batches as TF1: [8, 3] seen as [2, 4, 3] (virtual batch j holds examples j and
    j + 4), each normalised by its moments; the averages move by their mean; parameters of
    shape [1, 1, 3]; inference by the averages."""
    xs = _batches((8, 3), 2)
    layer = L.BatchNormalization(momentum=0.9, virtual_batch_size=2)
    outs, inferred, values = _train_steps(xs, layer)
    moving_mean, moving_var = check_virtual_batch_steps(xs, outs)
    assert {k: v.shape for k, v in values.items()} == {k: (1, 1, 3) for k in (
        "gamma", "beta", "moving_mean", "moving_variance")}
    np.testing.assert_allclose(values["moving_mean"].reshape(3), moving_mean, rtol=1e-4)
    np.testing.assert_allclose(values["moving_variance"].reshape(3), moving_var, rtol=1e-4)
    np.testing.assert_allclose(inferred, (xs[-1] - moving_mean) / np.sqrt(moving_var + EPS),
                               rtol=1e-4, atol=1e-4)
    config = layer.get_config()
    assert config["virtual_batch_size"] == 2 and config["axis"] == [1]
    assert "renorm" not in config


def test_adjustment_scales_and_shifts_in_training_only():
    xv = _batches((6, 2), 1)[0]
    x = tf.placeholder(tf.float32, [None, 2])
    flag = tf.placeholder(tf.bool, [])
    adj = lambda shape: (tf.constant([2.0, 0.5]), tf.constant([1.0, -1.0]))  # noqa: E731
    layer = L.BatchNormalization(adjustment=adj,
                                 gamma_initializer=tf.keras.initializers.Constant(3.0))
    y = layer(x, training=flag)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        trained, inferred = sess.run(y, {x: xv, flag: True}), sess.run(y, {x: xv, flag: False})
    normalised = (xv - xv.mean(0)) / np.sqrt(xv.var(0) + EPS)
    np.testing.assert_allclose(trained, (normalised * [2.0, 0.5] + [1.0, -1.0]) * 3.0,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(inferred, xv / np.sqrt(1 + EPS) * 3.0, rtol=1e-4, atol=1e-4)
    assert "adjustment" not in layer.get_config()


def test_renorm_never_fuses_and_round_trips_through_its_config():
    layer = L.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0}, fused=True,
                                 renorm_momentum=0.5)
    layer(tf.placeholder(tf.float32, [None, 2, 2, 3]), training=True)
    graph = tf.get_default_graph()
    assert not [op for op in graph.get_operations() if op.type.startswith("FusedBatch")]
    config = layer.get_config()
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == \
        (True, {"rmax": 2.0}, 0.5)
    again = L.BatchNormalization.from_config(config)
    again(tf.placeholder(tf.float32, [None, 2, 2, 3]))
    assert [w.shape.as_list() for w in again.weights] == [[3]] * 7


def test_a_model_with_renorm_and_ghost_batches_fits_and_reloads():
    K = minitf.keras
    model = K.Sequential([K.layers.Dense(4, input_shape=(3,)),
                          K.layers.BatchNormalization(renorm=True),
                          K.layers.BatchNormalization(virtual_batch_size=2),
                          K.layers.Dense(1)])
    model.compile("sgd", "mse")
    rng = _rng(3)
    x = rng.random((16, 3)).astype(np.float32)
    model.fit(x, rng.random((16, 1)).astype(np.float32), batch_size=8, epochs=2, verbose=0)
    renorm_mean = backend.get_session().run(model.layers[1].renorm_mean)
    assert np.abs(renorm_mean).sum() > 0  # fit ran the renorm updates
    # the config round trip (load_model's; TF's shifted ghost-batch axis would break it)
    again = K.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, batch_size=8), model.predict(x, batch_size=8),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw, shape, pattern", [
    ({"virtual_batch_size": 0}, [8, 3], "virtual_batch_size must be a positive integer"),
    ({"virtual_batch_size": 2, "axis": 0}, [8, 3], "axis cannot include 0"),
    ({"virtual_batch_size": 2, "adjustment": lambda s: (1.0, 0.0)}, [8, 3],
     "adjustment cannot be specified"),
])
def test_bad_virtual_batch_arguments_raise_at_build(kw, shape, pattern):
    layer = L.BatchNormalization(**kw)  # as TF: checked in build
    with pytest.raises(ValueError, match=pattern):
        layer(tf.placeholder(tf.float32, shape))


def test_bad_renorm_clipping_keys_raise_at_construction():
    with pytest.raises(ValueError, match="contains keys not in"):
        L.BatchNormalization(renorm=True, renorm_clipping={"rmx": 1.0})


# -- side by side with tf_keras' v1 layers --------------------------------------------------------
SCRIPT = r'''"""Side by side: minitf.keras.layers.Conv2DTranspose (dilated) and BatchNormalization
(renorm / virtual batches / adjustment) against tf.compat.v1.keras.layers in TF1 graph mode.
One line per case, OK or DIFF."""
import sys

import numpy as np
import tensorflow.compat.v1 as tf1

import minitf as mtf
import minitf.keras  # noqa: F401

tf1.disable_v2_behavior()  # TF 1.15's behaviour (legacy ghost-batch reshape too)
CLIP = {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3}


def same(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-4)
    return a == b


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ListWrapper":
        return [plain(v) for v in value]
    return value


def conv(T, kw, shape, dynamic):
    rng = np.random.default_rng(0)
    graph = T.Graph()
    with graph.as_default():
        first = kw.get("data_format") == "channels_first"
        spec = list(shape) if not dynamic else (
            [None, shape[1], None, None] if first else [None, None, None, shape[-1]])
        x = T.placeholder(T.float32, spec)
        layer = T.keras.layers.Conv2DTranspose(**kw)
        y = layer(x)
        w = T.placeholder(T.float32, None)
        grads = T.gradients(T.reduce_sum(y * w), [x] + layer.trainable_weights)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            for v in layer.weights:
                v.load(rng.normal(size=v.shape.as_list()).astype(np.float32), sess)
            xv = rng.normal(size=shape).astype(np.float32)
            out = sess.run(y, {x: xv})
            wv = rng.normal(size=out.shape).astype(np.float32)
            values = sess.run([y] + grads, {x: xv, w: wv})
        # initializers are serialized in another form (not what is compared here)
        config = {k: v for k, v in plain(layer.get_config()).items()
                  if not k.endswith("_initializer")}
        return values, y.shape.as_list(), \
            T.TensorShape(layer.compute_output_shape(x.shape)).as_list(), \
            [v.name for v in layer.weights], config


CONV = [
    (dict(filters=2, kernel_size=3, dilation_rate=2), (2, 1, 1, 3)),
    (dict(filters=2, kernel_size=3, dilation_rate=2), (2, 4, 5, 3)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (2, 4, 5, 3)),
    (dict(filters=3, kernel_size=(2, 3), dilation_rate=3, padding="same"), (1, 3, 4, 2)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, output_padding=0), (2, 4, 5, 3)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, output_padding=0, padding="same"),
     (2, 4, 5, 3)),
    (dict(filters=2, kernel_size=2, dilation_rate=2, data_format="channels_first",
          activation="relu"), (2, 3, 4, 5)),
]
for kw, shape in CONV:
    for dynamic in (False, True):
        try:
            theirs, ours = conv(tf1, kw, shape, dynamic), conv(mtf, kw, shape, dynamic)
        except Exception as e:  # noqa: BLE001
            print("conv", kw, dynamic, "FAIL", type(e).__name__, e)
            continue
        ok = same(theirs[0], ours[0]) and theirs[1:] == ours[1:]
        print("conv", sorted(kw.items()), shape, dynamic,
              "OK" if ok else f"DIFF {theirs[1:]} {ours[1:]}")


def bn(T, kw, shape, kind, steps=3):
    rng = np.random.default_rng(1)
    kw = dict(kw)
    if kw.get("adjustment") == "const":
        c = shape[-1]
        kw["adjustment"] = lambda s: (T.constant(np.linspace(0.9, 1.1, c), T.float32),
                                      T.constant(np.linspace(-0.2, 0.2, c), T.float32))
    graph = T.Graph()
    with graph.as_default():
        x = T.placeholder(T.float32, [None] + list(shape[1:]))
        layer = T.keras.layers.BatchNormalization(momentum=0.9, **kw)
        flag = T.placeholder(T.bool, []) if kind == "tensor" else None
        if kind == "phase":  # the learning phase, as fit has it
            flag = T.keras.backend.learning_phase()
            y = layer(x)
        else:
            y = layer(x, training=flag if kind == "tensor" else kind)
        loss = T.reduce_sum(y * y * T.constant(np.linspace(-1, 2, shape[-1]), T.float32))
        train = T.train.GradientDescentOptimizer(0.1).minimize(loss)
        updates = layer.updates
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            outs = []
            for _ in range(steps):
                xv = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
                feed = {x: xv} if flag is None else {x: xv, flag: True}
                outs.append(sess.run([y, train] + updates, feed)[0])
            if flag is not None:  # inference after training
                outs.append(sess.run(y, {x: xv, flag: False}))
            values = sess.run(layer.weights)
        config = plain(layer.get_config())
        keep = ("axis", "momentum", "epsilon", "renorm", "renorm_clipping", "renorm_momentum",
                "virtual_batch_size", "adjustment")
        config = {k: v for k, v in config.items() if k in keep}
        return outs, values, [v.name for v in layer.weights], \
            [v.name for v in layer.trainable_weights], len(updates), y.shape.as_list(), config


BN = [
    ({"renorm": True, "renorm_clipping": CLIP, "renorm_momentum": 0.8}, (8, 3), True),
    ({"renorm": True, "renorm_clipping": CLIP, "renorm_momentum": 0.8}, (8, 3), "tensor"),
    ({"renorm": True, "renorm_clipping": {"rmax": 1.5}}, (8, 3), "phase"),
    ({"renorm": True}, (4, 2, 2, 3), True),
    ({"renorm": True, "renorm_clipping": CLIP, "fused": True}, (4, 2, 2, 3), "tensor"),
    ({"renorm": True, "renorm_clipping": CLIP, "axis": 1, "center": False},
     (4, 3, 2, 2), True),
    ({"renorm": True, "renorm_clipping": CLIP}, (8, 3), False),
    ({"virtual_batch_size": 2}, (8, 3), True),
    ({"virtual_batch_size": 4}, (8, 3), "tensor"),
    ({"virtual_batch_size": 4}, (8, 2, 2, 3), "phase"),
    ({"virtual_batch_size": 2, "renorm": True, "renorm_clipping": CLIP}, (8, 3), True),
    ({"adjustment": "const"}, (8, 3), True),
    ({"adjustment": "const", "renorm": True}, (8, 3), "tensor"),
    ({"adjustment": "const"}, (4, 2, 2, 3), "phase"),
]
for kw, shape, kind in BN:
    try:
        theirs, ours = bn(tf1, kw, shape, kind), bn(mtf, kw, shape, kind)
    except Exception as e:  # noqa: BLE001
        print("bn", sorted(kw), kind, "FAIL", type(e).__name__, e)
        continue
    if kw.get("virtual_batch_size"):  # TF shifts axis in build (keras-team/keras#16713)
        theirs[-1]["axis"] = [a - 1 for a in theirs[-1]["axis"]]
    ok = same(theirs[0], ours[0]) and same(theirs[1], ours[1]) and theirs[2:] == ours[2:]
    print("bn", sorted(kw), shape, kind, "OK" if ok else f"DIFF {theirs[2:]} {ours[2:]}")


def error(T, kw, shape):
    graph = T.Graph()
    with graph.as_default():
        try:
            T.keras.layers.BatchNormalization(**kw)(T.placeholder(T.float32, shape))
        except ValueError as e:
            return str(e).replace("`", "")
    return None


ERRORS = [
    ({"virtual_batch_size": 0}, [8, 3], "virtual_batch_size must be a positive integer"),
    ({"virtual_batch_size": 2, "axis": 0}, [8, 3], "axis cannot include 0"),
    ({"virtual_batch_size": 2, "adjustment": lambda s: (1.0, 0.0)}, [8, 3],
     "adjustment cannot be specified"),
    ({"renorm": True, "renorm_clipping": {"x": 1}}, [8, 3], "renorm_clipping"),
]
for kw, shape, phrase in ERRORS:
    theirs, ours = error(tf1, kw, shape), error(mtf, kw, shape)
    ok = theirs is not None and ours is not None and phrase in theirs and phrase in ours
    print("error", sorted(kw), "OK" if ok else f"DIFF {theirs} {ours}")
sys.stdout.flush()
'''
CASES_VS_TF = 14 + 14 + 4


def test_conv_transpose_dilation_and_batch_norm_renorm_match_tf_keras(tmp_path):
    run_against_tf("keras_conv_bn_gaps_vs_tf.py", CASES_VS_TF, SCRIPT, tmp_path)
