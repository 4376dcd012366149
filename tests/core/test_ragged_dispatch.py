"""Elementwise ops and operators on RaggedTensors (TF 1.14+'s ragged dispatch): the op on the
flat values, the row partitions kept. References are numpy on the nested Python lists, row by
row, or values recorded from TF 2.21's compat.v1 (hash buckets)."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

ROWS = [[1.5, -2.0], [], [3.0, 0.25, -0.5]]
POS = [[1.5, 2.0], [], [3.0, 0.25, 0.5]]
INTS = [[1, -2], [], [3, 4, -5]]
WORDS = [["ab", "cde"], [], ["f"]]


def _per_row(fn, *rows):
    """``fn`` applied to each row (numpy arrays), as nested lists."""
    return [np.asarray(fn(*[np.asarray(r[i]) for r in rows])).tolist()
            for i in range(len(rows[0]))]


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _check_ragged(out, want, splits=None, dtype=None):
    """``out`` runs to the rows ``want``, cut by ``splits`` (from the rows' lengths if None)."""
    assert isinstance(out, tf.RaggedTensor)
    if dtype is not None:
        assert out.dtype == dtype
    value = _run(out)
    if splits is None:
        splits = np.cumsum([0] + [len(r) for r in want]).tolist()
    assert value.row_splits.tolist() == splits
    got = value.to_list()
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w and isinstance(np.asarray(w).flat[0], (bytes, str, np.bool_, bool)):
            assert g == w
        else:
            np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                       rtol=1e-6)


UNARY = [
    (tf.abs, np.abs, ROWS), (tf.negative, np.negative, ROWS), (tf.square, np.square, ROWS),
    (tf.sign, np.sign, ROWS), (tf.exp, np.exp, ROWS), (tf.log, np.log, POS),
    (tf.sin, np.sin, ROWS), (tf.cos, np.cos, ROWS), (tf.tan, np.tan, ROWS),
    (tf.log1p, np.log1p, POS), (tf.sqrt, np.sqrt, POS), (tf.rsqrt, lambda x: 1 / np.sqrt(x), POS),
    (tf.reciprocal, np.reciprocal, ROWS), (tf.floor, np.floor, ROWS), (tf.ceil, np.ceil, ROWS),
    (tf.round, np.round, ROWS), (tf.tanh, np.tanh, ROWS),
    (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), ROWS),
    (tf.erf, lambda x: np.vectorize(__import__("math").erf)(x) if x.size else x, ROWS),
    (tf.is_finite, np.isfinite, ROWS), (tf.is_nan, np.isnan, ROWS), (tf.is_inf, np.isinf, ROWS),
    (lambda x: tf.cast(x, tf.int32), lambda x: x.astype(np.int32), ROWS),
    (tf.to_int32, lambda x: x.astype(np.int32), ROWS),
    (lambda x: tf.clip_by_value(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0), ROWS),
    (lambda x: tf.check_numerics(x, "bad"), lambda x: x, ROWS),
    (lambda x: tf.scalar_mul(2.0, x), lambda x: 2 * x, ROWS),
]


@pytest.mark.parametrize("fn,ref,rows", UNARY)
def test_unary_ops_apply_to_the_flat_values(fn, ref, rows):
    with tf.Graph().as_default():
        rt = tf.ragged.constant(rows)
        out = fn(rt)
        assert out.flat_values.shape.as_list() == [5]
        _check_ragged(out, _per_row(ref, rows))


def test_unary_keeps_dtype_rules_and_takes_the_input_by_name():
    with tf.Graph().as_default():
        i = tf.ragged.constant(INTS)
        assert tf.to_float(i).dtype == tf.float32 and tf.abs(i).dtype == tf.int32
        _check_ragged(tf.logical_not(x=tf.ragged.constant([[True], [], [False, True, True]])),
                      [[False], [], [True, False, False]], dtype=tf.bool)
        _check_ragged(tf.abs(x=i), _per_row(np.abs, INTS))


