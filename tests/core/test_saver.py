"""tf.train.Saver: round trip, retention, and every bad-checkpoint case restoring nothing."""

import json
import os
import re

import numpy as np
import pytest

import minitf as tf


def _vars():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="layer/w")
    b = tf.Variable(np.float32(0.5), name="layer/b")
    n = tf.Variable(np.int64(7), name="count")
    return w, b, n


def test_round_trip_and_latest_checkpoint(tmp_path):
    w, b, n = _vars()
    saver = tf.train.Saver()
    prefix = str(tmp_path / "model")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(w, w * 2.0))
        path = saver.save(sess, prefix, global_step=42)
    assert path == prefix + "-42" and os.path.exists(path + ".npz")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    assert tf.train.list_variables(str(tmp_path)) == [("count", []), ("layer/b", []),
                                                      ("layer/w", [2, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(path, "layer/w"),
                                  np.arange(6).reshape(2, 3) * 2)
    with tf.Session() as sess:  # a fresh session restores without running initializers
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3) * 2)
        assert sess.run(b) == 0.5 and sess.run(n) == 7
    # The file is a plain numpy archive that loads without pickle.
    with np.load(path + ".npz", allow_pickle=False) as data:
        assert set(data.files) == {"layer/w", "layer/b", "count", "__minitf__"}


def test_saver_with_name_map_and_global_step_variable(tmp_path):
    w, b, n = _vars()
    step = tf.train.get_or_create_global_step()
    saver = tf.train.Saver({"weights": w})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign_add(step, 3))
        path = saver.save(sess, str(tmp_path / "m"), global_step=step)
    assert path.endswith("m-3")
    assert [name for name, _ in tf.train.list_variables(path)] == ["weights"]


def test_max_to_keep_deletes_old_checkpoints(tmp_path):
    _vars()
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, str(tmp_path / "ckpt"), global_step=i) for i in range(4)]
    assert [os.path.exists(p + ".npz") for p in paths] == [False, False, True, True]
    assert saver.last_checkpoints == paths[2:]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[3]
    assert state.all_model_checkpoint_paths == paths[2:]
    # TF's format: the paths as saved (absolute here), relative with save_relative_paths.
    text = (tmp_path / "checkpoint").read_text()
    assert f'model_checkpoint_path: "{tmp_path / "ckpt-3"}"' in text
    relative = tf.train.Saver(max_to_keep=2, save_relative_paths=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        relative.save(sess, str(tmp_path / "ckpt"), global_step=5)
    text = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-5"' in text
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "ckpt-5")


def _saved(tmp_path):
    w, b, n = _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "good"))
    return path


def _assert_restores_nothing(graph_builder, path, error, match):
    tf.reset_default_graph()
    variables = graph_builder()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        with pytest.raises(error, match=match):
            saver.restore(sess, path)
        for v in variables:
            assert not sess.run(tf.is_variable_initialized(v)), f"{v.name} was restored"


def test_save_creates_one_missing_directory_level(tmp_path):
    """As TF's checkpoint writer: ckpts/ is made when its parent exists; deeper is an error."""
    w, _, _ = _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "ckpts" / "model.ckpt"))
        assert os.path.exists(path + ".npz")
        with pytest.raises(ValueError, match="Parent directory"):  # TF's type and message
            saver.save(sess, str(tmp_path / "a" / "b" / "model.ckpt"))
    assert not os.path.exists(tmp_path / "a")


def test_missing_checkpoint(tmp_path):
    # TF1's types: a ValueError for a path with no checkpoint (so `except ValueError` around a
    # "resume if there is one" restore works), DataLossError for a directory.
    _assert_restores_nothing(_vars, str(tmp_path / "nothing"), ValueError,
                             "The passed save_path is not a valid checkpoint: .*nothing")
    _assert_restores_nothing(_vars, str(tmp_path), tf.errors.DataLossError,
                             "is a directory, not a checkpoint prefix")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    with pytest.raises(ValueError, match="Can't load save_path when it is None."):
        tf.train.Saver().restore(tf.Session(), None)


