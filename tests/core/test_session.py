"""Session.run: fetch structures, feeds, plan caching and every user error (TF1 wording)."""

import collections
import threading

import numpy as np
import pytest

import minitf as tf


def test_seed_micro_example_runs_verbatim():
    # The seed program, with only the import line changed.
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=[None], name="x")
        A = tf.get_variable("A", shape=[1], initializer=tf.random_normal_initializer())
        b = tf.Variable(tf.random_normal([1]), name="b")
        z = A * x + b
    with tf.Session(graph=graph) as sess:
        sess.run(tf.global_variables_initializer())
        a_val, b_val = sess.run([A, b])
        out = sess.run(z, feed_dict={x: [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(out, a_val * np.array([1, 2, 3], np.float32) + b_val, rtol=1e-6)
    assert out.dtype == np.float32 and out.shape == (3,)


@pytest.mark.parametrize("spelling", ["value", "constant_initializer"])
def test_seed_sanity_checks(spelling):
    if spelling == "value":
        # the dtype comes from the value (TF refuses a shape beside a constant initializer)
        v = tf.get_variable("v", initializer=1)
    else:
        v = tf.get_variable("v", shape=[], initializer=tf.constant_initializer(1),
                            dtype=tf.int32)
    assert v.dtype == tf.int32
    c = tf.constant(4)
    added = tf.add(v, c)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(added) == 5
        assert sess.run(v) == 1  # tf.add built a new tensor; the variable is unchanged
        bumped = v.assign_add(c)
        assert sess.run(bumped) == 5
        assert sess.run(v) == 5  # assign_add persists


def test_constant_initializer_is_float32_like_tensorflow():
    v = tf.get_variable("v", shape=[], initializer=tf.constant_initializer(1))
    assert v.dtype == tf.float32
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type int32 that does not "
                                        "match type float32 of argument 'x'"):
        tf.add(v, tf.constant(4))


def test_nested_fetch_structures_keep_their_types():
    Point = collections.namedtuple("Point", "x y")
    a = tf.constant(1.0)
    b = tf.constant([2, 3])
    with tf.Session() as sess:
        out = sess.run({"k": [a, (a, a.op)], "n": Point(a, b),
                        "o": collections.OrderedDict([("z", b), ("y", a)])})
    assert isinstance(out, dict) and list(out) == ["k", "n", "o"]
    assert out["k"][0] == 1.0 and isinstance(out["k"][1], tuple) and out["k"][1][1] is None
    assert isinstance(out["n"], Point) and out["n"].x == 1.0
    np.testing.assert_array_equal(out["n"].y, [2, 3])
    assert isinstance(out["o"], collections.OrderedDict) and list(out["o"]) == ["z", "y"]
    assert isinstance(out["k"][0], np.float32)  # rank 0 -> numpy scalar, as TF


def test_duplicate_fetches_are_computed_once_and_identical():
    x = tf.placeholder(tf.float32, [3])
    y = x * 2.0
    with tf.Session() as sess:
        a, b, c = sess.run([y, y, [y]], {x: [1, 2, 3]})
        plan = next(iter(sess._plans.values()))
    assert a is b and c[0] is a
    assert plan.fetches == (y,)
    assert [op.type for op in plan.ops] == ["Mul"]


def test_fed_fetch_returns_the_fed_value():
    x = tf.placeholder(tf.float32, [2])
    y = x + 1.0
    value = np.array([5.0, 6.0], np.float32)
    with tf.Session() as sess:
        got_x, got_y = sess.run([x, y], {x: value})
        # Feeding an intermediate cuts off its upstream.
        assert sess.run(y + 1.0, {y: [0.0, 0.0]}).tolist() == [1.0, 1.0]
    assert got_x is value
    np.testing.assert_array_equal(got_y, [6.0, 7.0])


def test_targets_and_string_names():
    v = tf.Variable(0, name="counter")
    inc = tf.assign_add(v, 1, name="inc")
    x = tf.placeholder(tf.int32, [], name="x")
    tf.identity(x * 2, name="double")
    with tf.Session() as sess:
        sess.run("counter/Assign")
        assert sess.run(["inc", "counter:0"]) == [None, 1]
        assert sess.run("double:0", {"x:0": 21}) == 42
        sess.run(inc.op)
        assert sess.run(v) == 2


def test_plan_cache_hits_and_invalidation_after_graph_change():
    x = tf.placeholder(tf.float32, [])
    y = x * 3.0
    with tf.Session() as sess:
        sess.run(y, {x: 1.0})
        sess.run(y, {x: 2.0})
        assert sess._stats == {"compiled": 1, "cached": 1}
        z = y + 1.0  # changes the graph: its version moves on
        assert sess.run(y, {x: 2.0}) == 6.0
        assert sess._stats["compiled"] == 2
        assert sess.run(z, {x: 2.0}) == 7.0
        assert sess.run(z, {x: 3.0}) == 10.0
        assert sess._stats == {"compiled": 3, "cached": 2}


def test_unfed_placeholder_names_it():
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    s = tf.placeholder(tf.int32, [], name="s")
    u = tf.placeholder(tf.float32, name="u")
    unused = tf.placeholder(tf.float32, [2], name="unused")  # noqa: F841 - never needed
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as e:
            sess.run(x * 2.0)
        assert str(e.value).startswith("You must feed a value for placeholder tensor 'x' with "
                                       "dtype float and shape [?,784]")
        assert e.value.error_code == tf.errors.INVALID_ARGUMENT
        assert isinstance(e.value, ValueError)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"^You must feed a value for placeholder tensor 's' with dtype "
                                 r"int32\n"):
            sess.run(s + 1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="'u' with dtype float\n"):
            sess.run(u)
        # A placeholder that is not needed is not an error.
        assert sess.run(tf.constant(3)) == 3


def test_feed_shape_errors_use_tensorflow_wording():
    x = tf.placeholder(tf.float32, [], name="x")
    m = tf.placeholder(tf.float32, [None, 3], name="m")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"^Cannot feed value of shape \(3,\) for Tensor "
                                             r"x:0, which has shape \(\)$"):
            sess.run(x, {x: [1.0, 2.0, 3.0]})
        with pytest.raises(ValueError, match=r"shape \(2, 4\) for Tensor m:0, which has shape "
                                             r"\(\?, 3\)"):
            sess.run(m, {m: np.zeros((2, 4))})
        # Convertible values are cast silently, as TF does.
        assert sess.run(m, {m: [[1, 2, 3]]}).dtype == np.float32