def test_string_ops():
    with tf.Graph().as_default():
        rt = tf.ragged.constant(WORDS)
        splits = [0, 2, 2, 3]
        length = tf.strings.length(rt)
        assert length.dtype == tf.int32 and length.flat_values.shape.as_list() == [3]
        _check_ragged(length, [[2, 3], [], [1]], splits)
        _check_ragged(tf.strings.length(input=rt), [[2, 3], [], [1]], splits)
        _check_ragged(tf.strings.substr(rt, 0, 1), [[b"a", b"c"], [], [b"f"]], splits)
        _check_ragged(tf.substr(rt, 1, 2), [[b"b", b"de"], [], [b""]], splits)
        _check_ragged(tf.strings.upper(rt), [[b"AB", b"CDE"], [], [b"F"]], splits)
        _check_ragged(tf.strings.lower(tf.ragged.constant([["AB"], []])), [[b"ab"], []], [0, 1, 1])
        _check_ragged(tf.strings.strip(tf.ragged.constant([[" a "], []])), [[b"a"], []], [0, 1, 1])
        _check_ragged(tf.strings.regex_replace(rt, "[ae]", "X"), [[b"Xb", b"cdX"], [], [b"f"]],
                      splits)
        _check_ragged(tf.strings.regex_full_match(rt, "[a-c]+"), [[True, False], [], [False]],
                      splits)
        _check_ragged(tf.strings.to_number(tf.ragged.constant([["1.5", "-2"], [], ["3"]])),
                      [[1.5, -2.0], [], [3.0]], splits, dtype=tf.float32)
        _check_ragged(tf.as_string(tf.ragged.constant([[1.5], []]), precision=2), [[b"1.50"], []],
                      [0, 1, 1])
        _check_ragged(tf.strings.as_string(tf.ragged.constant(INTS)),
                      [[b"1", b"-2"], [], [b"3", b"4", b"-5"]])
        # bucket values recorded from TF 2.21 (FarmHash / SipHash)
        _check_ragged(tf.strings.to_hash_bucket_fast(rt, 10), [[2, 9], [], [2]], splits,
                      dtype=tf.int64)
        _check_ragged(tf.string_to_hash_bucket_fast(rt, 10), [[2, 9], [], [2]], splits)
        _check_ragged(tf.strings.to_hash_bucket(rt, 10), [[9, 9], [], [8]], splits)
        _check_ragged(tf.strings.to_hash_bucket_strong(rt, 10, [1, 2]), [[6, 8], [], [2]], splits)


BINARY = [
    (tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),
    (tf.truediv, np.true_divide), (tf.divide, np.true_divide), (tf.realdiv, np.true_divide),
    (tf.div, np.true_divide), (tf.floordiv, np.floor_divide), (tf.floormod, np.mod),
    (tf.mod, np.mod), (tf.pow, np.power), (tf.maximum, np.maximum), (tf.minimum, np.minimum),
    (tf.squared_difference, lambda x, y: (x - y) ** 2),
    (tf.div_no_nan, np.true_divide), (tf.equal, np.equal), (tf.not_equal, np.not_equal),
    (tf.less, np.less), (tf.less_equal, np.less_equal), (tf.greater, np.greater),
    (tf.greater_equal, np.greater_equal),
]


@pytest.mark.parametrize("fn,ref", BINARY)
def test_binary_ragged_and_scalar(fn, ref):
    with tf.Graph().as_default():
        rt = tf.ragged.constant(POS)
        _check_ragged(fn(rt, 2.0), _per_row(lambda x: ref(x, np.float32(2.0)), POS))
        _check_ragged(fn(0.5, rt), _per_row(lambda x: ref(np.float32(0.5), x), POS))
        _check_ragged(fn(rt, tf.constant(1.5)), _per_row(lambda x: ref(x, np.float32(1.5)), POS))


@pytest.mark.parametrize("fn,ref", BINARY)
def test_binary_ragged_and_ragged(fn, ref):
    other = [[0.5, 4.0], [], [1.5, 2.0, 0.5]]
    with tf.Graph().as_default():
        x, y = tf.ragged.constant(POS), tf.ragged.constant(other)  # equal splits, other tensors
        assert x.row_splits is not y.row_splits
        out = fn(x, y)
        assert out.flat_values.shape.as_list() == [5]
        _check_ragged(out, _per_row(ref, POS, other))
        _check_ragged(fn(x=x, y=y), _per_row(ref, POS, other))


