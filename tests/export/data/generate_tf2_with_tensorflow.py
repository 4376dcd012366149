"""Regenerates the TF2-written SavedModels in ``tf2/`` (needs ``tensorflow`` and ``tf_keras``).

    .venv/bin/python tests/export/data/generate_tf2_with_tensorflow.py [--out DIR]

Every model is built by real TensorFlow 2 in eager mode and written the two ways TF2 users ship
models: ``tf.saved_model.save`` of a ``tf.Module`` with ``tf.function`` signatures, and Keras 2's
(``tf_keras``) ``model.save(dir, save_format="tf")``. Unlike the TF1 files beside this script
(generate_with_tensorflow.py), their graphs hold no model: a signature's outputs are those of a
``StatefulPartitionedCall`` node calling a function of ``graph_def.library``, which calls others
(nested ``StatefulPartitionedCall`` / ``PartitionedCall``, ``If`` / ``StatelessIf`` branches,
``While`` / ``StatelessWhile`` bodies), with the variables passed in as resource handles and
their values in ``variables/`` (a TF2 object-based checkpoint). Each signature_def map also
holds ``__saved_model_init_op``, which is the loader's init op, not a signature.

- ``tf2/<name>/1/``: the SavedModel (version directory 1, as a model server's base path wants);
- ``tf2/<name>.npz``: fixed inputs and TensorFlow's outputs for them, computed by loading the
  SavedModel back with ``tf.saved_model.load`` and calling its signature. Keys are
  ``<prefix>in:<alias>`` and ``<prefix>out:<alias>``, where ``<prefix>`` is empty for the
  first input set of ``serving_default``, ``<signature>/`` for the first input set of another
  signature, and ``<signature>@<case>/`` for a further input set of a signature (another
  branch, another number of iterations).

Models: ``module_mlp`` (two signatures, nested tf.function calls, a gather and a one-hot),
``keras_mlp`` (Dense, BatchNormalization, Dropout, softmax), ``keras_cnn`` (Conv2D, batch norm,
MaxPool2D, strided Conv2D, GlobalAveragePooling2D), ``cond_module`` (tf.cond reading variables
in both branches, nested; a stateless cond), ``while_module`` (tf.while_loop with a variable
read in its body, and a stateless one), ``keras_lstm`` (an LSTM layer: a While over
TensorLists, and Keras' implementation-selection functions), ``lookup_module`` (a string
StaticHashTable filled by the init op), ``vocab_module`` (a vocabulary file in assets/),
``mutable_table_module`` (a MutableHashTable restored from the checkpoint),
``counter_module`` (beside serving_default, a signature that changes a variable),
``nested_while_module`` (a loop in a loop's body with a cond after it, and a TensorArray
loop; TensorFlow's gradients in its npz, see MODELS).
Seeded and deterministic; the files are committed: CI needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import shutil

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras is Keras 2 (tf_keras) too
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
F32 = tf.float32


def _rng(name):
    return np.random.default_rng(SEED + sum(map(ord, name)))


def _seed_everything():
    keras.utils.set_random_seed(SEED)  # Python's, numpy's and TensorFlow's global seeds
    tf.config.experimental.enable_op_determinism()


# -- tf.Module models -----------------------------------------------------------------------------
class ModuleMLP(tf.Module):
    """serving_default: x [None, 4] -> {"y": relu(x @ w + b), "z": tanh(y @ v)}; scores:
    (x [None, 4], ids [None] int32) -> the logit each row's id picks (gather, batch_dims=1),
    the same through a one-hot, and the ids' rows of an embedding variable. Both call the
    ``hidden`` tf.function (a StatefulPartitionedCall: it reads variables) and ``squash`` (a
    PartitionedCall: it reads none), which calls ``hidden``'s sibling ``_scale`` in turn."""

    def __init__(self, rng):
        super().__init__(name="module_mlp")
        self.w = tf.Variable(rng.normal(size=(4, 6)).astype(np.float32), name="w")
        self.b = tf.Variable(rng.normal(size=(6,)).astype(np.float32) * 0.1, name="b")
        self.v = tf.Variable(rng.normal(size=(6, 3)).astype(np.float32) * 0.5, name="v")
        self.emb = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="emb")

    @tf.function
    def hidden(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)

    @tf.function
    def _scale(self, t):
        return t * 0.5

    @tf.function
    def squash(self, t):
        return tf.tanh(self._scale(t) * 2.0)  # nested: a function calling a function

    @tf.function(input_signature=[tf.TensorSpec([None, 4], F32, name="x")])
    def serve(self, x):
        y = self.hidden(x)
        return {"y": y, "z": self.squash(tf.matmul(y, self.v))}

    @tf.function(input_signature=[tf.TensorSpec([None, 4], F32, name="x"),
                                  tf.TensorSpec([None], tf.int32, name="ids")])
    def scores(self, x, ids):
        logits = tf.matmul(self.hidden(x), self.v)  # [n, 3]
        picked = tf.gather(logits, ids[:, None], axis=1, batch_dims=1)[:, 0]
        via_one_hot = tf.reduce_sum(tf.one_hot(ids, 3) * logits, axis=1)
        return {"picked": picked, "one_hot": via_one_hot,
                "embedding": tf.gather(self.emb, ids)}