def test_uninitialized_variable_is_failed_precondition():
    w = tf.Variable(tf.zeros([2]), name="w")
    y = w * 2.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="^Attempting to use uninitialized value w"):
            sess.run(y)


def test_incompatible_shapes_while_building_name_op_and_shapes():
    a = tf.constant([[1.0, 2.0, 3.0]])
    b = tf.constant([[1.0, 2.0]])
    with pytest.raises(ValueError) as e:
        tf.add(a, b, name="sum")
    msg = str(e.value)
    assert "Dimensions must be equal, but are 3 and 2" in msg
    assert "'sum'" in msg and "[1,3], [1,2]" in msg
    with pytest.raises(ValueError, match="MatMul"):
        tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5]))


def test_feed_errors():
    g = tf.get_default_graph()
    x = tf.placeholder(tf.float32, [], name="x")
    c = tf.constant(1.0, name="c")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor object"):
            sess.run(x, {x: c})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor: The name "
                                            "'x' refers to an Operation, not a Tensor"):
            sess.run(x, {"x": 1.0})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            sess.run(x, {"nope:0": 1.0})
        g.prevent_feeding(c)
        with pytest.raises(ValueError, match="^Tensor c:0 may not be fed.$"):
            sess.run(c, {c: 2.0})
        i = tf.placeholder(tf.int32, [])
        with pytest.raises(TypeError, match="Type of feed value 10000000000 with type <class "
                                            "'int'> is not compatible with Tensor type <class "
                                            "'numpy.int32'>"):
            sess.run(i, {i: 10**10})
        with pytest.raises(ValueError, match="Cannot feed value 'abc' for Tensor x:0"):
            sess.run(x, {x: "abc"})
    other = tf.Graph()
    with other.as_default():
        foreign = tf.placeholder(tf.float32, [])
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="not an element of this graph"):
            sess.run(x, {foreign: 1.0, x: 1.0})
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(foreign + 1.0)