def test_binary_dtype_rules_follow_the_dense_ops():
    with tf.Graph().as_default():
        i = tf.ragged.constant(INTS)
        assert tf.truediv(i, 2).dtype == tf.float64  # TF's _TRUEDIV_TABLE
        _check_ragged(tf.truediv(i, 2), _per_row(lambda x: x / 2, INTS), dtype=tf.float64)
        _check_ragged(tf.div(i, 2), _per_row(lambda x: x // 2, INTS), dtype=tf.int32)
        _check_ragged(tf.add(tf.ragged.constant(ROWS), 1), _per_row(lambda x: x + 1, ROWS),
                      dtype=tf.float32)


def test_logical_ops():
    a = [[True, False], [], [True, True, False]]
    b = [[True, True], [], [False, True, False]]
    with tf.Graph().as_default():
        x, y = tf.ragged.constant(a), tf.ragged.constant(b)
        _check_ragged(tf.logical_and(x, y), _per_row(np.logical_and, a, b))
        _check_ragged(tf.logical_or(x, y), _per_row(np.logical_or, a, b))
        _check_ragged(tf.logical_xor(x, y), _per_row(np.logical_xor, a, b))
        _check_ragged(tf.logical_and(x, True), a)


def test_mismatched_partitions_fail_at_run_time():
    with tf.Graph().as_default():
        x = tf.ragged.constant([[1.0, 2.0], [], [3.0]])
        same_nrows = tf.ragged.constant([[1.0], [2.0, 3.0], []])
        fewer_rows = tf.ragged.constant([[1.0], [2.0, 3.0]])
        for y in (same_nrows, fewer_rows):
            out = x + y  # built: only the run knows the partitions (as TF, even for constants)
            assert isinstance(out, tf.RaggedTensor)
            with pytest.raises(InvalidArgumentError, match="identical ragged splits"):
                _run(out)


def test_mismatched_partitions_fed():
    with tf.Graph().as_default():
        p = tf.ragged.placeholder(tf.float32, 1, [])
        q = tf.ragged.placeholder(tf.float32, 1, [])
        out = tf.multiply(p, q)
        a = tf.ragged.constant_value([[1.0], [2.0, 3.0]])
        with tf.Session() as sess:
            assert sess.run(out, {p: a, q: a}).to_list() == [[1.0], [4.0, 9.0]]
            for b in ([[1.0, 2.0], [3.0]], [[1.0], [2.0, 3.0], []]):
                with pytest.raises(InvalidArgumentError, match="identical ragged splits"):
                    sess.run(out, {p: a, q: tf.ragged.constant_value(b)})
            # [0, 0, 0] against [0, 0]: they would broadcast elementwise, not equal
            with pytest.raises(InvalidArgumentError, match="identical ragged splits"):
                sess.run(out, {p: tf.ragged.constant_value([[], []]),
                               q: tf.ragged.constant_value([[]])})


def test_build_time_errors():
    with tf.Graph().as_default():
        r1 = tf.ragged.constant([[1, 2], [3]])
        r2 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
        with pytest.raises(ValueError, match="ragged_rank"):
            tf.add(r2, r1)
        r32 = tf.ragged.constant([[1, 2], [3]], row_splits_dtype=tf.int32)
        with pytest.raises(ValueError, match="mismatched row_splits dtypes"):
            r1 + r32
        # a dense value as long as the rows: TF's ragged broadcasting, not supported here
        with pytest.raises(ValueError, match=r"shape \[2\].*not supported"):
            r1 * tf.constant([1, 2])
        with pytest.raises(ValueError, match="not supported"):
            tf.add(r1, tf.placeholder(tf.int32))  # unknown rank


def test_operators():
    with tf.Graph().as_default():
        x, i = tf.ragged.constant(POS), tf.ragged.constant(INTS)
        y = tf.ragged.constant([[0.5, 4.0], [], [1.5, 2.0, 0.5]])
        cases = [
            (x + 1, lambda a: a + 1, POS), (1 + x, lambda a: 1 + a, POS),
            (x - 1, lambda a: a - 1, POS), (1 - x, lambda a: 1 - a, POS),
            (x * 3, lambda a: a * 3, POS), (3 * x, lambda a: 3 * a, POS),
            (x / 2, lambda a: a / 2, POS), (2 / x, lambda a: 2 / a, POS),
            (i // 2, lambda a: a // 2, INTS), (7 // i, lambda a: 7 // a, INTS),
            (i % 3, lambda a: a % 3, INTS), (7 % i, lambda a: 7 % a, INTS),
            (x ** 2, lambda a: a ** 2, POS), (2 ** abs(i), lambda a: 2 ** np.abs(a), INTS),
            (-x, np.negative, POS), (abs(i), np.abs, INTS),
            (x < 1, lambda a: a < 1, POS), (x <= 2, lambda a: a <= 2, POS),
            (x > 1, lambda a: a > 1, POS), (x >= 2, lambda a: a >= 2, POS),
            (~(x > 1), lambda a: ~(a > 1), POS),
            ((x > 1) & (x < 3), lambda a: (a > 1) & (a < 3), POS),
            ((x > 2) | (x < 1), lambda a: (a > 2) | (a < 1), POS),
            ((x > 1) ^ True, lambda a: (a > 1) ^ True, POS),
            (True & (x > 1), lambda a: (a > 1), POS),
            (tf.constant(1.0) + x, lambda a: 1 + a, POS),  # Tensor + RaggedTensor
            (tf.constant(1.0) < x, lambda a: 1 < a, POS),
        ]
        for out, ref, rows in cases:
            _check_ragged(out, _per_row(ref, rows))
        _check_ragged(x + y, _per_row(np.add, POS, [[0.5, 4.0], [], [1.5, 2.0, 0.5]]))
        # & | ^ ~ are the logical ops (TF's ragged operators): an int tensor is refused
        with pytest.raises(TypeError):
            i & 1
        with pytest.raises(TypeError):
            _ = ~i
        # == and != stay identity, as TF1's Tensor; the tensors stay hashable
        assert (x == x) is True and (x == y) is False and (x != y) is True
        assert len({x, y, x}) == 2 and {x: 1}[x] == 1


def test_table_lookup():
    keys = [["a", "c"], [], ["b"]]
    with tf.Graph().as_default():
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2], value_dtype=tf.int64), -1)
        vocab = tf.lookup.StaticVocabularyTable(
            tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64)), 3)
        rt = tf.ragged.constant(keys)
        found, ids = table.lookup(rt), vocab.lookup(keys=rt)
        assert isinstance(found, tf.RaggedTensor) and isinstance(ids, tf.RaggedTensor)
        assert found.flat_values.shape.as_list() == [3] and ids.dtype == tf.int64
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            a, b = sess.run([found, ids])
        ref = {"a": 1, "b": 2}
        assert a.to_list() == [[ref.get(k, -1) for k in row] for row in keys]
        assert a.row_splits.tolist() == [0, 2, 2, 3]
        assert b.to_list() == [[0, 3], [], [1]]  # "c": 2 + its FarmHash bucket, as TF 2.21


