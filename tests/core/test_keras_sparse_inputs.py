"""Sparse inputs to layers and the Keras backend, as TF1 Keras (keras-gcn style): a rank-2
SparseTensor goes into ``Dense`` / ``tf.layers.dense`` through sparse_tensor_dense_matmul (TF
1.15's Dense), counts as one input in the input-spec check, and the backend has ``K.dot`` of a
sparse matrix, ``K.is_sparse``, ``K.to_dense``, ``K.concatenate`` (sparse concat when all are
sparse, else dense) and ``K.placeholder(sparse=True)``. Values against numpy first (no
TensorFlow needed), then one program side by side with tf.compat.v1 / tf_keras in a
subprocess (skipped without them).

TF 2.21's tf_keras cannot ``fit``/``predict``/``train_on_batch`` a model with a sparse Input
from a SparseTensorValue either (its standardize_input_data fails), so the model here is
trained through the session, as that is what both can run."""

import os

import numpy as np
import pytest

import minitf as tf
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling

from .keras_session import _fresh_graph  # noqa: F401 - an autouse fixture
from .legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
RNG = np.random.default_rng(11)
DENSE = np.array([[1.0, 0, 0], [0, 0, 2.0], [0, 0, 0], [0, -3.0, 0.5]], np.float32)
KERNEL = RNG.normal(size=(3, 2)).astype(np.float32)
BIAS = np.array([0.25, -0.5], np.float32)


def _sparse_value(dense) -> tf.SparseTensorValue:
    rows, cols = np.nonzero(dense)
    return tf.SparseTensorValue(np.stack([rows, cols], 1).astype(np.int64),
                                dense[rows, cols], np.array(dense.shape, np.int64))


def _sparse(dense) -> tf.SparseTensor:
    return tf.SparseTensor.from_value(_sparse_value(dense))


def _run(fetches, feed=None):
    sess = K.get_session()
    sess.run(tf.global_variables_initializer())
    return sess.run(fetches, feed)


def _const(value):
    return tf.keras.initializers.Constant(value)


# -- layers, against numpy -----------------------------------------------------------------------
def test_input_spec_counts_a_sparse_tensor_as_one_input():
    from minitf.layers_base import InputSpec, _check_input_spec

    sp = _sparse(DENSE)
    _check_input_spec(InputSpec(min_ndim=2, axes={-1: 3}), sp, "d")  # no error
    _check_input_spec([InputSpec(ndim=2), InputSpec(ndim=2)], [sp, tf.ones([2, 2])], "d")
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        _check_input_spec(InputSpec(axes={-1: 4}), sp, "d")


@pytest.mark.parametrize("make", ["keras", "tf_layers_fn", "tf_layers_obj"])
def test_dense_multiplies_a_sparse_input_like_its_dense_matrix(make):
    sp = _sparse(DENSE)
    if make == "keras":
        y = tf.keras.layers.Dense(2, activation="relu", kernel_initializer=_const(KERNEL),
                                  bias_initializer=_const(BIAS))(sp)
    elif make == "tf_layers_fn":
        y = tf.layers.dense(sp, 2, activation=tf.nn.relu, kernel_initializer=_const(KERNEL),
                            bias_initializer=_const(BIAS))
    else:
        y = tf.layers.Dense(2, activation=tf.nn.relu, kernel_initializer=_const(KERNEL),
                            bias_initializer=_const(BIAS))(sp)
    assert y.shape.as_list() == [4, 2]
    np.testing.assert_allclose(_run(y), np.maximum(DENSE @ KERNEL + BIAS, 0), rtol=1e-6)


def test_dense_on_a_sparse_keras_input_is_fed_a_sparse_tensor_value():
    x = tf.keras.layers.Input(shape=(3,), sparse=True)
    assert isinstance(x, tf.SparseTensor) and x.shape.as_list() == [None, 3]
    layer = tf.keras.layers.Dense(2, kernel_initializer=_const(KERNEL))
    y = layer(x)
    assert y.shape.as_list() == [None, 2]
    model = tf.keras.models.Model(x, y)
    assert model.output_shape == (None, 2)
    out = K.function([x], [y])([_sparse_value(DENSE)])[0]
    np.testing.assert_allclose(out, DENSE @ KERNEL, rtol=1e-6)


