"""tf.contrib.layers' layer functions side by side with tf_slim (TF1's contrib code on
tensorflow.compat.v1): values, gradients, variable names, collections and updates."""

import re
import types

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import layers as mlayers

slim = pytest.importorskip("tf_slim")
from tf_slim.layers import layers as _slim_layers, normalization as _slim_norm  # noqa: E402
tf1 = pytest.importorskip("tensorflow.compat.v1")
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2  # noqa: E402
from tests.core.legacy_tf import tf1_shape_spellings  # noqa: E402

patch_tf_slim_for_tf2()
SL = types.SimpleNamespace(**{**vars(_slim_layers), **vars(_slim_norm)})
RNG = np.random.RandomState(0)
X4 = RNG.randn(2, 6, 6, 3).astype(np.float32)
X2 = RNG.randn(5, 4).astype(np.float32)


def det(fw, scale=0.3):
    """A deterministic initializer (TF's graph-seeded draws depend on how many ops a graph
    has made, which differs between the frameworks' layer implementations)."""
    def init(shape, dtype=None, partition_info=None):
        n = int(np.prod(shape))
        return fw.constant(scale * np.sin(np.arange(n) + 1.0).reshape(shape), fw.float32)
    return init


def _run(fw, L, build, steps):
    g = fw.Graph()
    with g.as_default():
        fw.set_random_seed(7)
        out = build(fw, L)
        fetch = out["fetch"]
        grads = fw.gradients(fetch[0], fw.trainable_variables()) if out.get("grad") else []
        grads = [g for g in grads if g is not None]
        with fw.Session(graph=g) as sess:
            sess.run(fw.global_variables_initializer())
            values = []
            for _ in range(steps):
                values.append(sess.run(fetch + grads + out.get("train", []),
                                       out.get("feed")))
            var_values = sess.run(fw.global_variables())
        names = lambda key: [v.name for v in g.get_collection(key)]  # noqa: E731
        info = {key: names(key) for key in ("variables", "model_variables",
                                             "trainable_variables", *out.get("keys", ()))}
        # TF 2's variables are resource ones: an update is its AssignSubVariableOp, TF1's
        # (and minitf's) the AssignSub itself; a tensor update is named "<op>:0".
        # A tf.cond's outputs are TF 1.x's (and minitf's) Merge ops, TF 2's Identity ops (its
        # control flow v2, which this process keeps).
        info["update_ops"] = [re.sub(r"/(cond(_\d+)?)/(Merge|Identity)(_\d+)?$", r"/\1/out\4",
                                     u.name.replace("/AssignSubVariableOp", "").split(":")[0])
                              for u in g.get_collection("update_ops")]
        info["skip"] = out.get("skip", 0)
        info["shapes"] = [t.shape.as_list() if t.shape.rank is not None else None
                          for t in fetch]
    return values, var_values, info


def both(build, steps=1, rtol=1e-5, atol=1e-6):
    got = _run(tf, mlayers, build, steps)
    want = _run(tf1, SL, build, steps)
    skip = got[2].pop("skip")
    want[2].pop("skip")
    for g_step, w_step in zip(got[0], want[0]):
        for a, b in list(zip(g_step, w_step))[:len(g_step) - skip]:
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    g_info, w_info = got[2], want[2]
    assert g_info == w_info
    return got


def test_fully_connected_stack_matches():
    def build(fw, L):
        x = fw.constant(X2)
        w = {"weights_initializer": det(fw), "biases_initializer": det(fw, 0.1)}
        y = L.fully_connected(x, 3, outputs_collections="outs", variables_collections=["vc"],
                              **w)
        y = L.fully_connected(y, 2, activation_fn=None, scope="logits",
                              weights_regularizer=lambda w: fw.reduce_sum(w * w), **w)
        z = L.fully_connected(fw.constant(X2), 3, scope="fully_connected", reuse=True)
        r = L.relu6(x, 2, variables_collections={"weights": ["wc"]}, **w)
        s = L.stack(x, L.fully_connected, [5, 4, 3], scope="fc", **w)
        t = L.repeat(x, 2, L.fully_connected, 4, **w)
        lin = L.linear(x, 2, biases_initializer=None, weights_initializer=det(fw))
        return {"fetch": [y, z, r, s, t, lin], "grad": True,
                "keys": ("outs", "vc", "wc", "regularization_losses")}
    both(build)


