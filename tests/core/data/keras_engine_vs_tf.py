"""minitf's tf.keras engine against tf_keras in TF's v1 graph mode, side by side (each in a
graph of its own): layer/variable/op names and weights order, outputs with TF's weights copied
in, summary text, get_config, Sequential (built and deferred) and subclassed models, save_weights
checkpoints read both ways (tf_keras' object-based layout), and load_model compiling again.
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see
test_keras_engine.py)."""

import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
import tf_keras  # noqa: E402

import minitf as mtf  # noqa: E402
import minitf.keras as mkeras  # noqa: E402

RNG = np.random.default_rng(0)
FAILED = []


def check(case, cond, detail=""):
    if cond:
        print(f"OK {case}")
    else:
        FAILED.append(case)
        print(f"FAIL {case}: {detail}")


def in_graph(tf_mod, fn):
    """Runs fn(keras, tf) in a fresh graph of that library; returns its result and the graph."""
    graph = tf_mod.Graph()
    with graph.as_default():
        keras = tf_keras if tf_mod is tf1 else mkeras
        return fn(keras, tf_mod), graph


def functional(keras, T):
    L = keras.layers
    x = keras.Input(shape=(4,), name="x")
    y = keras.Input(shape=(2,))
    shared = L.Dense(3, activation="relu")
    h = shared(x)
    c = L.Concatenate()([h, y])
    o1 = L.Dense(1, name="out")(c)
    o2 = L.Dense(2, activation="tanh")(shared(L.Dense(4)(x)))
    model = keras.Model([x, y], [o1, o2])
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(2,))
    again = model([a, b])
    lines = []
    model.summary(print_fn=lines.append)
    return {"model": model, "again": again, "new_inputs": [a, b], "summary": lines,
            "layers": [(type(layer).__name__, layer.name) for layer in model.layers],
            "weights": [w.name for w in model.weights],
            "trainable": [w.name for w in model.trainable_weights],
            "io": (model.input_names, model.output_names,
                   [t.name for t in model.inputs], [t.name for t in model.outputs],
                   [t.name for t in again]),
            "config": model.get_config()}


def run_case_functional():
    theirs, tg = in_graph(tf1, functional)
    ours, og = in_graph(mtf, functional)
    check("functional names", (theirs["layers"], theirs["weights"], theirs["trainable"],
                               theirs["io"]) == (ours["layers"], ours["weights"],
                                                 ours["trainable"], ours["io"]),
          f"\n{theirs['layers']}\n{ours['layers']}\n{theirs['weights']}\n{ours['weights']}\n"
          f"{theirs['io']}\n{ours['io']}")
    xv = RNG.standard_normal((5, 4)).astype(np.float32)
    yv = RNG.standard_normal((5, 2)).astype(np.float32)
    with tg.as_default():
        sess = tf1.keras.backend.get_session()
        values = theirs["model"].get_weights()
        want = sess.run(theirs["model"].outputs + list(theirs["again"]),
                        {theirs["model"].inputs[0]: xv, theirs["model"].inputs[1]: yv,
                         theirs["new_inputs"][0]: xv, theirs["new_inputs"][1]: yv})
    with og.as_default():
        ours["model"].set_weights(values)
        sess = mkeras.backend.get_session()
        got = sess.run(ours["model"].outputs + list(ours["again"]),
                       {ours["model"].inputs[0]: xv, ours["model"].inputs[1]: yv,
                        ours["new_inputs"][0]: xv, ours["new_inputs"][1]: yv})
    check("functional values", all(np.allclose(g, w, atol=1e-5) for g, w in zip(got, want)),
          [np.abs(g - w).max() for g, w in zip(got, want)])
    check("functional summary", theirs["summary"] == ours["summary"],
          "\n" + "\n".join(theirs["summary"]) + "\n" + "\n".join(ours["summary"]))
    tc, oc = theirs["config"], ours["config"]

    def shape(config):
        return (sorted(config), config["input_layers"], config["output_layers"],
                [(lay["class_name"], lay["name"], lay["inbound_nodes"], sorted(lay),
                  sorted(lay["config"])) for lay in config["layers"]])

    check("functional config", shape(tc) == shape(oc), f"\n{shape(tc)}\n{shape(oc)}")


