"""tf.data.experimental's parse_example_dataset, make_batched_features_dataset, Reducer /
group_by_reducer, RandomDataset, TFRecordWriter, copy_to_device and prefetch_to_device,
checked against hand-computed values (TF-free; the side-by-side runs against TensorFlow are
in test_data_experimental_more_tf.py)."""

import numpy as np
import pytest

import minitf as tf
from minitf.ops.stateless_random_ops import philox4x32_10

exp = tf.data.experimental


def _example(i: int) -> bytes:
    """Record i: a = [i, 2i], v = (i % 3) strings, ix / val = the first i % 3 of
    [i % 5, (i + 3) % 5] / [i, 0.5], lab = i % 2."""
    n = i % 3
    feature = {
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, 2 * i])),
        "v": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"w%d" % i] * n)),
        "ix": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 5, (i + 3) % 5][:n])),
        "val": tf.train.Feature(float_list=tf.train.FloatList(value=[float(i), 0.5][:n])),
        "lab": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 2])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _features():
    return {"a": tf.FixedLenFeature([2], tf.int64), "v": tf.VarLenFeature(tf.string),
            "s": tf.SparseFeature("ix", "val", tf.float32, 5),
            "lab": tf.FixedLenFeature([], tf.int64)}


def _expected_batch(ids):
    """The parsed dict of records ``ids``, computed by hand from _example's definition."""
    a = np.array([[i, 2 * i] for i in ids], np.int64)
    v_idx = [[r, j] for r, i in enumerate(ids) for j in range(i % 3)]
    v_vals = [b"w%d" % i for i in ids for _ in range(i % 3)]
    s = sorted(((r, [i % 5, (i + 3) % 5][j]), [float(i), 0.5][j])
               for r, i in enumerate(ids) for j in range(i % 3))
    return {"a": a, "lab": np.array([i % 2 for i in ids], np.int64),
            "v": (np.array(v_idx, np.int64).reshape(-1, 2), v_vals,
                  [len(ids), max([i % 3 for i in ids])]),
            "s": (np.array([k for k, _ in s], np.int64).reshape(-1, 2),
                  np.array([x for _, x in s], np.float32), [len(ids), 5])}


def _check_batch(got, want):
    np.testing.assert_array_equal(got["a"], want["a"])
    for key in ("v", "s"):
        idx, vals, shape = want[key]
        np.testing.assert_array_equal(got[key].indices, idx)
        assert list(got[key].values) == list(vals)
        np.testing.assert_array_equal(got[key].dense_shape, shape)


def _all(dataset, initializable=False):
    if initializable:
        it = dataset.make_initializable_iterator()
    else:
        it = dataset.make_one_shot_iterator()
    nxt = it.get_next()
    out = []
    with tf.Session() as sess:
        if initializable:
            sess.run(it.initializer)
        while True:
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def _write_files(tmp_path, groups):
    for k, ids in enumerate(groups):
        with tf.python_io.TFRecordWriter(str(tmp_path / f"f{k}.tfr")) as w:
            for i in ids:
                w.write(_example(i))
    return str(tmp_path / "*.tfr")


# -- parse_example_dataset ---------------------------------------------------------------------
def test_parse_example_dataset_structure_and_values():
    records = [_example(i) for i in range(7)]
    ds = tf.data.Dataset.from_tensor_slices(records).batch(3).apply(
        exp.parse_example_dataset(_features()))
    assert ds.output_types == {"a": tf.int64, "lab": tf.int64, "s": tf.float32,
                               "v": tf.string}
    assert ds.output_shapes["a"].as_list() == [None, 2]
    assert ds.output_shapes["v"].as_list() == [None, None]
    assert ds.output_shapes["s"].as_list() == [None, 5]
    assert ds.output_classes["s"] is tf.SparseTensor
    got = _all(ds)
    assert len(got) == 3
    for batch, ids in zip(got, ([0, 1, 2], [3, 4, 5], [6])):
        _check_batch(batch, _expected_batch(ids))


