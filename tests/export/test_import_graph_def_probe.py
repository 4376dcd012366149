"""tf.import_graph_def as TensorFlow's: devices and colocation survive a GraphDef round trip,
names that collide are uniquified (inputs follow), a failed import adds nothing,
return_elements give the input_map tensors, input_map values are converted. Expected values
are what TF 2.21's tf.compat.v1 gives in graph mode; *_matches_tensorflow compares directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.export.graph_def import parse_graph_def

DATA = Path(__file__).parent / "data"


def _xy_graph_def(T=tf, z=False):
    """x (and z) placeholders feeding y = x + 1 (or x + z)."""
    g = T.Graph()
    with g.as_default():
        x = T.placeholder(T.float32, [None], name="x")
        other = T.placeholder(T.float32, [None], name="z") if z else 1.0
        T.add(x, other, name="y")
    return g.as_graph_def()


def _class(node) -> list:
    return list(node.attr["_class"].list.s) if "_class" in node.attr else []


def _names(graph=None):
    return [op.name for op in (graph or tf.get_default_graph()).get_operations()]


def _placed_graph_def(T=tf):
    """a on /job:ps/cpu:0, b colocated with a, c without device, d placed by a function."""
    g = T.Graph()
    with g.as_default():
        with T.device("/job:ps/cpu:0"):
            a = T.constant(1.0, name="a")
        with T.colocate_with(a):
            T.identity(a, name="b")
        T.identity(a, name="c")
        with T.device(lambda op: "gpu:1"):
            T.identity(a, name="d")
    return g.as_graph_def()


def test_graph_def_carries_devices_and_colocation():
    gd = _placed_graph_def()
    assert [(n.name, n.device, _class(n)) for n in gd.node] == [
        ("a", "/job:ps/device:CPU:0", []), ("b", "/job:ps/device:CPU:0", [b"loc:@a"]),
        ("c", "", []), ("d", "gpu:1", [])]


def test_import_keeps_devices_under_the_device_scopes():
    """TF 2.21: an imported node's device is merged under the scopes around the import; a
    colocated node takes its (renamed) group's device."""
    gd = _placed_graph_def()
    tf.constant(1.0, name="a")
    with tf.device("/job:w/task:2"):
        tf.import_graph_def(gd, name="")
        tf.import_graph_def(gd, name="imp")
    ps = "/job:ps/task:2/device:CPU:0"
    got = [(op.name, op.device, op.colocation_groups())
           for op in tf.get_default_graph().get_operations()]
    assert got == [("a", "", [b"loc:@a"]), ("a_1", ps, [b"loc:@a_1"]),
                   ("b", ps, [b"loc:@a_1"]), ("c", "/job:w/task:2", [b"loc:@c"]),
                   ("d", "/job:w/task:2/device:GPU:1", [b"loc:@d"]),
                   ("imp/a", ps, [b"loc:@imp/a"]), ("imp/b", ps, [b"loc:@imp/a"]),
                   ("imp/c", "/job:w/task:2", [b"loc:@imp/c"]),
                   ("imp/d", "/job:w/task:2/device:GPU:1", [b"loc:@imp/d"])]


def test_devices_round_trip_through_a_graph_def():
    """Import canonicalises a device a function set ("gpu:1"), as TF's importer does."""
    gd = _placed_graph_def()
    gd.node[3].device = "/device:GPU:1"
    assert export.graph_from_graph_def(gd).as_graph_def() == gd


