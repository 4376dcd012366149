"""tf.data behaviours a probe against TensorFlow found missing or different. Expected values are
hand-written, or (where said) what TensorFlow 2.21 printed for the same pipeline."""

import glob
import gzip
import os
import zlib

import numpy as np
import pytest

import minitf as tf
from minitf.tfrecord import encode_record

from .test_data import drain

D = tf.data.Dataset
E = tf.data.experimental


def values_of(dataset):
    nxt = dataset.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        return drain(sess, nxt)


def ints(values):
    return [np.asarray(v).tolist() for v in values]


def example(**features) -> bytes:
    feats = {}
    for k, v in features.items():
        if isinstance(v, bytes):
            feats[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))
        else:
            feats[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=[v]))
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


# -- from_generator(args=...) ----------------------------------------------------------------------
def test_generator_args_are_numpy_scalars_and_bytes(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"b1\nb2\n")
    seen = []

    def read_lines(fname, n):
        seen.append((type(fname), type(n)))
        with open(fname, "rb") as f:  # TF hands bytes, which open() takes
            yield from (line.strip() for i, line in enumerate(f) if i < n)

    got = values_of(D.from_generator(read_lines, tf.string, tf.TensorShape([]),
                                     args=(str(path), 5)))
    assert got == [b"b1", b"b2"]
    assert seen == [(bytes, np.int32)]  # TF: bytes, np.int32(5)


