"""tf.keras' HDF5 format (core/keras/h5_io.py): model.save/load_model and save_weights/
load_weights(by_name, skip_mismatch) on .h5 files, checked against the numpy weights and a
hand-written layout read with h5py; errors; ModelCheckpoint; and, side by side, files written
by tf_keras (TF1 graph mode) loading in minitf and files written by minitf loading in
tf_keras, with the same predictions."""

import json
import logging
import os
import re
import shutil
import sys
import textwrap

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import minitf as tf  # noqa: E402
from minitf import keras  # noqa: E402
from minitf.keras import backend as K  # noqa: E402,N812 - Keras' own spelling

from .legacy_tf import run_against_tf  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(3)
XI = RNG.normal(size=(8, 6, 6, 2)).astype(np.float32)
YI = RNG.normal(size=(8, 2)).astype(np.float32)
XS = RNG.integers(0, 10, size=(8, 5)).astype(np.int32)
YS = RNG.normal(size=(8, 1)).astype(np.float32)

# One source for both libraries: the side-by-side scripts run it with tf_keras.
BUILD = '''
def build_functional(keras):
    L = keras.layers
    x = keras.Input((6, 6, 2), name="image")
    y = L.Conv2D(3, 3, activation="relu", name="conv")(x)
    y = L.BatchNormalization(name="bn")(y)
    y = L.Flatten(name="flat")(y)
    y = L.Dense(4, activation="tanh", name="hidden")(y)
    return keras.Model(x, L.Dense(2, name="out")(y), name="func")


def build_sequential(keras):
    L = keras.layers
    return keras.Sequential([L.Embedding(10, 3, input_length=5, name="emb"),
                             L.LSTM(4, recurrent_activation="sigmoid", name="lstm"),
                             L.Dense(1, name="head")], name="seq")
'''
exec(BUILD)  # noqa: S102 - defines build_functional and build_sequential
BUILDERS = {"functional": (build_functional, XI, YI),  # noqa: F821
            "sequential": (build_sequential, XS, YS)}  # noqa: F821


@pytest.fixture(autouse=True)
def _fresh_graph():
    K.clear_session()
    np.random.seed(0)
    yield
    K.clear_session()


def trained(kind, optimizer=None):
    build, x, y = BUILDERS[kind]
    model = build(keras)
    model.compile(optimizer or keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    return model


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def is_mse(loss):
    """load_model compiles with the function "mse" names, as tf_keras does."""
    return loss is keras.losses.mean_squared_error


def small(name="net", units=1, bias=True, extra=False):
    layers = [L.Dense(3, input_shape=(2,), name="d1")]
    if extra:
        layers.append(L.Dense(3, name="extra"))
    layers.append(L.Dense(units, use_bias=bias, name="d2"))
    return keras.Sequential(layers, name=name)


# -- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_save_and_load_model_round_trip_with_the_optimizer_state(kind, tmp_path):
    _, x, y = BUILDERS[kind]
    model = trained(kind)
    path = str(tmp_path / "m.h5")
    model.save(path)
    predicted, weights = model.predict(x), model.get_weights()
    opt_weights, opt_config = model.optimizer.get_weights(), model.optimizer.get_config()
    # one more epoch from here: the loaded model must take the same step (Adam's m, v, iter)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    after = model.get_weights()
    with tf.Graph().as_default():
        loaded = keras.models.load_model(path)
        assert type(loaded).__name__ == type(model).__name__
        assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
        np.testing.assert_allclose(loaded.predict(x), predicted, rtol=1e-5, atol=1e-6)
        for a, b in zip(loaded.get_weights(), weights):
            np.testing.assert_array_equal(a, b)
        assert is_mse(loaded.loss) and type(loaded.optimizer).__name__ == "Adam"
        assert loaded.optimizer.get_config() == opt_config
        for a, b in zip(loaded.optimizer.get_weights(), opt_weights):
            np.testing.assert_array_equal(a, b)
        loaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        for a, b in zip(loaded.get_weights(), after):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_save_weights_and_load_weights_round_trip(tmp_path):
    model = trained("functional")
    path = str(tmp_path / "w.hdf5")
    model.save_weights(path)
    weights = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in weights])
    assert model.load_weights(path) is None  # tf_keras returns no status for HDF5
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    model_path = str(tmp_path / "m.h5")
    model.save(model_path)
    with tf.Graph().as_default():  # a whole-model file's weights load too
        other = build_functional(keras)  # noqa: F821
        other.load_weights(model_path)
        for a, b in zip(other.get_weights(), weights):
            np.testing.assert_array_equal(a, b)


