"""tf.layers.batch_normalization on TF's fused kernel: when TF1's layer takes the fused path
(FusedBatchNormV3 for 4-D float16/float32 inputs normalised over the channel axis, unless
fused=False; TF 1.15 never fuses 5-D, where TF 2 / tf_keras do) and when it does not; outputs
and moving averages against numpy; the second derivative (a WGAN-GP gradient penalty through
the layer) against finite differences of the closed-form first derivative, and its invariance
to a per-channel shift of the input; and (with tensorflow and tf_keras installed) all of it
against tf.compat.v1's layer."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf

EPS = 1e-3


def _types(graph=None):
    return [op.type for op in (graph or tf.get_default_graph()).get_operations()]


def _fused_ops(graph=None):
    return [op for op in (graph or tf.get_default_graph()).get_operations()
            if op.type.startswith("FusedBatchNorm")]


def _reference(x, axis, gamma, beta, eps=EPS):
    """Batch-normalised x over all axes but ``axis`` (float64), the batch mean and the biased
    and Bessel-corrected batch variances."""
    x = x.astype(np.float64)
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean, var = x.mean(red), x.var(red)
    n = x.size / x.shape[axis]
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * \
        gamma.reshape(shape) + beta.reshape(shape)
    return y, mean, var, var * n / (n - 1)


# -- which path ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, axis, fmt", [((2, 4, 4, 3), -1, "NHWC"),
                                               ((2, 3, 4, 4), 1, "NCHW"),
                                               ((2, 3, 4, 4), -3, "NCHW")])
@pytest.mark.parametrize("fused", [None, True])
def test_fused_path_when_tf1_takes_it(shape, axis, fmt, fused):
    x = tf.placeholder(tf.float32, [None] + list(shape[1:]))
    y = tf.layers.batch_normalization(x, axis=axis, training=True, fused=fused)
    (op,) = _fused_ops()
    assert op.type == "FusedBatchNormV3" and y.op is op
    assert op.get_attr("data_format") == fmt.encode() and op.get_attr("is_training") is True
    assert op.get_attr("epsilon") == pytest.approx(EPS)
    assert [t.op.name for t in op.inputs[1:]] == [  # as TF1's graph
        "batch_normalization/gamma/read", "batch_normalization/beta/read",
        "batch_normalization/moving_mean/read", "batch_normalization/moving_variance/read"]
    assert y.shape.as_list() == [None] + list(shape[1:])
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert [u.name for u in updates] == ["batch_normalization/AssignMovingAvg",
                                         "batch_normalization/AssignMovingAvg_1"]
    assert all(isinstance(u, tf.Operation) and u.type == "AssignSub" for u in updates)
    assert [v.op.name for v in tf.global_variables()] == [
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]


@pytest.mark.parametrize("shape, axis, dtype, kwargs", [
    ((2, 4, 4, 3), -1, tf.float32, {"fused": False}),
    ((2, 4, 4, 3), 2, tf.float32, {}),  # not a channel axis
    ((2, 4, 4, 3), 2, tf.float32, {"fused": True}),  # TF1 falls back without a word
    ((2, 3, 4, 4, 3), 3, tf.float32, {}),
    ((2, 2, 3, 3, 3), -1, tf.float32, {}),  # TF 1.15 fuses rank 4 only
    ((2, 3, 2, 3, 3), 1, tf.float32, {"fused": True}),  # ... and drops fused=True silently
    ((2, 4, 4, 3), [1, 3], tf.float32, {}),
    ((2, 4, 4, 3), -1, tf.float64, {}),  # the fused kernel is float16/32 (TF1's rule)
    ((4, 3), -1, tf.float32, {}),
    ((2, 4, 3), -1, tf.float32, {"fused": True}),
])
def test_composed_path_otherwise(shape, axis, dtype, kwargs):
    x = tf.placeholder(dtype, shape)
    tf.layers.batch_normalization(x, axis=axis, training=True, **kwargs)
    assert _fused_ops() == []
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2


def test_inference_is_one_fused_op_on_the_moving_averages_without_updates():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    mm, mv = rng.standard_normal(3), rng.random(3) + 0.5
    gamma, beta = rng.random(3) + 0.5, rng.standard_normal(3)
    x = tf.constant(xv)
    y = tf.layers.batch_normalization(
        x, axis=1, training=tf.constant(False),  # a constant tensor decides now (smart_cond)
        gamma_initializer=tf.constant_initializer(gamma),
        beta_initializer=tf.constant_initializer(beta),
        moving_mean_initializer=tf.constant_initializer(mm),
        moving_variance_initializer=tf.constant_initializer(mv))
    (op,) = _fused_ops()
    assert op.get_attr("is_training") is False and op.get_attr("data_format") == b"NCHW"
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    assert "SelectV2" not in _types() and "Select" not in _types()
    b = (1, 3, 1, 1)
    want = (xv - mm.reshape(b)) / np.sqrt(mv.reshape(b) + EPS) * gamma.reshape(b) + \
        beta.reshape(b)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y), want, rtol=1e-5, atol=1e-5)


def test_without_scale_and_center_the_fused_op_takes_constants():
    x = tf.placeholder(tf.float32, [2, 4, 4, 3])
    tf.layers.batch_normalization(x, training=True, scale=False, center=False)
    (op,) = _fused_ops()
    assert [t.op.type for t in op.inputs[1:3]] == ["Const", "Const"]
    assert [v.op.name for v in tf.global_variables()] == [
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    xv = np.random.default_rng(2).standard_normal((2, 4, 4, 3)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(op.outputs[0], {x: xv})
    want = _reference(xv, -1, np.ones(3), np.zeros(3))[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# -- values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, axis", [((4, 3, 3, 2), -1), ((4, 2, 3, 3), 1),
                                         ((2, 2, 3, 3, 2), -1)])
@pytest.mark.parametrize("kind", [True, "tensor"])
def test_outputs_and_moving_averages_over_steps(shape, axis, kind):
    """Three training steps (momentum 0.9): y from the batch statistics; the averages move by
    ``avg -= (avg - stat) * 0.1`` with the batch mean and the variance (Bessel-corrected on
    the fused 4-D path; biased on TF 1.15's composed path, which 5-D takes); then a
    ``training`` tensor fed False normalises by the averages and leaves them."""
    rng = np.random.default_rng(3)
    c = shape[axis]
    gamma, beta = rng.random(c) + 0.5, rng.standard_normal(c)
    x = tf.placeholder(tf.float32, [None] + list(shape[1:]))
    training = tf.placeholder(tf.bool) if kind == "tensor" else True
    y = tf.layers.batch_normalization(x, axis=axis, training=training, momentum=0.9,
                                      gamma_initializer=tf.constant_initializer(gamma),
                                      beta_initializer=tf.constant_initializer(beta))
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    mm_var, mv_var = tf.global_variables()[2:]
    feed = {training: True} if kind == "tensor" else {}
    mm, mv = np.zeros(c), np.ones(c)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            xv = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
            got = sess.run([y] + updates, {x: xv, **feed})[0]
            want, mean, biased, unbiased = _reference(xv, axis, gamma, beta)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
            var = unbiased if len(shape) == 4 else biased
            mm, mv = mm - (mm - mean) * 0.1, mv - (mv - var) * 0.1
            np.testing.assert_allclose(sess.run(mm_var), mm, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(sess.run(mv_var), mv, rtol=1e-5, atol=1e-6)
        if kind == "tensor":
            got = sess.run([y] + updates, {x: xv, training: False})[0]
            b = [1] * len(shape)
            b[axis] = c
            want = (xv - mm.reshape(b)) / np.sqrt(mv.reshape(b) + EPS) * gamma.reshape(b) + \
                beta.reshape(b)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(sess.run(mm_var), mm, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(sess.run(mv_var), mv, rtol=1e-5, atol=1e-6)


def test_float16_input_keeps_float32_parameters():
    rng = np.random.default_rng(4)
    xv = rng.standard_normal((2, 4, 4, 3)).astype(np.float16)
    x = tf.placeholder(tf.float16, xv.shape)
    y = tf.layers.batch_normalization(x, training=True, momentum=0.0)
    (op,) = _fused_ops()
    assert op.inputs[0].dtype == tf.float16 and op.inputs[1].dtype == tf.float32
    assert y.dtype == tf.float16
    assert {v.dtype.base_dtype for v in tf.global_variables()} == {tf.float32}
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([y] + updates, {x: xv})[0]
        mv = sess.run(tf.global_variables()[3])
    want, _, _, unbiased = _reference(xv, -1, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(got.astype(np.float64), want, atol=1e-2)
    np.testing.assert_allclose(mv, unbiased, rtol=1e-3)


# -- the second derivative -------------------------------------------------------------------------


def _penalty_numpy(xv, w, gamma, axis):
    """sum(sin(dL/dx)) for L = sum(batch_norm(x) * w), from the closed-form dL/dx (float64)."""
    x = xv.astype(np.float64)
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean, var = x.mean(red, keepdims=True), x.var(red, keepdims=True)
    inv = 1 / np.sqrt(var + EPS)
    xhat = (x - mean) * inv
    g = gamma.reshape(shape) * inv * (w - w.mean(red, keepdims=True) -
                                      xhat * (w * xhat).mean(red, keepdims=True))
    return np.sin(g).sum(), g


@pytest.mark.parametrize("shape, axis", [((2, 4, 4, 3), -1), ((2, 3, 4, 4), 1)])
def test_gradient_penalty_matches_finite_differences_and_is_shift_invariant(shape, axis):
    """The WGAN-GP pattern: the gradient of a penalty on dy/dx. Its per-channel sums are 0
    (y does not change when a channel of x is shifted by a constant), which the composed
    path's stop_gradient shift (fused=False) does not give."""
    rng = np.random.default_rng(6)
    c = shape[axis]
    xv = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape)
    gamma = rng.random(c) + 0.5
    x = tf.placeholder(tf.float32, shape)
    y = tf.layers.batch_normalization(x, axis=axis, training=True,
                                      gamma_initializer=tf.constant_initializer(gamma))
    g = tf.gradients(tf.reduce_sum(y * tf.constant(w.astype(np.float32))), x)[0]
    gp = tf.gradients(tf.reduce_sum(tf.sin(g)), x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_g, got_gp = sess.run([g, gp], {x: xv})
    np.testing.assert_allclose(got_g, _penalty_numpy(xv, w, gamma, axis)[1],
                               rtol=1e-3, atol=1e-4)
    red = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    np.testing.assert_allclose(got_gp.sum(red), 0, atol=1e-4 * np.abs(got_gp).sum())
    h = 1e-5
    for _ in range(3):  # along random directions, from the float64 closed form
        d = rng.standard_normal(shape)
        numeric = (_penalty_numpy(xv + h * d, w, gamma, axis)[0] -
                   _penalty_numpy(xv - h * d, w, gamma, axis)[0]) / (2 * h)
        np.testing.assert_allclose((got_gp * d).sum(), numeric, rtol=2e-3, atol=1e-3)


def test_composed_path_penalty_is_not_shift_invariant():
    """fused=False builds from moments, as TF1's fused=False: its penalty differs (this is
    the difference the fused path removes; TF gives the same composed values)."""
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    x = tf.constant(xv)
    y = tf.layers.batch_normalization(x, training=True, fused=False)
    g = tf.gradients(tf.reduce_sum(y * tf.constant(rng.standard_normal(xv.shape),
                                                   tf.float32)), x)[0]
    gp = tf.gradients(tf.reduce_sum(tf.sin(g)), x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert np.abs(sess.run(gp).sum((0, 1, 2))).max() > 1e-2


# -- against TensorFlow ----------------------------------------------------------------------------

# One builder for both libraries (``T`` is tf.compat.v1 or minitf): three steps with the
# training updates, the first order and penalty gradients, the averages, and the graph.
_BUILD = textwrap.dedent("""
    import numpy as np

    def build(T, case, d):
        graph = T.Graph()
        with graph.as_default():
            dtype = T.float16 if case.get("half") else T.float32
            x = T.placeholder(dtype, d["x0"].shape)
            training = T.placeholder(T.bool, []) if case["training"] == "tensor" else \\
                case["training"]
            kw = {k: case[k] for k in ("fused", "scale", "center") if k in case}
            y = T.layers.batch_normalization(
                x, axis=case["axis"], training=training, momentum=0.9,
                gamma_initializer=T.constant_initializer(d["gamma"]),
                beta_initializer=T.constant_initializer(d["beta"]),
                moving_mean_initializer=T.constant_initializer(d["mm"]),
                moving_variance_initializer=T.constant_initializer(d["mv"]), **kw)
            updates = T.get_collection(T.GraphKeys.UPDATE_OPS)
            params = T.trainable_variables()
            fetch = {"y": y}
            if not case.get("half"):
                g = T.gradients(T.reduce_sum(y * T.constant(d["w"])), x)[0]
                penalty = T.reduce_sum(T.sin(g))
                fetch.update(g=g, gp=T.gradients(penalty, x)[0])
                for v, gv in zip(params, T.gradients(penalty, params)):
                    if gv is not None:  # beta: dy/dx does not depend on it
                        fetch["gp_" + v.op.name.split("/")[-1]] = gv
            moving = [v for v in T.global_variables() if "moving" in v.op.name]
            out = {}
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                for step in range(3):
                    feed = {x: d[f"x{step}"]}
                    if case["training"] == "tensor":
                        feed[training] = step < 2
                    got = sess.run([fetch, updates], feed)[0]
                    out.update({f"{k}{step}": v for k, v in got.items()})
                out["mm"], out["mv"] = sess.run(moving)
            types = {op.type for op in graph.get_operations()}
            for f in graph.as_graph_def().library.function:  # TF's cond branches
                types |= {node.op for node in f.node_def}
            info = {"fused": sorted(t for t in types if t.startswith("FusedBatchNorm")),
                    "updates": [u.name for u in updates],
                    "variables": [v.op.name for v in T.global_variables()]}
        return out, info
""")

_CASES = {
    "nhwc": dict(shape=(2, 4, 4, 3), axis=-1, training=True),
    "nchw": dict(shape=(2, 3, 4, 4), axis=1, training=True),
    "tensor": dict(shape=(2, 4, 4, 3), axis=-1, training="tensor"),
    "inference": dict(shape=(2, 4, 4, 3), axis=-1, training=False),
    "nchw_tensor": dict(shape=(2, 3, 4, 4), axis=1, training="tensor"),
    "composed": dict(shape=(2, 4, 4, 3), axis=-1, training=True, fused=False),
    # TF 2 fuses 5-D by default where TF 1.15 does not: fused=False is TF 1.15's default path
    # in both (the default itself is checked against numpy, test_outputs_and_moving_...)
    "ndhwc": dict(shape=(2, 2, 3, 3, 3), axis=-1, training=True, fused=False),
    "half": dict(shape=(2, 4, 4, 3), axis=-1, training=True, half=True),
    "plain": dict(shape=(2, 4, 4, 3), axis=-1, training=True, scale=False, center=False),
}

_TF_SCRIPT = _BUILD + textwrap.dedent("""
    import json, sys
    import tensorflow.compat.v1 as tf1
    tf1.disable_eager_execution()
    tf1.disable_resource_variables()
    cases = json.loads(sys.argv[1])
    results, infos = {}, {}
    for name, case in cases.items():
        d = dict(np.load(f"{sys.argv[2]}/{name}.npz"))
        out, infos[name] = build(tf1, case, d)
        results.update({f"{name}/{k}": v for k, v in out.items()})
    np.savez(f"{sys.argv[2]}/tf.npz", **results)
    print(json.dumps(infos))
""")


def _inputs(case, seed):
    rng = np.random.default_rng(seed)
    shape = case["shape"]
    c = shape[case["axis"]]
    dtype = np.float16 if case.get("half") else np.float32
    d = {f"x{i}": (rng.standard_normal(shape) * 2 + 1).astype(dtype) for i in range(3)}
    d.update(w=rng.standard_normal(shape).astype(np.float32),
             gamma=(rng.random(c) + 0.5).astype(np.float32),
             beta=rng.standard_normal(c).astype(np.float32),
             mm=rng.standard_normal(c).astype(np.float32),
             mv=(rng.random(c) + 0.5).astype(np.float32))
    return d


def test_layer_matches_tensorflow(tmp_path):
    """Values after each of three steps (outputs, gradient, penalty gradients with respect to
    x, gamma and beta), the averages, the fused op types, update ops and variable names."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("needs tensorflow and tf_keras")
    pytest.importorskip("tensorflow.compat.v1")
    import json

    inputs = {name: _inputs(case, i) for i, (name, case) in enumerate(_CASES.items())}
    for name, d in inputs.items():
        np.savez(tmp_path / f"{name}.npz", **d)
    cases = {k: {kk: vv for kk, vv in v.items() if kk != "shape"} for k, v in _CASES.items()}
    done = subprocess.run(
        [sys.executable, "-c", _TF_SCRIPT, json.dumps(cases), str(tmp_path)],
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    want_info = json.loads(done.stdout.strip().splitlines()[-1])
    want = dict(np.load(tmp_path / "tf.npz"))
    namespace: dict = {}
    exec(_BUILD, namespace)
    for name, case in cases.items():
        got, info = namespace["build"](tf, case, inputs[name])
        assert info == want_info[name], name
        assert sorted(got) == sorted(k.split("/", 1)[1] for k in want if
                                     k.startswith(name + "/")), name
        for key, value in got.items():
            ref = want[f"{name}/{key}"]
            tol = 2e-2 if case.get("half") else 1e-4
            np.testing.assert_allclose(
                value.astype(np.float64), ref.astype(np.float64), rtol=tol,
                atol=tol * max(1.0, float(np.abs(ref).max())), err_msg=f"{name}: {key}")