def test_fetch_errors():
    tf.constant(1.0, name="c")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.run(None)
        with pytest.raises(ValueError, match="Fetch argument 'nope:0' cannot be interpreted as a "
                                             "Tensor.*'nope', does not exist"):
            sess.run("nope:0")
        with pytest.raises(ValueError, match="refers to an Operation not in the graph"):
            sess.run("nope")
        with pytest.raises(ValueError, match="only has 1 outputs"):
            sess.run("c:3")
        with pytest.raises(TypeError, match="must be a string or Tensor"):
            sess.run(3.5)


def test_closed_and_empty_sessions():
    with tf.Session() as sess:
        with pytest.raises(RuntimeError, match="The Session graph is empty.  Add operations"):
            sess.run([])
    c = tf.constant(2.0)
    sess = tf.Session()
    assert sess.run(c) == 2.0
    call = sess.make_callable(c)
    sess.close()
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        sess.run(c)
    # A callable made before: TF's CancelledError (what a queue runner's thread reports)
    with pytest.raises(tf.errors.CancelledError, match="^Session has been closed.$"):
        call()


def test_make_callable():
    x = tf.placeholder(tf.float32, [None])
    y = x * 2.0
    with tf.Session() as sess:
        run = sess.make_callable(y, feed_list=[x])
        np.testing.assert_array_equal(run([1.0, 2.0]), [2.0, 4.0])
        both = sess.make_callable([y, {"x": x}], feed_list=[x])
        out = both(np.array([3.0], np.float32))
        assert out[0][0] == 6.0 and out[1]["x"][0] == 3.0
        const = sess.make_callable(tf.constant(7))
        assert const() == 7
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            run(np.zeros((2, 2)))
        # TF's callable zips feed_list with its arguments: an extra one is ignored
        np.testing.assert_array_equal(run([1.0], [2.0]), [2.0])
        with pytest.raises(TypeError, match="`feed_list` must be a list or tuple."):
            sess.make_callable(y, feed_list=x)
    # With a feed_list TF's callable goes through run(): TF 2.21 raises RuntimeError
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        run([1.0])


def test_default_sessions_eval_and_interactive():
    c = tf.constant(3.0)
    with pytest.raises(ValueError, match="No default session is registered"):
        c.eval()
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        assert c.eval() == 3.0
        assert (c * 2.0).eval(feed_dict={}) == 6.0
    assert tf.get_default_session() is None
    sess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is sess
        assert tf.constant(4.0).eval() == 4.0
        tf.no_op(name="nothing").run()
    finally:
        sess.close()
    assert tf.get_default_session() is None
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="graph is different from the session's graph"):
            foreign.eval(session=sess)


def test_session_with_explicit_graph_is_default_inside_with():
    g = tf.Graph()
    with tf.Session(graph=g) as sess:
        assert tf.get_default_graph() is g
        assert sess.graph is g
    assert tf.get_default_graph() is not g


def test_concurrent_runs_share_one_plan():
    x = tf.placeholder(tf.float32, [None, 4])
    w = tf.constant(np.eye(4, dtype=np.float32) * 2)
    y = tf.matmul(x, w)
    errors = []
    with tf.Session() as sess:
        def worker(k):
            try:
                for i in range(50):
                    v = np.full((k + 1, 4), i, np.float32)
                    np.testing.assert_array_equal(sess.run(y, {x: v}), v * 2)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors


