"""SequenceExample parsing: parse_single_sequence_example / parse_sequence_example against
hand-computed values, TensorFlow's messages for bad records (hard-coded, as TF 2.21 gave them),
TensorFlow itself side by side, and GraphDefs in both directions (TF -> minitf for the three op
types TF writes, minitf -> TF for what minitf writes)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.parsing_sequence import parse_sequence_example, parse_single_sequence_example
from .side_by_side import run_graph_def_in_tf

from .op_cases.parsing_sequence import R1, R2, sequence_example, strings

R3 = sequence_example({"a": [5, 6]}, {"x": [], "z": []})
R4 = sequence_example({"a": [3, 4], "v": [1.5]},
                      {"x": [[7.0, 8.0]], "z": [[1], [2], [3], [4]], "y": [None, [b"q"]]})
FL, FLS, VL = tf.FixedLenFeature, tf.FixedLenSequenceFeature, tf.VarLenFeature


def run(fn, *args, **kwargs):
    with tf.Graph().as_default():
        out = fn(*args, **kwargs)
        with tf.Session() as sess:
            return sess.run(out)


def assert_sparse(st, indices, values, shape):
    np.testing.assert_array_equal(st.indices, np.array(indices, np.int64).reshape(-1, len(shape)))
    np.testing.assert_array_equal(st.values, values)
    np.testing.assert_array_equal(st.dense_shape, shape)


def test_single_hand_computed():
    context, lists = run(parse_single_sequence_example, R1,
                         {"a": FL([2], tf.int64), "c": FL([], tf.float32, default_value=9.0),
                          "v": VL(tf.float32)},
                         {"x": FLS([2], tf.float32), "y": VL(tf.string)})
    np.testing.assert_array_equal(context["a"], [1, 2])
    assert context["c"] == np.float32(9.0)
    assert_sparse(context["v"], [], np.zeros(0, np.float32), [0])
    np.testing.assert_array_equal(lists["x"], [[1, 2], [3, 4], [5, 6]])
    assert lists["x"].dtype == np.float32
    # An empty Feature is a step with no values: it counts as a row of the SparseTensor.
    assert_sparse(lists["y"], [[0, 0], [1, 0], [1, 1]], [b"a", b"b", b"c"], [3, 2])


def test_batch_pads_feature_lists_and_reports_lengths():
    context, lists, lengths = run(
        parse_sequence_example, [R1, R4, R3], {"a": FL([2], tf.int64), "v": VL(tf.float32)},
        {"x": FLS([2], tf.float32, allow_missing=True), "z": FLS([], tf.int64, allow_missing=True),
         "y": VL(tf.string)})
    np.testing.assert_array_equal(context["a"], [[1, 2], [3, 4], [5, 6]])
    assert_sparse(context["v"], [[1, 0]], [1.5], [3, 1])
    np.testing.assert_array_equal(lists["x"], [[[1, 2], [3, 4], [5, 6]], [[7, 8], [0, 0], [0, 0]],
                                               [[0, 0], [0, 0], [0, 0]]])
    np.testing.assert_array_equal(lists["z"], [[0, 0, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]])
    assert_sparse(lists["y"], [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 1, 0]],
                  [b"a", b"b", b"c", b"q"], [3, 3, 2])
    assert sorted(lengths) == ["x", "z"]  # dense feature lists only, as TF
    np.testing.assert_array_equal(lengths["x"], [3, 1, 0])
    np.testing.assert_array_equal(lengths["z"], [0, 4, 0])


def test_missing_lists_and_string_padding():
    _, lists, lengths = run(parse_sequence_example, [R1, R4, R3], None,
                            {"x": FLS([1, 2], tf.float32, allow_missing=True),
                             "q": FLS([], tf.string, allow_missing=True)})
    assert lists["q"].shape == (3, 0) and lists["x"].shape == (3, 3, 1, 2)
    np.testing.assert_array_equal(lengths["q"], [0, 0, 0])
    _, lists = run(parse_single_sequence_example, R3, None,
                   {"x": FLS([2], tf.float32), "w": VL(tf.int64)})
    assert lists["x"].shape == (0, 2)
    assert_sparse(lists["w"], [], np.zeros(0, np.int64), [0, 0])


def test_static_shapes():
    with tf.Graph().as_default():
        batch = tf.placeholder(tf.string, [None])
        context, lists, lengths = parse_sequence_example(
            batch, {"a": FL([2], tf.int64), "v": VL(tf.float32)},
            {"x": FLS([3], tf.float32), "y": VL(tf.string)})
        assert context["a"].shape.as_list() == [None, 2]
        assert lists["x"].shape.as_list() == [None, None, 3]
        assert lengths["x"].shape.as_list() == [None]
        assert lists["y"].indices.shape.as_list() == [None, 3]
        assert context["v"].dense_shape.shape.as_list() == [2]
        c1, l1 = parse_single_sequence_example(
            tf.placeholder(tf.string, []), {"a": FL([2], tf.int64)}, {"x": FLS([3], tf.float32)})
        assert c1["a"].shape.as_list() == [2] and l1["x"].shape.as_list() == [None, 3]


# TF 2.21 gave these messages (the kernel's FastParseSequenceExample, quirks included).
RUN_ERRORS = [
    (parse_single_sequence_example, R1, {"b": FL([2], tf.int64)}, None, {},
     "Inconsistent max number of elements for feature b: expected 2, but found 0"),
    (parse_single_sequence_example, R1, {"a": FL([2], tf.float32)}, None, {},
     "Name: <unknown>, Context feature: a.  Data types don't match. Expected type: float"),
    (parse_single_sequence_example, R1, {"a": FL([3], tf.int64)}, None, {},
     "Inconsistent max number of elements for feature a: expected 3, but found 2"),
    (parse_single_sequence_example, R1, None, {"z": FLS([2], tf.float32)},
     {"example_name": "ex"}, "Name: ex, Feature list 'z' is required but could not be found.  "
     "Did you mean to include it in feature_list_dense_missing_assumed_empty or "
     "feature_list_dense_defaults?"),
    (parse_single_sequence_example, R1, None, {"x": FLS([3], tf.float32)}, {},
     "Name: <unknown>, Key: x, Index: 0.  Number of values != expected.  values size: 2 but "
     "output shape: [3]"),
    (parse_single_sequence_example, R1, None, {"x": FLS([4], tf.float32)}, {},
     "Feature list 'x' has an unexpected number of values.  Total values size: 6 is not "
     "consistent with output shape: [?,4]"),
    (parse_single_sequence_example, R1, None, {"y": VL(tf.int64)}, {},
     "Name: <unknown>, Feature list: y, Index: 0.  Data types don't match. Expected type: int64"),
    (parse_single_sequence_example, R1, None, {"y": FLS([], tf.string)}, {},
     "Name: <unknown>, Key: y, Index: 1.  Number of values != expected.  values size: 2 but "
     "output shape: []"),
    (parse_sequence_example, [R4, R1], {"v": FL([1], tf.float32)}, None, {},
     "Feature: v (data type: float) is required but could not be found."),
    (parse_sequence_example, [R4, R1], {"v": FL([2], tf.float32, default_value=[0.0, 1.0])},
     None, {"example_names": ["n0", "n1"]}, "Unexpected number of elements in example n0"),
    (parse_sequence_example, [R1, R4], {"v": VL(tf.int64)}, None,
     {"example_names": ["n0", "n1"]},
     "Name: n1, Context feature: v.  Data types don't match. Expected type: int64"),
    (parse_sequence_example, [R1, b"\x12\x05zz"], {"a": FL([2], tf.int64)}, None,
     {"example_names": ["n0", "n1"]}, "Invalid protocol message input, example id: n1"),
]


@pytest.mark.parametrize("fn, record, context, lists, kwargs, message", RUN_ERRORS)
def test_bad_records_raise_tensorflows_messages(fn, record, context, lists, kwargs, message):
    with pytest.raises(errors.InvalidArgumentError) as info:
        run(fn, record, context, lists, **kwargs)
    assert message in str(info.value)


def test_bad_configurations_raise_value_error():
    bad = [({"a": FLS([2], tf.int64, allow_missing=True)}, None,
            "Unsupported FixedLenSequenceFeature"),
           (None, {"x": FL([2], tf.float32)}, "Unsupported FixedLenFeature"),
           (None, None, "Both context_features and sequence_features are None"),
           (None, {"x": FLS([2], tf.float32, default_value=1.0)},
            "Value feature_list.dense_defaults[x] must be None")]
    for context, lists, message in bad:
        with tf.Graph().as_default(), pytest.raises(ValueError) as info:
            parse_single_sequence_example(R1, context, lists)
        assert message in str(info.value)
    # an unparsable dtype: the op's TypeError naming the parameter, as TF's
    for context, lists, param in [({"a": FL([2], tf.int32)}, None, "context_dense_defaults"),
                                  (None, {"b": FLS([2], tf.float64, allow_missing=True)},
                                   "feature_list_dense_types"),
                                  ({"v": tf.VarLenFeature(tf.bool)}, None,
                                   "context_sparse_types")]:
        with tf.Graph().as_default(), pytest.raises(TypeError, match=f"parameter '{param}'"):
            parse_single_sequence_example(R1, context, lists)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="must be a vector"):
        parse_sequence_example(R1, {"a": FL([2], tf.int64)})


# -- side by side with TensorFlow ----------------------------------------------------------------
def _tf_features(tf1, features):
    if features is None:
        return None
    out = {}
    for key, f in features.items():
        fields = [getattr(tf1, x.name) if isinstance(x, tf.DType) else x for x in f]
        out[key] = getattr(tf1.io, type(f).__name__)(*fields)
    return out


def _flatten(value):
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flatten(value[k])]
    if isinstance(value, (tuple, list)) and not hasattr(value, "indices"):
        return [x for v in value for x in _flatten(v)]
    if hasattr(value, "indices"):
        return [value.indices, value.values, value.dense_shape]
    return [value]


SIDE_BY_SIDE = [
    ("single", R1, {"a": FL([2], tf.int64), "c": FL([], tf.float32, default_value=9.0),
                    "v": VL(tf.float32)}, {"x": FLS([2], tf.float32), "y": VL(tf.string)}),
    ("single", R4, {"a": FL([1, 2], tf.int64), "v": VL(tf.float32)},
     {"z": FLS([], tf.int64), "y": VL(tf.string), "x": FLS([2], tf.float32)}),
    ("single", R3, None, {"x": FLS([2], tf.float32),
                          "q": FLS([], tf.string, allow_missing=True), "w": VL(tf.int64)}),
    ("batch", [R1, R4, R3], {"a": FL([2], tf.int64), "v": VL(tf.float32)},
     {"x": FLS([2], tf.float32, allow_missing=True), "z": FLS([], tf.int64, allow_missing=True),
      "y": VL(tf.string)}),
    ("batch", [R1, R4, R3], None, {"x": FLS([1, 2], tf.float32, allow_missing=True),
                                   "q": FLS([], tf.string, allow_missing=True)}),
    ("batch", [R1, R2], {"v": FL([1], tf.float32, default_value=[0.0]),
                         "s": FL([2], tf.string, default_value=[b"p", b"q"])}, None),
    ("batch", [R4, R1], None, {"x": FLS([3], tf.float32)}),
    ("batch", [R4, R1], {"a": FL([2], tf.string)}, None),
    ("batch", [R1, R1], {"b": FL([2], tf.int64)}, None),
    ("batch", [R1, R4], None, {"z": FLS([], tf.int64)}),
]


@pytest.mark.parametrize("kind, records, context, lists", SIDE_BY_SIDE)
def test_matches_tensorflow(kind, records, context, lists):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    mine = (parse_single_sequence_example if kind == "single" else parse_sequence_example)
    theirs = (tf1.io.parse_single_sequence_example if kind == "single"
              else tf1.io.parse_sequence_example)
    try:
        got = _flatten(run(mine, records, context, lists))
    except errors.InvalidArgumentError as e:
        got = e.message
    g = tf1.Graph()
    with g.as_default():
        out = theirs(records, _tf_features(tf1, context), _tf_features(tf1, lists))
        with tf1.Session(graph=g) as sess:
            try:
                want = _flatten(sess.run(out))
            except tf1.errors.InvalidArgumentError as e:
                want = e.message
    if isinstance(want, str):
        assert isinstance(got, str) and got.splitlines()[0] in want
        return
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert np.asarray(a).shape == np.asarray(b).shape
        np.testing.assert_array_equal(a, b)


def _tf_graph_with_all_three_op_types(tf1):
    """A TF graph holding ParseSingleSequenceExample and ParseSequenceExample (TF 1.x's raw ops)
    and ParseSequenceExampleV2 (what tf.io.parse_sequence_example writes)."""
    s = tf1.placeholder(tf1.string, [], name="s")
    b = tf1.placeholder(tf1.string, [None], name="b")
    raw = tf1.raw_ops
    common = dict(context_sparse_types=[tf1.float32], context_dense_shapes=[[2]],
                  feature_list_sparse_types=[tf1.string],
                  feature_list_dense_types=[tf1.float32, tf1.int64],
                  feature_list_dense_shapes=[[2], []],
                  context_dense_defaults=[tf1.constant([0, 0], tf1.int64)])
    single = raw.ParseSingleSequenceExample(
        serialized=s, feature_list_dense_missing_assumed_empty=["x"], context_sparse_keys=["v"],
        context_dense_keys=["a"], feature_list_sparse_keys=["y"],
        feature_list_dense_keys=["x", "z"], debug_name="nm", name="single", **common)
    v1 = raw.ParseSequenceExample(
        serialized=b, debug_name=["n1", "n2"], feature_list_dense_missing_assumed_empty=["x", "z"],
        context_sparse_keys=["v"], context_dense_keys=["a"], feature_list_sparse_keys=["y"],
        feature_list_dense_keys=["x", "z"], Ncontext_sparse=1, Ncontext_dense=1,
        Nfeature_list_sparse=1, Nfeature_list_dense=2, name="v1", **common)
    v2 = tf1.io.parse_sequence_example(
        b, {"a": tf1.io.FixedLenFeature([2], tf1.int64), "v": tf1.io.VarLenFeature(tf1.float32)},
        {"x": tf1.io.FixedLenSequenceFeature([2], tf1.float32, allow_missing=True),
         "y": tf1.io.VarLenFeature(tf1.string)})
    flat = tf1.nest.flatten([list(single), list(v1), v2], expand_composites=True)
    assert {"ParseSingleSequenceExample", "ParseSequenceExample",
            "ParseSequenceExampleV2"} <= {t.op.type for t in flat}
    return [t.name for t in flat]


def test_tensorflow_graph_def_imports_and_runs():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    feed = {"s:0": R4, "b:0": [R1, R4]}
    with g.as_default():
        names = _tf_graph_with_all_three_op_types(tf1)
        with tf1.Session(graph=g) as sess:
            want = sess.run(names, feed)
    graph_def = g.as_graph_def().SerializeToString()
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(graph_def), name="")
        with tf.Session() as sess:
            got = sess.run(names, feed)
    for a, b in zip(got, want):
        assert np.asarray(a).shape == np.asarray(b).shape
        np.testing.assert_array_equal(a, b)


def test_minitf_graph_runs_in_tensorflow():
    pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default() as g:
        b = tf.placeholder(tf.string, [None], name="b")
        s = tf.placeholder(tf.string, [], name="s")
        out = [parse_sequence_example(b, {"a": FL([2], tf.int64), "v": VL(tf.float32)},
                                      {"x": FLS([2], tf.float32, allow_missing=True),
                                       "y": VL(tf.string)}, example_names=["r1", "r2"]),
               parse_single_sequence_example(s, {"c": FL([], tf.float32, default_value=2.5)},
                                             {"x": FLS([2], tf.float32)})]
        names = [t.name for t in _flatten(out)]
        feed = {"b:0": strings(R1, R4), "s:0": R1}
        with tf.Session() as sess:
            mine = sess.run(names, feed)
        graph_def = g.as_graph_def().SerializeToString()
    for a, b in zip(mine, run_graph_def_in_tf(graph_def, names, feed)):
        np.testing.assert_array_equal(a, b)


def test_graph_def_without_default_valued_attrs_imports():
    """SavedModels may strip attrs equal to TF's defaults (the empty lists of types)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.framework import meta_graph

    g = tf1.Graph()
    with g.as_default():
        b = tf1.placeholder(tf1.string, [None], name="b")
        context, lists, lengths = tf1.io.parse_sequence_example(
            b, {"a": tf1.io.FixedLenFeature([2], tf1.int64)},
            {"x": tf1.io.FixedLenSequenceFeature([2], tf1.float32)})
        names = [context["a"].name, lists["x"].name, lengths["x"].name]
    stripped = tf1.MetaGraphDef()
    stripped.graph_def.CopyFrom(g.as_graph_def())
    meta_graph.strip_graph_default_valued_attrs(stripped)
    node = next(n for n in stripped.graph_def.node if n.op == "ParseSequenceExampleV2")
    assert "context_sparse_types" not in node.attr
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(stripped.graph_def.SerializeToString()),
                            name="")
        with tf.Session() as sess:
            a, x, n = sess.run(names, {"b:0": strings(R1, R2)})
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(x, [[[1, 2], [3, 4], [5, 6]], [[7, 8], [0, 0], [0, 0]]])
    np.testing.assert_array_equal(n, [3, 1])


