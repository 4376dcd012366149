"""tf.train.Saver: round trip, retention, and every bad-checkpoint case restoring nothing."""

import os

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
    text = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-3"' in text  # TF's format, relative to the directory


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
        with pytest.raises(tf.errors.NotFoundError, match="Parent directory"):
            saver.save(sess, str(tmp_path / "a" / "b" / "model.ckpt"))
    assert not os.path.exists(tmp_path / "a")


def test_missing_checkpoint(tmp_path):
    _assert_restores_nothing(_vars, str(tmp_path / "nothing"), tf.errors.NotFoundError,
                             "Failed to find any matching files")
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
                             r"variable layer/w has shape \[2, 3\] in the checkpoint")


def test_wrong_dtype_names_the_variable(tmp_path):
    path = _saved(tmp_path)

    def retyped():
        return [tf.Variable(np.zeros((2, 3), np.float32), name="layer/w"),
                tf.Variable(np.float32(0), name="layer/b"),
                tf.Variable(np.int32(0), name="count")]
    _assert_restores_nothing(retyped, path, tf.errors.InvalidArgumentError,
                             "variable count has dtype int64 in the checkpoint but int32")


def test_save_errors(tmp_path):
    _vars()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.NotFoundError, match="doesn't exist"):
            saver.save(sess, str(tmp_path / "no" / "such" / "dir" / "m"))
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver(var_list=[])
