"""TensorFlow's checkpoint format (core/train/tensor_bundle.py) and the Saver entry points that
read it. TF-written files are committed in data/tf_checkpoint (see its generator); the tests
that run TensorFlow itself are skipped where it is not installed."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import _wire, tfrecord
from minitf.errors import DataLossError, NotFoundError, UnimplementedError
from minitf.train import tensor_bundle as tb
from minitf.train.saver import load_checkpoint_arrays
from tests.core.legacy_tf import tf_side_json

DATA = Path(__file__).parent / "data" / "tf_checkpoint"
TF_PREFIX = str(DATA / "model-7")
SAVED_MODEL_VARS = str(Path(__file__).parents[1] / "export" / "data" /
                       "linear_variables_savedmodel" / "variables" / "variables")
DATA_FILE = ".data-00000-of-00001"


def _expected() -> dict:
    """TensorFlow's values of model-7, from the generator's expected.json."""
    tensors = json.loads((DATA / "expected.json").read_text())["tensors"]
    out = {}
    for name, t in tensors.items():
        dtype, value = np.dtype(t["dtype"] if t["dtype"] != "string" else object), t["value"]
        if t["dtype"] == "string":
            arr = np.array(value, dtype=object)
            arr = np.vectorize(lambda s: s.encode("latin-1"), otypes=[object])(arr) \
                if arr.size else arr
        elif dtype.kind == "c":
            pairs = np.array(value, dtype=np.float64).reshape(t["shape"] + [2])
            arr = (pairs[..., 0] + 1j * pairs[..., 1]).astype(dtype)
        elif dtype.kind == "f":
            arr = np.array(np.vectorize(float, otypes=[np.float64])(np.array(value, object))
                           if np.size(value) else value, dtype=np.float64).astype(dtype)
        else:
            arr = np.array(value, dtype=dtype)
        out[name] = arr.reshape(t["shape"])
    return out


def _assert_same(got: dict, want: dict):
    assert sorted(got) == sorted(want)
    for name, w in want.items():
        g = got[name]
        assert g.dtype == w.dtype and g.shape == w.shape, (name, g.dtype, g.shape)
        if w.dtype == object:
            assert g.tolist() == w.tolist(), name
        else:  # bit for bit (inf, -0.0 included)
            assert g.tobytes() == w.tobytes(), name


def _copy_checkpoint(tmp_path, prefix=TF_PREFIX) -> str:
    for f in (tb.index_filename(prefix), prefix + DATA_FILE):
        shutil.copy(f, tmp_path)
    return str(tmp_path / os.path.basename(prefix))


# -- reading what TensorFlow wrote -----------------------------------------------------------
def test_reads_tensorflow_checkpoint_exactly():
    _assert_same(tb.read_bundle(TF_PREFIX), _expected())


def test_listing_reads_no_data(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    os.unlink(prefix + DATA_FILE)  # the listing needs only the index
    listing = tb.list_bundle(prefix)
    want = _expected()
    assert listing == {n: (a.dtype, a.shape) for n, a in want.items()}
    assert tb.is_bundle(prefix) and not tb.is_bundle(prefix + "x")
    with pytest.raises(NotFoundError, match=r"data file .*model-7\.data-00000-of-00001 .*"
                       r"'dense/kernel'"):
        tb.read_bundle(prefix, names=["dense/kernel"])


def test_reads_the_variables_of_a_tensorflow_saved_model():
    # tests/export/data/generate_with_tensorflow.py: w = tf.Variable([[1.0], [2.0]], name="w")
    values = tb.read_bundle(SAVED_MODEL_VARS)
    assert list(values) == ["w"] and values["w"].dtype == np.float32
    np.testing.assert_array_equal(values["w"], [[1.0], [2.0]])
    assert tf.train.list_variables(SAVED_MODEL_VARS) == [("w", [2, 1])]


def test_checkpoint_functions_read_tensorflow_checkpoints():
    want = _expected()
    assert tf.train.checkpoint_exists(TF_PREFIX)
    assert tf.train.latest_checkpoint(str(DATA)) == TF_PREFIX  # TF's `checkpoint` state file
    assert tf.train.list_variables(str(DATA)) == sorted((n, list(a.shape))
                                                        for n, a in want.items())
    assert tf.train.load_variable(str(DATA), "global_step") == 7
    assert tf.train.load_variable(TF_PREFIX, "word:0") == b"one string scalar"
    for reader in (tf.train.load_checkpoint(str(DATA)), tf.train.NewCheckpointReader(TF_PREFIX),
                   tf.train.load_checkpoint(TF_PREFIX + ".index")):
        assert reader.get_variable_to_shape_map() == {n: list(a.shape) for n, a in want.items()}
        dtypes = reader.get_variable_to_dtype_map()
        assert dtypes["dense/kernel"] == tf.float32 and dtypes["words"] == tf.string
        assert dtypes["complex/c64"] == np.complex64  # minitf has no complex DType
        np.testing.assert_array_equal(reader.get_tensor("ints/i64"), want["ints/i64"])
        assert reader.has_tensor("scope/inner/half") and not reader.has_tensor("nope")
        assert b"scope/inner/double (float64) [2, 2]" in reader.debug_string()
        with pytest.raises(NotFoundError, match="Key nope not found"):
            reader.get_tensor("nope")
    arrays = load_checkpoint_arrays(TF_PREFIX)  # what freezing reads
    assert "dense/bias" in arrays and "nope" not in arrays and len(arrays) == len(want)
    np.testing.assert_array_equal(arrays["dense/bias"], want["dense/bias"])


def test_saver_restores_a_tensorflow_checkpoint():
    want = _expected()
    tf.reset_default_graph()
    variables = {}
    for name, value in want.items():
        if value.dtype.kind == "c":
            continue  # minitf has no complex variables; a Saver over the rest restores
        scope, _, leaf = name.rpartition("/")
        dtype = tf.string if value.dtype == object else tf.as_dtype(value.dtype)
        with tf.variable_scope(scope or tf.get_variable_scope()):
            variables[name] = tf.get_variable(leaf, shape=value.shape, dtype=dtype,
                                              initializer=tf.zeros_initializer()) \
                if dtype != tf.string else tf.Variable(np.full(value.shape, b"", object),
                                                       name=leaf)
    assert {v.op.name for v in variables.values()} == set(variables)
    saver = tf.train.Saver(variables)
    with tf.Session() as sess:
        saver.restore(sess, TF_PREFIX)
        values = sess.run(list(variables.values()))
    values = [np.array(v, dtype=object) if isinstance(v, bytes) else np.asarray(v)
              for v in values]  # a string scalar runs to bytes, as in TF
    _assert_same(dict(zip(variables, values)), {n: want[n] for n in variables})


def test_restore_reports_missing_and_mismatched_variables():
    tf.reset_default_graph()
    tf.Variable(np.zeros(3, np.float32), name="not_there")
    with tf.Session() as sess, pytest.raises(NotFoundError, match="Key not_there not found"):
        tf.train.Saver().restore(sess, TF_PREFIX)
    tf.reset_default_graph()
    tf.Variable(np.zeros((3, 4), np.float64), name="dense/kernel")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="expected dtype double does not equal "
                                                   "original dtype float"):
        tf.train.Saver().restore(sess, TF_PREFIX)


# -- writing ---------------------------------------------------------------------------------
ALL_DTYPES = {
    "f16": np.array([1.5, -np.inf, 65504], np.float16),
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "f64": np.array([np.pi, -0.0, 1e-310]),
    "i8": np.array([-128, 127], np.int8), "i16": np.array([-1, 2], np.int16),
    "i32": np.array([[1, -2]], np.int32), "i64": np.array([-(2 ** 63)], np.int64),
    "u8": np.array([255], np.uint8), "u16": np.array([65535], np.uint16),
    "u32": np.array([2 ** 32 - 1], np.uint32), "u64": np.array([2 ** 64 - 1], np.uint64),
    "bool": np.array([True, False]), "c64": np.array([1 - 2j], np.complex64),
    "c128": np.array([[3j]], np.complex128),
    "scalar": np.array(3.25, np.float32), "empty": np.zeros((2, 0), np.int32),
    "strings": np.array([b"a", b"", b"\x00\xff" * 100], dtype=object),
    "string_scalar": np.array(b"s", dtype=object), "no_strings": np.zeros(0, dtype=object),
    "a/b/c": np.ones((2, 2), np.float32),
}


def test_write_then_read_every_dtype(tmp_path):
    prefix = str(tmp_path / "sub" / "ckpt")  # the directory is created, as TF does
    tb.write_bundle(prefix, ALL_DTYPES)
    assert sorted(os.listdir(tmp_path / "sub")) == ["ckpt.data-00000-of-00001", "ckpt.index"]
    _assert_same(tb.read_bundle(prefix), ALL_DTYPES)


def test_write_converts_to_tensorflows_layout(tmp_path):
    prefix = str(tmp_path / "c")
    tb.write_bundle(prefix, {"big_endian": np.arange(4, dtype=">i4"),
                             "strided": np.arange(12.0).reshape(3, 4)[:, ::2],
                             "text": np.array(["héllo", "x"]), "list": [[1.0, 2.0]]})
    got = tb.read_bundle(prefix)
    assert got["big_endian"].dtype == np.dtype("<i4")
    np.testing.assert_array_equal(got["big_endian"], np.arange(4))
    np.testing.assert_array_equal(got["strided"], np.arange(12.0).reshape(3, 4)[:, ::2])
    assert got["text"].tolist() == ["héllo".encode(), b"x"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="'obj'.*not bytes"):
        tb.write_bundle(prefix, {"obj": np.array([1, None], dtype=object)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-empty"):
        tb.write_bundle(prefix, {"": np.zeros(1)})
    assert sorted(os.listdir(tmp_path)) == ["c.data-00000-of-00001", "c.index"]  # no temps


def test_written_files_are_byte_identical_to_tensorflows(tmp_path):
    """Same table layout, index keys, entry protos and data as TF's BundleWriter."""
    for src in (TF_PREFIX, SAVED_MODEL_VARS):
        prefix = str(tmp_path / "copy")
        tb.write_bundle(prefix, tb.read_bundle(src))
        for suffix in (".index", DATA_FILE):
            assert Path(prefix + suffix).read_bytes() == Path(src + suffix).read_bytes()


