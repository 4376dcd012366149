"""tf.train.Server and Session targets: a server made in this process gives a target that
sessions run here; other targets are refused with TF's error or a clear UnimplementedError."""

from __future__ import annotations

import re

import pytest

import minitf as tf


def test_local_server_target_runs_sessions_here():
    server = tf.train.Server.create_local_server()
    assert re.fullmatch(r"grpc://localhost:\d+", server.target)
    other = tf.train.Server({"local": ["localhost:2222"]}, start=False)
    assert other.target == "grpc://localhost:2222"
    with tf.Graph().as_default():
        c = tf.constant(2) * 3
        with tf.Session(server.target) as sess:
            assert sess.run(c) == 6
            assert sess.sess_str == server.target.encode()
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        inc = tf.assign_add(step, 1)
        with tf.train.MonitoredTrainingSession(master=other.target) as sess:
            assert sess.run(inc) == 1
    with pytest.raises(tf.errors.UnimplementedError, match="no distributed runtime"):
        server.join()


@pytest.mark.parametrize("kwargs, message", [
    ({"server_or_cluster_def": {"a": ["localhost:0"], "b": ["localhost:0"]}},
     "Must specify an explicit `job_name`."),
    ({"server_or_cluster_def": {"a": ["localhost:0", "localhost:0"]}, "job_name": "a"},
     "Must specify an explicit `task_index`."),
    ({"server_or_cluster_def": {"a": ["localhost:0"]}, "job_name": "zz"},
     "No such job in cluster: 'zz'"),
])
def test_server_argument_errors_as_tensorflow(kwargs, message):
    with pytest.raises(ValueError) as info:
        tf.train.Server(start=False, **kwargs)
    assert str(info.value) == message


def test_other_targets_are_refused():
    with pytest.raises(tf.errors.NotFoundError, match=r'^No session factory registered for the '
                       r'given session options: \{target: "foo://bar"\}'):
        tf.Session("foo://bar")
    with pytest.raises(tf.errors.NotFoundError, match="No session factory"):
        tf.Session("local")
    with pytest.raises(tf.errors.UnimplementedError, match="cannot connect to a TensorFlow "
                       "server"):
        tf.Session("grpc://localhost:1")
    with pytest.raises(tf.errors.UnimplementedError, match="one process"):
        tf.train.MonitoredTrainingSession(master="grpc://localhost:1")


def test_server_errors_side_by_side():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for kwargs, message in [({"server_or_cluster_def": {"a": ["localhost:0"],
                                                         "b": ["localhost:0"]}},
                             "Must specify an explicit `job_name`."),
                            ({"server_or_cluster_def": {"a": ["localhost:0"]},
                              "job_name": "zz"}, "No such job in cluster: 'zz'")]:
        with pytest.raises(ValueError) as info:
            tf1.train.Server(start=False, **kwargs)
        assert str(info.value) == message
    with pytest.raises(tf1.errors.NotFoundError, match='No session factory registered for the '
                       'given session options: {target: "foo://bar"'):
        tf1.Session("foo://bar").run(tf1.constant(1))