def sequential_and_subclassed(keras, T):
    L = keras.layers
    built = keras.Sequential([L.Dense(3, input_shape=(4,), activation="relu"), L.Dense(2)],
                             name="stack")
    built.add(L.Dense(1))
    built.pop()
    deferred = keras.Sequential([L.Dense(3), L.Dense(2)])
    p = T.placeholder(T.float32, [None, 5])
    out = deferred(p)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = L.Dense(3)
            self.d2 = L.Dense(1)

        def call(self, inputs):
            return self.d2(self.d1(inputs))

    sub = Sub()
    sub_out = sub(T.placeholder(T.float32, [None, 2]))
    summaries = []
    for m in (built, deferred, sub):
        lines = []
        m.summary(print_fn=lines.append)
        summaries.append(lines)
    config = built.get_config()
    return {"names": [(m.name, [layer.name for layer in m.layers], [w.name for w in m.weights],
                       m.input_names, m.output_names, [t.name for t in m.outputs])
                      for m in (built, deferred, sub)],
            "ops": [out.name, sub_out.name],
            "summaries": summaries,
            "config": (sorted(config), [(c["class_name"], sorted(c["config"]))
                                        for c in config["layers"]])}


def run_case_sequential():
    theirs, _ = in_graph(tf1, sequential_and_subclassed)
    ours, _ = in_graph(mtf, sequential_and_subclassed)
    same = all(theirs[k] == ours[k] for k in ("names", "ops", "summaries", "config"))
    check("sequential and subclassed", same,
          "\n".join(f"{k}:\n{theirs[k]}\n{ours[k]}" for k in theirs if theirs[k] != ours[k]))


def ckpt_sequential(keras, T):
    L = keras.layers
    return keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dropout(0.5), L.Dense(2)])


def ckpt_nested(keras, T):
    L = keras.layers
    inner = keras.Sequential([L.Dense(2, input_shape=(4,))])
    x = keras.Input(shape=(3,))
    return keras.Model(x, L.BatchNormalization()(inner(L.Dense(4)(x))))


def ckpt_bn(keras, T):
    L = keras.layers
    return keras.Sequential([L.Dense(3, input_shape=(3,)), L.BatchNormalization(),
                             L.Dense(1)])


def run_case_checkpoint():
    """save_weights both ways: minitf's checkpoint read by tf_keras' load_weights and tf_keras'
    read by minitf's, into fresh models (other variable names), with the same keys in both
    files and the same outputs; BatchNormalization's moving statistics included."""
    xv = RNG.standard_normal((5, 3)).astype(np.float32)
    for build in (ckpt_sequential, ckpt_nested, ckpt_bn):
        directory = tempfile.mkdtemp()
        ours, og = in_graph(mtf, build)
        with og.as_default():
            values = [np.abs(RNG.standard_normal(w.shape.as_list())).astype(np.float32) + 0.5
                      for w in ours.weights]
            ours.set_weights(values)
            ours.save_weights(os.path.join(directory, "ours"))
            our_out = ours.predict(xv)
        (theirs, fresh), tg = in_graph(tf1, lambda k, T, b=build: (b(k, T), b(k, T)))
        with tg.as_default():
            status = fresh.load_weights(os.path.join(directory, "ours"))
            status.assert_existing_objects_matched()
            loaded, their_out = fresh.get_weights(), fresh.predict(xv)
            theirs.set_weights([v * 2 for v in values])
            theirs.save_weights(os.path.join(directory, "theirs"))
        with og.as_default():
            again = build(mkeras, mtf)
            again.load_weights(os.path.join(directory, "theirs")).assert_consumed()
            back = again.get_weights()
        keys = [sorted(tf1.train.load_checkpoint(os.path.join(directory, name))
                       .get_variable_to_shape_map()) for name in ("ours", "theirs")]
        states = [open(os.path.join(directory, "checkpoint")).read()]
        check(f"checkpoints both ways ({build.__name__})",
              keys[0] == keys[1] and len(loaded) == len(values) and
              all(np.array_equal(a, b) for a, b in zip(values, loaded)) and
              all(np.array_equal(2 * a, b) for a, b in zip(values, back)) and
              np.allclose(our_out, their_out, atol=1e-5) and "theirs" in states[0],
              f"\n{keys}\n{states}")