def test_large_index_spans_several_blocks(tmp_path):
    arrays = {f"layer_{i:04d}/{'w' * (i % 400)}": np.full(i % 3, i, np.int32)
              for i in range(3000)}
    prefix = str(tmp_path / "many")
    tb.write_bundle(prefix, arrays)
    assert os.path.getsize(prefix + ".index") > 2 * 256 * 1024  # three data blocks
    _assert_same(tb.read_bundle(prefix), arrays)


def test_saver_writes_tensorflow_format_with_write_version_v2(tmp_path):
    tf.reset_default_graph()
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="layer/w")
    s = tf.Variable(np.array([b"x", b"yz"], dtype=object), name="names")
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V2, max_to_keep=1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = saver.save(sess, str(tmp_path / "m"), global_step=1, write_meta_graph=False)
        sess.run(tf.assign(w, w * 2))
        path = saver.save(sess, str(tmp_path / "m"), global_step=2, write_meta_graph=False)
    # max_to_keep removed both files of the first checkpoint
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-2.data-00000-of-00001",
                                            "m-2.index"]
    assert not tf.train.checkpoint_exists(first)
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    with tf.Session() as sess:
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3) * 2)
        assert sess.run(s).tolist() == [b"x", b"yz"]
    # The default stays minitf's npz, which replaces a TF checkpoint at the same prefix.
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver([w]).save(sess, path, write_meta_graph=False)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-2.npz"]
    with pytest.raises(ValueError, match="write_version"):
        tf.train.Saver(write_version=7)


