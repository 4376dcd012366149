"""minitf's tf.keras training against tf_keras in TF1 graph mode (run with
TF_USE_LEGACY_KERAS=1; see test_keras_training.py): the same models with the same initial
weights, trained with shuffle=False, must give the same history (losses, metrics, val_),
final weights, evaluate and predict values for each optimizer and loss; Keras backend
functions, loss functions/classes and metric classes on the same arrays must agree.
Prints one line per case, "OK" when everything agrees."""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
# TF 1.x's mode whole (not only graph mode): tf_keras then names metrics as TF 1.15 ('acc',
# 'mean_absolute_error'), as minitf does
tf1.disable_v2_behavior()
import tf_keras as tk  # noqa: E402

import minitf  # noqa: E402
from minitf import keras as mk  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y_CLASS = RNG.integers(0, 3, size=10)
Y_ONEHOT = np.eye(3, dtype=np.float32)[Y_CLASS]
FAILS = []


def close(a, b, what, tol=2e-5):
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and \
            any(np.ndim(v) for v in a):
        for i, (u, v) in enumerate(zip(a, b)):
            close(u, v, f"{what}[{i}]", tol)
        return
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or not np.allclose(a, b, atol=tol, rtol=tol * 10):
        FAILS.append(f"{what}: minitf {a.ravel()[:6]} vs tf {b.ravel()[:6]}")


def report(case):
    global FAILS
    print(("OK " if not FAILS else "FAIL ") + case + ("" if not FAILS else ": " +
                                                       "; ".join(FAILS[:4])))
    FAILS = []


def fresh():
    tk.backend.clear_session()
    mk.backend.clear_session()


def mlp(K, out_units, out_activation, reg=None):
    model = K.Sequential([
        K.layers.Dense(4, activation="tanh", input_shape=(3,), kernel_regularizer=reg),
        K.layers.Dense(out_units, activation=out_activation)])
    return model


def init_weights(model):
    """Random values; a moving variance stays positive."""
    return [(np.abs if "variance" in v.name else np.asarray)(
        RNG.normal(scale=0.5, size=w.shape)).astype(np.float32)
        for v, w in zip(model.weights, model.get_weights())]


def compare_history(h_m, h_t, what):
    if sorted(h_m.history) != sorted(h_t.history):
        FAILS.append(f"{what} keys {sorted(h_m.history)} vs {sorted(h_t.history)}")
        return
    for k in h_t.history:
        close(h_m.history[k], h_t.history[k], f"{what} {k}")


def train_pair(build, compile_kw, fit_kw, x, y, what, evaluate=True):
    fresh()
    m_model, t_model = build(mk), build(tk)
    weights = init_weights(t_model)
    t_model.set_weights(weights)
    m_model.set_weights(weights)
    m_model.compile(**compile_kw(mk))
    t_model.compile(**compile_kw(tk))
    h_m = m_model.fit(x, y, verbose=0, shuffle=False, **fit_kw)
    h_t = t_model.fit(x, y, verbose=0, shuffle=False, **fit_kw)
    compare_history(h_m, h_t, what)
    for i, (a, b) in enumerate(zip(m_model.get_weights(), t_model.get_weights())):
        close(a, b, f"{what} weight {i}")
    if evaluate:
        close(m_model.evaluate(x, y, batch_size=3, verbose=0),
              t_model.evaluate(x, y, batch_size=3, verbose=0), f"{what} evaluate")
        close(m_model.predict(x, batch_size=4), t_model.predict(x, batch_size=4),
              f"{what} predict")
    if m_model.metrics_names != t_model.metrics_names:
        FAILS.append(f"{what} metrics_names {m_model.metrics_names} vs "
                     f"{t_model.metrics_names}")


OPTIMIZERS = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=0.1, momentum=0.5, decay=0.1)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adadelta", dict(learning_rate=1.0)),
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Nadam", dict(learning_rate=0.01)),
]

for name, kw in OPTIMIZERS:
    def opt_of(K, name=name, kw=kw):
        cls = getattr(K.optimizers.legacy, name) if K is tk else getattr(K.optimizers, name)
        return cls(**kw)
    train_pair(lambda K: mlp(K, 3, "softmax"),
               lambda K, opt_of=opt_of: dict(optimizer=opt_of(K),
                                             loss="categorical_crossentropy",
                                             metrics=["accuracy"]),
               dict(epochs=3, batch_size=4), X, Y_ONEHOT, f"{name}{kw}")
    report(f"optimizer {name} {kw}")