def test_file_layout_against_a_hand_written_expectation(tmp_path):
    model = small()
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse", metrics=["mae"])
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    path = str(tmp_path / "m.h5")
    model.save(path)
    names = {"d1": [b"d1/kernel:0", b"d1/bias:0"], "d2": [b"d2/kernel:0", b"d2/bias:0"]}
    with h5py.File(path, "r") as f:
        assert sorted(f.attrs) == ["backend", "keras_version", "model_config",
                                   "training_config"]
        assert f.attrs["keras_version"] == "2.2.4-tf" and f.attrs["backend"] == "tensorflow"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [layer["class_name"] for layer in config["config"]["layers"]] == \
            ["InputLayer", "Dense", "Dense"]
        assert config["config"]["layers"][2]["config"]["units"] == 1
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mse" and training["metrics"] == ["mae"]
        assert training["optimizer_config"]["class_name"] == "SGD"
        assert training["optimizer_config"]["config"]["momentum"] == pytest.approx(0.9)
        assert sorted(f) == ["model_weights", "optimizer_weights"]
        group = f["model_weights"]
        assert list(group.attrs["layer_names"]) == [b"d1", b"d2"] or \
            list(group.attrs["layer_names"]) == ["d1", "d2"]
        assert text(group.attrs["backend"]) == "tensorflow"  # stored as bytes, as tf_keras
        assert text(group.attrs["keras_version"]) == "2.2.4-tf"
        assert sorted(group) == ["d1", "d2", "top_level_model_weights"]
        assert len(group["top_level_model_weights"].attrs["weight_names"]) == 0
        values = model.get_weights()
        for layer, k in (("d1", 0), ("d2", 2)):
            saved = [n.encode() if isinstance(n, str) else n
                     for n in group[layer].attrs["weight_names"]]
            assert saved == names[layer]
            np.testing.assert_array_equal(group[layer]["d1/kernel:0" if k == 0 else
                                                      "d2/kernel:0"], values[k])
            np.testing.assert_array_equal(group[f"{layer}/{layer}/bias:0"], values[k + 1])
        opt = f["optimizer_weights"]
        assert [n.decode() if isinstance(n, bytes) else n for n in opt.attrs["weight_names"]] \
            == ["SGD/iter:0", "SGD/d1/kernel/momentum:0", "SGD/d1/bias/momentum:0",
                "SGD/d2/kernel/momentum:0", "SGD/d2/bias/momentum:0"]
        assert opt["SGD/iter:0"][()] == 1
        for name, value in zip(list(opt.attrs["weight_names"])[1:],
                               model.optimizer.get_weights()[1:]):
            np.testing.assert_array_equal(opt[name], value)
    weights_path = str(tmp_path / "w.h5")
    model.save_weights(weights_path)
    with h5py.File(weights_path, "r") as f:
        assert sorted(f.attrs) == ["backend", "keras_version", "layer_names"]
        assert sorted(f) == ["d1", "d2", "top_level_model_weights"]
        np.testing.assert_array_equal(f["d2/d2/kernel:0"], model.get_weights()[2])


def test_batch_norm_and_lstm_weights_are_in_tf_keras_order(tmp_path):
    model = trained("sequential")
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    bn = keras.Sequential([L.BatchNormalization(input_shape=(3,), name="bn")])
    bn.save_weights(str(tmp_path / "bn.h5"))
    with h5py.File(path, "r") as f:
        assert [str(n) if not isinstance(n, bytes) else n.decode()
                for n in f["lstm"].attrs["weight_names"]] == \
            ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0",
             "lstm/lstm_cell/bias:0"]
        assert f["lstm/lstm/lstm_cell/kernel:0"].shape == (3, 16)
    with h5py.File(str(tmp_path / "bn.h5"), "r") as f:
        assert [n.decode() if isinstance(n, bytes) else n
                for n in f["bn"].attrs["weight_names"]] == \
            ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]