def test_parse_example_dataset_static_batch_and_sequence_feature():
    records = [_example(i) for i in range(4)]
    feats = {"v": tf.VarLenFeature(tf.string),
             "q": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
             "a": tf.FixedLenFeature([2], tf.int64, default_value=[7, 7])}
    ds = tf.data.Dataset.from_tensor_slices(records).batch(2, drop_remainder=True).apply(
        exp.parse_example_dataset(feats, num_parallel_calls=4, deterministic=True))
    assert ds.output_shapes["v"].as_list() == [2, None]
    assert ds.output_shapes["q"].as_list() == [2, None]
    assert ds.output_shapes["a"].as_list() == [2, 2]
    got = _all(ds)
    np.testing.assert_array_equal(got[1]["a"], [[2, 4], [3, 6]])
    assert got[0]["q"].shape == (2, 0)  # no record has a "q": the longest is 0 long


def test_parse_example_dataset_errors():
    with pytest.raises(ValueError, match="Argument `features` is required"):
        exp.parse_example_dataset(None)
    scalars = tf.data.Dataset.from_tensor_slices([_example(0)])
    with pytest.raises(TypeError, match="Input dataset should be a dataset of vectors of "
                                        r"strings. Instead it is `TensorSpec\(shape=\(\)"):
        scalars.apply(exp.parse_example_dataset(_features()))
    ints = tf.data.Dataset.from_tensors([1, 2])
    with pytest.raises(TypeError, match="vectors of strings"):
        ints.apply(exp.parse_example_dataset(_features()))
    batches = scalars.batch(1)
    clash = {"x": tf.SparseFeature("ix", "val", tf.float32, 5), "ix": tf.VarLenFeature(tf.string)}
    with pytest.raises(ValueError, match="Conflicting type"):
        batches.apply(exp.parse_example_dataset(clash))
    with pytest.raises(TypeError, match="num_parallel_calls"):
        batches.apply(exp.parse_example_dataset(_features(), num_parallel_calls=1.5))
    zero = batches.apply(exp.parse_example_dataset(_features(), num_parallel_calls=0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_parallel_calls"):
        _all(zero)


def test_parse_example_dataset_missing_required_feature_fails_at_run():
    ds = tf.data.Dataset.from_tensor_slices([_example(0)]).batch(1).apply(
        exp.parse_example_dataset({"nope": tf.FixedLenFeature([], tf.int64)}))
    with pytest.raises(tf.errors.InvalidArgumentError):
        _all(ds)


# -- make_batched_features_dataset -----------------------------------------------------------------
@pytest.mark.parametrize("threads,order", [
    (1, [0, 1, 2, 10, 11, 12, 13]),  # one file after the other (sorted names)
    (2, [0, 10, 1, 11, 2, 12, 13]),  # two at a time, a record from each in turn
])
def test_make_batched_features_dataset_order_and_label(tmp_path, threads, order):
    pattern = _write_files(tmp_path, [[0, 1, 2], [10, 11, 12, 13]])
    ds = exp.make_batched_features_dataset(pattern, 3, _features(), label_key="lab",
                                           num_epochs=1, shuffle=False,
                                           reader_num_threads=threads)
    assert isinstance(ds.output_types, tuple) and ds.output_types[1] == tf.int64
    assert sorted(ds.output_types[0]) == ["a", "s", "v"]  # the label is popped
    assert ds.output_shapes[0]["a"].as_list() == [None, 2]
    got = _all(ds)
    batches = [order[i:i + 3] for i in range(0, len(order), 3)]
    assert len(got) == len(batches)
    for (features, label), ids in zip(got, batches):
        _check_batch(features, _expected_batch(ids))
        np.testing.assert_array_equal(label, [i % 2 for i in ids])


def test_make_batched_features_dataset_epochs_and_drop(tmp_path):
    pattern = _write_files(tmp_path, [[0, 1, 2, 3, 4]])
    feats = {"a": tf.FixedLenFeature([2], tf.int64)}
    forever = exp.make_batched_features_dataset(pattern, 2, feats, shuffle=False)
    assert forever.output_shapes["a"].as_list() == [2, 2]  # num_epochs=None drops remainders
    nxt = forever.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        firsts = [sess.run(nxt)["a"][:, 0].tolist() for _ in range(5)]
    assert firsts == [[0, 1], [2, 3], [4, 0], [1, 2], [3, 4]]
    two = exp.make_batched_features_dataset(pattern, 3, feats, num_epochs=2, shuffle=False,
                                            drop_final_batch=True)
    assert two.output_shapes["a"].as_list() == [3, 2]
    assert [b["a"][:, 0].tolist() for b in _all(two)] == [[0, 1, 2], [3, 4, 0], [1, 2, 3]]
    kept = exp.make_batched_features_dataset(pattern, 2, feats, num_epochs=1, shuffle=False)
    assert [b["a"][:, 0].tolist() for b in _all(kept)] == [[0, 1], [2, 3], [4]]


def test_make_batched_features_dataset_shuffle_is_a_permutation(tmp_path):
    pattern = _write_files(tmp_path, [[0, 1, 2, 3], [10, 11, 12]])
    ds = exp.make_batched_features_dataset(pattern, 7, {"a": tf.FixedLenFeature([2], tf.int64)},
                                           num_epochs=1, shuffle=True, shuffle_seed=5)
    (batch,) = _all(ds)
    assert sorted(batch["a"][:, 0].tolist()) == [0, 1, 2, 3, 10, 11, 12]
    (again,) = _all(ds)  # seeded: the same order each time the pipeline starts
    np.testing.assert_array_equal(batch["a"], again["a"])


def test_make_batched_features_dataset_key_value_reader_and_autotune(tmp_path):
    pattern = _write_files(tmp_path, [[0, 1], [10, 11]])
    feats = {"a": tf.FixedLenFeature([2], tf.int64)}

    def keyed(filename, suffix):  # a reader of (key, value) records, with reader_args
        return tf.data.TFRecordDataset(filename).map(lambda r: (tf.constant(suffix), r))

    ds = exp.make_batched_features_dataset(pattern, 4, feats, reader=keyed, reader_args=["k"],
                                           num_epochs=1, shuffle=False)
    assert [b["a"][:, 0].tolist() for b in _all(ds)] == [[0, 1, 10, 11]]
    auto = exp.make_batched_features_dataset(pattern, 4, feats, num_epochs=1, shuffle=False,
                                             reader_num_threads=exp.AUTOTUNE,
                                             sloppy_ordering=True)
    assert auto.options().deterministic is False
    assert sorted(_all(auto)[0]["a"][:, 0].tolist()) == [0, 1, 10, 11]


def test_make_batched_features_dataset_errors(tmp_path):
    pattern = _write_files(tmp_path, [[0]])
    with pytest.raises(ValueError, match=r"The `label_key` provided \(nope\) must be one of"):
        exp.make_batched_features_dataset(pattern, 1, _features(), label_key="nope")
    with pytest.raises(TypeError, match="`tf.ReaderBase` subclasses are not supported"):
        exp.make_batched_features_dataset(pattern, 1, _features(), reader=tf.TFRecordReader)
    empty = exp.make_batched_features_dataset(str(tmp_path / "none*"), 1, _features(),
                                              num_epochs=1, shuffle=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched"):
        _all(empty)


# -- group_by_reducer --------------------------------------------------------------------------
def test_group_by_reducer_sums_per_key_in_key_order():
    values = np.array([3, 5, 2, 3, 1, 0, 9, -4], np.int64)
    reducer = exp.Reducer(lambda key: (key * 0, key), lambda s, x: (s[0] + x, s[1]),
                          lambda total, key: {"key": key, "sum": total})
    ds = tf.data.Dataset.from_tensor_slices(values).apply(
        exp.group_by_reducer(lambda x: x % 4, reducer))
    assert ds.output_types == {"key": tf.int64, "sum": tf.int64}
    got = [(int(e["key"]), int(e["sum"])) for e in _all(ds)]
    keys = sorted({int(v) % 4 for v in values})  # TF's ordered map: by key, not first seen
    assert got == [(k, int(sum(v for v in values if v % 4 == k))) for k in keys]


def test_group_by_reducer_relaxes_a_growing_state():
    reducer = exp.Reducer(lambda key: tf.zeros([0], tf.int64),
                          lambda s, x: tf.concat([s, [x]], 0), lambda s: s)
    ds = tf.data.Dataset.range(10).apply(exp.group_by_reducer(lambda x: x % 3, reducer))
    assert ds.output_shapes.as_list() == [None]
    assert [e.tolist() for e in _all(ds)] == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]


def test_group_by_reducer_tuple_elements_and_captures():
    scale = tf.placeholder(tf.int64, [])
    ds = tf.data.Dataset.from_tensor_slices((np.arange(6, dtype=np.int64),
                                             np.array([1, 0, 1, 0, 1, 1], np.int64)))
    reducer = exp.Reducer(lambda key: tf.constant(0, tf.int64),
                          lambda s, el: s + el[0] * scale, lambda s: s)
    out = ds.apply(exp.group_by_reducer(lambda x, k: k, reducer))
    it = out.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {scale: 10})
        assert [sess.run(nxt), sess.run(nxt)] == [(1 + 3) * 10, (0 + 2 + 4 + 5) * 10]


def test_group_by_reducer_errors():
    ds = tf.data.Dataset.range(4)
    ok = exp.Reducer(lambda k: k, lambda s, x: s + x, lambda s: s)
    with pytest.raises(ValueError, match="Invalid `key_func`. Expected `key_func` to return a "
                                         "scalar tf.int64 tensor"):
        ds.apply(exp.group_by_reducer(lambda x: tf.cast(x, tf.int32), ok))
    with pytest.raises(ValueError, match="Invalid `key_func`"):
        ds.apply(exp.group_by_reducer(lambda x: tf.stack([x, x]), ok))
    wrong_type = exp.Reducer(lambda k: k, lambda s, x: tf.cast(s + x, tf.float32), lambda s: s)
    with pytest.raises(TypeError, match="Invalid `reducer`. The element types for the new "
                                        "state"):
        ds.apply(exp.group_by_reducer(lambda x: x, wrong_type))
    wrong_nest = exp.Reducer(lambda k: k, lambda s, x: (s, x), lambda s: s)
    with pytest.raises(TypeError, match="Invalid `reducer`"):
        ds.apply(exp.group_by_reducer(lambda x: x, wrong_nest))
    with pytest.raises(TypeError, match="Reducer"):
        ds.apply(exp.group_by_reducer(lambda x: x, lambda s: s))


# -- RandomDataset -----------------------------------------------------------------------------
def _philox_words(key, counter_hi, n):
    """n values of TF's SingleSampleAdapter<PhiloxRandom(key, counter_hi)>: blocks at counter
    (0, 0, counter_hi lo, counter_hi hi), 1, 2, ... each giving four words in turn."""
    out = []
    block = 0
    while len(out) < n:
        words = [np.array([w], np.uint64) for w in (block & 0xFFFFFFFF, block >> 32,
                                                     counter_hi & 0xFFFFFFFF, counter_hi >> 32)]
        out.extend(int(w[0]) for w in philox4x32_10(words, key))
        block += 1
    return out[:n]


def test_random_dataset_structure_and_determinism():
    ds = exp.RandomDataset(seed=42)
    assert ds.output_types == tf.int64 and ds.output_shapes.as_list() == []
    nxt = ds.take(1030).make_one_shot_iterator().get_next()  # past one chunk of 256 blocks
    with tf.Session() as sess:
        got = [int(sess.run(nxt)) for _ in range(1030)]
    assert got == _philox_words(87654321, 42, 1030)  # op seed only: TF's default graph seed
    # TF 2.21's RandomDataset(seed=42) gives these first values (recorded from TF).
    assert got[:4] == [2985944072, 4132877644, 929418493, 249609589]
    assert all(0 <= v < 2**32 for v in got)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
    with tf.Session() as sess:
        nxt2 = exp.RandomDataset(seed=42).take(3).make_one_shot_iterator().get_next()
        assert [int(sess.run(nxt2)) for _ in range(3)] == got[:3]
    with tf.Session() as sess:
        assert sess.run(ds.cardinality()) == exp.INFINITE_CARDINALITY


def test_random_dataset_graph_seed_and_unseeded():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(7)
        nxt = exp.RandomDataset(seed=3).take(2).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert [int(sess.run(nxt)) for _ in range(2)] == _philox_words(7, 3, 2)
    unseeded = exp.RandomDataset().take(64)
    a, b = _all(unseeded), _all(unseeded)
    assert len(a) == 64 and a != b  # a fresh seed per run


# -- TFRecordWriter --------------------------------------------------------------------------------
@pytest.mark.parametrize("compression", [None, "", "GZIP", "ZLIB"])
def test_tfrecord_writer_round_trip(tmp_path, compression):
    path = str(tmp_path / "out.tfrecord")
    records = [b"alpha", b"", b"\x00\xffbytes", b"z" * 300]
    op = exp.TFRecordWriter(path, compression).write(
        tf.data.Dataset.from_tensor_slices(records))
    assert op.type == "DatasetToTFRecord"
    with tf.Session() as sess:
        assert sess.run(op) is None
    back = _all(tf.data.TFRecordDataset(path, compression_type=compression))
    assert back == records
    assert list(tf.python_io.tf_record_iterator(path, compression or "")) == records


def test_tfrecord_writer_placeholder_filename_rewrites_each_run(tmp_path):
    name = tf.placeholder(tf.string, [])
    n = tf.placeholder(tf.int64, [])
    ds = tf.data.Dataset.range(n).map(lambda x: tf.as_string(x))
    op = exp.TFRecordWriter(name).write(ds)
    with tf.Session() as sess:
        sess.run(op, {name: str(tmp_path / "a"), n: 3})
        sess.run(op, {name: str(tmp_path / "a"), n: 2})
    assert list(tf.python_io.tf_record_iterator(str(tmp_path / "a"))) == [b"0", b"1"]


def test_tfrecord_writer_errors(tmp_path):
    writer = exp.TFRecordWriter(str(tmp_path / "x"))
    with pytest.raises(TypeError, match=r"Invalid `dataset.` Expected a `tf.data.Dataset`"):
        writer.write([b"a"])
    with pytest.raises(TypeError, match="produces scalar `tf.string` elements"):
        writer.write(tf.data.Dataset.range(3))
    with pytest.raises(TypeError, match="produces scalar `tf.string` elements"):
        writer.write(tf.data.Dataset.from_tensors([b"a", b"b"]))
    missing = exp.TFRecordWriter(str(tmp_path / "no" / "dir" / "x")).write(
        tf.data.Dataset.from_tensors(b"a"))
    with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError):
        sess.run(missing)