def test_graph_construction_checks():
    from minitf.ops import parsing_sequence_ops as ops

    empty = strings()
    no_ragged = dict(context_ragged_value_types=[], context_ragged_split_types=[],
                     feature_list_ragged_value_types=[], feature_list_ragged_split_types=[])
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="at most rank 1"):
            ops.PARSE_SEQUENCE_EXAMPLE_V2(
                tf.placeholder(tf.string, [2, 2]), empty, empty, empty, empty, empty, empty,
                empty, np.zeros([0], bool), [], **no_ragged)
        with pytest.raises(errors.InvalidArgumentError, match="Nfeature_list_dense"):
            ops.PARSE_SEQUENCE_EXAMPLE_V2(
                strings(R1), empty, empty, empty, empty, empty, strings(b"x"), empty,
                np.array([True]), [], feature_list_dense_types=[tf.float32],
                feature_list_dense_shapes=[[2]], **no_ragged)
        with pytest.raises(errors.InvalidArgumentError, match="context_dense_keys"):
            ops.PARSE_SEQUENCE_EXAMPLE(
                strings(R1), empty, [np.zeros([0], np.int64)], context_dense_keys=["a", "b"],
                Ncontext_dense=1, context_dense_shapes=[[2]], context_sparse_keys=[],
                feature_list_sparse_keys=[], feature_list_dense_keys=[],
                feature_list_dense_missing_assumed_empty=[])
        with pytest.raises(errors.UnimplementedError, match="ragged features are not parsed"):
            ops.PARSE_SEQUENCE_EXAMPLE_V2(
                strings(R1), empty, empty, empty, strings(b"r"), empty, empty, empty,
                np.zeros([0], bool), [], **{**no_ragged, "context_ragged_value_types": [
                    tf.int64], "context_ragged_split_types": [tf.int64]})


