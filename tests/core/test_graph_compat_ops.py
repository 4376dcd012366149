"""Ops that exported TF GraphDefs hold (Einsum, Snapshot, ClipByValue, NextAfter,
CheckNumericsV2, UniqueV2, TopK v1, Inplace*, DataFormat*, TensorStridedSliceUpdate,
ScatterNdMax/Min, ApplyAdagradV2...): hand-computed values, errors naming the problem, and
side by side with real TF: values, gradients, variable updates and GraphDefs both ways."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.opdef import registered
from .side_by_side import run_graph_def_in_minitf

OPS = registered()
RNG = np.random.default_rng(7)


def _ours(name, **kw):
    """Our OpDef called with TF's raw_ops keywords: inputs in order, then attrs."""
    attrs = OPS[name].attrs
    return OPS[name](*[v for k, v in kw.items() if k not in attrs],
                     **{k: v for k, v in kw.items() if k in attrs})


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- Einsum ---------------------------------------------------------------------------------------
EQUATIONS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]),
             ("i->ii", [(3,)]), ("ii->", [(3, 3)]), ("abc->ac", [(2, 3, 4)]),
             ("aabbcd->ca", [(2, 2, 3, 3, 4, 5)]),
             ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),
             ("...ij,jk->...ik", [(5, 2, 3), (3, 2)]), ("abc,cd->ad", [(2, 3, 4), (4, 5)]),
             ("ij,k->ijk", [(2, 3), (4,)]), ("i...->...", [(2, 3, 4)]),
             ("ab...,b->...a", [(2, 3, 4, 5), (3,)])]


def test_einsum_values_by_hand():
    a, b = np.float32([[1, 2], [3, 4]]), np.float32([[5], [6]])
    mm, trace, diag = _run([OPS["Einsum"]([a, b], equation="ij,jk->ik"),
                            OPS["Einsum"]([a], equation="ii->"),
                            OPS["Einsum"]([np.float32([1, 2])], equation="i->ii")])
    np.testing.assert_array_equal(mm, [[17], [39]])
    assert trace == 5
    np.testing.assert_array_equal(diag, [[1, 0], [0, 2]])


def test_einsum_errors_name_the_problem():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(InvalidArgumentError, match="Expecting exactly one '->'"):
        OPS["Einsum"]([a, a.T], equation="ij,jk")
    with pytest.raises(InvalidArgumentError, match="Expecting 1 or 2 input subscripts"):
        OPS["Einsum"]([a, a.T, a], equation="ij,jk,kl->il")
    with pytest.raises(InvalidArgumentError, match="Expected dimension 3 for label 'j'"):
        OPS["Einsum"]([a, a], equation="ij,jk->ik")
    with pytest.raises(InvalidArgumentError, match="no ellipsis"):
        OPS["Einsum"]([np.ones((5, 2, 3), np.float32)], equation="...ij->ij")
    with pytest.raises(InvalidArgumentError, match="Input 0 of einsum has rank 3"):
        OPS["Einsum"]([np.ones((5, 2, 3), np.float32)], equation="ij->ji")
    x = tf.placeholder(tf.float32)  # unknown shape: checked when it runs
    with pytest.raises(InvalidArgumentError, match="label 'i'"):
        _run(OPS["Einsum"]([x], equation="ii->i"), {x: a})


def test_einsum_values_and_gradients_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for eq, shapes in EQUATIONS:
        xs = [RNG.standard_normal(s) for s in shapes]
        g = tf1.Graph()
        with g.as_default():
            ph = [tf1.placeholder(tf1.float64, s) for s in shapes]
            y = tf1.raw_ops.Einsum(inputs=ph, equation=eq)
            w = RNG.standard_normal(y.shape.as_list())
            fetch = [y] + tf1.gradients(tf1.reduce_sum(y * w), ph)
            want = tf1.Session(graph=g).run(fetch, dict(zip(ph, xs)))
        ph = [tf.placeholder(tf.float64, s) for s in shapes]
        ours = OPS["Einsum"](ph, equation=eq)
        assert ours.shape.as_list() == y.shape.as_list(), eq
        got = _run([ours] + tf.gradients(tf.reduce_sum(ours * w), ph), dict(zip(ph, xs)))
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=eq)


