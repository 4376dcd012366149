"""tf.contrib.layers' feature-column builders: weighted_sum_from_feature_columns and
joint_weighted_sum_from_feature_columns against numpy sums with the same weights, TF's variable
names, scopes, collections and key order, a linear model trained a few steps (step 1 against a
numpy gradient step), embedding gradients, checkpoint warm starts, contrib columns in core
input_layer/linear_model, and the builders' errors."""

import numpy as np
import pytest

import minitf as tf

L = tf.contrib.layers


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


def _sp(rows, dtype=None):
    idx = [[r, c] for r, row in enumerate(rows) for c in range(len(row))]
    vals = [v for row in rows for v in row]
    width = max((len(r) for r in rows), default=0)
    return tf.SparseTensor(tf.constant(idx, tf.int64, [len(idx), 2]),
                           tf.constant(vals, dtype), tf.constant([len(rows), width], tf.int64))


# A batch of three: ids (with weights), an age to bucketize and a 2-vector.
IDS = [[1, 3, 1], [], [4]]
WEIGHTS = [[0.5, 2.0, 1.0], [], [3.0]]
AGE = [[10.0], [40.0], [70.0]]
R = [[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]]
AGE_BUCKETS = [0, 1, 2]  # boundaries 18, 65


def _features():
    return {"n": _sp(IDS, tf.int64), "w": _sp(WEIGHTS, tf.float32),
            "age": tf.constant(AGE), "r": tf.constant(R)}


def _columns():
    ids = L.sparse_column_with_integerized_feature("n", 5)
    return [L.weighted_sparse_column(ids, "w"), ids,
            L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0]),
            L.real_valued_column("r", dimension=2)]


def _numpy_sum(values, combiner="sum"):
    """The linear model's predictions from its weights, by column name."""
    out = np.zeros((3, 1), np.float32)
    for row in range(3):
        ids, w = np.array(IDS[row], int), np.array(WEIGHTS[row], np.float32)
        if len(ids):
            plain = values["n"][ids].sum(0)
            weighted = (w[:, None] * values["n_weighted_by_w"][ids]).sum(0)
            if combiner == "mean":
                plain, weighted = plain / len(ids), weighted / w.sum()
            out[row] += plain + weighted
        out[row] += values["age_bucketized"][AGE_BUCKETS[row]]
    return out + np.array(R) @ values["r"] + values["bias"]


def test_weighted_sum_names_and_values_match_numpy():
    cols = _columns()
    pred, col_vars, bias = L.weighted_sum_from_feature_columns(_features(), cols, 1)
    names = [v.name for v in tf.global_variables()]
    # Created in key order: _BucketizedColumn, _RealValuedColumn, _SparseColumnIntegerized,
    # _WeightedSparseColumn.
    assert names == ["weighted_sum_from_feature_columns/age_bucketized/weights:0",
                     "weighted_sum_from_feature_columns/r/weight:0",
                     "weighted_sum_from_feature_columns/n/weights:0",
                     "weighted_sum_from_feature_columns/n_weighted_by_w/weights:0",
                     "weighted_sum_from_feature_columns/bias_weight:0"]
    assert tf.get_collection(tf.GraphKeys.MODEL_VARIABLES) == tf.global_variables()
    assert tf.trainable_variables() == tf.global_variables()
    assert [v.shape.as_list() for v in tf.global_variables()] == [[3, 1], [2, 1], [5, 1],
                                                                  [5, 1], [1]]
    assert set(col_vars) == set(cols) and bias.name.endswith("bias_weight:0")
    rng = np.random.RandomState(0)
    values = {c.name: rng.randn(*col_vars[c][0].shape.as_list()).astype(np.float32)
              for c in cols}
    values["bias"] = np.float32([0.25])
    with tf.Session() as sess:
        for c in cols:
            sess.run(col_vars[c][0].assign(values[c.name]))
        sess.run(bias.assign(values["bias"]))
        got = sess.run(pred)
    np.testing.assert_allclose(got, _numpy_sum(values), rtol=1e-5)


