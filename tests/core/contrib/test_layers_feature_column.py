"""tf.contrib.layers' feature columns: each column's ids and dense values against numpy or hand
values (FarmHash buckets checked against tf.strings.to_hash_bucket_fast, crosses against TF
1.x's own test vectors and a HashCombine written here), variable names, key order, the parse
spec round trip, placeholders, inferred columns and the errors. The builders (linear models,
training, joint sums) are in test_layers_feature_column_ops.py; side by side with
tf.compat.v1.feature_column in test_layers_feature_column_tf.py."""

import numpy as np
import pytest

import minitf as tf
from minitf.ops.farmhash import fingerprint64

L = tf.contrib.layers


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        return sess.run(fetches, feed)


def _sp(rows, dtype=None):
    """A SparseTensor from a list of rows of values."""
    idx = [[r, c] for r, row in enumerate(rows) for c in range(len(row))]
    vals = [v for row in rows for v in row]
    width = max((len(r) for r in rows), default=0)
    return tf.SparseTensor(tf.constant(idx, tf.int64, [len(idx), 2]),
                           tf.constant(vals, dtype), tf.constant([len(rows), width], tf.int64))


def _ids(column, features):
    return _run(L.transform_features(features, [column])[column])


# -- sparse_feature_cross -------------------------------------------------------------------------
def test_sparse_feature_cross_gives_tf1_test_vectors():
    # Expected values from TF 1.x's sparse_feature_cross_op_test.py.
    def three():
        return [_sp([["batch1-FC1-F1"]]), _sp([["batch1-FC2-F1"]]), _sp([["batch1-FC3-F1"]])]
    key = L.SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY
    ops = [L.sparse_feature_cross(three(), hashed_output=True),
           L.sparse_feature_cross(three(), hashed_output=True, hash_key=key),
           L.sparse_feature_cross(three(), hashed_output=True, num_buckets=100),
           L.sparse_feature_cross(three(), hashed_output=True, num_buckets=100, hash_key=key)]
    got = [g.values.tolist() for g in _run(ops)]
    assert got == [[3735511728867393167], [1971693436396284976], [74], [83]]
    # The first version collides when ints differ above the 10 low bits; V2 does not.
    t1, t2 = tf.constant([[359], [359 + 1024]]), tf.constant([list(range(10))] * 2)
    v1, v2 = _run([tf.sparse.to_dense(L.sparse_feature_cross([t2, t1], True, 1024, hash_key=k))
                   for k in (None, key)])
    assert (v1[0] == v1[1]).all() and (v2[0] != v2[1]).all()


def test_sparse_feature_cross_joins_strings_and_checks_inputs():
    out = _run(L.sparse_feature_cross([_sp([["a", "b"], ["c"]]), tf.constant([[1], [2]])]))
    assert out.values.tolist() == [b"a_X_1", b"b_X_1", b"c_X_2"]
    assert out.indices.tolist() == [[0, 0], [0, 1], [1, 0]]
    with pytest.raises(TypeError, match="must be a list"):
        L.sparse_feature_cross(_sp([["a"]]))
    with pytest.raises(ValueError, match="dense inputs must be matrices"):
        L.sparse_feature_cross([_sp([["a"]]), tf.constant(["x"])])


# -- sparse columns -------------------------------------------------------------------------------
def test_hash_bucket_ids_are_to_hash_bucket_fast_of_the_values():
    words = L.sparse_column_with_hash_bucket("w", 50)
    nums = L.sparse_column_with_hash_bucket("n", 7, dtype=tf.int64)
    feats = {"w": tf.constant([["cat", ""], ["dog", "emu"]]),  # '' is missing
             "n": _sp([[12, -3], [40000]], tf.int64)}
    got_w, got_n = _run([L.transform_features(feats, [words, nums])[c] for c in (words, nums)])
    want_w, want_n = _run([tf.strings.to_hash_bucket_fast(["cat", "dog", "emu"], 50),
                           tf.strings.to_hash_bucket_fast(["12", "-3", "40000"], 7)])
    assert got_w.indices.tolist() == [[0, 0], [1, 0], [1, 1]]
    np.testing.assert_array_equal(got_w.values, want_w)
    np.testing.assert_array_equal(got_n.values, want_n)
    assert words.length == 50 and words.key == (
        "_SparseColumnHashed(column_name='w', is_integerized=False, bucket_size=50, "
        "lookup_config=None, combiner='sum', dtype=tf.string)")