def test_tensorflow_einsum_graph_def_runs_in_minitf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():  # tf.einsum of TF 2.x's compat.v1 writes one Einsum node
        x = tf1.placeholder(tf1.float32, [None, 3, 4], name="x")
        w = tf1.constant(RNG.standard_normal((4, 5)).astype(np.float32))
        y = tf1.einsum("bij,jk->bik", x, w)
        dx = tf1.gradients(tf1.reduce_sum(tf1.einsum("bik,bik->b", y, y)), x)[0]
        names = [y.name, dx.name]
        assert "Einsum" in {op.type for op in g.get_operations()}
        feed = {"x:0": RNG.standard_normal((2, 3, 4)).astype(np.float32)}
        want = tf1.Session(graph=g).run(names, feed)
    ours = tf.Graph()
    with ours.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                            name="")
        got = tf.Session(graph=ours).run(names, feed)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# -- the small ops ------------------------------------------------------------------------------
def test_small_ops_by_hand():
    x = np.float32([[1, 5, -2], [3, 0, 9]])
    clip, nxt, uniq, counts, top, dim, vec, upd = _run([
        OPS["ClipByValue"](x, np.float32(0), np.float32(4)),
        OPS["NextAfter"](np.float32([1, 1]), np.float32([2, 0])),
        OPS["UniqueV2"](np.int32([[1, 2, 1], [3, 4, 3]]), np.int64([1])),
        OPS["UniqueWithCountsV2"](np.int32([5, 1, 5]), np.int64([0]))[2],
        OPS["TopK"](x, k=2),
        OPS["DataFormatDimMap"](np.int32([0, 1, 2, 3, -1])),
        OPS["DataFormatVecPermute"](np.int32([10, 20, 30, 40])),
        OPS["InplaceUpdate"](x, np.int32([1]), np.float32([[7, 8, 9]]))])
    np.testing.assert_array_equal(clip, [[1, 4, 0], [3, 0, 4]])
    np.testing.assert_array_equal(nxt, [1 + 2.0 ** -23, 1 - 2.0 ** -24])
    np.testing.assert_array_equal(uniq[0], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(uniq[1], [0, 1, 0])
    np.testing.assert_array_equal(counts, [2, 1])
    np.testing.assert_array_equal(top[0], [[5, 1], [9, 3]])
    np.testing.assert_array_equal(top[1], [[1, 0], [2, 0]])
    np.testing.assert_array_equal(dim, [0, 2, 3, 1, 1])  # NHWC -> NCHW
    np.testing.assert_array_equal(vec, [10, 40, 20, 30])
    np.testing.assert_array_equal(upd, [[1, 5, -2], [7, 8, 9]])


def test_small_op_errors_name_the_problem():
    bad = np.float32([np.inf, -np.inf, np.nan])
    with pytest.raises(InvalidArgumentError, match=r"hey : Tensor had -Inf, \+Inf, and NaN"):
        _run(OPS["CheckNumericsV2"](bad, message="hey"))
    with pytest.raises(InvalidArgumentError, match=r"hey : Tensor had \+Inf values"):
        _run(OPS["CheckNumericsV2"](bad[:1], message="hey"))
    with pytest.raises(InvalidArgumentError, match="must determine a permutation"):
        OPS["DataFormatDimMap"](np.int32([1]), src_format="NHWC", dst_format="NHWX")
    with pytest.raises(InvalidArgumentError, match="axis has to be between"):
        _run(OPS["UniqueV2"](np.int32([[1]]), tf.placeholder_with_default(np.int64([2]), [1])))
    with pytest.raises(InvalidArgumentError, match="last dimension >= k = 4"):
        OPS["TopK"](np.float32([[1, 2, 3]]), k=4)
    with pytest.raises(InvalidArgumentError, match="row index 3 is out of range"):
        _run(OPS["InplaceAdd"](np.float32([[1, 2]]), np.int32([3]), np.float32([[1, 2]])))
    with pytest.raises(InvalidArgumentError, match="clip_value_min must be a scalar"):
        OPS["ClipByValue"](np.float32([1, 2]), np.float32([1, 2, 3]), np.float32(3))
    x = tf.constant([1.0])
    with pytest.raises(LookupError):  # TF registers no gradient for Snapshot
        tf.gradients(OPS["Snapshot"](x), [x])


def test_gradients_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    xv = RNG.standard_normal((4, 5))
    vv = RNG.standard_normal((2, 3))
    w = RNG.standard_normal((4, 5))

    def build(mod, raw):
        x, v = mod.constant(xv), mod.constant(vv)
        outs = [raw("ClipByValue", t=x, clip_value_min=mod.constant(-0.5, mod.float64),
                    clip_value_max=x * 0.0 + 0.4),
                raw("NextAfter", x1=x, x2=x[1]),
                raw("CheckNumericsV2", tensor=x * x, message="m"),
                raw("TensorStridedSliceUpdate", input=x, begin=[1, 0], end=[3, 5],
                    strides=[1, 2], value=v)]
        loss = mod.add_n([mod.reduce_sum(o * o * w) for o in outs])
        return mod.gradients(loss, [x, v])

    ours = _run(build(tf, _ours))
    g = tf1.Graph()
    with g.as_default():
        theirs = tf1.Session(graph=g).run(
            build(tf1, lambda name, **kw: getattr(tf1.raw_ops, name)(**kw)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _tf_graph(tf1):
    raw = tf1.raw_ops
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [4, 3], name="x")
        i = tf1.placeholder(tf1.int32, [4], name="i")
        outs = [raw.Snapshot(input=x), raw.DeepCopy(x=x),
                raw.Empty(shape=[2, 3], dtype=tf1.float32, init=True),
                raw.ClipByValue(t=x, clip_value_min=-0.5, clip_value_max=0.5),
                raw.NextAfter(x1=x, x2=x * 2.0), raw.CheckNumericsV2(tensor=x, message="m"),
                *raw.UniqueV2(x=i, axis=tf1.constant([0], tf1.int64)),
                *raw.UniqueWithCountsV2(x=tf1.reshape(i, [2, 2]), axis=tf1.constant([1],
                                                                               tf1.int64)),
                # TF's Inplace* write into their input's buffer: each gets a tensor of its own
                raw.InplaceAdd(x=x * 1.5, i=[0, 2], v=x[:2]),
                raw.InplaceSub(x=x * 2.5, i=[3], v=x[:1]),
                raw.InplaceUpdate(x=x * 3.5, i=[1], v=x[2:3]),
                raw.DataFormatDimMap(x=i), raw.DataFormatVecPermute(x=i),
                raw.DataFormatVecPermute(x=i, src_format="NCHW", dst_format="NHWC"),
                raw.TensorStridedSliceUpdate(input=x, begin=[0, 1], end=[4, 3], strides=[2, 1],
                                             value=x[:2, :2] * 3.0)]
    return g, [t.name for t in outs]


def test_tensorflow_graph_def_runs_in_minitf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g, names = _tf_graph(tf1)
    feed = {"x:0": RNG.standard_normal((4, 3)).astype(np.float32), "i:0": np.int32([3, 1, 3, 0])}
    want = tf1.Session(graph=g).run(names, feed)
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(), names, feed)
    for name, a, b in zip(names, got, want):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_minitf_graph_def_runs_in_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours = tf.Graph()
    with ours.as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        outs = [OPS["Snapshot"](x), OPS["ClipByValue"](x, -0.2, 0.3),
                OPS["NextAfter"](x, 0.0), OPS["CheckNumericsV2"](x, message="m"),
                *OPS["UniqueV2"](tf.cast(x > 0, tf.int32), np.int64([0])),
                OPS["InplaceAdd"](x * 1.5, [1], x[:1]), OPS["DataFormatDimMap"]([0, 1, 2, 3]),
                OPS["TensorStridedSliceUpdate"](x, [1], [3], [1], x[:2] * 2.0),
                OPS["Einsum"]([x, x], equation="ij,kj->ik"),
                OPS["Einsum"]([x], equation="ij->j")]
        outs += tf.gradients(tf.reduce_sum(outs[-2]) + tf.reduce_sum(outs[-1]), [x])
        names = [o.name for o in outs]
        xv = RNG.standard_normal((4, 3)).astype(np.float32)
        want = tf.Session(graph=ours).run(outs, {x: xv})
        data = ours.as_graph_def().SerializeToString()
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(data), name="")
        got = tf1.Session(graph=g).run(names, {"x:0": xv})
    for name, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def test_top_k_v1_matches_tensorflow_top_k_v2():
    # TF 2.21's CPU TopK kernel no longer runs (it asks for an index_type attr TopK lacks), so
    # TF 1.x graphs with TopK are compared with TF's TopKV2, which TopK became.
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = np.float32([[3, 1, 3, 2, 7], [0, -1, 5, 5, 2]])
    g = tf1.Graph()
    with g.as_default():
        want = tf1.Session(graph=g).run(list(tf1.raw_ops.TopKV2(input=x, k=3)))
    got = _run(OPS["TopK"](x, k=3))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_segment_v2_ops_match_tensorflow_xla():
    # TF runs Segment*V2 only under XLA (no CPU kernel): compared with tf.function(jit_compile).
    tf2 = pytest.importorskip("tensorflow")
    data = RNG.standard_normal((6, 3)).astype(np.float32)
    ids = np.int32([0, 0, 3, 1, 1, 9])  # unsorted, one out of range, segment 2 empty
    for name in ("SegmentSumV2", "SegmentMaxV2", "SegmentMinV2", "SegmentProdV2"):
        fn = tf2.function(lambda d, i, n, name=name: getattr(tf2.raw_ops, name)(
            data=d, segment_ids=i, num_segments=n), jit_compile=True)
        want = fn(data, ids, np.int32(5)).numpy()
        got = _run(OPS[name](data, ids, np.int32(5)))
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


