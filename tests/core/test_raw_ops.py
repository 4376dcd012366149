"""tf.raw_ops: keyword-only functions generated from the op registry.

TF-free tests check values against numpy / hand results and the call contract (return forms,
defaults, TF's error wording); TF-gated tests run the same keyword calls in tf.compat.v1 and
compare values and return structure, every registered op's keyword names with TF's raw_ops
signature, and the generated tables (core/raw_ops_outputs.py) with TF's registry.
"""

import inspect
import keyword

import numpy as np
import pytest

import minitf as tf
from minitf import raw_ops
from minitf.opdef import registered
from minitf.raw_ops_outputs import KEYWORD_RENAMES, OUTPUTS

F = np.float32


# Ops TF 1.x loaded from tf.contrib's kernel libraries: TF 2's registry and raw_ops lack them;
# so does XlaClusterOutput, which TF's XLA pass rewrites away before anything runs.
CONTRIB_ONLY = {"BipartiteMatch", "DecodeLibsvm", "GatherTree", "ImageConnectedComponents",
                "MaskedMatmul", "Resampler", "ResamplerGrad", "SkipGramGenerateCandidates",
                "SparseFeatureCross", "SparseFeatureCrossV2", "WALSComputePartialLhsAndRhs",
                "XlaClusterOutput", "ZeroInitializer"}


def public_ops() -> dict:
    """The registered ops tf.raw_ops has that TF's has too: not TF's internal ones
    (``_SwitchN``), nor contrib's."""
    return {k: v for k, v in registered().items()
            if not k.startswith("_") and k not in CONTRIB_ONLY}


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


# --- values and return forms (TF-free) -------------------------------------------------------

def test_single_output_with_default_and_explicit_attrs():
    a = np.arange(6, dtype=F).reshape(2, 3)
    b = np.arange(12, dtype=F).reshape(3, 4)
    plain = raw_ops.MatMul(a=a, b=b)
    flipped = raw_ops.MatMul(a=a.T, b=b, transpose_a=True, name="mm")
    assert isinstance(plain, tf.Tensor) and plain.op.type == "MatMul"
    assert plain.op.get_attr("transpose_a") is False  # the default filled in
    assert flipped.op.name == "mm" and flipped.op.get_attr("transpose_a") is True
    got = _run([plain, flipped])
    np.testing.assert_allclose(got[0], a @ b)
    np.testing.assert_allclose(got[1], a @ b)


def test_default_name_is_the_op_type_and_none_attr_means_default():
    t = raw_ops.Sum(input=np.ones((2, 3), F), axis=1, keep_dims=None)
    assert t.op.name == "Sum" and t.op.get_attr("keep_dims") is False
    assert raw_ops.Sum(input=np.ones((2, 3), F), axis=1).op.name == "Sum_1"
    np.testing.assert_allclose(_run(t), [3.0, 3.0])


def test_type_attrs_are_derived_and_type_attrs_given():
    x = raw_ops.Cast(x=np.array([1.7, -2.2], F), DstT=tf.int32)
    assert x.dtype == tf.int32 and x.op.get_attr("SrcT") == tf.float32
    np.testing.assert_array_equal(_run(x), [1, -2])
    with pytest.raises(TypeError, match="unexpected keyword argument 'SrcT'"):  # as TF
        raw_ops.Cast(x=np.array([1.0], F), DstT=tf.int32, SrcT=tf.float32)