LOSSES = [
    ("mse", 2, None, lambda: RNG.normal(size=(10, 2)).astype(np.float32)),
    ("mae", 2, None, lambda: RNG.normal(size=(10, 2)).astype(np.float32)),
    ("mean_absolute_percentage_error", 2, None,
     lambda: RNG.uniform(0.5, 2, size=(10, 2)).astype(np.float32)),
    ("msle", 2, "softplus", lambda: RNG.uniform(0, 2, size=(10, 2)).astype(np.float32)),
    ("binary_crossentropy", 1, "sigmoid", lambda: (Y_CLASS[:, None] > 0).astype(np.float32)),
    ("sparse_categorical_crossentropy", 3, "softmax", lambda: Y_CLASS),
    ("hinge", 1, "tanh", lambda: (Y_CLASS[:, None] > 0).astype(np.float32)),
    ("squared_hinge", 1, "tanh", lambda: np.where(Y_CLASS[:, None] > 0, 1.0, -1.0)),
    ("categorical_hinge", 3, None, lambda: Y_ONEHOT),
    ("kullback_leibler_divergence", 3, "softmax", lambda: Y_ONEHOT * 0.8 + 0.2 / 3),
    ("poisson", 2, "softplus", lambda: RNG.poisson(1.0, size=(10, 2)).astype(np.float32)),
    ("cosine_similarity", 2, None, lambda: RNG.normal(size=(10, 2)).astype(np.float32)),
    ("logcosh", 2, None, lambda: RNG.normal(size=(10, 2)).astype(np.float32)),
    ("huber_loss", 2, None, lambda: 3 * RNG.normal(size=(10, 2)).astype(np.float32)),
]
for loss, units, act, make_y in LOSSES:
    y = make_y()
    metrics = ["accuracy", "mse"] if loss in ("binary_crossentropy",
                                              "sparse_categorical_crossentropy") else ["mae"]
    train_pair(lambda K, units=units, act=act: mlp(K, units, act),
               lambda K, loss=loss, metrics=metrics: dict(
                   optimizer=(K.optimizers.legacy if K is tk else K.optimizers).Adam(0.02),
                   loss=loss, metrics=metrics),
               dict(epochs=2, batch_size=3, validation_split=0.3), X, y, loss)
    report(f"loss {loss}")

# Saturated softmax/sigmoid outputs: tf_keras takes the crossentropies from the logits.
for loss, units, act, y in (("categorical_crossentropy", 3, "softmax", Y_ONEHOT),
                            ("binary_crossentropy", 1, "sigmoid",
                             (Y_CLASS[:, None] > 0).astype(np.float32))):
    fresh()
    runs = []
    w0 = None
    for K in (mk, tk):
        model = mlp(K, units, act)
        w0 = [w * 20 for w in init_weights(model)] if w0 is None else w0
        model.set_weights(w0)
        model.compile((K.optimizers.legacy if K is tk else K.optimizers).SGD(0.01), loss)
        runs.append([model.fit(X, y, epochs=2, batch_size=5, verbose=0, shuffle=False),
                     model.get_weights()])
    compare_history(runs[0][0], runs[1][0], f"saturated {loss}")
    close(runs[0][1], runs[1][1], f"saturated {loss} weights", tol=1e-4)
    report(f"saturated {act} output, {loss} from logits")

# Loss objects, from_logits, sample and class weights, an L2 regularizer, validation_data.
train_pair(lambda K: mlp(K, 3, None, reg="l2"),
           lambda K: dict(optimizer=(K.optimizers.legacy if K is tk else K.optimizers).SGD(0.2),
                          loss=K.losses.CategoricalCrossentropy(from_logits=True),
                          metrics=["categorical_accuracy", K.metrics.Precision()],
                          weighted_metrics=["mse"]),
           dict(epochs=2, batch_size=4, sample_weight=RNG.uniform(0.5, 2, size=10),
                validation_data=(X[:4], Y_ONEHOT[:4])), X, Y_ONEHOT, "weighted")
report("loss object, sample weights, weighted metrics, regularizer, validation_data")
train_pair(lambda K: mlp(K, 3, "softmax"),
           lambda K: dict(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                          metrics=["acc"]),
           dict(epochs=2, batch_size=5, class_weight={0: 1.0, 1: 2.0, 2: 0.5}), X, Y_CLASS,
           "class_weight")
report("class_weight, string optimizer, acc")


