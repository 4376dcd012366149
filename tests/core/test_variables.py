"""Variables, get_variable, variable_scope, initializers and seeds.

Names and messages were checked against TensorFlow 2.21's tf.compat.v1 (ref variables).
"""

import numpy as np
import pytest

import minitf as tf


def test_variable_lifecycle():
    v = tf.Variable([1.0, 2.0], name="w")
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert names == ["w/initial_value", "w", "w/Assign", "w/read"]
    assert v.name == "w:0" and v.op.type == "VariableV2" and v.dtype == tf.float32
    assert v.initializer.type == "Assign" and v.value().op.type == "Identity"
    assert v.shape.as_list() == [2]
    assert tf.global_variables() == [v] and tf.trainable_variables() == [v]
    doubled = v * 2.0  # ops read the snapshot w/read
    assert doubled.op.inputs[0] is v.value()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v).tolist() == [1.0, 2.0]
        assert sess.run(doubled).tolist() == [2.0, 4.0]
        assert sess.run(v.assign([5.0, 6.0])).tolist() == [5.0, 6.0]
        assert sess.run(v).tolist() == [5.0, 6.0]
        v.load([7.0, 8.0], sess)
        assert v.eval(sess).tolist() == [7.0, 8.0]
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Assign requires shapes of both tensors to match"):
            sess.run(v.assign(tf.placeholder_with_default([1.0, 2.0, 3.0], [None])))
    with tf.Session() as sess:  # values live in the session
        with pytest.raises(tf.errors.FailedPreconditionError):
            sess.run(v)


def test_assign_add_and_sub_update_in_place():
    v = tf.Variable(np.array([1.0, 2.0], np.float32))
    add = tf.assign_add(v, [1.0, 1.0])
    sub = v.assign_sub([0.5, 0.5])
    with tf.Session() as sess:
        sess.run(v.initializer)
        cell = sess._resources.variable(v.op)
        buffer = cell.value
        assert sess.run(add).tolist() == [2.0, 3.0]
        assert sess.run(sub).tolist() == [1.5, 2.5]
        assert cell.value is buffer  # updated in place, no new allocation
        with pytest.raises(tf.errors.FailedPreconditionError):
            with tf.Session() as fresh:
                fresh.run(add)


def test_is_variable_initialized():
    v = tf.Variable(3)
    check = tf.is_variable_initialized(v)
    with tf.Session() as sess:
        assert not sess.run(check)
        sess.run(v.initializer)
        assert sess.run(check)


def test_variable_from_callable_and_dependent_initial_values():
    a = tf.Variable(lambda: tf.ones([2]), name="a")
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert names[:1] == ["a/Initializer/ones"]
    b = tf.Variable(a.initialized_value() * 3.0, name="b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(b).tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()


def test_trainable_and_collections():
    a = tf.Variable(1.0, trainable=False)
    b = tf.Variable(1.0, collections=[tf.GraphKeys.LOCAL_VARIABLES])
    c = tf.Variable(1.0)
    assert tf.trainable_variables() == [b, c] or tf.trainable_variables() == [c, b]
    assert a in tf.global_variables() and b not in tf.global_variables()
    assert tf.local_variables() == [b]
    with tf.Session() as sess:
        sess.run(tf.variables_initializer([a]))
        assert sess.run(a) == 1.0
        sess.run(tf.local_variables_initializer())
        assert sess.run(b) == 1.0
    assert tf.variables_initializer([]).type == "NoOp"


def test_variable_scope_reuse_semantics_and_errors():
    with tf.variable_scope("vs"):
        w = tf.get_variable("w", [2])
        with tf.name_scope("inner"):
            x = tf.constant(3, name="x")
    assert w.name == "vs/w:0" and x.name == "vs/inner/x:0"
    with tf.variable_scope("vs", reuse=True):
        assert tf.get_variable("w", [2]) is w
        assert tf.constant(1, name="y").name == "vs_1/y:0"
    with pytest.raises(ValueError, match=r"^Variable vs/w already exists, disallowed. Did you "
                                         r"mean to set reuse=True or reuse=tf.AUTO_REUSE"):
        with tf.variable_scope("vs"):
            tf.get_variable("w", [2])
    with pytest.raises(ValueError, match=r"^Variable vs/zz does not exist, or was not created "
                                         r"with tf.get_variable\(\)"):
        with tf.variable_scope("vs", reuse=True):
            tf.get_variable("zz", [2])
    with tf.variable_scope("vs", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w", [2]) is w
        assert tf.get_variable("q", [3]).name == "vs/q:0"
    with pytest.raises(ValueError, match=r"Trying to share variable vs/w, but specified shape "
                                         r"\(3,\) and found shape \(2,\)"):
        with tf.variable_scope("vs", reuse=True):
            tf.get_variable("w", [3])
    with tf.variable_scope("outer") as scope:
        scope.reuse_variables()
        with tf.variable_scope("child", reuse=False):  # reuse is inherited, not reset
            assert tf.get_variable_scope().reuse is True


def test_variable_scope_default_names_and_scope_objects():
    with tf.variable_scope(None, default_name="layer") as sc:
        assert sc.name == "layer" and tf.constant(0).name == "layer/Const:0"
    with tf.variable_scope(None, default_name="layer") as sc:
        assert sc.name == "layer_1"
        v = tf.get_variable("k", [1])
    with tf.variable_scope(sc, reuse=True):
        assert tf.get_variable_scope().name == "layer_1"
        assert tf.constant(0).name == "layer_1_1/Const:0"
        assert tf.get_variable("k", [1]) is v


def test_get_variable_initializer_and_shape_rules():
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.5)):
        a = tf.get_variable("a", [2])  # the scope's initializer
    b = tf.get_variable("b", initializer=tf.constant([1, 2]))  # from a tensor: no shape needed
    c = tf.get_variable("c", [2], dtype=tf.int32)  # ints default to zeros
    with pytest.raises(ValueError, match=r"Shape of a new variable \(d\) must be fully defined"):
        tf.get_variable("d", [None, 2])
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape."):
        tf.get_variable("e", [2], initializer=[1.0, 2.0])  # as TF 1.x: even a matching one
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(a).tolist() == [0.5, 0.5]
        assert sess.run(b).tolist() == [1, 2] and b.dtype == tf.int32
        assert sess.run(c).tolist() == [0, 0]