def test_graph_defs_without_devices_still_load_and_export_the_same():
    """GraphDefs written before devices were recorded (none has a device) and TF's frozen
    files (with _class attrs) import, export back with the same devices and groups, and
    run."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.nn.relu(tf.matmul(x, tf.constant([[1.0], [-1.0]])), name="y")
        older = tf.get_default_graph().as_graph_def()
    for gd in [older] + [parse_graph_def(p.read_bytes(), str(p))
                         for p in sorted(DATA.glob("*_frozen.pb"))]:
        g = export.graph_from_graph_def(gd)
        placed = sorted((n.name, n.device, _class(n)) for n in g.as_graph_def().node)
        assert placed == sorted((n.name, n.device, _class(n)) for n in gd.node)
        assert {op.device for op in g.get_operations()} == {""}
    with tf.Session(graph=export.graph_from_graph_def(older)) as sess:
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[3.0, 1.0]]}), [[2.0]])


def test_name_collisions_are_uniquified():
    """TF 2.21 gave these names."""
    gd = _xy_graph_def()
    tf.constant(1.0, name="import/x")
    r1 = tf.import_graph_def(gd, return_elements=["y:0", "x"])
    r2 = tf.import_graph_def(gd, return_elements=["y:0"], name="")
    r3 = tf.import_graph_def(gd, return_elements=["y:0"])
    assert (r1[0].name, r1[1].name, r2[0].name, r3[0].name) == (
        "import/y:0", "import/x_1", "y:0", "import_1/y:0")
    assert [t.name for t in r1[0].op.inputs] == ["import/x_1:0", "import/y/y:0"]


def test_uniquified_names_skip_taken_and_graph_def_names():
    tf.constant(1.0, name="x")
    tf.constant(1.0, name="x_1")
    y, x = tf.import_graph_def(_xy_graph_def(), return_elements=["y:0", "x"], name="")
    assert (y.name, x.name, [t.name for t in y.op.inputs]) == ("y:0", "x_2", ["x_2:0", "y/y:0"])
    assert tf.constant(2.0, name="x").name == "x_3:0"

    tf.reset_default_graph()
    tf.constant(1.0, name="x/q")  # a scope in use counts as taken too
    tf.import_graph_def(_xy_graph_def(), name="")
    assert _names() == ["x/q", "x_1", "y/y", "y"]

    tf.reset_default_graph()
    g = tf.Graph()
    with g.as_default():  # the GraphDef's own "x_1" keeps its name; x skips it
        tf.add(tf.placeholder(tf.float32, name="x"), 1.0, name="x_1")
    tf.constant(1.0, name="x")
    tf.import_graph_def(g.as_graph_def(), name="")
    assert _names() == ["x", "x_2", "x_1/y", "x_1"]


def test_renamed_control_inputs_and_colocation_follow():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        with tf.control_dependencies([a]):
            tf.constant(2.0, name="c")
        with tf.colocate_with(a):
            tf.identity(a, name="b")
    tf.constant(1.0, name="a")
    tf.import_graph_def(g.as_graph_def(), name="")
    graph = tf.get_default_graph()
    assert _names() == ["a", "a_1", "c", "b"]
    assert [op.name for op in graph.get_operation_by_name("c").control_inputs] == ["a_1"]
    b = graph.get_operation_by_name("b")
    assert ([t.name for t in b.inputs], b.colocation_groups()) == (["a_1:0"], [b"loc:@a_1"])


def test_failed_import_adds_nothing_and_raises_value_error():
    """TF 2.21: ValueError 'Input 1 of node imp/y was passed int32 from c:0 incompatible with
    expected float.'; the graph keeps only c, and the prefix stays used."""
    c = tf.constant([1], tf.int32, name="c")
    version = tf.get_default_graph().version
    with pytest.raises(ValueError) as info:
        tf.import_graph_def(_xy_graph_def(z=True), input_map={"z:0": c}, name="imp")
    assert type(info.value) is ValueError
    assert str(info.value) == ("Input 1 of node imp/y was passed int32 from c:0 incompatible "
                               "with expected float.")
    assert _names() == ["c"] and c.consumers() == []
    assert tf.get_default_graph().version > version
    assert tf.constant(1.0, name="imp").name == "imp_1:0"
    assert tf.constant(1.0, name="x").name == "x:0"

    tf.reset_default_graph()
    c = tf.constant([1], tf.int32, name="c")
    with pytest.raises(ValueError, match="^Input 0 of node y was passed int32 from c:0 "):
        tf.import_graph_def(_xy_graph_def(), input_map={"x:0": c}, name="")
    with pytest.raises(ValueError, match="not found in graph_def"):
        tf.import_graph_def(_xy_graph_def(), return_elements=["q:0"], name="")
    assert _names() == ["c"]
    y, = tf.import_graph_def(_xy_graph_def(), return_elements=["y:0"], name="")
    assert y.name == "y:0"  # the failed imports left no name taken


