"""TF 1.15's public feature-column protocol on minitf's columns (num_buckets,
parse_example_spec, variable_shape, parents, get_config/from_config, transform_feature and
get_dense_tensor/get_sparse_tensors over a FeatureTransformationCache), against hand-written
values and tf.compat.v1's columns; and embedding columns (shared ones too) whose table starts
from a checkpoint (ckpt_to_load_from): minitf's .npz and V2 files and a TensorFlow-written one,
the looked-up rows being the checkpoint's."""

import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf.feature_column import columns
from minitf.feature_column import serialization as fcc

fc = tf.feature_column
TABLE = (np.arange(24, dtype=np.float32).reshape(6, 4) - 7.0) / 4.0


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        return sess.run(fetches, feed)


def _columns(m):
    """The common columns, built by module ``m``'s feature_column (minitf's or TF's)."""
    f = m.feature_column
    ident = f.categorical_column_with_identity("d", 5, default_value=0)
    price = f.numeric_column("price", shape=2, default_value=1.0)
    return {
        "numeric": price,
        "bucketized": f.bucketized_column(f.numeric_column("p"), [0.0, 1.0, 5.0]),
        "identity": ident,
        "vocab_list": f.categorical_column_with_vocabulary_list("v", ["a", "b", "c"],
                                                                num_oov_buckets=2),
        "vocab_file": f.categorical_column_with_vocabulary_file("vf", "/nonexistent/vocab",
                                                                vocabulary_size=7,
                                                                default_value=3),
        "hash": f.categorical_column_with_hash_bucket("h", 7, dtype=m.int64),
        "crossed": f.crossed_column(["x", ident], 10, hash_key=5),
        "weighted": f.weighted_categorical_column(ident, "w"),
        "indicator": f.indicator_column(ident),
        "embedding": f.embedding_column(ident, 3, combiner="sqrtn",
                                        initializer=m.truncated_normal_initializer(0.5, 2.0),
                                        max_norm=1.5),
        "embedding_ckpt": f.embedding_column(ident, 4, ckpt_to_load_from="/some/ckpt",
                                             tensor_name_in_ckpt="emb/w", trainable=False),
    }


# -- the public properties --------------------------------------------------------------------
def test_public_properties_give_the_underscored_protocol():
    # The failures reported: AttributeError on each before.
    assert fc.categorical_column_with_identity("d", 5).num_buckets == 5
    assert fc.numeric_column("a").parse_example_spec == {
        "a": tf.FixedLenFeature((1,), tf.float32, None)}
    assert fc.numeric_column("a").variable_shape == tf.TensorShape([1])
    c = _columns(tf)
    buckets = {"bucketized": 4, "identity": 5, "vocab_list": 5, "vocab_file": 7, "hash": 7,
               "crossed": 10, "weighted": 5}
    for kind, n in buckets.items():
        assert c[kind].num_buckets == n == c[kind]._num_buckets, kind
    shapes = {"numeric": [2], "bucketized": [1, 4], "indicator": [1, 5], "embedding": [3]}
    for kind, shape in shapes.items():
        assert c[kind].variable_shape.as_list() == shape, kind
    for kind, column in c.items():
        assert column.parse_example_spec == column._parse_example_spec, kind
        assert column._is_v2_column, kind
    assert c["weighted"].parse_example_spec == {"d": tf.VarLenFeature(tf.int64),
                                                "w": tf.VarLenFeature(tf.float32)}
    ident = c["identity"]
    assert c["numeric"].parents == ["price"]
    assert c["bucketized"].parents == [fc.numeric_column("p")]
    assert c["crossed"].parents == ["x", ident]
    assert c["weighted"].parents == [ident, "w"]
    assert c["indicator"].parents == c["embedding"].parents == [ident]
    shared = fc.shared_embedding_columns([ident, fc.categorical_column_with_identity("e", 5)], 2)
    assert shared[0].parents == [ident] and shared[0].variable_shape.as_list() == [2]
    assert shared[0].parse_example_spec == {"d": tf.VarLenFeature(tf.int64)}
    seq = fc.sequence_categorical_column_with_identity("s", 4)
    assert seq.num_buckets == 4 and seq.parents == [fc.categorical_column_with_identity("s", 4)]
    seq_num = fc.sequence_numeric_column("t", shape=(2,))
    assert seq_num.variable_shape.as_list() == [2] and seq_num.parents == ["t"]


