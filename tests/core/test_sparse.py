"""SparseTensor and tf.sparse: construction, Session feeds and fetches, the functions against
dense numpy references, gradients, and the errors that name what is wrong. (Each op's kernel
and gradient are also checked by the op harness: op_cases/sparse.py; the same graphs are
compared with tf.compat.v1 by data/sparse_vs_tf.py.)"""

import collections
import importlib.util

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

from .legacy_tf import run_against_tf

IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]], np.int64)
VALS = np.array([1.5, -2.0, 3.0, 0.5], np.float32)


def dense_of(idx, vals, shape):
    out = np.zeros(shape, np.float64)
    for i, v in zip(idx, vals):
        out[tuple(i)] += v
    return out


DENSE = dense_of(IDX, VALS, (3, 4))


def test_sparse_tensor_static_shape_and_parts():
    with tf.Graph().as_default():
        sp = tf.SparseTensor(IDX, VALS, [3, 4])
        assert sp.shape.as_list() == [3, 4] and sp.get_shape().as_list() == [3, 4]
        assert sp.dtype == tf.float32 and sp.indices.dtype == tf.int64
        assert sp.dense_shape.dtype == tf.int64 and sp.op is sp.values.op
        with tf.Session() as sess:
            got = sess.run(sp)
        assert isinstance(got, tf.SparseTensorValue)
        np.testing.assert_array_equal(got.indices, IDX)
        np.testing.assert_array_equal(got.values, VALS)
        np.testing.assert_array_equal(got.dense_shape, [3, 4])


def test_sparse_tensor_rejects_inconsistent_parts():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="indices must be a matrix"):
            tf.SparseTensor([0, 1], [1.0, 2.0], [3])
        with pytest.raises(ValueError):  # 2 indices, 3 values
            tf.SparseTensor([[0], [1]], [1.0, 2.0, 3.0], [3])
        with pytest.raises(ValueError):  # rank-2 indices, rank-1 shape
            tf.SparseTensor([[0, 1]], [1.0], [3])


def test_sparse_placeholder_names_shapes_and_feeds():
    with tf.Graph().as_default() as g:
        sp = tf.sparse_placeholder(tf.float32, shape=[None, 4], name="sp")
        assert (sp.indices.name, sp.values.name, sp.dense_shape.name) == \
            ("sp/indices:0", "sp/values:0", "sp/shape:0")
        assert sp.indices.shape.as_list() == [None, 2] and sp.shape.as_list() == [None, 4]
        assert g.get_operation_by_name("sp/shape").type == "PlaceholderWithDefault"
        free = tf.sparse_placeholder(tf.float32)
        assert free.shape.rank is None and free.dense_shape.op.type == "Placeholder"
        dense = tf.sparse.to_dense(sp)
        with tf.Session() as sess:
            # A SparseTensorValue, a plain tuple, or the three tensors one by one.
            a = sess.run(dense, {sp: tf.SparseTensorValue(IDX, VALS, [3, 4])})
            b = sess.run(dense, {sp: (IDX.tolist(), VALS.tolist(), (3, 4))})
            c = sess.run(dense, {sp.indices: IDX, sp.values: VALS, sp.dense_shape: [3, 4]})
            fn = sess.make_callable([dense, sp], [sp])
            d, echoed = fn(tf.SparseTensorValue(IDX, VALS, [3, 4]))
            # The fed dense_shape default is -1 for the unknown dim: feeding only two parts
            # gets it from the default, which SparseToDense then refuses.
            with pytest.raises(InvalidArgumentError, match="negative"):
                sess.run(dense, {sp.indices: IDX, sp.values: VALS})
            with pytest.raises(TypeError, match="SparseTensorValue or a"):
                sess.run(dense, {sp: DENSE})
    for got in (a, b, c, d):
        np.testing.assert_allclose(got, DENSE)
    assert isinstance(echoed, tf.SparseTensorValue)
    np.testing.assert_array_equal(echoed.indices, IDX)


def test_fetch_structures_and_eval():
    Pair = collections.namedtuple("Pair", ["sparse", "dense"])
    with tf.Graph().as_default():
        sp = tf.SparseTensor(IDX, VALS, [3, 4])
        with tf.Session() as sess:
            got = sess.run({"a": [sp, Pair(sp, tf.sparse.to_dense(sp))]})
            ev = sp.eval()
    first, pair = got["a"]
    assert isinstance(pair, Pair) and isinstance(pair.sparse, tf.SparseTensorValue)
    np.testing.assert_array_equal(first.values, VALS)
    np.testing.assert_allclose(pair.dense, DENSE)
    np.testing.assert_array_equal(ev.indices, IDX)