# Multi-input / multi-output functional model with dict data and loss_weights.
def two_headed(K):
    a = K.Input(shape=(3,), name="a")
    b = K.Input(shape=(2,), name="b")
    h = K.layers.Dense(4, activation="relu", name="h")(K.layers.concatenate([a, b]))
    cls = K.layers.Dense(3, activation="softmax", name="cls")(h)
    reg = K.layers.Dense(1, name="reg")(h)
    return K.Model([a, b], [cls, reg])


XB = RNG.normal(size=(10, 2)).astype(np.float32)
YR = RNG.normal(size=(10, 1)).astype(np.float32)
train_pair(two_headed,
           lambda K: dict(optimizer=(K.optimizers.legacy if K is tk else K.optimizers).Adam(
               0.05), loss={"cls": "categorical_crossentropy", "reg": "mse"},
               loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]}),
           dict(epochs=2, batch_size=4, validation_split=0.2), {"a": X, "b": XB},
           {"cls": Y_ONEHOT, "reg": YR}, "multi-output")
report("multi-input/multi-output dict data, loss_weights")
train_pair(two_headed,
           lambda K: dict(optimizer=(K.optimizers.legacy if K is tk else K.optimizers).SGD(
               0.1), loss=["categorical_crossentropy", "mse"], metrics=["mae"]),
           dict(epochs=2, batch_size=4), [X, XB], [Y_ONEHOT, YR], "multi-output uneven")
report("multi-output list data, uneven batches")

# A masked sequence output (Embedding mask_zero) with temporal sample weights.
TOKENS = RNG.integers(0, 5, size=(10, 4))
TOKENS[:, -1] = 0
Y_SEQ = RNG.normal(size=(10, 4, 2)).astype(np.float32)
train_pair(lambda K: K.Sequential([K.layers.Embedding(5, 3, mask_zero=True, input_length=4),
                                   K.layers.Dense(2)]),
           lambda K: dict(optimizer=(K.optimizers.legacy if K is tk else K.optimizers).Adam(
               0.05), loss="mse", metrics=["mae"], sample_weight_mode="temporal"),
           dict(epochs=2, batch_size=4, sample_weight=RNG.uniform(0, 1, size=(10, 4))),
           TOKENS, Y_SEQ, "masked temporal")
report("masked sequence output, temporal sample weights")

# BatchNormalization: model.updates run with each step, the learning phase fed True.
# (no bias before the normalization: its gradient is round-off, which Adam would amplify)
train_pair(lambda K: K.Sequential([K.layers.Dense(4, input_shape=(3,), use_bias=False),
                                   K.layers.BatchNormalization(momentum=0.8),
                                   K.layers.Activation("relu"), K.layers.Dense(3)]),
           lambda K: dict(optimizer=(K.optimizers.legacy if K is tk else K.optimizers).Adam(
               0.05), loss=K.losses.CategoricalCrossentropy(from_logits=True),
               metrics=["accuracy"]),
           dict(epochs=3, batch_size=4), X, Y_ONEHOT, "batchnorm")
report("BatchNormalization updates and learning phase in fit")


# Generators and Sequences: fit_generator / evaluate_generator / predict_generator.
def sequence_of(K):
    class Batches(K.utils.Sequence):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[i * 4:(i + 1) * 4], Y_ONEHOT[i * 4:(i + 1) * 4]
    return Batches()


fresh()
runs = []
w0 = None
for K in (mk, tk):
    model = mlp(K, 3, "softmax")
    w0 = init_weights(model) if w0 is None else w0
    model.set_weights(w0)
    model.compile((K.optimizers.legacy if K is tk else K.optimizers).SGD(0.3, momentum=0.5),
                  "categorical_crossentropy", metrics=["accuracy"])

    def gen():
        while True:
            for i in range(0, 10, 5):
                yield X[i:i + 5], Y_ONEHOT[i:i + 5]
    h1 = model.fit_generator(sequence_of(K), epochs=2, verbose=0, shuffle=False)
    h2 = model.fit_generator(gen(), steps_per_epoch=2, epochs=2, verbose=0,
                             validation_data=sequence_of(K), validation_steps=3)
    runs.append([h1, h2, model.evaluate_generator(sequence_of(K), steps=3),
                 model.predict_generator(gen(), steps=2), model.get_weights()])
for i in range(2):
    compare_history(runs[0][i], runs[1][i], f"generator history {i}")
for i in range(2, 5):
    close(runs[0][i], runs[1][i], f"generator {i}")
report("fit_generator/evaluate_generator/predict_generator with Sequence and generator")

