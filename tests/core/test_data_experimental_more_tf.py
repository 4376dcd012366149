"""tf.data.experimental's parse_example_dataset, make_batched_features_dataset,
group_by_reducer, RandomDataset and TFRecordWriter side by side with TensorFlow's
(tf.compat.v1, each in its own tf1.Graph), on TFRecord files written here."""

import numpy as np
import pytest

import minitf as tf

tf1 = pytest.importorskip("tensorflow.compat.v1")


def _example(i: int) -> bytes:
    n = i % 3
    feature = {
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, 2 * i])),
        "v": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"w%d" % i] * n)),
        "q": tf.train.Feature(float_list=tf.train.FloatList(value=[0.25 * i] * (2 * n))),
        "ix": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 5, (i + 3) % 5][:n])),
        "val": tf.train.Feature(float_list=tf.train.FloatList(value=[float(i), 0.5][:n])),
        "lab": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 2])),
    }
    if i % 4:
        feature["opt"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"o%d" % i]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _features(lib):
    return {"a": lib.io.FixedLenFeature([2], lib.int64),
            "opt": lib.io.FixedLenFeature([], lib.string, default_value="none"),
            "v": lib.io.VarLenFeature(lib.string),
            "q": lib.io.FixedLenSequenceFeature([2], lib.float32, allow_missing=True),
            "s": lib.io.SparseFeature("ix", "val", lib.float32, 5),
            "lab": lib.io.FixedLenFeature([], lib.int64)}


def _drain(sess, nxt, limit=None):
    out = []
    while limit is None or len(out) < limit:
        try:
            out.append(sess.run(nxt))
        except (tf.errors.OutOfRangeError, tf1.errors.OutOfRangeError):
            break
    return out


def _run_minitf(make, initializable=False):
    g = tf.Graph()
    with g.as_default():
        ds = make(tf)
        it = ds.make_initializable_iterator() if initializable else \
            ds.make_one_shot_iterator()
        with tf.Session() as sess:
            if initializable:
                sess.run(it.initializer)
            return ds, _drain(sess, it.get_next())


def _run_tf(make, limit=None):
    g = tf1.Graph()
    with g.as_default():
        ds = make(tf1)
        nxt = tf1.data.make_one_shot_iterator(ds).get_next()
        with tf1.Session() as sess:
            return ds, _drain(sess, nxt, limit)


def _assert_same(a, b):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (tuple, list)) and not hasattr(a, "indices"):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif hasattr(a, "indices"):
        for part in ("indices", "values", "dense_shape"):
            _assert_same(getattr(a, part), getattr(b, part))
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind
        np.testing.assert_array_equal(a, b)


def _assert_same_specs(ours, theirs):
    assert tf.nest.flatten(ours.output_types) == [tf.as_dtype(t.name) for t in
                                                  tf1.nest.flatten(
                                                      tf1.data.get_output_types(theirs))]
    assert [s.as_list() if s.rank is not None else None
            for s in tf.nest.flatten(ours.output_shapes)] == \
        [s.as_list() if s.rank is not None else None
         for s in tf1.nest.flatten(tf1.data.get_output_shapes(theirs))]
    classes = [c.__name__ for c in tf.nest.flatten(ours.output_classes)]
    assert classes == [c.__name__ for c in tf1.nest.flatten(
        tf1.data.get_output_classes(theirs))]


@pytest.mark.parametrize("batch,drop", [(3, False), (2, True)])
def test_parse_example_dataset_matches_tf(batch, drop):
    records = [_example(i) for i in range(9)]

    def make(lib):
        return lib.data.Dataset.from_tensor_slices(records).batch(batch, drop).apply(
            lib.data.experimental.parse_example_dataset(_features(lib)))

    ours, got = _run_minitf(make)
    theirs, want = _run_tf(make)
    _assert_same_specs(ours, theirs)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        _assert_same(a, b)


def _write(tmp_path, groups):
    for k, ids in enumerate(groups):
        with tf.python_io.TFRecordWriter(str(tmp_path / f"part-{k}.tfr")) as w:
            for i in ids:
                w.write(_example(i))
    return str(tmp_path / "part-*.tfr")


@pytest.mark.parametrize("kwargs", [
    dict(num_epochs=1, reader_num_threads=1),
    dict(num_epochs=1, reader_num_threads=2, label_key="lab"),
    dict(num_epochs=2, reader_num_threads=3, label_key="lab", drop_final_batch=True),
    dict(num_epochs=3, reader_num_threads=2, parser_num_threads=1, prefetch_buffer_size=2),
])
def test_make_batched_features_dataset_matches_tf(tmp_path, kwargs):
    pattern = _write(tmp_path, [[0, 1, 2, 3], [10, 11], [20, 21, 22, 23, 24]])

    def make(lib):
        return lib.data.experimental.make_batched_features_dataset(
            pattern, 4, _features(lib), shuffle=False, **kwargs)

    ours, got = _run_minitf(make)
    theirs, want = _run_tf(make)
    _assert_same_specs(ours, theirs)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        _assert_same(a, b)


