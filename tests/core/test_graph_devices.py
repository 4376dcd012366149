"""tf.device, tf.colocate_with and tf.train.replica_device_setter record placements on the ops
(TF's DeviceSpec strings and merge rules, the ``_class`` colocation attr), and
tf.name_scope(..., values) enters the values' graph. Expected values are what TF 2.21's
tf.compat.v1 gives in graph mode; the *_matches_tensorflow tests compare with it directly."""

from __future__ import annotations

import contextlib

import pytest

import minitf as tf
from minitf.device import device_string, parse_device


def _device_in(*scopes, make=lambda: tf.constant(1.0)):
    """The device of an op made inside the nested tf.device scopes (outermost first)."""
    with contextlib.ExitStack() as stack:
        for scope in scopes:
            stack.enter_context(tf.device(scope))
        return make().device


# (scopes, device): TF 2.21 gave these.
CANONICAL_CASES = [
    (("/cpu:0",), "/device:CPU:0"),
    (("/CPU:0",), "/device:CPU:0"),
    (("cpu:0",), "/device:CPU:0"),
    (("/gpu:1",), "/device:GPU:1"),
    (("/device:cpu:0",), "/device:CPU:0"),
    (("/cpu:*",), "/device:CPU:*"),
    (("GPU",), "/device:GPU:*"),
    (("/job:ps/task:3",), "/job:ps/task:3"),
    (("/replica:1",), "/replica:1"),
    (("/job:w/replica:0/task:1/cpu:2",), "/job:w/replica:0/task:1/device:CPU:2"),
    (("/device:XLA_GPU:0",), "/device:XLA_GPU:0"),
    (("//job:a/",), "/job:a"),
    (("",), ""),
]

MERGE_CASES = [
    (("/job:worker/task:1", "/cpu:0"), "/job:worker/task:1/device:CPU:0"),
    (("/cpu:0", "/job:ps"), "/job:ps/device:CPU:0"),
    (("/gpu:0", "/cpu:1"), "/device:CPU:1"),  # the inner scope wins field by field
    (("/cpu:0", "/job:x/task:1/device:GPU:2", "/replica:3"),
     "/job:x/replica:3/task:1/device:GPU:2"),
    (("/gpu:0", None, "/task:1"), "/task:1"),  # tf.device(None) hides the outer scopes
    (("/job:a", ""), "/job:a"),
    (("/job:a", lambda op: "/gpu:1"), "/job:a/device:GPU:1"),
    ((lambda op: "/gpu:1", "/job:a"), "/gpu:1"),  # a function's device is taken as it is
    ((lambda op: "/gpu:1",), "/gpu:1"),
    (("/job:a", lambda op: "gpu:1"), "/job:a/device:GPU:1"),
    (("/job:a", lambda op: ""), "/job:a"),
]


@pytest.mark.parametrize("scopes, expected", CANONICAL_CASES + MERGE_CASES)
def test_device_scopes_give_tensorflows_device_strings(scopes, expected):
    assert _device_in(*scopes) == expected


def test_device_function_sees_the_op_and_the_inner_device():
    seen = []

    def record(op):
        seen.append((op.type, op.device))
        return "/job:w"

    with tf.device(record):
        with tf.device("/gpu:0"):
            c = tf.constant(1.0, name="c")
    assert seen == [("Const", "/device:GPU:0")]
    assert c.device == "/job:w"  # the function's result replaces the device


def test_bad_device_strings_fail_as_in_tensorflow():
    with pytest.raises(ValueError, match="Unknown attribute 'xyz'"):
        with tf.device("/xyz:0"):  # at the `with`, before any op is made
            pass
    with pytest.raises(ValueError, match="Multiple device types"):
        tf.device("/job:ps/gpu:0/cpu:0").__enter__()
    with pytest.raises(ValueError, match="'x' is not an integer"):
        tf.device("/job:a/task:x").__enter__()
    with pytest.raises(TypeError, match="Expected binary or unicode string, got None"):
        _device_in("/job:a", lambda op: None)
    assert tf.get_default_graph().get_operations() == []  # the failed op was not added


