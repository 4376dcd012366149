"""tf.keras' engine (core/keras/base_layer.py, input_layer.py, functional.py, model_io.py,
models.py) against numpy and hand-computed values; keras_engine_vs_tf.py compares it with
tf_keras side by side."""

import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from minitf.keras import backend as K  # noqa: N812 - Keras' usual alias
from minitf.keras.base_layer import InputSpec, Layer
from tests.core.legacy_tf import run_against_tf

L = keras.layers


@pytest.fixture(autouse=True)
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


class Affine(Layer):
    """x @ kernel + bias, with constant weights so values are known."""

    def __init__(self, units, scale=1.0, regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale, self.regularizer = units, scale, regularizer

    def build(self, input_shape):
        n = int(input_shape[-1])
        k = self.scale * np.arange(n * self.units, dtype=np.float32).reshape(n, self.units)
        self.kernel = self.add_weight("kernel", [n, self.units],
                                      initializer=tf.constant_initializer(k),
                                      regularizer=self.regularizer, constraint=tf.abs)
        self.bias = self.add_weight("bias", [self.units], initializer="ones")

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel) + self.bias

    def get_config(self):
        return dict(super().get_config(), units=self.units, scale=self.scale)


CUSTOM = {"Affine": Affine}


def affine_np(x, n, units, scale=1.0):
    return x @ (scale * np.arange(n * units, dtype=np.float32).reshape(n, units)) + 1.0