# -- strings as object arrays ----------------------------------------------------------------------
def test_parsed_string_scalars_batch_into_an_object_array(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with open(path, "wb") as f:
        for i in range(3):
            f.write(encode_record(example(s=f"str{i}".encode())))
    ds = tf.data.TFRecordDataset(path).map(lambda r: tf.parse_single_example(
        r, {"s": tf.FixedLenFeature([], tf.string)})["s"]).batch(3)
    b = ds.make_one_shot_iterator().get_next()
    seen = tf.py_func(lambda v: np.array(str(v.dtype).encode(), dtype=object), [b], tf.string)
    with tf.Session() as sess:
        v, dt = sess.run([b, seen])
    assert v.dtype == object and v.tolist() == [b"str0", b"str1", b"str2"]
    assert dt == b"object"  # what a py_func in the pipeline's graph sees, as in TF


def test_batching_keeps_strings_as_objects_whatever_a_kernel_gave():
    from minitf.data.batching import _stack

    for values in ([b"a", b"bcd"], [np.bytes_(b"a"), np.bytes_(b"bcd")],
                   [np.array([b"a"], dtype="S1"), np.array([b"bcd"], dtype=object)]):
        out = _stack(values, 0)
        assert out.dtype == object and out.reshape(-1).tolist() == [b"a", b"bcd"]
        assert all(type(x) is bytes for x in out.reshape(-1))


# -- readers ---------------------------------------------------------------------------------------
def _text_files(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a1\na2\na3\n")
    b.write_bytes(b"b1\nb2\n")
    return [str(a), str(b)]


def test_num_parallel_reads_interleaves_files(tmp_path):
    files = _text_files(tmp_path)
    assert values_of(tf.data.TextLineDataset(files)) == [b"a1", b"a2", b"a3", b"b1", b"b2"]
    # TF's order: a cycle of num_parallel_reads files, one record from each in turn.
    assert values_of(tf.data.TextLineDataset(files, num_parallel_reads=2)) == \
        [b"a1", b"b1", b"a2", b"b2", b"a3"]
    path = str(tmp_path / "r%d.tfrecord")
    for k in range(2):
        with open(path % k, "wb") as f:
            for i in range(3):
                f.write(encode_record(example(id=10 * k + i)))
    ds = tf.data.TFRecordDataset([path % 0, path % 1], num_parallel_reads=2).map(
        lambda s: tf.parse_single_example(s, {"id": tf.FixedLenFeature([], tf.int64)})["id"])
    assert ints(values_of(ds)) == [0, 10, 1, 11, 2, 12]


def test_text_line_drops_every_carriage_return(tmp_path):
    path = tmp_path / "cr.txt"
    path.write_bytes(b"x\ry\r\nz\n\n")
    assert values_of(tf.data.TextLineDataset(str(path))) == [b"xy", b"z", b""]


def test_fixed_length_records(tmp_path):
    path = tmp_path / "fixed.bin"
    path.write_bytes(bytes(range(25)))  # header 3, five records of 4, footer 2
    got = values_of(tf.data.FixedLengthRecordDataset(str(path), 4, header_bytes=3,
                                                     footer_bytes=2))
    assert got == [bytes(range(i, i + 4)) for i in range(3, 23, 4)]
    gz = tmp_path / "fixed.bin.gz"
    gz.write_bytes(gzip.compress(bytes(range(25))))
    zz = tmp_path / "fixed.bin.zz"
    zz.write_bytes(zlib.compress(bytes(range(25))))
    for p, kind in ((gz, "GZIP"), (zz, "ZLIB")):
        assert values_of(tf.data.FixedLengthRecordDataset(
            str(p), 4, header_bytes=3, footer_bytes=2, compression_type=kind)) == got
    one, two = tmp_path / "one.bin", tmp_path / "two.bin"
    one.write_bytes(b"abcdefgh")
    two.write_bytes(b"ABCDEFGHIJKL")
    both = tf.data.FixedLengthRecordDataset([str(one), str(two)], 4, num_parallel_reads=2)
    assert values_of(both) == [b"abcd", b"ABCD", b"efgh", b"EFGH", b"IJKL"]


def test_fixed_length_body_not_a_multiple(tmp_path):
    path = tmp_path / "p.bin"
    path.write_bytes(bytes(range(23)))
    # TF's message (2.21), before any record of an uncompressed file.
    nxt = tf.data.FixedLengthRecordDataset(str(path), 4, header_bytes=3, footer_bytes=2) \
        .make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(
            tf.errors.InvalidArgumentError, match=r"has body length 18 bytes, which is not an "
            r"exact multiple of the record length \(4 bytes\)"):
        sess.run(nxt)
    gz = tmp_path / "p.bin.gz"
    gz.write_bytes(gzip.compress(bytes(range(23))))
    nxt = tf.data.FixedLengthRecordDataset(str(gz), 4, 3, 2, compression_type="GZIP") \
        .make_one_shot_iterator().get_next()
    with tf.Session() as sess:  # compressed: the whole records first, then DataLossError
        assert [sess.run(nxt) for _ in range(4)][-1] == bytes(range(15, 19))
        with pytest.raises(tf.errors.DataLossError, match="body length 18 bytes"):
            sess.run(nxt)


# -- static shapes of sparse elements --------------------------------------------------------------
def test_sparse_element_densified_in_map_keeps_its_shape():
    sp = tf.SparseTensor(indices=[[0, 0], [1, 2], [2, 1]], values=[1., 2., 3.],
                         dense_shape=[3, 4])
    ds = D.from_tensor_slices(sp)
    assert ds.map(tf.sparse.to_dense).output_shapes.as_list() == [4]
    assert ds.batch(2).map(tf.sparse.to_dense).output_shapes.as_list() == [None, 4]
    got = values_of(ds.map(tf.sparse.to_dense))
    np.testing.assert_array_equal(got, [[1, 0, 0, 0], [0, 0, 2, 0], [0, 3, 0, 0]])


# -- tensor arguments ------------------------------------------------------------------------------
def test_list_files_with_a_tensor_pattern(tmp_path):
    files = _text_files(tmp_path)
    pattern = tf.placeholder(tf.string, [])
    it = D.list_files(pattern, shuffle=False).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {pattern: str(tmp_path / "*.txt")})
        assert drain(sess, nxt) == [f.encode() for f in files]
    assert sorted(values_of(D.list_files(tf.constant(files[1])))) == [files[1].encode()]


def test_interleave_with_tensor_lengths():
    ds = D.range(1, 4).interleave(lambda x: D.range(x), cycle_length=tf.constant(2, tf.int64),
                                  block_length=tf.constant(1, tf.int64))
    assert ints(values_of(ds)) == [0, 0, 1, 0, 1, 2]  # as TF printed


# -- padded_batch arguments ------------------------------------------------------------------------
def _ragged():
    return D.range(1, 3).map(lambda x: tf.fill([x], x))


def test_padded_shapes_as_an_int_or_a_tensor():
    for shapes in (4, tf.constant([4], tf.int64)):
        ds = _ragged().padded_batch(2, padded_shapes=shapes)
        assert ds.output_shapes.as_list() == [None, 4]
        assert ints(values_of(ds)) == [[[1, 0, 0, 0], [2, 2, 0, 0]]]
    shape = tf.placeholder_with_default(tf.constant([5], tf.int64), [1])
    ds = _ragged().padded_batch(2, shape)
    assert ds.output_shapes.as_list() == [None, None]
    assert ints(values_of(ds)) == [[[1, 0, 0, 0, 0], [2, 2, 0, 0, 0]]]
    with pytest.raises(TypeError, match="must be a `tf.int64` vector tensor"):
        _ragged().padded_batch(2, tf.constant([3]))


def test_padding_values_tensor_and_dtype_check():
    pad = tf.placeholder_with_default(tf.constant(7, tf.int64), [])
    assert ints(values_of(_ragged().padded_batch(2, [None], pad))) == [[[1, 7], [2, 2]]]
    # TF converts a Python int to int32, which does not pad an int64 component.
    msg = ("Invalid `padding_values`. `padding_values` values type <dtype: 'int32'> does not "
           "match type <dtype: 'int64'> of the corresponding input component.")
    for bad in (tf.constant(-1), -1):
        with pytest.raises(TypeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            _ragged().padded_batch(2, [None], bad)
    with pytest.raises(ValueError, match="should be scalars"):
        _ragged().padded_batch(2, [None], tf.constant([1, 2], tf.int64))


def test_range_refuses_floats_and_strings():
    with pytest.raises(TypeError, match="Expected int64, but got 2.5 of type 'float'."):
        D.range(2.5)
    with pytest.raises(TypeError, match="Expected int64"):
        D.range("3")
    with pytest.raises(ValueError, match="requested dtype int64"):
        D.range(tf.constant(2.0))
    assert ints(values_of(D.range(np.int32(3)))) == [0, 1, 2]


# -- cache(filename) -------------------------------------------------------------------------------
def _counted_range(n, log):
    def note(v):
        log.append(int(v))
        return v
    return D.range(n).map(lambda x: tf.py_func(note, [x], tf.int64))


def test_cache_file_is_written_and_read_by_a_later_graph(tmp_path):
    prefix = str(tmp_path / "c")
    log = []
    for _ in range(2):
        with tf.Graph().as_default():
            assert ints(values_of(_counted_range(3, log).cache(prefix))) == [0, 1, 2]
    assert log == [0, 1, 2]  # the second graph read the file
    assert sorted(os.listdir(tmp_path)) == ["c.data-00000-of-00001", "c.index"]
    # TF's keys (what TF 2.21 wrote for range(3).cache: "      0_0", ...), so each reads
    # the other's caches.
    from minitf.train import tensor_bundle as tb
    assert sorted(tb.list_bundle(prefix)) == ["      0_0", "      1_0", "      2_0"]


def test_cache_file_with_strings_and_a_second_epoch(tmp_path):
    prefix = str(tmp_path / "s")
    ds = D.range(2).map(lambda x: (x, tf.as_string(x))).cache(prefix).repeat(2)
    got = values_of(ds)
    assert [(int(a), b) for a, b in got] == [(0, b"0"), (1, b"1")] * 2
    with tf.Graph().as_default():  # another structure: refused, not misread
        nxt = D.range(5).cache(prefix).make_one_shot_iterator().get_next()
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                 match="components"):
            sess.run(nxt)


def test_partial_cache_is_discarded_and_concurrent_writer_refused(tmp_path):
    prefix = str(tmp_path / "p")
    ds = D.range(3).cache(prefix)
    n1 = ds.make_one_shot_iterator().get_next()
    n2 = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(n1) == 0
        assert os.listdir(tmp_path) == ["p_0.lockfile"]
        with pytest.raises(tf.errors.AlreadyExistsError,
                           match="concurrent caching iterator running"):
            sess.run(n2)
    import gc
    gc.collect()
    assert os.listdir(tmp_path) == []  # nothing partial stays behind, as TF
    assert ints(values_of(D.range(2).cache(prefix))) == [0, 1]


# -- missing APIs ----------------------------------------------------------------------------------
def test_ignore_errors_drops_failing_elements():
    ds = D.from_tensor_slices([1., 0., 2.]).map(lambda x: tf.check_numerics(1. / x, "m"))
    assert values_of(ds.apply(E.ignore_errors())) == [1.0, 0.5]  # as TF printed


def test_parallel_interleave_and_group_by_window():
    ds = D.range(1, 4).apply(E.parallel_interleave(lambda x: D.range(x), cycle_length=2))
    assert ints(values_of(ds)) == [0, 0, 1, 0, 1, 2]
    ds = D.range(10).apply(E.group_by_window(lambda x: x % 2, lambda k, w: w.batch(3),
                                             window_size=3))
    assert ints(values_of(ds)) == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # as TF printed


def test_bucket_by_sequence_length():
    lengths = D.from_tensor_slices(np.array([1, 2, 3, 4, 5, 6, 7, 8], np.int64))
    ds = lengths.map(lambda n: tf.fill([n], n)).apply(E.bucket_by_sequence_length(
        lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2]))
    got = ints(values_of(ds))
    assert got == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]],
                   [[6] * 6 + [0], [7] * 7], [[5] * 5], [[8] * 8]]
    ds = D.from_tensor_slices(np.array([1, 2, 4, 5], np.int64)).map(
        lambda n: tf.fill([n], n)).apply(E.bucket_by_sequence_length(
            lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2], pad_to_bucket_boundary=True))
    assert ints(values_of(ds)) == [[[1, 0], [2, 2]], [[4, 4, 4, 4, 0], [5] * 5]]