def test_dense_ops_refuse_a_sparse_tensor():
    with tf.Graph().as_default():
        sp = tf.SparseTensor(IDX, VALS, [3, 4])
        with pytest.raises(TypeError, match="SparseTensor"):
            tf.reduce_sum(sp)


def test_to_dense_checks_order_repeats_and_bounds():
    cases = [([[1, 0], [0, 1]], "out of order"), ([[0, 1], [0, 1]], "is repeated"),
             ([[0, 1], [3, 0]], r"out of bounds: need 0 <= index < \[3, 4\]")]
    with tf.Graph().as_default():
        for idx, message in cases:
            sp = tf.SparseTensor(idx, [1.0, 2.0], [3, 4])
            with tf.Session() as sess, pytest.raises(InvalidArgumentError, match=message):
                sess.run(tf.sparse.to_dense(sp))
        # Unsorted indices are fine without validation, and tf.sparse.reorder fixes them.
        sp = tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [3, 4])
        with tf.Session() as sess:
            loose = sess.run(tf.sparse.to_dense(sp, validate_indices=False))
            fixed = sess.run(tf.sparse.to_dense(tf.sparse.reorder(sp), default_value=-1.0))
    np.testing.assert_allclose(loose, dense_of([[1, 0], [0, 1]], [1.0, 2.0], (3, 4)))
    want = np.full((3, 4), -1.0)
    want[1, 0], want[0, 1] = 1.0, 2.0
    np.testing.assert_allclose(fixed, want)


def test_sparse_to_dense_function():
    with tf.Graph().as_default():
        out = tf.sparse_to_dense([0, 3], [5], 7.0, default_value=1.0)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(out), [7, 1, 1, 7, 1])


def test_matmul_values_gradients_and_errors():
    rng = np.random.default_rng(1)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, [3, 4])
        bt = tf.constant(b)
        y = tf.sparse_tensor_dense_matmul(sp, bt)
        y_adj = tf.sparse.sparse_dense_matmul(sp, tf.constant(b.T), adjoint_b=True)
        y_t = tf.sparse.matmul(sp, tf.constant(rng.standard_normal((3, 2)).astype(np.float32)),
                               adjoint_a=True)
        # Rows from dense_shape's value (a fed one may differ from [3, 4]), as TF's.
        assert y.shape.as_list() == [None, 2] and y_t.shape.as_list() == [None, 2]
        d_vals, d_b = tf.gradients(tf.reduce_sum(y * y), [sp.values, bt])
        feed = {sp: tf.SparseTensorValue(IDX, VALS, [3, 4])}
        with tf.Session() as sess:
            got, got_adj, gv, gb = sess.run([y, y_adj, d_vals, d_b], feed)
            free = tf.sparse_placeholder(tf.float32)
            with pytest.raises(InvalidArgumentError, match="inner dimension does not match"):
                sess.run(tf.sparse.matmul(free, bt), {free: (IDX, VALS, [3, 5])})
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            tf.sparse_tensor_dense_matmul(sp, tf.ones([3, 2]))
    np.testing.assert_allclose(got, DENSE @ b, rtol=1e-5)
    np.testing.assert_allclose(got_adj, DENSE @ b, rtol=1e-5)
    # d/dA of sum((A b)^2) = 2 (A b) b^T, read at the entries; d/db = 2 A^T (A b).
    full = 2 * (DENSE @ b) @ b.T
    np.testing.assert_allclose(gv, [full[tuple(i)] for i in IDX], rtol=1e-4)
    np.testing.assert_allclose(gb, 2 * DENSE.T @ (DENSE @ b), rtol=1e-4)