def test_contrib_columns_get_the_properties_but_are_not_v2():
    real = tf.contrib.layers.real_valued_column("r", dimension=3)
    assert real.variable_shape == real._variable_shape and not real._is_v2_column


# -- configs ----------------------------------------------------------------------------------
def _same(a, b):
    """Columns equal, initializers compared by their config (they are objects)."""
    assert fcc.serialize_feature_columns([a]) == fcc.serialize_feature_columns([b])
    strip = [k for k in ("initializer",) if k in a._fields]
    assert a._replace(**{k: None for k in strip}) == b._replace(**{k: None for k in strip})


def test_configs_round_trip_also_through_json():
    for column in _columns(tf).values():
        again = type(column).from_config(column.get_config())
        _same(again, column)
        through_json = json.loads(json.dumps(fcc.serialize_feature_columns([column])))
        _same(fcc.deserialize_feature_columns(through_json)[0], column)
    emb = _columns(tf)["embedding"]
    again = type(emb).from_config(emb.get_config())
    assert (again.initializer.mean, again.initializer.stddev) == (0.5, 2.0)
    assert emb.get_config()["initializer"] == {
        "class_name": "TruncatedNormal",
        "config": {"mean": 0.5, "stddev": 2.0, "seed": None, "dtype": "float32"}}
    shared = fc.shared_embedding_columns(
        [fc.categorical_column_with_identity("q", 5)], 2, initializer=tf.zeros_initializer(),
        ckpt_to_load_from="/c", tensor_name_in_ckpt="t")[0]
    _same(type(shared).from_config(shared.get_config()), shared)
    seq = fc.sequence_numeric_column("t", shape=(2,), default_value=-1.0)
    assert type(seq).from_config(seq.get_config()) == seq
    s = fc.sequence_categorical_column_with_hash_bucket("s", 9)
    assert fcc.deserialize_feature_column(json.loads(json.dumps(
        fcc.serialize_feature_columns([s])[0]))) == s


