"""More tf.data differences from TF 1.x that probe p6 confirmed, fixed: decode_raw to complex,
sample_from_datasets with a dataset of weights, file readers given a dataset or a rank-2
tensor of names, ignore_errors over a corrupt file, and two build-time errors. TF-free tests
with hand-computed expected values, then the same pipelines side by side with tf.compat.v1
(skipped where TensorFlow is not installed)."""

import gzip
import struct

import numpy as np
import pytest

import minitf as tf

from .test_data_probe_fixes import _drain


def _run(lib, build):
    with lib.Graph().as_default() as graph, lib.Session(graph=graph) as sess:
        return sess.run(build(lib))


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _record(data: bytes) -> bytes:
    """A TFRecord frame: length, its masked CRC32C, the data, its masked CRC32C."""
    from minitf.tfrecord import masked_crc32c

    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data +
            struct.pack("<I", masked_crc32c(data)))


@pytest.fixture
def files(tmp_path):
    """a.tfr: a, bb, then a truncated cc; b.tfr: x, y; c.tfr: p with a bad data CRC, q;
    g.txt.gz: a gzip stream cut short after two lines; h.txt.gz: m1."""
    paths = {k: str(tmp_path / k) for k in ("a.tfr", "b.tfr", "c.tfr", "g.txt.gz", "h.txt.gz")}
    with open(paths["a.tfr"], "wb") as f:
        f.write((_record(b"a") + _record(b"bb") + _record(b"cc"))[:-3])
    with open(paths["b.tfr"], "wb") as f:
        f.write(_record(b"x") + _record(b"y"))
    bad = bytearray(_record(b"p"))
    bad[-1] ^= 1
    with open(paths["c.tfr"], "wb") as f:
        f.write(bytes(bad) + _record(b"q"))
    with open(paths["g.txt.gz"], "wb") as f:
        f.write(gzip.compress(b"l1\nl2\nl3\n")[:-12])
    with open(paths["h.txt.gz"], "wb") as f:
        f.write(gzip.compress(b"m1\n"))
    return paths


# -- R10 decode_raw to complex ---------------------------------------------------------------------
def _complex64(lib):
    return lib.io.decode_raw(lib.constant([struct.pack("<ffff", 1, 2, -3, 0.5)]), lib.complex64)


def _complex128_big(lib):
    return lib.io.decode_raw(lib.constant([struct.pack(">dd", 1.5, -4)]), lib.complex128,
                             little_endian=False)


def test_decode_raw_complex():
    got = _run(tf, _complex64)
    assert got.dtype == np.complex64 and got.tolist() == [[1 + 2j, -3 + 0.5j]]
    got = _run(tf, _complex128_big)  # each part big-endian; real first
    assert got.dtype == np.complex128 and got.tolist() == [[1.5 - 4j]]


def test_decode_raw_complex_length_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a multiple of 8"):
        _run(tf, lambda lib: lib.io.decode_raw(lib.constant([b"abc"]), lib.complex64))


def test_decode_raw_still_refuses_string():
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.io.decode_raw(tf.constant([b"ab"]), tf.string)


def test_decode_raw_complex_vs_tf():
    tf1 = _tf1()
    for build in (_complex64, _complex128_big):
        want = _run(tf1, build)
        got = _run(tf, build)
        assert got.dtype == want.dtype and got.tolist() == want.tolist()


# -- R12 sample_from_datasets(weights=<dataset>) ---------------------------------------------------
def _sample(vectors, count=None):
    def build(lib):
        weights = lib.data.Dataset.from_tensor_slices(lib.constant(vectors, lib.float32))
        return lib.data.experimental.sample_from_datasets(
            [lib.data.Dataset.range(2), lib.data.Dataset.range(10, 12)],
            weights=weights.repeat(count) if count else weights, seed=1)
    return build