def test_add_sparse_and_dense():
    rng = np.random.default_rng(2)
    d = rng.standard_normal((3, 4)).astype(np.float32)
    with tf.Graph().as_default():
        sp = tf.SparseTensor(IDX, VALS, [3, 4])
        other = tf.SparseTensor([[1, 0], [2, 3]], [2.0, 1.0], [3, 4])
        as_dense = tf.sparse.add(sp, tf.constant(d))
        summed = tf.sparse.add(sp, other)  # (1, 0): -2 + 2 = 0 is kept at threshold 0
        dropped = tf.sparse.add(sp, other, threshold=0.1)
        operator = sp + tf.constant(d)
        with tf.Session() as sess:
            a, s, t, o = sess.run([as_dense, summed, dropped, operator])
        with pytest.raises(TypeError, match="At least one input should be SparseTensor"):
            tf.sparse.add(tf.constant(d), tf.constant(d))
    np.testing.assert_allclose(a, DENSE + d, rtol=1e-6)
    np.testing.assert_allclose(o, DENSE + d, rtol=1e-6)
    np.testing.assert_array_equal(s.indices, [[0, 1], [1, 0], [1, 3], [2, 2], [2, 3]])
    np.testing.assert_allclose(s.values, [1.5, 0.0, 3.0, 0.5, 1.0])
    np.testing.assert_array_equal(t.indices, [[0, 1], [1, 3], [2, 2], [2, 3]])


def test_reshape_reduce_transpose_retain_fill_from_dense():
    with tf.Graph().as_default():
        sp = tf.SparseTensor(IDX, VALS, [3, 4])
        reshaped = tf.sparse.reshape(sp, [2, -1])
        assert reshaped.shape.as_list() == [2, 6]
        transposed = tf.sparse.transpose(sp)
        assert transposed.shape.as_list() == [4, 3]
        neg = tf.SparseTensor(IDX, -np.abs(VALS), [3, 4])
        outs = {
            "reshape": tf.sparse.to_dense(reshaped),
            "sum1": tf.sparse.reduce_sum(sp, axis=1),
            "sum_all": tf.sparse_reduce_sum(sp),
            "sum_keep": tf.sparse.reduce_sum(sp, axis=0, keepdims=True),
            "max0": tf.sparse.reduce_max(neg, axis=0),
            "transpose": tf.sparse.to_dense(transposed),
            "retain": tf.sparse.to_dense(tf.sparse.retain(sp, [True, False, False, True])),
            "fill": tf.sparse.fill_empty_rows(tf.SparseTensor([[1, 1]], [5.0], [3, 2]), -1.0),
            "from_dense": tf.sparse.from_dense(tf.constant(DENSE.astype(np.float32))),
        }
        with pytest.raises(ValueError, match="Cannot reshape a tensor with 12 elements"):
            tf.sparse.reshape(sp, [5, -1])  # as TF: known at build
        new_shape = tf.placeholder(tf.int64, [2])
        bad = tf.sparse.reshape(sp, new_shape)
        with tf.Session() as sess:
            got = sess.run(outs)
            with pytest.raises(InvalidArgumentError, match="12 dense values"):
                sess.run(bad.indices, {new_shape: [5, -1]})
    np.testing.assert_allclose(got["reshape"], DENSE.reshape(2, 6))
    np.testing.assert_allclose(got["sum1"], DENSE.sum(1), rtol=1e-6)
    np.testing.assert_allclose(got["sum_all"], DENSE.sum(), rtol=1e-6)
    np.testing.assert_allclose(got["sum_keep"], DENSE.sum(0, keepdims=True), rtol=1e-6)
    # Max over the entries present only (negative here); column 0..3 each have one entry.
    np.testing.assert_allclose(got["max0"], [-2.0, -1.5, -0.5, -3.0])
    np.testing.assert_allclose(got["transpose"], DENSE.T)
    np.testing.assert_allclose(got["retain"], dense_of(IDX[[0, 3]], VALS[[0, 3]], (3, 4)))
    filled, empty = got["fill"]
    np.testing.assert_array_equal(filled.indices, [[0, 0], [1, 1], [2, 0]])
    np.testing.assert_allclose(filled.values, [-1.0, 5.0, -1.0])
    np.testing.assert_array_equal(empty, [True, False, True])
    np.testing.assert_array_equal(got["from_dense"].indices, IDX)
    np.testing.assert_allclose(got["from_dense"].values, VALS)