def test_sparse_combiner_comes_from_the_column():
    ids = L.sparse_column_with_integerized_feature("n", 5, combiner="mean")
    cols = [ids, L.weighted_sparse_column(ids, "w"),
            L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0]),
            L.real_valued_column("r", dimension=2)]
    pred, col_vars, bias = L.weighted_sum_from_feature_columns(_features(), cols, 1)
    rng = np.random.RandomState(1)
    values = {c.name: rng.randn(*col_vars[c][0].shape.as_list()).astype(np.float32)
              for c in cols}
    values["bias"] = np.float32([0.0])
    with tf.Session() as sess:
        sess.run([col_vars[c][0].assign(values[c.name]) for c in cols])
        sess.run(bias.initializer)
        np.testing.assert_allclose(sess.run(pred), _numpy_sum(values, "mean"), rtol=1e-5)


def test_linear_model_trains_and_its_first_step_is_numpys():
    cols = _columns()
    labels = np.array([[1.0], [-1.0], [2.0]], np.float32)
    pred, col_vars, bias = L.weighted_sum_from_feature_columns(_features(), cols, 1)
    loss = tf.reduce_mean(tf.square(pred - labels))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train])[0] for _ in range(30)]
        sess.run([v.initializer for v in tf.global_variables()])
        sess.run(train)
        after = {c.name: sess.run(col_vars[c][0]) for c in cols}
        after["bias"] = sess.run(bias)
    assert losses[-1] < 0.05 * losses[0] and all(b <= a for a, b in zip(losses, losses[1:]))
    # From zeros the predictions are 0, so d loss / d prediction = 2 (0 - y) / 3 per row.
    grad = -2 * labels / 3
    want = {"n": np.zeros((5, 1)), "n_weighted_by_w": np.zeros((5, 1)),
            "age_bucketized": np.zeros((3, 1))}
    for row in range(3):
        for i, w in zip(IDS[row], WEIGHTS[row]):
            want["n"][i] += grad[row]
            want["n_weighted_by_w"][i] += w * grad[row]
        want["age_bucketized"][AGE_BUCKETS[row]] += grad[row]
    want["r"] = np.array(R).T @ grad
    want["bias"] = grad.sum(0)
    for name, g in want.items():
        np.testing.assert_allclose(after[name], -0.1 * g, rtol=1e-5, atol=1e-7, err_msg=name)


def test_joint_weighted_sum_keeps_all_weights_in_one_variable():
    ids = L.sparse_column_with_integerized_feature("n", 5)
    age = L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0])
    pred, variables, bias = L.joint_weighted_sum_from_feature_columns(_features(), [ids, age],
                                                                      2)
    assert [v.name for v in tf.global_variables()] == [
        "joint_weighted_sum_from_feature_columns/linear_weights/weights:0",
        "joint_weighted_sum_from_feature_columns/bias_weight:0"]
    assert variables[0].shape.as_list() == [3 + 5, 2]  # age's 3 buckets, then n's 5 ids
    table = np.arange(16, dtype=np.float32).reshape(8, 2)
    with tf.Session() as sess:
        sess.run([variables[0].assign(table), bias.assign([1.0, -1.0])])
        got = sess.run(pred)
    want = np.array([table[3 + np.array(i, int)].sum(0) if i else np.zeros(2)
                     for i in IDS]) + table[AGE_BUCKETS] + [1.0, -1.0]
    np.testing.assert_allclose(got, want)
    with pytest.raises(NotImplementedError, match="Real-valued columns are not supported"):
        L.joint_weighted_sum_from_feature_columns(_features(), [L.real_valued_column("r", 2)], 1)
    with pytest.raises(ValueError, match="weighted sparse columns are not supported"):
        L.joint_weighted_sum_from_feature_columns(_features(), [_columns()[0]], 1)
    with pytest.raises(ValueError, match="Combiners other than sum"):
        L.joint_weighted_sum_from_feature_columns(
            _features(), [L.sparse_column_with_integerized_feature("n", 5, combiner="mean")], 1)