def test_config_functions_nesting_and_errors():
    def double(x):
        return x * 2

    num = fc.numeric_column("n", normalizer_fn=double)
    assert num.get_config()["normalizer_fn"] == "double"
    with pytest.raises(ValueError, match="Unknown normalizer_fn: double"):
        type(num).from_config(num.get_config())
    assert type(num).from_config(num.get_config(), {"double": double}) == num
    # One nested column shared by the configs that nest it.
    ident = fc.categorical_column_with_identity("d", 5)
    got = fcc.deserialize_feature_columns(fcc.serialize_feature_columns(
        [fc.indicator_column(ident), fc.weighted_categorical_column(ident, "w")]))
    assert got[0].categorical_column is got[1].categorical_column
    with pytest.raises(ValueError, match="Invalid config.*expected keys"):
        type(ident).from_config({"key": "d", "number_buckets": 5})
    with pytest.raises(ValueError, match="Unknown feature_column_v2: Nope"):
        fcc.deserialize_feature_column({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="is not a FeatureColumn"):
        fcc.serialize_feature_columns([3])
    with pytest.raises(NotImplementedError, match="_RealValuedColumn has no config"):
        tf.contrib.layers.real_valued_column("r").get_config()


def test_configs_equal_tf_and_tf_configs_load():
    tf1 = pytest.importorskip("tensorflow").compat.v1
    mine, theirs = _columns(tf), _columns(tf1)
    for kind in mine:
        theirs_config = theirs[kind].get_config()
        for later in ("use_safe_embedding_lookup", "file_format"):  # TF 2's, not 1.15's
            theirs_config.pop(later, None)
        assert mine[kind].get_config() == theirs_config, kind
        loaded = type(mine[kind]).from_config(theirs[kind].get_config())
        _same(loaded, mine[kind])
        assert [getattr(p, "name", p) for p in mine[kind].parents] == \
            [getattr(p, "name", p) for p in theirs[kind].parents], kind
        assert mine[kind].parse_example_spec.keys() == theirs[kind].parse_example_spec.keys()
        if hasattr(theirs[kind], "num_buckets"):
            assert mine[kind].num_buckets == theirs[kind].num_buckets, kind
        if hasattr(theirs[kind], "variable_shape"):
            assert mine[kind].variable_shape.as_list() == \
                list(theirs[kind].variable_shape), kind
    with pytest.raises(NotImplementedError, match="use_safe_embedding_lookup other than True"):
        type(mine["embedding"]).from_config(dict(theirs["embedding"].get_config(),
                                                 use_safe_embedding_lookup=False))


# -- transform_feature and get_*_tensor over a FeatureTransformationCache ---------------------
def test_get_tensors_from_a_transformation_cache():
    feats = {"price": tf.constant([[1.0, 2.0], [3.0, 4.0]]), "d": tf.constant([[1], [7]]),
             "s": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 2, 3], tf.int64),
                                  [2, 2])}
    cache = columns.FeatureTransformationCache(feats)
    c = _columns(tf)
    dense = c["numeric"].get_dense_tensor(cache, None)
    assert dense is c["numeric"].get_dense_tensor(cache, None)  # cached, as TF's
    ids = c["identity"].get_sparse_tensors(cache, None)
    hot = c["indicator"].get_dense_tensor(cache, None)
    trans = c["identity"].transform_feature(cache, None)
    init = tf.constant_initializer(TABLE[:5, :3])
    emb = fc.embedding_column(c["identity"], 3, initializer=init)
    with tf.variable_scope("mine"):
        looked = emb.get_dense_tensor(cache, None)
    seq = fc.indicator_column(fc.sequence_categorical_column_with_identity("s", 4))
    seq_hot, seq_len = seq.get_sequence_dense_tensor(cache, None)
    assert [v.name for v in tf.global_variables()] == ["mine/embedding_weights:0"]
    out = _run([dense, ids.id_tensor, hot, trans, looked, seq_hot, seq_len])
    np.testing.assert_array_equal(out[0], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(out[1].values, [1, 0])  # 7 is out of range: the default 0
    np.testing.assert_array_equal(out[2], [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    np.testing.assert_array_equal(out[3].values, [1, 0])
    np.testing.assert_allclose(out[4], TABLE[[1, 0], :3])
    np.testing.assert_array_equal(out[5], np.eye(4)[[[1, 2], [3, 0]]] * [[[1], [1]], [[1], [0]]])
    np.testing.assert_array_equal(out[6], [2, 1])
    with pytest.raises(NotImplementedError, match="state_manager is not supported"):
        emb.get_dense_tensor(cache, object())


# -- embedding tables from checkpoints -------------------------------------------------------
def _save_table(path, v2):
    """A checkpoint holding TABLE as "pretrained/table" (and a decoy), written by minitf."""
    with tf.Graph().as_default():
        with tf.variable_scope("pretrained"):
            tf.get_variable("table", initializer=tf.constant(TABLE))
            tf.get_variable("decoy", initializer=tf.zeros([6, 4]))
        saver = tf.train.Saver(write_version=tf.train.SaverDef.V2 if v2 else None)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, path)


IDS = [[1, -1], [4, 2], [0, 5]]  # -1: no id; "mean" of two rows


def _expected(table=TABLE):
    return np.stack([table[1], (table[4] + table[2]) / 2, (table[0] + table[5]) / 2])


@pytest.mark.parametrize("v2", [False, True], ids=["npz", "v2"])
def test_embedding_column_starts_from_a_minitf_checkpoint(tmp_path, v2):
    prefix = _save_table(str(tmp_path / "model.ckpt"), v2)
    suffix = ".index" if v2 else ".npz"
    assert os.path.exists(prefix + suffix)
    ident = fc.categorical_column_with_identity("d", 6)
    col = fc.embedding_column(ident, 4, ckpt_to_load_from=prefix,
                              tensor_name_in_ckpt="pretrained/table")
    # The directory works too (its latest checkpoint), as TF's init_from_checkpoint.
    col_dir = fc.embedding_column(fc.categorical_column_with_identity("e", 6), 4,
                                  ckpt_to_load_from=str(tmp_path),
                                  tensor_name_in_ckpt="pretrained/table")
    feats = {"d": tf.constant(IDS), "e": tf.constant([[5, -1], [3, -1], [3, 1]])}
    out = fc.input_layer(feats, [col, col_dir])
    got = _run(out)
    np.testing.assert_allclose(got[:, :4], _expected(), rtol=1e-6)
    np.testing.assert_allclose(got[:, 4:], TABLE[[5, 3, 3]] * [[1], [1], [0]] +
                               [[0], [0], [1]] * (TABLE[3] + TABLE[1]) / 2, rtol=1e-6)


def test_partitioned_and_shared_tables_start_from_the_checkpoint(tmp_path):
    prefix = _save_table(str(tmp_path / "m"), v2=True)
    ident = fc.categorical_column_with_identity("d", 6)
    col = fc.embedding_column(ident, 4, ckpt_to_load_from=prefix,
                              tensor_name_in_ckpt="pretrained/table")
    feats = {"d": tf.constant(IDS), "q": tf.constant([[3], [0], [5]])}
    with tf.variable_scope("p", partitioner=tf.fixed_size_partitioner(2)):
        part = fc.input_layer(feats, [col])
    assert len(tf.global_variables()) == 2  # two parts of one table
    shared = fc.shared_embedding_columns(
        [ident, fc.categorical_column_with_identity("q", 6)], 4, ckpt_to_load_from=prefix,
        tensor_name_in_ckpt="pretrained/table")
    both = fc.input_layer(feats, shared)
    got_part, got_both = _run([part, both])
    np.testing.assert_allclose(got_part, _expected(), rtol=1e-6)
    np.testing.assert_allclose(got_both, np.hstack([_expected(), TABLE[[3, 0, 5]]]), rtol=1e-6)


def test_checkpoint_arguments_errors(tmp_path):
    prefix = _save_table(str(tmp_path / "m"), v2=False)
    ident = fc.categorical_column_with_identity("d", 6)
    with pytest.raises(ValueError, match="Must specify both"):
        fc.embedding_column(ident, 4, ckpt_to_load_from=prefix)
    with pytest.raises(ValueError, match="Must specify both"):
        fc.shared_embedding_columns([ident], 4, tensor_name_in_ckpt="x")
    missing = fc.embedding_column(ident, 4, ckpt_to_load_from=prefix, tensor_name_in_ckpt="nope")
    with pytest.raises(ValueError, match="Tensor nope .* is not found"):
        fc.input_layer({"d": tf.constant(IDS)}, [missing])
    tf.reset_default_graph()
    wide = fc.embedding_column(ident, 5, ckpt_to_load_from=prefix,
                               tensor_name_in_ckpt="pretrained/table")
    with pytest.raises(ValueError, match="Shape of variable .* doesn't match"):
        fc.input_layer({"d": tf.constant(IDS)}, [wide])


def test_tf_written_checkpoint_loads_as_in_tf(tmp_path):
    tf1 = pytest.importorskip("tensorflow").compat.v1
    prefix = str(tmp_path / "tf.ckpt")

    def model(m):
        ident = m.feature_column.categorical_column_with_identity("d", 6)
        col = m.feature_column.embedding_column(ident, 4, ckpt_to_load_from=prefix,
                                                tensor_name_in_ckpt="pretrained/table")
        return m.feature_column.input_layer({"d": m.constant(IDS)}, [col])

    with tf1.Graph().as_default():
        with tf1.variable_scope("pretrained"):
            tf1.get_variable("table", initializer=tf1.constant(TABLE))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            tf1.train.Saver().save(sess, prefix)
    with tf1.Graph().as_default():
        out = model(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            theirs = sess.run(out)
    mine = _run(model(tf))
    np.testing.assert_allclose(theirs, _expected(), rtol=1e-6)
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)