def test_conv_pool_flatten_matches():
    def build(fw, L):
        x = fw.constant(X4)
        w = {"weights_initializer": det(fw), "biases_initializer": det(fw, 0.1)}
        y = L.conv2d(x, 4, [3, 3], stride=2, **w)
        y2 = L.conv2d(x, 4, 3, rate=2, padding="VALID", activation_fn=None, **w)
        c1 = L.convolution(fw.constant(X4[:, 0]), 2, 2, **w)
        c3 = L.conv3d(fw.constant(X4[..., None]), 2, 2, **w)
        m = L.max_pool2d(y2, 2, stride=1)
        a = L.avg_pool2d(x, [2, 3], padding="SAME")
        m3 = L.max_pool3d(fw.constant(X4[..., None]), 2)
        a3 = L.avg_pool3d(fw.constant(X4[..., None]), [2, 2, 1], stride=1)
        t = L.conv2d_transpose(x, 5, 3, stride=2, **w)
        t2 = L.conv2d_transpose(x, 2, [2, 3], stride=[2, 1], padding="VALID", **w)
        f = L.flatten(m)
        return {"fetch": [y, y2, c1, c3, m, a, m3, a3, t, t2, f], "grad": True}
    both(build)


def test_conv_nchw_and_normalizer_matches():
    xt = X4.transpose(0, 3, 1, 2)

    def build(fw, L):
        y = L.conv2d(fw.constant(X4), 4, 3, normalizer_fn=L.batch_norm,
                     normalizer_params={"scale": True}, weights_initializer=det(fw))
        b = L.bias_add(fw.constant(xt), data_format="NCHW", activation_fn=fw.nn.relu,
                       initializer=det(fw))
        s = L.softmax(fw.constant(X4))
        u = L.unit_norm(fw.constant(X4), 2)
        o = L.one_hot_encoding(fw.constant([0, 2, 1]), 3)
        return {"fetch": [y, b, s, u, o], "grad": True}
    both(build)


def test_dropout_matches():
    def build(fw, L):
        x = fw.constant(np.ones((20, 10), np.float32))
        on = L.dropout(x, 0.6, seed=3)
        off = L.dropout(x, is_training=False)
        flag = fw.placeholder(fw.bool, [])
        sel = L.dropout(x, 0.3, is_training=flag, seed=4)
        # The random draws differ (tf_keras's Dropout draws its own way): compare what the
        # mask may be, the inference identity and the structure.
        return {"fetch": [off, fw.reduce_max(on), fw.reduce_min(on), fw.reduce_max(sel),
                          fw.reduce_min(sel), on, sel], "feed": {flag: True}, "skip": 2}
    both(build)


@pytest.mark.parametrize("kw", [
    {},
    {"scale": True, "decay": 0.9},
    {"updates_collections": None, "decay": 0.8, "scale": True},
    {"zero_debias_moving_mean": True, "decay": 0.7},
    {"fused": False, "decay": 0.9, "scale": True},
    {"fused": False, "updates_collections": None, "decay": 0.9},
    {"data_format": "NCHW", "decay": 0.5, "fused": False},
    {"center": False, "scale": True, "param_initializers": "det"},
])
@pytest.mark.parametrize("rank", [2, 4])
def test_batch_norm_training_steps_match(kw, rank):
    x = X4 if rank == 4 else X2

    def build(fw, L):
        inputs = fw.constant(x)
        args = dict(kw)
        if args.get("param_initializers") == "det":
            args["param_initializers"] = {"moving_variance": fw.constant_initializer(2.0),
                                          "moving_mean": det(fw), "gamma": det(fw, 2.0)}
        y = L.batch_norm(inputs, **args)
        weights = np.cos(np.arange(x.size)).reshape(x.shape).astype(np.float32)
        loss = fw.reduce_sum(y * weights + 0.1 * y * y)
        train = fw.train.GradientDescentOptimizer(0.05).minimize(loss)
        updates = fw.get_collection(fw.GraphKeys.UPDATE_OPS)
        return {"fetch": [y], "grad": True, "train": [train] + updates}
    both(build, steps=3, rtol=1e-4, atol=1e-5)


