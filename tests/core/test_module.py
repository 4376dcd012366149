"""tf.variable_creator_scope and tf.Module (core/module.py, core/ref_variable.py).

TF-free tests check hand-written expectations: the keyword arguments TF 2.21's VariableV1
passes a creator, creator nesting and scoping, Module names, attribute walks and checkpoint
keys worked out from TF's rules. The side-by-side tests (skipped without TensorFlow) build the
same things with tf.compat.v1 in a tf1.Graph and compare, and restore checkpoints across the
two libraries.
"""

import threading

import numpy as np
import pytest

import minitf as tf
from minitf.train import checkpoint_graph as cg

TF_KEYS = ["initial_value", "trainable", "validate_shape", "caching_device", "name",
           "variable_def", "dtype", "import_scope", "constraint", "synchronization",
           "aggregation", "shape", "experimental_enable_variable_lifting", "expected_shape",
           "collections", "use_resource"]


def _recording(log, tag=None):
    def creator(next_creator, **kwargs):
        log.append(kwargs if tag is None else (tag, kwargs["name"]))
        return next_creator(**kwargs)
    return creator


# -- variable_creator_scope ----------------------------------------------------------------------
def test_creator_sees_tf_kwargs_for_variable_and_get_variable():
    log = []
    with tf.Graph().as_default(), tf.variable_creator_scope(_recording(log)):
        v = tf.Variable(1.5, name="a")
        with tf.variable_scope("s"):
            w = tf.get_variable("w", [2, 3], initializer=tf.ones_initializer())
        u = tf.Variable(2.0, False, name="u")  # positional trainable, TF1's order
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            assert s.run(v) == 1.5
            np.testing.assert_array_equal(s.run(w), np.ones([2, 3], np.float32))
    assert [list(k) for k in log] == [TF_KEYS] * 3
    a, g, b = log
    assert a["initial_value"] == 1.5 and a["name"] == "a"
    assert a["trainable"] is None and a["use_resource"] is None and a["dtype"] is None
    assert a["synchronization"] is tf.VariableSynchronization.AUTO
    assert a["aggregation"] is tf.VariableAggregation.NONE
    assert a["validate_shape"] is True and a["shape"] is None and a["collections"] is None
    assert g["name"] == "s/w" and g["trainable"] is True and g["dtype"] == tf.float32
    # TF 1.x resolves get_variable's use_resource to the global switch's value (off).
    assert g["shape"] == tf.TensorShape([2, 3]) and g["use_resource"] is False
    assert callable(g["initial_value"])
    assert b["trainable"] is False and v.trainable and not u.trainable


def test_creators_nest_inner_first_and_can_change_kwargs():
    order = []

    def outer(next_creator, **kw):
        order.append("outer")
        kw["trainable"] = False
        return next_creator(**kw)

    def inner(next_creator, **kw):
        order.append("inner")
        kw["name"] = "renamed"
        kw["not_a_tf_key"] = 1  # the default creator ignores keys it does not know, as TF's
        return next_creator(**kw)

    with tf.Graph().as_default() as g:
        with tf.variable_creator_scope(outer), tf.variable_creator_scope(inner):
            v = tf.Variable(3.0, name="v")
        assert order == ["inner", "outer"]
        assert v.op.name == "renamed" and not v.trainable
        assert g.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == []
        w = tf.Variable(1.0, name="after")  # scopes closed: plain construction again
        assert w.trainable and order == ["inner", "outer"]


def test_creator_returning_something_else_and_calling_next_twice():
    made = []

    def two(next_creator, **kw):
        first = next_creator(**kw)
        made.append(next_creator(**kw))
        return first

    with tf.Graph().as_default() as g:
        with tf.variable_creator_scope(lambda next_creator, **kw: ("no", kw["name"])):
            assert tf.Variable(1.0, name="x") == ("no", "x")
            assert tf.get_variable("gv", [2]) == ("no", "gv")
        assert g.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) == []
        with tf.variable_creator_scope(two):
            v = tf.Variable(1.0, name="y")
        assert v.op.name == "y" and made[0].op.name == "y_1"