def test_uncompiled_model_loads_uncompiled_with_a_warning(tmp_path, caplog):
    model = small()
    path, without = str(tmp_path / "m.h5"), str(tmp_path / "without_optimizer.h5")
    model.save(path)
    model.compile("sgd", "mse")
    model.save(without, include_optimizer=False)
    compiled = str(tmp_path / "compiled.h5")
    model.save(compiled)
    for saved in (path, without):
        with h5py.File(saved, "r") as f:
            assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with tf.Graph().as_default(), caplog.at_level(logging.WARNING, logger="minitf"):
        loaded = keras.models.load_model(path)
    assert "No training configuration found in the save file" in caplog.text
    assert not getattr(loaded, "_is_compiled", False)
    with tf.Graph().as_default():
        assert not getattr(keras.models.load_model(without), "_is_compiled", False)
    with tf.Graph().as_default():
        assert getattr(keras.models.load_model(compiled), "_is_compiled", False)
        assert not getattr(keras.models.load_model(compiled, compile=False), "_is_compiled",
                           False)


def test_custom_objects_and_lambda_safe_mode(tmp_path):
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return dict(super().get_config(), factor=self.factor)

    x = keras.Input((2,))
    model = keras.Model(x, Scale(3.0, name="scale")(L.Dense(2, name="d")(x)))
    path = str(tmp_path / "custom.h5")
    model.save(path)
    data = np.ones((1, 2), np.float32)
    want = model.predict(data)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Unknown layer: 'Scale'"):
            keras.models.load_model(path)
        loaded = keras.models.load_model(path, custom_objects={"Scale": Scale})
        np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-6)
    y = L.Lambda(lambda t: t * 2.0, name="double")(x)
    lam = keras.Model(x, y)
    lam_path = str(tmp_path / "lambda.h5")
    lam.save(lam_path)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="bytecode"):
            keras.models.load_model(lam_path)
        np.testing.assert_allclose(keras.models.load_model(lam_path, safe_mode=False)
                                   .predict(data), 2 * data)


def test_h5py_file_objects_and_files_without_a_suffix(tmp_path):
    model = small()
    data = np.arange(6, dtype=np.float32).reshape(3, 2)
    predicted, want = model.predict(data), model.get_weights()
    with h5py.File(str(tmp_path / "obj"), "w") as f:
        model.save(f)
    model.save_weights(str(tmp_path / "w.h5"))
    with h5py.File(str(tmp_path / "obj"), "r") as f, tf.Graph().as_default():
        np.testing.assert_allclose(keras.models.load_model(f).predict(data), predicted,
                                   rtol=1e-6)
    shutil.copy(tmp_path / "w.h5", tmp_path / "weights_file")  # detected by its content
    shutil.copy(tmp_path / "obj", tmp_path / "model_file")
    with tf.Graph().as_default():
        np.testing.assert_allclose(keras.models.load_model(str(tmp_path / "model_file"))
                                   .predict(data), predicted, rtol=1e-6)
    with tf.Graph().as_default():
        fresh = small()
        fresh.load_weights(str(tmp_path / "weights_file"))
        for a, b in zip(fresh.get_weights(), want):
            np.testing.assert_array_equal(a, b)


# -- by_name and skip_mismatch ------------------------------------------------------------------
def test_load_by_name_into_a_model_with_extra_and_renamed_layers(tmp_path):
    source = small("src")
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    want = source.get_weights()
    target = small("dst", extra=True)
    before = target.get_weights()
    with pytest.raises(ValueError, match="Layer count mismatch when loading weights from "
                                         "file. Model expected 3 layers, found 2 saved"):
        target.load_weights(path)
    target.load_weights(path, by_name=True)
    got = target.get_weights()
    for i in (0, 1):
        np.testing.assert_array_equal(got[i], want[i])  # d1
    np.testing.assert_array_equal(got[2], before[2])  # extra keeps its own
    renamed = keras.Sequential([L.Dense(3, input_shape=(2,), name="first"),
                                L.Dense(1, name="d2")])
    old = renamed.get_weights()
    renamed.load_weights(path, by_name=True)
    np.testing.assert_array_equal(renamed.get_weights()[0], old[0])
    np.testing.assert_array_equal(renamed.get_weights()[2], want[2])
    renamed.load_weights(path)  # topological: names do not matter
    np.testing.assert_array_equal(renamed.get_weights()[0], want[0])