def test_sample_and_choose_from_datasets():
    ds = E.sample_from_datasets([D.range(5), D.range(100, 103)], [0.5, 0.5], seed=3)
    got = ints(values_of(ds))
    assert sorted(got) == [0, 1, 2, 3, 4, 100, 101, 102]
    assert [v for v in got if v < 100] == [0, 1, 2, 3, 4]  # each input keeps its order
    assert ints(values_of(E.sample_from_datasets([D.range(3), D.range(3)], seed=1))) == \
        ints(values_of(E.sample_from_datasets([D.range(3), D.range(3)], seed=1)))
    only = E.sample_from_datasets([D.range(3), D.range(10, 13)], [0.0, 1.0], seed=1)
    assert ints(values_of(only)) == [10, 11, 12]
    choice = D.from_tensor_slices(np.array([0, 1, 1, 0, 1, 1, 1], np.int64))
    ds = E.choose_from_datasets([D.from_tensors(np.int64(7)).repeat(), D.range(3)], choice)
    assert ints(values_of(ds)) == [7, 0, 1, 7, 2]  # as TF printed: stops at the empty one
    with pytest.raises(TypeError, match="Invalid `choice_dataset`"):
        E.choose_from_datasets([D.range(3)], D.range(3).map(lambda x: tf.cast(x, tf.int32)))