def _init_value(initializer, shape, seed_graph=1):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(seed_graph)
        v = tf.get_variable("v", shape, initializer=initializer)
        with tf.Session() as sess:
            sess.run(v.initializer)
            return sess.run(v)


def test_initializer_distributions():
    assert _init_value(tf.zeros_initializer(), [3]).tolist() == [0, 0, 0]
    assert _init_value(tf.ones_initializer(), [2]).tolist() == [1, 1]
    assert _init_value(tf.constant_initializer([1, 2]), [3]).tolist() == [1, 2, 2]
    n = _init_value(tf.random_normal_initializer(1.0, 2.0), [20000])
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    u = _init_value(tf.random_uniform_initializer(-3, 3), [20000])
    assert u.min() >= -3 and u.max() < 3 and abs(u.std() - 6 / np.sqrt(12)) < 0.05
    t = _init_value(tf.truncated_normal_initializer(0.0, 1.0), [20000])
    assert np.abs(t).max() <= 2.0
    fan_in, fan_out = 300, 200
    g = _init_value(tf.glorot_uniform_initializer(), [fan_in, fan_out])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    assert g.min() >= -limit and g.max() <= limit and abs(g.std() - limit / np.sqrt(3)) < 0.005
    gn = _init_value(tf.glorot_normal_initializer(), [fan_in, fan_out])
    assert abs(gn.std() - np.sqrt(2.0 / (fan_in + fan_out))) < 0.005
    vs = _init_value(tf.variance_scaling_initializer(2.0, "fan_in", "untruncated_normal"),
                     [fan_in, fan_out])
    assert abs(vs.std() - np.sqrt(2.0 / fan_in)) < 0.005
    default = _init_value(None, [fan_in, fan_out])  # get_variable's default: glorot uniform
    assert default.min() >= -limit and default.max() <= limit


def test_seeds_make_results_reproducible():
    def draw(graph_seed=None, op_seed=None, runs=2):
        g = tf.Graph()
        with g.as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            r = tf.random_normal([4], seed=op_seed)
            with tf.Session() as sess:
                return [sess.run(r).tolist() for _ in range(runs)]
    a, b = draw(graph_seed=7), draw(graph_seed=7)
    assert a == b  # same seeds, same sequence across sessions
    assert a[0] != a[1]  # successive runs draw new numbers
    assert draw(op_seed=3) == draw(op_seed=3)
    assert draw(graph_seed=7) != draw(graph_seed=8)
    assert draw() != draw()  # no seeds: nondeterministic
    assert tf.get_seed(None) == (None, None)
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        assert tf.get_seed(11) == (5, 11)
        assert tf.get_seed(None)[0] == 5
    with tf.Graph().as_default():
        assert tf.get_seed(11) == (87654321, 11)