def test_return_elements_give_the_mapped_tensors():
    """TF 2.21: ['c:0', 'import/x', 'import/y:0', 'import/z:0'] and ['c:0']."""
    c = tf.constant([1.0], name="c")
    r = tf.import_graph_def(_xy_graph_def(z=True), input_map={"x:0": c},
                            return_elements=["x:0", "x", "y:0", "z:0"])
    assert [t.name for t in r] == ["c:0", "import/x", "import/y:0", "import/z:0"]
    assert r[0] is c
    r = tf.import_graph_def(_xy_graph_def(), input_map={"x": c}, return_elements=["x:0"])
    assert r[0] is c


def test_input_map_values_are_converted():
    """TF 2.21: y = [4, 6]; the converted values are Consts under import/_inputs."""
    r = tf.import_graph_def(_xy_graph_def(z=True), return_elements=["y:0", "x:0", "z:0"],
                            input_map={"x:0": [1.0, 2.0], "z:0": np.array([3.0, 4.0],
                                                                         np.float32)})
    assert [t.name for t in r] == ["import/y:0", "import/_inputs/Const:0",
                                   "import/_inputs/Const_1:0"]
    assert _names() == ["import/_inputs/Const", "import/_inputs/Const_1", "import/x",
                        "import/z", "import/y"]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(r[0]), [4.0, 6.0])
    with pytest.raises(ValueError, match="requires a non-empty `name` if `input_map` contains "
                                         "non-Tensor values"):
        tf.import_graph_def(_xy_graph_def(), input_map={"x:0": [1.0]}, name="")
    with pytest.raises(ValueError, match="Input 0 of node import_1/y was passed int32 from "
                                         "import_1/_inputs/Const:0"):
        tf.import_graph_def(_xy_graph_def(), input_map={"x:0": [1, 2]})
    with pytest.raises(TypeError, match="Can't convert Operation 'n' to Tensor"):
        tf.import_graph_def(_xy_graph_def(), input_map={"x:0": tf.no_op(name="n")})


def test_input_map_keys_no_node_reads_must_name_an_output():
    """TF 2.21 accepts a key an input reads even without such a node; it refuses 'x:3'."""
    gd = _xy_graph_def()
    gd.node[-1].input[0] = "zz"
    c = tf.constant([1.0], name="c")
    y, = tf.import_graph_def(gd, input_map={"zz:0": c}, return_elements=["y:0"])
    assert y.op.inputs[0] is c
    with pytest.raises(ValueError, match=r"not found in graph_def: \[x:3\]"):
        tf.import_graph_def(_xy_graph_def(), input_map={"x:3": c}, name="q")
    assert not any(name.startswith("q/") for name in _names())


def test_import_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T):
        graph = T.Graph()
        out = []
        with graph.as_default():
            T.constant(1.0, name="import/x")
            T.constant(1.0, name="a")
            r = T.import_graph_def(_xy_graph_def(T), return_elements=["y:0", "x"])
            out.append((r[0].name, r[1].name, [t.name for t in r[0].op.inputs]))
            with T.device("/job:w/task:2"):
                T.import_graph_def(_placed_graph_def(T), name="")
            c = T.constant([3.0], name="c")
            r = T.import_graph_def(_xy_graph_def(T, z=True), input_map={"x:0": c, "z:0": [1.0]},
                                   return_elements=["x:0", "y:0"], name="m")
            out.append([t.name for t in r])
            i = T.constant([1], T.int32, name="i")
            try:
                T.import_graph_def(_xy_graph_def(T), input_map={"x:0": i}, name="bad")
            except ValueError as e:
                out.append((type(e).__name__, str(e)))
            out.append([(op.name, op.device, op.colocation_groups())
                        for op in graph.get_operations()])
        return out

    assert run(tf) == run(tf1)


