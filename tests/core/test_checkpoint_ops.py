"""The Saver's checkpoint ops (SaveV2, RestoreV2, MergeV2Checkpoints, ShardedFilename) and the
TF1 workflow they make work: ``tf.train.import_meta_graph`` of the ``.meta`` TensorFlow's Saver
wrote, restore, train, save, and TensorFlow reading what minitf saved.

The fixture tests/core/data/tf_saver_meta (see its generate_with_tensorflow.py) was written by
TensorFlow 2.21; its expected.npz holds the values TF saved and those TF reached training on.
With TensorFlow installed, the last test redoes the workflow against a live TF."""

from __future__ import annotations

import filecmp
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.export.meta_graph import export_meta_graph, read_meta_graph
from minitf.ops.checkpoint_ops import MERGE_V2_CHECKPOINTS, RESTORE_V2, SAVE_V2
from minitf.protos import saver_pb2
from minitf.train import tensor_bundle as tb

DATA = pathlib.Path(__file__).parent / "data" / "tf_saver_meta"
GENERATOR = DATA / "generate_with_tensorflow.py"
KINDS = ("plain", "sharded")
STEPS = 5  # generate_with_tensorflow.STEPS


def _expected(directory=DATA) -> dict:
    with np.load(directory / "expected.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _save(prefix, named: dict, specs: dict | None = None):
    """Runs one SaveV2 of ``named`` ({name: array}), ``specs`` giving a name's slice spec."""
    specs = specs or {}
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(SAVE_V2(str(prefix), list(named), [specs.get(n, "") for n in named],
                         [tf.constant(v) for v in named.values()]))


def _save_pieces(prefix, pieces):
    """SaveV2 of [(name, spec, array)]: several slices of a name in one bundle."""
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(SAVE_V2(str(prefix), [n for n, _, _ in pieces], [s for _, s, _ in pieces],
                         [tf.constant(v) for _, _, v in pieces]))


def _restore(prefix, names, specs, dtypes):
    with tf.Graph().as_default(), tf.Session() as sess:
        out = RESTORE_V2(str(prefix), names, specs, dtypes=dtypes)
        return sess.run(out if isinstance(out, list) else [out])


# -- the ops, on bundles they write ---------------------------------------------------------------
def test_save_v2_round_trip(tmp_path):
    """Every kind of tensor saved by SaveV2 comes back from RestoreV2 as it was, and the bundle
    is one TF would read: a single shard, the tensors in name order."""
    values = {
        "dense/kernel": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "step": np.array(42, np.int64),
        "words": np.array([[b"a", b""], [b"caf\xc3\xa9", b"\x00\xff"]], dtype=object),
        "mask": np.array([True, False, True]),
        "half": np.array([0.5, -2.0], np.float16),
        "empty": np.zeros((0, 2), np.float64),
    }
    prefix = tmp_path / "sub" / "ckpt"  # SaveV2 makes the folder, as TF's does
    _save(prefix, values)
    assert sorted(os.listdir(tmp_path / "sub")) == ["ckpt.data-00000-of-00001", "ckpt.index"]
    got = _restore(prefix, list(values), [""] * len(values),
                   [tf.as_dtype(v.dtype) if v.dtype != object else tf.string
                    for v in values.values()])
    for (name, want), g in zip(values.items(), got):
        assert g.dtype == want.dtype and g.shape == want.shape, name
        np.testing.assert_array_equal(g, want, err_msg=name)


def test_save_v2_slices_restore_any_block(tmp_path):
    """Slices saved as TF saves a partitioned variable's parts make one tensor; RestoreV2 reads
    it whole or any block, across the slices, with '-' for a whole dimension."""
    full = np.arange(20, dtype=np.float32).reshape(5, 4)
    _save_pieces(tmp_path / "p", [("t", "5 4 0,3:0,4", full[:3]), ("t", "5 4 3,2:0,4", full[3:]),
                                  ("other", "", np.float32(1))])
    assert tb.list_bundle(tmp_path / "p") == {"t": (np.dtype("<f4"), (5, 4)),
                                              "other": (np.dtype("<f4"), ())}
    whole, across, column, other = _restore(
        tmp_path / "p", ["t", "t", "t", "other"], ["", "5 4 2,2:1,2", "5 4 -:3,1", ""],
        [tf.float32] * 4)
    np.testing.assert_array_equal(whole, full)
    np.testing.assert_array_equal(across, full[2:4, 1:3])
    np.testing.assert_array_equal(column, full[:, 3:4])
    assert other == 1


# The SLICES of generate_with_tensorflow.py, which TF 2.21 saved as data/tf_saver_meta/slices.
TF_SLICES = [("a", "2 2 -:0,1", np.array([[1.0], [3.0]], np.float32)),
             ("a", "2 2 -:1,1", np.array([[2.0], [4.0]], np.float32)),
             ("s", "3 1,2", np.array([b"x", b"yz"], dtype=object)),
             ("n", "", np.array([7, -8], np.int64))]


def test_save_v2_writes_tensorflows_bytes(tmp_path):
    """SaveV2 of slices ('-' extents kept as TF keeps them, strings) and a whole tensor gives
    the files TensorFlow's SaveV2 wrote, byte for byte; RestoreV2 reads TF's."""
    _save_pieces(tmp_path / "slices", TF_SLICES)
    for suffix in (".index", ".data-00000-of-00001"):
        assert filecmp.cmp(tmp_path / f"slices{suffix}", DATA / f"slices{suffix}",
                           shallow=False), suffix
    a, a_row, s, n = _restore(DATA / "slices", ["a", "a", "s", "n"],
                              ["", "2 2 1,1:-", "3 2,1", ""],
                              [tf.float32, tf.float32, tf.string, tf.int64])
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(a_row, [[3.0, 4.0]])
    assert list(s) == [b"yz"] and list(n) == [7, -8]


def test_restore_v2_infers_block_shapes():
    """With constant specs (as the Saver's) a block's shape is known at graph construction, a
    whole tensor's is not (TF's shape function)."""
    with tf.Graph().as_default():
        a, b = RESTORE_V2("p", ["x", "y"], ["5 4 2,2:-", ""], dtypes=[tf.float32, tf.int32])
        assert a.shape.as_list() == [2, 4] and a.dtype == tf.float32
        assert b.shape.rank is None and b.dtype == tf.int32


def test_restore_v2_errors(tmp_path):
    """TF's classes and messages: a missing key, another dtype, a spec of another shape, slices
    that do not cover the block, a bad spec, a missing checkpoint."""
    _save_pieces(tmp_path / "c", [("w", "", np.ones((3, 4), np.float32)),
                                  ("part", "4 0,2", np.ones(2, np.float32))])
    with pytest.raises(NotFoundError, match="Key nope not found in checkpoint"):
        _restore(tmp_path / "c", ["nope"], [""], [tf.float32])
    with pytest.raises(InvalidArgumentError, match="tensor_name = w; expected dtype double "
                                                   "does not equal original dtype float"):
        _restore(tmp_path / "c", ["w"], [""], [tf.float64])
    with pytest.raises(InvalidArgumentError, match=r"shape in shape_and_slice spec \[5, 4\] "
                                                   r"does not match .* \[3, 4\]"):
        _restore(tmp_path / "c", ["w"], ["5 4 1,2:0,4"], [tf.float32])
    with pytest.raises(InvalidArgumentError, match="Does not have sufficient slices for "
                                                   "partitioned tensor part"):
        _restore(tmp_path / "c", ["part"], ["4 1,2"], [tf.float32])
    with pytest.raises(InvalidArgumentError, match="expected a pair of numbers or '-' but got "
                                                   "'garbage'"):
        _restore(tmp_path / "c", ["w"], ["3 4 garbage"], [tf.float32])
    with pytest.raises(NotFoundError, match="not found"):
        _restore(tmp_path / "none", ["w"], [""], [tf.float32])
    with tf.Graph().as_default(), pytest.raises(ValueError, match="Dimension must be 2 but is 1"):
        RESTORE_V2("p", ["a", "b"], [""], dtypes=[tf.float32, tf.float32])


def test_save_v2_errors(tmp_path):
    with pytest.raises(InvalidArgumentError, match="Adding duplicate key: a"):
        _save_pieces(tmp_path / "d", [("a", "", np.float32(1)), ("a", "", np.float32(2))])
    with pytest.raises(InvalidArgumentError, match="does not match the shape of the tensor to "
                                                   r"save: 4 0,3, tensor: \[2\]"):
        _save_pieces(tmp_path / "s", [("a", "4 0,3", np.ones(2, np.float32))])
    with tf.Graph().as_default(), pytest.raises(ValueError, match="Dimension must be 2 but is 1"):
        SAVE_V2("p", ["a", "b"], [""], [tf.constant(1.0), tf.constant(2.0)])
    assert not os.listdir(tmp_path)  # nothing half-written


def test_merge_v2_checkpoints(tmp_path):
    """Two bundles (one per device, as a sharded Saver writes them), each with a slice of the
    same tensor, become one of two shards: every tensor readable, the old files gone."""
    full = np.arange(8, dtype=np.float32).reshape(4, 2)
    one, two = tmp_path / "m_temp" / "part-00000-of-00002", \
        tmp_path / "m_temp" / "part-00001-of-00002"
    _save_pieces(one, [("t", "4 2 0,1:-", full[:1]), ("x", "", np.int64(7))])
    _save_pieces(two, [("t", "4 2 1,3:-", full[1:]), ("y", "", np.array([b"s"], object))])
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(MERGE_V2_CHECKPOINTS([str(one), str(two)], str(tmp_path / "m")))
    assert sorted(os.listdir(tmp_path)) == ["m.data-00000-of-00002", "m.data-00001-of-00002",
                                            "m.index"]  # and m_temp deleted (delete_old_dirs)
    t, x, y = _restore(tmp_path / "m", ["t", "x", "y"], [""] * 3,
                       [tf.float32, tf.int64, tf.string])
    np.testing.assert_array_equal(t, full)
    assert x == 7 and list(y) == [b"s"]


def test_merge_v2_checkpoints_errors(tmp_path):
    _save(tmp_path / "a", {"x": np.float32(1)})
    _save(tmp_path / "b", {"x": np.float32(2)})

    def merge(sources, **attrs):
        with tf.Graph().as_default(), tf.Session() as sess:
            sess.run(MERGE_V2_CHECKPOINTS([str(tmp_path / s) for s in sources],
                                          str(tmp_path / "out"), **attrs))
    with pytest.raises(InvalidArgumentError, match="allow_missing_files was set to false and "
                                                   ".*gone did not exist"):
        merge(["a", "gone"])
    with pytest.raises(InvalidArgumentError, match="At least one prefix checkpoint file must "
                                                   "exist, but none existed"):
        merge(["gone"], allow_missing_files=True)
    with pytest.raises(InvalidArgumentError, match="Duplicate tensor keyed by x"):
        merge(["a", "b"])
    merge(["a", "gone"], allow_missing_files=True, delete_old_dirs=False)
    assert _restore(tmp_path / "out", ["x"], [""], [tf.float32]) == [1]
    assert not tb.is_bundle(tmp_path / "a") and tb.is_bundle(tmp_path / "b")


# -- TensorFlow's Saver files, in minitf ----------------------------------------------------------
def _train(prefix, want: dict, kind: str):
    """import_meta_graph + the returned Saver's restore + STEPS steps of TF's train_op, checked
    against TensorFlow's values; returns (session, saver, meta)."""
    saver = tf.train.import_meta_graph(f"{prefix}.meta")
    sess = tf.Session()
    saver.restore(sess, str(prefix))
    names = {v.op.name: v for v in tf.global_variables()}
    assert sorted(names) == sorted(k[6:] for k in want if k.startswith("saved:"))
    for name, v in names.items():
        np.testing.assert_array_equal(sess.run(v), want[f"saved:{name}"], err_msg=name)
    feed = {"x:0": want["x"], "y:0": want["y"]}
    losses = [sess.run(["loss:0", "train_op"], feed)[0] for _ in range(STEPS)]
    np.testing.assert_allclose(losses, want["losses"], rtol=1e-5, err_msg=kind)
    for name, v in names.items():
        np.testing.assert_allclose(sess.run(v), want[f"trained:{name}"], rtol=1e-5, atol=1e-7,
                                   err_msg=f"{kind}: {name}")
    return sess, saver


@pytest.mark.parametrize("kind", KINDS)
def test_import_tf_saver_meta_restore_train_save(kind, tmp_path):
    """The TF1 workflow on TensorFlow's files: minitf trains on as TensorFlow did, and its
    Saver writes TF's format (the saver_def says V2), the partitioned b as one sliced tensor."""
    want = _expected()
    prefix = tf.train.latest_checkpoint(str(DATA / kind))
    assert prefix.endswith("model.ckpt-3")
    with tf.Graph().as_default():
        sess, saver = _train(prefix, want, kind)
        with sess:
            saved = saver.save(sess, str(tmp_path / "model.ckpt"),
                               global_step=tf.train.get_global_step())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
    assert saved == str(tmp_path / "model.ckpt-8")
    assert tb.is_bundle(saved) and not os.path.exists(saved + ".npz")
    assert dict(tf.train.list_variables(saved)) == dict(tf.train.list_variables(prefix))
    assert tf.train.list_variables(saved)[0] == ("b", [4])
    reader = tf.train.load_checkpoint(saved)
    np.testing.assert_array_equal(reader.get_tensor("b"), np.concatenate(
        [values["b/part_0"], values["b/part_1"]]))
    np.testing.assert_array_equal(reader.get_tensor("w/Adam_1"), values["w/Adam_1"])


@pytest.mark.parametrize("kind", KINDS)
def test_tf_saver_subgraph_runs_and_writes_tf_bytes(kind, tmp_path):
    """TF's own save/restore ops, run as TF's Saver runs them (the saver_def's names): they
    restore TF's checkpoint, and saving it again gives TensorFlow's files byte for byte (for the
    sharded Saver: per-device bundles merged by MergeV2Checkpoints, the _temp folder gone)."""
    prefix = DATA / kind / "model.ckpt-3"
    meta = read_meta_graph(f"{prefix}.meta")
    sd = meta.saver_def
    want = _expected()
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta)
        ops = {op.type for op in tf.get_default_graph().get_operations()}
        assert {"SaveV2", "RestoreV2"} <= ops
        assert ("MergeV2Checkpoints" in ops) == (kind == "sharded")
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: str(prefix)})
            for v in tf.global_variables():
                np.testing.assert_array_equal(sess.run(v), want[f"saved:{v.op.name}"])
            out = tmp_path / "model.ckpt-3"
            assert sess.run(sd.save_tensor_name, {sd.filename_tensor_name: str(out)}) == \
                str(out).encode()
    written = sorted(os.listdir(tmp_path))
    assert written == sorted(f.name for f in (DATA / kind).glob("model.ckpt-3.*")
                             if f.suffix != ".meta")
    for name in written:
        assert filecmp.cmp(tmp_path / name, DATA / kind / name, shallow=False), name