def build_module_mlp(export_dir):
    rng = _rng("module_mlp")
    m = ModuleMLP(rng)
    tf.saved_model.save(m, export_dir, signatures={"serving_default": m.serve,
                                                   "scores": m.scores})
    x = rng.normal(size=(5, 4)).astype(np.float32)
    return {"serving_default": {"": {"x": x}},
            "scores": {"": {"x": x, "ids": np.array([0, 2, 1, 2, 0], np.int32)}}}


class CondModule(tf.Module):
    """serving_default: x [None, 3] -> y. ``first`` = tf.cond(sum(x) > 0) whose branches both
    read a variable (TF2 writes ``If``: the handles are the op's inputs), the false branch
    holding a nested cond; ``second`` = a cond on the same predicate reading no variable
    (``StatelessIf``). A positive and a negative input take every branch."""

    def __init__(self, rng):
        super().__init__(name="cond_module")
        self.w = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="w")
        self.u = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="u")
        self.c = tf.Variable(np.array([0.25, -0.5], np.float32), name="c")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], F32, name="x")])
    def serve(self, x):
        positive = tf.reduce_sum(x) > 0.0
        first = tf.cond(
            positive,
            lambda: tf.tanh(tf.matmul(x, self.w)) + self.c,
            lambda: tf.cond(tf.reduce_max(x) > -0.5,  # nested, reading another variable
                            lambda: tf.matmul(x, self.u) * 2.0,
                            lambda: tf.nn.relu(tf.matmul(x, self.u)) - self.c))
        h = tf.matmul(x, tf.ones([3, 2]))
        second = tf.cond(positive, lambda: h * 3.0, lambda: tf.square(h))
        return {"first": first, "second": second, "y": first + second}


def build_cond_module(export_dir):
    rng = _rng("cond_module")
    m = CondModule(rng)
    tf.saved_model.save(m, export_dir, signatures=m.serve)
    pos = np.abs(rng.normal(size=(4, 3))).astype(np.float32)
    neg = -np.abs(rng.normal(size=(4, 3))).astype(np.float32)
    neg[0, 0] = 0.1  # max(x) > -0.5: the nested cond's true branch
    very_neg = -np.abs(rng.normal(size=(2, 3))).astype(np.float32) - 1.0  # its false branch
    return {"serving_default": {"": {"x": pos}, "negative": {"x": neg},
                                "very_negative": {"x": very_neg}}}


class WhileModule(tf.Module):
    """serving_default: (x [None, 3], n [] int32) -> {"x": x after n steps of x = tanh(x @ w)
    (a variable read in the body: ``While``), "count": the loop counter, "decayed": a second,
    stateless loop (``StatelessWhile``) halving x until its max is below 0.1, "steps": its
    count}."""

    def __init__(self, rng):
        super().__init__(name="while_module")
        self.w = tf.Variable(rng.normal(size=(3, 3)).astype(np.float32) * 0.8, name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], F32, name="x"),
                                  tf.TensorSpec([], tf.int32, name="n")])
    def serve(self, x, n):
        count, out = tf.while_loop(lambda i, s: i < n,
                                   lambda i, s: (i + 1, tf.tanh(tf.matmul(s, self.w))),
                                   [tf.constant(0), x])
        steps, decayed = tf.while_loop(lambda j, s: tf.reduce_max(tf.abs(s)) >= 0.1,
                                       lambda j, s: (j + 1, s * 0.5),
                                       [tf.constant(0), x], maximum_iterations=20)
        return {"x": out, "count": count, "decayed": decayed, "steps": steps}