def test_skip_mismatch_skips_with_a_warning_and_is_refused_without_by_name(tmp_path, caplog):
    source = small("src")
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    want = source.get_weights()
    wide = small("wide", units=5)
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #1 \(named d2\) for weight "
                                         r"d2(_\d)?/kernel:0. Weight expects shape \(3, 5\). "
                                         r"Received saved weight with shape \(3, 1\)"):
        wide.load_weights(path, by_name=True)
    before = wide.get_weights()
    with caplog.at_level(logging.WARNING, logger="minitf"):
        wide.load_weights(path, by_name=True, skip_mismatch=True)
    assert "Skipping loading weights for layer #1 (named d2)" in caplog.text
    np.testing.assert_array_equal(wide.get_weights()[0], want[0])
    np.testing.assert_array_equal(wide.get_weights()[2], before[2])
    no_bias = small("nb", bias=False)
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #1 \(named d2\). "
                                         "Layer expects 1 weight"):
        no_bias.load_weights(path, by_name=True)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="minitf"):
        no_bias.load_weights(path, by_name=True, skip_mismatch=True)
    assert "due to mismatch in number of weights" in caplog.text
    with pytest.raises(ValueError, match="skip_mismatch can only be set to True when by_name"):
        wide.load_weights(path, skip_mismatch=True)


def test_topological_count_and_shape_mismatches(tmp_path):
    path = str(tmp_path / "w.h5")
    small("src").save_weights(path)
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #1 \(named d2 in "
                                         r"the current model, d2 in the save file\). Layer "
                                         "expects 1 weight"):
        small("nb", bias=False).load_weights(path)
    wide = small("wide", units=5)
    before = wide.get_weights()
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #1 \(named d2\)"):
        wide.load_weights(path)
    for a, b in zip(wide.get_weights(), before):  # nothing assigned
        np.testing.assert_array_equal(a, b)


# -- errors -------------------------------------------------------------------------------------
def test_missing_h5py_is_an_import_error_naming_the_extra(tmp_path, monkeypatch):
    model = small()
    model.save_weights(str(tmp_path / "w.h5"))
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    for call in (lambda: model.save_weights(str(tmp_path / "x.h5")),
                 lambda: model.save(str(tmp_path / "x.hdf5")),
                 lambda: model.save_weights(str(tmp_path / "x"), save_format="h5"),
                 lambda: model.load_weights(str(tmp_path / "w.h5")),
                 lambda: keras.models.load_model(str(tmp_path / "w.h5"))):
        with pytest.raises(ImportError, match=r'h5py.*pip install "minitf\[h5\]".*checkpoint'):
            call()
    model.save_weights(str(tmp_path / "ckpt"))  # the TF format needs no h5py
    model.load_weights(str(tmp_path / "ckpt"))