@pytest.mark.parametrize("make_update", [
    lambda v: tf.assign_add(v, tf.ones_like(v), use_locking=True).op,
    lambda v: tf.train.GradientDescentOptimizer(1.0, use_locking=True).minimize(
        -tf.reduce_sum(v)),  # the gradient is -1: each step adds 1
], ids=["assign_add", "optimizer"])
def test_use_locking_serialises_updates_from_threads(make_update):
    """With use_locking=True no increment is lost when threads update one variable. (numpy
    releases the GIL inside operations on large arrays, so unlocked updates can interleave.)"""
    threads_n, steps = 6, 150
    v = tf.Variable(tf.zeros([200_000]))
    update = make_update(v)
    errors = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())

        def worker():
            try:
                for _ in range(steps):
                    sess.run(update)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=worker) for _ in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors and not any(t.is_alive() for t in threads)
        value = sess.run(v)
    assert value.min() == value.max() == threads_n * steps


def test_the_plan_cache_is_bounded(monkeypatch):
    """Feeds and fetches varied without end (e.g. a feed_dict built in changing order) must
    not grow the cache without end: the oldest plans go."""
    import minitf.session as session_module
    monkeypatch.setattr(session_module, "MAX_CACHED_PLANS", 3)
    xs = [tf.placeholder(tf.float32, [], name=f"x{i}") for i in range(3)]
    total = xs[0] + xs[1] + xs[2]
    with tf.Session() as sess:
        for order in [(0, 1, 2), (2, 1, 0), (1, 0, 2), (1, 2, 0), (0, 2, 1), (0, 1, 2)]:
            feed = {xs[i]: float(i + 1) for i in order}
            assert sess.run(total, feed) == 6.0
            assert len(sess._plans) <= 3


def test_single_op_and_tensor_fetches_and_prevent_fetching():
    """A lone Operation fetch runs it and gives None (a train step); a tensor or op marked
    unfetchable is refused however it is fetched, alone or nested."""
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
        inc = tf.assign_add(v, 2.0).op
        hidden = tf.constant(5.0, name="hidden")
    with tf.Session(graph=g) as sess:
        sess.run(v.initializer)
        assert sess.run(inc) is None and sess.run(v) == 3.0
        assert sess.run(hidden) == 5.0
        g.prevent_fetching(hidden.op)
        for fetch in (hidden, [hidden], hidden.op, "hidden:0"):
            with pytest.raises(ValueError, match="has been marked as not fetchable"):
                sess.run(fetch)
        assert sess.run(inc) is None and sess.run(v) == 5.0


def test_results_never_share_memory_with_the_caller_s_arrays():
    """As TF: a result that is an identity, reshape, transpose or slice of a feed is a copy
    (changing it leaves the caller's input alone), a fetched feed comes back as fed, and
    tf.constant copies its array (the caller's stays writable)."""
    p = tf.placeholder(tf.float32, [2, 3])
    outs = [tf.identity(p), tf.reshape(p, [3, 2]), tf.transpose(p), p[:, 1:]]
    batch = np.ones((2, 3), np.float32)
    with tf.Session() as sess:
        results = sess.run(outs + [p], {p: batch})
        for r in results[:-1]:
            r[...] = 7
        assert results[-1] is batch
        y = sess.make_callable(outs[1], [p])(batch)
        y[...] = 5
    np.testing.assert_array_equal(batch, np.ones((2, 3)))
    data = np.arange(4.0)
    c = tf.constant(data)
    data[0] = 9.0  # still writable
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(c), [0, 1, 2, 3])


def test_none_values_and_dtypes_get_tf1_errors():
    with pytest.raises(ValueError, match="None values not supported."):
        tf.constant(None)
    with pytest.raises(ValueError, match="None values not supported."):
        tf.placeholder(tf.float32) + None  # e.g. a None gradient passed on
    with pytest.raises(TypeError, match="Expected DataType for argument 'dtype' not None."):
        tf.placeholder(None)


