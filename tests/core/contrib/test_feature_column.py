"""tf.contrib.feature_column: sequence columns and sequence_input_layer by hand values
(embedding, indicator and numeric columns of ragged sequences, lengths, empty examples),
concatenate_context_input vs numpy, names and variables, the errors; and side by side with
TF 2.21's v1 sequence column internals (fc._SequenceCategoricalColumn and the columns'
_get_sequence_dense_tensor) and its sequence_feature_column module."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import feature_column as sfc

from ..side_by_side import tf1_or_skip

IDS = dict(indices=[[0, 0], [0, 1], [1, 0], [3, 0], [3, 1], [3, 2]],
           values=np.array([1, 2, 0, 2, 1, 0], np.int64), dense_shape=[4, 3])
NUM = dict(indices=[[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [3, 0], [3, 1], [3, 2],
                    [3, 3], [3, 4], [3, 5]],
           values=np.arange(12, dtype=np.float32), dense_shape=[4, 6])
TABLE = np.arange(6, dtype=np.float32).reshape(3, 2)
# Per example: the ids [1, 2], [0], [], [2, 1, 0]; two numbers a step.
WANT_EMB = [[TABLE[1], TABLE[2], [0, 0]], [TABLE[0], [0, 0], [0, 0]], [[0, 0]] * 3,
            [TABLE[2], TABLE[1], TABLE[0]]]
WANT_IND = [[[0, 1, 0], [0, 0, 1], [0, 0, 0]], [[1, 0, 0], [0, 0, 0], [0, 0, 0]],
            [[0, 0, 0]] * 3, [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]
WANT_NUM = [[[0, 1], [2, 3], [0, 0]], [[4, 5], [0, 0], [0, 0]], [[0, 0]] * 3,
            [[6, 7], [8, 9], [10, 11]]]


def _columns(lib, seq_identity, seq_numeric):
    ids = seq_identity("ids", 3)
    emb = lib.feature_column.embedding_column(ids, 2,
                                              initializer=lib.constant_initializer(TABLE))
    return [emb, lib.feature_column.indicator_column(ids), seq_numeric("num", shape=(2,))]


def _run(fetches):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        return sess.run(fetches)


def test_sequence_input_layer_hand_values():
    assert tf.contrib.feature_column.sequence_input_layer is sfc.sequence_input_layer
    features = {"ids": tf.SparseTensor(**IDS), "num": tf.SparseTensor(**NUM)}
    cols = _columns(tf, sfc.sequence_categorical_column_with_identity,
                    sfc.sequence_numeric_column)
    out, length = sfc.sequence_input_layer(features, cols)
    assert out.dtype == tf.float32 and out.shape.as_list()[-1] == 7
    assert length.dtype == tf.int64
    var = tf.global_variables()[0]
    assert var.name == "sequence_input_layer/ids_embedding/embedding_weights:0"
    got, got_length = _run([out, length])
    # Columns in name order: ids_embedding, ids_indicator, num.
    want = np.concatenate([np.float32(WANT_EMB), np.float32(WANT_IND), np.float32(WANT_NUM)],
                          -1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_length, [2, 1, 0, 3])


def test_sequence_lengths_round_up_and_pad_trailing_empty_examples():
    # Three numbers a step; example 0 has 4 values (2 steps), the last two have none.
    num = tf.SparseTensor(indices=[[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]],
                          values=np.arange(5, dtype=np.float32), dense_shape=[4, 6])
    out, length = sfc.sequence_input_layer({"n": num},
                                           [sfc.sequence_numeric_column("n", shape=[3],
                                                                        default_value=-1.0)])
    got, got_length = _run([out, length])
    np.testing.assert_array_equal(got_length, [2, 1, 0, 0])
    assert got.shape == (4, 2, 3)  # 6 values a row: 2 steps of 3
    np.testing.assert_array_equal(got[0], [[0, 1, 2], [3, -1, -1]])
    np.testing.assert_array_equal(got[1], [[4, -1, -1], [-1, -1, -1]])


def test_vocabulary_and_hash_sequence_columns(tmp_path):
    words = tf.SparseTensor(indices=[[0, 0], [0, 1], [1, 0]], values=["b", "zz", "a"],
                            dense_shape=[2, 2])
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\nc\n")
    listed = sfc.sequence_categorical_column_with_vocabulary_list("w", ["a", "b", "c"])
    filed = sfc.sequence_categorical_column_with_vocabulary_file("w", str(vocab),
                                                                 num_oov_buckets=1)
    out_l, len_l = sfc.sequence_input_layer({"w": words},
                                            [tf.feature_column.indicator_column(listed)])
    out_f, _ = sfc.sequence_input_layer({"w": words},
                                        [tf.feature_column.indicator_column(filed)])
    hashed = sfc.sequence_categorical_column_with_hash_bucket("w", 5)
    out_h, _ = sfc.sequence_input_layer({"w": words},
                                        [tf.feature_column.indicator_column(hashed)])
    got_l, got_len, got_f, got_h = _run([out_l, len_l, out_f, out_h])
    np.testing.assert_array_equal(got_l, [[[0, 1, 0], [0, 0, 0]], [[1, 0, 0], [0, 0, 0]]])
    np.testing.assert_array_equal(got_f[0], [[0, 1, 0, 0], [0, 0, 0, 1]])  # zz: the OOV id
    np.testing.assert_array_equal(got_len, [2, 1])
    assert got_h.shape == (2, 2, 5) and got_h.sum() == 3


def test_concatenate_context_input_vs_numpy():
    seq = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    ctx = np.float32([[1, 2], [3, 4]])
    out = sfc.concatenate_context_input(tf.constant(ctx), tf.constant(seq))
    want = np.concatenate([seq, np.repeat(ctx[:, None, :], 3, axis=1)], axis=2)
    np.testing.assert_array_equal(_run(out), want)
    with pytest.raises(ValueError, match="sequence_input must have rank 3"):
        sfc.concatenate_context_input(tf.constant(ctx), tf.constant(ctx))
    with pytest.raises(TypeError, match="context_input must have dtype float32"):
        sfc.concatenate_context_input(tf.constant([[1, 2]]), tf.constant(seq))


def test_bad_inputs():
    ids = sfc.sequence_categorical_column_with_identity("ids", 3)
    numeric = tf.feature_column.numeric_column("x")
    features = {"ids": tf.SparseTensor(**IDS), "x": tf.constant([[1.0]] * 4)}
    with pytest.raises(ValueError, match="All feature_columns must be of type "
                                         "_SequenceDenseColumn"):
        sfc.sequence_input_layer(features, [numeric])
    with pytest.raises(ValueError, match="categorical_column must be of type "
                                         "_SequenceCategoricalColumn to use sequence_input"):
        sfc.sequence_input_layer(features, [tf.feature_column.indicator_column(
            tf.feature_column.categorical_column_with_identity("ids", 3))])
    with pytest.raises(ValueError, match="categorical_column must not be of type "
                                         "_SequenceCategoricalColumn"):
        tf.feature_column.input_layer(features, [tf.feature_column.embedding_column(ids, 2)])
    with pytest.raises(ValueError, match="dtype must be convertible to float"):
        sfc.sequence_numeric_column("s", dtype=tf.string)
    with pytest.raises(ValueError, match="shape dimensions must be greater than 0"):
        sfc.sequence_numeric_column("s", shape=(0,))
    with pytest.raises(TypeError, match="shape dimensions must be integer"):
        sfc.sequence_numeric_column("s", shape=(1.5,))
    with pytest.raises(TypeError, match="normalizer_fn must be a callable"):
        sfc.sequence_numeric_column("s", normalizer_fn=3)
    with pytest.raises(ValueError, match="num_buckets 0 < 1"):
        sfc.sequence_categorical_column_with_identity("s", 0)
    # Two columns whose sequences have other lengths: the assert fails when run.
    other = tf.SparseTensor(indices=[[0, 0]], values=[1.0], dense_shape=[4, 3])
    out, length = sfc.sequence_input_layer(
        {"ids": tf.SparseTensor(**IDS), "o": other},
        [tf.feature_column.indicator_column(ids), sfc.sequence_numeric_column("o")])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x == y did not hold"):
        _run(length)


# -- side by side with TensorFlow -----------------------------------------------------------------
def test_core_namespace_has_the_sequence_columns():
    # TF 1.15's tf.feature_column has the sequence columns (not sequence_input_layer)
    for name in ("sequence_categorical_column_with_hash_bucket", "sequence_numeric_column",
                 "sequence_categorical_column_with_identity",
                 "sequence_categorical_column_with_vocabulary_file",
                 "sequence_categorical_column_with_vocabulary_list"):
        assert getattr(tf.feature_column, name) is getattr(sfc, name)
    assert not hasattr(tf.feature_column, "sequence_input_layer")


def test_matches_tensorflow_sequence_columns():
    tf1 = tf1_or_skip()
    from tensorflow.python.feature_column import feature_column as fc
    from tensorflow.python.feature_column import feature_column_v2 as fc2
    from tensorflow.python.feature_column import sequence_feature_column as tsfc

    g = tf1.Graph()
    with g.as_default():
        features = {"ids": tf1.SparseTensor(**IDS), "num": tf1.SparseTensor(**NUM)}
        emb, ind, num = _columns(
            tf1, lambda k, n: fc._SequenceCategoricalColumn(
                tf1.feature_column.categorical_column_with_identity(k, n)),
            tsfc.sequence_numeric_column)
        builder = fc._LazyBuilder(features)
        parts = [emb._get_sequence_dense_tensor(builder),
                 ind._get_sequence_dense_tensor(builder),
                 num.get_sequence_dense_tensor(fc2.FeatureTransformationCache(features), None)]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            theirs = sess.run(parts)
    features = {"ids": tf.SparseTensor(**IDS), "num": tf.SparseTensor(**NUM)}
    out, length = sfc.sequence_input_layer(features, _columns(
        tf, sfc.sequence_categorical_column_with_identity, sfc.sequence_numeric_column))
    got, got_length = _run([out, length])
    want = np.concatenate([d.reshape(4, 3, -1) for d, _ in theirs], -1)
    np.testing.assert_array_equal(got, want)
    for _, their_length in theirs:
        np.testing.assert_array_equal(got_length, their_length)


def test_concatenate_context_input_matches_tensorflow():
    tf1 = tf1_or_skip()
    from tensorflow.python.feature_column import sequence_feature_column as tsfc

    seq = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    ctx = np.float32([[1, 2], [3, 4]])
    with tf1.Graph().as_default(), tf1.Session() as sess:
        theirs = sess.run(tsfc.concatenate_context_input(tf1.constant(ctx),
                                                         tf1.constant(seq)))
    mine = _run(sfc.concatenate_context_input(tf.constant(ctx), tf.constant(seq)))
    np.testing.assert_array_equal(mine, theirs)