def test_format_errors(tmp_path):
    model = small()
    for call in (lambda: model.save(str(tmp_path / "m.keras")),
                 lambda: model.save_weights(str(tmp_path / "w.keras")),
                 lambda: model.save(str(tmp_path / "m"), save_format="keras"),
                 lambda: keras.models.load_model(str(tmp_path / "m.keras")),
                 lambda: model.load_weights(str(tmp_path / "w.keras"))):
        with pytest.raises(ValueError, match="Keras 3's zip format.*minitf writes HDF5 for "
                                             r"\.h5/\.hdf5"):
            call()
    with pytest.raises(ValueError, match="Unknown format. Received: `save_format`=xyz"):
        model.save(str(tmp_path / "m"), save_format="xyz")
    with pytest.raises(ValueError, match="Unknown format"):
        model.save_weights(str(tmp_path / "w"), save_format="pickle")
    with pytest.raises(ValueError, match="looks like an HDF5 file"):
        model.save_weights(str(tmp_path / "w.h5"), save_format="tf")
    model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(str(tmp_path / "w.h5"), overwrite=False)
    with pytest.raises(ValueError, match="No model config found in the file"):
        keras.models.load_model(str(tmp_path / "w.h5"))
    with pytest.raises(OSError, match="No file or directory found"):
        keras.models.load_model(str(tmp_path / "absent.h5"))
    with pytest.raises(ValueError, match="have not yet been created"):
        keras.Sequential([L.Dense(1)]).save_weights(str(tmp_path / "d.h5"))

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = L.Dense(1)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(tf.zeros((1, 2)))
    with pytest.raises(NotImplementedError, match="requires the model to be a Functional"):
        sub.save(str(tmp_path / "sub.h5"))


def test_unloadable_optimizer_state_warns_and_starts_fresh(tmp_path, caplog):
    model = trained("sequential")
    path = str(tmp_path / "m.h5")
    model.save(path)
    predicted = model.predict(XS)
    with h5py.File(path, "r+") as f:  # drop one slot: the optimizer cannot take the rest
        group = f["optimizer_weights"]
        names = list(group.attrs["weight_names"])
        del group[names[-1]]
        group.attrs["weight_names"] = names[:-1]
    with tf.Graph().as_default(), caplog.at_level(logging.WARNING, logger="minitf"):
        loaded = keras.models.load_model(path)
        assert "Error in loading the saved optimizer state" in caplog.text
        assert K.get_value(loaded.optimizer.iterations) == 0
        np.testing.assert_allclose(loaded.predict(XS), predicted, rtol=1e-5)
        loaded.fit(XS, YS, verbose=0)


def test_model_checkpoint_writes_h5_files_that_load(tmp_path):
    model = small()
    model.compile("sgd", "mse")
    x, y = RNG.normal(size=(8, 2)).astype(np.float32), RNG.normal(size=(8, 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.{epoch:02d}.hdf5"),
                                        save_weights_only=True),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.{epoch:02d}.h5"), monitor="loss")])
    assert sorted(os.listdir(tmp_path)) == ["m.01.h5", "m.02.h5", "w.01.hdf5", "w.02.hdf5"]
    assert all(h5py.is_hdf5(str(p)) for p in tmp_path.iterdir())
    want = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in want])
    model.load_weights(str(tmp_path / "w.02.hdf5"))
    for a, b in zip(model.get_weights(), want):
        np.testing.assert_array_equal(a, b)
    with tf.Graph().as_default():
        loaded = keras.models.load_model(str(tmp_path / "m.02.h5"))
        for a, b in zip(loaded.get_weights(), want):
            np.testing.assert_array_equal(a, b)
        assert is_mse(loaded.loss)


# -- side by side with tf_keras -----------------------------------------------------------------
HEADER = '''
import os
import sys
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras
'''


def run_script(tmp_path, body, cases):
    script = tmp_path / "script.py"
    script.write_text(HEADER + BUILD + textwrap.dedent(body))
    run_against_tf(str(script), cases)  # an absolute path: os.path.join keeps it


def layout(path):
    """Attribute names, groups, datasets' shapes and dtypes, and the name lists of a file.
    tf_keras in graph mode names its optimizer's weights under "training/" (made in the train
    function's name scope), minitf's without: that prefix is dropped."""
    out = {}

    def text(value):
        value = value.decode() if isinstance(value, bytes) else value
        return re.sub(r"^training(_\d+)?/", "", value) if isinstance(value, str) else value

    with h5py.File(path, "r") as f:
        out["/"] = sorted(f.attrs)
        out["model_config"] = json.loads(f.attrs["model_config"])["class_name"]

        def visit(name, obj):
            if re.fullmatch(r"optimizer_weights/training(_\d+)?", name):
                return
            name = re.sub(r"^optimizer_weights/training(_\d+)?/", "optimizer_weights/", name)
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.shape, obj.dtype.str)
            else:
                out[name] = {k: [text(v) for v in obj.attrs[k]] if k.endswith("_names")
                             else text(obj.attrs[k]) for k in obj.attrs
                             if k != "keras_version"}
        f.visititems(visit)
    return out