def test_dense_gradient_through_a_sparse_input():
    layer = tf.keras.layers.Dense(2, kernel_initializer=_const(KERNEL))
    y = layer(_sparse(DENSE))
    dy = RNG.normal(size=(4, 2)).astype(np.float32)
    gk, gb = _run(tf.gradients(tf.reduce_sum(y * dy), [layer.kernel, layer.bias]))
    np.testing.assert_allclose(gk, DENSE.T @ dy, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, dy.sum(0), rtol=1e-5)


def test_dense_refuses_a_sparse_input_of_rank_3():
    sp = tf.SparseTensor([[0, 0, 0]], [1.0], [2, 3, 4])
    with pytest.raises(TypeError, match="SparseTensor input of rank 2"):
        tf.keras.layers.Dense(2)(sp)
    with pytest.raises(TypeError, match="SparseTensor input of rank 2"):
        tf.layers.dense(sp, 2)


# -- the backend, against numpy ------------------------------------------------------------------
def test_backend_dot_is_sparse_and_to_dense():
    sp, b = _sparse(DENSE), RNG.normal(size=(3, 5)).astype(np.float32)
    out = K.dot(sp, K.constant(b))
    assert out.op.type == "SparseTensorDenseMatMul" and out.shape.as_list() == [4, 5]
    np.testing.assert_allclose(_run(out), DENSE @ b, rtol=1e-6)
    assert K.is_sparse(sp) and not K.is_sparse(K.constant(b))
    assert not K.is_sparse(_sparse_value(DENSE))  # a value is not a SparseTensor (as Keras)
    np.testing.assert_array_equal(_run(K.to_dense(sp)), DENSE)
    dense = K.constant(b)
    assert K.to_dense(dense) is dense


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_backend_concatenate_sparse_tensors_stays_sparse(axis):
    other = np.array([[0, 4.0, 0], [0, 0, 0], [5.0, 0, 0], [0, 0, 6.0]], np.float32)
    out = K.concatenate([_sparse(DENSE), _sparse(other)], axis=axis)
    assert K.is_sparse(out)
    want = np.concatenate([DENSE, other], axis)
    assert out.shape.as_list() == list(want.shape)
    np.testing.assert_array_equal(_run(tf.sparse.to_dense(out)), want)


def test_backend_concatenate_mixed_sparse_and_dense_is_dense():
    ones = np.ones((4, 2), np.float32)
    out = K.concatenate([_sparse(DENSE), K.constant(ones)], axis=-1)
    assert not K.is_sparse(out)
    np.testing.assert_array_equal(_run(out), np.concatenate([DENSE, ones], 1))


def test_backend_sparse_placeholder():
    p = K.placeholder(shape=(None, 3), sparse=True)
    assert K.is_sparse(p) and K.is_placeholder(p)
    assert K.int_shape(p) == (None, 3) and K.ndim(p) == 2 and K.dtype(p) == "float32"
    assert K.int_shape(K.placeholder(ndim=2, sparse=True)) == (None, None)
    b = RNG.normal(size=(3, 2)).astype(np.float32)
    out = K.function([p], [K.dot(p, K.constant(b))])([_sparse_value(DENSE)])[0]
    np.testing.assert_allclose(out, DENSE @ b, rtol=1e-6)


