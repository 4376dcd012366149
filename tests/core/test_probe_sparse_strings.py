"""Probe fixes: tf.strings.split's maxsplit, AsString of non-finite values, SparseReduceMax's NaN
rule and gradient, lookup-table checks, build-time shape checks and static sparse shapes.
Expected values are what TF 2.21 (tf.compat.v1 graph mode) gave, unless said otherwise."""

import numpy as np
import pytest

import minitf as tf

NAN = np.nan


def _run(fetch, feed=None):
    with tf.Session() as s:
        return s.run(fetch, feed)


def _rows(sp, n):
    rows = [[] for _ in range(n)]
    for (i, _), t in zip(sp.indices, sp.values):
        rows[i].append(t)
    return rows


SPLIT_CASES = [  # (strings, sep, maxsplit, TF 2.21's rows)
    (["héllo wörld", "  a  b ", "x,y,,z", ""], None, 2,
     [["héllo".encode(), "wörld".encode(), b""], [b"a", b"b", b""], [b"x,y,,z"], []]),
    (["x,y,,z", "a b  c ", " "], None, 1, [[b"x,y,,z", b""], [b"a", b"b  c "], []]),
    (["", "  lead", "a b"], None, 0, [[b""], [b"  lead"], [b"a b"]]),
    (["a,,b", ""], ",", 0, [[b"a,,b"], [b""]]),
    (["a,,b,", "a"], ",", 2, [[b"a", b"", b"b,"], [b"a"]]),
]


@pytest.mark.parametrize("strings,sep,maxsplit,want", SPLIT_CASES)
def test_split_maxsplit_matches_tf(strings, sep, maxsplit, want):
    with tf.Graph().as_default():
        sp = tf.strings.split(tf.constant(strings), sep=sep, maxsplit=maxsplit)
        assert _rows(_run(sp), len(strings)) == want


def test_split_maxsplit_side_by_side_with_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    strings = ["a b", " a  b c ", "\tx\ny ", "", "   ", "one"]
    for maxsplit in (-1, 0, 1, 2, 3):
        g = tf1.Graph()
        with g.as_default(), tf1.Session(graph=g) as s:
            ref = s.run(tf1.strings.split(strings, maxsplit=maxsplit, result_type="SparseTensor"))
        with tf.Graph().as_default():
            got = _run(tf.strings.split(tf.constant(strings), maxsplit=maxsplit))
        assert _rows(got, len(strings)) == _rows(ref, len(strings)), maxsplit


AS_STRING_CASES = [  # (kwargs, TF 2.21's strings for [inf, -inf, nan, -nan, 1.5])
    (dict(width=8, fill="0"), [b"     inf", b"    -inf", b"     nan", b"    -nan", b"1.500000"]),
    (dict(width=6, fill="0", precision=1),
     [b"   inf", b"  -inf", b"   nan", b"  -nan", b"0001.5"]),
    (dict(fill="+"), [b"+inf", b"-inf", b"+nan", b"-nan", b"+1.500000"]),
    (dict(width=6, fill="-", shortest=True),
     [b"inf   ", b"-inf  ", b"nan   ", b"-nan  ", b"1.5   "]),
]


@pytest.mark.parametrize("kwargs,want", AS_STRING_CASES)
def test_as_string_non_finite_as_printf(kwargs, want):
    x = np.array([np.inf, -np.inf, NAN, -NAN, 1.5], np.float32)
    with tf.Graph().as_default():
        assert _run(tf.strings.as_string(x, **kwargs)).tolist() == want


def test_as_string_unsigned_ignores_sign_flags_and_errors_in_tf_order():
    with tf.Graph().as_default():
        # TF 2.21: %u ignores ' ' and '+'
        assert _run(tf.strings.as_string(np.array([3], np.uint8), fill="+")).tolist() == [b"3"]
        with pytest.raises(tf.errors.InvalidArgumentError, match="scientific and shortest"):
            _run(tf.strings.as_string(np.array([3], np.int32), fill="x", shortest=True))
        with pytest.raises(tf.errors.InvalidArgumentError, match='Fill argument not supported'):
            _run(tf.strings.as_string(np.array([3.0], np.float32), fill="x"))