def test_corrupt_checkpoint(tmp_path):
    path = _saved(tmp_path)
    data = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "good.npz").write_bytes(data[: len(data) // 2])
    _assert_restores_nothing(_vars, path, tf.errors.DataLossError, "Unable to read checkpoint")
    (tmp_path / "good.npz").write_bytes(b"not a zip at all")
    _assert_restores_nothing(_vars, path, tf.errors.DataLossError, "Unable to read checkpoint")


def test_foreign_npz_is_rejected(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    _assert_restores_nothing(_vars, str(tmp_path / "other"), tf.errors.DataLossError,
                             "not a minitf checkpoint")


def _npz(tmp_path, manifest, **arrays) -> str:
    """An .npz checkpoint of ``arrays`` whose manifest is ``manifest`` (any JSON)."""
    raw = np.frombuffer(json.dumps(manifest).encode(), np.uint8)
    np.savez(tmp_path / "odd.npz", __minitf__=raw, **arrays)
    return str(tmp_path / "odd")


@pytest.mark.parametrize("manifest, match", [
    (["format"], "not a minitf checkpoint"),
    ({"format": "minitf-checkpoint"}, '"variables" is None, not'),
    ({"format": "minitf-checkpoint", "variables": {"w": "x"}}, "entry of variable 'w' is 'x'"),
    ({"format": "minitf-checkpoint", "variables": {"w": ["string", ["a"]]}},
     "entry of variable 'w' is"),
    ({"format": "minitf-checkpoint", "variables": {"w": ["<f4", [-2]]}},
     "entry of variable 'w' is"),
    ({"format": "minitf-checkpoint", "variables": {"w": ["<f4", [2]]}, "slices": 5},
     '"slices" is 5, not'),
    ({"format": "minitf-checkpoint", "variables": {"w": ["<f4", [2]]},
      "slices": {"w": [[[0], [1]], "x"]}}, "slices of 'w' are"),
    ({"format": "minitf-checkpoint", "variables": {"w": ["<f4", [2]]},
      "slices": {"w": [[[1], [2]]]}}, "slices of 'w' are"),  # past its end
    ({"format": "minitf-checkpoint", "variables": {"w": ["<f4", [2]]},
      "slices": {"v": [[[0], [1]]]}}, "slices of 'v' are"),  # of no variable
])
def test_malformed_npz_manifest_names_what_is_wrong(tmp_path, manifest, match):
    prefix = _npz(tmp_path, manifest, w=np.zeros(2, np.float32))
    with pytest.raises(tf.errors.DataLossError, match=f"odd.npz.*{re.escape(match)}"):
        tf.train.NewCheckpointReader(prefix)
    _assert_restores_nothing(lambda: [tf.Variable(np.ones(2, np.float32), name="w")], prefix,
                             tf.errors.DataLossError, "odd.npz")


def test_npz_member_larger_than_it_holds_is_refused_before_reading(tmp_path):
    """A .npy header may declare 2^33 floats over 16 bytes (numpy would allocate 32 GiB), and
    a zip directory any member size."""
    import io
    import zipfile

    from numpy.lib import format as npy_format

    member = io.BytesIO()
    npy_format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                               "shape": (2 ** 33,)})
    member.write(b"\0" * 16)
    manifest = io.BytesIO()
    np.save(manifest, np.frombuffer(json.dumps({
        "format": "minitf-checkpoint", "variables": {"w": ["<f4", [2 ** 33]]}}).encode(),
        np.uint8))
    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", member.getvalue())
        z.writestr("__minitf__.npy", manifest.getvalue())
    with pytest.raises(tf.errors.DataLossError, match=r"big\.npz is corrupt: member w\.npy "
                                                      r"declares float32 \[8589934592\] "
                                                      r"\(34359738368 bytes\) but holds 16"):
        tf.train.load_variable(str(tmp_path / "big"), "w")
    data = bytearray(path.read_bytes())  # w.npy's sizes in the central directory: 2^31
    central = data.index(b"PK\x01\x02")
    data[central + 20:central + 28] = (2 ** 31).to_bytes(4, "little") * 2
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError, match="member w.npy claims 2147483648 bytes"):
        tf.train.NewCheckpointReader(str(tmp_path / "big"))
    with zipfile.ZipFile(tmp_path / "raw.npz", "w") as z:  # not a .npy at all
        z.writestr("w.npy", b"plain bytes")
        z.writestr("__minitf__.npy", manifest.getvalue())
    with pytest.raises(tf.errors.DataLossError, match="member w.npy is not a .npy array"):
        tf.train.NewCheckpointReader(str(tmp_path / "raw"))


