"""Where an op was made: ``Operation.traceback`` and the stack an OpError's ``str()`` adds
(TF's "Original stack trace for ..."), checked against this file's own line numbers and
against TensorFlow's record of the same program."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minitf as tf


def _make_reshape(x):
    return tf.reshape(x, tf.stack([2, tf.shape(x)[0]]), name="bad_reshape")  # LINE-RESHAPE


def _line(marker):
    with open(__file__) as f:
        return next(i for i, text in enumerate(f, 1) if f"# {marker}" in text)


def test_traceback_ends_in_the_users_frames_outermost_first():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = _make_reshape(x)  # LINE-CALL
        tb = y.op.traceback
    # minitf's own frames are left out: the innermost frame is the line that made the op.
    filename, lineno, name, line = tb[-1]
    assert (filename, lineno, name) == (__file__, _line("LINE-RESHAPE"), "_make_reshape")
    assert line.startswith("return tf.reshape(x")
    assert (tb[-2].filename, tb[-2].lineno, tb[-2].name) == (
        __file__, _line("LINE-CALL"), "test_traceback_ends_in_the_users_frames_outermost_first")
    package = os.path.join(os.path.dirname(tf.__file__), "")
    assert tb and not any(f.filename.startswith(package) for f in tb)


def test_run_time_error_str_adds_the_ops_stack_but_message_does_not():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = _make_reshape(x)
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: np.ones((1, 3), np.float32)})
    e = info.value
    assert e.op is y.op
    assert e.message == ("Input to reshape is a tensor with 3 values, but the requested shape "
                         "has 2\n\t [[{{node bad_reshape}}]]")
    text = str(e)
    assert text.startswith(e.message + "\n\nOriginal stack trace for 'bad_reshape':\n")
    assert (f'  File "{__file__}", line {_line("LINE-RESHAPE")}, in _make_reshape\n'
            f'    return tf.reshape(x, tf.stack([2, tf.shape(x)[0]]), name="bad_reshape")  '
            f'# LINE-RESHAPE\n' in text)


def test_errors_without_an_op_print_only_their_message():
    e = tf.errors.NotFoundError(None, None, "no such file")
    assert str(e) == "no such file"


def test_ops_made_on_one_line_share_one_recorded_stack():
    with tf.Graph().as_default():
        x = tf.constant(1.0)
        ops = [tf.identity(x).op for _ in range(3)]
    assert ops[0]._stack is ops[1]._stack is ops[2]._stack


def test_user_frames_match_tensorflows_record():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def user_frames(lib):
        g = lib.Graph()
        with g.as_default():
            x = lib.placeholder(lib.float32, [None, 3])
            y = lib.nn.relu(lib.matmul(x, lib.ones([3, 2])), name="act")
        return [(f[0], f[1], f[2]) for f in y.op.traceback if f[0] == __file__]

    ours, theirs = user_frames(tf), user_frames(tf1)
    assert ours and ours == theirs