def test_batch_norm_is_training_tensor_and_inference():
    def build(fw, L):
        flag = fw.placeholder_with_default(False, [])
        y = L.batch_norm(fw.constant(X4), is_training=flag, decay=0.5)
        y2 = L.batch_norm(fw.constant(X2), is_training=flag, updates_collections=None,
                          scope="bn2", decay=0.5)
        z = L.batch_norm(fw.constant(X4), is_training=False, scope="bn3")
        updates = fw.get_collection(fw.GraphKeys.UPDATE_OPS)
        return {"fetch": [y, y2, z], "train": updates}
    both(build, steps=2)


@pytest.mark.parametrize("kw", [
    {"updates_collections": None}, {"updates_collections": None, "fused": False},
    {"zero_debias_moving_mean": True},
    {"updates_collections": None, "zero_debias_moving_mean": True}])
@pytest.mark.parametrize("rank", [3, 4])
def test_batch_norm_updates_run_only_when_training(kw, rank):
    # A tensor is_training: the updates (forced or in UPDATE_OPS) sit in a tf.cond's true
    # branch, so an evaluation leaves the moving statistics (and the zero-debias
    # accumulators) as they were.
    x = X4 if rank == 4 else X4.reshape(2, 36, 3)

    def build(fw, L):
        flag = fw.placeholder_with_default(False, [])
        y = L.batch_norm(fw.constant(x), is_training=flag, decay=0.5, **kw)
        return {"fetch": [y], "train": fw.get_collection(fw.GraphKeys.UPDATE_OPS)}
    both(build, steps=2)


@pytest.mark.parametrize("kw", [{}, {"begin_norm_axis": -1}, {"begin_params_axis": 1},
                                {"center": False, "scale": False}])
def test_layer_norm_matches(kw):
    def build(fw, L):
        y = L.layer_norm(fw.constant(X4), **kw)
        return {"fetch": [fw.reduce_sum(y * fw.range(1.0, 4.0)), y], "grad": True}
    both(build)


@pytest.mark.parametrize("kw", [{}, {"data_format": "NCHW"}, {"center": False}])
def test_instance_norm_matches(kw):
    def build(fw, L):
        y = L.instance_norm(fw.constant(X4), activation_fn=fw.nn.relu, **kw)
        return {"fetch": [fw.reduce_sum(y * y), y], "grad": True}
    both(build)


@pytest.mark.parametrize("kw", [{"groups": 3}, {"groups": 1, "mean_close_to_zero": True},
                                {"groups": 2, "channels_axis": 1, "reduction_axes": (2, 3)}])
def test_group_norm_matches(kw):
    x = RNG.randn(2, 4, 3, 6).astype(np.float32)

    def build(fw, L):
        y = L.group_norm(fw.constant(x), **kw)
        return {"fetch": [fw.reduce_sum(y * y * fw.range(1.0, 7.0)), y], "grad": True}
    both(build)


