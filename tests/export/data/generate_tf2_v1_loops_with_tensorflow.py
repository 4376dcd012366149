"""Regenerates the SavedModels in ``tf2_v1_loops/`` (needs ``tensorflow`` and ``tf_keras``).

    .venv/bin/python tests/export/data/generate_tf2_v1_loops_with_tensorflow.py [--out DIR]

TensorFlow 2 run the TF1 way: ``tf.compat.v1.disable_eager_execution()``, a graph and a
Session, ``tf.compat.v1.saved_model.simple_save``. Its control flow is still v2 there: a
``tf.compat.v1.while_loop`` is one functional ``While`` node whose cond and body live in
``graph_def.library``, with every resource variable the body reads passed in (and out) as a
loop variable, so the graph goes on after the loop with ``Identity`` nodes typed DT_RESOURCE
on the While's outputs. Inside a Keras layer's call, TF also makes the loop output all its
intermediates (``output_all_intermediates``, for gradients taken later): each one pushed onto
a TensorList accumulator, the TensorLists the body reads too, so a list of lists (a
``TensorListPushBack`` of a variant). Unlike the TF2 files in ``tf2/`` these graphs hold their
model (no function calls but the loops') and a TF1 saver; the variables' values are in a
name-based checkpoint.

- ``tf2_v1_loops/<name>/1/``: the SavedModel (version 1, as a model server's base path wants);
- ``tf2_v1_loops/<name>.npz``: fixed inputs and TensorFlow's outputs for them, computed by
  loading the SavedModel back into a new graph with ``tf.compat.v1.saved_model.loader.load``
  and running its signature. Keys as generate_tf2_with_tensorflow.py's (``in:<alias>``,
  ``out:<alias>``; ``serving_default@<case>/`` for a further input set).

Models: ``while_variable`` (a while_loop reading two resource variables, its trip count an
input: no Keras), ``keras_loop_layer`` (a small recurrent tf_keras layer of our own: a
while_loop over a TensorArray of the time steps, reading the layer's weights; the loop
accumulates its TensorLists), ``keras_simple_rnn`` (tf_keras' SimpleRNN, the real thing; LSTM
and GRU write the same loop with more gates and a few times the bytes).
Seeded and deterministic; the files are committed: CI needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import shutil

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611


def _rng(name):
    return np.random.default_rng(SEED + sum(map(ord, name)))


def build_while_variable(rng):
    """x [None] float32, n int32 scalar -> y: n times a <- tanh(a * v) + w from a = x (v, w
    resource variables read in the body), steps: the loop counter at exit."""
    x = tf1.placeholder(tf.float32, [None], name="x")
    n = tf1.placeholder(tf.int32, [], name="n")
    v = tf1.Variable(np.float32(rng.uniform(0.5, 2.0)), use_resource=True, name="v")
    w = tf1.Variable(np.float32(rng.uniform(-0.5, 0.5)), use_resource=True, name="w")
    steps, y = tf1.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, tf.tanh(a * v) + w),
                              [tf.constant(0), x])
    outputs = {"y": tf.identity(y, name="y"), "steps": tf.identity(steps, name="steps")}
    x_value = rng.normal(size=5).astype(np.float32)
    cases = {"": {"x": x_value, "n": np.int32(3)},
             "none": {"x": x_value, "n": np.int32(0)},
             "one": {"x": x_value[:2], "n": np.int32(1)}}
    return {"x": x, "n": n}, outputs, cases


class LoopLayer(keras.layers.Layer):
    """h_t = tanh(x_t @ kernel + h_{t-1} * decay), over a TensorArray of the time steps in a
    tf.compat.v1.while_loop; returns the stacked h [batch, time, units] (batch-major)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.decay = self.add_weight("decay", (self.units,), initializer="ones")

    def call(self, x):
        time_major = tf.transpose(x, [1, 0, 2])
        inputs = tf.TensorArray(tf.float32, size=tf.shape(time_major)[0]).unstack(time_major)
        out = tf.TensorArray(tf.float32, size=tf.shape(time_major)[0])
        h0 = tf.zeros([tf.shape(x)[0], self.units])

        def body(t, h, out):
            h = tf.tanh(tf.matmul(inputs.read(t), self.kernel) + h * self.decay)
            return t + 1, h, out.write(t, h)

        _, _, out = tf1.while_loop(lambda t, h, out: t < tf.shape(time_major)[0], body,
                                   [tf.constant(0), h0, out])
        return tf.transpose(out.stack(), [1, 0, 2])


def build_keras_loop_layer(rng):
    """Input((None, 3)) -> LoopLayer(2): seq [None, None, 3] -> out [None, None, 2]."""
    seq = keras.Input((None, 3), name="seq")
    model = keras.Model(seq, LoopLayer(2, name="loop")(seq))
    return _keras_inputs(model, rng, (2, 4, 3))


def build_keras_simple_rnn(rng):
    """Input((None, 3)) -> SimpleRNN(2): seq [None, None, 3] -> out [None, 2]."""
    seq = keras.Input((None, 3), name="seq")
    model = keras.Model(seq, keras.layers.SimpleRNN(2, name="rnn")(seq))
    return _keras_inputs(model, rng, (2, 3, 3))


def _keras_inputs(model, rng, shape):
    tf1.keras.backend.get_session().run(tf1.global_variables_initializer())
    x = rng.normal(size=shape).astype(np.float32)
    return ({"seq": model.input}, {"out": model.output},
            {"": {"seq": x}, "one_step": {"seq": x[:, :1]}})


MODELS = {"while_variable": build_while_variable, "keras_loop_layer": build_keras_loop_layer,
          "keras_simple_rnn": build_keras_simple_rnn}


def generate(name, build, out_dir):
    base = os.path.join(out_dir, name)
    shutil.rmtree(base, ignore_errors=True)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(SEED)
        keras.utils.set_random_seed(SEED)
        session = tf1.Session(graph=graph)
        tf1.keras.backend.set_session(session)
        inputs, outputs, cases = build(_rng(name))
        session.run(tf1.global_variables_initializer())
        tf1.saved_model.simple_save(session, os.path.join(base, "1"), inputs, outputs)
        session.close()
    tf1.keras.backend.clear_session()
    arrays = {}
    with tf.Graph().as_default(), tf1.Session() as session:  # as a server would: a fresh load
        meta = tf1.saved_model.loader.load(session, ["serve"], os.path.join(base, "1"))
        signature = meta.signature_def["serving_default"]
        for case, feed in cases.items():
            prefix = f"serving_default@{case}/" if case else ""
            got = session.run({a: t.name for a, t in signature.outputs.items()},
                              {signature.inputs[a].name: v for a, v in feed.items()})
            arrays.update({f"{prefix}in:{a}": np.asarray(v) for a, v in feed.items()})
            arrays.update({f"{prefix}out:{a}": v for a, v in got.items()})
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(base) for f in fs)
    print(f"{name}: {size} bytes")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "tf2_v1_loops"),
                        help="directory to write (default: tf2_v1_loops/ beside this script)")
    parser.add_argument("models", nargs="*", help="only these (default: all)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.models or MODELS:
        generate(name, MODELS[name], args.out)
    print(f"wrote {len(args.models or MODELS)} models to {args.out} with TensorFlow "
          f"{tf.__version__}, tf_keras {keras.__version__}")


if __name__ == "__main__":
    main()
