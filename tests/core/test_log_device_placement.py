"""ConfigProto.log_device_placement prints TF's placer line per op of the graph the first
time a session runs it and again whenever it has grown; device_count['CPU'] sets how many CPU
devices list_devices describes."""

from __future__ import annotations

import pytest

import minitf as tf

_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def _program(lib):
    """Runs three fetches, adding an op between them; returns what each run returned."""
    x = lib.placeholder(lib.float32, name="x")
    y = lib.add(x, 1.0, name="y")
    z = lib.multiply(x, 3.0, name="z")
    got = []
    with lib.Session(config=lib.ConfigProto(log_device_placement=True)) as sess:
        got.append(sess.run(y, {x: 2.0}))
        got.append(sess.run(z, {x: 2.0}))
        w = lib.constant(5.0, name="w")
        got.append(sess.run(w))
    return got


# TF's lines (its placer's order differs: compared as sets, per placement).
_FIRST = {f"x: (Placeholder): {_CPU}", f"y/y: (Const): {_CPU}", f"y: (AddV2): {_CPU}",
          f"z/y: (Const): {_CPU}", f"z: (Mul): {_CPU}"}
_AFTER_W = _FIRST | {f"w: (Const): {_CPU}"}


def test_the_graph_is_logged_when_first_run_and_when_it_grew(capsys):
    with tf.Graph().as_default():
        assert _program(tf) == [3.0, 6.0, 5.0]
    lines = capsys.readouterr().out.splitlines()
    assert set(lines[:5]) == _FIRST and set(lines[5:]) == _AFTER_W and len(lines) == 11


def test_no_lines_without_the_option(capsys):
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(tf.constant(1.0) + 1.0)
    assert capsys.readouterr().out == ""


def test_device_count_sets_the_listed_cpus():
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Graph().as_default(), tf.Session(config=config) as sess:
        assert [d.name for d in sess.list_devices()] == [
            "/job:localhost/replica:0/task:0/device:CPU:0",
            "/job:localhost/replica:0/task:0/device:CPU:1"]
    with tf.Graph().as_default(), tf.Session() as sess:
        assert [d.name for d in sess.list_devices()] == [_CPU]


def test_tensorflow_prints_the_same_lines(capfd):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        assert _program(tf1) == [3.0, 6.0, 5.0]
    lines = [line for line in capfd.readouterr().out.splitlines() if ": (" in line]
    assert set(lines[:5]) == _FIRST and set(lines[5:]) == _AFTER_W