def build_while_module(export_dir):
    rng = _rng("while_module")
    m = WhileModule(rng)
    tf.saved_model.save(m, export_dir, signatures=m.serve)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    return {"serving_default": {"": {"x": x, "n": np.array(3, np.int32)},
                                "zero_steps": {"x": x * 0.05, "n": np.array(0, np.int32)}}}


class NestedWhileModule(tf.Module):
    """serving_default: x [None, 3] -> {"y": three steps of a loop whose body runs an inner
    loop (i + 1 steps of b = tanh(b @ w) + 0.1 b) and then a tf.cond on its sum, "z": the sum
    of what a second loop writes to a TensorArray (a TensorList loop variable), x scaled by
    a row of w each step}. Its npz also holds TensorFlow's gradients (see MODELS)."""

    def __init__(self, rng):
        super().__init__(name="nested_while_module")
        self.w = tf.Variable(rng.normal(size=(3, 3)).astype(np.float32) * 0.6, name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], F32, name="x")])
    def serve(self, x):
        def body(i, a):
            _, b = tf.while_loop(lambda j, b: j < i + 1,
                                 lambda j, b: (j + 1, tf.tanh(b @ self.w) + 0.1 * b),
                                 [tf.constant(0), a])
            return i + 1, tf.cond(tf.reduce_sum(b) > 0, lambda: b * 1.5, lambda: tf.sin(b))

        _, y = tf.while_loop(lambda i, a: i < 3, body, [tf.constant(0), x])

        def write(k, ta, a):
            a = a * self.w[k, 0] + tf.cos(a)
            return k + 1, ta.write(k, a), a

        _, ta, _ = tf.while_loop(lambda k, ta, a: k < 3, write,
                                 [tf.constant(0), tf.TensorArray(F32, size=3), y])
        return {"y": y, "z": tf.reduce_sum(ta.stack(), 0)}


def build_nested_while_module(export_dir):
    rng = _rng("nested_while_module")
    m = NestedWhileModule(rng)
    tf.saved_model.save(m, export_dir, signatures=m.serve)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    return {"serving_default": {"": {"x": x}}}, _gradients(m.serve, {"x": x})


def _gradients(fn, inputs) -> dict:
    """``grad:<output>:<input>`` arrays (see MODELS) of ``fn``, the module's own function:
    TensorFlow cannot differentiate the loaded SavedModel's (a variable read in a While has
    no handle data there)."""
    args = {a: tf.constant(v) for a, v in inputs.items()}
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(list(args.values()))
        losses = {o: tf.reduce_sum(tf.square(t)) for o, t in fn(**args).items()}
    return {f"grad:{o}:{a}": tape.gradient(loss, x).numpy()
            for o, loss in losses.items() for a, x in args.items() if x.dtype.is_floating}


class LookupModule(tf.Module):
    """serving_default: words [None] string -> {"ids": a StaticHashTable's int64 ids (-1 when
    unknown), "scores": a variable gathered at ids + 1}. TF2 creates the table in the graph
    and fills it in the init function ``__saved_model_init_op`` calls."""

    def __init__(self, rng):
        super().__init__(name="lookup_module")
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant(["cat", "dog", "fish"]), tf.constant([0, 1, 2], tf.int64))
        self.table = tf.lookup.StaticHashTable(init, default_value=-1)
        self.scores = tf.Variable(rng.normal(size=(4,)).astype(np.float32), name="scores")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def serve(self, words):
        ids = self.table.lookup(words)
        return {"ids": ids, "scores": tf.gather(self.scores, ids + 1)}


def build_lookup_module(export_dir):
    m = LookupModule(_rng("lookup_module"))
    tf.saved_model.save(m, export_dir, signatures=m.serve)
    return {"serving_default": {"": {"words": np.array([b"dog", b"cow", b"fish", b"cat"])}}}


class VocabModule(tf.Module):
    """serving_default: words [None] string -> {"ids": a StaticVocabularyTable's ids from a
    vocabulary *file* (2 OOV buckets)}. TF2 copies the file into assets/ and keeps its path
    in a string variable the init op assigns from the asset placeholder (not in the
    checkpoint)."""

    def __init__(self, vocab_file):
        super().__init__(name="vocab_module")
        init = tf.lookup.TextFileInitializer(
            vocab_file, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER)
        self.table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=2)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
    def serve(self, words):
        return {"ids": self.table.lookup(words)}