def test_separable_spatial_softmax_maxout_match():
    def build(fw, L):
        x = fw.constant(X4)
        w = {"weights_initializer": det(fw), "biases_initializer": det(fw, 0.1)}
        s = L.separable_conv2d(x, 5, 3, depth_multiplier=2, variables_collections=["vc"], **w)
        d = L.separable_conv2d(x, None, [2, 3], depth_multiplier=2, stride=2, scope="dw",
                               variables_collections={"weights": ["wc"]}, **w)
        dn = L.separable_conv2d(x, None, 3, normalizer_fn=L.batch_norm, scope="dwbn", **w)
        r = L.separable_conv2d(x, 4, 3, rate=2, pointwise_initializer=det(fw, 0.5),
                               scope="dil", **w)
        sp = L.spatial_softmax(x, temperature=0.5, variables_collections=["tc"])
        m = L.maxout(x, 1)
        m2 = L.maxout(fw.constant(X2), 2)
        g = L.scale_gradient(x, 0.25)
        seq = L.images_to_sequence(x)
        img = L.sequence_to_images(seq, 6)
        return {"fetch": [fw.reduce_sum(s) + fw.reduce_sum(d * d) + fw.reduce_sum(g * g) +
                          fw.reduce_sum(sp * sp) + fw.reduce_sum(r),
                          s, d, dn, r, sp, m, m2, seq, img],
                "grad": True, "keys": ("vc", "wc", "tc")}
    both(build)


def test_layer_variables_with_default_initializers_match():
    """The default xavier / zeros initializers: uniform in +-sqrt(6 / (fan_in + fan_out)) and
    zeros, as TF1's (the draws themselves depend on op counts, which the graphs do not share)."""
    for layer, args, fans in (("fully_connected", (3,), (3, 3)),
                              ("conv2d", (3, 2), (2 * 2 * 3, 2 * 2 * 3))):
        def first(fw, L, layer=layer, args=args):
            getattr(L, layer)(fw.constant(X4), *args)
            return {"fetch": [fw.identity(v) for v in fw.global_variables()]}
        got = _run(tf, mlayers, first, 1)
        want = _run(tf1, SL, first, 1)
        assert got[2] == want[2]
        (gw, gb), (ww, wb) = got[0][0], want[0][0]
        assert gw.shape == ww.shape and not gb.any() and not wb.any()
        limit = np.sqrt(6.0 / sum(fans))
        assert np.abs(gw).max() <= limit and np.abs(gw).max() > limit / 2
        assert np.abs(ww).max() <= limit


def test_safe_embedding_lookup_sparse_matches_tf():
    def build(fw, L):
        ids = fw.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, -1, 3], [3, 2])
        weights = fw.constant(np.arange(12.0, dtype=np.float32).reshape(4, 3))
        fn = L.safe_embedding_lookup_sparse if hasattr(L, "safe_embedding_lookup_sparse") \
            else fw.nn.safe_embedding_lookup_sparse
        return {"fetch": [fn(weights, ids), fn(weights, ids, combiner="sum", default_id=0)]}
    both(build)


def _error(fw, L, call):
    with fw.Graph().as_default():
        try:
            call(fw, L)
        except Exception as e:  # noqa: BLE001 - the class and message are compared
            return type(e), str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda fw, L: L.fully_connected(fw.constant(X2), 2.5),
    lambda fw, L: L.conv2d(fw.constant(X2[None]), 2, 3),
    lambda fw, L: L.conv2d(fw.constant(X4), 2, 3, data_format="NWHC"),
    lambda fw, L: L.max_pool2d(fw.constant(X4), 2, data_format="NCDHW"),
    lambda fw, L: L.bias_add(fw.constant(X2), data_format="NCHW"),
    lambda fw, L: L.batch_norm(fw.placeholder(fw.float32), updates_collections=None),
    lambda fw, L: L.batch_norm(fw.placeholder(fw.float32, [None, None]), fused=False,
                               updates_collections=None),
    lambda fw, L: L.layer_norm(fw.constant(X4), begin_norm_axis=4),
    lambda fw, L: L.group_norm(fw.constant(X4), groups=2),
    lambda fw, L: L.unit_norm(fw.constant(X4), 4),
    lambda fw, L: L.maxout(fw.constant(X4), 2),
    lambda fw, L: L.stack(fw.constant(X2), L.fully_connected, 3),
])
def test_errors_match(call):
    with tf1_shape_spellings():  # TF 1.x's "(?,)" in messages, as minitf's
        want = _error(tf1, SL, call)
    got = _error(tf, mlayers, call)
    assert want is not None and got is not None
    assert got == want