def test_tf_initializers_namespace():
    """tf.initializers' short names, including He and LeCun scaling (TF1's formulas)."""
    fan_in, fan_out = 300, 200
    he = _init_value(tf.initializers.he_normal(), [fan_in, fan_out])
    assert abs(he.std() - np.sqrt(2.0 / fan_in)) < 0.005
    hu = _init_value(tf.initializers.he_uniform(), [fan_in, fan_out])
    limit = np.sqrt(6.0 / fan_in)
    assert hu.min() >= -limit and hu.max() <= limit and abs(hu.std() - limit / np.sqrt(3)) < 0.005
    ln = _init_value(tf.initializers.lecun_normal(), [fan_in, fan_out])
    assert abs(ln.std() - np.sqrt(1.0 / fan_in)) < 0.005
    lu = _init_value(tf.initializers.lecun_uniform(), [fan_in, fan_out])
    assert lu.max() <= np.sqrt(3.0 / fan_in) and lu.max() > 0.9 * np.sqrt(3.0 / fan_in)
    assert _init_value(tf.initializers.constant(7.0), [2]).tolist() == [7, 7]
    assert _init_value(tf.initializers.zeros(), [2]).tolist() == [0, 0]
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(3.0)
        with tf.Session() as sess:
            sess.run(tf.initializers.global_variables())
            assert sess.run(v) == 3.0
    assert tf.compat.v1.initializers.he_normal is tf.initializers.he_normal


def test_custom_getters_are_called_and_compose_as_in_tf1():
    """A scope's getter sees every get_variable (with the real getter and the arguments by
    keyword); a nested scope's getter runs first with the outer one as its getter; one given
    to get_variable replaces the scope's. (Values checked against tf.compat.v1: 2, 3, 2.)"""
    calls = []

    def doubling(getter, name, *args, **kwargs):
        calls.append(("double", name))
        return getter(name, *args, **kwargs) * 2.0

    def tagging(getter, name, shape=None, **kwargs):
        calls.append(("tag", name, tuple(shape)))
        return getter(name, shape=shape, **kwargs) + 1.0

    one = tf.ones_initializer()
    with tf.variable_scope("outer", custom_getter=doubling):
        a = tf.get_variable("a", [2], initializer=one)
        with tf.variable_scope("inner", custom_getter=tagging):
            b = tf.get_variable("b", [1], initializer=one)
        c = tf.get_variable("c", [1], initializer=one, custom_getter=tagging)
    d = tf.get_variable("d", [1], initializer=one)  # outside: no getter
    assert calls == [("double", "outer/a"), ("tag", "outer/inner/b", (1,)),
                     ("double", "outer/inner/b"), ("tag", "outer/c", (1,))]
    assert a.name.startswith("mul")  # the getter's ops are outside any name scope, as in TF1
    names = {v.op.name for v in tf.global_variables()}
    assert names == {"outer/a", "outer/inner/b", "outer/c", "d"}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run([a, b, c, d])
    np.testing.assert_array_equal(values[0], [2, 2])
    np.testing.assert_array_equal(values[1], [3])  # tagging(doubling(1)) = 1 * 2 + 1
    np.testing.assert_array_equal(values[2], [2])  # tagging alone
    np.testing.assert_array_equal(values[3], [1])


def test_constraint_reaches_the_getter_only_when_it_takes_one():
    seen = {}

    def with_constraint(getter, name, constraint=None, **kwargs):
        seen["constraint"] = constraint
        return getter(name, constraint=constraint, **kwargs)

    def without(getter, name, shape=None, dtype=None, initializer=None, regularizer=None,
                reuse=None, trainable=None, collections=None, caching_device=None,
                partitioner=None, validate_shape=True, use_resource=None, synchronization=None,
                aggregation=None):
        return getter(name, shape=shape, dtype=dtype, initializer=initializer)

    clip = lambda t: tf.clip_by_value(t, 0.0, 1.0)  # noqa: E731
    v = tf.get_variable("v", [1], custom_getter=with_constraint, constraint=clip)
    assert seen["constraint"] is clip and v.constraint is clip
    w = tf.get_variable("w", [1], custom_getter=without)  # TF1 leaves constraint out for it
    assert w.constraint is None