def test_input_layer_orders_by_key_and_reports_outputs():
    # By key, the one-hot column ("_OneHotColumn(...") comes before the real-valued "a"
    # ("_RealValuedColumn(..."), unlike core's order by name.
    hot = L.one_hot_column(L.sparse_column_with_integerized_feature("b", 3))
    real = L.real_valued_column("a")
    feats = {"a": tf.constant([[7.0]]), "b": _sp([[2]], tf.int64)}
    outs = {}
    out = L.input_from_feature_columns(feats, [real, hot], cols_to_outs=outs, scope="deep")
    emb = L.embedding_column(L.sparse_column_with_integerized_feature("b", 3), 4)
    L.input_from_feature_columns(feats, [emb], scope="deep")
    assert list(feats) == ["a", "b"]  # the caller's dict is left as it was
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_outs = sess.run([out, outs])
    np.testing.assert_array_equal(got, [[0, 0, 1, 7]])
    np.testing.assert_array_equal(got_outs[real], [[7]])
    assert [v.name for v in tf.global_variables()] == ["deep/b_embedding/weights:0"]
    with pytest.raises(ValueError, match="cols_to_outs must be a dict"):
        L.input_from_feature_columns(feats, [real], cols_to_outs=[])


def test_embedding_gradient_is_each_ids_share():
    col = L.embedding_column(L.sparse_column_with_integerized_feature("n", 5), 2)  # mean
    out = L.input_from_feature_columns({"n": _sp(IDS, tf.int64)}, [col])
    (grad,) = tf.gradients(tf.reduce_sum(out * [[1.0, 2.0]]), tf.global_variables())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(tf.convert_to_tensor(grad))
    want = np.zeros((5, 2))
    for row in IDS:
        for i in row:
            want[i] += np.array([1.0, 2.0]) / len(row)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_embedding_warm_starts_from_a_checkpoint(tmp_path):
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    with tf.Graph().as_default():
        saved = tf.get_variable("old/emb", initializer=table)
        with tf.Session() as sess:
            sess.run(saved.initializer)
            path = tf.train.Saver([saved]).save(sess, str(tmp_path / "ckpt"))
    col = L.embedding_column(L.sparse_column_with_integerized_feature("n", 5), 2,
                             combiner="sum", ckpt_to_load_from=path,
                             tensor_name_in_ckpt="old/emb")
    out = L.input_from_feature_columns({"n": _sp([[4, 1]], tf.int64)}, [col])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(out), [table[4] + table[1]])


def test_contrib_columns_work_in_core_input_layer_and_linear_model():
    table = np.arange(10, dtype=np.float32).reshape(5, 2) / 3
    ids = L.sparse_column_with_integerized_feature("n", 5)
    cols = [L.embedding_column(ids, 2, initializer=tf.constant_initializer(table)),
            L.one_hot_column(ids), L.bucketized_column(L.real_valued_column("age"), [18.0]),
            L.real_valued_column("r", dimension=2)]
    feats = {"n": _sp([[1, 3], [2]], tf.int64), "age": tf.constant([[30.0], [1.0]]),
             "r": tf.constant([[1.0, 2.0], [3.0, 4.0]])}
    core = tf.feature_column.input_layer(feats, cols)
    contrib = L.input_from_feature_columns(feats, cols)
    logits = tf.feature_column.linear_model(feats, [ids, cols[2]])
    assert "input_layer/n_embedding/weights:0" in [v.name for v in tf.global_variables()]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_core, got_contrib, got_logits = sess.run([core, contrib, logits])
    # Core orders by name (age_bucketized, n_embedding, n_one_hot, r), contrib by key
    # (bucketized, embedding, one-hot, real-valued): the same here.
    np.testing.assert_allclose(got_core, got_contrib)
    np.testing.assert_allclose(got_core[:, 2:4], [(table[1] + table[3]) / 2, table[2]])
    np.testing.assert_array_equal(got_logits, [[0.0], [0.0]])


def test_builders_name_the_column_they_cannot_use():
    words = L.sparse_column_with_hash_bucket("w", 10)
    feats = {"w": tf.constant([["a"]])}
    with pytest.raises(ValueError, match="Error creating weighted sum for column: w_embedding"):
        L.weighted_sum_from_feature_columns(feats, [L.embedding_column(words, 2)], 1)
    with pytest.raises(NotImplementedError, match="No dense tensor representation"):
        L.weighted_sum_from_feature_columns(feats, [L.one_hot_column(words)], 1)
    with pytest.raises(ValueError, match="CrossedColumn is not supported in DNN"):
        L.input_from_feature_columns(
            {"w": feats["w"], "v": feats["w"]},
            [L.crossed_column([words, L.sparse_column_with_hash_bucket("v", 3)], 10)])
    with pytest.raises(ValueError, match="must not be empty"):
        L.input_from_feature_columns(feats, [])
