"""Batch renormalization, ghost (virtual) batches and ``adjustment`` in tf.layers'
batch_normalization and tf.contrib.layers.batch_norm: against numpy (always) and side by
side with tf.compat.v1's legacy layer and tf_slim's batch_norm (when TensorFlow is here)."""


import numpy as np
import pytest

import minitf as tf

from .legacy_tf import run_against_tf

EPS = 1e-3
CLIP = {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3}


def _batches(shape, steps, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape) * 3 + 1).astype(np.float32) for _ in range(steps)]


def _layer_steps(xs, **kw):
    """Runs the layer (training) and its updates on each batch; returns the outputs and the
    variables by name."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None] + list(xs[0].shape[1:]))
        y = tf.layers.batch_normalization(x, training=True, momentum=0.9, **kw)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            outs = [sess.run([y] + updates, {x: xv})[0] for xv in xs]
            values = {v.op.name.split("/")[-1]: sess.run(v) for v in tf.global_variables()}
    return outs, values


def check_renorm_steps(xs, outs):
    """Batch renorm by hand (CLIP, momentum 0.9, renorm_momentum 0.8; gamma 1, beta 0): each
    training output against r and d from the renorm averages before the step (clipped), which
    move by 1 - renorm_momentum, while the inference averages move toward the batch mean and
    stddev. Returns the variables' expected values (the variance as moving_stddev^2 - eps), in
    TF's order."""
    renorm_mean, renorm_std = np.zeros(3), np.ones(3)
    moving_mean, moving_std = np.zeros(3), np.ones(3)
    clipped = False
    for xv, out in zip(xs, outs):
        mean, var = xv.mean(0), xv.var(0)
        std = np.sqrt(var + EPS)
        r = std / np.maximum(renorm_std, np.sqrt(EPS))
        d = (mean - renorm_mean) / np.maximum(renorm_std, np.sqrt(EPS))
        clipped |= bool((r > 1.2).any() or (np.abs(d) > 0.3).any())
        r, d = np.clip(r, 0.8, 1.2), np.clip(d, -0.3, 0.3)
        np.testing.assert_allclose(out, (xv - mean) / std * r + d, rtol=1e-4, atol=1e-4)
        renorm_mean += (mean - renorm_mean) * 0.2
        renorm_std += (std - renorm_std) * 0.2
        moving_mean += (mean - moving_mean) * 0.1
        moving_std += (std - moving_std) * 0.1
    assert clipped  # the clipping was active
    return {"gamma": np.ones(3), "beta": np.zeros(3), "moving_mean": moving_mean,
            "moving_variance": moving_std ** 2 - EPS, "moving_stddev": moving_std,
            "renorm_mean": renorm_mean, "renorm_stddev": renorm_std}


def check_virtual_batch_steps(xs, outs):
    """Ghost batches of 2 by hand (momentum 0.9, gamma 1, beta 0): each [8, 3] training output
    against [2, 4, 3]'s virtual batches normalised by their moments; returns the moving mean
    and variance, which move by the virtual batches' mean."""
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for xv, out in zip(xs, outs):
        v = xv.reshape(2, 4, 3)
        mean, var = v.mean(0, keepdims=True), v.var(0, keepdims=True)
        np.testing.assert_allclose(out, ((v - mean) / np.sqrt(var + EPS)).reshape(8, 3),
                                   rtol=1e-4, atol=1e-4)
        moving_mean += (mean.mean(1)[0] - moving_mean) * 0.1
        moving_var += (var.mean(1)[0] - moving_var) * 0.1
    return moving_mean, moving_var