def test_reuse_shares_variables_like_tf():
    def build(fw, L):
        x = fw.constant(X4)
        a = L.batch_norm(x, scale=True, scope="bn", is_training=False)
        b = L.batch_norm(x, scale=True, scope="bn", reuse=True, is_training=False)
        c = L.conv2d(x, 2, 1, scope="c", weights_initializer=det(fw))
        d = L.conv2d(x, 2, 1, scope="c", reuse=True)
        e = L.layer_norm(x, scope="ln")
        f = L.layer_norm(x, scope="ln", reuse=True)
        with fw.variable_scope("outer", reuse=fw.AUTO_REUSE):
            g = L.fully_connected(fw.constant(X2), 2, scope="fc", weights_initializer=det(fw))
            h = L.fully_connected(fw.constant(X2), 2, scope="fc")
        return {"fetch": [a - b, c - d, e - f, g - h]}
    values = both(build)[0][0]
    assert all(not v.any() for v in values)


def test_legacy_layers_match():
    x3 = RNG.randn(2, 3, 4).astype(np.float32)

    def build(fw, L):
        x = fw.constant(X4)
        ip = L.conv2d_in_plane(x, [2, 3], stride=2, weights_initializer=det(fw),
                               biases_initializer=det(fw, 0.2), variables_collections=["vc"])
        mp = L.pool(x, 2, "MAX", stride=1, padding="SAME")
        ap = L.pool(x, [2, 3], "AVG", dilation_rate=[2, 1])
        lf = L.legacy_relu(fw.constant(x3), 3, weight_init=det(fw), bias_init=det(fw, 0.1))
        ll = L.legacy_linear(fw.constant(X2), 2, weight_init=det(fw), name="lin")
        sp = L.dense_to_sparse(fw.constant([[1, 0, 2], [0, 0, 3]]))
        return {"fetch": [fw.reduce_sum(ip) + fw.reduce_sum(lf), ip, mp, ap, lf, ll,
                          sp.indices, sp.values, sp.dense_shape], "grad": True,
                "keys": ("vc", "weights", "biases", "activations")}
    both(build)


_PLACEMENT = """
import json
with fw.Graph().as_default() as g:
    with fw.device("/cpu:0"):
        L.batch_norm(fw.placeholder(fw.float32, [4, 3], name="x"), is_training=True,
                     updates_collections=None, fused=False)
    print(json.dumps(sorted((op.name, [c.decode() for c in op.colocation_groups()], op.device)
                            for op in g.get_operations() if "AssignMovingAvg" in op.name)))
"""


def test_batch_norm_moving_average_placement_matches():
    """Only the moving variables' own updates are colocated with them (TF's
    assign_moving_average), not the arithmetic that feeds them. TF1's reference variables
    need a TF1-behaviour process. (With zero_debias_moving_mean TF's debiasing builds more
    ops than minitf's, named otherwise: left alone.)"""
    import json
    import subprocess
    import sys

    out = {}
    exec(_PLACEMENT, {"fw": tf, "L": mlayers, "print": lambda s: out.setdefault("got", s)})
    got = json.loads(out["got"])
    assert any(op.endswith("AssignMovingAvg/sub") for op, _, _ in got)
    tf_side = ("import tensorflow.compat.v1 as fw; fw.disable_v2_behavior()\n"
               "from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2\n"
               "patch_tf_slim_for_tf2()\nimport tf_slim as L\n" + _PLACEMENT)
    done = subprocess.run([sys.executable, "-c", tf_side], capture_output=True, text=True,
                          timeout=600, cwd=str(__import__("pathlib").Path(__file__).parents[3]))
    assert done.returncode == 0, done.stderr[-2000:]
    assert got == json.loads(done.stdout.strip().splitlines()[-1])