def test_a_directory_named_checkpoint_is_no_checkpoint_state(tmp_path):
    """TF logs it and returns None (checked against TF in test_tensor_bundle.py)."""
    _saved(tmp_path)
    os.unlink(tmp_path / "checkpoint")
    os.mkdir(tmp_path / "checkpoint")
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_missing_variable_names_it(tmp_path):
    path = _saved(tmp_path)

    def more():
        return list(_vars()) + [tf.Variable(1.0, name="extra")]
    _assert_restores_nothing(more, path, tf.errors.NotFoundError,
                             "Key extra not found in checkpoint")


def test_wrong_shape_names_the_variable(tmp_path):
    path = _saved(tmp_path)

    def reshaped():
        return [tf.Variable(np.zeros((3, 2), np.float32), name="layer/w"),
                tf.Variable(np.float32(0), name="layer/b"),
                tf.Variable(np.int64(0), name="count")]
    _assert_restores_nothing(reshaped, path, tf.errors.InvalidArgumentError,
                             r"Assign requires shapes of both tensors to match. lhs shape= "
                             r"\[3,2\] rhs shape= \[2,3\] \(variable layer/w, checkpoint ")


def test_wrong_dtype_names_the_variable(tmp_path):
    path = _saved(tmp_path)

    def retyped():
        return [tf.Variable(np.zeros((2, 3), np.float32), name="layer/w"),
                tf.Variable(np.float32(0), name="layer/b"),
                tf.Variable(np.int32(0), name="count")]
    _assert_restores_nothing(retyped, path, tf.errors.InvalidArgumentError,
                             "tensor_name = count; expected dtype int32 does not equal "
                             "original dtype int64$")


def test_save_errors(tmp_path):
    _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="doesn't exist"):
            saver.save(sess, str(tmp_path / "no" / "such" / "dir" / "m"))
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver(var_list=[])


def test_saver_and_session_of_different_graphs_refuse(tmp_path):
    """A Saver built in one graph, used with a session of another: TF1's TypeError, and
    nothing restored (it used to return quietly having restored nothing)."""
    first = tf.Graph()
    with first.as_default():
        w = tf.Variable(np.float32(3.0), name="w")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(w.initializer)
            path = saver.save(sess, str(tmp_path / "m"))
    other = tf.Graph()
    with other.as_default():
        tf.Variable(np.float32(0.0), name="w")
        with tf.Session() as sess:
            with pytest.raises(TypeError, match="another graph"):
                saver.restore(sess, path)
            with pytest.raises(TypeError, match="another graph"):
                saver.save(sess, str(tmp_path / "n"))


def test_load_variable_takes_tensor_names_and_returns_scalars(tmp_path):
    w, b, step = _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
        want = sess.run(w)
    np.testing.assert_array_equal(tf.train.load_variable(path, w.name), want)  # "w:0"
    value = tf.train.load_variable(str(tmp_path), step.op.name)
    assert np.ndim(value) == 0 and not isinstance(value, np.ndarray)


@pytest.mark.parametrize("keep", [None, 0])
def test_max_to_keep_none_keeps_every_file_and_tracks_none(tmp_path, keep):
    """As TF1: every checkpoint file stays; last_checkpoints stays empty; the state file names
    only the newest."""
    _vars()
    saver = tf.train.Saver(max_to_keep=keep)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(4)]
    assert all(os.path.exists(p + ".npz") for p in paths)
    assert saver.last_checkpoints == []
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[-1]
    assert list(state.all_model_checkpoint_paths) == [paths[-1]]