def test_elementwise_with_dense_and_its_gradient():
    rng = np.random.default_rng(3)
    d = rng.uniform(1, 2, (1, 4)).astype(np.float32)
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, [3, 4])
        dt = tf.constant(d)
        prod, quot = sp * dt, sp / dt
        assert isinstance(prod, tf.SparseTensor) and prod.shape.as_list() == [3, 4]
        gv, gd = tf.gradients(tf.reduce_sum(prod.values) + tf.reduce_sum(quot.values),
                              [sp.values, dt])
        with tf.Session() as sess:
            p, q, a, b = sess.run([prod, quot, gv, gd], {sp: (IDX, VALS, [3, 4])})
    cols = IDX[:, 1]
    np.testing.assert_allclose(p.values, VALS * d[0, cols], rtol=1e-6)
    np.testing.assert_allclose(q.values, VALS / d[0, cols], rtol=1e-6)
    np.testing.assert_allclose(a, d[0, cols] + 1 / d[0, cols], rtol=1e-5)
    want = np.zeros((1, 4))
    for c, v in zip(cols, VALS):
        want[0, c] += v - v / d[0, c] ** 2
    np.testing.assert_allclose(b, want, rtol=1e-5)


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("weighted", [False, True])
def test_embedding_lookup_sparse(combiner, weighted):
    rng = np.random.default_rng(4)
    params = rng.standard_normal((5, 3)).astype(np.float32)
    rows = {0: [(2, 0.5), (0, 2.0)], 2: [(2, 1.5), (4, 1.0), (2, 1.0)]}  # row 1 has no ids
    idx = [[r, k] for r, items in rows.items() for k in range(len(items))]
    ids = [i for items in rows.values() for i, _ in items]
    ws = [w for items in rows.values() for _, w in items]
    with tf.Graph().as_default():
        sp_ids = tf.SparseTensor(idx, tf.constant(ids, tf.int64), [3, 3])
        sp_w = tf.SparseTensor(idx, ws, [3, 3]) if weighted else None
        p = tf.Variable(params)
        out = tf.nn.embedding_lookup_sparse(p, sp_ids, sp_w, combiner=combiner)
        grad = tf.gradients(tf.reduce_sum(out * out), p)[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, g = sess.run([out, tf.convert_to_tensor(grad)])
    want = np.zeros((3, 3))
    for r, items in rows.items():
        w = np.array([w if weighted else 1.0 for _, w in items])
        vecs = np.stack([params[i] for i, _ in items])
        total = (w[:, None] * vecs).sum(0)
        scale = {"sum": 1.0, "mean": w.sum(), "sqrtn": np.sqrt((w * w).sum())}[combiner]
        want[r] = total / scale
    np.testing.assert_allclose(got, want, rtol=1e-5)  # row 1 (no ids) is 0
    # d/dparams of sum(out^2): each id's row gets 2 out[row] * its weight / scale.
    want_g = np.zeros_like(params, dtype=np.float64)
    for r, items in rows.items():
        w = np.array([w if weighted else 1.0 for _, w in items])
        scale = {"sum": 1.0, "mean": w.sum(), "sqrtn": np.sqrt((w * w).sum())}[combiner]
        for (i, _), wi in zip(items, w):
            want_g[i] += 2 * want[r] * wi / scale
    np.testing.assert_allclose(g, want_g, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_sparse_over_sharded_params(strategy):
    """params as a list of shards: ids map to shards as embedding_lookup maps them ("mod":
    id % shards; "div": contiguous blocks, the first shards one row longer)."""
    params = np.arange(15, dtype=np.float32).reshape(5, 3)
    shard_rows = {"mod": [[0, 2, 4], [1, 3]], "div": [[0, 1, 2], [3, 4]]}[strategy]
    shards = [tf.constant(params[rows]) for rows in shard_rows]
    sp_ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 4, 3], tf.int64),
                             [2, 2])
    out = tf.nn.embedding_lookup_sparse(shards, sp_ids, None, partition_strategy=strategy,
                                        combiner="mean")
    grads = tf.gradients(tf.reduce_sum(out), shards)
    with tf.Session() as sess:
        got, g = sess.run([out, [tf.convert_to_tensor(x) for x in grads]])
    np.testing.assert_allclose(got, [(params[1] + params[4]) / 2, params[3]])
    full = np.zeros_like(params)
    for rows, piece in zip(shard_rows, g):
        full[rows] = piece
    np.testing.assert_allclose(full[:, 0], [0, 0.5, 0, 1, 0.5])