def test_renorm_training_steps_match_numpy():
    """Batch renorm (arXiv 1702.03275) as TF's layer does it, by hand: r and d from the renorm
    averages before the step (clipped), which move by 1 - renorm_momentum; the inference
    averages move toward the batch mean and stddev (the variance as moving_stddev^2 - eps)."""
    xs = _batches((8, 3), 3)
    outs, values = _layer_steps(xs, renorm=True, renorm_clipping=CLIP, renorm_momentum=0.8)
    expected = check_renorm_steps(xs, outs)
    assert sorted(values) == sorted(expected)
    for name, want in expected.items():
        np.testing.assert_allclose(values[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_virtual_batches_match_numpy():
    """Ghost batches as TF1: [8, 3] seen as [2, 4, 3] (TF1's legacy order, so virtual batch j
    holds examples j and j + 4), each normalised by its moments; the averages move by their
    mean; parameters of shape [1, 1, 3]."""
    xs = _batches((8, 3), 2)
    outs, values = _layer_steps(xs, virtual_batch_size=2)
    moving_mean, moving_var = check_virtual_batch_steps(xs, outs)
    assert values["gamma"].shape == (1, 1, 3)
    np.testing.assert_allclose(values["moving_mean"].reshape(3), moving_mean, rtol=1e-4)
    np.testing.assert_allclose(values["moving_variance"].reshape(3), moving_var, rtol=1e-4)


def test_adjustment_scales_and_shifts_the_normalised_values_in_training():
    xv = _batches((6, 2), 1)[0]
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(xv)
        flag = tf.placeholder(tf.bool, [])
        adj = lambda shape: (tf.constant([2.0, 0.5]), tf.constant([1.0, -1.0]))  # noqa: E731
        y = tf.layers.batch_normalization(x, training=flag, adjustment=adj,
                                          gamma_initializer=tf.constant_initializer(3.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            trained, inferred = sess.run(y, {flag: True}), sess.run(y, {flag: False})
    normalised = (xv - xv.mean(0)) / np.sqrt(xv.var(0) + EPS)
    np.testing.assert_allclose(trained, (normalised * [2.0, 0.5] + [1.0, -1.0]) * 3.0,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(inferred, xv / np.sqrt(1 + EPS) * 3.0, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [{"renorm": True, "fused": True},
                                {"virtual_batch_size": 2, "fused": True},
                                {"adjustment": lambda s: (1.0, 0.0)}])
def test_renorm_and_virtual_batches_never_fuse(kw):
    """TF1's layer drops an explicit fused=True with renorm, ghost batches or an adjustment
    (only Keras' V2 layer raises): the composed ops, no FusedBatchNormV3."""
    graph = tf.Graph()
    with graph.as_default():
        tf.layers.batch_normalization(tf.placeholder(tf.float32, [4, 2, 2, 3]), training=True,
                                      **kw)
        assert not [op for op in graph.get_operations() if op.type.startswith("FusedBatch")]


@pytest.mark.parametrize("shape, kw, pattern", [
    ([8, 3], {"virtual_batch_size": 0}, "virtual_batch_size must be a positive integer"),
    ([8, 3], {"virtual_batch_size": 2, "axis": 0}, "axis cannot include 0"),
    ([8, 3], {"virtual_batch_size": 2, "adjustment": lambda s: (1.0, 0.0)},
     "adjustment cannot be specified"),
    ([8, 3], {"renorm": True, "renorm_clipping": {"rmx": 1.0}}, "contains keys not in"),
    ([10, 3], {"virtual_batch_size": 4}, "evenly divisible by 12 but is 30"),
])
def test_bad_arguments_raise_value_errors(shape, kw, pattern):
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=pattern):
            tf.layers.batch_normalization(tf.placeholder(tf.float32, shape), training=True,
                                          **kw)


def test_virtual_batch_size_not_dividing_a_fed_batch_fails_at_run_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.layers.batch_normalization(x, training=True, virtual_batch_size=4)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(y, {x: np.ones((8, 3), np.float32)}).shape == (8, 3)
            with pytest.raises(tf.errors.InvalidArgumentError, match="12"):
                sess.run(y, {x: np.ones((10, 3), np.float32)})


def test_contrib_batch_norm_renorm_without_the_layer_path_raises():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="renorm is not supported with batch_weights"):
            tf.contrib.layers.batch_norm(tf.placeholder(tf.float32, [4, 3]), renorm=True,
                                         updates_collections=None)


# Side by side with tf.compat.v1.layers.batch_normalization (tf_keras' legacy layer), in a
# process of its own (TF_USE_LEGACY_KERAS must be set before TensorFlow is imported).
SCRIPT = r'''"""Side by side: minitf's tf.layers.batch_normalization with renorm / virtual batches /
adjustment against tf.compat.v1's (tf_keras legacy layer). One line per case, OK or DIFF."""
import re
import sys

import numpy as np
import tensorflow.compat.v1 as tf1

import minitf as mtf

tf1.disable_v2_behavior()
CLIP = {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3}


def run(T, shape, kind, kw, steps=3, seed=0):
    rng = np.random.default_rng(seed)
    kw = dict(kw)
    if kw.get("adjustment") == "const":
        c = shape[-1] if kw.get("axis", -1) == -1 else shape[1]
        kw["adjustment"] = lambda s: (T.constant(np.linspace(0.9, 1.1, c), T.float32),
                                      T.constant(np.linspace(-0.2, 0.2, c), T.float32))
    if kw.get("moving_variance_initializer") == "zeros":
        kw["moving_variance_initializer"] = T.zeros_initializer()
    graph = T.Graph()
    with graph.as_default():
        x = T.placeholder(T.float32, [None] + list(shape[1:]))
        training = T.placeholder(T.bool, []) if kind == "tensor" else kind
        y = T.layers.batch_normalization(x, training=training, momentum=0.9, **kw)
        loss = T.reduce_sum(y * y * T.constant(np.linspace(-1, 2, shape[-1]), T.float32))
        train = T.train.GradientDescentOptimizer(0.1).minimize(loss) \
            if T.trainable_variables() else T.no_op()
        updates = T.get_collection(T.GraphKeys.UPDATE_OPS)
        names = [v.op.name for v in T.global_variables()]
        # a tensor ``training`` makes TF's updates cond Merges: compare their number only
        update_names = [u.name for u in updates] if kind != "tensor" else len(updates)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            outs = []
            for _ in range(steps):
                xv = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
                feed = {x: xv}
                if kind == "tensor":
                    feed[training] = True
                outs.append(sess.run([y, train] + updates, feed)[0])
            if kind == "tensor":
                outs.append(sess.run(y, {x: xv, training: False}))
            values = sess.run(T.global_variables())
    return outs, values, names, update_names, y.shape.as_list(), y.op.type == "FusedBatchNormV3"


CASES = [
    ((8, 3), True, {"renorm": True, "renorm_clipping": CLIP, "renorm_momentum": 0.8}),
    ((8, 3), "tensor", {"renorm": True, "renorm_clipping": CLIP, "renorm_momentum": 0.8}),
    ((8, 3), True, {"renorm": True}),
    ((8, 3), True, {"renorm": True, "renorm_clipping": {"rmax": 2.0}, "center": False,
                    "scale": False, "moving_variance_initializer": "zeros"}),
    ((4, 2, 2, 3), True, {"renorm": True, "renorm_clipping": CLIP, "fused": True}),
    ((4, 2, 2, 3), True, {"renorm": True, "renorm_clipping": CLIP}),
    ((4, 3, 2, 2), "tensor", {"renorm": True, "renorm_clipping": CLIP, "axis": 1,
                              "fused": False}),
    ((8, 3), True, {"virtual_batch_size": 2}),
    ((8, 3), "tensor", {"virtual_batch_size": 4}),
    ((8, 3), False, {"virtual_batch_size": 4}),
    ((8, 2, 2, 3), True, {"virtual_batch_size": 2}),
    ((8, 2, 2, 3), True, {"virtual_batch_size": 4, "fused": True}),
    ((8, 3), True, {"virtual_batch_size": 2, "renorm": True, "renorm_clipping": CLIP}),
    ((8, 3), True, {"adjustment": "const"}),
    ((8, 3), "tensor", {"adjustment": "const", "renorm": True}),
    ((4, 2, 2, 3), True, {"adjustment": "const", "fused": None}),
]

for shape, kind, kw in CASES:
    try:
        theirs, ours = run(tf1, shape, kind, kw), run(mtf, shape, kind, kw)
    except Exception as e:  # noqa: BLE001
        print(shape, kind, kw, "FAIL", type(e).__name__, e)
        continue
    same = len(theirs[0]) == len(ours[0]) and len(theirs[1]) == len(ours[1]) and all(
        np.allclose(a, b, rtol=1e-4, atol=1e-4)
        for a, b in zip(theirs[0] + theirs[1], ours[0] + ours[1]))
    same = same and theirs[2:] == ours[2:]
    print(shape, kind, sorted(kw), "OK" if same else f"DIFF {theirs[2:]} {ours[2:]}")
sys.stdout.flush()


def error(T, shape, kw, feed_batch=None):
    """The error class and message building (and, with ``feed_batch``, running) the layer."""
    graph = T.Graph()
    with graph.as_default():
        x = T.placeholder(T.float32, shape)
        try:
            y = T.layers.batch_normalization(x, training=True, **kw)
            if feed_batch is None:
                return None
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                sess.run(y, {x: np.ones([feed_batch] + shape[1:], np.float32)})
        except Exception as e:  # noqa: BLE001
            return [c.__name__ for c in type(e).__mro__], str(e).replace("`", "")
    return None


ERRORS = [
    ([8, 3], {"virtual_batch_size": 0}, None, "virtual_batch_size must be a positive integer"),
    ([8, 3], {"virtual_batch_size": 2, "axis": 0}, None, "axis cannot include 0"),
    ([8, 3], {"virtual_batch_size": 2, "adjustment": lambda s: (1.0, 0.0)}, None,
     "adjustment cannot be specified"),
    ([8, 3], {"renorm": True, "renorm_clipping": {"x": 1}}, None, "renorm_clipping"),
    ([10, 3], {"virtual_batch_size": 4}, None, "12"),
    ([None, 3], {"virtual_batch_size": 4}, 10, "12"),
]
for shape, kw, batch, phrase in ERRORS:
    theirs, ours = error(tf1, shape, kw, batch), error(mtf, shape, kw, batch)
    ok = theirs is not None and ours is not None and theirs[0][0] in ours[0] and \
        phrase in theirs[1] and phrase in ours[1]
    print("error", shape, sorted(kw), "OK" if ok else f"DIFF {theirs} {ours}")
'''


def test_layers_batch_norm_renorm_and_virtual_batches_match_tf(tmp_path):
    run_against_tf("renorm_vs_tf.py", 22, SCRIPT, tmp_path)

@pytest.mark.parametrize("kw", [
    {"renorm": True, "renorm_clipping": CLIP, "renorm_decay": 0.8, "decay": 0.9},
    {"renorm": True, "renorm_clipping": {"rmax": 1.5}, "scale": True, "fused": True},
    {"renorm": True, "data_format": "NCHW", "fused": False, "decay": 0.7},
    {"renorm": True, "adjustment": "const", "scale": True},
])
@pytest.mark.parametrize("rank", [2, 4])
def test_contrib_batch_norm_renorm_matches_tf_slim(kw, rank):
    pytest.importorskip("tf_slim")
    from tests.core.contrib import test_layers_tf as side

    x = side.X4 if rank == 4 else side.X2
    if kw.get("data_format") == "NCHW" and rank == 2:
        pytest.skip("NCHW is 4-D")

    def build(fw, L):
        args = dict(kw)
        if args.get("adjustment") == "const":
            c = x.shape[-1]
            args["adjustment"] = lambda s: (fw.constant(np.linspace(0.9, 1.1, c), fw.float32),
                                            fw.constant(np.linspace(-0.2, 0.2, c), fw.float32))
        y = L.batch_norm(fw.constant(x), **args)
        weights = np.cos(np.arange(x.size)).reshape(x.shape).astype(np.float32)
        loss = fw.reduce_sum(y * weights + 0.1 * y * y)
        train = fw.train.GradientDescentOptimizer(0.05).minimize(loss)
        updates = fw.get_collection(fw.GraphKeys.UPDATE_OPS)
        return {"fetch": [y], "grad": True, "train": [train] + updates}
    side.both(build, steps=3, rtol=1e-4, atol=1e-4)