def test_keep_checkpoint_every_n_hours_keeps_files_max_to_keep_would_delete(tmp_path):
    """A checkpoint falling out of max_to_keep is kept for good once the interval has passed
    since the last one kept (here a tiny interval, so every one is); the default deletes."""
    import time

    _vars()
    keeper = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-7)  # 0.36 ms
    default = tf.train.Saver(max_to_keep=1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kept, dropped = [], []
        for i in range(3):
            time.sleep(0.002)
            kept.append(keeper.save(sess, str(tmp_path / "keep"), global_step=i))
            dropped.append(default.save(sess, str(tmp_path / "drop"), global_step=i))
    assert all(os.path.exists(p + ".npz") for p in kept)
    assert keeper.last_checkpoints == kept[-1:]
    assert [os.path.exists(p + ".npz") for p in dropped] == [False, False, True]


def test_saver_odds_and_ends(tmp_path):
    w, _, _ = _vars()
    saver = tf.train.Saver(defer_build=True)
    tf.Variable(7.0, name="later")  # as TF1: a deferred Saver takes them when built
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(RuntimeError, match="called before save"):
            saver.save(sess, str(tmp_path / "m"))
        with pytest.raises(RuntimeError, match="called before restore"):
            saver.restore(sess, str(tmp_path / "m"))
        saver.build()
        path = saver.save(sess, str(tmp_path / "m"))
    assert "later" in tf.train.NewCheckpointReader(path).get_variable_to_shape_map()
    with pytest.raises(ValueError, match="build cannot be deferred"):
        tf.train.Saver([w], defer_build=True)
    with pytest.raises(ValueError, match="reserved"):
        tf.train.Saver({"__minitf__": w})


def test_checkpoint_reader(tmp_path):
    """tf.train.NewCheckpointReader / load_checkpoint: names, shapes, dtypes and values as
    saved (the variables' own values are the reference)."""
    w, b, step = _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
        values = dict(zip(["w", "b", "step"], sess.run([w, b, step])))
    for reader in (tf.train.NewCheckpointReader(path), tf.train.load_checkpoint(str(tmp_path))):
        shapes = reader.get_variable_to_shape_map()
        assert shapes == {v.op.name: v.shape.as_list() for v in (w, b, step)}
        assert reader.get_variable_to_dtype_map()[w.op.name] == w.dtype
        assert reader.has_tensor(w.op.name) and not reader.has_tensor("nope")
        np.testing.assert_array_equal(reader.get_tensor(w.op.name), values["w"])
        assert np.ndim(reader.get_tensor(step.op.name)) == 0
        assert w.op.name.encode() in reader.debug_string()
        with pytest.raises(tf.errors.NotFoundError, match="Key nope not found"):
            reader.get_tensor("nope")
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.NewCheckpointReader(str(tmp_path / "missing"))


# -- meta graphs: Saver.save writes <prefix>.meta, tf.train.import_meta_graph reads it ------------
X_META = np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)


def _meta_model():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[1.0], [2.0]], name="w")
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    y = tf.add(tf.matmul(x, w), b, name="y")
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.1).minimize(tf.reduce_mean(tf.square(y - 1.0)),
                                                 global_step=step)
    return x, w, y, train


def test_import_meta_graph_restores_and_trains_on(tmp_path):
    """Train, save (meta graph beside each checkpoint), rebuild the graph from the .meta file
    alone in a fresh graph, restore and train on: the variables equal those of the original
    session training on with the same feeds."""
    x, w, y, train = _meta_model()
    tf.add_to_collection("my_floats", 0.5)
    tf.add_to_collection("my_ints", 7)
    tf.add_to_collection("my_names", "first")
    tf.add_to_collection("outputs", y)
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(3):
            sess.run(train, {x: X_META})
            prefix = saver.save(sess, str(tmp_path / "model"), global_step=i)
        sess.run(train, {x: X_META})
        want_w, want_y = sess.run([w, y], {x: X_META})
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model-1.meta", "model-1.npz",
                                            "model-2.meta", "model-2.npz"]
    with tf.Graph().as_default() as graph:
        restored = tf.train.import_meta_graph(prefix + ".meta")
        assert [v.op.name for v in tf.trainable_variables()] == ["w", "b"]
        assert "w/Adam" in [v.op.name for v in tf.global_variables()]
        assert tf.get_collection("my_floats") == [0.5] and tf.get_collection("my_ints") == [7]
        assert tf.get_collection("my_names") == [b"first"]
        assert tf.get_collection("outputs") == [graph.get_tensor_by_name("y:0")]
        [train_op] = tf.get_collection(tf.GraphKeys.TRAIN_OP)
        with tf.Session() as sess:
            restored.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
            assert sess.run(tf.train.get_global_step()) == 3
            sess.run(train_op, {"x:0": X_META})
            np.testing.assert_allclose(sess.run("w:0"), want_w, rtol=1e-6)
            np.testing.assert_allclose(sess.run("y:0", {"x:0": X_META}), want_y, rtol=1e-6)
            assert sess.run(tf.train.get_global_step()) == 4