def test_variables_are_truthy_tensors_are_not():
    step = tf.Variable(0, name="step")
    assert (step or None) is step  # TF1 code writes `gs or tf.train.create_global_step()`
    with pytest.raises(TypeError):
        bool(step.value())


def test_check_numerics_passes_finite_values_and_names_bad_ones():
    x = tf.placeholder(tf.float32, [3])
    y = tf.check_numerics(x * 2.0, "activations")
    (g,) = tf.gradients(tf.reduce_sum(y * y), x)
    checks = [op for op in tf.get_default_graph().get_operations() if op.type == "CheckNumerics"]
    assert len(checks) == 2 and b"detected in gradient. activations" in \
        checks[1].get_attr("message")
    with tf.Session() as sess:
        got, grad = sess.run([y, g], {x: [1.0, -2.0, 0.5]})
        np.testing.assert_array_equal(got, [2.0, -4.0, 1.0])
        np.testing.assert_allclose(grad, 8.0 * np.array([1.0, -2.0, 0.5]))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="activations : Tensor had NaN values"):
            sess.run(y, {x: [1.0, np.nan, 0.0]})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="activations : Tensor had Inf and NaN values"):
            sess.run(y, {x: [np.inf, np.nan, 0.0]})


def test_print_writes_tf1s_format_and_passes_its_input(capsys):
    """tf.Print: its input again (and its gradient); each run writes the message and each
    data tensor in TF's legacy summary ([1 2][3...]... for a matrix cut at 3 elements; the
    line below was produced by tf.compat.v1 for the same graph)."""
    x = tf.placeholder(tf.float32, [None, 2])
    step = tf.Variable(3, name="step")
    y = tf.Print(x * 2, [x, step, tf.constant("hi"), tf.constant([0.5, 1.25, 3.0, 4.0]),
                         tf.constant([True, False])], message="dbg: ", summarize=3)
    once = tf.Print(y, [tf.constant(2.5)], first_n=1)
    (g,) = tf.gradients(tf.reduce_sum(y * y), x)
    assert y.op.get_attr("U") == [tf.float32, tf.int32, tf.string, tf.float32, tf.bool]
    with tf.Session() as sess:
        sess.run(step.initializer)
        capsys.readouterr()
        got, grad = sess.run([y, g], {x: [[1, 2], [3, 4]]})
        assert capsys.readouterr().err == "dbg: [[1 2][3...]...][3][hi][0.5 1.25 3...][1 0]\n"
        np.testing.assert_array_equal(got, [[2, 4], [6, 8]])
        np.testing.assert_array_equal(grad, 8 * np.array([[1, 2], [3, 4]]))
        sess.run(once, {x: [[1, 2]]})
        sess.run(once, {x: [[1, 2]]})
        assert capsys.readouterr().err.count("[2.5]") == 1  # first_n=1
    # The heterogeneous data list round-trips through a GraphDef (attr U: list(type)).
    gd = tf.get_default_graph().as_graph_def()
    node = next(n for n in gd.node if n.op == "Print" and n.name == y.op.name)
    assert len(node.attr["U"].list.type) == 5 and len(node.input) == 6
    imported = tf.Graph()
    with imported.as_default():
        tf.import_graph_def(gd, name="")
    assert imported.get_operation_by_name(y.op.name).get_attr("U") == y.op.get_attr("U")


