"""tf.function in graph mode (traced inline per call): against hand values, and side by side
with TensorFlow's graph-mode tf.function (skipped where TensorFlow is not installed)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run, tf1_or_skip


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()
    yield


# -- decorating and calling -----------------------------------------------------------------------
def test_the_three_spellings_and_the_wrapped_attributes():
    def poly(x):
        """Doc."""
        return x * x + 1.0

    plain = tf.function(poly)

    @tf.function
    def bare(x):
        return x * 3.0

    @tf.function(autograph=False, experimental_relax_shapes=True, experimental_compile=False,
                 experimental_autograph_options=None)
    def with_args(x):
        return x - 1.0

    assert plain.python_function is poly and plain.__name__ == "poly"
    assert plain.__doc__ == "Doc."
    x = tf.constant([1.0, 2.0])
    np.testing.assert_allclose(run([plain(x), bare(x), with_args(x)]),
                               [[2, 5], [3, 6], [0, 1]])


def test_each_call_is_traced_in_a_scope_named_after_the_function():
    @tf.function
    def double(x):
        return x * 2.0

    a = double(tf.constant(1.0))
    with tf.name_scope("outer"):
        b = double(tf.constant(2.0))
    assert a.name == "double/Identity:0" and b.name == "outer/double/Identity:0"
    assert a.op.inputs[0].op.inputs[0].name == "double/x:0"  # the argument's Identity
    assert run([a, b]) == [2.0, 4.0]


def test_keywords_defaults_numpy_and_python_results():
    @tf.function
    def f(a, b=2, *, scale=1.0):
        return {"s": a * b * scale, "t": (a, 3, None)}

    out = f(np.array([1.0, 2.0], np.float32), b=5, scale=0.5)
    assert out["t"][2] is None
    assert out["t"][1].dtype == tf.int32  # a Python number comes back as a tensor (TF 1.15)
    got = run({"s": out["s"], "n": out["t"][1]})
    np.testing.assert_allclose(got["s"], [2.5, 5.0])
    assert got["n"] == 3
    with pytest.raises(TypeError, match=r"f\(\) missing a required argument: 'a'"):
        f()


def test_returning_an_operation_or_object_is_a_type_error():
    @tf.function
    def returns_op(x):
        return tf.group(x)

    @tf.function
    def returns_object(x):
        return object()

    with pytest.raises(TypeError, match="must return zero or more Tensors"):
        returns_op(tf.constant(1.0))
    with pytest.raises(TypeError, match="which is not a Tensor"):
        returns_object(tf.constant(1.0))
    with pytest.raises(TypeError, match="expects a callable"):
        tf.function(3)


def test_gradients_flow_through_a_call():
    @tf.function
    def cube(x):
        return x * x * x

    x = tf.placeholder(tf.float32, [3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = cube(x)
    g_tape = tape.gradient(y, x)
    (g,) = tf.gradients(cube(x), x)
    xv = np.array([1.0, 2.0, 3.0], np.float32)
    got = run([g_tape, g], {x: xv})
    np.testing.assert_allclose(got, [3 * xv ** 2] * 2)


# -- input_signature ------------------------------------------------------------------------------
def test_input_signature_shapes_the_arguments():
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        seen.append(x.shape.as_list())
        return x * 2.0

    y = f(tf.ones([3, 2]))
    assert seen == [[None, 2]] and y.shape.as_list() == [None, 2]
    f([[1.0, 2.0]])  # a Python value is converted to the signature's dtype
    f(x=tf.ones([1, 2]))
    np.testing.assert_allclose(run(y), np.full((3, 2), 2.0))
    assert f.input_signature == (tf.TensorSpec([None, 2], tf.float32),)


def test_input_signature_errors():
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        return x

    with pytest.raises(ValueError, match="Python inputs incompatible with input_signature"):
        f(tf.ones([3]))
    with pytest.raises(ValueError, match=r"(?s)incompatible.*dtype=int32"):
        f(tf.ones([3, 2], tf.int32))
    with pytest.raises(TypeError, match=r"only pass arguments covered by it. Received 2 arg"):
        f(tf.ones([3, 2]), 1)
    with pytest.raises(TypeError, match="unexpected keyword argument y"):
        f(y=tf.ones([1, 2]))

    @tf.function(input_signature=[(tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32))])
    def pair(p):
        return p[0] + p[1]

    with pytest.raises(ValueError, match="Structure of Python function inputs does not match"):
        pair(tf.constant(1.0))
    assert run(pair((1.0, 2.0))) == 3.0
    with pytest.raises(TypeError, match="must be either a tuple or a list"):
        tf.function(lambda x: x, input_signature=tf.TensorSpec([], tf.float32))
    with pytest.raises(TypeError, match="nested sequence of TensorSpec objects"):
        tf.function(lambda x: x, input_signature=[3])
    with pytest.raises(ValueError, match="with keyword arguments when input_signature"):
        tf.function(lambda x, *, y: x, input_signature=[tf.TensorSpec([], tf.float32)])


# -- variables ------------------------------------------------------------------------------------
class Scaler:
    def __init__(self):
        self.w = None

    @tf.function
    def __call__(self, x):
        if self.w is None:
            with tf.name_scope("inner"):
                self.w = tf.Variable(2.0, name="w")
        return self.w * x


def test_variables_made_on_the_first_call_only_per_instance():
    a, b = Scaler(), Scaler()
    assert isinstance(Scaler.__call__, tf.function(lambda: 0).__class__)
    assert a.__call__ is a.__call__ and a.__call__ is not b.__call__
    with tf.name_scope("outer"):
        y1 = a(tf.constant(1.0))
    y2 = a(tf.constant(3.0))
    assert len(tf.global_variables()) == 1
    b(tf.constant(1.0))
    assert len(tf.global_variables()) == 2
    assert a.w.name == "inner/w:0"  # lifted out of the call's scopes, as TF names it
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([y1, y2]) == [2.0, 6.0]


def test_creating_variables_on_a_later_call_raises():
    @tf.function
    def always(x):
        return tf.Variable(1.0) * x

    always(tf.constant(1.0))
    with pytest.raises(ValueError, match="tried to create variables on non-first call"):
        always(tf.constant(1.0))

    state = {"make": False}

    @tf.function
    def later(x):
        if state["make"]:
            tf.Variable(1.0)
        return x

    later(tf.constant(1.0))
    state["make"] = True
    with pytest.raises(ValueError, match="Creating variables on a non-first call"):
        later(tf.constant(1.0))


# -- automatic control dependencies ---------------------------------------------------------------
def test_stateful_ops_run_in_order_and_with_any_result():
    v = tf.Variable(5.0)

    @tf.function
    def f(x):
        v.assign(1.0)
        v.assign_add(2.0)
        return v.read_value() * x, tf.constant(7.0)

    y, seven = f(tf.constant(2.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert [sess.run(y) for _ in range(3)] == [6.0] * 3
        sess.run(v.initializer)
        assert sess.run(seven) == 7.0 and sess.run(v) == 3.0  # ran without being fetched


def test_a_function_returning_none_gives_an_operation():
    v = tf.Variable(0.0)

    @tf.function
    def bump():
        v.assign_add(1.0)

    op = bump()
    assert isinstance(op, tf.Operation) and op.type == "NoOp"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        sess.run(op)
        assert sess.run(v) == 2.0


# -- no AutoGraph ---------------------------------------------------------------------------------
def test_python_control_flow_on_a_tensor_names_the_cause():
    @tf.function
    def branchy(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match=r"(?s)as a Python `bool`.*has no AutoGraph.*tf.cond"):
        branchy(tf.constant(1.0))

    @tf.function(autograph=False)
    def plain(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="as a Python `bool`") as info:
        plain(tf.constant(1.0))
    assert "AutoGraph" not in str(info.value)


# -- concrete functions ---------------------------------------------------------------------------
def test_concrete_function_inputs_outputs_and_calls():
    @tf.function
    def k(a, b=2):
        return {"s": a * b, "t": (a, 3)}

    cf = k.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert k.get_concrete_function(tf.TensorSpec([None], tf.float32)) is cf
    assert cf.structured_input_signature == ((tf.TensorSpec([None], tf.float32), 2), {})
    assert [p.op.type for p in cf.inputs] == ["Placeholder"] and len(cf.outputs) == 3
    assert cf.graph is tf.get_default_graph() and cf.python_function is k.python_function
    got = run(cf.structured_outputs, {cf.inputs[0]: [1.0, 2.0]})
    np.testing.assert_allclose(got["s"], [2, 4])
    np.testing.assert_allclose(run(cf(tf.constant([3.0]))["s"]), [6.0])
    np.testing.assert_allclose(run(cf(a=tf.constant([4.0]))["s"]), [8.0])
    with pytest.raises(TypeError, match="Expected at most 1 positional arguments"):
        cf(tf.ones([3]), 2)
    with pytest.raises(ValueError, match="was not a Tensor"):
        cf([1.0])
    with pytest.raises(ValueError, match="is not compatible with"):
        cf(tf.ones([3, 1]))
    with pytest.raises(TypeError, match="Missing: a"):
        cf(c=tf.ones([2]))


def test_concrete_function_of_a_signature():
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="inp")])
    def f(x):
        return tf.reduce_sum(x, axis=1)

    cf = f.get_concrete_function()
    assert cf.inputs[0].name == "inp:0" and cf.outputs[0].shape.as_list() == [None]
    np.testing.assert_allclose(run(cf.outputs[0], {cf.inputs[0]: [[1, 2], [3, 4]]}), [3, 7])
    with pytest.raises(ValueError, match="Python inputs incompatible"):
        f.get_concrete_function(tf.TensorSpec([2], tf.float32))


# -- side by side with TensorFlow's graph-mode tf.function ----------------------------------------
def _build(t):
    class Dense:
        def __init__(self):
            self.w = None

        @t.function
        def __call__(self, x):
            if self.w is None:
                self.w = t.Variable([[1.0], [-2.0]], name="kernel")
            return t.matmul(x, self.w)

    counter = t.Variable(0.0, name="counter")

    @t.function(input_signature=[t.TensorSpec([None, 2], t.float32)])
    def step(x):
        counter.assign_add(1.0)
        return t.reduce_sum(x * x, axis=1)

    layer = Dense()
    x = t.constant([[1.0, 2.0], [3.0, 4.0]])
    y1, y2 = layer(x), layer(x * 2.0)
    s = step([[1.0, 2.0]])
    # (not s's static shape: TF 2.21 refines a call's output shapes from its inputs, [1]; the
    # body, and minitf's inline result, have the signature's, [None])
    facts = [len(t.global_variables()), layer.w.name, y1.shape.as_list()]
    return [y1, y2, s], counter, facts


def test_side_by_side_with_tensorflow():
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        fetches, counter, want_facts = _build(tf1)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            want = sess.run(fetches)
            want_count = sess.run(counter)
    fetches, counter, got_facts = _build(tf)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(fetches)
        got_count = sess.run(counter)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)
    assert got_count == want_count == 1.0
    assert got_facts == want_facts