# -- copy_to_device / prefetch_to_device -----------------------------------------------------------
def test_copy_and_prefetch_to_device_keep_the_elements():
    ds = tf.data.Dataset.range(5).map(lambda x: (x, tf.cast(x, tf.float32) * 2))
    for moved in (ds.apply(exp.copy_to_device("/cpu:0")),
                  ds.apply(exp.copy_to_device("/device:CPU:0", source_device="/cpu:0")),
                  ds.apply(exp.prefetch_to_device("/cpu:0", buffer_size=2)),
                  ds.apply(exp.prefetch_to_device("/cpu:0"))):
        assert moved.output_types == ds.output_types
        assert moved.output_shapes == ds.output_shapes
        assert [(int(a), float(b)) for a, b in _all(moved)] == [(i, 2.0 * i) for i in range(5)]
        with tf.Session() as sess:
            assert sess.run(moved.cardinality()) == 5


def test_copy_to_device_errors():
    ds = tf.data.Dataset.range(3)
    with pytest.raises(ValueError, match="Unknown attribute 'bogus'"):
        ds.apply(exp.copy_to_device("/bogus:0"))
    with pytest.raises(TypeError, match="target_device"):
        ds.apply(exp.copy_to_device(3))
    on_gpu = ds.apply(exp.copy_to_device("/gpu:0"))
    with pytest.raises(ValueError, match="`make_one_shot_iterator` is not compatible with GPU"):
        on_gpu.make_one_shot_iterator()
    assert [int(x) for x in _all(on_gpu, initializable=True)] == [0, 1, 2]


def test_namespace_exports():
    for name in ("RandomDataset", "Reducer", "TFRecordWriter", "copy_to_device",
                 "group_by_reducer", "make_batched_features_dataset", "parse_example_dataset",
                 "prefetch_to_device"):
        assert name in exp.__all__
        assert getattr(tf.compat.v1.data.experimental, name) is getattr(exp, name)