def test_segment_v2_by_hand():
    data = np.float32([[1, 2], [3, -4], [5, 6]])
    total, top = _run([OPS["SegmentSumV2"](data, np.int32([0, 0, 2]), 3),
                       OPS["SegmentMaxV2"](data, np.int32([1, 1, 5]), 2)])
    np.testing.assert_array_equal(total, [[4, -2], [0, 0], [5, 6]])
    np.testing.assert_array_equal(top, [[np.finfo(np.float32).min] * 2, [3, 2]])
    with pytest.raises(InvalidArgumentError, match="does not start with segment_ids.shape"):
        _run(OPS["SegmentSumV2"](data, tf.placeholder_with_default(np.int32([0, 1]), None), 2))


# -- variable updates ---------------------------------------------------------------------------
V0 = RNG.standard_normal((4, 3)).astype(np.float32)
A0 = (np.abs(RNG.standard_normal((4, 3))) + 0.1).astype(np.float32)
G0 = RNG.standard_normal((4, 3)).astype(np.float32)
f32 = np.float32
UPDATES = {
    "ApplyAdagradV2": lambda V: dict(var=V(V0), accum=V(A0), lr=f32(.1), epsilon=f32(.01),
                                     grad=G0),
    "SparseApplyAdagradV2": lambda V: dict(var=V(V0), accum=V(A0), lr=f32(.1),
                                           epsilon=f32(.01), grad=G0[:2],
                                           indices=np.int32([3, 1])),
    "ApplyAdaMax": lambda V: dict(var=V(V0), m=V(V0 * .5), v=V(A0), beta1_power=f32(.81),
                                  lr=f32(.1), beta1=f32(.9), beta2=f32(.99), epsilon=f32(1e-3),
                                  grad=G0),
    "ApplyAddSign": lambda V: dict(var=V(V0), m=V(A0 - .5), lr=f32(.1), alpha=f32(1.),
                                   sign_decay=f32(.9), beta=f32(.8), grad=G0),
    "ApplyPowerSign": lambda V: dict(var=V(V0), m=V(A0 - .5), lr=f32(.1), logbase=f32(.7),
                                     sign_decay=f32(.9), beta=f32(.8), grad=G0),
    "ScatterNdMax": lambda V: dict(ref=V(V0), indices=np.int32([[0], [2], [0]]),
                                   updates=G0[:3]),
    "ScatterNdMin": lambda V: dict(ref=V(V0), indices=np.int32([[0, 1], [2, 2]]),
                                   updates=f32([-5, 7])),
}