def run_case_load_model_compiles():
    """load_model of a compiled model: compiled again (optimizer config, loss, metrics,
    loss_weights), evaluate agrees."""
    xv = RNG.standard_normal((6, 3)).astype(np.float32)
    yv = RNG.standard_normal((6, 1)).astype(np.float32)
    values = [RNG.standard_normal((3, 1)).astype(np.float32), np.ones(1, np.float32)]
    results = []
    for tf_mod in (tf1, mtf):
        def make(keras, T):
            model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
            model.set_weights(values)
            adam = keras.optimizers.legacy.Adam if T is tf1 else keras.optimizers.Adam
            model.compile(adam(learning_rate=0.01), "mse", metrics=["mae"], loss_weights=[2.0])
            model.fit(xv, yv, epochs=1, verbose=0)  # tf_keras saves the optimizer's
            model.set_weights(values)  # variables, which need values: made by a step
            path = os.path.join(tempfile.mkdtemp(), "m")
            model.save(path, save_format="tf")
            return path
        path, graph = in_graph(tf_mod, make)
        keras = tf_keras if tf_mod is tf1 else mkeras
        with tf_mod.Graph().as_default():
            loaded = keras.models.load_model(path)
            results.append((loaded.evaluate(xv, yv, verbose=0),
                            float(keras.backend.get_value(loaded.optimizer.learning_rate)),
                            loaded.metrics_names))
    (want, want_lr, want_names), (got, got_lr, got_names) = results
    check("load_model compiles from the training config",
          np.allclose(want, got, rtol=1e-5) and want_lr == got_lr and want_names == got_names,
          f"\n{results}")


def custom_layers(keras, T):
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", shape=(int(input_shape[-1]),),
                                     initializer="ones", regularizer="l2")
            self.count = self.add_weight("count", shape=(), trainable=False,
                                         initializer="zeros")

        def call(self, inputs, training=None):
            return inputs * self.w

    x = keras.Input(shape=(3,))
    layer = Scale()
    inner = keras.Model(x, layer(x), name="inner")
    y = keras.Input(shape=(3,))
    outer = keras.Model(y, keras.layers.Dense(1)(inner(y)))
    z = outer(keras.Input(shape=(3,)))
    graph = T.get_default_graph()
    collections = [sorted(v.name for v in graph.get_collection(k))
                   for k in ("variables", "trainable_variables")]
    return {"names": ([w.name for w in layer.weights], [w.name for w in layer.trainable_weights],
                      [w.name for w in outer.weights], z.name, [t.name for t in outer.outputs],
                      collections, len(outer.losses), [type(lay).__name__
                                                        for lay in outer.layers]),
            "loss": outer.losses[0], "layer": layer, "graph": graph}


def run_case_custom():
    theirs, tg = in_graph(tf1, custom_layers)
    ours, og = in_graph(mtf, custom_layers)
    with tg.as_default():
        want = tf1.keras.backend.get_session().run(theirs["loss"])
    with og.as_default():
        got = mkeras.backend.get_session().run(ours["loss"])
    check("custom layer and nested model", theirs["names"] == ours["names"] and
          np.allclose(got, want), f"\n{theirs['names']}\n{ours['names']}\n{want} {got}")


def raw_ops(keras, T):
    L = keras.layers
    x = keras.Input((3,))
    h = L.Dense(2)(x) * 2.0
    o = L.Dense(1)(T.nn.relu(h))
    model = keras.Model(x, [o, T.reduce_sum(o, axis=1)])
    y = keras.Input((3,))
    again = model(y)
    lines = []
    model.summary(print_fn=lines.append)
    return {"model": model, "y": y, "again": again,
            "names": (lines, model.output_names, [t.name for t in model.outputs],
                      [t.name for t in again])}


def run_case_raw_ops():
    theirs, tg = in_graph(tf1, raw_ops)
    ours, og = in_graph(mtf, raw_ops)
    xv = RNG.standard_normal((4, 3)).astype(np.float32)
    with tg.as_default():
        values = theirs["model"].get_weights()
        want = tf1.keras.backend.get_session().run(
            theirs["model"].outputs + theirs["again"], {theirs["model"].input: xv,
                                                        theirs["y"]: xv})
    with og.as_default():
        ours["model"].set_weights(values)
        got = mkeras.backend.get_session().run(
            ours["model"].outputs + ours["again"], {ours["model"].input: xv, ours["y"]: xv})
    check("raw ops as TensorFlowOpLayers", theirs["names"] == ours["names"] and
          all(np.allclose(g, w, atol=1e-5) for g, w in zip(got, want)),
          f"\n{theirs['names']}\n{ours['names']}")


for case in (run_case_functional, run_case_sequential, run_case_checkpoint, run_case_custom,
             run_case_raw_ops, run_case_load_model_compiles):
    case()
sys.exit(1 if FAILED else 0)