# Learning-rate callbacks.
fresh()
runs = []
for K in (mk, tk):
    model = mlp(K, 3, "softmax")
    model.set_weights(w0)
    model.compile((K.optimizers.legacy if K is tk else K.optimizers).SGD(0.5),
                  "categorical_crossentropy")
    h = model.fit(X, Y_ONEHOT, epochs=4, batch_size=5, verbose=0, shuffle=False, callbacks=[
        K.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.5),
        K.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10)])
    runs.append([h, model.get_weights()])
compare_history(runs[0][0], runs[1][0], "lr callbacks")
close(runs[0][1], runs[1][1], "lr callbacks weights")
report("LearningRateScheduler and ReduceLROnPlateau")


# A subclassed model, built by its first call on data.
def subclassed(K):
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.d1 = K.layers.Dense(5, activation="relu")
            self.d2 = K.layers.Dense(3, activation="softmax")

        def call(self, inputs, training=None):
            return self.d2(self.d1(inputs))
    return Net()


fresh()
runs = []
w0 = None
for K in (mk, tk):
    model = subclassed(K)
    model.compile((K.optimizers.legacy if K is tk else K.optimizers).Adam(0.02),
                  "categorical_crossentropy", metrics=["accuracy"])
    model.predict(X[:2])
    w0 = init_weights(model) if w0 is None else w0
    model.set_weights(w0)
    runs.append([model.fit(X, Y_ONEHOT, epochs=2, batch_size=4, verbose=0, shuffle=False),
                 model.get_weights(), model.evaluate(X, Y_ONEHOT, verbose=0)])
compare_history(runs[0][0], runs[1][0], "subclassed")
close(runs[0][1], runs[1][1], "subclassed weights")
close(runs[0][2], runs[1][2], "subclassed evaluate")
report("subclassed model built from data")

# train_on_batch / test_on_batch and a TF1 optimizer in compile.
fresh()
results = []
w0 = None
for K, T in ((mk, minitf), (tk, tf1)):
    model = mlp(K, 3, "softmax")
    w0 = init_weights(model) if w0 is None else w0
    model.set_weights(w0)
    model.compile(T.train.GradientDescentOptimizer(0.3), "categorical_crossentropy",
                  metrics=["accuracy"])
    results.append([model.train_on_batch(X, Y_ONEHOT), model.train_on_batch(X, Y_ONEHOT),
                    model.test_on_batch(X, Y_ONEHOT), model.predict_on_batch(X)])
for i, (a, b) in enumerate(zip(*results)):
    close(a, b, f"batch fn {i}")
report("train_on_batch/test_on_batch/predict_on_batch with a tf.train optimizer")

# Backend functions on the same arrays.
A = RNG.normal(size=(2, 3, 4)).astype(np.float32)
B = RNG.normal(size=(2, 4, 3)).astype(np.float32)
M2 = RNG.normal(size=(4, 5)).astype(np.float32)
P = RNG.uniform(0.05, 0.95, size=(2, 3)).astype(np.float32)
BACKEND = [
    lambda K: K.dot(K.constant(A), K.constant(M2)),
    lambda K: K.batch_dot(K.constant(A), K.constant(B)),
    lambda K: K.batch_dot(K.constant(A), K.constant(A), axes=[2, 2]),
    lambda K: K.batch_dot(K.constant(P), K.constant(P), axes=1),
    lambda K: K.sqrt(K.constant(A)), lambda K: K.std(K.constant(A), axis=1),
    lambda K: K.var(K.constant(A), axis=-1, keepdims=True),
    lambda K: K.clip(K.constant(A), 0.5, -0.2), lambda K: K.relu(K.constant(A), 0.1, 0.8, 0.2),
    lambda K: K.relu(K.constant(A), max_value=6.0), lambda K: K.elu(K.constant(A), 0.5),
    lambda K: K.hard_sigmoid(K.constant(A)), lambda K: K.softsign(K.constant(A)),
    lambda K: K.softmax(K.constant(A), axis=1), lambda K: K.l2_normalize(K.constant(A), 2),
    lambda K: K.batch_flatten(K.constant(A)), lambda K: K.repeat(K.constant(P), 2),
    lambda K: K.permute_dimensions(K.constant(A), (2, 0, 1)),
    lambda K: K.cumsum(K.constant(A), axis=1),
    lambda K: K.categorical_crossentropy(K.constant(P), K.constant(P)),
    lambda K: K.categorical_crossentropy(K.constant(P), K.constant(A[:, :, 0]), True),
    lambda K: K.sparse_categorical_crossentropy(K.constant([0, 2]), K.constant(P)),
    lambda K: K.binary_crossentropy(K.constant(P), K.constant(P[::-1])),
    lambda K: K.binary_crossentropy(K.constant(P), K.constant(A[:, :, 1]), True),
    lambda K: K.in_train_phase(K.constant(1.0), K.constant(2.0), training=1),
    lambda K: K.switch(K.constant(A) > 0, K.constant(A), -K.constant(A)),
    lambda K: K.one_hot(K.constant([1, 0, 3], dtype="int32"), 4),
    lambda K: K.prod(K.constant(P), axis=0), lambda K: K.argmax(K.constant(A)),
]
fresh()
for i, fn in enumerate(BACKEND):
    close(mk.backend.get_value(fn(mk.backend)), tk.backend.get_value(fn(tk.backend)),
          f"backend {i}")