def _twice(sess, out):
    sess.run(out)
    return sess.run(out)


def test_adagrad_v2_and_scatter_nd_max_by_hand():
    var, acc = tf.Variable([1.0, 2.0]), tf.Variable([1.0, 3.0])
    ref = tf.Variable([[1.0, 5.0], [2.0, 2.0]])
    ada = OPS["ApplyAdagradV2"](var, acc, f32(0.5), f32(1.0), f32([1.0, 1.0]))
    smax = OPS["ScatterNdMax"](ref, np.int32([[0], [1]]),
                               f32([[3, 3], [1, 4]]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, s = sess.run([ada, smax])
    # accum = [2, 4]; var -= 0.5 * 1 / (sqrt(accum) + 1)
    np.testing.assert_allclose(a, [1 - 0.5 / (2 ** 0.5 + 1), 2 - 0.5 / 3], rtol=1e-6)
    np.testing.assert_array_equal(s, [[3, 5], [2, 4]])


def test_variable_updates_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for name, make in UPDATES.items():
        g = tf1.Graph()
        with g.as_default():
            out = getattr(tf1.raw_ops, name)(**make(lambda v: tf1.Variable(v,
                                                                           use_resource=False)))
            with tf1.Session(graph=g) as sess:
                sess.run(tf1.global_variables_initializer())
                want = _twice(sess, out)
        with tf.Graph().as_default():
            out = OPS[name](*make(tf.Variable).values())
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                got = _twice(sess, out)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)
