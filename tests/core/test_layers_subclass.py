"""Subclasses of tf.layers.Layer (TF1's base layer contract): names, variable scopes and
reuse, build/call, add_weight, losses, updates, input_spec, dtype. Expected names and values
are by hand or numpy; where a comment says "TF", they are what tf.compat.v1 2.21 (tf_keras)
printed for the same code (its one difference: tf_keras numbers default layer names from
``_1``, ``my_layer_1``, where TF1 and minitf start at ``my_layer``)."""

import numpy as np
import pytest

import minitf as tf


class MyLayer(tf.layers.Layer):
    """y = x @ k + b, k trainable (ones), b not (zeros)."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.shapes = []

    def build(self, input_shape):
        self.shapes.append(input_shape)
        self.k = self.add_weight("k", shape=[int(input_shape[-1]), self.units],
                                 initializer=tf.ones_initializer())
        self.b = self.add_variable("b", shape=[self.units], initializer=tf.zeros_initializer(),
                                   trainable=False)
        super().build(input_shape)

    def call(self, inputs):
        return tf.matmul(inputs, self.k) + self.b


@pytest.fixture(autouse=True)
def _graph():
    with tf.Graph().as_default():
        yield


def test_a_subclass_builds_once_in_its_scope_and_reuses_its_variables():
    """TF: unique names from the class (a given name is kept, its scope made unique), build
    once with a TensorShape, variables <scope>/<name> shared by later calls (even under
    another scope), ops in the first name scope."""
    a, b, c, d = MyLayer(), MyLayer(), MyLayer(name="foo"), MyLayer(name="foo")
    assert [layer.name for layer in (a, b, c, d)] == ["my_layer", "my_layer_1", "foo", "foo"]
    assert not a.built and a.dtype is None and a.variables == []
    with pytest.raises(ValueError, match='layer "my_layer" has not been used yet'):
        _ = a.scope_name
    x = tf.placeholder(tf.float32, [None, 4])
    ya, yb = a(x), b(x)
    with tf.variable_scope("outer"):
        yc, yd = c(x), d(x)
    ya2 = a(x)
    with tf.variable_scope("other"):
        ya3 = a.apply(x * 2.0)
    assert [layer.scope_name for layer in (a, b, c, d)] == [
        "my_layer", "my_layer_1", "outer/foo", "outer/foo_1"]
    assert [layer.name for layer in (c, d)] == ["foo", "foo"]
    assert [t.op.name for t in (ya, yb, yc, yd, ya2, ya3)] == [
        "my_layer/add", "my_layer_1/add", "outer/foo/add", "outer/foo_1/add", "my_layer/add_1",
        "my_layer/add_2"]
    assert [v.op.name for v in tf.global_variables()] == [
        "my_layer/k", "my_layer/b", "my_layer_1/k", "my_layer_1/b", "outer/foo/k", "outer/foo/b",
        "outer/foo_1/k", "outer/foo_1/b"]
    assert [v.op.name for v in tf.trainable_variables()] == [
        "my_layer/k", "my_layer_1/k", "outer/foo/k", "outer/foo_1/k"]
    assert len(a.shapes) == 1 and isinstance(a.shapes[0], tf.TensorShape)
    assert a.shapes[0].as_list() == [None, 4]
    assert a.built and a.dtype == "float32" and a.trainable
    assert a.weights == [a.k, a.b] == a.variables
    assert a.trainable_weights == [a.k] == a.trainable_variables
    assert a.non_trainable_weights == [a.b] == a.non_trainable_variables
    xv = np.arange(8, dtype=np.float32).reshape(2, 4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(a.b.assign([1.0, -1.0]))
        got, got3 = sess.run([ya, ya3], {x: xv})
    np.testing.assert_allclose(got, xv @ np.ones((4, 2)) + [1.0, -1.0])
    np.testing.assert_allclose(got3, 2 * xv @ np.ones((4, 2)) + [1.0, -1.0])


def test_default_names_are_snake_case_and_numbered_per_graph():
    def make(name):
        return type(name, (tf.layers.Layer,), {})()

    assert [make("HTTPServerLayer").name, make("Conv2DX").name, make("_Private").name] == [
        "http_server_layer", "conv2dx", "private__private"]  # TF's (but _1)
    assert [MyLayer().name, MyLayer().name] == ["my_layer", "my_layer_1"]
    with tf.Graph().as_default():
        assert MyLayer().name == "my_layer"


def test_the_base_layer_is_the_identity_and_infers_its_dtype():
    """No build or call: the identity; dtype from the first input (float64), weights in it;
    numpy inputs become tensors; a build without super().build() still marks it built."""

    class Plain(tf.layers.Layer):
        def build(self, input_shape):
            self.v = self.add_weight("v", [2])
            self.i = self.add_weight("i", [2], dtype=tf.int32)

    plain = Plain()
    y = plain(tf.ones([2], tf.float64))
    assert plain.built and plain.dtype == "float64" and y.dtype == tf.float64
    assert (plain.v.dtype.base_dtype, plain.i.dtype.base_dtype) == (tf.float64, tf.int32)
    assert [v.op.name for v in plain.weights] == ["plain/v", "plain/i"]
    identity = tf.layers.Layer(dtype=tf.float16, name="id")
    assert identity.dtype == "float16"
    out = identity(np.ones((2, 2), np.float32))
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out), np.ones((2, 2)))


def test_weight_regularizers_losses_updates_and_activity_regularizer():
    """TF's names and values: the weight regularizer's loss <scope>/k/Regularizer/...,
    add_loss and the activity regularizer (sum / batch size) per call, all in
    REGULARIZATION_LOSSES and .losses (weights' last); add_update's operations in .updates
    and UPDATE_OPS; call's extra arguments passed through."""

    class Reg(tf.layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight("k", [int(input_shape[-1])],
                                     initializer=tf.constant_initializer(2.0),
                                     regularizer=lambda w: tf.reduce_sum(w * w))
            self.c = self.add_weight("c", [], initializer=tf.zeros_initializer(),
                                     trainable=False)

        def call(self, x, scale=1.0, training=None):
            self.add_loss(tf.reduce_mean(x))
            self.add_update(tf.assign_add(self.c, 1.0))
            return x * self.k * scale

    x = tf.ones([2, 3])
    layer = Reg(name="reg", activity_regularizer=lambda t: tf.reduce_sum(t))
    y = layer(x, scale=3.0)
    y2 = layer(x, 2.0, training=True)
    assert (y.op.name, y2.op.name) == ("reg/mul_1", "reg/mul_3")
    assert [t.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == [
        "reg/k/Regularizer/Sum:0", "reg/Mean:0", "reg/ActivityRegularizer/truediv:0",
        "reg/Mean_1:0", "reg/ActivityRegularizer_1/truediv:0"]
    assert [t.name for t in layer.losses] == [
        "reg/Mean:0", "reg/ActivityRegularizer/truediv:0", "reg/Mean_1:0",
        "reg/ActivityRegularizer_1/truediv:0", "reg/k/Regularizer/Sum:0"]
    assert [u.name for u in layer.updates] == ["reg/AssignAdd", "reg/AssignAdd_1"]
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == layer.updates
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, losses = sess.run([y, layer.losses])
        sess.run(layer.updates)
        count = sess.run(layer.c)
    np.testing.assert_allclose(out, np.full((2, 3), 6.0))
    # mean(x) = 1; sum(6 * ones(2, 3)) / 2 = 18; sum(4 * ones) / 2 = 12; sum(k * k) = 12
    np.testing.assert_allclose(losses, [1.0, 18.0, 1.0, 12.0, 12.0])
    assert count == 2.0


def test_a_non_trainable_layer():
    """trainable=False: its variables are not trainable (not in TRAINABLE_VARIABLES) and it
    reports no updates; set to False after the call, its weights all show as non-trainable."""
    frozen = MyLayer(name="nt", trainable=False)
    frozen(tf.ones([2, 3]))
    assert frozen.trainable_weights == [] and frozen.updates == []
    assert [v.op.name for v in frozen.non_trainable_weights] == ["nt/k", "nt/b"]
    assert tf.trainable_variables() == []
    later = MyLayer(name="later")
    later(tf.ones([2, 3]))
    later.trainable = False
    assert later.trainable_weights == [] and later.non_trainable_weights == [later.k, later.b]
    assert tf.trainable_variables() == [later.k]  # the collection keeps it (as TF)


def test_input_spec_scope_argument_and_add_weight_outside_a_call():
    """TF's messages for an input that does not fit tf.layers.InputSpec; a call taking
    ``scope`` gets the layer's variable scope; scope= names the first call's scope;
    add_weight before any call opens the layer's scope."""
    seen = []

    class Spec(tf.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = tf.layers.InputSpec(ndim=2, axes={-1: 3})

        def call(self, x, scope=None):
            seen.append(scope.name)
            return x + 1.0

    spec = Spec()
    with pytest.raises(ValueError, match=r'^Input 0 of layer "spec" is incompatible with the '
                       r"layer: expected ndim=2, found ndim=3. Full shape received: "
                       r"\(2, 3, 1\)$"):
        spec(tf.ones([2, 3, 1]))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3, "
                       r"but received input with shape \(2, 4\)$"):
        spec(tf.ones([2, 4]))
    assert spec(tf.ones([2, 3])).op.name == "spec/add"
    assert Spec()(tf.ones([2, 3]), scope="myscope").op.name == "myscope/add"
    assert seen == ["spec", "myscope"]
    layer = tf.layers.Layer(name="m")
    layer.input_spec = [tf.layers.InputSpec(min_ndim=3, dtype=tf.float32)]
    with pytest.raises(ValueError, match=r"expected min_ndim=3, found ndim=2. Full shape "
                       r"received: \(2, 2\)$"):
        layer(tf.ones([2, 2]))
    with pytest.raises(ValueError, match="expected dtype=float32, found dtype="):
        layer(tf.ones([2, 2, 2], tf.float64))
    early = MyLayer(name="ww")
    assert early.add_weight("v", [2]).op.name == "ww/v" and not early.built


def test_config_output_shape_and_constructor_arguments():
    """TF: get_config gives name, trainable and dtype, and refuses a subclass with more
    __init__ arguments that does not define it; no default compute_output_shape in graph
    mode; an unknown keyword argument is refused with Keras' message."""
    assert tf.layers.Layer(name="pp", trainable=False, dtype=tf.float64).get_config() == {
        "name": "pp", "trainable": False, "dtype": "float64"}
    with pytest.raises(NotImplementedError, match="must override `get_config`"):
        MyLayer().get_config()
    with pytest.raises(NotImplementedError, match="compute_output_shape"):
        MyLayer().compute_output_shape(tf.TensorShape([None, 4]))
    with pytest.raises(TypeError, match="Keyword argument not understood:.*'foo'"):
        tf.layers.Layer(foo=1)
    assert tf.layers.Layer(input_shape=(3,)).name == "layer"


def test_a_subclass_trains():
    """Gradients reach add_weight's variables: one SGD step on mean((x @ k + b)^2) against
    numpy (b is not trainable and stays)."""
    layer = MyLayer(units=1)
    xv = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    loss = tf.reduce_mean(tf.square(layer(tf.constant(xv))))
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        k, b = sess.run([layer.k, layer.b])
    pred = xv @ np.ones((2, 1))
    grad = 2 * xv.T @ pred / len(xv)
    np.testing.assert_allclose(k, np.ones((2, 1)) - 0.1 * grad, rtol=1e-6)
    np.testing.assert_array_equal(b, [0.0])