# One-hot weight vectors make the draws certain.
_CASES = {
    "alternate": ([[1.0, 0.0], [0.0, 1.0]], 3, [0, 10, 1, 11, "END"]),
    # dataset 0 runs out at the third draw: that draw gives nothing, the weights go on
    "exhausted-skipped": ([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], None,
                          [0, 1, 10, "END"]),
    "ends-with-weights": ([[0.0, 1.0]], None, [10, "END"]),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_sample_from_datasets_weights_dataset(case):
    vectors, count, want = _CASES[case]
    assert _drain(tf, _sample(vectors, count)) == want


def test_sample_from_datasets_weights_dataset_errors():
    ds = [tf.data.Dataset.range(2), tf.data.Dataset.range(3)]
    with pytest.raises(TypeError, match="float vector"):
        tf.data.experimental.sample_from_datasets(ds, weights=tf.data.Dataset.range(2))
    with pytest.raises(ValueError, match=r"one value per dataset \(2\)"):
        tf.data.experimental.sample_from_datasets(
            ds, weights=tf.data.Dataset.from_tensors(tf.constant([1.0, 2.0, 3.0])))
    got = _drain(tf, _sample([[-1.0, 1.0]]))
    assert got == ["InvalidArgumentError"]


@pytest.mark.parametrize("case", sorted(_CASES))
def test_sample_from_datasets_weights_dataset_vs_tf(case):
    tf1 = _tf1()
    vectors, count, _ = _CASES[case]
    assert _drain(tf, _sample(vectors, count)) == _drain(tf1, _sample(vectors, count))


# -- R13 readers given a dataset of names or a rank-2 tensor ---------------------------------------
def _readers(files):
    a = b = files["b.tfr"]  # the same file twice: x, y, x, y
    return {
        "tfrecord-dataset": lambda lib: lib.data.TFRecordDataset(
            lib.data.Dataset.from_tensor_slices([a, b])),
        "tfrecord-rank2": lambda lib: lib.data.TFRecordDataset(lib.constant([[a], [b]])),
        "tfrecord-nested-list": lambda lib: lib.data.TFRecordDataset([[a, b]]),
        "tfrecord-dataset-parallel": lambda lib: lib.data.TFRecordDataset(
            lib.data.Dataset.from_tensor_slices([a, b]), num_parallel_reads=2),
        "textline-dataset": lambda lib: lib.data.TextLineDataset(
            lib.data.Dataset.from_tensors(files["h.txt.gz"]), compression_type="GZIP"),
        "fixedlength-rank2": lambda lib: lib.data.FixedLengthRecordDataset(
            lib.constant([[a]]), record_bytes=5),
    }


_READ_WANT = {
    "tfrecord-dataset": [b"x", b"y", b"x", b"y", "END"],
    "tfrecord-rank2": [b"x", b"y", b"x", b"y", "END"],
    "tfrecord-nested-list": [b"x", b"y", b"x", b"y", "END"],
    "tfrecord-dataset-parallel": [b"x", b"x", b"y", b"y", "END"],
    "textline-dataset": [b"m1", "END"],
    # b.tfr is 2 frames of 17 bytes: 34 bytes, not a multiple of 5
    "fixedlength-rank2": ["InvalidArgumentError"],
}


@pytest.mark.parametrize("case", sorted(_READ_WANT))
def test_readers_take_dataset_or_any_rank(files, case):
    assert _drain(tf, _readers(files)[case]) == _READ_WANT[case]


def test_readers_filenames_errors():
    with pytest.raises(TypeError, match="must contain `tf.string` elements"):
        tf.data.TFRecordDataset(tf.data.Dataset.range(2))
    with pytest.raises(TypeError, match=r"of shape \[\]"):
        tf.data.TFRecordDataset(tf.data.Dataset.from_tensors(tf.constant(["a", "b"])))
    with pytest.raises(TypeError, match="must contain `tf.string` elements"):
        tf.data.TextLineDataset(tf.constant([1, 2]))


@pytest.mark.parametrize("case", sorted(_READ_WANT))
def test_readers_take_dataset_or_any_rank_vs_tf(files, case):
    tf1 = _tf1()
    build = _readers(files)[case]
    assert _drain(tf, build) == _drain(tf1, build)


# -- R11 ignore_errors over a source's read error --------------------------------------------------
def _ignoring(files):
    a, b, c, g, h = (files[k] for k in ("a.tfr", "b.tfr", "c.tfr", "g.txt.gz", "h.txt.gz"))
    return {
        "truncated-alone": lambda lib: lib.data.TFRecordDataset(a),
        "truncated-then-good": lambda lib: lib.data.TFRecordDataset([a, b]),
        "bad-crc-then-good": lambda lib: lib.data.TFRecordDataset([c, b]),
        "map-after": lambda lib: lib.data.TFRecordDataset([a, b]).map(lambda x: x + "!"),
        "parallel": lambda lib: lib.data.TFRecordDataset([a, b], num_parallel_reads=2),
        "textline-gzip": lambda lib: lib.data.TextLineDataset([g, h], compression_type="GZIP"),
    }


_IGNORE_WANT = {
    "truncated-alone": [b"a", b"bb", "END"],
    "truncated-then-good": [b"a", b"bb", b"x", b"y", "END"],
    "bad-crc-then-good": [b"x", b"y", "END"],
    "map-after": [b"a!", b"bb!", b"x!", b"y!", "END"],
    "parallel": [b"a", b"x", b"bb", b"y", "END"],
    "textline-gzip": [b"l1", b"l2", b"m1", "END"],
}


@pytest.mark.parametrize("case", sorted(_IGNORE_WANT))
def test_ignore_errors_skips_rest_of_a_corrupt_file(files, case):
    build = _ignoring(files)[case]
    assert _drain(tf, lambda lib: build(lib).apply(lib.data.experimental.ignore_errors())) == \
        _IGNORE_WANT[case]


def test_without_ignore_errors_a_corrupt_file_still_fails(files):
    assert _drain(tf, _ignoring(files)["truncated-then-good"]) == [b"a", b"bb", "DataLossError"]
    assert _drain(tf, _ignoring(files)["bad-crc-then-good"]) == ["DataLossError"]


@pytest.mark.parametrize("case", sorted(_IGNORE_WANT))
def test_ignore_errors_skips_rest_of_a_corrupt_file_vs_tf(files, case):
    tf1 = _tf1()
    build = _ignoring(files)[case]

    def ignoring(lib):
        return build(lib).apply(lib.data.experimental.ignore_errors())

    assert _drain(tf, ignoring) == _drain(tf1, ignoring)


# -- R17, R19 build-time errors --------------------------------------------------------------------
def _d2sb(lib):
    return lib.data.Dataset.from_tensor_slices(np.ones((2, 2, 2))).apply(
        lib.data.experimental.dense_to_sparse_batch(2, [3, -1]))


def _gen_list_types(lib):
    return lib.data.Dataset.from_generator(lambda: iter([(1, 2)]), [lib.int32, lib.int32])


def test_build_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
            _d2sb(tf)
        with pytest.raises(TypeError, match="Cannot convert the argument `type_value`"):
            _gen_list_types(tf)
        # still accepted: None for an unknown row dimension, a tuple of types
        ds = tf.data.Dataset.from_tensor_slices(np.ones((2, 2, 2))).apply(
            tf.data.experimental.dense_to_sparse_batch(2, [3, None]))
        assert tf.data.get_output_shapes(ds).as_list() == [None, 3, None]
        gen = tf.data.Dataset.from_generator(lambda: iter([(1, 2)]), (tf.int32, tf.int32))
        assert tf.data.get_output_types(gen) == (tf.int32, tf.int32)


@pytest.mark.parametrize("build, error", [(_d2sb, ValueError), (_gen_list_types, TypeError)])
def test_build_errors_vs_tf(build, error):
    tf1 = _tf1()
    for lib in (tf1, tf):
        with lib.Graph().as_default():
            with pytest.raises(error) as info:
                build(lib)
        if lib is tf1:
            want = str(info.value)
        else:
            assert str(info.value) == want


# -- a record length past the data (its CRC valid) -------------------------------------------------
def _compressed(raw: bytes, compression: str) -> bytes:
    import zlib

    return {"": raw, "ZLIB": zlib.compress(raw), "GZIP": gzip.compress(raw)}[compression]


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
@pytest.mark.parametrize("length", [1 << 40, 1 << 63, (1 << 64) - 1, 10])
def test_a_record_length_past_the_data_is_data_loss(tmp_path, length, compression):
    """A good record, then a header whose length (with a valid CRC) runs past the file: TF's
    DataLossError "truncated record at 19" after the good record (it was MemoryError or
    OverflowError from tf_record_iterator, ResourceExhausted or InvalidArgument from the
    readers: the length was allocated before it was read)."""
    from minitf.tfrecord import masked_crc32c

    head = struct.pack("<Q", length)
    path = str(tmp_path / "huge.tfr")
    with open(path, "wb") as f:
        f.write(_compressed(_record(b"xyz") + head + struct.pack("<I", masked_crc32c(head)) +
                            b"abc", compression))
    options = tf.python_io.TFRecordOptions(compression) if compression else None
    it = tf.python_io.tf_record_iterator(path, options)
    assert next(it) == b"xyz"
    with pytest.raises(tf.errors.DataLossError, match="truncated record at offset 19"):
        next(it)
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(
            tf.data.TFRecordDataset(path, compression_type=compression)).get_next()
        with tf.Session() as sess:
            assert sess.run(nxt) == b"xyz"
            with pytest.raises(tf.errors.DataLossError, match="truncated record at offset 19"):
                sess.run(nxt)
    with tf.Graph().as_default():
        queue = tf.FIFOQueue(2, tf.string)
        _, value = tf.TFRecordReader(options=options).read(queue)
        with tf.Session() as sess:
            sess.run(queue.enqueue(path))
            sess.run(queue.close())
            assert sess.run(value) == b"xyz"
            with pytest.raises(tf.errors.DataLossError, match="truncated record at offset 19"):
                sess.run(value)


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_records_longer_than_a_read_chunk_read_whole(tmp_path, monkeypatch, compression):
    """Long records (past the chunk size, so read in chunks from a stream, at once from a
    plain file) read back as written; one cut short is still a truncated record."""
    from minitf import tfrecord

    monkeypatch.setattr(tfrecord, "_CHUNK", 64)
    records = [bytes(range(256)) * 7, b"s", np.arange(999, dtype=np.int32).tobytes()]
    path = str(tmp_path / "long.tfr")
    with open(path, "wb") as f:
        f.write(_compressed(b"".join(_record(r) for r in records), compression))
    options = tf.python_io.TFRecordOptions(compression) if compression else None
    assert list(tf.python_io.tf_record_iterator(path, options)) == records
    with open(path, "wb") as f:
        f.write(_compressed(b"".join(_record(r) for r in records)[:-5], compression))
    with pytest.raises(tf.errors.DataLossError, match="truncated record at offset 1825"):
        list(tf.python_io.tf_record_iterator(path, options))