def _random_values(rng, kind, n):
    if kind == "int64":
        return [int(v) for v in rng.integers(-5, 6, n)]
    if kind == "float":
        return [float(v) for v in rng.integers(-5, 6, n)]
    return [bytes([97 + int(v)]) for v in rng.integers(0, 4, n)]


def _random_case(rng):
    """Random records for a random configuration; now and then a feature is missing, has
    another kind or another count, so TF's errors are compared too."""
    kinds = ["int64", "float", "bytes"]
    ctx = {f"c{i}": (rng.choice(kinds), int(rng.integers(1, 4))) for i in
           range(rng.integers(0, 3))}
    lists = {f"l{i}": (rng.choice(kinds), int(rng.integers(1, 3))) for i in
             range(rng.integers(1, 3))}
    dtype = {"int64": tf.int64, "float": tf.float32, "bytes": tf.string}

    def record():
        c = {k: _random_values(rng, kind if rng.random() < 0.95 else "float",
                               n if rng.random() < 0.9 else 1)
             for k, (kind, n) in ctx.items() if rng.random() < 0.85}
        f = {k: [_random_values(rng, kind if rng.random() < 0.97 else "int64",
                                n if rng.random() < 0.9 else 2) or None
                 for _ in range(rng.integers(0, 4))]
             for k, (kind, n) in lists.items() if rng.random() < 0.85}
        return sequence_example(c, f)

    context = {k: VL(dtype[kind]) if rng.random() < 0.4 else
               FL([n], dtype[kind], default_value=None if rng.random() < 0.5 else
                  _random_values(rng, kind, n)) for k, (kind, n) in ctx.items()}
    sequence = {k: VL(dtype[kind]) if rng.random() < 0.4 else
                FLS([n] if n > 1 else [], dtype[kind], allow_missing=rng.random() < 0.6)
                for k, (kind, n) in lists.items()}
    if rng.random() < 0.4:
        return "single", record(), context or None, sequence
    return "batch", [record() for _ in range(rng.integers(1, 4))], context or None, sequence


@pytest.mark.parametrize("seed", range(40))
def test_random_configurations_match_tensorflow(seed):
    test_matches_tensorflow(*_random_case(np.random.default_rng(seed)))


def test_tf1_names():
    from minitf import parsing_sequence

    assert tf.parse_single_sequence_example is parsing_sequence.parse_single_sequence_example
    assert tf.io.parse_single_sequence_example is parsing_sequence.parse_single_sequence_example
    assert tf.io.parse_sequence_example is parsing_sequence.parse_sequence_example