def test_api_input_renames():
    m = np.array([[1, 2], [3, 4]], F)
    total = raw_ops.Sum(input=m, axis=[0], keep_dims=True)  # OpDef: reduction_indices
    picked = raw_ops.Select(condition=[True, False], x=[1, 2], y=[10, 20])  # OpDef: t, e
    where = raw_ops.Where(condition=[[True, False], [False, True]])  # OpDef: input
    grown = raw_ops.ExpandDims(input=[1, 2], axis=0)  # OpDef: dim
    flat = raw_ops.Squeeze(input=np.ones((1, 2, 1), F), axis=[2])  # an attr: squeeze_dims
    assert flat.op.get_attr("squeeze_dims") == [2] and flat.shape.as_list() == [1, 2]
    got = _run([total, picked, where, grown])
    np.testing.assert_allclose(got[0], [[4.0, 6.0]])
    np.testing.assert_array_equal(got[1], [1, 20])
    np.testing.assert_array_equal(got[2], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(got[3], [[1, 2]])
    assert total.op.inputs[1].op.name == "Sum/reduction_indices"  # GraphDef keeps TF's names
    assert "reduction_indices" not in inspect.signature(raw_ops.Sum).parameters


def test_multi_output_namedtuples():
    u = raw_ops.Unique(x=np.array([4, 1, 4, 2], np.int32))
    assert type(u).__name__ == "Unique" and u._fields == ("y", "idx")
    top = raw_ops.TopKV2(input=np.array([1.0, 5.0, 3.0], F), k=2)
    assert top._fields == ("values", "indices")
    got_u, got_top = _run([u, top])
    np.testing.assert_array_equal(got_u.y, [4, 1, 2])
    np.testing.assert_array_equal(got_u.idx, [0, 1, 0, 2])
    np.testing.assert_allclose(got_top.values, [5.0, 3.0])
    np.testing.assert_array_equal(got_top.indices, [1, 2])


def test_list_outputs():
    x = np.arange(6.0, dtype=F)
    one = raw_ops.Split(axis=0, value=x, num_split=1)  # a list even of one tensor, as TF
    three = raw_ops.Split(axis=0, value=x, num_split=3)
    rows = raw_ops.Unpack(value=x.reshape(2, 3), num=2)
    assert isinstance(one, list) and len(one) == 1 and len(three) == 3 and len(rows) == 2
    got = _run([one, three, rows])
    np.testing.assert_allclose(got[0][0], x)
    np.testing.assert_allclose(got[1][2], [4.0, 5.0])
    np.testing.assert_allclose(got[2][1], [3.0, 4.0, 5.0])


def test_list_fields_inside_a_namedtuple():
    parts = raw_ops.SparseSplit(split_dim=0, indices=np.array([[0, 0], [1, 1]], np.int64),
                                values=np.array([1.0, 2.0], F),
                                shape=np.array([2, 2], np.int64), num_split=2)
    assert parts._fields == ("output_indices", "output_values", "output_shape")
    assert all(isinstance(f, list) and len(f) == 2 for f in parts)
    got = _run(parts)
    np.testing.assert_array_equal(got.output_indices[1], [[0, 1]])
    np.testing.assert_allclose(got.output_values[1], [2.0])
    np.testing.assert_array_equal(got.output_shape[0], [1, 2])


def test_list_inputs():
    cat = raw_ops.ConcatV2(values=[[1, 2], [3]], axis=0)
    total = raw_ops.AddN(inputs=[np.ones(2, F), np.full(2, 2.0, F), np.full(2, 4.0, F)])
    same = raw_ops.IdentityN(input=[np.int32(3), np.array([1.5], F)])  # list(T) in and out
    assert total.op.get_attr("N") == 3 and isinstance(same, list) and len(same) == 2
    got = _run([cat, total, same])
    np.testing.assert_array_equal(got[0], [1, 2, 3])
    np.testing.assert_allclose(got[1], [7.0, 7.0])
    assert got[2][0] == 3 and got[2][1].dtype == F


def test_no_output_ops_return_the_operation():
    noop = raw_ops.NoOp(name="nothing")
    check = raw_ops.Assert(condition=True, data=[np.int32(1)])
    assert isinstance(noop, tf.Operation) and noop.name == "nothing"
    assert isinstance(check, tf.Operation) and check.get_attr("summarize") == 3
    assert _run([noop, check]) == [None, None]


def test_stateful_assign_on_a_variable():
    v = tf.Variable(np.array([1.0, 2.0], F))
    assigned = raw_ops.Assign(ref=v, value=np.array([5.0, 6.0], F))
    added = raw_ops.AssignAdd(ref=v, value=np.array([1.0, 1.0], F), use_locking=True)
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(assigned), [5.0, 6.0])
        np.testing.assert_allclose(sess.run(added), [6.0, 7.0])
        np.testing.assert_allclose(sess.run(v), [6.0, 7.0])