def test_hash_keys_give_one_strong_hash_id_per_key_pair():
    col = L.sparse_column_with_hash_bucket("w", 100, hash_keys=[[1, 2], [3, 4]])
    got = _ids(col, {"w": _sp([["a", "b"], ["c"]])})
    want = _run([tf.string_to_hash_bucket_strong(["a", "b", "c"], 100, k)
                 for k in ([1, 2], [3, 4])])
    assert got.dense_shape.tolist() == [2, 4]  # the keys' ids side by side
    assert got.indices.tolist() == [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 2]]
    assert got.values.tolist() == [*want[0][:2], *want[1][:2], want[0][2], want[1][2]]
    with pytest.raises(ValueError, match="pair of integers"):
        L.sparse_column_with_hash_bucket("w", 3, hash_keys=[[1, 2, 3]])


def test_keys_vocabulary_file_and_integerized_ids(tmp_path):
    keys = L.sparse_column_with_keys("k", ["a", "b", "c"])
    keys_default = L.sparse_column_with_keys("k", ["a", "b", "c"], default_value=7)
    int_keys = L.sparse_column_with_keys("i", [10, 20], dtype=tf.int64)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("x\ny\nz\n")
    from_file = L.sparse_column_with_vocabulary_file("f", str(vocab), num_oov_buckets=3,
                                                     vocab_size=3)
    ints = L.sparse_column_with_integerized_feature("n", 10)
    feats = {"k": tf.constant([["b", "q"], ["c", "a"]]),
             "i": tf.constant([[20], [30]], tf.int64),
             "f": tf.constant([["z", "nope"]]),
             "n": _sp([[3, 12], [-1]], tf.int64)}
    cols = [keys, keys_default, int_keys, from_file, ints]
    out = L.transform_features(feats, cols)
    got = _run([out[c].values for c in cols])
    assert got[0].tolist() == [1, -1, 2, 0] and got[1].tolist() == [1, 7, 2, 0]
    assert got[2].tolist() == [1, -1]
    oov = _run(tf.strings.to_hash_bucket_fast(["nope"], 3))[0]
    assert got[3].tolist() == [2, 3 + oov]  # after the vocabulary, hashed
    assert got[4].tolist() == [3, 2, 9]  # floor modulo
    assert keys.length == 3 and from_file.length == 6 and ints.length == 10
    # A dense integer feature's -1s are missing entries; 0 is an id.
    dense = _ids(ints, {"n": tf.constant([[0, -1], [5, 15]], tf.int64)})
    assert dense.indices.tolist() == [[0, 0], [1, 0], [1, 1]]
    assert dense.values.tolist() == [0, 5, 5]


def test_rank_one_dense_features_become_columns():
    words = L.sparse_column_with_hash_bucket("w", 10)
    got = _ids(words, {"w": tf.constant(["a", "b"])})
    assert got.dense_shape.tolist() == [2, 1] and got.indices.tolist() == [[0, 0], [1, 0]]


# -- real-valued and bucketized -------------------------------------------------------------------
def test_real_valued_column_normalizes_reshapes_and_parses():
    col = L.real_valued_column("x", dimension=2, default_value=[1, 2],
                               normalizer=lambda t: t * 2)
    assert col.config == {"x": tf.FixedLenFeature([2], tf.float32, [1.0, 2.0])}
    assert col.default_value == (1.0, 2.0)
    assert L.real_valued_column("s", default_value=3).default_value == (3.0,)
    assert L.real_valued_column("s", dtype=tf.int32, default_value=3).default_value == (3,)
    flat = L.real_valued_column("v")  # a rank-1 feature becomes [batch, 1]
    out = L.input_from_feature_columns(
        {"x": tf.constant([[1, 2], [3, 4]], tf.int64), "v": tf.constant([5.0, 6.0])},
        [col, flat])
    np.testing.assert_array_equal(_run(out), [[5, 2, 4], [6, 6, 8]])  # "v" sorts first


