"""The OpDef attrs brought in line with TF 2.21's registry: bad_indices_policy (GatherNd,
ScatterNd, the TensorScatter* and ScatterNd* ops), Ftrl's multiply_linear_by_lr, TopKV2's
index_type, MatMul's / BatchMatMulV2's gradient hints; attrs TF derives from an input (dtype,
shape_dtype); attrs TF requires or defaults; the queue and string-handle ops without their
list attrs. TF-free tests check numpy / hand-computed values; TF-gated ones run the same ops
in tf.compat.v1, compare node attrs, and import a GraphDef TF wrote with the new attrs set.
"""

import zlib

import numpy as np
import pytest

import minitf as tf
from minitf import raw_ops
from minitf.export import graph_to_graph_def
from minitf.ops import control_flow_ops

F = np.float32
P = np.arange(12, dtype=F).reshape(4, 3)
BAD = np.array([[1], [6], [-1], [3]], np.int32)  # two index tuples out of range
UPD = np.full((4, 3), 5.0, F)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, init=None):
    with tf.Session() as sess:
        if init is not None:
            sess.run(init)
        return sess.run(fetches)


# --- bad_indices_policy ----------------------------------------------------------------------

_TENSOR_SCATTERS = {"TensorScatterUpdate": lambda t, u: u, "TensorScatterAdd": np.add,
                    "TensorScatterSub": np.subtract, "TensorScatterMax": np.maximum,
                    "TensorScatterMin": np.minimum}
_VARIABLE_SCATTERS = {"ScatterNdUpdate": lambda t, u: u, "ScatterNdAdd": np.add,
                      "ScatterNdSub": np.subtract, "ScatterNdMax": np.maximum,
                      "ScatterNdMin": np.minimum}


def _ignored_ref(fn):
    out = P.copy()
    for row in (1, 3):  # only the index tuples in range
        out[row] = fn(out[row], UPD[0])
    return out


def test_ignore_policy_skips_or_zero_fills_bad_index_tuples():
    gathered = raw_ops.GatherNd(params=P, indices=BAD, bad_indices_policy="IGNORE")
    scattered = raw_ops.ScatterNd(indices=BAD, updates=UPD, shape=[4, 3],
                                  bad_indices_policy="IGNORE")
    tensors = {op: getattr(raw_ops, op)(tensor=P, indices=BAD, updates=UPD,
                                        bad_indices_policy="IGNORE") for op in _TENSOR_SCATTERS}
    got = _run([gathered, scattered, tensors])
    np.testing.assert_array_equal(got[0], [P[1], np.zeros(3), np.zeros(3), P[3]])
    np.testing.assert_array_equal(got[1], [np.zeros(3), UPD[0], np.zeros(3), UPD[0]])
    for op, fn in _TENSOR_SCATTERS.items():
        np.testing.assert_array_equal(got[2][op], _ignored_ref(fn), err_msg=op)


@pytest.mark.parametrize("op", sorted(_VARIABLE_SCATTERS))
def test_ignore_policy_on_variable_scatters(op):
    v = tf.Variable(P)
    out = getattr(raw_ops, op)(ref=v, indices=BAD, updates=UPD, bad_indices_policy="IGNORE")
    np.testing.assert_array_equal(_run(out, v.initializer), _ignored_ref(_VARIABLE_SCATTERS[op]))


@pytest.mark.parametrize("policy", ["", "DEFAULT", "ERROR", "bogus"])
def test_other_policies_refuse_bad_index_tuples_at_run_time(policy):
    ops = [raw_ops.GatherNd(params=P, indices=BAD, bad_indices_policy=policy),
           raw_ops.ScatterNd(indices=BAD, updates=UPD, shape=[4, 3], bad_indices_policy=policy),
           raw_ops.TensorScatterAdd(tensor=P, indices=BAD, updates=UPD,
                                    bad_indices_policy=policy)]
    want = "Unknown bad indices handling attribute: bogus" if policy == "bogus" else \
        r"indices\[1\] = \[6\] does not index into"
    for t in ops:
        with pytest.raises(tf.errors.InvalidArgumentError, match=want):
            _run(t)
    # In range, the three policies give the plain values.
    if policy != "bogus":
        ok = raw_ops.GatherNd(params=P, indices=[[2], [0]], bad_indices_policy=policy)
        np.testing.assert_array_equal(_run(ok), P[[2, 0]])


