"""SavedModel export cases an export fuzz against TF 2.21 found (TF's answers, checked by hand:
it loads these files with the same results)."""

import numpy as np

import minitf as tf


def _load_and_run(path, feeds, outputs):
    with tf.Session(graph=tf.Graph()) as s:
        sd = tf.saved_model.loader.load(s, ["serve"], str(path)).signature_def["serving_default"]
        return s.run([sd.outputs[k].name for k in outputs], feeds)


def test_a_placeholder_with_default_input_keeps_its_default(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [None], name="y")
        with tf.Session() as s:
            tf.saved_model.simple_save(s, str(tmp_path / "m"), inputs={"x": x, "y": y},
                                       outputs={"o": x + y})
    unfed, = _load_and_run(tmp_path / "m", {"x:0": [1.0, 1.0]}, ["o"])
    fed, = _load_and_run(tmp_path / "m", {"x:0": [1.0, 1.0], "y:0": [5.0, 5.0]}, ["o"])
    np.testing.assert_array_equal(unfed, [2.0, 3.0])  # the default, as TF's SavedModel
    np.testing.assert_array_equal(fed, [6.0, 6.0])


def test_a_variable_as_a_signature_output(tmp_path):
    w = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        W = tf.Variable(w, name="W")
        info = tf.saved_model.utils.build_tensor_info(W)
        assert info.name == "W:0"  # as TF names it
        with tf.Session() as s:
            s.run(W.initializer)
            tf.saved_model.simple_save(s, str(tmp_path / "m"), inputs={"x": x},
                                       outputs={"y": tf.matmul(x, W), "W": W})
    got_w, got_y = _load_and_run(tmp_path / "m", {"x:0": [[1.0, 1.0]]}, ["W", "y"])
    np.testing.assert_array_equal(got_w, w)
    np.testing.assert_array_equal(got_y, [[1.0, 1.0]] @ w)


def test_local_variables_the_init_op_initialises(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        lv = tf.get_local_variable("lv", initializer=tf.constant([5.0, 6.0]))
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            s.run(tf.assign(lv, [50.0, 60.0]))  # TF's loader re-initialises: 5 and 6 again
            tf.saved_model.simple_save(s, str(tmp_path / "m"), inputs={"x": x},
                                       outputs={"o": x + lv},
                                       legacy_init_op=tf.local_variables_initializer())
    got, = _load_and_run(tmp_path / "m", {"x:0": [1.0, 1.0]}, ["o"])
    np.testing.assert_array_equal(got, [6.0, 7.0])