# -- a keras-gcn model: sparse adjacency vs the same model on the dense one ----------------------
# Shared with the TensorFlow side (run(tf) returns plain lists). The GraphConvolution layer is
# tkipf/keras-gcn's, trained 5 Adam steps through the session.
PROGRAM = r'''
import numpy as np


def gcn(tf, sparse_adjacency, steps=5):
    K = tf.keras.backend
    rng = np.random.RandomState(38)
    N, F, C = 8, 5, 3
    A = (rng.rand(N, N) > 0.6).astype(np.float32)
    A = ((A + A.T + np.eye(N, dtype=np.float32)) > 0).astype(np.float32)
    A = A / A.sum(1, keepdims=True)
    X = rng.randn(N, F).astype(np.float32)
    Y = np.eye(C, dtype=np.float32)[rng.randint(0, C, N)]
    mask = np.array([1, 1, 1, 1, 0, 0, 1, 0], np.float32)

    class GraphConvolution(tf.keras.layers.Layer):
        def __init__(self, units, support=1, activation=None, **kwargs):
            super(GraphConvolution, self).__init__(**kwargs)
            self.units, self.support = units, support
            self.activation = tf.keras.activations.get(activation)

        def compute_output_shape(self, input_shapes):
            return (input_shapes[0][0], self.units)

        def build(self, input_shapes):
            input_dim = int(input_shapes[0][1])
            init = np.random.RandomState(input_dim).randn(input_dim * self.support, self.units)
            self.kernel = self.add_weight(
                shape=(input_dim * self.support, self.units), name="kernel",
                initializer=tf.keras.initializers.Constant(init * 0.3),
                regularizer=tf.keras.regularizers.l2(5e-4))
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            self.built = True

        def call(self, inputs, mask=None):
            features, basis = inputs[0], inputs[1:]
            supports = [K.dot(basis[i], features) for i in range(self.support)]
            supports = K.concatenate(supports, axis=1)
            return self.activation(K.dot(supports, self.kernel) + self.bias)

    with tf.Graph().as_default():
        x_in = tf.keras.layers.Input(shape=(F,))
        g = tf.keras.layers.Input(shape=(None,) if sparse_adjacency else (N,),
                                  sparse=sparse_adjacency)
        h = GraphConvolution(6, 1, activation="relu")([tf.keras.layers.Dropout(0.0)(x_in), g])
        yp = GraphConvolution(C, 1, activation="softmax")([h, g])
        model = tf.keras.models.Model(inputs=[x_in, g], outputs=yp)
        shapes = [str(layer.output_shape) for layer in model.layers]
        target = tf.placeholder(tf.float32, [None, C])
        weight = tf.placeholder(tf.float32, [None])
        loss = tf.reduce_sum(K.categorical_crossentropy(target, yp) * weight) / \
            tf.reduce_sum(weight) + tf.add_n(model.losses)
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        rows, cols = np.nonzero(A)
        adjacency = tf.SparseTensorValue(np.stack([rows, cols], 1).astype(np.int64),
                                         A[rows, cols], np.array(A.shape, np.int64)) \
            if sparse_adjacency else A
        feed = {x_in: X, g: adjacency, target: Y, weight: mask}
        sess = K.get_session()
        sess.run(tf.global_variables_initializer())
        predict0 = sess.run(yp, feed)
        losses = [float(sess.run([loss, train], feed)[0]) for _ in range(steps)]
        return {"shapes": shapes, "predict0": predict0.tolist(), "losses": losses,
                "weights": [w.tolist() for w in sess.run(model.weights)]}


def run(tf):
    K = tf.keras.backend
    out = {}
    dense = np.array([[1.0, 0, 0], [0, 0, 2.0], [0, 0, 0], [0, -3.0, 0.5]], np.float32)
    rows, cols = np.nonzero(dense)
    value = tf.SparseTensorValue(np.stack([rows, cols], 1).astype(np.int64),
                                 dense[rows, cols], np.array(dense.shape, np.int64))
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2) / 4.0
    with tf.Graph().as_default():
        sp = tf.SparseTensor(value.indices, value.values, value.dense_shape)
        ones = tf.ones_initializer()
        keras_dense = tf.keras.layers.Dense(2, kernel_initializer="ones")
        y_keras = keras_dense(sp)
        y_fn = tf.layers.dense(sp, 2, kernel_initializer=tf.constant_initializer(kernel),
                               bias_initializer=tf.constant_initializer(0.5),
                               activation=tf.nn.relu)
        y_obj = tf.layers.Dense(2, kernel_initializer=ones, bias_initializer=ones)(sp)
        y_in = tf.keras.layers.Dense(2)(tf.keras.layers.Input(shape=(3,), sparse=True))
        dy = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], np.float32)
        grads = [tf.convert_to_tensor(g) for g in tf.gradients(
            tf.reduce_sum(y_keras * dy), keras_dense.weights)]
        b = tf.constant(kernel)
        dot = K.dot(sp, b)
        cat0 = K.concatenate([sp, sp], axis=0)
        cat1 = K.concatenate([sp, sp], axis=-1)
        mixed = K.concatenate([sp, tf.ones([4, 3])], axis=0)
        p = K.placeholder(shape=(None, 3), sparse=True)
        p_dot = K.dot(p, b)
        out["static"] = [y_in.shape.as_list(), [x.shape.as_list()[-1] for x in
                                                (y_keras, y_fn, y_obj)],
                         cat0.shape.as_list(), cat1.shape.as_list(), list(K.int_shape(p)),
                         [p.indices.op.type, p.values.op.type, p.dense_shape.op.type],
                         [K.is_sparse(sp), K.is_sparse(b), K.is_sparse(cat0),
                          K.is_sparse(mixed)]]
        sess = K.get_session()
        sess.run(tf.global_variables_initializer())
        got = sess.run([y_keras, y_fn, y_obj, grads, dot, K.to_dense(sp),
                        tf.sparse.to_dense(cat0), tf.sparse.to_dense(cat1), mixed])
        out["values"] = [np.asarray(v).tolist() for v in got[:3]]
        out["grads"] = [np.asarray(v).tolist() for v in got[3]]
        out["backend"] = [np.asarray(v).tolist() for v in got[4:]]
        out["placeholder"] = sess.run(p_dot, {p: value}).tolist()
    out["gcn"] = gcn(tf, True)
    return out
'''