def test_scan_and_get_single_element():
    ds = D.range(5).apply(E.scan(np.int64(0), lambda s, x: (s + x, s * 10)))
    assert ints(values_of(ds)) == [0, 0, 10, 30, 60]
    grow = D.range(3).apply(E.scan(tf.constant([], tf.int64),
                                   lambda s, x: (tf.concat([s, [x]], 0), tf.size(s))))
    assert ints(values_of(grow)) == [0, 1, 2]  # the state's shape relaxed to (None,)
    g = E.get_single_element(D.range(3).map(lambda x: x * 2).batch(5))
    with tf.Session() as sess:
        assert sess.run(g).tolist() == sess.run(g).tolist() == [0, 2, 4]
        for n, msg in ((0, "Dataset was empty."), (2, "Dataset had more than one element.")):
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                sess.run(E.get_single_element(D.range(n)))


def test_cardinality():
    cases = [(D.range(10).batch(3), 4), (D.range(10).filter(lambda x: x > 2), -2),
             (D.range(10).repeat(), -1), (D.range(10).repeat().take(4), 4),
             (D.range(10).shard(3, 1), 3), (D.range(10).skip(12), 0),
             (D.zip((D.range(3), D.range(5).repeat())), 3)]  # values TF printed
    with tf.Session() as sess:
        for ds, want in cases:
            assert sess.run(ds.cardinality()) == want
            assert sess.run(E.cardinality(ds)) == want
    assert (E.INFINITE_CARDINALITY, E.UNKNOWN_CARDINALITY) == (-1, -2)


def test_from_sparse_tensor_slices_gives_component_triples():
    sp = tf.SparseTensor([[0, 0], [2, 2], [2, 1]], [1., 2., 3.], [4, 4])
    ds = D.from_sparse_tensor_slices(sp)
    assert [s.as_list() for s in ds.output_shapes] == [[None, 1], [None], [1]]
    got = values_of(ds)
    # As TF printed: row 2 keeps its entries' order; empty rows have no entries.
    assert [g[0].tolist() for g in got] == [[[0]], [], [[2], [1]], []]
    assert [g[1].tolist() for g in got] == [[1.0], [], [2.0, 3.0], []]
    assert all(g[2].tolist() == [4] for g in got)


def test_options_are_recorded():
    options = tf.data.Options()
    options.experimental_deterministic = False
    options.experimental_optimization.map_parallelization = True
    ds = D.range(3).with_options(options)
    assert ds.options().experimental_deterministic is False
    assert ds.options().experimental_optimization.map_parallelization is True
    assert ds.options().experimental_slack is None
    assert ints(values_of(ds)) == [0, 1, 2]
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options."):
        options.foo = 1


def test_csv_dataset(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b'a,b,c\n1,2.5,"x,y"\n3,,z\n')
    ds = E.CsvDataset(str(path), [tf.int32, [0.0], tf.string], header=True)
    got = values_of(ds)
    assert [(int(a), float(b), c) for a, b, c in got] == [(1, 2.5, b"x,y"), (3, 0.0, b"z")]
    ds = E.make_csv_dataset(str(path), 2, label_name="a", shuffle=False, num_epochs=1)
    (features, label), = values_of(ds)
    assert label.tolist() == [1, 3] and features["c"].tolist() == [b"x,y", b"z"]
    assert glob.glob(str(tmp_path / "*")) == [str(path)]