def test_signatures_refuse_sparse_tensors(tmp_path):
    from minitf.export import save_model

    with tf.Graph().as_default():
        x = tf.sparse_placeholder(tf.float32, [None, 3])
        y = tf.sparse.reduce_sum(x, axis=1)
        with tf.Session() as sess, pytest.raises(InvalidArgumentError, match="SparseTensor"):
            save_model(str(tmp_path / "1"), sess, inputs={"x": x}, outputs={"y": y})


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_against_tensorflow():
    """Op types, static shapes, values and gradients against tf.compat.v1."""
    run_against_tf("sparse_vs_tf.py", 1)


def test_from_dense_of_strings_and_string_zeros():
    """A string tensor's zero is b"" (ZerosLike used to give the integer 0, so every string
    compared unequal to it and from_dense kept the empty ones)."""
    with tf.Graph().as_default():
        words = tf.constant([[b"", b"a"], [b"b", b""]])
        sp = tf.sparse.from_dense(words)
        with tf.Session() as sess:
            zeros, got = sess.run([tf.zeros_like(words), sp])
    assert zeros.tolist() == [[b"", b""], [b"", b""]]
    np.testing.assert_array_equal(got.indices, [[0, 1], [1, 0]])
    assert got.values.tolist() == [b"a", b"b"]


# -- SparseTensors in tf.data ------------------------------------------------------------------
def _records():
    f = tf.train
    out = []
    for ids in ([3, 1, 4], [], [5]):
        feats = {"ids": f.Feature(int64_list=f.Int64List(value=ids))} if ids else {}
        out.append(f.Example(features=f.Features(feature=feats)).SerializeToString())
    arr = np.empty(3, object)
    arr[:] = out
    return arr


def test_dataset_parses_batches_and_yields_sparse_tensors():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(_records()).map(
            lambda r: tf.parse_single_example(r, {"ids": tf.VarLenFeature(tf.int64)})["ids"])
        assert ds.output_classes is tf.SparseTensor and ds.output_types == tf.int64
        assert ds.output_shapes.as_list() == [None]
        batched = ds.batch(2)
        nxt = tf.data.make_one_shot_iterator(batched).get_next()
        assert isinstance(nxt, tf.SparseTensor) and nxt.shape.as_list() == [None, None]
        dense = tf.sparse.to_dense(nxt, default_value=-1)
        with tf.Session() as sess:
            first, first_dense = sess.run([nxt, dense])
            second = sess.run(nxt)
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)
    np.testing.assert_array_equal(first.indices, [[0, 0], [0, 1], [0, 2]])
    np.testing.assert_array_equal(first.values, [3, 1, 4])
    np.testing.assert_array_equal(first.dense_shape, [2, 3])  # the longest row: 3
    np.testing.assert_array_equal(first_dense, [[3, 1, 4], [-1, -1, -1]])
    np.testing.assert_array_equal(second.indices, [[0, 0]])
    np.testing.assert_array_equal(second.dense_shape, [1, 1])


def test_dataset_slices_unbatches_and_maps_sparse_components():
    value = tf.SparseTensorValue(IDX, VALS, [3, 4])
    with tf.Graph().as_default():
        rows = tf.data.Dataset.from_tensor_slices(value)
        assert rows.output_shapes.as_list() == [4]
        doubled = rows.map(lambda s: s * 2.0).batch(2).unbatch()
        nxt = tf.data.make_one_shot_iterator(doubled).get_next()
        got = []
        with tf.Session() as sess:
            for _ in range(5):
                try:
                    got.append(sess.run(tf.sparse.to_dense(nxt)))
                except tf.errors.OutOfRangeError:
                    break
        with pytest.raises(TypeError, match="padded_batch.*SparseTensor"):
            rows.padded_batch(2)
    np.testing.assert_allclose(np.stack(got), 2 * DENSE)


def test_reinitializable_iterator_with_sparse_output_classes():
    value = tf.SparseTensorValue(IDX, VALS, [3, 4])
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensors(value)
        it = tf.data.Iterator.from_structure(tf.float32, tf.TensorShape([None, 4]),
                                             output_classes=tf.SparseTensor)
        init = it.make_initializer(ds)
        nxt = it.get_next()
        assert isinstance(nxt, tf.SparseTensor)
        with pytest.raises(TypeError, match="structure"):  # a dense dataset does not fit
            it.make_initializer(tf.data.Dataset.from_tensors(np.zeros((3, 4), np.float32)))
        with tf.Session() as sess:
            sess.run(init)
            got = sess.run(tf.sparse.to_dense(nxt))
    np.testing.assert_allclose(got, DENSE)