def test_creator_scope_is_per_graph_and_per_thread():
    log, other = [], tf.Graph()
    with tf.Graph().as_default() as g, tf.variable_creator_scope(_recording(log)):
        with other.as_default():
            tf.Variable(1.0, name="elsewhere")  # another graph: its own (empty) stack

        def work():
            with g.as_default():
                tf.Variable(1.0, name="thread")
        t = threading.Thread(target=work)
        t.start()
        t.join()
        tf.Variable(1.0, name="here")
    assert [k["name"] for k in log] == ["here"]


def test_creator_scope_errors():
    with tf.Graph().as_default() as g:
        with pytest.raises(TypeError, match="callable"):
            with tf.variable_creator_scope(3):
                pass
        first = tf.variable_creator_scope(lambda n, **k: n(**k))
        second = tf.variable_creator_scope(lambda n, **k: n(**k))
        first.__enter__()
        second.__enter__()
        with pytest.raises(RuntimeError, match="without proper nesting"):
            first.__exit__(None, None, None)
        second.__exit__(None, None, None)
        g._local.variable_creator_stack = []
        assert tf.Variable(1.0).op.name == "Variable"


def test_creator_sees_slots_layer_weights_and_save_counter():
    log = []
    with tf.Graph().as_default(), tf.variable_creator_scope(_recording(log, "c")):
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.layers.dense(x, 2, name="d")
        opt = tf.train.AdamOptimizer(0.1)
        opt.minimize(tf.reduce_sum(y))
        assert tf.train.Checkpoint(opt=opt).save_counter.op.name == "save_counter"
    names = [n for _, n in log]
    assert names[:2] == ["d/kernel", "d/bias"]
    assert {"beta1_power", "beta2_power", "save_counter"} <= set(names)
    assert sum(n.startswith("d/kernel/Adam") for n in names) == 2