def test_saver_def_argument_saves_the_same_variables(tmp_path):
    """tf.train.Saver(saver_def=...) (TF1 code rebuilding the imported Saver) keeps minitf's
    Saver, over the same variables as TF's: a checkpoint with TF's names."""
    prefix = DATA / "plain" / "model.ckpt-3"
    meta = read_meta_graph(f"{prefix}.meta")
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta)
        saver = tf.train.Saver(saver_def=meta.saver_def)
        with tf.Session() as sess:
            saver.restore(sess, str(prefix))
            saved = saver.save(sess, str(tmp_path / "again"))
    assert tf.train.list_variables(saved) == tf.train.list_variables(str(prefix))


def test_imported_saver_saves_what_the_saver_def_saves(tmp_path):
    """A TF Saver given a var_list saves only those: the Saver import_meta_graph returns saves
    the names its SaveV2 op saves, not every global variable, and in the saver_def's format."""
    with tf.Graph().as_default() as g:
        w = tf.Variable(np.ones(2, np.float32), name="w")
        tf.Variable(np.zeros(3, np.float32), name="other")
        with tf.name_scope("save"):
            filename = tf.placeholder_with_default("model", [], name="Const")
            done = SAVE_V2(filename, ["w"], [""], [w], name="SaveV2")
            with tf.control_dependencies([done]):
                tf.identity(filename, name="control_dependency")
            tf.group(tf.no_op(), name="restore_all")
        sd = saver_pb2.SaverDef(filename_tensor_name="save/Const:0",
                                save_tensor_name="save/control_dependency:0",
                                restore_op_name="save/restore_all", version=2)
        meta = export_meta_graph(graph=g, saver_def=sd)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(meta)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saved = saver.save(sess, str(tmp_path / "ckpt"))
    assert tb.is_bundle(saved)
    assert tf.train.list_variables(saved) == [("w", [2])]