def test_as_string_side_by_side_with_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = np.array([np.inf, -np.inf, NAN, -NAN, 1.5, -0.0, 1e20], np.float64)
    for kw in (dict(width=12, fill="0", scientific=True), dict(width=9, fill=" ", precision=2),
               dict(width=7, fill="#", shortest=True)):
        g = tf1.Graph()
        with g.as_default(), tf1.Session(graph=g) as s:
            ref = s.run(tf1.strings.as_string(x, **kw))
        with tf.Graph().as_default():
            assert _run(tf.strings.as_string(x, **kw)).tolist() == ref.tolist(), kw


def _sparse_row(values):
    n = len(values)
    return tf.SparseTensor(np.array([[0, i] for i in range(n)], np.int64),
                           np.array(values, np.float32), [1, n])


def test_sparse_reduce_max_has_no_gradient_but_sum_has():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        sp = _sparse_row([1.0, 2.0])
        scaled = tf.SparseTensor(sp.indices, sp.values * v, sp.dense_shape)
        assert tf.gradients(tf.sparse.reduce_sum(scaled), v)[0] is not None
        with pytest.raises(LookupError, match="SparseReduceMax"):
            tf.gradients(tf.sparse.reduce_max(scaled), v)


def _table(keys=("a",), values=(1,), default=-1):
    init = tf.lookup.KeyValueTensorInitializer(list(keys), np.array(values, np.int64))
    return tf.lookup.StaticHashTable(init, default)


def test_table_size_before_initialisation_is_zero():
    with tf.Graph().as_default():
        table = _table()
        with tf.Session() as s:
            assert s.run(table.size()) == 0  # TF 2.21
            s.run(tf.tables_initializer())
            assert s.run(table.size()) == 1


def test_table_construction_checks():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"\(2,\) and \(\) are not compatible"):
            _table(default=[-1, -2])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 1"):
            _table(keys=("a", "b"), values=(1,))
        init = tf.lookup.KeyValueTensorInitializer(np.array([1, 2], np.int32),
                                                   np.array([0, 1], np.int64))
        with pytest.raises(TypeError, match="expected one of \\(tf.int64, tf.string\\)"):
            tf.lookup.StaticVocabularyTable(init, 2)
        init64 = tf.lookup.KeyValueTensorInitializer(np.array([5], np.int64),
                                                     np.array([1.0], np.float32))
        table = tf.lookup.StaticHashTable(init64, 0.0)
        with pytest.raises(TypeError, match="must be <dtype: 'int64'>"):
            table.lookup(tf.constant([5], tf.int32))


def test_string_join_static_shapes_must_match():
    with tf.Graph().as_default():
        a = tf.placeholder(tf.string, [2])
        with pytest.raises(ValueError):  # TF 2.21: "Shapes must be equal rank, but are 1 and 2"
            tf.strings.join([a, tf.placeholder(tf.string, [2, 1])])
        with pytest.raises(ValueError):  # TF 2.21: no broadcasting of [1] against [3]
            tf.strings.join([tf.placeholder(tf.string, [1]), tf.placeholder(tf.string, [3])])
        assert tf.strings.join([a, tf.constant("s")]).shape.as_list() == [2]
        assert tf.strings.join([tf.placeholder(tf.string, [None]),
                                tf.placeholder(tf.string, [3])]).shape.as_list() == [3]


def test_sparse_reorder_and_reshape_keep_static_shapes():
    with tf.Graph().as_default():
        p = tf.sparse_placeholder(tf.float32, shape=[3, 4])
        assert tf.sparse.to_dense(tf.sparse.reorder(p)).shape.as_list() == [3, 4]
        assert tf.sparse.to_dense(tf.sparse.reshape(p, [2, -1])).shape.as_list() == [2, 6]
        assert tf.sparse.to_dense(tf.sparse.reshape(p, [-1])).shape.as_list() == [12]
        with pytest.raises(ValueError, match="12 elements to shape \\[5, 5\\]"):
            tf.sparse.reshape(p, [5, 5])
        dense = tf.sparse.to_dense(tf.sparse.reorder(tf.sparse.reshape(p, [2, -1])))
        value = tf.SparseTensorValue(np.array([[0, 1], [2, 0], [1, 2]]),
                                     np.array([1.0, 2.0, 3.0], np.float32), np.array([3, 4]))
        want = np.zeros(12, np.float32)
        want[[1, 8, 6]] = [1.0, 2.0, 3.0]  # numpy: row-major flat positions of the entries
        np.testing.assert_array_equal(_run(dense, {p: value}), want.reshape(2, 6))