def test_bucketized_buckets_one_hot_and_sparse_ids():
    # TF's docstring example: boundaries [0, 10, 100].
    col = L.bucketized_column(L.real_valued_column("x"), [0, 10, 10, 100])
    assert col.boundaries == (0, 10, 100) and col.length == 4  # duplicates collapse
    x = [[-5.0], [150.0], [10.0], [0.0], [4.0], [19.0]]
    buckets = [0, 3, 2, 1, 1, 2]
    feats = {"x": tf.constant(x)}
    hot = _run(L.input_from_feature_columns(feats, [col]))
    np.testing.assert_array_equal(hot, np.eye(4)[buckets])
    np.testing.assert_array_equal(_ids(col, feats).ravel(), buckets)
    pair = L.bucketized_column(L.real_valued_column("p", dimension=2), [0.0, 1.0])
    feats = {"p": tf.constant([[-1.0, 0.5], [2.0, 0.0]])}
    ids = _run(pair.to_sparse_tensor(L.transform_features(feats, [pair])[pair]))
    assert ids.values.tolist() == [0, 3 + 1, 2, 3 + 1]  # bucket + dimension * 3
    hot = _run(L.input_from_feature_columns(feats, [pair]))
    np.testing.assert_array_equal(hot, [[1, 0, 0, 0, 1, 0], [0, 0, 1, 0, 1, 0]])