def test_gather_nd_gradient_passes_the_policy_on_as_tfs_rule():
    x = tf.constant(P)
    picked = raw_ops.GatherNd(params=x, indices=[[1, 2], [7, 0], [3, 0]],
                              bad_indices_policy="IGNORE")
    (dx,) = tf.gradients(tf.reduce_sum(picked * [1.0, 2.0, 3.0]), [x])
    assert dx.op.type == "ScatterNd" and dx.op.get_attr("bad_indices_policy") == b"IGNORE"
    want = np.zeros_like(P)
    want[1, 2], want[3, 0] = 1.0, 3.0
    np.testing.assert_array_equal(_run(dx), want)


# --- Ftrl's multiply_linear_by_lr ------------------------------------------------------------

_VAR = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]], np.float64)
_ACC = np.array([[0.2, 0.4, 1.0], [0.3, 0.1, 0.5]], np.float64)
_LIN = np.array([[0.05, -0.2, 0.3], [0.0, 0.01, -0.02]], np.float64)
_G = np.array([[0.3, -0.7, 0.2], [1.5, -0.05, 0.4]], np.float64)
_HYPER = dict(lr=0.1, l1=0.05, l2=0.02)


def _ftrl_by_lr_ref(var, acc, lin, g, lr, l1, l2, lr_power, shrink=None):
    """One multiply_linear_by_lr step, from TF's formulas (training_ops.cc): linear is kept
    multiplied by lr."""
    gs = g if shrink is None else g + 2 * shrink * var
    new_acc = acc + g * g
    lin = lin + gs * lr - (new_acc ** -lr_power - acc ** -lr_power) * var
    quad = new_acc ** -lr_power + 2 * l2 * lr
    var = np.where(np.abs(lin) > l1 * lr, (l1 * lr * np.sign(lin) - lin) / quad, 0.0)
    return var, new_acc, lin


def _ftrl_call(lib, op, refs, lr_power, by_lr, sparse):
    var, acc, lin = refs
    kw = dict(var=var, accum=acc, linear=lin, grad=_G[1:] if sparse else _G,
              lr=_HYPER["lr"], l1=_HYPER["l1"], l2=_HYPER["l2"], lr_power=lr_power,
              multiply_linear_by_lr=by_lr)
    if sparse:
        kw["indices"] = np.array([1], np.int32)
    if op.endswith("V2"):
        kw["l2_shrinkage"] = 0.03
    return getattr(lib.raw_ops if hasattr(lib, "raw_ops") else lib, op)(**kw)