TF_SIDE = PROGRAM + """
import json
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
print(json.dumps(run(tf)))
"""


def _program() -> dict:
    scope: dict = {}
    exec(compile(PROGRAM, "sparse_inputs_program", "exec"), scope)  # noqa: S102 - shared
    return scope


def test_gcn_on_a_sparse_adjacency_trains_as_on_the_dense_one():
    gcn = _program()["gcn"]
    sparse, dense = gcn(tf, True), gcn(tf, False)
    assert sparse["shapes"] == ["[(None, 5)]", "(None, 5)", "[(None, None)]", "(None, 6)",
                                "(None, 3)"]
    np.testing.assert_allclose(sparse["predict0"], dense["predict0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sparse["losses"], dense["losses"], rtol=1e-5)
    assert sparse["losses"][-1] < sparse["losses"][0]
    for a, b in zip(sparse["weights"], dense["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# -- side by side with TensorFlow ----------------------------------------------------------------
@pytest.fixture(scope="module")
def both():
    want = tf_side_json(TF_SIDE, REPO)  # skips without TensorFlow and tf_keras
    K.clear_session()
    got = _program()["run"](tf)
    return got, want


def test_layers_and_backend_match_tensorflow(both):
    got, want = both
    # TF 2.21's Dense multiplies through embedding_lookup_sparse, which loses the static batch
    # size minitf keeps (TF 1.15's sparse_tensor_dense_matmul keeps it too): compare the rest.
    assert got["static"] == want["static"]
    for key in ("values", "grads", "backend"):
        for a, b in zip(got[key], want[key]):
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=key)
    np.testing.assert_allclose(got["placeholder"], want["placeholder"], rtol=1e-6)


def test_gcn_matches_tensorflow(both):
    got, want = both[0]["gcn"], both[1]["gcn"]
    assert got["shapes"] == want["shapes"]
    np.testing.assert_allclose(got["predict0"], want["predict0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-5)
    for a, b in zip(got["weights"], want["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