def test_sparse_batches_train_an_embedding_model():
    """The TF1 pattern end to end: parse ids, batch, embedding_lookup_sparse, Adagrad."""
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(_records()).map(
            lambda r: tf.parse_single_example(r, {"ids": tf.VarLenFeature(tf.int64)})["ids"])
        ids = tf.data.make_one_shot_iterator(ds.repeat().batch(3)).get_next()
        emb = tf.Variable(np.ones((6, 2), np.float32))
        out = tf.nn.embedding_lookup_sparse(emb, ids, None, combiner="sum")
        loss = tf.reduce_sum(tf.square(out - 1.0))
        step = tf.train.AdagradOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([loss, step])[0] for _ in range(30)]
    # Two columns per row: row 0 sums three ones, (3-1)^2 each; row 1 has no ids, so it is 0
    # whatever the weights, (0-1)^2 each; row 2 is one id, exactly 1 already.
    assert losses[0] == pytest.approx(2 * 4.0 + 2 * 1.0)
    assert 2.0 <= losses[-1] < 2.0 + 0.05 * 8.0


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_datasets_against_tensorflow():
    """Structures and every element of sparse pipelines against tf.compat.v1."""
    run_against_tf("sparse_data_vs_tf.py", 1)


# -- what a probe against TF found (each failed before its fix) --------------------------------
def test_true_division_of_integer_values_and_the_c_rounding_kernel():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [1, 1]], [-7, 7], [2, 2])
        q = sp / 2
        assert q.values.op.name == "truediv" and q.dtype == tf.float64
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(q.values), [-3.5, 3.5])


def test_reductions_keep_the_dtype_and_take_repeated_axes():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [1, 2]], [3, 4], [2, 3])
        with tf.Session() as sess:
            total = sess.run(tf.sparse.reduce_sum(sp, 1))
            twice = sess.run(tf.sparse.reduce_sum(sp, [1, -1]))
    assert total.dtype == np.int32 and total.tolist() == [3, 4]
    assert twice.tolist() == [3, 4]


def test_sparse_add_gradient_with_an_empty_side():
    with tf.Graph().as_default():
        va = tf.constant([1.0, 2.0, 3.0])
        a = tf.SparseTensor([[0, 0], [1, 1], [1, 2]], va, [2, 3])
        empty = tf.SparseTensor(np.zeros((0, 2), np.int64), tf.zeros([0]), [2, 3])
        c = tf.sparse.add(empty, a)
        g = tf.gradients(tf.reduce_sum(c.values * 2.0), va)[0]
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(g), [2.0, 2.0, 2.0])


def test_shape_size_rank_cast_and_cond_take_sparse_tensors():
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, [None, 4])
        p = tf.placeholder(tf.bool, [])
        other = tf.SparseTensor([[1, 3]], [9.0], [3, 4])
        chosen = tf.cond(p, lambda: sp, lambda: other)
        assert isinstance(chosen, tf.SparseTensor)
        cast = tf.cast(sp, tf.int32)
        assert isinstance(cast, tf.SparseTensor) and cast.dtype == tf.int32
        feed = {sp: ([[0, 1], [2, 3]], [1.5, 2.5], [3, 4])}
        with tf.Session() as sess:
            shape, size, rank, c = sess.run([tf.shape(sp), tf.size(sp), tf.rank(sp), cast],
                                            feed)
            took = sess.run(tf.sparse.to_dense(chosen), {**feed, p: True})
            other_way = sess.run(tf.sparse.to_dense(chosen), {**feed, p: False})
    assert shape.tolist() == [3, 4] and shape.dtype == np.int32 and size == 12 and rank == 2
    assert c.values.tolist() == [1, 2]
    assert took[0, 1] == 1.5 and other_way[1, 3] == 9.0


def test_a_fed_dense_shape_decides_the_dense_shape():
    """A sparse placeholder's dense_shape may be fed another one than its declared shape;
    tf.shape of the dense result used to give the declared [2, 5] instead of [3, 6]."""
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, [2, 5])
        dense = tf.sparse.to_dense(sp)
        with tf.Session() as sess:
            got = sess.run(tf.shape(dense), {sp: ([[0, 0], [2, 5]], [1.0, 2.0], [3, 6])})
    assert got.tolist() == [3, 6]