def test_asserts_fail_the_run_with_tf1s_messages():
    """tf.assert_* are Assert ops (run them or depend on them): a false condition fails the
    run with InvalidArgumentError and TF1's message; known false at graph construction, they
    raise at once."""
    x = tf.placeholder(tf.int32, [None])
    positive = tf.assert_positive(x, message="ids must be positive")
    with tf.control_dependencies([positive]):
        ids = tf.identity(x)
    equal = tf.assert_equal(x, tf.constant([1, 2]))
    less = tf.debugging.assert_less(x, 3)
    assert positive.type == "Assert" and tf.debugging.assert_equal is tf.assert_equal
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ids, {x: [1, 2]}), [1, 2])
        sess.run([equal, less], {x: [1, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(ids, {x: [1, -2]})
        assert info.value.message.startswith(
            "assertion failed: [ids must be positive.  ] [Condition x > 0 did not hold "
            "element-wise:] [x (Placeholder:0) = ] [1 -2]")  # (tf.compat.v1's text)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"\[Condition x == y did not hold element-wise:\]"):
            sess.run(equal, {x: [1, 3]})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[3 4\]"):
            sess.run(less, {x: [3, 4]})
        failing = tf.Assert(tf.constant(False), ["custom", tf.constant([7, 8, 9, 10])],
                            summarize=2)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"assertion failed: \[custom\] \[7 8\.\.\.\]"):
            sess.run(failing)
    with pytest.raises(tf.errors.InvalidArgumentError, match="did not hold element-wise"):
        tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))  # static: at once
    assert tf.assert_non_negative(tf.constant([0, 1])).type == "Assert"


def test_print_counts_first_n_per_session_and_asserts_keep_their_message(capsys):
    """first_n counts this op's prints in one session (a new session prints again, as TF's
    kernel); a message leads the data even when data is given; a failure found at graph
    construction shows constants as numpy prints them (TF1's static check)."""
    x = tf.placeholder(tf.float32, [2])
    shown = tf.Print(x, [x], message="once: ", first_n=1)
    for _ in range(2):
        with tf.Session() as sess:
            capsys.readouterr()
            sess.run(shown, {x: [1, 2]})
            sess.run(shown, {x: [1, 2]})
            assert capsys.readouterr().err == "once: [1 2]\n"
    check = tf.assert_equal(x, tf.constant([1.0, 2.0]), data=["d", x], message="MSG")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match=r"assertion failed: \[MSG\] \[d\] \[1 3\]"):
        sess.run(check, {x: [1, 3]})
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]), message="MSG")
    assert info.value.message.startswith("MSG\nCondition x == y did not hold element-wise:\n")
    assert "\n[1 2]\n" in info.value.message and info.value.message.endswith("\n[1 3]")


def _unbroadcastable_asserts(lib):
    """The ValueError of asserts whose operands' static shapes cannot broadcast (constants
    too: the comparison op is built before their values are compared, as in TF1)."""
    out = []
    with lib.Graph().as_default():
        for call in (lambda: lib.debugging.assert_equal(lib.constant(np.ones((3, 4))),
                                                        lib.constant(np.ones((4, 3)))),
                     lambda: lib.assert_less(lib.constant([1, 2, 3]), lib.constant([1, 2]),
                                             message="m"),
                     lambda: lib.assert_greater_equal(lib.placeholder(lib.float32, [3]),
                                                      lib.constant([1.0, 2.0]))):
            with pytest.raises(ValueError) as info:
                call()
            out.append(str(info.value))
    return out


def test_asserts_on_shapes_that_cannot_broadcast():
    first, second, third = _unbroadcastable_asserts(tf)
    assert first.startswith("Dimensions must be equal, but are 3 and 4 for 'assert_equal/Equal'")
    assert first.endswith("with input shapes: [3,4], [4,3].")
    assert second.startswith("Dimensions must be equal, but are 3 and 2 for 'assert_less/Less'")
    assert third.endswith("with input shapes: [3], [2].")


def test_asserts_on_shapes_that_cannot_broadcast_against_tensorflow():
    """TF1 raises ValueError with the same text around its node description (minitf names
    the node as its other shape errors do, TF writes its NodeDef)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for ours, theirs in zip(_unbroadcastable_asserts(tf), _unbroadcastable_asserts(tf1)):
        assert ours.split(" for ")[0] == theirs.split(" for ")[0]
        assert ours.split(" with input shapes: ")[1] == theirs.split(" with input shapes: ")[1]
