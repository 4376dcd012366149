"""tf.train.init_from_checkpoint: variables start from a checkpoint's values (any of TF's
assignment_map forms), from minitf's and from TensorFlow's checkpoints."""

from pathlib import Path

import numpy as np
import pytest

import minitf as tf

TF_CHECKPOINT = Path(__file__).parent / "data" / "tf_checkpoint" / "model-7"


def _pretrained(tmp_path):
    """A checkpoint with enc/w, enc/b and head/w (values 1, 2, 3)."""
    with tf.Graph().as_default():
        with tf.variable_scope("enc"):
            tf.get_variable("w", initializer=np.full((2, 3), 1.0, np.float32))
            tf.get_variable("b", initializer=np.full((3,), 2.0, np.float32))
        with tf.variable_scope("head"):
            tf.get_variable("w", initializer=np.full((3, 1), 3.0, np.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver().save(sess, str(tmp_path / "pre"))


def _values(sess, names):
    graph = tf.get_default_graph()
    return {n: sess.run(graph.get_tensor_by_name(n + ":0")) for n in names}


def test_assignment_map_forms(tmp_path):
    path = _pretrained(tmp_path)
    with tf.Graph().as_default():
        with tf.variable_scope("model/encoder"):
            tf.get_variable("w", [2, 3])
            tf.get_variable("b", [3])
        with tf.variable_scope("model"):
            h = tf.get_variable("h", [3, 1])
            tf.get_variable("fresh", [1], initializer=tf.constant_initializer(9.0))
        tf.train.init_from_checkpoint(path, {"enc/": "model/encoder/", "head/w": h})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = _values(sess, ["model/encoder/w", "model/encoder/b", "model/h", "model/fresh"])
    np.testing.assert_array_equal(got["model/encoder/w"], np.full((2, 3), 1.0))
    np.testing.assert_array_equal(got["model/encoder/b"], np.full((3,), 2.0))
    np.testing.assert_array_equal(got["model/h"], np.full((3, 1), 3.0))
    np.testing.assert_array_equal(got["model/fresh"], [9.0])  # not mapped: its initializer
    # The root form, and one name to another.
    with tf.Graph().as_default():
        with tf.variable_scope("enc"):
            tf.get_variable("w", [2, 3])
            tf.get_variable("b", [3])
        with tf.variable_scope("head"):
            tf.get_variable("w", [3, 1])
        tf.train.init_from_checkpoint(path, {"/": "/"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run("head/w:0")[0, 0] == 3.0 and sess.run("enc/b:0")[0] == 2.0


def test_from_a_tensorflow_checkpoint():
    reader = tf.train.load_checkpoint(str(TF_CHECKPOINT))
    name, shape = next((n, s) for n, s in sorted(reader.get_variable_to_shape_map().items())
                       if reader.get_variable_to_dtype_map()[n] == tf.float32 and len(s) == 2)
    with tf.Graph().as_default():
        v = tf.get_variable("restored", shape, dtype=tf.float32)
        tf.train.init_from_checkpoint(str(TF_CHECKPOINT), {name: "restored"})
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(v), reader.get_tensor(name))


def test_errors(tmp_path):
    path = _pretrained(tmp_path)
    with tf.Graph().as_default():
        w = tf.get_variable("w", [3, 3])
        with pytest.raises(ValueError, match="Tensor enc/nope .* is not found in"):
            tf.train.init_from_checkpoint(path, {"enc/nope": "w"})
        with pytest.raises(ValueError, match=r"Shape of variable w \(\(3, 3\)\) doesn't match "
                                             r"with shape of tensor enc/w \(\[2, 3\]\)"):
            tf.train.init_from_checkpoint(path, {"enc/w": w})
        # As TF: a name the variable store lacks is read as a scope (here: none).
        with pytest.raises(ValueError, match="scope only name  should map to scope only enc/w"):
            tf.train.init_from_checkpoint(path, {"enc/w": "other"})
        with pytest.raises(ValueError, match="should map to scope only enc"):
            tf.train.init_from_checkpoint(path, {"enc": "x/"})
        tf.train.init_from_checkpoint(path, {"enc/": "x/"})  # no variable under x/: nothing
        i = tf.get_variable("i", [2, 3], dtype=tf.int32)
        with pytest.raises(ValueError, match="Variable i is int32, but tensor enc/w"):
            tf.train.init_from_checkpoint(path, {"enc/w": i})