def build_vocab_module(export_dir):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        vocab = os.path.join(tmp, "vocab.txt")
        with open(vocab, "w") as f:
            f.write("the\nquick\nbrown\nfox\n")
        m = VocabModule(vocab)
        tf.saved_model.save(m, export_dir, signatures=m.serve)
    return {"serving_default": {"": {"words": np.array([b"fox", b"dog", b"the", b"cat"])}}}


class MutableTableModule(tf.Module):
    """serving_default: keys [None] string -> {"values": a MutableHashTable's int64 values
    (-1 when missing)}. Its entries are in the checkpoint (``.ATTRIBUTES/table-keys`` and
    ``-values``), imported by the restore function."""

    def __init__(self):
        super().__init__(name="mutable_table_module")
        self.table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64,
                                                             default_value=-1)
        self.table.insert(tf.constant([b"ant", b"bee", b"cow"]),
                          tf.constant([7, 8, 9], tf.int64))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="keys")])
    def serve(self, keys):
        return {"values": self.table.lookup(keys)}


def build_mutable_table_module(export_dir):
    m = MutableTableModule()
    tf.saved_model.save(m, export_dir, signatures=m.serve)
    return {"serving_default": {"": {"keys": np.array([b"cow", b"elk", b"ant"])}}}


class CounterModule(tf.Module):
    """serving_default: x [None] float32 -> {"y": x * scale}; bump: () -> {"count": the counter
    after an assign_add} (a signature that changes a variable, which a frozen model cannot
    serve: a loader leaves it out and serves the other)."""

    def __init__(self):
        super().__init__(name="counter_module")
        self.scale = tf.Variable(2.5, name="scale")
        self.count = tf.Variable(0, dtype=tf.int64, name="count")

    @tf.function(input_signature=[tf.TensorSpec([None], F32, name="x")])
    def serve(self, x):
        return {"y": x * self.scale}

    @tf.function(input_signature=[])
    def bump(self):
        return {"count": self.count.assign_add(1)}


def build_counter_module(export_dir):
    m = CounterModule()
    tf.saved_model.save(m, export_dir, signatures={"serving_default": m.serve,
                                                   "bump": m.bump})
    return {"serving_default": {"": {"x": np.array([1.0, -2.0, 0.5], np.float32)}}}


# -- tf_keras models ------------------------------------------------------------------------------
def _fit(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)


def _save(model, export_dir, traces=True):
    """``model.save(export_dir, save_format="tf")`` of a fresh copy holding the trained
    weights: the trained model's functions include the gradient functions ``fit`` traced,
    which serving never calls. ``traces=False``: without the layers' own call functions
    (``save_traces=False``; Keras then writes no signature, so serving_default is given as
    Keras would write it: the Input's name in, the output layer's name out)."""
    fresh = keras.models.clone_model(model)
    fresh.set_weights(model.get_weights())
    if traces:
        fresh.save(export_dir, save_format="tf")
        return
    [spec] = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in fresh.inputs]
    out = fresh.output_names[0]
    serve = tf.function(lambda x: {out: fresh(x, training=False)}).get_concrete_function(spec)
    fresh.save(export_dir, save_format="tf", save_traces=False, signatures=serve,
               options=tf.saved_model.SaveOptions(experimental_custom_gradients=False))


def build_keras_mlp(export_dir):
    """Sequential: Input(8) -> Dense(16, relu) -> BatchNormalization -> Dropout(0.3) ->
    Dense(3, softmax), one epoch of Adam; the signature runs inference (training=False)."""
    rng = _rng("keras_mlp")
    _seed_everything()
    model = keras.Sequential([
        keras.Input((8,), name="features"),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.BatchNormalization(momentum=0.5, name="bn"),
        keras.layers.Dropout(0.3, seed=1, name="dropout"),
        keras.layers.Dense(3, activation="softmax", name="probs")], name="keras_mlp")
    _fit(model, rng.normal(1.0, 2.0, size=(64, 8)).astype(np.float32),
         rng.integers(0, 3, size=64))
    _save(model, export_dir)
    return {"serving_default": {"": {"features": rng.normal(1.0, 2.0, size=(5, 8)).astype(
        np.float32)}}}