NESTED = [[[1, -2], [3]], [], [[4], [], [-5, 6]]]
NESTED_SPLITS = ([0, 2, 2, 5], [0, 2, 3, 4, 4, 6])


def _nested_map(fn, *values):
    if isinstance(values[0], list):
        return [_nested_map(fn, *v) for v in zip(*values)]
    return fn(*values)


def test_ragged_rank_two():
    with tf.Graph().as_default():
        r = tf.ragged.constant(NESTED)
        assert r.ragged_rank == 2
        other = tf.ragged.constant([[[1, 1], [1]], [], [[2], [], [3, 3]]])
        outs = [(r * 2, lambda a: a * 2), (tf.abs(r), abs), (-r, lambda a: -a),
                (r + r * r, lambda a: a + a * a), (tf.cast(r, tf.float32), float)]
        with tf.Session() as sess:
            for out, ref in outs:
                assert isinstance(out, tf.RaggedTensor) and out.ragged_rank == 2
                value = sess.run(out)
                assert [s.tolist() for s in value.nested_row_splits] == list(NESTED_SPLITS)
                assert value.to_list() == _nested_map(ref, NESTED)
            got = sess.run(r - other).to_list()
            assert got == _nested_map(lambda a, b: a - b, NESTED,
                                      [[[1, 1], [1]], [], [[2], [], [3, 3]]])
            inner_differs = tf.ragged.constant([[[1], [1, 1]], [], [[2], [], [3, 3]]])
            with pytest.raises(InvalidArgumentError, match="identical ragged splits"):
                sess.run(r + inner_differs)