def test_tf_keras_written_files_load_in_minitf(tmp_path):
    pytest.importorskip("tf_keras")
    out = str(tmp_path)
    np.savez(os.path.join(out, "data.npz"), x_functional=XI, y_functional=YI,
             x_sequential=XS, y_sequential=YS)
    run_script(tmp_path, f'''
    out = {out!r}
    data = np.load(os.path.join(out, "data.npz"))
    for kind, build in (("functional", build_functional), ("sequential", build_sequential)):
        x, y = data["x_" + kind], data["y_" + kind]
        model = build(tf_keras)
        model.compile(tf_keras.optimizers.legacy.Adam(0.01), "mse", metrics=["mae"])
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        model.save(os.path.join(out, kind + ".h5"))
        model.save_weights(os.path.join(out, kind + "_w.h5"))
        opt = model.optimizer.get_weights()
        np.savez(os.path.join(out, kind + "_tf.npz"), pred=model.predict(x),
                 **{{"opt%d" % i: v for i, v in enumerate(opt)}})
        print("OK wrote", kind, len(opt))
    ''', 2)
    for kind, (build, x, _) in BUILDERS.items():
        ref = np.load(os.path.join(out, kind + "_tf.npz"))
        with tf.Graph().as_default():
            loaded = keras.models.load_model(os.path.join(out, kind + ".h5"))
            np.testing.assert_allclose(loaded.predict(x), ref["pred"], rtol=1e-4, atol=1e-5)
            assert is_mse(loaded.loss) and type(loaded.optimizer).__name__ == "Adam"
            opt = loaded.optimizer.get_weights()
            assert len(opt) == len(ref.files) - 1
            for i, value in enumerate(opt):
                np.testing.assert_allclose(value, ref[f"opt{i}"], rtol=1e-6)
            mine = os.path.join(out, kind + "_minitf.h5")
            loaded.save(mine)  # the same layout as tf_keras' file, names and all
            assert layout(mine) == layout(os.path.join(out, kind + ".h5"))
        with tf.Graph().as_default():
            model = build(keras)
            model.load_weights(os.path.join(out, kind + "_w.h5"))
            np.testing.assert_allclose(model.predict(x), ref["pred"], rtol=1e-4, atol=1e-5)
            model.load_weights(os.path.join(out, kind + "_w.h5"), by_name=True)
            np.testing.assert_allclose(model.predict(x), ref["pred"], rtol=1e-4, atol=1e-5)


def test_minitf_written_files_load_in_tf_keras(tmp_path):
    pytest.importorskip("tf_keras")
    out = str(tmp_path)
    for kind, (_, x, _y) in BUILDERS.items():
        with tf.Graph().as_default():
            model = trained(kind)
            model.save(os.path.join(out, kind + ".h5"))
            model.save_weights(os.path.join(out, kind + "_w.h5"))
            np.savez(os.path.join(out, kind + ".npz"), x=x, pred=model.predict(x),
                     **{f"opt{i}": v for i, v in enumerate(model.optimizer.get_weights())})
    run_script(tmp_path, f'''
    out = {out!r}

    def check(case, a, b):
        ok = np.allclose(a, b, rtol=1e-4, atol=1e-5)
        print(("OK " if ok else "DIFF ") + case, "" if ok else np.abs(a - b).max())

    for kind, build in (("functional", build_functional), ("sequential", build_sequential)):
        ref = np.load(os.path.join(out, kind + ".npz"))
        with tf.Graph().as_default():
            model = tf_keras.models.load_model(os.path.join(out, kind + ".h5"))
            check(kind + " load_model predict", model.predict(ref["x"]), ref["pred"])
            opt = model.optimizer.get_weights()
            same = len(opt) == len(ref.files) - 2 and all(
                np.allclose(v, ref["opt%d" % i]) for i, v in enumerate(opt))
            print(("OK " if same else "DIFF ") + kind + " optimizer state",
                  type(model.optimizer).__name__, len(opt))
        with tf.Graph().as_default():
            model = build(tf_keras)
            model.load_weights(os.path.join(out, kind + "_w.h5"))
            check(kind + " load_weights predict", model.predict(ref["x"]), ref["pred"])
            model = build(tf_keras)
            model.load_weights(os.path.join(out, kind + "_w.h5"), by_name=True)
            check(kind + " load_weights by_name", model.predict(ref["x"]), ref["pred"])
    ''', 8)