# -- damaged files -----------------------------------------------------------------------------
def _flip(path, offset):
    data = bytearray(Path(path).read_bytes())
    data[offset] ^= 0x40
    Path(path).write_bytes(bytes(data))


def _entry(name, prefix=TF_PREFIX):
    return tb.read_index(prefix)[1][name]


@pytest.mark.parametrize("name", ["dense/kernel", "ints/i64", "words", "word", "flags"])
def test_flipped_data_byte_names_the_tensor(tmp_path, name):
    prefix = _copy_checkpoint(tmp_path)
    e = _entry(name)
    for offset in (e.offset, e.offset + e.size - 1):
        shutil.copy(TF_PREFIX + DATA_FILE, prefix + DATA_FILE)
        _flip(prefix + DATA_FILE, offset)
        with pytest.raises(DataLossError, match=f"'{name}'.*data-00000-of-00001"):
            tb.read_bundle(prefix)
        with pytest.raises(DataLossError, match=f"'{name}'"):
            tf.train.load_variable(prefix, name)


def test_every_flipped_data_byte_is_detected(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    good = Path(TF_PREFIX + DATA_FILE).read_bytes()
    for offset in range(0, len(good), 5):
        data = bytearray(good)
        data[offset] ^= 1
        Path(prefix + DATA_FILE).write_bytes(bytes(data))
        with pytest.raises(DataLossError):
            tb.read_bundle(prefix)


def test_every_flipped_or_truncated_index_byte_gives_a_clear_error(tmp_path):
    """Never an IndexError or struct.error: a named OpError, or (bytes TF ignores, such as the
    footer padding) the right values."""
    prefix = _copy_checkpoint(tmp_path)
    good = Path(TF_PREFIX + ".index").read_bytes()
    want = _expected()
    outcomes = set()
    variants = [good[:n] for n in range(len(good))]
    for offset in range(len(good)):
        data = bytearray(good)
        data[offset] ^= 0x10
        variants.append(bytes(data))
    for data in variants:
        Path(prefix + ".index").write_bytes(data)
        try:
            _assert_same(tb.read_bundle(prefix), want)
            outcomes.add("ok")
        except (DataLossError, UnimplementedError, NotFoundError) as e:
            assert "model-7" in str(e)
            outcomes.add(type(e).__name__)
    assert "DataLossError" in outcomes


def test_index_corruption_messages(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    index = prefix + ".index"
    _flip(index, 10)  # inside the data block
    with pytest.raises(DataLossError, match=r"model-7\.index.*block checksum mismatch"):
        tb.read_bundle(prefix)
    shutil.copy(TF_PREFIX + ".index", index)
    _flip(index, os.path.getsize(index) - 1)
    with pytest.raises(DataLossError, match="bad magic number"):
        tf.train.load_checkpoint(prefix)
    Path(index).write_bytes(Path(TF_PREFIX + ".index").read_bytes()[:-100])
    with pytest.raises(DataLossError, match=r"model-7\.index"):
        tf.train.list_variables(prefix)
    Path(index).write_bytes(b"")
    with pytest.raises(DataLossError, match="too short"):
        tb.read_bundle(prefix)
    Path(index).write_bytes(os.urandom(4096))
    with pytest.raises(DataLossError, match="bad magic number"):
        tb.read_bundle(prefix)


def test_truncated_or_missing_data_file(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    data = Path(TF_PREFIX + DATA_FILE).read_bytes()
    last = max(tb.read_index(prefix)[1].items(), key=lambda kv: kv[1].offset + kv[1].size)[0]
    Path(prefix + DATA_FILE).write_bytes(data[:-3])
    with pytest.raises(DataLossError, match=f"truncated: tensor '{last}'"):
        tb.read_bundle(prefix)
    Path(prefix + DATA_FILE).write_bytes(b"")
    with pytest.raises(DataLossError, match="truncated"):
        tf.train.load_checkpoint(prefix).get_tensor("dense/kernel")
    os.unlink(prefix + DATA_FILE)
    with pytest.raises(NotFoundError, match=r"data file .*model-7\.data-00000-of-00001"):
        tb.read_bundle(prefix)
    with pytest.raises(NotFoundError, match="Checkpoint index .* not found"):
        tb.read_bundle(str(tmp_path / "absent"))
    with pytest.raises(NotFoundError, match="Failed to find any matching files"):
        tf.train.load_checkpoint(str(tmp_path / "absent"))


def _crafted(tmp_path, entries: dict, header=None, data=b"") -> str:
    """A bundle whose index holds ``entries`` ({name: BundleEntryProto bytes})."""
    prefix = str(tmp_path / "crafted")
    items = [(b"", header if header is not None else tb._header_proto())]
    items += sorted((k.encode(), v) for k, v in entries.items())
    Path(prefix + ".index").write_bytes(tb.encode_table(items))
    Path(prefix + DATA_FILE).write_bytes(data)
    return prefix


def test_unsupported_and_inconsistent_entries(tmp_path):
    raw = np.array([1.0, 2.0], np.float32).tobytes()
    crc = tfrecord.crc32c(raw)
    bf16 = tb._entry_proto(14, (2,), 0, 4, tfrecord.crc32c(raw[:4]))
    prefix = _crafted(tmp_path, {"bf": bf16}, data=raw)
    with pytest.raises(UnimplementedError, match="'bf' has dtype bfloat16"):
        tb.read_bundle(prefix)
    assert tf.train.load_checkpoint(prefix).get_variable_to_dtype_map() == {"bf": "bfloat16"}
    prefix = _crafted(tmp_path, {"v": tb._entry_proto(1, (3,), 0, 8, crc)}, data=raw)
    with pytest.raises(DataLossError, match="invalid size in the entry of tensor 'v'"):
        tb.read_bundle(prefix)
    prefix = _crafted(tmp_path, {"v": tb._entry_proto(1, (2,), 0, 8, crc ^ 1)}, data=raw)
    with pytest.raises(DataLossError, match="Checksum does not match for tensor 'v'"):
        tb.read_bundle(prefix)
    big_endian = _wire.uint(1, 1) + _wire.uint(2, 1) + _wire.length_delimited(3, _wire.uint(1, 1))
    prefix = _crafted(tmp_path, {"v": tb._entry_proto(1, (2,), 0, 8, crc)}, big_endian, raw)
    with pytest.raises(UnimplementedError, match="big-endian"):
        tb.read_bundle(prefix)
    newer = _wire.uint(1, 1) + _wire.length_delimited(3, _wire.uint(1, 9) + _wire.uint(2, 5))
    prefix = _crafted(tmp_path, {}, newer)
    with pytest.raises(UnimplementedError, match="newer reader"):
        tb.read_bundle(prefix)
    bad_shard = tb._entry_proto(1, (2,), 0, 8, crc) + _wire.uint(3, 4)
    prefix = _crafted(tmp_path, {"v": bad_shard}, data=raw)
    with pytest.raises(DataLossError, match="'v' points at shard 4"):
        tb.read_bundle(prefix)
    huge = tb._entry_proto(7, (2 ** 40,), 0, 8, crc)  # must not allocate 2**40 elements
    prefix = _crafted(tmp_path, {"s": huge}, data=raw)
    with pytest.raises(DataLossError, match="string tensor 's'"):
        tb.read_bundle(prefix)
    prefix = _crafted(tmp_path, {"v": b"\x0a\x05\x12"}, data=raw)  # a truncated shape field
    with pytest.raises(DataLossError, match="entry of tensor 'v' is not parseable"):
        tb.read_bundle(prefix)


def test_corrupt_string_lengths_are_named(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    _flip(prefix + DATA_FILE, _entry("words").offset + 1)  # the second varint length
    with pytest.raises(DataLossError, match="'words'"):
        tb.read_bundle(prefix)


# -- tensors saved in slices: checks once per tensor, before allocating -------------------------
def _sliced(tmp_path, full, blocks, data=b"", pieces=None) -> str:
    """A bundle of float32 ``w`` of shape ``full`` listing ``blocks`` [(offset, shape)], each
    slice's entry [0, 4 * size) of ``data`` unless ``pieces`` gives its entry."""
    entries = {"w": tb._sliced_entry_proto(1, full, blocks)}
    items = [(b"", tb._header_proto()), (b"w", entries["w"])]
    for k, (offset, shape) in enumerate(blocks):
        piece = pieces[k] if pieces else tb._entry_proto(
            1, shape, 0, 4 * int(np.prod(shape)), tfrecord.crc32c(data[:4 * int(np.prod(shape))]))
        items.append((tb.slice_key("w", list(zip(offset, shape))), piece))
    prefix = str(tmp_path / "sliced")
    Path(prefix + ".index").write_bytes(tb.encode_table(sorted(items)))
    Path(prefix + DATA_FILE).write_bytes(data)
    return prefix


SCALING = r'''
import sys
import numpy as np
import minitf as tf
from minitf.train import tensor_bundle as tb
P, prefix = int(sys.argv[1]), sys.argv[2]
w = np.random.default_rng(5).standard_normal((P, 3)).astype(np.float32)
tb.write_bundle(prefix, {"w": w}, {"w": [((i, 0), (1, 3)) for i in range(P)]})
v = tf.get_variable("w", shape=[P, 3], initializer=tf.zeros_initializer(),
                    partitioner=tf.fixed_size_partitioner(P))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    tf.train.Saver().restore(sess, prefix)  # one block read per part, P of them
    assert np.array_equal(np.concatenate(sess.run(list(v))), w)
assert np.array_equal(tf.train.NewCheckpointReader(prefix).get_tensor("w"), w)
print("OK")
'''


def test_restoring_thousands_of_parts_is_near_linear(tmp_path):
    """2000 slices restored into 2000 parts, and read whole: about 3 s. Checking every pair of
    slices on every part's read made it O(parts^3): hours (55 s for 600 parts); the timeout
    is that failure."""
    done = subprocess.run([sys.executable, "-c", SCALING, "2000", str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["OK"], done.stderr[-3000:]


def _brute_overlap(lo, hi) -> bool:
    return any(np.all(np.maximum(lo[j], lo[k]) < np.minimum(hi[j], hi[k]))
               for j in range(len(lo)) for k in range(j))


def test_overlap_check_agrees_with_every_pair_compared():
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(400):
        rank, count = int(rng.integers(1, 4)), int(rng.integers(2, 12))
        full = tuple(int(d) for d in rng.integers(1, 7, rank))
        lo = np.array([[rng.integers(0, d + 1) for d in full] for _ in range(count)], np.int64)
        hi = np.array([[rng.integers(a, d + 1) for a, d in zip(row, full)] for row in lo],
                      np.int64)
        slices = [tuple((int(a), int(b - a)) for a, b in zip(*box)) for box in zip(lo, hi)]
        want = _brute_overlap(lo, hi)
        seen.add(want)
        if want:
            with pytest.raises(tf.errors.InternalError, match="Overlapping slices"):
                tb._check_no_overlap("w", full, slices)
        else:
            got_lo, got_hi = tb._check_no_overlap("w", full, slices)
            np.testing.assert_array_equal(got_lo, lo.reshape(count, rank))
            np.testing.assert_array_equal(got_hi, hi.reshape(count, rank))
    assert seen == {True, False}


def test_slices_are_checked_once_per_tensor(tmp_path, monkeypatch):
    from minitf.train import tensor_bundle_reader

    w = np.arange(24, dtype=np.float32).reshape(6, 4)
    tb.write_bundle(tmp_path / "m", {"w": w}, {"w": [((i, 0), (1, 4)) for i in range(6)]})
    calls = []
    check = tensor_bundle_reader._check_no_overlap
    monkeypatch.setattr(tensor_bundle_reader, "_check_no_overlap",
                        lambda *a: calls.append(a[0]) or check(*a))
    reader = tb.BundleReader(tmp_path / "m")
    for i in range(6):
        np.testing.assert_array_equal(reader.read("w", (i, 1), (1, 3)), w[i:i + 1, 1:])
    np.testing.assert_array_equal(reader.read("w", (1, 0), (4, 4)), w[1:5])
    assert calls == ["w"]


def test_uncovered_huge_tensor_is_refused_before_allocating(tmp_path):
    """An index may declare any full shape over one small slice: TF's ValueError, not an
    8 TiB allocation (or numpy's "array is too big")."""
    data = np.array([1.0, 2.0], np.float32).tobytes()
    for full in ([2 ** 40, 2], [2 ** 62, 2 ** 62]):
        prefix = _sliced(tmp_path, full, [((0, 0), (1, 2))], data)
        reader = tf.train.NewCheckpointReader(prefix)
        assert reader.get_variable_to_shape_map() == {"w": full}
        with pytest.raises(ValueError, match=r"^Does not have sufficient slices for partitioned "
                                             r"tensor w to restore in slice_spec: -:- ") as e:
            reader.get_tensor("w")
        assert isinstance(e.value, NotFoundError)  # (minitf's class for it until now)
        np.testing.assert_array_equal(tb.BundleReader(prefix).read("w", (0, 0), (1, 2)),
                                      [[1.0, 2.0]])
    # covered, but a slice's entry or the data file does not hold what it should
    lying = tb._entry_proto(1, [2 ** 40, 2], 0, 8, tfrecord.crc32c(data))
    prefix = _sliced(tmp_path, [2 ** 40, 2], [((0, 0), (2 ** 40, 2))], data, [lying])
    with pytest.raises(DataLossError, match="invalid size in the entry of tensor 'w'"):
        tb.read_bundle(prefix)
    honest = tb._entry_proto(1, [2 ** 40, 2], 0, 2 ** 43, 0)
    prefix = _sliced(tmp_path, [2 ** 40, 2], [((0, 0), (2 ** 40, 2))], data, [honest])
    with pytest.raises(DataLossError, match="is truncated: tensor 'w'"):
        tb.read_bundle(prefix)
    with tb.BundleReader(prefix) as reader, pytest.raises(DataLossError, match="truncated"):
        reader.read("w")


def test_gaps_overlaps_and_bad_extents_of_slices(tmp_path):
    w = np.arange(8, dtype=np.float32).reshape(4, 2)
    tb.write_bundle(tmp_path / "gap", {"w": w}, {"w": [((0, 0), (1, 2)), ((2, 0), (2, 2))]})
    reader = tb.BundleReader(tmp_path / "gap")
    np.testing.assert_array_equal(reader.read("w", (2, 0), (2, 2)), w[2:])
    with pytest.raises(NotFoundError, match=r"slice_spec: 1,2:- .*do not cover offset "
                                            r"\[1, 0\], shape \[2, 2\]"):
        reader.read("w", (1, 0), (2, 2))
    data = np.zeros(4, np.float32).tobytes()
    with pytest.raises(tf.errors.InternalError, match=r"Mismatching ranks: shape = \[2,2\], "
                                                      "slice = 0,1"):
        tb.read_bundle(_sliced(tmp_path, [2, 2], [((0,), (1,))], data, [
            tb._entry_proto(1, [1, 2], 0, 8, tfrecord.crc32c(data[:8]))]))
    with pytest.raises(tf.errors.InternalError, match=r"Extent in dimension 0 out of bounds: "
                                                      r"shape = \[2,2\], slice = 5,2:0,2"):
        tb.read_bundle(_sliced(tmp_path, [2, 2], [((5, 0), (2, 2))], data))
    # an empty slice overlaps nothing (TF's TensorSlice::Intersect)
    tb.write_bundle(tmp_path / "empty", {"w": w}, {"w": [((0, 0), (4, 2)), ((1, 0), (0, 2))]})
    np.testing.assert_array_equal(tb.read_bundle(tmp_path / "empty")["w"], w)


def test_a_directory_for_a_data_file(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    os.unlink(prefix + DATA_FILE)
    os.mkdir(prefix + DATA_FILE)
    with pytest.raises(tf.errors.FailedPreconditionError,
                       match=r"model-7\.data-00000-of-00001; Is a directory"):
        tf.train.load_checkpoint(prefix).get_tensor("dense/kernel")
    with tb.BundleReader(prefix) as reader, pytest.raises(tf.errors.FailedPreconditionError):
        reader.read("dense/kernel")


TF_ODD_FILES = r'''
import json, os, sys
import tensorflow.compat.v1 as tf
out = {}
try:
    tf.train.NewCheckpointReader(sys.argv[1]).get_tensor("w")
except Exception as e:
    out["gap"] = [isinstance(e, ValueError), str(e)]
out["latest"] = tf.train.latest_checkpoint(sys.argv[2])
out["state"] = tf.train.get_checkpoint_state(sys.argv[2])
try:
    tf.train.NewCheckpointReader(sys.argv[3]).get_tensor("v")
except Exception as e:
    out["dir"] = str(e)
print(json.dumps(out))
'''


def test_odd_checkpoint_files_as_tensorflow_reads_them(tmp_path):
    """TF's reader on a tensor its slices do not cover, a directory named ``checkpoint`` and
    a directory for a data file (minitf's side without TF: the tests above)."""
    data = np.zeros(2, np.float32).tobytes()
    gap = _sliced(tmp_path, [3, 2], [((0, 0), (1, 2))], data)
    (tmp_path / "d").mkdir()
    tb.write_bundle(tmp_path / "d" / "m", {"v": np.zeros(2, np.float32)})
    (tmp_path / "d" / "checkpoint").mkdir()
    os.unlink(tmp_path / "d" / ("m" + DATA_FILE))
    (tmp_path / "d" / ("m" + DATA_FILE)).mkdir()
    theirs = tf_side_json(TF_ODD_FILES, gap, tmp_path / "d", tmp_path / "d" / "m",
                          legacy_keras=False)
    ours = {}
    try:
        tf.train.NewCheckpointReader(gap).get_tensor("w")
    except ValueError as e:
        ours["gap"] = [True, str(e)]
    assert theirs["gap"] == [True, "Does not have sufficient slices for partitioned tensor w "
                                   "to restore in slice_spec: -:-"]
    assert ours["gap"][1].startswith(theirs["gap"][1] + " ")
    assert theirs["latest"] is None and theirs["state"] is None
    assert tf.train.latest_checkpoint(str(tmp_path / "d")) is None
    assert tf.train.get_checkpoint_state(str(tmp_path / "d")) is None
    assert theirs["dir"].endswith("m.data-00000-of-00001; Is a directory")
    with pytest.raises(tf.errors.FailedPreconditionError, match=theirs["dir"]):
        tf.train.NewCheckpointReader(str(tmp_path / "d" / "m")).get_tensor("v")


# -- crc32c over large inputs (the lane-parallel path) -------------------------------------------
def test_vectorised_crc_matches_the_bytewise_loop_across_chunks():
    n = 4 * 1024 * 1024 + 256 * 70 + 16 * 65 + 5  # a full chunk, then both tail geometries
    data = np.random.default_rng(3).integers(0, 256, n, dtype=np.uint8).tobytes()
    expect = tfrecord._update_bytes(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert tfrecord.crc32c(data) == expect
    assert tfrecord.crc32c(data[12345:], tfrecord.crc32c(data[:12345])) == expect


# -- real TensorFlow reads what minitf writes ----------------------------------------------------
TF_SCRIPT = r'''
import json, os, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
spec = json.load(open(sys.argv[1]))
out = {}
reader = tf.train.load_checkpoint(spec["bundle"])
for name in reader.get_variable_to_shape_map():
    v = reader.get_tensor(name)
    out["reader:" + name] = np.asarray(v, dtype=object if isinstance(v, bytes) else None)
with tf.Graph().as_default():
    w = tf.get_variable("layer/w", shape=[2, 3], dtype=tf.float32, use_resource=False)
    s = tf.Variable(np.array([b"", b""], dtype=object), name="names", use_resource=False)
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, spec["saver"])
        out["restored:layer/w"], out["restored:names"] = sess.run([w, s])
np.savez(spec["out"], **{k: (v.astype("S") if v.dtype == object else v) for k, v in out.items()})
'''


def _tensorflow_available() -> bool:
    try:  # checked without importing it: TensorFlow only runs in a subprocess here
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


@pytest.mark.tensorflow
def test_tensorflow_reads_minitf_bundles(tmp_path):
    if not _tensorflow_available():
        pytest.skip("tensorflow is not installed")
    arrays = dict(ALL_DTYPES)
    del arrays["no_strings"]  # bytes arrays cannot say "object"; checked by the reader below
    tb.write_bundle(tmp_path / "all", ALL_DTYPES)
    tf.reset_default_graph()
    tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="layer/w")
    tf.Variable(np.array([b"x", b"yz"], dtype=object), name="names")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saved = tf.train.Saver(write_version=tf.train.SaverDef.V2).save(sess, str(tmp_path / "m"))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"bundle": str(tmp_path / "all"), "saver": saved,
                                "out": str(tmp_path / "out.npz")}))
    done = subprocess.run([sys.executable, "-c", TF_SCRIPT, str(spec)], capture_output=True,
                          text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES=""))
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(tmp_path / "out.npz", allow_pickle=False) as z:
        got = {k: z[k] for k in z.files}
    assert sorted(k for k in got if k.startswith("reader:")) == \
        sorted("reader:" + n for n in ALL_DTYPES)
    for name, want in arrays.items():
        g = got["reader:" + name]
        if want.dtype == object:
            assert g.tolist() == want.tolist(), name
        else:
            assert g.dtype == want.dtype and g.tobytes() == want.tobytes(), name
    np.testing.assert_array_equal(got["restored:layer/w"], np.arange(6).reshape(2, 3))
    assert got["restored:names"].tolist() == [b"x", b"yz"]


def test_checkpoint_files_get_the_modes_a_plain_open_would(tmp_path):
    """mkstemp makes 0600 files; a checkpoint is read by other users too (a model server), so
    the writers give it what open() would under the umask, as TF does."""
    import os
    import stat

    from minitf.train import tensor_bundle

    umask = os.umask(0o022)
    os.umask(umask)
    want = 0o666 & ~umask
    tensor_bundle.write_bundle(str(tmp_path / "b"), {"x": np.zeros(3, np.float32)})
    with tf.Graph().as_default():
        tf.Variable(1.0, name="v")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(tmp_path / "npz"))
            tf.train.Saver(write_version=tf.train.SaverDef.V2).save(sess, str(tmp_path / "v2"))
    for name in ("b.index", "b.data-00000-of-00001", "npz.npz", "v2.index", "checkpoint"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == want, name