def test_partitioned_variables_survive_minitf_meta_round_trip(tmp_path):
    """minitf's .meta records the parts' SaveSliceInfoDefs (as TF1's), so a Saver of the
    imported graph saves and restores the partitioned variable as one tensor again."""
    with tf.Graph().as_default():
        b = tf.get_variable("b", [6, 2], partitioner=tf.fixed_size_partitioner(3),
                            initializer=tf.glorot_uniform_initializer(seed=3))
        saver = tf.train.Saver(write_version=tf.train.SaverDef.V2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            whole = np.concatenate(sess.run(list(b)))
            prefix = saver.save(sess, str(tmp_path / "ckpt"))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            parts = [sess.run(v) for v in tf.global_variables()]
            again = saver.save(sess, str(tmp_path / "again"))
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert tf.train.list_variables(again) == [("b", [6, 2])]


# -- against a live TensorFlow -------------------------------------------------------------------
def _run_tf(*args):
    done = subprocess.run([sys.executable, str(GENERATOR), *map(str, args)],
                          capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]


def test_workflow_both_ways_with_tensorflow(tmp_path):
    """TensorFlow trains and saves (Saver.save with its meta graph, sharded and not); minitf
    imports, restores, trains as TF does and saves, with its Saver and with TF's own save ops;
    TensorFlow restores each of those (rebuilding the graph, and importing minitf's .meta) and
    gets minitf's variables exactly."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    _run_tf("--out", tmp_path / "tf")
    want = _expected(tmp_path / "tf")
    minitf_values, prefixes = {}, []
    for kind in KINDS:
        prefix = tf.train.latest_checkpoint(str(tmp_path / "tf" / kind))
        meta = read_meta_graph(f"{prefix}.meta")
        sd = meta.saver_def
        with tf.Graph().as_default():
            sess, saver = _train(prefix, want, kind)
            with sess:
                (tmp_path / kind).mkdir()
                by_saver = saver.save(sess, str(tmp_path / kind / "model.ckpt"),
                                      global_step=tf.train.get_global_step())
                by_ops = str(tmp_path / kind / "by_ops" / "model.ckpt-8")
                sess.run(sd.save_tensor_name, {sd.filename_tensor_name: by_ops})
                minitf_values[kind] = {v.op.name: sess.run(v) for v in tf.global_variables()}
        shutil.copy(f"{by_saver}.meta", f"{by_ops}.meta")
        prefixes += [by_saver, by_ops]
    _run_tf("--restore", *prefixes)
    for prefix in prefixes:
        kind = pathlib.Path(prefix).relative_to(tmp_path).parts[0]
        for how in ("tf_built", "tf_imported"):
            with np.load(f"{prefix}.{how}.npz", allow_pickle=False) as got:
                assert sorted(got.files) == sorted(minitf_values[kind]), (prefix, how)
                for name in got.files:
                    np.testing.assert_array_equal(got[name], minitf_values[kind][name],
                                                  err_msg=f"{prefix} {how}: {name}")


def test_op_defs_are_tensorflows():
    """Each op's inputs (names, fixed dtypes) and attrs (names, defaults) are TensorFlow's, so
    GraphDefs carry them both ways."""
    pytest.importorskip("tensorflow")
    from tensorflow.python.framework import op_def_registry

    from minitf.opdef import registered

    for op_type in ("SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename",
                    "ShardedFilespec"):
        theirs, ours = op_def_registry.get(op_type), registered()[op_type]
        assert [a.name for a in theirs.input_arg] == [a.name for a in ours.args], op_type
        for arg, mine in zip(theirs.input_arg, ours.args):
            if arg.type:  # a fixed dtype (string, int32)
                assert mine.fixed_dtype.as_datatype_enum == arg.type, (op_type, arg.name)
            else:
                assert mine.type_list_attr == arg.type_list_attr, (op_type, arg.name)
        defaults = {a.name: a.default_value.b for a in theirs.attr if a.HasField("default_value")}
        assert {a.name for a in theirs.attr} == set(ours.attrs) | set(ours.derived_attrs)
        assert defaults == ours.attr_defaults, op_type
        assert theirs.is_stateful == ours.stateful, op_type


def test_overlapping_slices_are_refused_when_read(tmp_path):
    """SaveV2 writes overlapping slices (TF's does too), but reading them is TF's
    InternalError: counted as covered, the hole between would be uninitialised memory."""
    from minitf.train import tensor_bundle as tb

    prefix = str(tmp_path / "ckpt")
    w = np.arange(4, dtype=np.float32)
    tb.write_bundle(prefix, {"w": w}, {"w": [((0,), (2,)), ((1,), (2,))]})
    with pytest.raises(tf.errors.InternalError,
                       match="Overlapping slices: existing slice = 0,2, new slice = 1,2"):
        tb.read_bundle(prefix)
    tb.write_bundle(prefix, {"w": w}, {"w": [((0,), (2,)), ((2,), (2,))]})
    np.testing.assert_array_equal(tb.read_bundle(prefix)["w"], w)  # adjacent ones are fine