NESTED = '''
def build_nested(keras):
    L = keras.layers
    inner_seq = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,))],
                                 name="inner_seq")
    j = keras.Input((4,), name="inner_in")
    inner_fn = keras.Model(j, L.Dense(3, name="inner_dense")(j), name="inner_fn")
    x = keras.Input((3,), name="x")
    model = keras.Model(x, inner_fn(inner_seq(x)), name="nested")
    model.compile(keras.optimizers.SGD(0.1) if not hasattr(keras.optimizers, "legacy") else
                  keras.optimizers.legacy.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
'''
exec(NESTED)  # noqa: S102 - defines build_nested


def test_nested_models_and_loss_objects_both_ways(tmp_path):
    """A model calling nested models made on their own Inputs (Keras numbers those calls from
    1 in configs: a model's creation is its node 0) and compiled with a loss object (tf_keras
    writes its function's name, ``fn``, and ``ignore_class`` into the config; TF 1.x's
    SparseCategoricalCrossentropy takes no ``axis``): files load on the other side with the
    same predictions and loss. Both failed before (a config error, an endless load in
    tf_keras)."""
    import json

    x = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    with tf.Graph().as_default():
        model = build_nested(keras)  # noqa: F821
        config = json.loads(model.to_json())["config"]["layers"]
        calls = {c["name"]: c["inbound_nodes"] for c in config}
        assert calls["inner_seq"] == [[["x", 0, 0, {}]]]
        assert calls["inner_fn"] == [[["inner_seq", 1, 0, {}]]]
        assert "axis" not in model.loss.get_config()
        model.save(str(tmp_path / "minitf.h5"))
        np.save(str(tmp_path / "x.npy"), x)
        np.save(str(tmp_path / "minitf_pred.npy"), model.predict(x))
    out = str(tmp_path)
    run_script(tmp_path, NESTED + textwrap.dedent(f'''
    out = {out!r}
    x = np.load(os.path.join(out, "x.npy"))
    with tf.Graph().as_default():
        m = tf_keras.models.load_model(os.path.join(out, "minitf.h5"))
        ok = np.allclose(m.predict(x), np.load(os.path.join(out, "minitf_pred.npy")), atol=1e-5)
        print(("OK " if ok else "DIFF ") + "minitf's file in tf_keras", type(m.loss).__name__)
    with tf.Graph().as_default():
        m = build_nested(tf_keras)
        m.save(os.path.join(out, "tf.h5"))
        np.save(os.path.join(out, "tf_pred.npy"), m.predict(x))
        print("OK wrote tf_keras' file")
    '''), 2)
    with tf.Graph().as_default():
        loaded = keras.models.load_model(str(tmp_path / "tf.h5"))
        np.testing.assert_allclose(loaded.predict(x), np.load(str(tmp_path / "tf_pred.npy")),
                                   atol=1e-5)
        assert type(loaded.loss).__name__ == "SparseCategoricalCrossentropy"
        assert loaded.loss.get_config()["from_logits"] is True


def test_tf_keras_loss_configs_load_and_unsupported_options_are_named():
    config = {"reduction": "auto", "name": "scce", "from_logits": True, "ignore_class": None,
              "fn": "sparse_categorical_crossentropy"}
    loss = keras.losses.SparseCategoricalCrossentropy.from_config(config)
    assert loss.get_config() == {"from_logits": True, "reduction": "auto", "name": "scce"}
    with pytest.raises(ValueError, match="ignore_class"):
        keras.losses.SparseCategoricalCrossentropy.from_config(dict(config, ignore_class=3))
