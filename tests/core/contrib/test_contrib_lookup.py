"""tf.contrib.lookup: vocabulary tables from tensors and files, OOV hash buckets (TF's
FarmHash / SipHash ids), the deprecated helpers and the mutable tables; TF-free checks with
hand-computed ids plus side-by-side runs against TF's lookup_ops (the same TF1 functions)."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import lookup


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        return sess.run(fetches, feed)


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("emerson\nlake\npalmer\n")
    return str(path)


def test_hash_bucket_table_initializer_runs():
    # The table's own initializer (and TF 1.x's ``init``), not just tables_initializer.
    table = lookup.index_table_from_tensor(tf.constant(["a", "b"]), num_oov_buckets=2)
    ids = table.lookup(tf.constant(["a", "b"]))
    assert isinstance(table.initializer, tf.Operation) and table.init is not None
    with tf.Session() as sess:
        sess.run(table.init)
        np.testing.assert_array_equal(sess.run(ids), [0, 1])
    bare = lookup.IdTableWithHashBuckets(None, num_oov_buckets=3, key_dtype=tf.string)
    with tf.Session() as sess:
        sess.run(bare.initializer)  # nothing to fill: a no-op, as TF's
        assert sess.run(bare.size()) == 3


def test_index_table_from_tensor_and_default():
    with tf.Graph().as_default():
        table = lookup.index_table_from_tensor(["emerson", "lake", "palmer"], default_value=-7)
        ids = table.lookup(tf.constant(["palmer", "emerson", "tarkus"]))
        size = table.size()
        assert isinstance(table, lookup.HashTable) and table.init is table.initializer
        got, n = _run([ids, size])
    assert got.tolist() == [2, 0, -7] and got.dtype == np.int64 and n == 3


def test_integer_keys_and_oov_buckets_are_in_range():
    with tf.Graph().as_default():
        table = lookup.index_table_from_tensor(tf.constant([10, 20, 30], tf.int64),
                                               num_oov_buckets=4, dtype=tf.int64)
        assert isinstance(table, lookup.IdTableWithHashBuckets)
        ids, size = _run([table.lookup(tf.constant([30, 10, 99, 5], tf.int64)), table.size()])
    assert ids[:2].tolist() == [2, 0] and all(3 <= i < 7 for i in ids[2:]) and size == 7


def test_file_tables_both_directions(vocab_file):
    with tf.Graph().as_default():
        ids = lookup.index_table_from_file(vocab_file).lookup(tf.constant(["lake", "x"]))
        words = lookup.index_to_string_table_from_file(vocab_file, default_value="?").lookup(
            tf.constant([2, 0, 5], tf.int64))
        few = lookup.index_table_from_file(vocab_file, vocab_size=2).lookup(
            tf.constant(["palmer", "lake"]))
        got = _run([ids, words, few])
    assert got[0].tolist() == [1, -1]
    assert got[1].tolist() == [b"palmer", b"emerson", b"?"]
    assert got[2].tolist() == [-1, 1]


def test_index_to_string_and_deprecated_helpers():
    with tf.Graph().as_default():
        words = lookup.index_to_string(tf.constant([1, 3], tf.int64), ["a", "b", "c"])
        ids = lookup.string_to_index(tf.constant(["c", "z"]), ["a", "b", "c"])
        table = lookup.index_to_string_table_from_tensor(["a", "b"])
        more = table.lookup(tf.constant([[0, 1], [2, -1]], tf.int64))
        got = _run([words, ids, more])
    assert got[0].tolist() == [b"b", b"UNK"] and got[1].tolist() == [2, -1]
    assert got[2].tolist() == [[b"a", b"b"], [b"UNK", b"UNK"]]


def test_hash_table_with_initializers(vocab_file):
    with tf.Graph().as_default():
        kv = lookup.HashTable(lookup.KeyValueTensorInitializer(["a", "b"], [5, 6], value_dtype=
                                                               tf.int64), -1)
        by_line = lookup.HashTable(lookup.TextFileStringTableInitializer(vocab_file), "none")
        by_word = lookup.HashTable(lookup.TextFileIdTableInitializer(vocab_file), -1)
        generic = lookup.HashTable(lookup.TextFileInitializer(
            vocab_file, tf.string, lookup.TextFileIndex.WHOLE_LINE, tf.int64,
            lookup.TextFileIndex.LINE_NUMBER), -1)
        got = _run([kv.lookup(tf.constant(["b", "q"])),
                    by_line.lookup(tf.constant([1], tf.int64)),
                    by_word.lookup(tf.constant(["palmer"])),
                    generic.lookup(tf.constant(["lake"]))])
    assert got[0].tolist() == [6, -1] and got[1].tolist() == [b"lake"]
    assert got[2].tolist() == [2] and got[3].tolist() == [1]


def test_id_table_without_table_hashes_everything_and_sparse_keys():
    with tf.Graph().as_default():
        table = lookup.IdTableWithHashBuckets(None, 5, key_dtype=tf.string)
        sp = tf.SparseTensor([[0, 0], [1, 2]], tf.constant(["a", "b"]), [2, 3])
        dense = table.lookup(tf.constant(["a", "b"]))
        out = table.lookup(sp)
        got = _run([dense, out.values, out.indices, table.size()])
    assert got[0].tolist() == got[1].tolist() and all(0 <= i < 5 for i in got[0])
    assert got[2].tolist() == [[0, 0], [1, 2]] and got[3] == 5


def test_id_table_without_table_defaults_to_string_keys():
    # TF's key_dtype default when there is no table: string. The ids are TF 2.21's for these
    # keys (Fingerprint64 % 4).
    with tf.Graph().as_default():
        table = lookup.IdTableWithHashBuckets(None, 4)
        assert table.key_dtype == tf.string
        got = _run([table.lookup(tf.constant(["a", "x", "yy", "b"]))])
    assert got[0].tolist() == [3, 2, 1, 2]
    with pytest.raises(ValueError, match="must be > 0 if no table"):
        lookup.IdTableWithHashBuckets(None, 0, key_dtype=tf.string)
    with pytest.raises(TypeError, match="expected integer or string"):
        lookup.IdTableWithHashBuckets(None, 3, key_dtype=tf.float32)


def test_bad_arguments_raise_tf_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="mapping must be specified"):
            lookup.index_table_from_tensor(None)
        with pytest.raises(ValueError, match="num_oov_buckets must be greater or equal"):
            lookup.index_table_from_tensor(["a"], num_oov_buckets=-1)
        with pytest.raises(ValueError, match="Expected integer, got"):
            lookup.index_table_from_tensor(["a"], dtype=tf.int64)
        with pytest.raises(TypeError, match="Expected integer or string"):
            lookup.index_table_from_tensor(["a"], dtype=tf.float32)
        with pytest.raises(ValueError, match="vocabulary_file must be specified"):
            lookup.index_table_from_file("")
        with pytest.raises(ValueError, match="vocab_size must be greater than 0"):
            lookup.index_table_from_file("v.txt", vocab_size=0)
        with pytest.raises(ValueError, match="key must have size 2"):
            lookup.StrongHashSpec([1])
        with pytest.raises(TypeError, match="hasher_spec must be of type HasherSpec"):
            lookup.IdTableWithHashBuckets(None, 2, hasher_spec="fast", key_dtype=tf.string)
        table = lookup.index_table_from_tensor(["a"], num_oov_buckets=1)
        with pytest.raises(TypeError, match="Signature mismatch"):
            table.lookup(tf.constant([1], tf.int64))


def test_mutable_tables():
    with tf.Graph().as_default():
        t = lookup.MutableHashTable(tf.string, tf.int64, -1)
        ins = t.insert(tf.constant(["x", "y"]), tf.constant([1, 2], tf.int64))
        d = lookup.MutableDenseHashTable(tf.int64, tf.int64, default_value=-1, empty_key=0,
                                         deleted_key=-1)
        dins = d.insert(tf.constant([7, 8], tf.int64), tf.constant([70, 80], tf.int64))
        with tf.Session() as sess:
            sess.run([ins, dins])
            got = sess.run([t.lookup(tf.constant(["y", "z"])),
                            d.lookup(tf.constant([8, 9], tf.int64))])
    assert got[0].tolist() == [2, -1] and got[1].tolist() == [80, -1]


def test_mutable_table_scalar_string_default_is_a_string():
    # A missing key's default went into the object array as a 0-d array, not as bytes, and
    # string ops on the result failed.
    with tf.Graph().as_default():
        t = lookup.MutableHashTable(tf.int64, tf.string, "none")
        ins = t.insert(tf.constant([3], tf.int64), tf.constant(["x"]))
        out = t.lookup(tf.constant([3, 5], tf.int64))
        with tf.Session() as sess:
            sess.run(ins)
            values, lengths = sess.run([out, tf.strings.length(out)])
    assert [type(v) for v in values] == [bytes, bytes]
    assert values.tolist() == [b"x", b"none"] and lengths.tolist() == [1, 4]


# ---- side by side with TensorFlow's TF1 lookup_ops ----

KEYS = ["brain", "salad", "surgery", "tarkus", "", "karn evil 9", "emerson"]


@pytest.mark.parametrize("hasher", ["fast", "strong", "legacy"])
def test_oov_bucket_ids_match_tensorflow(hasher, vocab_file):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.ops import lookup_ops as tl

    def spec(mod):
        return {"fast": mod.FastHashSpec, "strong": mod.StrongHashSpec((7, 13)),
                "legacy": mod.HasherSpec("legacy", None)}[hasher]

    g = tf1.Graph()
    with g.as_default():
        a = tl.index_table_from_tensor(["emerson", "lake"], num_oov_buckets=5,
                                       hasher_spec=spec(tl))
        b = tl.index_table_from_file(vocab_file, num_oov_buckets=3, hasher_spec=spec(tl))
        c = tl.IdTableWithHashBuckets(None, 11, hasher_spec=spec(tl), key_dtype=tf1.int64)
        fetches = [a.lookup(tf1.constant(KEYS)), b.lookup(tf1.constant(KEYS)),
                   c.lookup(tf1.constant([3, -4, 12345], tf1.int64)), a.size()]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.tables_initializer())
            want = sess.run(fetches)
    with tf.Graph().as_default():
        a = lookup.index_table_from_tensor(["emerson", "lake"], num_oov_buckets=5,
                                           hasher_spec=spec(lookup))
        b = lookup.index_table_from_file(vocab_file, num_oov_buckets=3, hasher_spec=spec(lookup))
        c = lookup.IdTableWithHashBuckets(None, 11, hasher_spec=spec(lookup), key_dtype=tf.int64)
        got = _run([a.lookup(tf.constant(KEYS)), b.lookup(tf.constant(KEYS)),
                    c.lookup(tf.constant([3, -4, 12345], tf.int64)), a.size()])
    for g_, w in zip(got, want):
        np.testing.assert_array_equal(g_, w)


def test_index_to_string_tables_match_tensorflow(vocab_file):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.ops import lookup_ops as tl

    ids = [0, 2, 9, -1]
    g = tf1.Graph()
    with g.as_default():
        fetches = [tl.index_to_string_table_from_tensor(["x", "y", "z"]).lookup(
                       tf1.constant(ids, tf1.int64)),
                   tl.index_to_string_table_from_file(vocab_file, vocab_size=2).lookup(
                       tf1.constant(ids, tf1.int64))]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.tables_initializer())
            want = sess.run(fetches)
    with tf.Graph().as_default():
        got = _run([lookup.index_to_string_table_from_tensor(["x", "y", "z"]).lookup(
                        tf.constant(ids, tf.int64)),
                    lookup.index_to_string_table_from_file(vocab_file, vocab_size=2).lookup(
                        tf.constant(ids, tf.int64))])
    for g_, w in zip(got, want):
        assert g_.tolist() == w.tolist()