def test_uniform_inner_dims():
    rows = [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]]
    with tf.Graph().as_default():
        d2 = tf.ragged.constant(rows, ragged_rank=1)
        assert d2.flat_values.shape.as_list() == [3, 2]
        shift = np.array([10.0, 20.0], np.float32)
        out = d2 + tf.constant(shift)  # a [2] vector broadcasts against each [2] flat value
        assert out.flat_values.shape.as_list() == [3, 2]
        _check_ragged(out, _per_row(lambda a: a + shift, rows), [0, 2, 3])
        _check_ragged(tf.abs(-d2), rows, [0, 2, 3])
        _check_ragged(tf.maximum(d2, 2.5), _per_row(lambda a: np.maximum(a, 2.5), rows),
                      [0, 2, 3])
        with pytest.raises(ValueError, match="not supported"):
            d2 + tf.constant([[10.0, 20.0]])


def test_gradient_through_ragged_ops():
    v0 = np.array([1.0, -2.0, 3.0], np.float32)
    with tf.Graph().as_default():
        v = tf.Variable(v0)
        rt = tf.RaggedTensor.from_row_splits(v, [0, 2, 2, 3])
        loss1 = tf.reduce_sum((tf.abs(rt) * 3.0).flat_values)
        loss2 = tf.reduce_sum(tf.multiply(rt, rt).flat_values)
        g1, = tf.gradients(loss1, v)
        g2, = tf.gradients(loss2, rt.flat_values)
        assert isinstance(g1, tf.Tensor) and isinstance(g2, tf.Tensor)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            a, b = sess.run([g1, g2])
        np.testing.assert_allclose(a, 3 * np.sign(v0))
        np.testing.assert_allclose(b, 2 * v0)


def test_sparse_tensors_still_take_the_sparse_path():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 0], [1, 2]], [-1.0, 4.0], [2, 3])
        for fn, ref in ((tf.abs, np.abs), (tf.sqrt, np.sqrt), (tf.negative, np.negative),
                        (tf.erf, None)):
            out = fn(st)
            assert isinstance(out, tf.SparseTensor)
            value = _run(out)
            assert value.indices.tolist() == [[0, 0], [1, 2]]
            assert value.dense_shape.tolist() == [2, 3]
            if ref is not None:
                with np.errstate(invalid="ignore"):
                    np.testing.assert_allclose(value.values, ref(np.array([-1.0, 4.0])))


MORE_UNARY = [
    (tf.acos, np.arccos, [[0.5, -0.25], [], [0.0]]), (tf.asinh, np.arcsinh, ROWS),
    (tf.sinh, np.sinh, ROWS), (tf.expm1, np.expm1, ROWS), (tf.rint, np.rint, ROWS),
    (tf.math.erfc, lambda x: np.vectorize(__import__("math").erfc)(x) if x.size else x, ROWS),
    (tf.lgamma, lambda x: np.vectorize(__import__("math").lgamma)(x) if x.size else x, POS),
]


@pytest.mark.parametrize("fn, ref, rows", MORE_UNARY)
def test_math_extra_unary_ops(fn, ref, rows):
    _check_ragged(fn(tf.ragged.constant(rows, tf.float32)), _per_row(ref, rows))


@pytest.mark.parametrize("fn, ref", [
    (tf.atan2, np.arctan2),
    (tf.truncatediv, lambda x, y: np.trunc(x / y)),
    (tf.truncatemod, np.fmod),
    (tf.math.xdivy, lambda x, y: np.where(x == 0, 0.0, x / np.where(y == 0, 1, y))),
])
def test_math_extra_binary_ops(fn, ref):
    x, y = [[7, -7], [], [5, 9, -3]], [[2, 3], [], [-2, 4, 2]]
    dtype = tf.int32 if fn in (tf.truncatediv, tf.truncatemod) else tf.float32
    out = fn(tf.ragged.constant(x, dtype), tf.ragged.constant(y, dtype))
    _check_ragged(out, _per_row(ref, x, y))


def test_mutable_and_contrib_table_lookups():
    keys = tf.ragged.constant([["a"], [], ["b", "q"]])
    table = tf.contrib.lookup.MutableHashTable(tf.string, tf.int64, -1)
    ins = table.insert(tf.constant(["a", "b"]), tf.constant([10, 20], tf.int64))
    ids = tf.contrib.lookup.index_table_from_tensor(["b", "a"], num_oov_buckets=0)
    found, id_out = table.lookup(keys), ids.lookup(keys)
    with tf.Session() as sess:
        sess.run([ins, tf.tables_initializer()])
        f, i = sess.run([found, id_out])
    assert f.to_list() == [[10], [], [20, -1]] and i.to_list() == [[1], [], [0, -1]]
