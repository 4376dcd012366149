"""The older op versions TF 1.x GraphDefs hold (Inv, InvGrad, Div, Mod, Concat, BiasAddV1,
ApproximateEqual, MatrixDiag, MatrixDiagPart, MatrixSetDiag): values and errors TF 2.21 gave
(hard-coded), gradients against numbers, and GraphDefs moving both ways with real TF."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.opdef import registered
from .side_by_side import run_graph_def_in_minitf

OPS = registered()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_integer_div_and_mod_truncate_as_c_does():
    x, y = np.int32([7, -7, 7, -7]), np.int32([2, 2, -2, -2])
    div, mod = _run([OPS["Div"](x, y), OPS["Mod"](x, y)])
    np.testing.assert_array_equal(div, [3, -3, -3, 3])  # TF 2.21 gave these
    np.testing.assert_array_equal(mod, [1, -1, 1, -1])
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        _run(OPS["Div"](np.int32([7]), np.int32([0])))


def test_inv_and_approximate_equal_as_tensorflow():
    inv, close = _run([OPS["Inv"](np.float32([2, 0])),
                       OPS["ApproximateEqual"](np.float32([1, 2]), np.float32([1.000001, 2.1]))])
    np.testing.assert_array_equal(inv, [0.5, np.inf])
    np.testing.assert_array_equal(close, [True, False])
    a, b = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    with pytest.raises(InvalidArgumentError, match=r"x and y must be of the same shape. x shape: "
                       r"\[2\]. y shape: \[1\]"):
        _run(OPS["ApproximateEqual"](a, b), {a: [1, 2], b: [1]})
    with pytest.raises(TypeError):
        OPS["ApproximateEqual"](np.int32([1]), np.int32([1]))  # TF has no integer kernel


def test_v1_diagonal_ops_and_their_errors():
    d = tf.placeholder(tf.float32)
    with pytest.raises(InvalidArgumentError, match="diagonal must be at least 1-dim"):
        _run(OPS["MatrixDiag"](d), {d: 1.0})
    with pytest.raises(InvalidArgumentError, match="input must be at least 2-dim"):
        _run(OPS["MatrixDiagPart"](d), {d: [1.0, 2.0]})
    with pytest.raises(InvalidArgumentError, match="diagonal must have shape"):
        OPS["MatrixSetDiag"](tf.ones([3, 4]), tf.ones([4]))  # min(3, 4) = 3 long
    with pytest.raises(InvalidArgumentError, match="at least rank 1"):
        OPS["MatrixDiag"](tf.constant(1.0))


def _numeric_grad(f, x, eps=1e-3):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def test_gradients_match_central_differences():
    rng = np.random.default_rng(5)
    xv = rng.uniform(0.5, 2, (2, 3))
    x = tf.placeholder(tf.float64, [2, 3])
    losses = {
        "Inv": lambda t: OPS["Inv"](t),
        "Div": lambda t: OPS["Div"](t, t[0] + 3.0),
        "BiasAddV1": lambda t: OPS["BiasAddV1"](t, t[1] * t[1]),
        "Concat": lambda t: OPS["Concat"](1, [t, t * t]),
        "MatrixSetDiag": lambda t: OPS["MatrixSetDiag"](OPS["MatrixDiag"](t), t * 2.0),
        "MatrixDiagPart": lambda t: OPS["MatrixDiagPart"](t * t),
    }
    for name, build in losses.items():
        y = build(x)
        weights = rng.standard_normal(y.shape.as_list())
        loss = tf.reduce_sum(y * weights)
        (grad,) = tf.gradients(loss, [x])
        with tf.Session() as sess:
            got = sess.run(grad, {x: xv})
            want = _numeric_grad(lambda v, loss=loss: sess.run(loss, {x: v}), xv.copy())
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    with pytest.raises(LookupError, match="Mod"):
        tf.gradients(OPS["Mod"](x, 2.0 + tf.zeros_like(x)), [x])


def _tf_graph(tf1):
    g = tf1.Graph()
    raw = tf1.raw_ops
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [2, 3], name="x")
        i = tf1.placeholder(tf1.int32, [4], name="i")
        outs = [raw.Inv(x=x + 3.0), raw.Div(x=x, y=x + 5.0), raw.Div(x=i, y=i - 9),
                raw.Mod(x=i, y=i - 9), raw.Mod(x=x, y=x - 5.0),
                raw.ApproximateEqual(x=x, y=x * 1.000001),
                raw.Concat(concat_dim=0, values=[x, x * 2.0]),
                raw.BiasAddV1(value=x, bias=x[0]), raw.MatrixDiag(diagonal=x),
                raw.MatrixDiagPart(input=raw.MatrixDiag(diagonal=x)),
                raw.MatrixSetDiag(input=tf1.zeros([2, 3, 4]), diagonal=x),
                raw.InvGrad(y=x, dy=x * 2.0)]
        outs.append(tf1.gradients(tf1.reduce_sum(raw.Concat(concat_dim=1, values=[x, x * x])
                                                 * raw.Inv(x=tf1.tile(x, [1, 2]) + 3.0)), x)[0])
    return g, [t.name for t in outs]


def test_tensorflow_graph_def_runs_in_minitf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g, names = _tf_graph(tf1)
    feeds = {"x:0": np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32),
             "i:0": np.int32([7, -7, 20, 0])}
    with tf1.Session(graph=g) as sess:
        want = sess.run(names, feeds)
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(), names, feeds)
    for name, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=name)


def test_minitf_graph_def_runs_in_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    outs = [OPS["Div"](x, x + 5.0), OPS["Concat"](1, [x, x]), OPS["BiasAddV1"](x, x[1]),
            OPS["MatrixSetDiag"](OPS["MatrixDiag"](x), x * 3.0)]
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    want = _run(outs, {x: xv})
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(
            tf.get_default_graph().as_graph_def().SerializeToString()), name="")
    with tf1.Session(graph=g) as sess:
        got = sess.run([t.name for t in outs], {"x:0": xv})
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