xm, xt = mk.backend.placeholder((None, 3)), tk.backend.placeholder((None, 3))
vm, vt = mk.backend.variable(np.ones((3, 2))), tk.backend.variable(np.ones((3, 2)))
fm = mk.backend.function([xm], [mk.backend.dot(xm, vm)],
                         updates=[mk.backend.update_add(vm, mk.backend.ones_like(vm))])
ft = tk.backend.function([xt], [tk.backend.dot(xt, vt)],
                         updates=[tk.backend.update_add(vt, tk.backend.ones_like(vt))])
for _ in range(2):
    close(fm([P])[0], ft([P])[0], "K.function with updates")
report("backend functions")

# Loss functions and classes, metric functions and classes, on arrays.
YT, YP = RNG.uniform(0, 1, size=(4, 3)).astype(np.float32), \
    RNG.uniform(0.05, 1, size=(4, 3)).astype(np.float32)
SW = np.array([1.0, 0.5, 0.0, 2.0], np.float32)
for name in ("mse", "mae", "mape", "msle", "binary_crossentropy", "categorical_crossentropy",
             "hinge", "squared_hinge", "categorical_hinge", "kld", "poisson",
             "cosine_similarity", "logcosh", "huber"):
    close(mk.backend.get_value(mk.losses.get(name)(YT, YP)),
          tk.backend.get_value(tk.losses.get(name)(YT, YP)), f"loss fn {name}")
for cls, kw in (("MeanSquaredError", {}), ("Huber", {"delta": 0.3}),
                ("BinaryCrossentropy", {"label_smoothing": 0.1}),
                ("CategoricalCrossentropy", {"from_logits": True}),
                ("CosineSimilarity", {}), ("KLDivergence", {})):
    for red in ("sum_over_batch_size", "sum", "none"):
        close(mk.backend.get_value(getattr(mk.losses, cls)(reduction=red, **kw)(YT, YP, SW)),
              tk.backend.get_value(getattr(tk.losses, cls)(reduction=red, **kw)(YT, YP, SW)),
              f"loss class {cls} {red}")
for cls, args in (("Precision", {}), ("Recall", {"thresholds": [0.3, 0.6]}),
                  ("TruePositives", {}), ("FalseNegatives", {}), ("BinaryAccuracy", {}),
                  ("CategoricalAccuracy", {}), ("TopKCategoricalAccuracy", {"k": 2}),
                  ("RootMeanSquaredError", {}), ("Mean", None)):
    values = []
    for K in (mk, tk):
        metric = getattr(K.metrics, cls)(**(args or {}))
        labels = (YT > 0.5).astype(np.float32)
        if args is None:
            out = metric(YP, sample_weight=SW)
        else:
            out = metric(labels, YP, sample_weight=SW)
        first = K.backend.get_value(out)
        out2 = metric(labels[::-1], YP) if args is not None else metric(YT)
        values.append([first, K.backend.get_value(out2)])
    close(values[0], values[1], f"metric {cls}")
close(mk.backend.get_value(mk.metrics.sparse_top_k_categorical_accuracy([[2], [0], [1], [1]],
                                                                        YP, k=2)),
      tk.backend.get_value(tk.metrics.sparse_top_k_categorical_accuracy([[2], [0], [1], [1]],
                                                                        YP, k=2)), "top k")
report("losses and metrics on arrays")