@pytest.mark.parametrize("lr_power", [-0.5, -0.75])
def test_ftrl_multiply_linear_by_lr_by_hand(lr_power):
    refs = [tf.Variable(a) for a in (_VAR, _ACC, _LIN)]
    dense = _ftrl_call(raw_ops, "ApplyFtrlV2", refs, lr_power, True, False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(dense)
        got_acc, got_lin = sess.run(refs[1:])
    want = _ftrl_by_lr_ref(_VAR, _ACC, _LIN, _G, lr_power=lr_power, shrink=0.03, **_HYPER)
    np.testing.assert_allclose(got, want[0], rtol=1e-12)
    np.testing.assert_allclose(got_acc, want[1], rtol=1e-12)
    np.testing.assert_allclose(got_lin, want[2], rtol=1e-12)
    # it is not the plain rule: the same step without the attr differs
    plain = [tf.Variable(a) for a in (_VAR, _ACC, _LIN)]
    other = _ftrl_call(raw_ops, "ApplyFtrlV2", plain, lr_power, False, False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert not np.allclose(sess.run(other), want[0])


@pytest.mark.parametrize("op", ["ApplyFtrl", "ApplyFtrlV2", "SparseApplyFtrl",
                                "SparseApplyFtrlV2"])
@pytest.mark.parametrize("by_lr", [False, True])
@pytest.mark.parametrize("lr_power", [-0.5, -0.75])
def test_ftrl_matches_tensorflow(op, by_lr, lr_power):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    sparse = op.startswith("Sparse")
    g = tf1.Graph()
    with g.as_default():
        theirs = [tf1.Variable(a, use_resource=False) for a in (_VAR, _ACC, _LIN)]
        out = _ftrl_call(tf1, op, [v._ref() for v in theirs], lr_power, by_lr, sparse)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            want = [sess.run(out)] + sess.run(theirs[1:])
    ours = [tf.Variable(a) for a in (_VAR, _ACC, _LIN)]
    out = _ftrl_call(raw_ops, op, ours, lr_power, by_lr, sparse)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = [sess.run(out)] + sess.run(ours[1:])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


# --- TopKV2 index_type, the gradient hints ---------------------------------------------------

def test_top_k_index_type_and_its_gradient():
    x = tf.constant(np.array([[1.0, 5.0, 3.0, 4.0]], F))
    for dtype in (tf.int16, tf.int64):
        top = raw_ops.TopKV2(input=x, k=2, index_type=dtype)
        assert top.indices.dtype == dtype
        (dx,) = tf.gradients(tf.reduce_sum(top.values * [10.0, 1.0]), [x])
        idx, grad = _run([top.indices, dx])
        assert idx.dtype == dtype.as_numpy_dtype
        np.testing.assert_array_equal(idx, [[1, 3]])
        np.testing.assert_array_equal(grad, [[0.0, 10.0, 0.0, 1.0]])
    with pytest.raises(TypeError, match="parameter 'index_type' has DataType float32 not in "
                                        "list of allowed values: int16, int32, int64"):
        raw_ops.TopKV2(input=x, k=1, index_type=tf.float32)


def test_new_attrs_at_their_defaults_stay_out_of_the_graph_def():
    a = tf.constant(P)
    nodes = [raw_ops.MatMul(a=a, b=a, transpose_b=True), raw_ops.TopKV2(input=a, k=1).values,
             raw_ops.GatherNd(params=a, indices=[[0]]),
             raw_ops.BatchMatMulV2(x=a, y=a, adj_y=True)]
    set_ = [raw_ops.MatMul(a=a, b=a, transpose_b=True, grad_a=True),
            raw_ops.TopKV2(input=a, k=1, index_type=tf.int64).values,
            raw_ops.GatherNd(params=a, indices=[[0]], bad_indices_policy="IGNORE"),
            raw_ops.BatchMatMulV2(x=a, y=a, adj_y=True, grad_y=True)]
    # minitf's export (stripped; as_graph_def writes every attr, as TF's)
    gd = {n.name: n for n in graph_to_graph_def(tf.get_default_graph(),
                                                strip_default_attrs=True).node}
    new = {"grad_a", "grad_b", "grad_x", "grad_y", "index_type", "bad_indices_policy"}
    for t in nodes:
        assert not set(gd[t.op.name].attr) & new, t.op.type
    for t, key in zip(set_, ["grad_a", "index_type", "bad_indices_policy", "grad_y"]):
        assert key in gd[t.op.name].attr, t.op.type
    values = _run(nodes + set_)
    for plain, hinted in zip(values[:4], values[4:]):
        np.testing.assert_array_equal(plain, hinted)


# --- attrs derived from an input -------------------------------------------------------------

def _derived_nodes(lib, v, state):
    """v: a float64 variable (a reference); state: an int64 RNG state (TF: a resource). A
    Python or numpy shape converts to int64 (shape_dtype's default, as TF's); an int32
    tensor gives int32."""
    shape32 = lib.constant([2, 2], lib.int32)
    return [
        lib.raw_ops.IsVariableInitialized(ref=v).op,
        lib.raw_ops.PlaceholderWithDefault(input=np.float16(1.0), shape=[]).op,
        lib.raw_ops.NonDeterministicInts(shape=shape32).op,
        lib.raw_ops.StatefulUniform(resource=state, algorithm=1, shape=shape32).op,
        lib.raw_ops.StatefulStandardNormalV2(resource=state, algorithm=1, shape=[3]).op,
        lib.raw_ops.StatefulTruncatedNormal(resource=state, algorithm=1, shape=shape32).op,
        lib.raw_ops.StatefulUniformFullInt(resource=state, algorithm=1,
                                           shape=np.array([2], np.int32)).op,
        lib.raw_ops.StatefulUniformInt(resource=state, algorithm=1, shape=shape32,
                                       minval=np.int64(0), maxval=np.int64(9)).op,
    ]


def _ours():
    return _derived_nodes(tf, tf.Variable(np.zeros(3)), tf.Variable(np.array([1, 2, 3])))


def test_derived_attrs_follow_the_input():
    ops = _ours()
    assert ops[0].get_attr("dtype") == tf.float64 and ops[1].get_attr("dtype") == tf.float16
    assert [o.get_attr("shape_dtype") for o in ops[2:]] == [tf.int32, tf.int32, tf.int64,
                                                           tf.int32, tf.int64, tf.int32]
    for op_type in ("IsVariableInitialized", "PlaceholderWithDefault", "StatefulUniform"):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            getattr(raw_ops, op_type)(dtype=tf.float32, shape_dtype=tf.int32)


def test_derived_attrs_match_tensorflow_node_attrs():
    """Same attr names on the node, and the derived ones with TF's values."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        v = tf1.Variable(np.zeros(3), use_resource=False)
        state = tf1.Variable(np.array([1, 2, 3], np.int64), use_resource=True)
        theirs = _derived_nodes(tf1, v._ref(), state.handle)
    for o, t in zip(_ours(), theirs):
        assert o.type == t.type
        # all attrs (ours keeps defaulted ones out of node_def, as its GraphDefs)
        assert set(o._attrs) == {k for k in t.node_def.attr if k != "_class"}, o.type
        derived = "dtype" if o.type in ("IsVariableInitialized", "PlaceholderWithDefault") \
            else "shape_dtype"
        assert derived in o.node_def.attr, o.type  # derived: always written
        for key in ("dtype", "shape_dtype"):
            if key in t.node_def.attr:
                assert o.get_attr(key).name == t.get_attr(key).name, (o.type, key)


# --- a GraphDef TF wrote with the new attrs set ----------------------------------------------

def test_import_a_tensorflow_graph_def_that_sets_the_new_attrs():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    m = np.arange(6, dtype=F).reshape(2, 3)
    g = tf1.Graph()
    with g.as_default():
        r = tf1.raw_ops
        fetches = [
            r.GatherNd(params=P, indices=BAD, bad_indices_policy="IGNORE", name="gnd"),
            r.ScatterNd(indices=BAD, updates=UPD, shape=[4, 3], bad_indices_policy="IGNORE",
                        name="snd"),
            r.TensorScatterMax(tensor=P, indices=BAD, updates=UPD, bad_indices_policy="IGNORE",
                               name="tsm"),
            r.TopKV2(input=m, k=2, index_type=tf1.int64, name="top").indices,
            r.MatMul(a=m, b=m, transpose_b=True, grad_a=True, grad_b=True, name="mm"),
            r.BatchMatMulV2(x=m[None], y=m[None], adj_y=True, grad_x=True, name="bmm"),
            r.PlaceholderWithDefault(input=np.int64(7), shape=[], name="pwd"),
            r.DecodeCompressed(bytes=[zlib.compress(b"abc")], compression_type="ZLIB",
                               name="dc"),
            r.StringToHashBucket(string_tensor=["a", "b"], num_buckets=5, name="sthb"),
            r.StaticRegexReplace(input=["a-b"], pattern="-", rewrite="+", name="srr"),
            r.ReverseSequence(input=m, seq_lengths=np.array([2, 3], np.int64), seq_dim=1,
                              name="rs"),
        ]
        with tf1.Session(graph=g) as sess:
            want = sess.run(fetches)
        blob = g.as_graph_def().SerializeToString()
    names = [t.name for t in fetches]
    got_t = tf.import_graph_def(tf.GraphDef.FromString(blob), return_elements=names, name="")
    graph = tf.get_default_graph()
    assert graph.get_operation_by_name("gnd").get_attr("bad_indices_policy") == b"IGNORE"
    assert graph.get_operation_by_name("top").get_attr("index_type") == tf.int64
    assert graph.get_operation_by_name("mm").get_attr("grad_a") is True
    assert graph.get_operation_by_name("pwd").get_attr("dtype") == tf.int64
    got = _run(got_t)
    for name, a, b in zip(names, got, want):
        assert np.asarray(a).dtype == np.asarray(b).dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


# --- required / defaulted attrs as TF's ------------------------------------------------------

def test_queues_without_shapes_take_any_element_and_refuse_dequeue_many():
    for op in ("FIFOQueueV2", "RandomShuffleQueueV2"):
        q = getattr(raw_ops, op)(component_types=[tf.float32], capacity=5)
        assert q.op.get_attr("shapes") == []
        puts = [raw_ops.QueueEnqueueV2(handle=q, components=[np.ones(n, F)]) for n in (2, 3)]
        take = raw_ops.QueueDequeueV2(handle=q, component_types=[tf.float32])
        many = raw_ops.QueueDequeueManyV2(handle=q, n=1, component_types=[tf.float32])
        assert take[0].shape.rank is None
        with tf.Session() as sess:
            sess.run(puts)
            assert {sess.run(take)[0].shape, sess.run(take)[0].shape} == {(2,), (3,)}
            sess.run(puts[0])
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="DequeueMany and DequeueUpTo require the components to "
                                     "have specified shapes"):
                sess.run(many)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Shapes must be provided for all components, but received 1 "
                             "dtypes and 0 shapes"):
        raw_ops.PaddingFIFOQueueV2(component_types=[tf.float32])


def test_attrs_tf_requires_are_required():
    x = np.ones((2, 3), F)
    for call in (lambda: raw_ops.ReverseSequence(input=x, seq_lengths=[1, 2]),
                 lambda: raw_ops.StaticRegexFullMatch(input=["a"]),
                 lambda: raw_ops.ApproxTopK(input=x),
                 lambda: raw_ops.Enter(data=x)):
        with pytest.raises(TypeError, match="missing 1 required positional argument"):
            call()
    with pytest.raises(TypeError, match="requires attr 'frame_name'"):
        control_flow_ops.ENTER(x)