class Recorder(Layer):
    """Records the training and mask values its call gets."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, training=None, mask=None):
        self.seen.append((training, mask))
        return inputs * 2.0


# -- Layer --------------------------------------------------------------------------------------
def test_layer_names_scopes_and_variables(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    a, b = Affine(2), Affine(4)
    assert (a.name, b.name) == ("affine", "affine_1")
    y1, y2 = a(x), a(x)
    assert [w.name for w in a.weights] == ["affine/kernel:0", "affine/bias:0"]
    # Each call opens the graph-uniquified name scope of the layer's name ("affine_1" is
    # still free: the layer of that name has not been called).
    assert y1.op.name == "affine/add" and y2.op.name == "affine_1/add"
    assert a.trainable_weights == a.weights and a.non_trainable_weights == []
    assert all(any(w is v for v in tf.global_variables()) for w in a.weights)
    assert all(any(w is v for v in tf.trainable_variables()) for w in a.weights)
    assert a.kernel.constraint is tf.abs
    assert a.built and a.dtype == "float32" and a.count_params() == 8
    xv = np.random.RandomState(0).rand(2, 3).astype(np.float32)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run(y1, {x: xv}), affine_np(xv, 3, 2), rtol=1e-6)
    # Keras' own session initializes what add_weight registered.
    np.testing.assert_allclose(K.get_session().run(y2, {x: xv}), affine_np(xv, 3, 2),
                               rtol=1e-6)
    assert a.get_weights()[1].tolist() == [1.0, 1.0]


def test_layer_trainable_regularizer_and_losses():
    layer = Affine(2, regularizer=lambda w: tf.reduce_sum(tf.square(w)))
    layer(tf.placeholder(tf.float32, [None, 3]))
    (loss,) = layer.losses
    assert loss.op.name.startswith("affine/kernel/Regularizer/")
    assert layer.losses[0] is loss  # made once
    k = np.arange(6, dtype=np.float32)
    np.testing.assert_allclose(K.get_session().run(loss), np.sum(k ** 2))
    layer.add_loss(tf.constant(3.0))
    assert len(layer.losses) == 2
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert layer.weights == layer.non_trainable_weights


def test_layer_kwargs_config_and_errors():
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        Affine(2, bogus=1)
    layer = Affine(3, scale=0.5, input_shape=(4,), name="aff")
    config = layer.get_config()
    assert config == {"name": "aff", "trainable": True, "batch_input_shape": (None, 4),
                      "dtype": "float32", "units": 3, "scale": 0.5}
    clone = Affine.from_config(config)
    assert clone.units == 3 and clone.name == "aff"

    class NoConfig(Layer):
        def __init__(self, units):
            super().__init__()

    with pytest.raises(NotImplementedError, match="must override `get_config`"):
        NoConfig(2).get_config()
    with pytest.raises(ValueError, match="isn't built"):
        Affine(2).count_params()
    with pytest.raises(AttributeError, match="is not connected"):
        _ = Affine(2).input

    class Nothing(Layer):
        def call(self, inputs):
            return None

    with pytest.raises(ValueError, match="should return a Tensor"):
        Nothing()(tf.placeholder(tf.float32, [1]))
    spec_layer = Affine(2)
    spec_layer.input_spec = InputSpec(ndim=2)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        spec_layer(tf.placeholder(tf.float32, [1, 2, 3]))
    with pytest.raises(ValueError, match="weight list of length 1"):
        layer = Affine(2)
        layer(tf.placeholder(tf.float32, [None, 2]))
        layer.set_weights([np.zeros((2, 2))])


def test_training_argument_and_learning_phase():
    rec = Recorder()
    x = tf.placeholder(tf.float32, [None, 2])
    rec(x)
    assert rec.seen[-1][0] is K.learning_phase()
    rec(x, training=True)
    assert rec.seen[-1][0] is True
    K.set_learning_phase(1)
    rec(x)
    assert rec.seen[-1][0] is True

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Recorder()

        def call(self, inputs, training=None):
            return self.inner(inputs)

    outer = Outer()
    outer(x, training=False)
    assert outer.inner.seen[-1][0] is False  # the enclosing call's value
    assert outer._flatten_layers() == [outer, outer.inner]


def test_masks_flow_to_call_and_outputs():
    class MakeMask(Layer):
        def call(self, inputs):
            return inputs + 0.0

        def compute_mask(self, inputs, mask=None):
            return tf.not_equal(inputs, 0.0)

    x = keras.Input((3,))
    masked = MakeMask()(x)
    rec = Recorder()
    y = rec(masked)
    assert rec.seen[-1][1] is masked._keras_mask
    assert y._keras_mask is masked._keras_mask  # supports_masking: passed through
    plain = Affine(2)
    z = plain(y)
    assert z._keras_mask is None
    with pytest.raises(TypeError, match="does not support masking"):
        plain.compute_mask(y, y._keras_mask)


# -- Input --------------------------------------------------------------------------------------
def test_input_placeholders_and_errors():
    a = keras.Input(shape=(3,))
    b = keras.Input(batch_shape=(2, 5), dtype="int32", name="ids")
    c = keras.Input(shape=4)
    assert (a.op.name, b.op.name, c.op.name) == ("input_1", "ids", "input_2")
    assert a.shape.as_list() == [None, 3] and b.shape.as_list() == [2, 5]
    assert b.dtype == tf.int32 and a.op.type == "Placeholder"
    layer = a._keras_history.layer
    assert isinstance(layer, L.InputLayer) and layer.output_shape == [(None, 3)]
    assert layer.get_config() == {"batch_input_shape": (None, 3), "dtype": "float32",
                                  "sparse": False, "ragged": False, "name": "input_1",
                                  "optional": False}
    t = tf.placeholder(tf.float64, [None, 7])
    wrapped = keras.Input(tensor=t)
    assert wrapped is t and t._keras_history.layer.dtype == "float64"
    with pytest.raises(ValueError, match="Please provide to Input a `shape`"):
        keras.Input()
    with pytest.raises(ValueError, match="Only provide the shape OR batch_shape"):
        keras.Input(shape=(2,), batch_shape=(1, 2))


# -- functional models --------------------------------------------------------------------------
def two_branch_model():
    x = keras.Input((3,), name="x")
    y = keras.Input((2,), name="y")
    h = Affine(2, name="h")(x)
    joined = L.Concatenate(name="cat")([h, y])
    out1 = Affine(1, scale=0.1, name="out1")(joined)
    out2 = Affine(2, scale=-1.0, name="out2")(h)
    return keras.Model([x, y], [out1, out2], name="two")


def two_branch_np(xv, yv):
    h = affine_np(xv, 3, 2)
    return affine_np(np.concatenate([h, yv], 1), 4, 1, 0.1), affine_np(h, 2, 2, -1.0)


def test_functional_structure_and_values():
    model = two_branch_model()
    assert [layer.name for layer in model.layers] == ["x", "h", "y", "cat", "out1", "out2"]
    assert model.input_names == ["x", "y"] and model.output_names == ["out1", "out2"]
    assert [w.op.name for w in model.weights] == ["h/kernel", "h/bias", "out1/kernel",
                                                  "out1/bias", "out2/kernel", "out2/bias"]
    assert model.count_params() == 8 + 5 + 6
    assert model.get_layer("cat") is model.layers[3] and model.get_layer(index=1).name == "h"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    rng = np.random.RandomState(1)
    xv, yv = rng.rand(4, 3).astype(np.float32), rng.rand(4, 2).astype(np.float32)
    sess = K.get_session()
    got = sess.run(model.outputs, {model.inputs[0]: xv, model.inputs[1]: yv})
    for g, want in zip(got, two_branch_np(xv, yv)):
        np.testing.assert_allclose(g, want, rtol=1e-5)
    # Called on new inputs, the model re-runs its layers (same weights) under its name scope.
    a, b = keras.Input((3,)), keras.Input((2,))
    new1, new2 = model([a, b])
    assert new1.op.name == "two/out1/add" and len(model.weights) == 6
    got = sess.run([new1, new2], {a: xv, b: yv})
    for g, want in zip(got, two_branch_np(xv, yv)):
        np.testing.assert_allclose(g, want, rtol=1e-5)
    assert new1._keras_history.layer is model and model.get_layer("h").output_shape == (None, 2)


def test_shared_layer_nested_model_and_subclass():
    shared = Affine(2, name="shared")
    a, b = keras.Input((2,)), keras.Input((2,))
    ya, yb = shared(a), shared(b)
    merged = L.Add()([ya, yb])
    model = keras.Model([a, b], merged)
    assert len(shared._inbound_nodes) == 2 and yb._keras_history.node_index == 1
    assert shared.output is ya and shared.input is a  # TF 1.x: the first call's
    assert shared.get_output_at(1) is yb
    # The model as a layer of another model.
    x = keras.Input((2,))
    outer = keras.Model(x, Affine(1, name="head")(model([x, x])))
    assert [layer.name for layer in outer.layers] == ["input_3", "model", "head"]
    assert len(outer.weights) == 4
    xv = np.ones((1, 2), np.float32)
    want = affine_np(2 * affine_np(xv, 2, 2), 2, 1)
    np.testing.assert_allclose(K.get_session().run(outer.output, {x: xv}), want)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.first = Affine(3)
            self.second = Affine(1, scale=2.0)

        def call(self, inputs, training=None):
            return self.second(self.first(inputs))

    sub = Sub()
    assert sub.inputs is None and sub.layers == [sub.first, sub.second]
    p = tf.placeholder(tf.float32, [None, 2])
    out = sub(p)
    assert sub.inputs == [p] and sub.outputs == [out]
    assert (sub.input_names, sub.output_names) == (["input_1"], ["output_1"])
    assert [w.op.name for w in sub.weights] == ["sub/affine/kernel", "sub/affine/bias",
                                                "sub/affine_1/kernel", "sub/affine_1/bias"]
    np.testing.assert_allclose(K.get_session().run(out, {p: xv}),
                               affine_np(affine_np(xv, 2, 3), 3, 1, 2.0))


def test_functional_errors():
    x = keras.Input((2,))
    with pytest.raises(ValueError, match="must come from `tf.keras.Input`"):
        keras.Model(tf.placeholder(tf.float32, [None, 2]), Affine(1)(x))
    with pytest.raises(ValueError, match="must be the output of a TensorFlow `Layer`"):
        keras.Model(x, tf.placeholder(tf.float32, [None, 2]) * 2.0)
    y = keras.Input((2,))
    z = L.Add()([Affine(2)(x), y])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(x, z)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        keras.Model(x, Affine(1)(x)).get_layer()


def test_raw_ops_become_op_layers():
    x = keras.Input((3,))
    h = Affine(2, name="h")(x) * 2.0
    out = tf.reduce_sum(Affine(1, name="o")(tf.nn.relu(h - 30.0)), axis=1)
    model = keras.Model(x, out)
    assert [layer.name for layer in model.layers] == [
        "input_1", "h", "tf_op_layer_mul", "tf_op_layer_sub", "tf_op_layer_Relu", "o",
        "tf_op_layer_Sum"]
    assert model.output_names == ["tf_op_layer_Sum"] and out._keras_history.layer.num_inputs == 2
    xv = np.random.RandomState(3).rand(5, 3).astype(np.float32) * 4
    want = affine_np(np.maximum(2 * affine_np(xv, 3, 2) - 30.0, 0), 2, 1)[:, 0]
    y = keras.Input((3,))
    again = model(y)
    assert again.op.name == "model/tf_op_layer_Sum/Sum"
    sess = K.get_session()
    np.testing.assert_allclose(sess.run(out, {x: xv}), want, rtol=1e-5)
    np.testing.assert_allclose(sess.run(again, {y: xv}), want, rtol=1e-5)
    rebuilt = keras.models.model_from_json(model.to_json(), custom_objects=CUSTOM)
    sess = K.get_session()  # initializes the new weights
    np.testing.assert_allclose(sess.run(rebuilt.output, {rebuilt.input: xv}), want, rtol=1e-5)


# -- Sequential ---------------------------------------------------------------------------------
SEQ_SUMMARY = """\
Model: "seq"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 affine (Affine)             (None, 3)                 15

 affine_1 (Affine)           (None, 2)                 8