def test_parse_and_print_device_fields():
    assert parse_device("/job:ps/replica:0/task:2/gpu:1") == {
        "job": "ps", "replica": 0, "task": 2, "device_type": "GPU", "device_index": 1}
    assert parse_device("/cpu:*") == {"device_type": "CPU"}
    assert device_string({"task": 1, "job": "w", "device_type": "CPU"}) == \
        "/job:w/task:1/device:CPU:*"


def test_devices_reach_tensors_node_defs_and_graph_defs():
    with tf.device("/cpu:0"):
        a = tf.constant(1.0, name="a")
        b = tf.identity(a, name="b")
    c = tf.identity(a, name="c")
    assert (a.device, a.op.device, b.device, c.device) == ("/device:CPU:0",) * 3 + ("",)
    assert a.op.node_def.device == "/device:CPU:0"
    gd = tf.get_default_graph().as_graph_def()
    assert [n.device for n in gd.node] == ["/device:CPU:0", "/device:CPU:0", ""]
    with tf.Session() as sess:  # one CPU runs everything, whatever the devices say
        assert sess.run(b) == 1.0


def test_colocate_with_records_groups_and_takes_the_device():
    """TF 2.21: c/d/f/h/k take a's device; e is colocated with b, which has none (and the
    /gpu:0 scope around colocate_with does not apply inside it)."""
    with tf.device("/job:ps/cpu:0"):
        a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    with tf.device("/gpu:0"):
        with tf.colocate_with(a):
            c = tf.identity(b, name="c")
            with tf.device("/gpu:1"):
                d = tf.identity(b, name="d")
        with tf.colocate_with(b.op):
            e = tf.identity(b, name="e")
            with tf.colocate_with(a):
                f = tf.identity(b, name="f")
            with tf.colocate_with(c, ignore_existing=True):
                h = tf.identity(b, name="h")
    with tf.colocate_with(c):
        k = tf.identity(b, name="k")
    ps = "/job:ps/device:CPU:0"
    got = [(t.op.name, t.device, t.op.colocation_groups()) for t in (a, c, d, e, f, h, k)]
    assert got == [("a", ps, [b"loc:@a"]), ("c", ps, [b"loc:@a"]), ("d", ps, [b"loc:@a"]),
                   ("e", "", [b"loc:@b"]), ("f", ps, [b"loc:@a", b"loc:@b"]),
                   ("h", ps, [b"loc:@a"]), ("k", ps, [b"loc:@a"])]
    assert c.op.get_attr("_class") == [b"loc:@a"]
    assert list(c.op.node_def.attr["_class"].list.s) == [b"loc:@a"]
    assert "_class" not in a.op.node_def.attr
    with pytest.raises(ValueError, match="no attr named '_class'"):
        a.op.get_attr("_class")


def test_colocate_with_a_device_less_op_keeps_inner_device_scopes():
    a = tf.constant(1.0, name="a")
    with tf.colocate_with(a):
        b = tf.constant(1.0, name="b")
        with tf.device("/gpu:0"):
            c = tf.constant(1.0, name="c")
    assert (b.device, c.device, c.op.colocation_groups()) == ("", "/device:GPU:0",
                                                              [b"loc:@a"])


def test_colocate_with_none_and_variables():
    a = tf.constant(1.0, name="a")
    with pytest.raises(ValueError, match="ignore_existing is not True"):
        with tf.colocate_with(None):
            pass
    with tf.colocate_with(a):
        with tf.colocate_with(None, ignore_existing=True):
            b = tf.constant(1.0, name="b")
    assert "_class" not in b.op.node_def.attr
    v = tf.Variable(1.0, name="v")
    with tf.colocate_with(v):
        x = tf.identity(v.value(), name="x")
    assert x.op.colocation_groups() == [b"loc:@v"]