def build_keras_cnn(export_dir):
    """Functional: Input(8, 8, 1) -> Conv2D(4, 3, same, relu) -> BatchNormalization ->
    MaxPool2D -> Conv2D(6, 3, strides=2) -> GlobalAveragePooling2D -> Dense(5) -> softmax."""
    rng = _rng("keras_cnn")
    _seed_everything()
    images = keras.Input((8, 8, 1), name="images")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(images)
    h = keras.layers.BatchNormalization(momentum=0.5, name="bn")(h)
    h = keras.layers.MaxPool2D(name="pool")(h)
    h = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu",
                            name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    logits = keras.layers.Dense(5, name="logits")(h)
    probs = keras.layers.Softmax(name="probs")(logits)
    model = keras.Model(images, probs, name="keras_cnn")
    _fit(model, rng.normal(0.5, 1.5, size=(32, 8, 8, 1)).astype(np.float32),
         rng.integers(0, 5, size=32))
    _save(model, export_dir)
    return {"serving_default": {"": {"images": rng.normal(0.5, 1.5, size=(3, 8, 8, 1)).astype(
        np.float32)}}}


def build_keras_lstm(export_dir):
    """Sequential: Input((5, 3)) -> LSTM(4) -> Dense(2), one epoch (mean squared error)."""
    rng = _rng("keras_lstm")
    _seed_everything()
    model = keras.Sequential([keras.Input((5, 3), name="sequence"),
                              keras.layers.LSTM(4, name="lstm"),
                              keras.layers.Dense(2, name="out")], name="keras_lstm")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(rng.normal(size=(32, 5, 3)).astype(np.float32),
              rng.normal(size=(32, 2)).astype(np.float32), epochs=1, batch_size=16,
              shuffle=False, verbose=0)
    _save(model, export_dir, traces=False)  # with them: 630 KB (cuDNN gradient functions)
    return {"serving_default": {"": {"sequence": rng.normal(size=(3, 5, 3)).astype(
        np.float32)}}}


MODELS = {"module_mlp": build_module_mlp, "keras_mlp": build_keras_mlp,
          "keras_cnn": build_keras_cnn, "cond_module": build_cond_module,
          "while_module": build_while_module, "keras_lstm": build_keras_lstm,
          "lookup_module": build_lookup_module, "vocab_module": build_vocab_module,
          "mutable_table_module": build_mutable_table_module,
          "counter_module": build_counter_module,
          "nested_while_module": build_nested_while_module}
# A builder returns its input sets, or those and more npz arrays: nested_while_module's
# ``grad:<output>:<input>``, TensorFlow's gradient of sum(output ** 2) with respect to a float
# input of the first input set, for minitf's gradients through the loops it imports.


# -- writing --------------------------------------------------------------------------------------
def npz_prefix(signature: str, case: str) -> str:
    """The key prefix of one input set (the module docstring's scheme)."""
    if signature == "serving_default" and not case:
        return ""
    return f"{signature}@{case}/" if case else f"{signature}/"


def generate(name, build, out_dir):
    _seed_everything()
    export_dir = os.path.join(out_dir, name, "1")
    shutil.rmtree(os.path.join(out_dir, name), ignore_errors=True)
    cases = build(export_dir)
    cases, arrays = cases if isinstance(cases, tuple) else (cases, {})
    # TF's outputs, from the SavedModel as written (a fresh load, as a server would).
    loaded = tf.saved_model.load(export_dir)
    for signature, by_case in cases.items():
        fn = loaded.signatures[signature]
        for case, inputs in by_case.items():
            outputs = fn(**{a: tf.constant(v) for a, v in inputs.items()})
            prefix = npz_prefix(signature, case)
            arrays.update({f"{prefix}in:{a}": v for a, v in inputs.items()})
            arrays.update({f"{prefix}out:{a}": t.numpy() for a, t in outputs.items()})
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(
        os.path.join(out_dir, name)) for f in fs)
    print(f"{name}: {size} bytes, signatures {sorted(loaded.signatures)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "tf2"),
                        help="directory to write (default: tf2/ beside this script)")
    parser.add_argument("models", nargs="*", help="only these (default: all)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.models or MODELS:
        generate(name, MODELS[name], args.out)
    print(f"wrote {len(args.models or MODELS)} models to {args.out} with TensorFlow "
          f"{tf.__version__}, tf_keras {keras.__version__}")


if __name__ == "__main__":
    main()