# --- errors (TF's wording) -------------------------------------------------------------------

def test_positional_call_names_the_function_and_its_keys():
    with pytest.raises(TypeError) as e:
        raw_ops.MatMul(np.ones((1, 1), F), np.ones((1, 1), F))
    assert str(e.value) == (
        "mat_mul only takes keyword args (possible keys: ['a', 'b', 'transpose_a', "
        "'transpose_b', 'grad_a', 'grad_b', 'name']). Please pass these args as kwargs instead.")


def test_unknown_keyword_and_missing_inputs():
    x = np.ones((1, 1), F)
    with pytest.raises(TypeError, match=r"^mat_mul\(\) got an unexpected keyword argument 'c'$"):
        raw_ops.MatMul(a=x, b=x, c=x)
    with pytest.raises(TypeError, match=r"^mat_mul\(\) missing 1 required positional argument: "
                                        r"'b'$"):
        raw_ops.MatMul(a=x)
    with pytest.raises(TypeError, match=r"missing 2 required positional arguments: 'a' and 'b'$"):
        raw_ops.MatMul()
    with pytest.raises(TypeError, match=r"^split\(\) missing 3 required positional arguments: "
                                        r"'axis', 'value', and 'num_split'$"):
        raw_ops.Split()


def test_unknown_op_and_dir():
    with pytest.raises(AttributeError, match="'NoSuchOp'.*minitf has no such op"):
        raw_ops.NoSuchOp  # noqa: B018
    assert not hasattr(raw_ops, "mat_mul")
    listed = dir(raw_ops)
    assert listed == sorted([*public_ops(), *CONTRIB_ONLY]) and "MatMul" in listed


def test_snake_names():
    assert [raw_ops.snake_name(t) for t in ("MatMul", "Conv2D", "BatchMatMulV2", "CTCLoss",
                                             "ConcatV2", "Relu6", "NoOp")] == [
        "mat_mul", "conv2d", "batch_mat_mul_v2", "ctc_loss", "concat_v2", "relu6", "no_op"]
    assert raw_ops.Conv2D.__name__ == "conv2d"


def test_every_registered_op_has_a_function_with_its_keywords():
    for op_type, od in public_ops().items():
        fn = getattr(raw_ops, op_type)
        params = inspect.signature(fn).parameters
        renames = KEYWORD_RENAMES.get(op_type, {})
        want = [renames.get(n, n) for n in [a.name for a in od.args] + list(od.attrs)] + ["name"]
        assert sorted(params) == sorted(want), op_type
        assert not set(params) & set(od.derived_attrs), op_type


def test_tables_are_sorted_and_name_registered_ops():
    ops = public_ops()
    assert list(OUTPUTS) == sorted(OUTPUTS) and list(KEYWORD_RENAMES) == sorted(KEYWORD_RENAMES)
    for op_type, fields in OUTPUTS.items():
        assert op_type in ops, op_type
        for f in fields:
            name, _, attr = f.partition("*")
            assert name.isidentifier() and not keyword.iskeyword(name), (op_type, f)
            assert not attr or attr in ops[op_type].attrs or attr in ops[op_type].derived_attrs
    for op_type, pairs in KEYWORD_RENAMES.items():
        assert set(pairs) <= {a.name for a in ops[op_type].args} | set(ops[op_type].attrs)


# --- side by side with TensorFlow ------------------------------------------------------------

I32, I64 = np.int32, np.int64
_M = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], F)
_IMG = np.arange(2 * 4 * 4 * 3, dtype=F).reshape(2, 4, 4, 3) / 50.0
_SEED = np.array([7, 11], I64)