def test_optimizers_project_constrained_variables_after_each_update():
    """As TF1: after the update, var.assign(constraint(var)); from Variable, get_variable or
    the variable scope's default."""
    clip = lambda t: tf.clip_by_value(t, -1.0, 1.0)  # noqa: E731
    a = tf.Variable(np.float32(0.5), constraint=clip, name="a")
    with tf.variable_scope("s", constraint=clip):
        b = tf.get_variable("b", [], initializer=tf.constant_initializer(0.5))
    c = tf.get_variable("c", [], initializer=tf.constant_initializer(0.5))  # unconstrained
    assert b.constraint is clip and c.constraint is None
    loss = -10.0 * (a + b + c)
    train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run([a, b, c]) == [1.0, 1.0, 10.5]
    emb = tf.Variable(np.ones((3, 2), np.float32), constraint=clip)
    with pytest.raises(RuntimeError, match="constraint function on a sparse variable"):
        tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(tf.gather(emb, [0])))


def test_report_uninitialized_variables_tuple_and_tables_initializer():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    report = tf.report_uninitialized_variables()
    x, none, y = tf.tuple([a + 1.0, None, b * 2.0])
    assert none is None
    gate = x.op.control_inputs[0]  # each identity waits for one gate over all the tensors
    assert y.op.control_inputs == [gate]
    assert set(gate.control_inputs) == {x.op.inputs[0].op, y.op.inputs[0].op}
    with tf.Session() as sess:
        assert sess.run(report).tolist() == [b"a", b"b"]
        sess.run(a.initializer)
        assert sess.run(report).tolist() == [b"b"]
        sess.run([b.initializer, tf.tables_initializer()])
        assert sess.run(report).tolist() == []
        assert sess.run([x, y]) == [2.0, 4.0]
    with pytest.raises(ValueError, match="at least one Tensor"):
        tf.tuple([None])


def test_scatter_updates_match_numpy():
    """Scatter* change only the rows named (repeated rows: all apply, for Update one wins),
    in place, and return the variable's new value; the numpy reference applies them one by
    one. Updates may be a scalar, and indices of any rank."""
    start = np.arange(1.0, 13.0, dtype=np.float32).reshape(4, 3)
    idx = np.array([0, 2, 0], np.int64)
    upd = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [0.5, 2.0, 8.0]], np.float32)
    ops = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
           "max": np.maximum, "min": np.minimum}
    v = tf.Variable(start)
    with tf.Session() as sess:
        for name, ufunc in ops.items():
            sess.run(v.initializer)
            got = sess.run(getattr(tf, f"scatter_{name}")(v, idx, upd))
            want = start.copy()
            for i, row in zip(idx, upd):
                want[i] = ufunc(want[i], row)
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)
            np.testing.assert_allclose(sess.run(v), want, rtol=1e-6, err_msg=name)
        sess.run(v.initializer)
        got = sess.run(tf.scatter_update(v, [[3], [1]], np.full((2, 1, 3), 9.0, np.float32)))
        np.testing.assert_array_equal(got, [start[0], [9, 9, 9], start[2], [9, 9, 9]])
        sess.run(v.scatter_sub(tf.IndexedSlices(tf.constant([[1.0, 1.0, 1.0]]),
                                                tf.constant([0]))))
        np.testing.assert_array_equal(sess.run(v)[0], start[0] - 1)
        got = sess.run(tf.scatter_mul(v, [2], 0.0))  # a scalar update for every element
        np.testing.assert_array_equal(got[2], [0, 0, 0])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in "
                                                                 r"\[0, 4\)"):
            sess.run(tf.scatter_add(v, [0, 4], np.ones((2, 3), np.float32)))
        np.testing.assert_array_equal(sess.run(v)[0], start[0] - 1)  # nothing applied
        with pytest.raises(tf.errors.InvalidArgumentError, match="Must have updates.shape"):
            sess.run(tf.scatter_add(v, tf.placeholder_with_default([0, 1], None),
                                    np.ones((3, 3), np.float32)))
    with pytest.raises(ValueError, match="updates has shape"):
        tf.scatter_add(v, [0, 1], np.ones((3, 3), np.float32))
    with pytest.raises(TypeError, match="not IndexedSlices"):
        v.scatter_add(np.ones(3))