def test_a_control_key_in_input_map_moves_the_control_edge():
    """input_map={"^x": t}: the ops that waited for x wait for t; x's data consumers keep x
    (TF 2.21 gave these inputs and imp/w = 1.0)."""
    src = tf.Graph()
    with src.as_default():
        x = tf.constant(1.0, name="x")
        tf.identity(x, name="w")
        with tf.control_dependencies([x]):
            tf.constant(2.0, name="z")
    g = tf.Graph()
    with g.as_default():
        t = tf.constant(5.0, name="t")
        tf.import_graph_def(src.as_graph_def(), input_map={"^x": t}, name="imp")
        with pytest.raises(ValueError, match=r"not found in graph_def: \[\^nope\]"):
            tf.import_graph_def(src.as_graph_def(), input_map={"^nope": t}, name="again")
    w, z = g.get_operation_by_name("imp/w"), g.get_operation_by_name("imp/z")
    assert [i.name for i in w.inputs] == ["imp/x:0"]
    assert [c.name for c in z.control_inputs] == ["t"]
    with tf.Session(graph=g) as sess:
        assert sess.run("imp/w:0") == 1.0


def test_names_taken_after_an_import_still_collide():
    """The importer's set of taken names follows ops added after an earlier import."""
    src = tf.Graph()
    with src.as_default():
        tf.constant(1.0, name="y")
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(src.as_graph_def(), name="imp")  # builds the set
        tf.constant(2.0, name="later/y")
        (op,) = tf.import_graph_def(src.as_graph_def(), name="later", return_elements=["y"])
    assert op.name == "later/y_1"


def test_a_failed_import_keeps_another_threads_ops(monkeypatch):
    """The import holds the graph's lock: an op another thread adds meanwhile waits, and the
    rollback of a failed import does not take it away."""
    import threading

    from minitf.export import graph_def as graph_def_module

    src = tf.Graph()
    with src.as_default():
        tf.constant(1.0, name="x")
    g = tf.Graph()
    seen = {}

    def add_const():
        with g.as_default():
            seen["op"] = tf.constant(7.0, name="thread_b_const").op

    check = graph_def_module._check_input_map_found

    def check_with_another_thread(*args):
        thread = threading.Thread(target=add_const)
        thread.start()
        thread.join(0.3)
        seen["waited"], seen["thread"] = thread.is_alive(), thread
        return check(*args)

    monkeypatch.setattr(graph_def_module, "_check_input_map_found", check_with_another_thread)
    with g.as_default(), pytest.raises(ValueError, match="nope:0"):
        tf.import_graph_def(src.as_graph_def(), input_map={"nope:0": tf.constant(0.0)},
                            name="imp")
    seen["thread"].join(10)
    assert seen["waited"]
    assert g.get_operation_by_name("thread_b_const") is seen["op"]
    assert not any(op.name.startswith("imp/") for op in g.get_operations())


def test_underscore_attrs_survive_import_as_in_tensorflow():
    """Marks like the jit scope's ``_XlaCompile`` stay on imported ops (TF keeps every attr);
    ``_output_shapes`` is dropped here, as minitf works shapes out itself."""
    def graph_def(T):
        with T.Graph().as_default() as g:
            y = T.square(T.placeholder(T.float32, [2], name="x"), name="y")
            y.op._set_attr("_XlaCompile", T.AttrValue(b=True))
            y.op._set_attr("_XlaScope", T.AttrValue(s=b"jit_scope_0"))
            return g.as_graph_def(add_shapes=True)

    def reimported(T, gd):
        with T.Graph().as_default() as g:
            T.import_graph_def(gd, name="")
            op = g.get_operation_by_name("y")
            node = next(n for n in g.as_graph_def().node if n.name == "y")
            return op.get_attr("_XlaCompile"), op.get_attr("_XlaScope"), sorted(node.attr)

    got = reimported(tf, graph_def(tf))
    assert got == (True, b"jit_scope_0", ["T", "_XlaCompile", "_XlaScope"])
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    want = reimported(tf1, graph_def(tf1))
    assert got[:2] == want[:2] and set(got[2]) <= set(want[2])
