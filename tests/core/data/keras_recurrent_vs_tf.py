"""minitf's tf.keras recurrent layers and wrappers against tf_keras' v1 classes (TF 1.15's
tf.keras: LSTM/GRU v1) in v1 graph mode. Each case builds the same layer on the same inputs in
both (separate graphs), copies tf_keras' initial weights into minitf's, and compares the
outputs (and states), the gradients of a weighted sum of them w.r.t. the inputs and every
weight, the weight names, and get_config (its keys, then the whole of it as JSON). Prints one "OK"
line per case. Run with TF_USE_LEGACY_KERAS=1 (tests/core/legacy_tf.py)."""

import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

import minitf as mtf  # noqa: E402
from minitf import keras as mkeras  # noqa: E402

RNG = np.random.default_rng(3)
XS = RNG.normal(size=(3, 5, 4)).astype(np.float32)
MASKED = XS.copy()
MASKED[1, 2] = MASKED[1, 4] = MASKED[2, 0] = MASKED[2, 3] = MASKED[2, 4] = 0.0
STATES = [RNG.normal(size=(3, n)).astype(np.float32) for n in (3, 3, 2, 4)]


def without_build_config(config):
    """tf_keras' serialized built layers carry a ``build_config`` (Keras 2.13+ serialization,
    not TF 1.15's), which minitf does not write."""
    if isinstance(config, dict):
        return {k: without_build_config(v) for k, v in config.items() if k != "build_config"}
    if isinstance(config, list):
        return [without_build_config(v) for v in config]
    return config


def side(T, layers, make, xs, call, weights=None):
    graph = T.Graph()
    with graph.as_default():
        x = T.placeholder(T.float32, [None] + list(xs.shape[1:]))
        layer = make(layers)
        out = call(layer, x, T, layers)
        outs = T.nest.flatten(out)
        coefs = [T.placeholder(T.float32, o.shape) for o in outs]
        loss = sum(T.reduce_sum(o * c) for o, c in zip(outs, coefs))
        grads = T.gradients(loss, [x] + list(layer.weights))
        with T.Session(graph=graph) as sess:
            sess.run(T.global_variables_initializer())
            if weights is not None:
                layer.set_weights(weights)
            values = sess.run(layer.weights)
            got = sess.run(outs, {x: xs})
            feed = {x: xs}
            feed.update({c: np.cos(np.arange(v.size)).reshape(v.shape).astype(np.float32)
                         for c, v in zip(coefs, got)})
            grad_values = sess.run(grads, feed)
        config = json.dumps(without_build_config(layer.get_config()), sort_keys=True,
                            default=str)
        return dict(values=values, out=got, grads=grad_values,
                    names=[w.name for w in layer.weights], keys=sorted(layer.get_config()),
                    config=config)


def check(name, make, call=None, xs=XS, rtol=2e-5):
    call = call or (lambda layer, x, T, layers: layer(x))
    theirs = side(tf1, tf1.keras.layers, make, xs, call)
    ours = side(mtf, mkeras.layers, make, xs, call, weights=theirs["values"])
    assert ours["names"] == theirs["names"], (name, ours["names"], theirs["names"])
    assert ours["keys"] == theirs["keys"], (name, ours["keys"], theirs["keys"])
    # the whole config too: serialized initializers, activations, the cell's and inner layer's
    assert ours["config"] == theirs["config"], (name, ours["config"], theirs["config"])
    assert len(ours["out"]) == len(theirs["out"]), name
    for a, b in zip(ours["out"], theirs["out"]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-5, err_msg=name)
    assert len(ours["grads"]) == len(theirs["grads"]), name
    for a, b in zip(ours["grads"], theirs["grads"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    print("OK", name)


def masked(layer, x, T, layers):
    return layer(layers.Masking()(x))


def with_states(n):
    def call(layer, x, T, layers):
        return layer(x, initial_state=[T.constant(s) for s in STATES[:n]])
    return call


check("simple_rnn sequences", lambda L: L.SimpleRNN(3, return_sequences=True))
check("simple_rnn backwards state unrolled",
      lambda L: L.SimpleRNN(3, go_backwards=True, return_state=True, unroll=True,
                            activation="relu"))
check("lstm", lambda L: L.LSTM(3))
check("lstm implementation 2 sequences state",
      lambda L: L.LSTM(3, implementation=2, return_sequences=True, return_state=True))
check("lstm unrolled backwards", lambda L: L.LSTM(3, unroll=True, go_backwards=True,
                                                  return_sequences=True))
check("lstm masked", lambda L: L.LSTM(3, return_sequences=True, return_state=True), masked,
      MASKED)
check("lstm masked unrolled backwards",
      lambda L: L.LSTM(3, unroll=True, go_backwards=True, return_state=True), masked, MASKED)
check("lstm initial_state", lambda L: L.LSTM(3, return_state=True), with_states(2))
check("lstm time_major", lambda L: L.LSTM(3, time_major=True, return_sequences=True),
      xs=XS.transpose(1, 0, 2).copy())
check("lstm no bias, sigmoid, no unit_forget_bias",
      lambda L: L.LSTM(3, use_bias=False, recurrent_activation="sigmoid",
                       unit_forget_bias=False, return_sequences=True))
check("gru", lambda L: L.GRU(3, return_sequences=True))
check("gru reset_after implementation 2", lambda L: L.GRU(3, reset_after=True, implementation=2,
                                                          return_state=True))
check("gru reset_after masked backwards",
      lambda L: L.GRU(3, reset_after=True, go_backwards=True, return_sequences=True), masked,
      MASKED)
check("gru unrolled initial_state", lambda L: L.GRU(3, unroll=True, return_state=True),
      with_states(1))
check("rnn stacked cells",
      lambda L: L.RNN([L.LSTMCell(3), L.GRUCell(2), L.SimpleRNNCell(4)],
                      return_sequences=True), masked, MASKED)
check("rnn stacked cells states", lambda L: L.RNN([L.GRUCell(2), L.LSTMCell(3)],
                                                  return_state=True))
check("rnn one cell initial_state", lambda L: L.RNN(L.LSTMCell(3), return_state=True),
      with_states(2))
check("lstm dropout inference", lambda L: L.LSTM(3, dropout=0.4, recurrent_dropout=0.4))
check("bidirectional concat", lambda L: L.Bidirectional(L.LSTM(2)))
check("bidirectional sum sequences masked",
      lambda L: L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum"), masked,
      MASKED)
check("bidirectional ave gru",
      lambda L: L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="ave"))
check("bidirectional mul gru reset_after",
      lambda L: L.Bidirectional(L.GRU(2, reset_after=True), merge_mode="mul"))
check("bidirectional None states backward_layer",
      lambda L: L.Bidirectional(L.SimpleRNN(2, return_state=True), merge_mode=None,
                                backward_layer=L.GRU(3, go_backwards=True, return_state=True)))
check("time_distributed dense", lambda L: L.TimeDistributed(L.Dense(2, activation="tanh")))
