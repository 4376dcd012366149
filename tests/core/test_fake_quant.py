"""tf.quantization.fake_quant_* (FakeQuantWithMinMax{Args,Vars,VarsPerChannel} and their
*Gradient ops): values TF 2.21 gave (hard-coded), bit-exact agreement with real TF over random
ranges, TF's straight-through gradients, errors, and GraphDefs moving both ways with real TF."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from .side_by_side import run_graph_def_in_minitf

fq = tf.quantization
X = np.float32([-7, -6, -5.99, -0.03, 0, 0.02, 0.05, 1.3, 5.9, 6, 7, 0.5])


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_values_tensorflow_gave():
    args, narrow, zeros = _run([
        fq.fake_quant_with_min_max_args(X),
        fq.fake_quant_with_min_max_vars(X, 0.3, 2.0, num_bits=4, narrow_range=True),
        fq.fake_quant_with_min_max_vars(X, 0.0, 0.0)])
    # TF 2.21 gave these
    np.testing.assert_allclose(args, np.float32(
        [-6.0235295, -5.9764705, -5.9764705, -0.04705882, 0, 0, 0.04705882, 1.3176471,
         5.882353, 5.9764705, 5.9764705, 0.5176471]), rtol=1e-6)
    np.testing.assert_allclose(narrow, np.float32(
        [0, 0, 0, 0, 0, 0, 0, 1.3357143, 1.7, 1.7, 1.7, 0.4857143]), rtol=1e-6)
    np.testing.assert_array_equal(zeros, np.zeros(12, np.float32))  # min = max = 0: zeros


def test_gradient_ops_values_tensorflow_gave():
    g = np.full(12, 2, np.float32)
    dx, dmin, dmax = _run(fq.fake_quant_with_min_max_vars_gradient(g, X, -1.0, 1.0))
    np.testing.assert_array_equal(dx, [0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2])  # TF 2.21 gave these
    assert (dmin, dmax) == (6.0, 8.0)
    y = X.reshape(4, 3)
    lo, hi = np.float32([-1, 0, -3]), np.float32([1, 2, 0])
    out, (gx, gmin, gmax) = _run([fq.fake_quant_with_min_max_vars_per_channel(y, lo, hi),
                                 fq.fake_quant_with_min_max_vars_per_channel_gradient(
                                     np.ones_like(y), y, lo, hi)])
    np.testing.assert_allclose(out, [[-0.9960785, 0, -3], [-0.03137255, 0, 0],
                                     [0.04705883, 1.3019608, 0], [1.0039216, 2, 0]], rtol=1e-7)
    np.testing.assert_array_equal(gx, [[0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(gmin, [1, 1, 1])
    np.testing.assert_array_equal(gmax, [1, 1, 3])


def test_unset_range_passes_every_gradient_to_the_inputs():
    g = np.arange(12, dtype=np.float32)
    dx, dmin, dmax = _run(fq.fake_quant_with_min_max_vars_gradient(g, X, 0.0, 0.0))
    np.testing.assert_array_equal(dx, g)  # as TF: min = max = 0 means "not calibrated yet"
    assert dmin == 0 and dmax == 0


def test_errors_name_the_problem():
    # num_bits and the Args range are the kernel's checks: at run time, as TF's
    with pytest.raises(InvalidArgumentError, match="num_bits must be between 2 and 16"):
        _run(fq.fake_quant_with_min_max_args(X, num_bits=17))
    with pytest.raises(InvalidArgumentError, match="min has to be smaller than max"):
        _run(fq.fake_quant_with_min_max_args(X, min=2.0, max=1.0))
    # the shapes are the shape functions' (TF's wording)
    with pytest.raises(InvalidArgumentError, match="Shape must be rank 0 but is rank 1"):
        fq.fake_quant_with_min_max_vars(X, [1.0], [2.0])
    with pytest.raises(InvalidArgumentError, match="Dimensions must be equal, but are 3 and 2"):
        fq.fake_quant_with_min_max_vars_per_channel(X.reshape(4, 3), [-1.0, 0.0], [1.0, 2.0])
    lo = tf.placeholder(tf.float32)  # unknown shape: checked when it runs, as TF's kernel
    with pytest.raises(InvalidArgumentError, match="`min` must be rank 0 but is rank 1"):
        _run(fq.fake_quant_with_min_max_vars(X, lo, 1.0), {lo: [0.0]})
    with pytest.raises(TypeError):
        fq.fake_quant_with_min_max_args(tf.constant(X, tf.float64))  # float32 only, as TF


def _quantizers(q, t, t4, lo, hi, lows, highs, bits, narrow):
    return [q.fake_quant_with_min_max_args(t, lo, hi, bits, narrow),
            q.fake_quant_with_min_max_vars(t, lo, hi, bits, narrow),
            q.fake_quant_with_min_max_vars_per_channel(t4, lows, highs, bits, narrow)]


def test_bit_exact_with_tensorflow_over_random_ranges():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(0)
    for _ in range(40):
        bits, narrow = int(rng.integers(2, 17)), bool(rng.integers(2))
        lo = float(np.float32(rng.uniform(-10, 1)))
        hi = float(np.float32(lo + rng.uniform(0.01, 12)))
        x = (rng.standard_normal(500) * rng.uniform(0.1, 10)).astype(np.float32)
        lows = rng.uniform(-5, 0, 4).astype(np.float32)
        highs = (lows + rng.uniform(-1, 8, 4)).astype(np.float32)  # some min > max, as TF runs
        xs = x[:496].reshape(124, 4)
        ranges = (lo, hi, lows, highs, bits, narrow)
        ours = _run(_quantizers(fq, tf.constant(x), tf.constant(xs), *ranges))
        g = tf1.Graph()
        with g.as_default(), tf1.Session(graph=g) as sess:
            theirs = sess.run(_quantizers(tf1.quantization, tf1.constant(x), tf1.constant(xs),
                                          *ranges))
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b, err_msg=f"bits={bits} narrow={narrow}")


def test_gradients_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((6, 3)) * 3).astype(np.float32)
    w = rng.standard_normal((6, 3)).astype(np.float32)
    lows, highs = np.float32([-1, 0, -2]), np.float32([1, 2, 0])

    def build(mod, q):
        xt, lo, hi = mod.constant(x), mod.constant(-1.5), mod.constant(2.0)
        lo3, hi3 = mod.constant(lows), mod.constant(highs)
        outs = [q.fake_quant_with_min_max_args(xt, -2.0, 1.0),
                q.fake_quant_with_min_max_vars(xt, lo, hi, num_bits=5),
                q.fake_quant_with_min_max_vars_per_channel(xt, lo3, hi3, narrow_range=True)]
        loss = mod.add_n([mod.reduce_sum(o * w) for o in outs])
        return mod.gradients(loss, [xt, lo, hi, lo3, hi3])
    ours = _run(build(tf, fq))
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        theirs = sess.run(build(tf1, tf1.quantization))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert np.any(ours[0] == 0) and np.any(ours[0] != 0)  # clipped and passed-through entries


def test_graph_defs_move_both_ways_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = np.linspace(-8, 8, 24, dtype=np.float32).reshape(6, 4)
    ours = tf.Graph()
    with ours.as_default():
        t = tf.placeholder(tf.float32, [6, 4], name="x")
        outs = [fq.fake_quant_with_min_max_args(t, -3.0, 5.0, num_bits=6),
                fq.fake_quant_with_min_max_vars(t, -1.0, 4.0, narrow_range=True),
                fq.fake_quant_with_min_max_vars_per_channel(t, [-1.0, -2, -3, -4], [1.0, 2, 3, 4])]
        outs += list(tf.gradients(tf.reduce_sum(outs[1] * outs[2]), [t]))
        names = [o.name for o in outs]
        want = tf.Session(graph=ours).run(outs, {t: x})
        data = ours.as_graph_def().SerializeToString()
    theirs = tf1.Graph()
    with theirs.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(data), name="")
        got = tf1.Session(graph=theirs).run(names, {"x:0": x})
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    back = tf.Graph()  # and TF's own graph (its node names and attrs) back into minitf
    with back.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(theirs.as_graph_def().SerializeToString()),
                            name="")
        again = tf.Session(graph=back).run(names, {"x:0": x})
    for a, b in zip(again, want):
        np.testing.assert_array_equal(a, b)


def test_tensorflow_qat_graph_def_runs_in_minitf():
    # A quantization-aware training graph as TF builds it: fake quant on activations and
    # per-channel weights, with TF's gradient nodes (the *Gradient ops) in the GraphDef.
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(4)
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        w = tf1.constant(rng.standard_normal((3, 4)).astype(np.float32))
        lo, hi = tf1.constant(-2.0), tf1.constant(2.5)
        wq = tf1.quantization.fake_quant_with_min_max_vars_per_channel(
            w, tf1.reduce_min(w, 0), tf1.reduce_max(w, 0), narrow_range=True)
        h = tf1.quantization.fake_quant_with_min_max_vars(tf1.matmul(x, wq), lo, hi)
        y = tf1.quantization.fake_quant_with_min_max_args(tf1.nn.relu(h), 0.0, 6.0)
        grads = tf1.gradients(tf1.reduce_sum(y * y), [x, w, lo, hi])
        names = [y.name] + [t.name for t in grads]
        assert {"FakeQuantWithMinMaxVarsGradient",
                "FakeQuantWithMinMaxVarsPerChannelGradient"} <= {o.type for o in
                                                                 g.get_operations()}
        feed = {"x:0": (rng.standard_normal((5, 3)) * 2).astype(np.float32)}
        want = tf1.Session(graph=g).run(names, feed)
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(), names, feed)
    for name, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=name)


def test_tf1_root_names():
    assert tf.fake_quant_with_min_max_vars is tf.quantization.fake_quant_with_min_max_vars
    assert tf.fake_quant_with_min_max_args_gradient is \
        tf.quantization.fake_quant_with_min_max_args_gradient
    out = tf.fake_quant_with_min_max_args(np.float32([-7.0, 0.0, 7.0]), min=-6.0, max=6.0)
    np.testing.assert_allclose(tf.Session().run(out), [-6.0, 0.0, 6.0], atol=0.03)