=================================================================
Total params: 23 (92.00 Byte)
Trainable params: 23 (92.00 Byte)
Non-trainable params: 0 (0.00 Byte)
_________________________________________________________________"""


def test_sequential_add_pop_summary():
    model = keras.Sequential([Affine(3, input_shape=(4,))], name="seq")
    model.add(Affine(2))
    assert [layer.name for layer in model.layers] == ["affine", "affine_1"]
    assert model.inputs[0].op.name == "affine_input" and model.input_names == ["affine_input"]
    assert model.output_names == ["affine_1"]
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(line.rstrip() for line in lines) == SEQ_SUMMARY
    assert {len(line) for line in lines[1:-4]} == {65}  # Keras pads every row to 65
    xv = np.ones((2, 4), np.float32)
    sess = K.get_session()
    np.testing.assert_allclose(sess.run(model.output, {model.input: xv}),
                               affine_np(affine_np(xv, 4, 3), 3, 2))
    popped = model.pop()
    assert popped.name == "affine_1" and model.outputs[0].shape.as_list() == [None, 3]
    with pytest.raises(ValueError, match="unique names"):
        model.add(Affine(2, name="affine"))
    with pytest.raises(TypeError, match="must be an instance of class Layer"):
        model.add("dense")


def test_sequential_deferred_and_errors():
    model = keras.Sequential([Affine(3), Affine(1)])
    assert not model.built and model.inputs is None
    with pytest.raises(ValueError, match="has not yet been built"):
        model.summary()
    p = tf.placeholder(tf.float32, [None, 2])
    out = model(p)
    assert [w.op.name for w in model.weights][:2] == ["sequential/affine/kernel",
                                                       "sequential/affine/bias"]
    assert model.inputs == [p] and model.outputs == [out] and model.output_names == ["output_1"]
    lines = []
    model.summary(print_fn=lines.append)
    assert " affine (Affine)             multiple                  9         " in lines
    built = keras.Sequential([Affine(2)])
    built.build((None, 5))
    assert built.built and built.count_params() == 12


# -- configs, weights, saving -------------------------------------------------------------------


def test_config_json_round_trip_and_clone():
    model = two_branch_model()
    config = model.get_config()
    assert sorted(config) == ["input_layers", "layers", "name", "output_layers", "trainable"]
    assert config["input_layers"] == [["x", 0, 0], ["y", 0, 0]]
    cat = config["layers"][3]
    assert cat["class_name"] == "Concatenate" and \
        cat["inbound_nodes"] == [[["h", 0, 0, {}], ["y", 0, 0, {}]]]
    rebuilt = keras.Model.from_config(config, custom_objects=CUSTOM)
    parsed = keras.models.model_from_json(model.to_json(), custom_objects=CUSTOM)
    clone = keras.models.clone_model(model)
    xv, yv = np.ones((1, 3), np.float32), np.full((1, 2), 2.0, np.float32)
    sess = K.get_session()
    want = two_branch_np(xv, yv)
    for other in (rebuilt, parsed, clone):
        assert [layer.name for layer in other.layers] == [layer.name for layer in model.layers]
        got = sess.run(other.outputs, {other.inputs[0]: xv, other.inputs[1]: yv})
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5)
    assert json.loads(model.to_json())["class_name"] == "Functional"
    seq = keras.Sequential([Affine(2, input_shape=(3,), name="a1"), Affine(1, name="a2")])
    seq_config = seq.get_config()
    assert [c["class_name"] for c in seq_config["layers"]] == ["InputLayer", "Affine", "Affine"]
    back = keras.Sequential.from_config(seq_config, custom_objects=CUSTOM)
    assert [layer.name for layer in back.layers] == ["a1", "a2"] and back._is_graph_network


def test_weights_checkpoint_round_trip(tmp_path):
    model = two_branch_model()
    weights = model.get_weights()
    prefix = str(tmp_path / "ckpt")
    model.save_weights(prefix)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt.data-00000-of-00001",
                                            "ckpt.index"]
    reader = tf.train.load_checkpoint(prefix)
    # tf_keras' object-based layout: keyed by the model's structure, not variable names
    assert sorted(reader.get_variable_to_shape_map()) == ["_CHECKPOINTABLE_OBJECT_GRAPH"] + [
        f"layer_with_weights-{i}/{w}/.ATTRIBUTES/VARIABLE_VALUE"
        for i in range(3) for w in ("bias", "kernel")]
    model.set_weights([np.full_like(w, 7.0) for w in weights])
    assert model.get_weights()[0][0, 0] == 7.0
    model.load_weights(prefix)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(NotImplementedError, match="by_name=True"):
        model.load_weights(prefix, by_name=True)


def test_save_serves_and_loads_back(tmp_path):
    from minitf.export.saved_model_load import load_saved_model
    from minitf.serving.servable import Servable

    model = two_branch_model()
    path = str(tmp_path / "model" / "1")
    model.save(path)
    servable = Servable("m", 1, load_saved_model(path))
    runner = servable.signature("serving_default")
    xv, yv = np.ones((2, 3), np.float32), np.zeros((2, 2), np.float32)
    result = runner.run(runner.validate({"x": xv, "y": yv}), runner.output_aliases(None))
    want = two_branch_np(xv, yv)
    np.testing.assert_allclose(result["out1"], want[0], rtol=1e-5)
    np.testing.assert_allclose(result["out2"], want[1], rtol=1e-5)
    with tf.Graph().as_default():
        loaded = keras.models.load_model(path, custom_objects=CUSTOM)
        got = K.get_session().run(loaded.outputs, {loaded.inputs[0]: xv, loaded.inputs[1]: yv})
        np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
    with pytest.raises(OSError, match="No Keras model to load"):
        keras.models.load_model(str(tmp_path))


def test_engine_against_tf():
    run_against_tf("keras_engine_vs_tf.py", 11)


def test_subclassed_model_exports_for_serving(tmp_path):
    from minitf.export.saved_model_load import load_saved_model
    from minitf.serving.servable import Servable

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = Affine(2)

        def call(self, inputs):
            return self.inner(inputs)

    model = Sub()
    with pytest.raises(ValueError, match="input shapes have not been set"):
        model.save(str(tmp_path / "early"))
    model.build((None, 3))
    path = str(tmp_path / "sub")
    keras.models.export_saved_model(model, path)
    with pytest.raises(FileExistsError):
        keras.models.export_saved_model(model, path)
    runner = Servable("s", 1, load_saved_model(path)).signature("serving_default")
    xv = np.ones((1, 3), np.float32)
    result = runner.run(runner.validate({"input_1": xv}), runner.output_aliases(None))
    np.testing.assert_allclose(result["output_1"], affine_np(xv, 3, 2))
    with pytest.raises(OSError, match="functional or Sequential"):
        keras.models.load_model(path)


# -- loading configs: custom objects, safe mode, nested layers --------------------------------
class MyCell(L.SimpleRNNCell):
    pass


def test_custom_objects_reach_nested_layers_and_custom_object_scope_counts():
    inputs = keras.Input((4, 3))
    text = keras.Model(inputs, L.RNN(MyCell(2))(inputs)).to_json()
    with pytest.raises(ValueError, match="Unknown layer: 'MyCell'"):
        keras.models.model_from_json(text)
    loaded = keras.models.model_from_json(text, custom_objects={"MyCell": MyCell})
    assert type(loaded.layers[1].cell) is MyCell
    with keras.utils.custom_object_scope({"MyCell": MyCell}):
        assert type(keras.models.model_from_json(text).layers[1].cell) is MyCell


def test_a_nested_lambda_loads_only_with_safe_mode_false():
    inputs = keras.Input((4, 3))
    outputs = L.TimeDistributed(L.Lambda(lambda t: t * 2.0))(inputs)
    text = keras.Model(inputs, outputs).to_json()
    with pytest.raises(ValueError, match="bytecode"):
        keras.models.model_from_json(text)
    model = keras.models.model_from_json(text, safe_mode=False)
    x = np.arange(12, dtype=np.float32).reshape(1, 4, 3)
    np.testing.assert_allclose(model.predict(x), 2 * x)


def test_a_lambda_config_does_not_import_the_module_it_names():
    import sys

    if "colorsys" in sys.modules:
        pytest.skip("colorsys is already imported in this process")
    config = {"class_name": "Lambda", "config": {
        "name": "hsv", "function": "rgb_to_hsv", "function_type": "function",
        "module": "colorsys", "output_shape": None, "output_shape_type": "raw",
        "output_shape_module": None, "arguments": {}}}
    with pytest.raises(ValueError, match="'rgb_to_hsv'.*safe_mode=False.*'colorsys'"):
        keras.models.model_from_config(config)
    assert "colorsys" not in sys.modules
    exits = dict(config, config=dict(config["config"], function="exit", module="sys"))
    with pytest.raises(ValueError, match="'exit'"):  # an imported module is not looked in
        keras.models.model_from_config(exits)

    def mine(t):
        return t + 1.0

    layer = keras.models.model_from_config(config, custom_objects={"rgb_to_hsv": mine})
    assert layer.function is mine and "colorsys" not in sys.modules


# -- saving: no graph growth, nothing half-written --------------------------------------------
def test_saving_repeatedly_adds_no_ops(tmp_path):
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    model.save_weights(str(tmp_path / "w"))
    count = len(tf.get_default_graph().get_operations())
    for i in range(3):
        model.save_weights(str(tmp_path / "w"))
        model.save(str(tmp_path / f"m{i}"))
    assert len(tf.get_default_graph().get_operations()) == count


def test_a_failed_save_leaves_no_directory_and_keeps_the_old_version(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, L.Dense(1)(inputs))
    target = tmp_path / "1"
    model.save(str(target))
    before = sorted(os.listdir(target))
    bad = keras.Model(inputs, L.Lambda(lambda t, module: t, arguments={"module": os})(inputs))
    with pytest.raises(TypeError, match="Not JSON Serializable"):
        bad.save(str(target))
    with pytest.raises(TypeError, match="Not JSON Serializable"):
        bad.save(str(tmp_path / "2"))
    assert sorted(os.listdir(tmp_path)) == ["1"]  # no version 2, no staging folder
    assert sorted(os.listdir(target)) == before


# -- TF 1.x behaviours a probe found missing --------------------------------------------------
def test_a_call_default_of_training_false_stands():
    class Frozen(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.bn = L.BatchNormalization()

        def call(self, x, training=False):
            return self.bn(x, training=training)

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Frozen()(inputs))
    assert model.updates == []  # the inference branch only: no moving-average updates
    x = np.random.RandomState(0).rand(4, 3).astype(np.float32)
    run = K.function([inputs, K.learning_phase()], [model.output])
    expected = x / np.sqrt(1.0 + 1e-3)  # moving mean 0, variance 1, gamma 1, beta 0
    np.testing.assert_allclose(run([x, 1])[0], expected, rtol=1e-6)


def test_get_updates_for_and_get_losses_for_split_by_inputs():
    model = keras.Sequential([L.Dense(4, input_shape=(5,), kernel_regularizer="l2"),
                              L.BatchNormalization()])
    x = tf.placeholder(tf.float32, [None, 5])
    model(x)
    assert len(model.updates) == 4  # the moving mean and variance, for each of the two calls
    mine = model.get_updates_for(x)
    assert len(mine) == 2 and all(u in model.updates for u in mine)
    assert model.get_updates_for(None) == []
    assert model.get_losses_for(x) == []
    assert len(model.get_losses_for(None)) == 1  # the kernel's regularization


def test_initializer_short_names_of_tf1():
    init = keras.initializers
    assert isinstance(init.get("uniform"), init.RandomUniform)
    assert isinstance(init.get("normal"), init.RandomNormal)
    assert isinstance(init.get("one"), init.Ones) and isinstance(init.get("zero"), init.Zeros)
    layer = L.Dense(2, kernel_initializer="one")
    layer(keras.Input((3,)))
    np.testing.assert_array_equal(K.get_value(layer.kernel), np.ones((3, 2)))


def test_fit_refuses_empty_training_data():
    model = keras.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = np.zeros((3, 2), np.float32), np.zeros((3, 1), np.float32)
    with pytest.raises(ValueError, match="Empty training data.*validation_split=0.9"):
        model.fit(x, y, validation_split=0.9, verbose=0)


def test_sequential_predict_classes_and_proba():
    model = keras.Sequential([L.Dense(3, input_shape=(2,), activation="softmax",
                                      kernel_initializer="zeros",
                                      bias_initializer=keras.initializers.Constant([0, 2, 1]))])
    x = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(model.predict_classes(x), [1, 1])
    e = np.exp([0.0, 2.0, 1.0])
    np.testing.assert_allclose(model.predict_proba(x), np.tile(e / e.sum(), (2, 1)), rtol=1e-6)
    binary = keras.Sequential([L.Dense(1, input_shape=(2,), activation="sigmoid",
                                       kernel_initializer=keras.initializers.Constant([[1], [0]]))])
    np.testing.assert_array_equal(binary.predict_classes(np.array([[1.0, 0], [-1, 0]])),
                                  [[1], [0]])


def test_yaml_configs_are_refused_with_json_named():
    model = keras.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match="to_json"):
        model.to_yaml()
    with pytest.raises(RuntimeError, match="model_from_json"):
        keras.models.model_from_yaml("class_name: Sequential")


# -- save_weights / load_weights by the model's structure (tf_keras' object-based layout) ----
def _values(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, w.shape.as_list()).astype(np.float32) for w in model.weights]


def _bn_np(x, gamma, beta, mean, var, eps=1e-3):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def nested_bn_model():
    inner = keras.Sequential([L.Dense(2, input_shape=(3,))])
    x = keras.Input((3,))
    return keras.Model(x, L.BatchNormalization()(inner(L.Dense(3)(x))))


def nested_bn_np(xv, w):
    h = (xv @ w[0] + w[1]) @ w[2] + w[3]
    return _bn_np(h, *w[4:])


def test_save_weights_loads_into_fresh_models_whatever_their_names(tmp_path):
    prefix = str(tmp_path / "w")
    model = nested_bn_model()
    values = _values(model, 0)
    model.set_weights(values)
    model.save_weights(prefix)
    keys = sorted(tf.train.load_checkpoint(prefix).get_variable_to_shape_map())
    assert keys == ["_CHECKPOINTABLE_OBJECT_GRAPH"] + [
        f"layer_with_weights-{k}/.ATTRIBUTES/VARIABLE_VALUE".replace("/.", "/" + w + "/.", 1)
        for k, w in [("0", "bias"), ("0", "kernel"),
                     ("1/layer_with_weights-0", "bias"), ("1/layer_with_weights-0", "kernel"),
                     ("2", "beta"), ("2", "gamma"), ("2", "moving_mean"),
                     ("2", "moving_variance")]]
    with open(tmp_path / "checkpoint") as f:
        assert f.read() == 'model_checkpoint_path: "w"\nall_model_checkpoint_paths: "w"\n'
    xv = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    want = nested_bn_np(xv, values)
    fresh = nested_bn_model()  # dense_2, dense_3, batch_normalization_1...
    clone = keras.models.clone_model(model)
    rebuilt = keras.Model.from_config(model.get_config())
    for other in (fresh, clone, rebuilt):
        assert [w.op.name for w in other.weights] != [w.op.name for w in model.weights]
        status = other.load_weights(prefix)
        status.assert_consumed().assert_existing_objects_matched()
        for got, value in zip(other.get_weights(), values):
            np.testing.assert_array_equal(got, value)
        np.testing.assert_allclose(other.predict(xv), want, rtol=1e-5)
    seq = keras.Sequential([L.Dense(2, input_shape=(3,)), L.Dropout(0.5), L.Dense(1)])
    seq.set_weights(_values(seq, 2))
    seq.save_weights(str(tmp_path / "s" / "seq"))  # makes the directory, as TF's
    again = keras.Sequential([L.Dense(2, input_shape=(3,)), L.Dropout(0.5), L.Dense(1)])
    again.load_weights(str(tmp_path / "s"))  # a directory: its latest checkpoint
    for got, value in zip(again.get_weights(), _values(seq, 2)):
        np.testing.assert_array_equal(got, value)


def test_load_weights_status_and_missing_keys(tmp_path):
    one = keras.Sequential([L.Dense(2, input_shape=(3,))])
    two = keras.Sequential([L.Dense(2, input_shape=(3,)), L.Dense(1)])
    one.set_weights(_values(one, 0))
    two.set_weights(_values(two, 1))
    one.save_weights(str(tmp_path / "one"))
    two.save_weights(str(tmp_path / "two"))
    before = two.get_weights()
    with pytest.raises(tf.errors.NotFoundError,
                       match="layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE"):
        two.load_weights(str(tmp_path / "one"))
    for got, value in zip(two.get_weights(), before):  # nothing was assigned
        np.testing.assert_array_equal(got, value)
    status = one.load_weights(str(tmp_path / "two"))  # more in the file than in the model
    np.testing.assert_array_equal(one.get_weights()[0], before[0])
    assert status.assert_existing_objects_matched() is status
    assert status.expect_partial() is status
    with pytest.raises(AssertionError, match="layer_with_weights-1"):
        status.assert_consumed()
    one.set_weights([np.zeros_like(w) for w in before[:2]])
    status.run_restore_ops()
    np.testing.assert_array_equal(one.get_weights()[1], before[1])
    count = len(tf.get_default_graph().get_operations())
    for _ in range(2):
        one.load_weights(str(tmp_path / "two"))
    assert len(tf.get_default_graph().get_operations()) == count
    with pytest.raises(tf.errors.NotFoundError):
        one.load_weights(str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="incompatible tensor with shape"):
        keras.Sequential([L.Dense(5, input_shape=(3,))]).load_weights(str(tmp_path / "one"))


def test_load_weights_falls_back_to_variable_names(tmp_path):
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    values = _values(model, 3)
    model.set_weights(values)
    prefix = str(tmp_path / "old")  # what an older minitf's save_weights wrote
    tf.train.Saver({w.op.name: w for w in model.weights}).save(K.get_session(), prefix)
    model.set_weights([np.zeros_like(v) for v in values])
    status = model.load_weights(prefix)
    assert type(status).__name__ == "NameBasedSaverStatus"
    status.assert_consumed()
    for got, value in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, value)
    fresh = keras.Sequential([L.Dense(2, input_shape=(3,))])  # other names: not in the file
    with pytest.raises(tf.errors.NotFoundError, match=fresh.weights[0].op.name):
        fresh.load_weights(prefix)


# -- load_model compiles again from the saved training config -------------------------------
def test_load_model_restores_the_training_config(tmp_path):
    model = keras.Sequential([L.Dense(1, input_shape=(3,))])
    values = _values(model, 4)
    model.set_weights(values)
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "mse",
                  metrics=["mae", keras.metrics.MeanSquaredError()], loss_weights=[2.0])
    path = str(tmp_path / "m")
    model.save(path)
    with open(os.path.join(path, "keras_metadata.json")) as f:
        config = json.load(f)["training_config"]
    assert config["loss"] == "mse" and config["loss_weights"] == [2.0]
    assert config["optimizer_config"]["class_name"] == "Adam"
    assert config["metrics"][1]["class_name"] == "MeanSquaredError"
    loaded = keras.models.load_model(path)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    x = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    y = np.random.default_rng(6).standard_normal((6, 1)).astype(np.float32)
    err = x @ values[0] + values[1] - y
    want = [2.0 * np.mean(err ** 2), np.mean(np.abs(err)), np.mean(err ** 2)]
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), want, rtol=1e-5)
    loaded.fit(x, y, epochs=1, verbose=0)  # a new optimizer: its state starts over
    assert not getattr(keras.models.load_model(path, compile=False), "_is_compiled", False)
    plain = keras.Sequential([L.Dense(1, input_shape=(3,))])
    plain.compile("sgd", keras.losses.Huber(delta=0.5))
    plain.save(str(tmp_path / "p"))
    back = keras.models.load_model(str(tmp_path / "p"))
    assert isinstance(back.loss, keras.losses.Huber) and back.loss.get_config()["delta"] == 0.5


def test_custom_loss_saves_without_training_config_and_loads_uncompiled(tmp_path, caplog):
    def my_loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - y_pred))

    model = keras.Sequential([L.Dense(1, input_shape=(3,))])
    model.compile("sgd", my_loss)
    path = str(tmp_path / "m")
    with caplog.at_level("WARNING", logger="minitf"):
        model.save(path)
    assert "training configuration" in caplog.text and "my_loss" in caplog.text
    with open(os.path.join(path, "keras_metadata.json")) as f:
        assert "training_config" not in json.load(f)
    caplog.clear()
    with caplog.at_level("WARNING", logger="minitf"):
        loaded = keras.models.load_model(path)
    assert "was *not* compiled" in caplog.text
    assert not getattr(loaded, "_is_compiled", False)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_a_sequential_starting_with_a_model_is_built_at_once():
    base_in = keras.Input((5,))
    base = keras.Model(base_in, L.Dense(3)(base_in))
    base.trainable = False
    model = keras.Sequential([base, L.Dense(2)])
    assert model.built and model.output_shape == (None, 2)
    assert len(model.weights) == 4 and len(model.trainable_weights) == 2
    x = np.ones((1, 5), np.float32)
    w, b = K.get_value(base.layers[1].kernel), K.get_value(base.layers[1].bias)
    w2, b2 = K.get_value(model.layers[1].kernel), K.get_value(model.layers[1].bias)
    np.testing.assert_allclose(model.predict(x), (x @ w + b) @ w2 + b2, rtol=1e-5)


def test_weights_of_a_sequential_built_by_its_first_call_save_and_load(tmp_path):
    def model():
        return keras.Sequential([L.Dense(4, name="a"), L.Dense(1, name="b")])  # no input_shape

    x = np.ones((2, 3), np.float32)
    first = model()
    first.predict(x)
    first.set_weights([np.full(w.shape, 0.1 * (i + 1), np.float32)
                       for i, w in enumerate(first.get_weights())])
    first.save_weights(str(tmp_path / "w"))
    second = model()
    second.predict(x)
    second.load_weights(str(tmp_path / "w"))
    np.testing.assert_allclose(second.predict(x), first.predict(x), rtol=1e-6)
    reader = tf.train.load_checkpoint(str(tmp_path / "w"))
    assert reader.has_tensor("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE")