def test_replica_device_setter_places_variables_round_robin():
    """TF 2.21 gave these devices for the VariableV2 ops and the other ops."""
    setter = tf.train.replica_device_setter(ps_tasks=3, worker_device="/job:worker/task:1")
    with tf.device(setter):
        vs = [tf.Variable(1.0, name=f"v{i}") for i in range(4)]
        with tf.device("/job:other"):
            w = tf.Variable(1.0, name="w")
        with tf.device("/gpu:1"):
            u = tf.Variable(1.0, name="u")
        c = tf.constant(1.0, name="c")
    assert [v.op.device for v in vs] == ["/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:2",
                                         "/job:ps/task:0"]
    assert (w.op.device, u.op.device, c.device) == (
        "/job:other", "/job:ps/task:1/device:GPU:1", "/job:worker/task:1")
    graph = tf.get_default_graph()
    assert graph.get_operation_by_name("v0/initial_value").device == "/job:worker/task:1"


def test_replica_device_setter_options():
    cluster = {"ps": ["a:1", "b:1"], "worker": ["w:1"]}
    with tf.device(tf.train.replica_device_setter(cluster=cluster)):
        vs = [tf.Variable(1.0, name=f"v{i}") for i in range(3)]
    assert [v.op.device for v in vs] == ["/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:0"]
    assert tf.train.replica_device_setter() is None
    assert tf.train.replica_device_setter(cluster={"worker": ["w:1"]}) is None
    with tf.device(tf.train.replica_device_setter(ps_tasks=2, merge_devices=False)):
        with tf.device("/cpu:0"):
            a = tf.Variable(1.0, name="a")
        b = tf.Variable(1.0, name="b")
    assert (a.op.device, b.op.device) == ("/device:CPU:0", "/job:ps/task:0")
    with pytest.raises(TypeError, match="ps_strategy must be callable"):
        tf.train.replica_device_setter(ps_tasks=1, ps_strategy=3)


def test_name_scope_with_values_of_another_graph_builds_there():
    """TF 2.21: ('f/', 'f/add:0', 2.0) for both forms."""
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0)
    with tf.name_scope(None, "f", [x]) as scope:
        assert tf.get_default_graph() is g
        y = x + tf.constant(1.0)
    with tf.name_scope(None, "f", [x]):
        z = tf.add(x, 1.0)
    assert tf.get_default_graph() is not g
    assert (scope, y.name, z.name) == ("f/", "f/add:0", "f_1/Add:0")
    with tf.Session(graph=g) as sess:
        assert sess.run([y, z]) == [2.0, 2.0]


def test_devices_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T):
        graph = T.Graph()
        out = []
        with graph.as_default():
            for scopes, _ in CANONICAL_CASES + MERGE_CASES:
                with contextlib.ExitStack() as stack:
                    for scope in scopes:
                        stack.enter_context(T.device(scope))
                    out.append(T.constant(1.0).device)
            with T.device("/job:ps/cpu:0"):
                a = T.constant(1.0, name="a")
            b = T.constant(2.0, name="b")
            with T.device("/gpu:0"), T.colocate_with(a):
                c = T.identity(b, name="c")
            with T.colocate_with(b.op), T.colocate_with(a):
                d = T.identity(b, name="d")
            out += [(t.device, t.op.colocation_groups()) for t in (c, d)]
            with T.device(T.train.replica_device_setter(ps_tasks=2)):
                vs = [T.Variable(1.0) for _ in range(3)]
                e = T.constant(1.0)
            out += [v.op.device for v in vs] + [e.device]
            gd = graph.as_graph_def()
            out.append([(n.name, n.device, list(n.attr["_class"].list.s)) for n in gd.node
                        if n.name in ("a", "c", "d")])
        return out

    assert run(tf) == run(tf1)


def test_a_variables_ops_sit_on_its_device():
    """As TF1: a Variable's Assign and read are colocated with it, and Variable.device is its
    op's (TF 2.21 gave these devices and groups)."""
    with tf.device("/job:ps/task:0"):
        v = tf.Variable(1.0, name="w")
    with tf.device("/job:worker"):
        u = tf.get_variable("u", [2])
    assert (v.device, u.device) == ("/job:ps/task:0", "/job:worker")
    g = tf.get_default_graph()
    for name, device in (("w/Assign", "/job:ps/task:0"), ("w/read", "/job:ps/task:0"),
                         ("u/Assign", "/job:worker"), ("u/read", "/job:worker")):
        op = g.get_operation_by_name(name)
        assert op.device == device, name
        assert op.colocation_groups() == [b"loc:@" + name.split("/")[0].encode()], name