def test_export_meta_graph_options_and_bad_files(tmp_path):
    x, w, y, _ = _meta_model()
    tf.add_to_collection("objects", object())  # not recordable: left out
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "plain"), write_meta_graph=False)
    assert not (tmp_path / "plain.meta").exists()
    meta = tf.train.export_meta_graph(str(tmp_path / "m.meta"))
    assert "objects" not in meta.collection_def and "variables" in meta.collection_def
    tf.train.export_meta_graph(str(tmp_path / "m.pbtxt"), as_text=True)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(str(tmp_path / "m.pbtxt"), import_scope="copy")
        assert [v.op.name for v in tf.trainable_variables()] == ["copy/w", "copy/b"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run("copy/y:0", {"copy/x:0": X_META}),
                                       X_META @ [[1.0], [2.0]])
        assert saver is not None
    with tf.Graph().as_default():
        assert tf.train.import_meta_graph(tf.train.export_meta_graph()) is None  # no variables
    (tmp_path / "bad.meta").write_bytes(b"\xff\x00not a meta graph")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a MetaGraphDef"):
        tf.train.import_meta_graph(str(tmp_path / "bad.meta"))
    with pytest.raises(OSError, match="does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))


def test_tensorflow_imports_a_minitf_meta_graph(tmp_path):
    """TensorFlow's own import_meta_graph rebuilds the variables from our VariableDefs."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x, w, y, _ = _meta_model()
    tf.train.export_meta_graph(str(tmp_path / "m.meta"))
    graph = tf1.Graph()
    with graph.as_default():
        tf1.train.import_meta_graph(str(tmp_path / "m.meta"))
        names = [v.op.name for v in tf1.trainable_variables()]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            got = sess.run("y:0", {"x:0": X_META})
    assert names == ["w", "b"]
    np.testing.assert_allclose(got, X_META @ [[1.0], [2.0]])


def test_meta_graph_import_scope_restores_and_collections_of_variables(tmp_path):
    """Under import_scope the returned Saver still finds the checkpoint's (unscoped) names; a
    collection of Variables other than TF1's variable collections comes back as their tensors;
    a graph an unknown op type stops is left as it was."""
    x, w, y, _ = _meta_model()
    tf.add_to_collection("my_vars", w)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign([[3.0], [4.0]]))
        prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + ".meta", import_scope="imp")
        assert tf.get_collection("my_vars") == [graph.get_tensor_by_name("imp/w:0")]
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run("imp/w:0"), [[3.0], [4.0]])
    from minitf.protos import meta_graph_pb2

    meta = meta_graph_pb2.MetaGraphDef.FromString(open(prefix + ".meta", "rb").read())
    meta.graph_def.node.add(name="odd", op="NoSuchOpType")
    with tf.Graph().as_default() as graph:
        with pytest.raises(tf.errors.NotFoundError, match="'NoSuchOpType'"):
            tf.train.import_meta_graph(meta)
        assert graph.get_operations() == []


def test_saver_methods_export_meta_graph_proto_and_last_checkpoints(tmp_path):
    """pix2pix's export calls Saver.export_meta_graph; to_proto/from_proto and
    set_last_checkpoints are TF1's Saver API too."""
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver(max_to_keep=1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
        meta = saver.export_meta_graph(filename=str(tmp_path / "export.meta"))
        assert "v" in [n.name for n in meta.graph_def.node]
        assert isinstance(saver.to_proto(), type(saver.saver_def))
        assert saver.saver_def.max_to_keep == 1
        again = tf.train.Saver.from_proto(saver.to_proto())
        assert again.saver_def.max_to_keep == 1
        bundle = tf.train.Saver(write_version=tf.train.SaverDef.V2)
        assert tf.train.Saver.from_proto(bundle.to_proto()).saver_def.version == \
            tf.train.SaverDef.V2  # keeps writing TF's format
        saver.set_last_checkpoints([path])
        assert saver.last_checkpoints == [path]
        with pytest.raises(AssertionError, match="must be a list"):
            saver.set_last_checkpoints(path)
        del v
    with tf.Graph().as_default():
        restorer = tf.train.import_meta_graph(str(tmp_path / "export.meta"))
        with tf.Session() as sess:
            restorer.restore(sess, path)
            assert sess.run("v:0").tolist() == [1.0, 2.0]