# Sparse gradients (an Embedding's IndexedSlices): the whole table and the optimizer's slots
# after a few steps, where each batch leaves some rows without a gradient (row 0 never has
# one; rows 3 and 5 only in the first batch) and a row repeats within a batch.
SPARSE_TOKENS = np.array([[1, 3, 3], [5, 2, 1], [2, 4, 1], [1, 1, 2]])
SPARSE_Y = RNG.normal(size=(4, 6)).astype(np.float32)
SPARSE_CASES = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True, decay=0.1)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    ("RMSprop", dict(learning_rate=0.01, centered=True)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adadelta", dict(learning_rate=1.0)),
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Nadam", dict(learning_rate=0.01)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, clipnorm=0.01)),
    ("Adam", dict(learning_rate=0.01, clipvalue=0.02)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, global_clipnorm=0.05)),
]


def legacy_or_own(K, name):
    return getattr(K.optimizers.legacy, name) if K is tk else getattr(K.optimizers, name)


for name, kw in SPARSE_CASES:
    fresh()
    runs = []
    w0 = None
    for K in (mk, tk):
        model = K.Sequential([K.layers.Embedding(6, 2, input_length=3), K.layers.Flatten()])
        w0 = init_weights(model) if w0 is None else w0
        model.set_weights(w0)
        opt = legacy_or_own(K, name)(**kw)
        model.compile(opt, "mse")
        h = model.fit(SPARSE_TOKENS, SPARSE_Y, epochs=3, batch_size=2, verbose=0,
                      shuffle=False)
        runs.append([h, model.get_weights()[0], opt.get_weights()])
    compare_history(runs[0][0], runs[1][0], f"sparse {name}{kw}")
    close(runs[0][1], runs[1][1], f"sparse {name}{kw} table")
    close(runs[0][2], runs[1][2], f"sparse {name}{kw} optimizer weights")
    if not np.array_equal(runs[0][1][0], w0[0][0]):
        FAILS.append(f"sparse {name}: row 0 (never looked up) changed")
    report(f"sparse gradient (Embedding) {name} {kw}")


# Gradient clipping on every path: fit (get_updates), minimize and apply_gradients.
def clipped_step(T, K, kw, path):
    graph = T.Graph()
    with graph.as_default():
        v = T.Variable(np.array([3.0, 4.0, -0.5], np.float32), use_resource=True)
        w = T.Variable(np.array([[1.0], [-2.0]], np.float32), use_resource=True)
        opt = legacy_or_own(K, "SGD")(learning_rate=1.0, **kw)
        def loss_fn():  # tf_keras' minimize takes a callable (recorded on a tape)
            return T.reduce_sum(v * v) + T.reduce_sum(w * w * w)
        loss = loss_fn()
        if path == "minimize":
            op = opt.minimize(loss_fn if K is tk else loss, [v, w])
        elif path == "apply_gradients":
            op = opt.apply_gradients(zip(T.gradients(loss, [v, w]), [v, w]))
        else:
            op = opt.get_updates(loss, [v, w])
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            sess.run(op)
            return sess.run([v, w])


for kw in (dict(clipnorm=0.5), dict(clipvalue=0.3), dict(global_clipnorm=1.0),
           dict(clipvalue=2.5, global_clipnorm=3.0)):
    for path in ("minimize", "apply_gradients", "get_updates"):
        close(clipped_step(minitf, mk, kw, path), clipped_step(tf1, tk, kw, path),
              f"clip {kw} {path}")
    report(f"gradient clipping {kw} on minimize, apply_gradients, get_updates")

# Precision and Recall with thresholds, top_k and class_id (tf_keras' semantics).
YT4 = (RNG.uniform(size=(6, 4)) > 0.6).astype(np.float32)
YP4 = RNG.uniform(size=(6, 4)).astype(np.float32)
SW6 = RNG.uniform(size=6).astype(np.float32)
for cls in ("Precision", "Recall"):
    for kw in ({"top_k": 2}, {"class_id": 1}, {"top_k": 1, "class_id": 2},
               {"thresholds": [0.2, 0.7], "top_k": 3}, {"thresholds": 0.4, "class_id": 3}):
        values = []
        fresh()
        for K in (mk, tk):
            metric = getattr(K.metrics, cls)(**kw)
            first = K.backend.get_value(metric(YT4, YP4, sample_weight=SW6))
            values.append([first, K.backend.get_value(metric(YT4[::-1], YP4)),
                           sorted(metric.get_config().items())])
        close(values[0][:2], values[1][:2], f"{cls} {kw}")
        if values[0][2] != values[1][2]:
            FAILS.append(f"{cls} {kw} config {values[0][2]} vs {values[1][2]}")
    report(f"{cls} with thresholds, top_k and class_id")