SIDE_BY_SIDE = [  # (op type, keyword arguments), the same values given to both libraries
    ("Add", dict(x=_M, y=np.float32(1.5))),
    ("MatMul", dict(a=_M, b=_M, transpose_b=True)),
    ("BatchMatMulV2", dict(x=_M[None], y=_M[None], adj_x=True)),
    ("Sum", dict(input=_M, axis=1, keep_dims=True)),
    ("Mean", dict(input=_M, axis=[0, 1])),
    ("Max", dict(input=_M, axis=0)),
    ("Cast", dict(x=_M, DstT=np.int32, Truncate=False)),
    ("AddN", dict(inputs=[_M, _M, _M])),
    ("Pow", dict(x=np.abs(_M), y=np.float32(0.5))),
    ("SquaredDifference", dict(x=_M, y=_M[::-1])),
    ("Cumsum", dict(x=_M, axis=1, exclusive=True, reverse=True)),
    ("ArgMax", dict(input=_M, dimension=1, output_type=np.int64)),
    ("Range", dict(start=1, limit=10, delta=3)),
    ("Select", dict(condition=[True, False], x=_M, y=-_M)),
    ("SelectV2", dict(condition=_M > 0, t=_M, e=np.float32(0))),
    ("Where", dict(condition=_M > 0)),
    ("UniqueWithCounts", dict(x=np.array([3, 1, 3, 3, 2], I32), out_idx=np.int64)),
    ("TopKV2", dict(input=_M, k=2, sorted=True)),
    ("ListDiff", dict(x=np.array([1, 2, 3, 4], I32), y=np.array([2, 4], I32))),
    ("ConcatV2", dict(values=[_M, _M], axis=-1)),
    ("Pack", dict(values=[_M, _M], axis=1)),
    ("Unpack", dict(value=_M, num=3, axis=1)),
    ("SplitV", dict(value=_M, size_splits=[1, 2], axis=1, num_split=2)),
    ("Squeeze", dict(input=_M[None, :, None], axis=[0])),
    ("Transpose", dict(x=_M, perm=[1, 0])),
    ("Tile", dict(input=_M, multiples=[2, 1])),
    ("Pad", dict(input=_M, paddings=[[1, 0], [0, 2]])),
    ("GatherV2", dict(params=_M, indices=[2, 0], axis=1, batch_dims=0)),
    ("GatherNd", dict(params=_M, indices=[[1, 2], [0, 0]])),
    ("OneHot", dict(indices=[0, 2, -1], depth=3, on_value=np.float32(5), off_value=np.float32(-1),
                    axis=0)),
    ("ShapeN", dict(input=[_M, _IMG])),
    ("BroadcastGradientArgs", dict(s0=np.array([2, 1, 3], I32), s1=np.array([4, 3], I32))),
    ("DynamicPartition", dict(data=np.arange(5, dtype=F), partitions=[1, 0, 1, 2, 0],
                              num_partitions=3)),
    ("StridedSlice", dict(input=_M, begin=[0, 2], end=[2, 0], strides=[1, -1], shrink_axis_mask=0,
                          begin_mask=1)),
    ("Relu", dict(features=_M)),
    ("BiasAdd", dict(value=_M, bias=np.array([1.0, 2.0, 3.0], F), data_format="NHWC")),
    ("Conv2D", dict(input=_IMG, filter=np.ones((2, 2, 3, 2), F), strides=[1, 2, 2, 1],
                    padding="SAME")),
    ("MaxPool", dict(input=_IMG, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID")),
    ("SoftmaxCrossEntropyWithLogits", dict(features=_M, labels=np.array([[0, 1, 0], [.5, .5, 0]],
                                                                         F))),
    ("SparseSoftmaxCrossEntropyWithLogits", dict(features=_M, labels=np.array([2, 0], I32))),
    ("StringJoin", dict(inputs=[np.array([b"a", b"b"]), b"x"], separator="-")),
    ("Substr", dict(input=np.array([b"hello", b"world"]), pos=1, len=3)),
    ("StringSplit", dict(input=np.array([b"a b", b"c"]), delimiter=b" ")),
    ("StringToHashBucketFast", dict(input=np.array([b"cat", b"dog"]), num_buckets=10)),
    ("StatelessRandomUniform", dict(shape=[2, 3], seed=_SEED, dtype=np.float32)),
    ("StatelessRandomNormal", dict(shape=[4], seed=_SEED)),
    ("SparseReshape", dict(input_indices=np.array([[0, 1], [1, 2]], I64),
                           input_shape=np.array([2, 3], I64), new_shape=np.array([3, -1], I64))),
    ("SparseFillEmptyRows", dict(indices=np.array([[0, 1], [2, 0]], I64),
                                 values=np.array([1.0, 2.0], F),
                                 dense_shape=np.array([3, 2], I64), default_value=np.float32(9))),
    ("Merge", dict(inputs=[_M, _M])),
    ("Identity", dict(input=_M)),
    ("NoOp", dict()),
    ("Assert", dict(condition=True, data=[_M], summarize=2)),
]


def _structure(result, operation_type):
    """The return form, library-neutral: 'op', 'tensor', a list, or (type name, fields)."""
    if isinstance(result, operation_type):
        return "op"
    if hasattr(result, "_fields"):
        return (type(result).__name__, result._fields,
                tuple(_structure(r, operation_type) for r in result))
    if isinstance(result, list):
        return [_structure(r, operation_type) for r in result]
    return "tensor"


def _flat(result, operation_type):
    if isinstance(result, operation_type):
        return []
    if isinstance(result, (list, tuple)):
        return [t for r in result for t in _flat(r, operation_type)]
    return [result]


def _side_by_side(op_type, kwargs):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        theirs = getattr(tf1.raw_ops, op_type)(**kwargs)
        with tf1.Session(graph=g) as sess:
            want = sess.run(_flat(theirs, tf1.Operation))
    ours = getattr(raw_ops, op_type)(**kwargs)
    got = _run(_flat(ours, tf.Operation))
    return (_structure(ours, tf.Operation), got), (_structure(theirs, tf1.Operation), want)


@pytest.mark.parametrize("op_type,kwargs", SIDE_BY_SIDE, ids=[c[0] for c in SIDE_BY_SIDE])
def test_same_values_and_structure_as_tensorflow(op_type, kwargs):
    (ours, got), (theirs, want) = _side_by_side(op_type, dict(kwargs))
    assert ours == theirs
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype, op_type
        if np.asarray(w).dtype.kind in "SUO":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


# TF raw_ops keywords minitf's OpDefs do not match on purpose (ours only, TF's only): minitf's
# tf.data pipelines are Python objects, not TF's function-valued attrs and variant tensors, so
# these iterator ops carry the pipeline as a token attr / its captured tensors as an input
# (core/ops/iterator_ops.py) and have no dataset_factory function or metadata proto.
KNOWN_KEYWORD_MISMATCHES = {
    "DatasetToSingleElement": ({"captured"}, {"metadata"}),
    "DatasetToTFRecord": ({"captured", "dataset"}, {"input_dataset"}),
    "MakeIterator": ({"captured"}, set()),
    "OneShotIterator": ({"dataset"}, {"dataset_factory"}),
}


def test_keywords_match_tensorflow_raw_ops():
    tf_ = pytest.importorskip("tensorflow")
    found = {}
    for op_type in public_ops():
        theirs = set(inspect.signature(getattr(tf_.raw_ops, op_type)).parameters)
        ours = set(inspect.signature(getattr(raw_ops, op_type)).parameters)
        if ours != theirs:
            found[op_type] = (ours - theirs, theirs - ours)
    assert found == {k: v for k, v in KNOWN_KEYWORD_MISMATCHES.items() if k in public_ops()}


def test_error_wording_matches_tensorflow():
    tf_ = pytest.importorskip("tensorflow")
    x = np.ones((1, 1), F)
    calls = [("BiasAdd", (x,), {}), ("Conv2D", (x,), {}), ("ConcatV2", (x,), {}),
             ("Sum", (x,), {}), ("Relu", (), {"features": x, "bogus": 1}),
             ("Conv2D", (), {"input": x}), ("Squeeze", (), {"squeeze_dims": [0]}),
             ("Split", (), {}), ("Unique", (), {})]
    for op_type, args, kwargs in calls:
        messages = []
        for lib in (tf_.raw_ops, raw_ops):
            with pytest.raises(TypeError) as e:
                getattr(lib, op_type)(*args, **kwargs)
            messages.append(str(e.value))
        assert messages[0].lstrip("_") == messages[1], op_type  # TF's "_sum": see below


def test_function_names_match_tensorflow():
    """TF hides a few generated functions behind a leading underscore (``_sum``); that prefix
    is TF's module bookkeeping, not part of the rule."""
    tf_ = pytest.importorskip("tensorflow")
    for op_type in public_ops():
        assert raw_ops.snake_name(op_type) == getattr(tf_.raw_ops, op_type).__name__.lstrip("_")


def tf_tables(tf_) -> tuple[dict, dict]:
    """``raw_ops_outputs``' two tables as TF's registry gives them for minitf's ops."""
    from tensorflow.python.framework import op_def_registry

    outputs, renames = {}, {}
    for op_type in sorted(public_ops()):
        proto = op_def_registry.get(op_type)
        outs = proto.output_arg
        if len(outs) > 1 or any(a.number_attr or a.type_list_attr for a in outs):
            outputs[op_type] = tuple(
                a.name + ("*" + a.number_attr if a.number_attr else "")
                + ("*" + a.type_list_attr if a.type_list_attr else "") for a in outs)
        # TF's signature: inputs, attrs without a default, attrs with one (OpDef order each),
        # name; the attrs inputs set are not keywords. Pair them with the OpDef's names.
        inferred = {n for a in proto.input_arg
                    for n in (a.type_attr, a.number_attr, a.type_list_attr) if n}
        attrs = [a for a in proto.attr if a.name not in inferred]
        names = ([a.name for a in proto.input_arg]
                 + [a.name for a in attrs if not a.HasField("default_value")]
                 + [a.name for a in attrs if a.HasField("default_value")])
        params = list(inspect.signature(getattr(tf_.raw_ops, op_type)).parameters)[:-1]
        assert len(names) == len(params), op_type
        pairs = {n: p for n, p in zip(names, params) if n != p}
        if pairs:
            renames[op_type] = pairs
    return outputs, renames


def test_tables_match_tensorflow_registry():
    """The generated tables are still what TF's registry says for every registered op (an op
    registered since needs them printed again: run this file as a script)."""
    outputs, renames = tf_tables(pytest.importorskip("tensorflow"))
    assert OUTPUTS == outputs
    assert KEYWORD_RENAMES == renames


# Attrs minitf's OpDefs declare with a default where TF requires them (True) or require where TF
# has a default (False), on purpose: minitf's tf.data (core/data/iterators.py) makes IteratorV2
# without a container, so it keeps its "" default.
KNOWN_DEFAULT_MISMATCHES = {
    ("IteratorV2", "container"): True,
}


def _same_default(theirs, ours, tf_):
    if isinstance(theirs, tf_.DType):
        return getattr(ours, "name", None) == theirs.name
    if type(theirs).__name__ == "TensorProto":
        return np.array_equal(tf_.make_ndarray(theirs), ours)
    if theirs is None or ours is None:  # TF's None default for a shape attr: unknown shape
        return theirs is ours or getattr(ours, "rank", 0) is None
    return theirs == ours or (hasattr(ours, "as_list") and ours.as_list() == theirs)


def test_defaults_match_tensorflow_raw_ops():
    tf_ = pytest.importorskip("tensorflow")
    empty = inspect.Parameter.empty
    found, wrong = {}, []
    for op_type in public_ops():
        theirs = inspect.signature(getattr(tf_.raw_ops, op_type)).parameters
        ours = inspect.signature(getattr(raw_ops, op_type)).parameters
        for key in set(theirs) & set(ours):
            t, o = theirs[key].default, ours[key].default
            if (t is empty) != (o is empty):
                found[(op_type, key)] = t is empty
            elif t is not empty and not _same_default(t, o, tf_):
                wrong.append((op_type, key, t, o))
    assert found == {k: v for k, v in KNOWN_DEFAULT_MISMATCHES.items() if k[0] in public_ops()}
    assert wrong == []


if __name__ == "__main__":  # prints core/raw_ops_outputs.py's tables
    import tensorflow

    for table, rows in zip(("OUTPUTS", "KEYWORD_RENAMES"), tf_tables(tensorflow)):
        print(f"{table} = {{")
        for k, v in rows.items():
            print(f"    {k!r}: {v!r},".replace("'", '"'))
        print("}\n")