# -- one-hot and embedding ------------------------------------------------------------------------
def test_one_hot_counts_ids_and_sums_weights():
    ids = L.sparse_column_with_integerized_feature("n", 4)
    hot = L.one_hot_column(ids)
    weighted = L.one_hot_column(L.weighted_sparse_column(ids, "w"))
    feats = {"n": _sp([[1, 3, 1], [], [0]], tf.int64),
             "w": _sp([[0.5, 2.0, 0.25], [], [4.0]], tf.float32)}
    got = _run([L.input_from_feature_columns(feats, [c]) for c in (hot, weighted)])
    np.testing.assert_array_equal(got[0], [[0, 2, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_allclose(got[1], [[0, 0.75, 0, 2.0], [0, 0, 0, 0], [4.0, 0, 0, 0]])
    assert hot.name == "n_one_hot" and hot.config == ids.config


@pytest.mark.parametrize("combiner", ["mean", "sqrtn", "sum"])
def test_embedding_combiners_with_weights_match_numpy(combiner):
    table = np.arange(15, dtype=np.float32).reshape(5, 3) / 7.0
    ids = L.sparse_column_with_integerized_feature("n", 5)
    col = L.embedding_column(L.weighted_sparse_column(ids, "w"), 3, combiner=combiner,
                             initializer=tf.constant_initializer(table))
    rows = [[1, 4, 1], [], [2]]
    weights = [[0.5, 2.0, 1.5], [], [3.0]]
    feats = {"n": _sp(rows, tf.int64), "w": _sp(weights, tf.float32)}
    got = _run(L.input_from_feature_columns(feats, [col]))
    want = np.zeros((3, 3), np.float32)
    for r, (i, w) in enumerate(zip(rows, weights)):
        if not i:
            continue  # an empty row is zeros
        w = np.asarray(w, np.float32)
        total = (w[:, None] * table[i]).sum(0)
        want[r] = total if combiner == "sum" else \
            total / w.sum() if combiner == "mean" else total / np.sqrt((w ** 2).sum())
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert [v.name for v in tf.global_variables()] == [
        "input_from_feature_columns/n_weighted_by_w_embedding/weights:0"]
    assert tf.global_variables() == tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)


def test_embedding_defaults_mean_and_a_truncated_normal_of_one_over_sqrt_length():
    col = L.embedding_column(L.sparse_column_with_hash_bucket("w", 400), 100)
    assert col.combiner == "mean" and col.name == "w_embedding"
    assert col.initializer.stddev == pytest.approx(1 / np.sqrt(400))
    L.input_from_feature_columns({"w": tf.constant([["a"]])}, [col])
    values = _run(tf.global_variables()[0])
    assert values.shape == (400, 100) and np.abs(values).max() <= 2 / np.sqrt(400)
    # A normal cut at two standard deviations keeps 0.88 of its deviation.
    assert values.std() == pytest.approx(0.8796 / np.sqrt(400), rel=0.03)


def test_shared_embedding_columns_share_one_variable():
    a = L.sparse_column_with_integerized_feature("a", 4)
    b = L.sparse_column_with_integerized_feature("b", 4)
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    ea, eb = L.shared_embedding_columns([b, a], 2, combiner="sum",
                                        initializer=tf.constant_initializer(table))
    assert ea.shared_embedding_name == "a_b_shared_embedding" and ea.name == "b_shared_embedding"
    out = L.input_from_feature_columns({"a": _sp([[1]], tf.int64), "b": _sp([[3, 0]], tf.int64)},
                                       [ea, eb])
    np.testing.assert_array_equal(_run(out), [np.concatenate([table[1], table[3] + table[0]])])
    assert [v.name for v in tf.global_variables()] == [
        "input_from_feature_columns/a_shared_embedding/a_b_shared_embedding:0"]
    many = [L.sparse_column_with_integerized_feature(n, 4) for n in "pqrst"]
    assert L.shared_embedding_columns(many, 2)[0].shared_embedding_name == \
        "p_q_r_plus_2_others_shared_embedding"
    with pytest.raises(ValueError, match="not compatible"):
        L.shared_embedding_columns([a, L.sparse_column_with_integerized_feature("c", 5)], 2)
    with pytest.raises(TypeError, match="non-string sequence"):
        L.shared_embedding_columns("a", 2)


# -- crossed --------------------------------------------------------------------------------------
def _hash_combine(seed, value):
    """TF 1.x's HashCombine on int64s, modulo 2^64."""
    signed = seed - 2 ** 64 if seed >= 2 ** 63 else seed
    return seed ^ ((value + 0x9E3779B97F4A7800 + signed * 1024 + signed // 16) % 2 ** 64)


def test_crossed_column_hashes_raw_features_and_bucket_ids():
    words = L.sparse_column_with_keys("w", ["x", "y"])  # crossed by its raw strings
    age = L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0])
    cross = L.crossed_column([words, age], 1000)
    assert cross.name == "age_bucketized_X_w" and cross.columns == (age, words)
    assert L.crossed_column([age, words], 1000) == cross
    feats = {"w": _sp([["x", "q"], ["y"]]), "age": tf.constant([[30.0], [10.0]])}
    got = _ids(cross, feats)
    want = []
    for bucket, strings in ((1, [b"x", b"q"]), (0, [b"y"])):
        for s in strings:  # the columns in name order: the bucket id, then the string
            h = _hash_combine(_hash_combine(0xDECAFCAFFE, bucket), fingerprint64(s))
            want.append(h % 1000)
    assert got.values.tolist() == want
    assert got.indices.tolist() == [[0, 0], [0, 1], [1, 0]]


def test_crossed_column_with_hash_key_matches_core_crossed_column():
    a = L.sparse_column_with_hash_bucket("a", 10)
    b = L.sparse_column_with_integerized_feature("b", 10)
    feats = {"a": _sp([["x", "y"], ["z"]]), "b": _sp([[3], [4, 5]], tf.int64)}
    contrib = L.crossed_column([b, a], 97, hash_key=12345)
    core = tf.feature_column.crossed_column(["a", "b"], 97, hash_key=12345)
    want = core._get_sparse_tensors(tf.feature_column.columns._LazyBuilder(feats)).id_tensor
    got, want = _run([L.transform_features(feats, [contrib])[contrib], want])
    assert got.values.tolist() == want.values.tolist()
    assert got.indices.tolist() == want.indices.tolist()


# -- parsing --------------------------------------------------------------------------------------
def _example(**feats):
    ex = tf.train.Example()
    for key, values in feats.items():
        feature = ex.features.feature[key]
        if isinstance(values[0], float):
            feature.float_list.value.extend(values)
        elif isinstance(values[0], int):
            feature.int64_list.value.extend(values)
        else:
            feature.bytes_list.value.extend(values)
    return ex.SerializeToString()


def test_feature_spec_round_trips_through_parse_example():
    age = L.real_valued_column("age", default_value=-1.0)
    words = L.sparse_column_with_hash_bucket("w", 20)
    ids = L.sparse_column_with_integerized_feature("n", 5)
    cols = [L.bucketized_column(age, [0.0, 50.0]), L.weighted_sparse_column(ids, "nw"),
            L.embedding_column(words, 2), L.crossed_column([words, ids], 30)]
    spec = L.create_feature_spec_for_parsing(cols)
    assert spec == {"age": tf.FixedLenFeature([1], tf.float32, [-1.0]),
                    "w": tf.VarLenFeature(tf.string), "n": tf.VarLenFeature(tf.int64),
                    "nw": tf.VarLenFeature(tf.float32)}
    assert L.create_feature_spec_for_parsing({"x": cols[0]}) == {"age": spec["age"]}
    serialized = [_example(age=[70.0], w=[b"a", b"b"], n=[4], nw=[0.5]),
                  _example(w=[b"c"], n=[1, 2], nw=[1.0, 2.0])]
    parsed = L.parse_feature_columns_from_examples(tf.constant(serialized), cols)
    fed = L.transform_features(
        {"age": tf.constant([[70.0], [-1.0]]), "w": _sp([["a", "b"], ["c"]]),
         "n": _sp([[4], [1, 2]], tf.int64), "nw": _sp([[0.5], [1.0, 2.0]], tf.float32)}, cols)
    got = _run([parsed[cols[0]], parsed[cols[3]].values, parsed["w"].values,
                fed[cols[0]], fed[cols[3]].values])
    np.testing.assert_array_equal(got[0], got[3])
    np.testing.assert_array_equal(got[0].ravel(), [2, 0])
    np.testing.assert_array_equal(got[1], got[4])
    assert got[2].tolist() == [b"a", b"b", b"c"]


def test_placeholders_for_base_features():
    cols = [L.real_valued_column("r", dimension=3),
            L.embedding_column(L.sparse_column_with_hash_bucket("w", 5), 2)]
    phs = L.make_place_holder_tensors_for_base_features(cols)
    assert phs["r"].shape.as_list() == [None, 3] and phs["r"].op.name == "Placeholder_r"
    assert isinstance(phs["w"], tf.SparseTensor) and phs["w"].dtype == tf.string
    out = L.input_from_feature_columns(phs, cols)
    got = _run(out, {phs["r"]: [[1, 2, 3]],
                     phs["w"]: tf.SparseTensorValue([[0, 0]], [b"a"], [1, 1])})
    assert got.shape == (1, 5) and got[0, 2:].tolist() == [1, 2, 3]


def test_infer_real_valued_columns():
    cols = L.infer_real_valued_columns({"a": tf.placeholder(tf.int32, [None, 2, 3]),
                                        "b": tf.placeholder(tf.float64, [None])})
    assert cols == [L.real_valued_column("a", 6, dtype=tf.int32),
                    L.real_valued_column("b", 1, dtype=tf.float64)]
    assert L.infer_real_valued_columns_from_input(np.ones((4, 3), np.float64)) == [
        L.real_valued_column("", 3, dtype=tf.float64)]
    assert L.infer_real_valued_columns_from_input_fn(
        lambda: ({"x": tf.constant([[1.0, 2.0]])}, None)) == [L.real_valued_column("x", 2)]
    with pytest.raises(ValueError, match="Non integer or non floating"):
        L.infer_real_valued_columns(tf.placeholder(tf.string, [None]))
    with pytest.raises(ValueError, match="SparseTensor is not supported"):
        L.infer_real_valued_columns({"s": _sp([[1.0]])})


# -- errors ---------------------------------------------------------------------------------------
def test_bad_columns_raise_errors_naming_what_is_wrong():
    real = L.real_valued_column("r")
    words = L.sparse_column_with_hash_bucket("w", 10)
    with pytest.raises(ValueError, match="dimension must be greater than 0"):
        L.real_valued_column("r", dimension=0)
    with pytest.raises(TypeError, match="dimension must be an integer"):
        L.real_valued_column("r", dimension=None)
    with pytest.raises(ValueError, match="convertible to float"):
        L.real_valued_column("r", dtype=tf.string)
    with pytest.raises(TypeError, match="default_value must be compatible"):
        L.real_valued_column("r", dtype=tf.int32, default_value=0.5)
    with pytest.raises(ValueError, match="length of default_value"):
        L.real_valued_column("r", dimension=2, default_value=[1.0])
    with pytest.raises(TypeError, match="_RealValuedColumn"):
        L.bucketized_column(words, [1.0])
    with pytest.raises(ValueError, match="sorted"):
        L.bucketized_column(real, [2.0, 1.0])
    with pytest.raises(ValueError, match="non-empty"):
        L.bucketized_column(real, [])
    with pytest.raises(ValueError, match="at least 2 elements"):
        L.crossed_column([words], 10)
    with pytest.raises(ValueError, match="hash_bucket_size must be at least 2"):
        L.crossed_column([words, L.sparse_column_with_hash_bucket("v", 3)], 1)
    with pytest.raises(TypeError, match="_RealValuedColumn is a|is a _RealValuedColumn"):
        L.crossed_column([words, real], 10)
    with pytest.raises(ValueError, match="bucket_size must be at least 1"):
        L.sparse_column_with_hash_bucket("w", 0)
    with pytest.raises(ValueError, match="string or integer"):
        L.sparse_column_with_hash_bucket("w", 3, dtype=tf.float32)
    with pytest.raises(ValueError, match="vocab_size should be defined"):
        L.sparse_column_with_vocabulary_file("v", "/nonexistent")
    with pytest.raises(ValueError, match="combiner must be one of"):
        L.sparse_column_with_keys("k", ["a"], combiner="max")
    with pytest.raises(ValueError, match="not convertible to float"):
        L.weighted_sparse_column(words, "x", dtype=tf.string)
    with pytest.raises(ValueError, match="initializer must be callable"):
        L.embedding_column(words, 2, initializer=3)
    with pytest.raises(ValueError, match="both `ckpt_to_load_from`"):
        L.embedding_column(words, 2, ckpt_to_load_from="/x")
    with pytest.raises(ValueError, match="hash_keys must be a non-empty list"):
        L.sparse_column_with_hash_bucket("w", 3, hash_keys=[])


def test_bad_features_raise_errors_naming_the_column():
    words = L.sparse_column_with_hash_bucket("w", 10)
    with pytest.raises(ValueError, match=r"doesn't contain key \(w\)"):
        L.transform_features({"x": tf.constant([["a"]])}, [words])
    with pytest.raises(ValueError, match="Column w has dtype"):
        L.transform_features({"w": tf.constant([[1]])}, [words])
    with pytest.raises(ValueError, match="Error creating input layer for column: w"):
        L.input_from_feature_columns({"w": tf.constant([["a"]])}, [words])
    with pytest.raises(ValueError, match="Duplicate feature column key"):
        L.input_from_feature_columns({"w": tf.constant([["a"]])}, [L.one_hot_column(words)] * 2)
    with pytest.raises(ValueError, match="found dict"):
        L.input_from_feature_columns({}, {"a": words})
    with pytest.raises(TypeError, match="_FeatureColumn"):
        L.input_from_feature_columns({}, [tf.feature_column.numeric_column("x")])
    with pytest.raises(ValueError, match="Rank of input Tensor"):
        L.input_from_feature_columns({"r": tf.constant(1.0)}, [L.real_valued_column("r")])