def test_weighted_float16_embeddings_sum_in_float32():
    with tf.Graph().as_default():
        params = tf.constant(np.full((3, 2), 100.0, np.float16))
        ids = tf.SparseTensor([[0, 0], [0, 1], [0, 2]], tf.constant([0, 1, 2], tf.int64),
                              [1, 3])
        weights = tf.SparseTensor([[0, 0], [0, 1], [0, 2]], [100.0, 250.0, 300.0], [1, 3])
        mean = tf.nn.embedding_lookup_sparse(params, ids, weights, combiner="mean")
        assert mean.dtype == tf.float16
        with tf.Session() as sess:
            got = sess.run(mean)
    np.testing.assert_allclose(got, [[100.0, 100.0]])  # 65000 * 100 overflows float16


def test_segments_with_num_segments():
    with tf.Graph().as_default():
        data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        out = tf.sparse.segment_mean(data, [0, 2, 2], [0, 0, 2], num_segments=4)
        assert out.op.type == "SparseSegmentMeanWithNumSegments"
        with tf.Session() as sess:
            got = sess.run(out)
    np.testing.assert_allclose(got, [[3.0, 4.0], [0.0, 0.0], [5.0, 6.0], [0.0, 0.0]])


def test_retain_checks_its_mask():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [1, 1], [2, 2]], [1.0, 2.0, 3.0], [3, 3])
        with pytest.raises(ValueError, match="3 and 2 are not compatible"):
            tf.sparse.retain(sp, [True, False])
        none = tf.sparse.retain(tf.SparseTensor(np.zeros((0, 2), np.int64), tf.zeros([0]),
                                                [3, 3]), [])  # an empty bool list is fine
        with tf.Session() as sess:
            assert sess.run(none).values.shape == (0,)


def test_safe_embedding_lookup_sparse_drops_invalid_ids_and_fills_empty_rows():
    safe_embedding_lookup_sparse = tf.nn.safe_embedding_lookup_sparse
    with tf.Graph().as_default():
        params = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2))
        where = [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 1, 0], [1, 1, 1]]
        ids = tf.SparseTensor(where, tf.constant([1, -1, 3, 4, 5], tf.int64), [2, 3, 2])
        weights = tf.SparseTensor(where, [1.0, 2.0, 0.0, 3.0, 1.0], [2, 3, 2])
        mean = safe_embedding_lookup_sparse(params, ids)
        default = safe_embedding_lookup_sparse(params, ids, default_id=2)
        weighted = safe_embedding_lookup_sparse(params, ids, weights)
        assert mean.shape.as_list() == [2, 3, 2]
        with tf.Session() as sess:
            got_mean, got_default, got_weighted = sess.run([mean, default, weighted])
    r = np.arange(12, dtype=np.float32).reshape(6, 2)
    zero = np.zeros(2)
    # The -1 id is dropped; rows (0, 2), (1, 0) and (1, 2) have no ids.
    np.testing.assert_allclose(got_mean, [[r[1], r[3], zero], [zero, (r[4] + r[5]) / 2, zero]])
    np.testing.assert_allclose(got_default, [[r[1], r[3], r[2]], [r[2], (r[4] + r[5]) / 2,
                                                                  r[2]]])
    # Weighted mean: the 0-weight id 3 is dropped too, so row (0, 1) is empty.
    np.testing.assert_allclose(got_weighted, [[r[1], zero, zero],
                                              [zero, (3 * r[4] + r[5]) / 4, zero]])


def test_safe_embedding_lookup_sparse_splits_partitioned_tables_by_its_strategy():
    # Its default strategy is "div" (embedding_lookup_sparse's is "mod"): 11 rows in 3 parts
    # are rows 0-3, 4-7, 8-10 by "div", and 0,3,6,9 / 1,4,7,10 / 2,5,8 by "mod".
    table = np.arange(22, dtype=np.float32).reshape(11, 2)
    parts = {"div": [table[0:4], table[4:8], table[8:11]],
             "mod": [table[0::3], table[1::3], table[2::3]]}
    ids = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([4, 9], tf.int64), [2, 1])
    for strategy, arrays in parts.items():
        params = [tf.constant(a) for a in arrays]
        got = [tf.nn.safe_embedding_lookup_sparse(params, ids, partition_strategy=strategy)]
        if strategy == "div":
            got.append(tf.nn.safe_embedding_lookup_sparse(params, ids))
        with tf.Session() as sess:
            for value in sess.run(got):
                np.testing.assert_array_equal(value, table[[4, 9]])