# -- tf.Module: names -----------------------------------------------------------------------------
class MyDense(tf.Module):
    def __init__(self, n, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(np.ones([2, n], np.float32), name="w")
            self.b = tf.Variable(np.zeros([n], np.float32), name="b", trainable=False)

    @tf.Module.with_name_scope
    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


class CamelCaseHTTPThing(tf.Module):
    pass


def test_module_names_and_scopes():
    with tf.Graph().as_default():
        a, b, c = MyDense(3), MyDense(3), MyDense(3, name="c")
        assert (a.name, b.name, c.name) == ("my_dense", "my_dense", "c")
        assert (a.name_scope.name, b.name_scope.name) == ("my_dense/", "my_dense_1/")
        assert (a.w.op.name, b.w.op.name) == ("my_dense/w", "my_dense_1/w")
        x = tf.placeholder(tf.float32, [None, 2])
        assert a(x).op.name == "my_dense/add" and a(x).op.name == "my_dense/add_1"
        with tf.name_scope("outer"):
            o = MyDense(1)
        assert o.name == "my_dense" and o.name_scope.name == "outer/my_dense/"
        assert CamelCaseHTTPThing().name == "camel_case_http_thing"
        for bad in ("1x", "a b", ""):
            with pytest.raises(ValueError, match="is not a valid module name"):
                tf.Module(name=bad)


def _tree(lib, dense):
    """The module tree of the comparisons: lists, dicts, tuples, a shared submodule, a
    re-assigned and a deleted attribute (same construction in both libraries)."""
    a, b, c = dense(3), dense(3), dense(3, name="c")
    root = lib.Module(name="root")
    root.z = lib.Variable(1.0, name="z")
    root.layers = [a, {"y": b, "x": lib.Variable(2.0, name="dx")}, (c, 5)]
    root.cfg = {"k": 3}
    root.shape = (2, 3)
    root.a_alias = a
    root.tup = (lib.Variable(3.0, name="t0"),)
    root.later = lib.Variable(4.0, name="later")
    root.later = 7  # TF keeps the dependency on the variable
    root.gone = lib.Variable(5.0, name="gone")
    del root.gone
    root._priv = lib.Variable(6.0, name="priv")
    return root


def test_module_variables_submodules_and_flatten():
    with tf.Graph().as_default():
        root = _tree(tf, MyDense)
        names = [v.op.name for v in root.variables]
        # attributes by name (_priv, a_alias, cfg, later, layers, shape, tup, z), leaves through
        # containers (dicts by key), then submodules in the order found, each once
        assert names == ["priv", "dx", "t0", "z", "my_dense/b", "my_dense/w", "my_dense_1/b",
                         "my_dense_1/w", "c/b", "c/w"]
        assert [v.op.name for v in root.non_trainable_variables] == [
            "my_dense/b", "my_dense_1/b", "c/b"]
        assert len(root.trainable_variables) == 7
        assert [m.name_scope.name for m in root.submodules] == ["my_dense/", "my_dense_1/",
                                                                  "c/"]
        paths = [(p, v.op.name) for p, v in root._flatten(
            predicate=lambda v: isinstance(v, tf.Variable), with_path=True)]
        assert paths[:4] == [(("_priv",), "priv"), (("layers", 1, "x"), "dx"),
                             (("tup", 0), "t0"), (("z",), "z")]
        # with paths, a module reached twice is walked twice (a_alias and layers/0)
        assert (("a_alias", "w"), "my_dense/w") in paths
        assert (("layers", 0, "w"), "my_dense/w") in paths
        assert [v.op.name for v in root._flatten(
            recursive=False, predicate=lambda v: isinstance(v, tf.Variable))] == [
            "priv", "dx", "t0", "z"]
        root.layers[0].parent = root  # a cycle ends the walk
        assert len(root.variables) == 10


def test_module_checkpoint_keys_and_object_graph(tmp_path):
    with tf.Graph().as_default():
        root = _tree(tf, MyDense)
        ck = tf.train.Checkpoint(root=root)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            p = ck.save(str(tmp_path / "ck"), session=s)
        nodes = cg.serialize(ck).nodes
    keys = [k for k, _ in tf.train.list_variables(p)]
    v = "/.ATTRIBUTES/VARIABLE_VALUE"
    assert keys == ["_CHECKPOINTABLE_OBJECT_GRAPH"] + [f"root/{k}{v}" for k in (
        "_priv", "a_alias/b", "a_alias/w", "later", "layers/1/x", "layers/1/y/b",
        "layers/1/y/w", "layers/2/0/b", "layers/2/0/w", "tup/0", "z")] + [f"save_counter{v}"]
    # dependencies in assignment order; the tuple of ints is none, the dict of ints is one
    assert nodes[1].children == [(3, "z"), (4, "layers"), (5, "cfg"), (6, "a_alias"),
                                 (7, "tup"), (8, "later"), (9, "_priv")]
    assert nodes[4].children == [(6, "0"), (10, "1"), (11, "2")]
    assert nodes[10].children == [(15, "y"), (16, "x")]  # dict insertion order
    assert nodes[11].children == [(17, "0")] and nodes[5].children == []
    assert nodes[6].children == [(12, "w"), (13, "b")]


def test_module_checkpoint_round_trip(tmp_path):
    with tf.Graph().as_default():
        root = _tree(tf, MyDense)
        ck = tf.train.Checkpoint(root=root)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(root.layers[0].w.assign(np.full([2, 3], 7.0, np.float32)))
            p = ck.save(str(tmp_path / "ck"), session=s)
    with tf.Graph().as_default():
        root = _tree(tf, MyDense)
        st = tf.train.Checkpoint(root=root).restore(p)
        st.assert_consumed()
        with tf.Session() as s:
            st.initialize_or_restore(s)
            np.testing.assert_array_equal(s.run(root.a_alias.w), np.full([2, 3], 7.0))
            assert s.run(root._priv) == 6.0


# -- side by side with TensorFlow ------------------------------------------------------------------
def _tf_dense(tf1):
    class TFDense(tf1.Module):
        def __init__(self, n, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf1.Variable(np.ones([2, n], np.float32), name="w")
                self.b = tf1.Variable(np.zeros([n], np.float32), name="b", trainable=False)

        @tf1.Module.with_name_scope
        def __call__(self, x):
            return tf1.matmul(x, self.w) + self.b
    TFDense.__name__ = "MyDense"
    return TFDense


def _creator_log(lib):
    log = []

    def creator(next_creator, **kw):
        log.append({k: (type(v).__name__ if k == "initial_value" else
                        getattr(v, "name", v) if k == "dtype" else
                        str(v) if k in ("shape", "synchronization", "aggregation") else v)
                    for k, v in kw.items()})
        return next_creator(**kw)

    with lib.Graph().as_default(), lib.variable_creator_scope(creator):
        lib.Variable(1.5, name="a")
        lib.Variable(2.0, trainable=False, collections=["c", "variables"], name="b",
                     dtype=lib.float32, validate_shape=False)
        with lib.variable_scope("s"):
            lib.get_variable("w", [2, 3])
            lib.get_variable("i", [], dtype=lib.int32, trainable=False,
                             collections=["variables"])
    return log


def test_tf_creator_kwargs_match():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    # TF 1.x's default (disable_v2_behavior turns it off): get_variable resolves use_resource
    # to it. Only this switch is flipped here, and back (eager mode is left alone).
    was_on = tf1.resource_variables_enabled()
    tf1.disable_resource_variables()
    try:
        ours, theirs = _creator_log(tf), _creator_log(tf1)
    finally:
        if was_on:
            tf1.enable_resource_variables()
    assert [list(k) for k in ours] == [list(k) for k in theirs]
    assert ours == theirs


def _names_and_walks(lib, dense):
    with lib.Graph().as_default():
        a, b = dense(3), dense(3)
        x = lib.placeholder(lib.float32, [None, 2])
        ops = [a(x).name, a(x).name]
        with lib.name_scope("outer"):
            o = dense(1)
        root = _tree(lib, dense)
        is_var = (lambda v: isinstance(v, tf.Variable)) if lib is tf else None
        if is_var is None:
            import tensorflow

            is_var = lambda v: isinstance(v, tensorflow.Variable)  # noqa: E731
        return dict(
            scopes=[a.name_scope.name, b.name_scope.name, o.name_scope.name, o.w.name], ops=ops,
            vars=[v.name for v in root.variables],
            train=[v.name for v in root.trainable_variables],
            subs=[m.name_scope.name for m in root.submodules],
            paths=[(p, v.name) for p, v in root._flatten(predicate=is_var, with_path=True)])


def test_tf_module_names_and_walks_match():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _names_and_walks(tf, MyDense) == _names_and_walks(tf1, _tf_dense(tf1))


def _save_tree(lib, dense, path, scale):
    with lib.Graph().as_default():
        root = _tree(lib, dense)
        ck = lib.train.Checkpoint(root=root)
        with lib.Session() as s:
            s.run(lib.global_variables_initializer())
            for i, v in enumerate(root.variables):
                s.run(v.assign(np.full(v.shape.as_list(), scale * (i + 1), np.float32)))
            return ck.save(path, session=s)


def _restored_tree(lib, dense, path):
    with lib.Graph().as_default():
        root = _tree(lib, dense)
        st = lib.train.Checkpoint(root=root).restore(path)
        st.assert_consumed()
        with lib.Session() as s:
            st.run_restore_ops(s)
            return [s.run(v).tolist() for v in root.variables]


def test_tf_module_checkpoints_interoperate(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tf_dense = _tf_dense(tf1)
    mp = _save_tree(tf, MyDense, str(tmp_path / "m" / "ck"), 1.0)
    tp = _save_tree(tf1, tf_dense, str(tmp_path / "t" / "ck"), 1.0)
    key = "_CHECKPOINTABLE_OBJECT_GRAPH"
    assert tf1.train.load_checkpoint(mp).get_tensor(key) == \
        tf1.train.load_checkpoint(tp).get_tensor(key)
    assert tf1.train.list_variables(mp) == tf1.train.list_variables(tp)
    expected = _restored_tree(tf, MyDense, mp)
    assert expected[0] == 1.0 and expected[-1] == np.full([2, 3], 10.0).tolist()
    assert _restored_tree(tf1, tf_dense, mp) == expected  # TF reads minitf's file
    assert _restored_tree(tf, MyDense, tp) == expected  # and minitf TF's
