"""Quantized tensors (qint8, quint8, qint16, quint16, qint32) in TensorFlow's checkpoint bundle
(core/train/tensor_bundle_entry.py): TF stores their raw little-endian integers under the
quantized DataType enum. A value given as TF's one-field record array (``tf.qint8.as_numpy_dtype``)
is written so; a plain integer array keeps its plain enum (int8 stays DT_INT8). Reading gives
the storage integers, as TF's ``CheckpointReader.get_tensor`` does, and minitf's values of a
quantized tensor are.

The TF-free tests check the index's enums, the data bytes, reading back, and restoring
quantized variables with tf.train.Saver and the RestoreV2 op. The TF-gated test restores a
bundle TF's Saver wrote (qint8, quint8 and int8 variables) in minitf, and one minitf wrote in
TF's Saver."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as tf
from minitf import dtypes
from minitf.errors import InvalidArgumentError
from minitf.train import tensor_bundle as tb

VALUES = {
    "qint8": np.array([[1, -2], [3, -128]], np.int8),
    "quint8": np.array([0, 255, 7], np.uint8),
    "qint16": np.array([-32768, 5, 32767], np.int16),
    "quint16": np.array([[65535], [2]], np.uint16),
    "qint32": np.array([-(2 ** 31), 2 ** 31 - 1, 12345], np.int32),
}
ENUMS = {"qint8": 11, "quint8": 12, "qint32": 13, "qint16": 15, "quint16": 16}
PLAIN = {"int8": (np.int8, 6), "uint8": (np.uint8, 4), "int16": (np.int16, 5),
         "uint16": (np.uint16, 17), "int32": (np.int32, 3)}


def _record(name):
    return VALUES[name].view(getattr(dtypes, name).as_numpy_dtype)


def test_quantized_round_trip_keeps_enums_and_bytes(tmp_path):
    arrays = {f"q_{n}": _record(n) for n in VALUES}
    arrays.update({f"p_{n}": np.arange(-2, 3).astype(t) for n, (t, _) in PLAIN.items()})
    prefix = tmp_path / "ckpt"
    tb.write_bundle(prefix, arrays)
    reader = tb.BundleReader(prefix)
    for name, value in VALUES.items():
        entry = reader.entries[f"q_{name}"]
        assert entry.dtype == ENUMS[name] and entry.shape == value.shape
        got = reader.read(f"q_{name}")
        assert got.dtype == value.dtype and got.tobytes() == value.tobytes()
        assert tb.numpy_dtype(entry.dtype) == getattr(dtypes, name).as_numpy_dtype
        assert tb.dtype_name(entry.dtype) == name
    for name, (t, enum) in PLAIN.items():  # the plain integers keep their own enums
        assert reader.entries[f"p_{name}"].dtype == enum
        assert reader.read(f"p_{name}").dtype == np.dtype(t)
    # the data file holds the raw integers, little-endian, in name order
    data = (tmp_path / "ckpt.data-00000-of-00001").read_bytes()
    q8 = reader.entries["q_qint8"]
    assert data[q8.offset:q8.offset + q8.size] == bytes([1, 0xFE, 3, 0x80])
    q32 = reader.entries["q_qint32"]
    assert data[q32.offset:q32.offset + 4] == b"\x00\x00\x00\x80"


def test_quantized_slices_round_trip(tmp_path):
    value = np.arange(12, dtype=np.uint8).reshape(4, 3)
    prefix = tmp_path / "sliced"
    tb.write_bundle(prefix, {"w": value.view(dtypes.quint8.as_numpy_dtype)},
                    {"w": [((0, 0), (2, 3)), ((2, 0), (2, 3))]})
    reader = tb.BundleReader(prefix)
    assert reader.entries["w"].dtype == 12
    np.testing.assert_array_equal(reader.read("w"), value)
    np.testing.assert_array_equal(reader.read("w", (1, 1), (2, 2)), value[1:3, 1:3])


def test_saver_and_restore_op_read_quantized_variables(tmp_path):
    prefix = tmp_path / "vars"
    tb.write_bundle(prefix, {n: _record(n) for n in VALUES} | {"plain": VALUES["qint8"]})
    with tf.Graph().as_default():
        variables = {n: tf.Variable(np.zeros_like(v), dtype=getattr(dtypes, n), name=n)
                     for n, v in VALUES.items()}
        restore = tf.train.Saver(list(variables.values()))
        from minitf.ops.checkpoint_ops import RESTORE_V2
        op = RESTORE_V2(str(prefix), ["qint8"], [""], dtypes=[dtypes.qint8])
        wrong = RESTORE_V2(str(prefix), ["plain"], [""], dtypes=[dtypes.qint8])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            restore.restore(sess, str(prefix))
            for n, v in variables.items():
                got = sess.run(v)
                assert got.dtype == VALUES[n].dtype and got.tobytes() == VALUES[n].tobytes()
            got = sess.run(op)
            assert got.dtype == np.int8 and got.tobytes() == VALUES["qint8"].tobytes()
            # a plain int8 tensor is not a qint8 one (TF's RestoreV2 check)
            with pytest.raises(InvalidArgumentError, match="expected dtype qint8 does not equal "
                                                           "original dtype int8"):
                sess.run(wrong)
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros(2, np.int8), dtype=dtypes.qint8, name="plain")
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match="expected dtype qint8 does not equal "
                                                           "original dtype int8"):
                tf.train.Saver([v]).restore(sess, str(prefix))


@pytest.mark.parametrize("write_version", [tf.train.SaverDef.V2, tf.train.SaverDef.V1])
def test_saver_round_trips_quantized_variables(tmp_path, write_version):
    """A Saver saves a quantized variable under its own dtype (not its storage integers'), in
    TF's bundle and in minitf's .npz, and restores its storage integers."""
    with tf.Graph().as_default():
        variables = {n: tf.Variable(v, dtype=getattr(dtypes, n), name=n)
                     for n, v in VALUES.items()}
        saver = tf.train.Saver(write_version=write_version)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "q"))
        with tf.Session() as sess:
            saver.restore(sess, path)
            for n, v in variables.items():
                got = sess.run(v)
                assert got.dtype == VALUES[n].dtype and got.tobytes() == VALUES[n].tobytes()
    stored = tf.train.load_checkpoint(path).get_variable_to_dtype_map()
    assert stored == {n: getattr(dtypes, n) for n in VALUES}


def test_object_checkpoint_round_trips_quantized_variables(tmp_path):
    with tf.Graph().as_default():
        variables = {n: tf.Variable(v, dtype=getattr(dtypes, n), name=n)
                     for n, v in VALUES.items()}
        ckpt = tf.train.Checkpoint(**variables)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = ckpt.save(str(tmp_path / "c"), session=sess)
        with tf.Session() as sess:
            ckpt.restore(path).run_restore_ops(sess)
            for n, v in variables.items():
                got = sess.run(v)
                assert got.dtype == VALUES[n].dtype and got.tobytes() == VALUES[n].tobytes()
    stored = tf.train.load_checkpoint(path).get_variable_to_dtype_map()
    assert {k.split("/")[0]: d for k, d in stored.items() if k.split("/")[0] in VALUES} == \
        {n: getattr(dtypes, n) for n in VALUES}


def test_checkpoint_reader_names_quantized_dtypes(tmp_path):
    prefix = tmp_path / "r"
    tb.write_bundle(prefix, {"a": _record("quint16"), "b": VALUES["qint8"]})
    reader = tf.train.load_checkpoint(str(prefix))
    assert reader.get_variable_to_dtype_map() == {"a": dtypes.quint16, "b": dtypes.int8}
    assert reader.get_tensor("a").tobytes() == VALUES["quint16"].tobytes()


_TF_SIDE = r'''
import sys
import numpy as np
import tensorflow.compat.v1 as tf1
tf1.disable_eager_execution()
out_dir, ours = sys.argv[1], sys.argv[2]
g = tf1.Graph()
with g.as_default():  # TF writes qint8, quint8 and int8 variables
    tf1.Variable(tf1.constant(np.array([[1, -2], [3, -128]], np.int8), dtype=tf1.qint8),
                 name="qv")
    tf1.Variable(tf1.constant(np.array([0, 255, 7], np.uint8), dtype=tf1.quint8), name="qu")
    tf1.Variable(np.array([5, -6], np.int8), name="i8")
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        tf1.train.Saver().save(sess, out_dir + "/tf", write_meta_graph=False)
g = tf1.Graph()
with g.as_default():  # and restores the bundle minitf wrote
    qv = tf1.Variable(tf1.zeros([3], dtype=tf1.qint32), name="q32")
    qu = tf1.Variable(tf1.zeros([2, 2], dtype=tf1.qint8), name="q8")
    i8 = tf1.Variable(np.zeros(3, np.int8), name="i8")
    with tf1.Session() as sess:
        tf1.train.Saver().restore(sess, ours)
        got = sess.run([qv, qu, i8])
types = tf1.train.load_checkpoint(ours).get_variable_to_dtype_map()
np.savez(out_dir + "/tf_read.npz", q32=got[0], q8=got[1], i8=got[2],
         types=np.array([types["q32"].name, types["q8"].name, types["i8"].name]))
'''


def test_bundles_cross_with_tensorflow(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    ours = tmp_path / "ours"
    tb.write_bundle(ours, {"q32": _record("qint32"), "q8": _record("qint8"),
                           "i8": np.array([9, -9, 0], np.int8)})
    done = subprocess.run([sys.executable, "-c", _TF_SIDE, str(tmp_path), str(ours)],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    read = np.load(tmp_path / "tf_read.npz")
    assert read["q32"].tobytes() == VALUES["qint32"].tobytes()
    assert read["q8"].tobytes() == VALUES["qint8"].tobytes()
    np.testing.assert_array_equal(read["i8"], [9, -9, 0])
    assert read["types"].tolist() == ["qint32", "qint8", "int8"]
    # TF's bundle, restored in minitf
    reader = tb.BundleReader(tmp_path / "tf")
    assert {k: e.dtype for k, e in reader.entries.items()} == {"qv": 11, "qu": 12, "i8": 6}
    with tf.Graph().as_default():
        qv = tf.Variable(np.zeros((2, 2), np.int8), dtype=dtypes.qint8, name="qv")
        qu = tf.Variable(np.zeros(3, np.uint8), dtype=dtypes.quint8, name="qu")
        i8 = tf.Variable(np.zeros(2, np.int8), name="i8")
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, str(tmp_path / "tf"))
            got = sess.run([qv, qu, i8])
    assert got[0].tobytes() == VALUES["qint8"].tobytes()
    assert got[1].tobytes() == VALUES["quint8"].tobytes()
    np.testing.assert_array_equal(got[2], [5, -6])