def test_make_batched_features_dataset_forever_matches_tf(tmp_path):
    pattern = _write(tmp_path, [[0, 1, 2], [10, 11, 12, 13]])

    def make(lib):
        return lib.data.experimental.make_batched_features_dataset(
            pattern, 3, _features(lib), label_key="lab", shuffle=False, reader_num_threads=2)

    g = tf.Graph()
    with g.as_default():
        ours = make(tf)
        nxt = ours.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = _drain(sess, nxt, 6)
    theirs, want = _run_tf(make, 6)
    _assert_same_specs(ours, theirs)
    for a, b in zip(got, want):
        _assert_same(a, b)


@pytest.mark.parametrize("case", ["sum", "grow", "pair"])
def test_group_by_reducer_matches_tf(case):
    values = np.array([100, -5, 7, 1000003, 13, -5, 64, 2**40, 3, 8], np.int64)

    def make(lib):
        exp = lib.data.experimental
        ds = lib.data.Dataset.from_tensor_slices(values)
        if case == "sum":
            reducer = exp.Reducer(lambda k: k * 0, lambda s, x: s + x, lambda s: s)
            key = lambda x: x % 3  # noqa: E731
        elif case == "grow":
            reducer = exp.Reducer(lambda k: lib.zeros([0], lib.int64),
                                  lambda s, x: lib.concat([s, [x]], 0), lambda s: s)
            key = lambda x: x  # noqa: E731 - every value its own key: TF orders keys
        else:
            reducer = exp.Reducer(lambda k: (lib.constant(0.0), lib.constant(0, lib.int64)),
                                  lambda s, x: (s[0] + lib.cast(x, lib.float32), s[1] + 1),
                                  lambda total, n: {"mean": total / lib.cast(n, lib.float32),
                                                    "n": n})
            key = lambda x: lib.cast(x > 10, lib.int64)  # noqa: E731
        return ds.apply(exp.group_by_reducer(key, reducer))

    ours, got = _run_minitf(make)
    theirs, want = _run_tf(make)
    _assert_same_specs(ours, theirs)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        if case == "pair":
            np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-6)
            assert a["n"] == b["n"]
        else:
            _assert_same(a, b)


@pytest.mark.parametrize("graph_seed,seed", [(None, 42), (None, 0), (7, 3), (7, None)])
def test_random_dataset_matches_tf(graph_seed, seed):
    def make(lib):
        if graph_seed is not None:
            lib.set_random_seed(graph_seed)
        return lib.data.experimental.RandomDataset(seed).take(1100)

    ours, got = _run_minitf(make)
    theirs, want = _run_tf(make)
    _assert_same_specs(ours, theirs)
    assert [int(x) for x in got] == [int(x) for x in want]


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_tfrecord_writer_files_read_by_tf(tmp_path, compression):
    records = [b"first", b"", bytes(range(256)), b"x" * 1000]
    path = str(tmp_path / "ours.tfr")
    g = tf.Graph()
    with g.as_default():
        op = tf.data.experimental.TFRecordWriter(path, compression).write(
            tf.data.Dataset.from_tensor_slices(records))
        with tf.Session() as sess:
            sess.run(op)
    _, back = _run_tf(lambda lib: lib.data.TFRecordDataset(path, compression_type=compression))
    assert back == records
    # and TF's writer's file, read by ours
    theirs = str(tmp_path / "theirs.tfr")
    g = tf1.Graph()
    with g.as_default():
        op = tf1.data.experimental.TFRecordWriter(theirs, compression).write(
            tf1.data.Dataset.from_tensor_slices(records))
        with tf1.Session() as sess:
            sess.run(op)
    _, ours = _run_minitf(lambda lib: lib.data.TFRecordDataset(theirs,
                                                               compression_type=compression))
    assert ours == records


def test_errors_match_tf_classes(tmp_path):
    def errors(lib):
        exp = lib.data.experimental
        out = []
        for build in (
                lambda: lib.data.Dataset.from_tensors(b"x").apply(
                    exp.parse_example_dataset({"a": lib.io.FixedLenFeature([], lib.int64)})),
                lambda: exp.parse_example_dataset(None),
                lambda: exp.make_batched_features_dataset(
                    str(tmp_path / "*"), 1, {"a": lib.io.FixedLenFeature([], lib.int64)},
                    label_key="b"),
                lambda: lib.data.Dataset.range(3).apply(exp.group_by_reducer(
                    lambda x: lib.cast(x, lib.int32),
                    exp.Reducer(lambda k: k, lambda s, x: s + x, lambda s: s))),
                lambda: lib.data.Dataset.range(3).apply(exp.group_by_reducer(
                    lambda x: x, exp.Reducer(lambda k: k, lambda s, x: lib.cast(s, lib.float32),
                                             lambda s: s))),
                lambda: exp.TFRecordWriter("x").write(lib.data.Dataset.range(2)),
                lambda: exp.TFRecordWriter("x").write([b"a"])):
            try:
                build()
                out.append(None)
            except (TypeError, ValueError) as e:
                out.append(type(e).__name__)
        return out

    with tf.Graph().as_default():
        ours = errors(tf)
    with tf1.Graph().as_default():
        theirs = errors(tf1)
    assert ours == theirs
    assert None not in ours