def test_default_named_scopes_count_name_scopes_on_their_own():
    """variable_scope(None, default_name=X) opens name_scope(X), made unique among name
    scopes, as TF1 does (names recorded from tf.compat.v1 2.21): the variable scope is lm,
    its ops lm_1/..., when a name scope lm was opened before."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        with tf.name_scope("lm"):
            pass
        with tf.variable_scope(None, default_name="lm"):
            a, b = tf.get_variable("w", [1]), tf.identity(x, name="op")
        with tf.variable_scope(None, default_name="lm"):
            c, d = tf.get_variable("w", [1]), tf.identity(x, name="op")
        assert [a.op.name, b.op.name, c.op.name, d.op.name] == ["lm/w", "lm_1/op", "lm_1/w",
                                                                  "lm_2/op"]
        tf.layers.dense(x, 2)
        with tf.name_scope("dense_1"):
            pass
        y = tf.layers.dense(x, 2)
        assert y.op.name == "dense_2/BiasAdd"
        assert [v.op.name for v in tf.global_variables()][-2:] == ["dense_1/kernel",
                                                                    "dense_1/bias"]


def test_sliced_assignment_matches_numpy():
    """``v[spec].assign(x)`` (TF1's StridedSliceAssign, named "<slice>/_assign") writes the
    region numpy's ``a[spec] = x`` writes; a value broadcasts to the region (TF 2's rule); a
    plain tensor's slice has no assign."""
    start = np.arange(12, dtype=np.float32).reshape(3, 4)
    want = start.copy()
    with tf.Graph().as_default():
        v = tf.Variable(start, name="v")
        a = v[1:, ::2].assign([[10.0, 20.0], [30.0, 40.0]])
        b = v[0].assign(tf.zeros([4]))
        c = v[:, 1, tf.newaxis].assign(-1.0, name="col")  # a scalar broadcasts
        d = v[::-1, -1].assign(tf.constant([7.0, 8.0, 9.0]))
        assert (a.name, b.name, c.name) == ("strided_slice/_assign:0",
                                            "strided_slice_1/_assign:0", "col:0")
        assert a.op.type == "StridedSliceAssign" and a.shape.as_list() == [3, 4]
        with tf.Session() as sess:
            sess.run(v.initializer)
            want[1:, ::2] = [[10, 20], [30, 40]]
            np.testing.assert_array_equal(sess.run(a), want)
            want[0] = 0
            np.testing.assert_array_equal(sess.run(b), want)
            want[:, 1, None] = -1
            np.testing.assert_array_equal(sess.run(c), want)
            want[::-1, -1] = [7, 8, 9]
            np.testing.assert_array_equal(sess.run(d), want)
            np.testing.assert_array_equal(sess.run(v), want)  # in place
            wrong = tf.placeholder_with_default(np.zeros((3, 4), np.float32), None)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Cannot broadcast input shape \[3,4\] into final shape "
                                     r"\[2,4\]"):
                sess.run(v[1:].assign(wrong))
            # TF's shape function does not check the value: a constant fails when run, too
            with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot broadcast input "
                               r"shape \[3,4\] into final shape \[2,4\]"):
                sess.run(v[1:].assign(np.zeros((3, 4), np.float32)))
        with pytest.raises(AttributeError, match="no attribute 'assign'"):
            tf.constant([1.0, 2.0])[0].assign(3.0)


def test_a_variable_scope_entered_and_dropped_stays_open():
    # TF1 code enters scopes without keeping them (`tf.variable_scope("s").__enter__()`); TF's
    # scope state lives in the graph, so collecting the object must not close the scope.
    import gc

    with tf.Graph().as_default():
        context = tf.variable_scope("s")
        context.__enter__()
        del context
        gc.collect()
        assert tf.get_variable("b", [1]).name == "s/b:0"
        assert tf.get_variable_scope().name == "s"
    with tf.Graph().as_default():
        context = tf.variable_scope("outer")
        context.__enter__()
        context.__exit__(None, None, None)  # an explicit exit still closes it
        assert tf.get_variable("b", [1]).name == "b:0"


def test_an_empty_variable_scope_keeps_the_name_scope():
    # TF's variable_scope("") opens no name scope (tf.tpu.bfloat16_scope is one): ops keep
    # the enclosing name scope; variables get the scope's name, "" or "a/".
    def names(lib):
        out = []
        with lib.Graph().as_default():
            with lib.name_scope("outer"), lib.variable_scope(""):
                out += [lib.constant(1, name="x").name, lib.get_variable("v", [1]).name]
            with lib.variable_scope("a"):
                with lib.variable_scope(""):
                    out += [lib.constant(1, name="x").name, lib.get_variable("v", [1]).name]
                with lib.variable_scope("", default_name="d"):
                    out.append(lib.constant(1, name="x").name)
        return out

    want = ["outer/x:0", "v:0", "a/x:0", "a//v:0", "a/x_1:0"]
    assert names(tf) == want
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert names(tf1) == want


def test_a_variable_scope_object_enters_again_and_checks_its_arguments_when_made():
    vs = tf.variable_scope("a")
    with vs:
        first = tf.get_variable("v", [1])
    with vs as scope:  # TF re-enters the same scope
        second = tf.get_variable("w", [1])
        assert scope.name == "a"
    assert (first.name, second.name) == ("a/v:0", "a/w:0")
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is required"):
        tf.variable_scope(None)  # at construction, as TF's
