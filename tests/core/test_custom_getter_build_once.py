"""A variable scope's custom getter runs once per weight when a layer (tf.layers.Dense,
Conv2D, BatchNormalization) or a core RNN cell is built, not at every call or time step
(core/layers.py getter_outputs_once, core/rnn.py): every later call computes with the values the
getter returned then, which are what ``layer.kernel`` is and what ``layer.variables`` lists (a
getter's tensors as non-trainable, TF's legacy add_weight rule). The functional
``tf.layers.dense(..., reuse=True)`` is a new layer each time, so there the getter runs again.

Each case is a function of the module (minitf, or tf.compat.v1 with Keras 2) giving a record:
the names the getter saw, values run in a session, what the layer tracks. The tests check
minitf's records against hand-computed values and numpy (or the same graph without a getter,
its weights loaded as the getter would change them); run as a script (TF_USE_LEGACY_KERAS=1),
this file prints one line per case comparing minitf's record with TensorFlow's."""

import os
import sys

import numpy as np
import pytest

import minitf as tf

X = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
KERNEL = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
BIAS = np.array([0.5, -0.25, 0.0, 1.0], np.float32)
IMAGE = np.random.default_rng(3).standard_normal((1, 4, 4, 2)).astype(np.float32)
FILTERS = np.random.default_rng(4).standard_normal((2, 2, 2, 3)).astype(np.float32)
SEQUENCE = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)


def _session_run(T, fetches, feed=None, before=None):
    with T.Session() as sess:
        sess.run(T.global_variables_initializer())
        if before is not None:
            before(sess)
        return sess.run(fetches, feed)


def _doubling(calls):
    def getter(getter, name, *args, **kwargs):
        calls.append(name)
        return getter(name, *args, **kwargs) * 2.0
    return getter


def _is_variable(value):
    return hasattr(value, "initializer")  # a getter's tensor has none


# -- cases ---------------------------------------------------------------------------------------
def dense_noisy(T):
    """The defect as found: a noisy getter, a Dense called twice."""
    with T.Graph().as_default():
        calls = []

        def noisy(getter, name, *args, **kwargs):
            calls.append(name)
            v = getter(name, *args, **kwargs)
            return v + T.random_normal(T.shape(v))
        x = T.ones([2, 3])
        with T.variable_scope("n", custom_getter=noisy):
            layer = T.layers.Dense(3, kernel_initializer=T.zeros_initializer())
            y1, y2 = layer(x), layer(x)
        a, b = _session_run(T, [y1, y2])
        return dict(calls=calls, same=bool((a == b).all()), kernel=layer.kernel.name,
                    trainable=[v.name for v in layer.trainable_variables],
                    variables=[v.name for v in layer.variables],
                    globals=[v.name for v in T.global_variables()])


def dense_doubled(T):
    with T.Graph().as_default():
        calls = []
        with T.variable_scope("d", custom_getter=_doubling(calls)):
            layer = T.layers.Dense(4, kernel_initializer=T.constant_initializer(KERNEL),
                                   bias_initializer=T.constant_initializer(BIAS))
            y1, y2 = layer(T.constant(X)), layer(T.constant(2 * X))
        return dict(calls=calls, values=_session_run(T, [y1, y2]), kernel=layer.kernel.name,
                    bias=layer.bias.name, variables=[v.name for v in layer.variables])


def conv_doubled(T):
    with T.Graph().as_default():
        calls = []
        with T.variable_scope("c", custom_getter=_doubling(calls)):
            layer = T.layers.Conv2D(3, 2, kernel_initializer=T.constant_initializer(FILTERS),
                                    bias_initializer=T.ones_initializer())
            y1, y2 = layer(T.constant(IMAGE)), layer(T.constant(IMAGE * 2))
        return dict(calls=calls, values=_session_run(T, [y1, y2]),
                    kernel_is_variable=_is_variable(layer.kernel),
                    variables=[v.name for v in layer.variables])


def batch_norm(T, training):
    """Only the trainable weights doubled: the moving averages stay variables (assignable)."""
    with T.Graph().as_default():
        calls = []

        def getter(getter, name, *args, **kwargs):
            calls.append([name, kwargs.get("trainable")])
            v = getter(name, *args, **kwargs)
            return v * 2.0 if kwargs.get("trainable") else v
        x = T.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        with T.variable_scope("b", custom_getter=getter):
            layer = T.layers.BatchNormalization(beta_initializer=T.ones_initializer())
            y1, y2 = layer(x, training=training), layer(x + 1, training=training)
        updates = T.get_collection(T.GraphKeys.UPDATE_OPS)
        return dict(calls=calls, values=_session_run(T, [y1, y2]), updates=len(updates),
                    are_variables=[_is_variable(getattr(layer, n)) for n in
                                   ("gamma", "beta", "moving_mean", "moving_variance")],
                    variables=[v.name for v in layer.variables],
                    trainable=[v.name for v in layer.trainable_variables])


def dense_functional_reuse(T):
    """Each tf.layers.dense call is a new layer: the getter runs for each."""
    with T.Graph().as_default():
        calls = []
        x = T.constant(X)
        with T.variable_scope("f", custom_getter=_doubling(calls)):
            ys = [T.layers.dense(x, 4, name="d", kernel_initializer=T.ones_initializer(),
                                 bias_initializer=T.ones_initializer())]
            ys += [T.layers.dense(x, 4, name="d", reuse=True) for _ in range(2)]
        return dict(calls=calls, values=_session_run(T, ys),
                    globals=[v.name for v in T.global_variables()])


def _make_cell(T, kind):
    rnn_cell = T.nn.rnn_cell
    return {"lstm": lambda: rnn_cell.LSTMCell(4), "gru": lambda: rnn_cell.GRUCell(4),
            "basic_rnn": lambda: rnn_cell.BasicRNNCell(4),
            "basic_lstm": lambda: rnn_cell.BasicLSTMCell(4),
            "multi": lambda: rnn_cell.MultiRNNCell([rnn_cell.LSTMCell(4), rnn_cell.GRUCell(3)]),
            }[kind]()


def cell_case(T, kind, mode, getter=True):
    """The cell over SEQUENCE (``mode``: dynamic_rnn over a time known when built or only
    when run, or static_rnn) under a doubling getter, its weights loaded with fixed values;
    without ``getter``, the same graph with those values doubled (the reference)."""
    with T.Graph().as_default():
        calls = []
        with T.variable_scope("r", custom_getter=_doubling(calls) if getter else None):
            cell = _make_cell(T, kind)
            if mode == "static":
                x = T.placeholder(T.float32, [2, 5, 3])
                out, _ = T.nn.static_rnn(cell, T.unstack(x, axis=1), dtype=T.float32)
            else:
                x = T.placeholder(T.float32, [2, 5 if mode == "dynamic" else None, 3])
                out, _ = T.nn.dynamic_rnn(cell, x, dtype=T.float32)
        draw = np.random.default_rng(7)
        loads = [(v, draw.uniform(-0.5, 0.5, v.shape.as_list()).astype(np.float32))
                 for v in sorted(T.global_variables(), key=lambda v: v.op.name)]

        def load(sess):
            for v, value in loads:
                v.load(value if getter else 2 * value, sess)
        outputs = _session_run(T, out, {x: SEQUENCE}, load)
        return dict(calls=calls, outputs=outputs, variables=len(cell.variables),
                    trainable=len(cell.trainable_variables),
                    tensors=[not _is_variable(v) for v in cell.variables])


def ema_dense(T):
    """An ExponentialMovingAverage getter (evaluation with the averages): each functional
    dense call asks it once per weight."""
    with T.Graph().as_default():
        x = T.ones([2, 3])
        with T.variable_scope("m"):
            layer = T.layers.Dense(2, kernel_initializer=T.ones_initializer())
            y = layer(x)
        ema = T.train.ExponentialMovingAverage(0.5)
        apply_op = ema.apply(layer.trainable_variables)
        calls = []

        def ema_getter(getter, name, *args, **kwargs):
            calls.append(name)
            return ema.average(getter(name, *args, **kwargs))
        with T.variable_scope("m", reuse=True, custom_getter=ema_getter):
            y2 = T.layers.dense(x, 2, name="dense", reuse=True)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            sess.run([v.assign(v * 3) for v in layer.trainable_variables])
            sess.run(apply_op)
            values = sess.run([y, y2])
        return dict(calls=calls, values=values)


def ema_cell(T, initial=0.1, averaged=True):
    """A second LSTMCell over the first's averages (an EMA getter under reuse), both in a
    dynamic_rnn; with ``averaged`` False, one plain cell whose weights start at ``initial``."""
    with T.Graph().as_default():
        x = T.constant(np.ones((2, 5, 3), np.float32))
        with T.variable_scope("e", initializer=T.constant_initializer(initial)):
            cell = T.nn.rnn_cell.LSTMCell(4)
            out, _ = T.nn.dynamic_rnn(cell, x, dtype=T.float32)
        if not averaged:
            return dict(output=_session_run(T, out))
        ema = T.train.ExponentialMovingAverage(0.5)
        apply_op = ema.apply(cell.trainable_variables)
        calls = []

        def ema_getter(getter, name, *args, **kwargs):
            calls.append(name)
            return ema.average(getter(name, *args, **kwargs))
        with T.variable_scope("e", reuse=True, custom_getter=ema_getter):
            averaged_cell = T.nn.rnn_cell.LSTMCell(4)
            out2, _ = T.nn.dynamic_rnn(averaged_cell, x, dtype=T.float32)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            sess.run([v.assign(v * 3) for v in cell.trainable_variables])
            sess.run(apply_op)
            values = sess.run([out, out2])
        return dict(calls=calls, values=values, cell=[v.name for v in cell.variables],
                    averaged_cell=[v.name for v in averaged_cell.variables])


def bayes_by_backprop(T):
    """A getter making a mean and a scale per weight and adding a KL term to a collection:
    once per weight, however many calls and steps."""
    with T.Graph().as_default():
        calls = []

        def bayes(getter, name, shape=None, *args, **kwargs):
            calls.append(name)
            mu = getter(name + "/mu", shape, *args, **kwargs)
            rho = getter(name + "/rho", shape, *args, **kwargs)
            T.add_to_collection("kl", T.reduce_sum(mu * mu))
            return mu + T.nn.softplus(rho) * 0.0
        x = T.ones([2, 3])
        with T.variable_scope("bbb", custom_getter=bayes,
                              initializer=T.constant_initializer(0.5)):
            cell = T.nn.rnn_cell.BasicRNNCell(2)
            # (static_rnn: in TF's dynamic_rnn the getter's KL term is made in the loop,
            # which a loss outside cannot use)
            T.nn.static_rnn(cell, [T.ones([2, 3])] * 4, dtype=T.float32)
            layer = T.layers.Dense(2)
            y = layer(layer(x)[:, :1] + x)
        kl = T.add_n(T.get_collection("kl"))
        return dict(calls=calls, kl_terms=len(T.get_collection("kl")),
                    values=_session_run(T, [y, kl]),
                    layer=[_is_variable(v) for v in layer.variables],
                    cell=[_is_variable(v) for v in cell.variables],
                    globals=sorted(v.name for v in T.global_variables()))


def executions(T):
    """How often a getter's ops run in one session.run: once per weight for a layer called
    twice and for static_rnn (the values are shared); dynamic_rnn over a time known only when
    run builds them in its loop's body, so they run at each of its 4 steps."""
    counts = []
    for build in ("dense", "static_rnn", "dynamic_rnn_run_time"):
        with T.Graph().as_default():
            counter = T.get_variable("counter", [], initializer=T.zeros_initializer(),
                                     trainable=False)

            def counting(getter, name, *args, counter=counter, **kwargs):
                return getter(name, *args, **kwargs) + 0.0 * T.assign_add(counter, 1.0)
            with T.variable_scope("s", custom_getter=counting):
                if build == "dense":
                    layer = T.layers.Dense(2)
                    out = layer(T.ones([1, 3])) + layer(T.ones([1, 3]))
                    feed = None
                else:
                    cell = T.nn.rnn_cell.BasicRNNCell(2)
                    if build == "static_rnn":
                        out, _ = T.nn.static_rnn(cell, [T.ones([1, 1])] * 4, dtype=T.float32)
                        feed = None
                    else:
                        x = T.placeholder(T.float32, [1, None, 1])
                        out, _ = T.nn.dynamic_rnn(cell, x, dtype=T.float32)
                        feed = {x: np.ones((1, 4, 1), np.float32)}
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                sess.run(out, feed)
                counts.append(float(sess.run(counter)))
    return dict(counts=counts)


def without_getter(T):
    """No getter: the layers and cells track their variables, not an optimizer's slots nor
    an average's shadows under their scope."""
    with T.Graph().as_default():
        x = T.placeholder(T.float32, [2, 5, 3])
        dense = T.layers.Dense(2)
        cell = T.nn.rnn_cell.MultiRNNCell([T.nn.rnn_cell.LSTMCell(3),
                                           T.nn.rnn_cell.GRUCell(2)])
        out, _ = T.nn.dynamic_rnn(cell, x, dtype=T.float32)
        loss = T.reduce_sum(dense(out[:, -1]))
        T.train.AdamOptimizer(0.1).minimize(loss)
        T.train.ExponentialMovingAverage(0.9).apply(T.trainable_variables())
        return dict(kernel=dense.kernel.name, dense=[v.name for v in dense.variables],
                    cell=[v.name for v in cell.variables],
                    trainable=[v.name for v in cell.trainable_variables],
                    lstm=[v.name for v in cell._cells[0].variables],
                    non_trainable=[v.name for v in cell.non_trainable_variables])


CELL_CASES = [(kind, mode) for kind in ("lstm", "gru", "basic_rnn", "basic_lstm", "multi")
              for mode in ("dynamic", "dynamic_run_time", "static")]
CASES = {"dense_noisy": dense_noisy, "dense_doubled": dense_doubled,
         "conv_doubled": conv_doubled,
         "batch_norm_inference": lambda T: batch_norm(T, False),
         "batch_norm_training": lambda T: batch_norm(T, True),
         "dense_functional_reuse": dense_functional_reuse, "ema_dense": ema_dense,
         "ema_cell": ema_cell, "bayes_by_backprop": bayes_by_backprop,
         "executions": executions, "without_getter": without_getter,
         **{f"{kind}_{mode}": (lambda T, kind=kind, mode=mode: cell_case(T, kind, mode))
            for kind, mode in CELL_CASES}}


# -- minitf against hand-computed values ---------------------------------------------------------
def test_a_noisy_getter_runs_once_per_weight_and_its_tensors_are_shared():
    record = dense_noisy(tf)
    assert record["calls"] == ["n/dense/kernel", "n/dense/bias"]
    assert record["same"]  # both calls add the same noise
    assert record["kernel"] == "add:0"  # layer.kernel: what the getter returned
    assert record["trainable"] == []  # TF's rule: a getter's tensor is not trainable
    assert record["variables"] == ["add:0", "add_1:0"]
    assert record["globals"] == ["n/dense/kernel:0", "n/dense/bias:0"]


def test_dense_and_conv_compute_with_the_getters_values():
    record = dense_doubled(tf)
    assert record["calls"] == ["d/dense/kernel", "d/dense/bias"]
    for values, x in zip(record["values"], (X, 2 * X)):
        np.testing.assert_allclose(values, x @ (2 * KERNEL) + 2 * BIAS, rtol=1e-6)
    assert (record["kernel"], record["bias"]) == ("mul:0", "mul_1:0")

    record = conv_doubled(tf)
    assert record["calls"] == ["c/conv2d/kernel", "c/conv2d/bias"]
    assert not record["kernel_is_variable"] and record["variables"] == ["mul:0", "mul_1:0"]
    for values, image in zip(record["values"], (IMAGE, 2 * IMAGE)):
        want = np.zeros((1, 3, 3, 3), np.float32)
        for i in range(3):
            for j in range(3):
                want[0, i, j] = np.einsum("hwc,hwcf->f", image[0, i:i + 2, j:j + 2],
                                          2 * FILTERS) + 2.0
        np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("training", [False, True])
def test_batch_normalization_asks_each_weight_once(training):
    record = batch_norm(tf, training)
    prefix = "b/batch_normalization/"
    assert record["calls"] == [[prefix + "gamma", True], [prefix + "beta", True],
                               [prefix + "moving_mean", False],
                               [prefix + "moving_variance", False]]
    assert record["are_variables"] == [False, False, True, True]
    assert record["variables"] == ["mul:0", "mul_1:0", prefix + "moving_mean:0",
                                   prefix + "moving_variance:0"]
    assert record["trainable"] == []
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    for values, inputs in zip(record["values"], (x, x + 1)):
        if training:
            mean, var = inputs.mean(0), inputs.var(0)
        else:
            mean, var = 0.0, 1.0
        want = 2 * (inputs - mean) / np.sqrt(var + 1e-3) + 2  # gamma 1 and beta 1, doubled
        np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-5)
    assert record["updates"] == (4 if training else 0)


def test_functional_dense_with_reuse_asks_at_each_call():
    record = dense_functional_reuse(tf)
    assert record["calls"] == ["f/d/kernel", "f/d/bias"] * 3
    assert record["globals"] == ["f/d/kernel:0", "f/d/bias:0"]
    for values in record["values"]:
        np.testing.assert_allclose(values, X @ np.full((3, 4), 2.0) + 2.0, rtol=1e-6)


CELL_WEIGHTS = {"lstm": ["lstm_cell/kernel", "lstm_cell/bias"],
                "basic_lstm": ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"],
                "basic_rnn": ["basic_rnn_cell/kernel", "basic_rnn_cell/bias"],
                "gru": ["gru_cell/gates/kernel", "gru_cell/gates/bias",
                        "gru_cell/candidate/kernel", "gru_cell/candidate/bias"]}
CELL_WEIGHTS["multi"] = [f"multi_rnn_cell/cell_0/{n}" for n in CELL_WEIGHTS["lstm"]] + \
    [f"multi_rnn_cell/cell_1/{n}" for n in CELL_WEIGHTS["gru"]]


@pytest.mark.parametrize("kind, mode", CELL_CASES)
def test_a_cell_asks_each_weight_once_over_time(kind, mode):
    record = cell_case(tf, kind, mode)
    assert record["calls"] == [f"r/rnn/{n}" for n in CELL_WEIGHTS[kind]]
    reference = cell_case(tf, kind, mode, getter=False)  # the doubled weights loaded
    assert reference["calls"] == []
    outputs = np.stack(record["outputs"]) if mode == "static" else record["outputs"]
    want = np.stack(reference["outputs"]) if mode == "static" else reference["outputs"]
    np.testing.assert_allclose(outputs, want, rtol=1e-5, atol=1e-6)
    weights = len(CELL_WEIGHTS[kind])
    assert (record["variables"], record["trainable"]) == (weights, 0)
    assert record["tensors"] == [True] * weights
    assert (reference["variables"], reference["trainable"]) == (weights, weights)


def test_an_exponential_moving_average_getter():
    record = ema_dense(tf)
    assert record["calls"] == ["m/dense/kernel", "m/dense/bias"]
    # kernel ones, then 3: its average with decay 0.5 is 2; three inputs of one, no bias
    np.testing.assert_allclose(record["values"], [[[9, 9]] * 2, [[6, 6]] * 2])

    record = ema_cell(tf)
    assert record["calls"] == ["e/rnn/lstm_cell/kernel", "e/rnn/lstm_cell/bias"]
    assert record["cell"] == ["e/rnn/lstm_cell/kernel:0", "e/rnn/lstm_cell/bias:0"]
    assert record["averaged_cell"] == ["e/rnn/lstm_cell/kernel/ExponentialMovingAverage:0",
                                       "e/rnn/lstm_cell/bias/ExponentialMovingAverage:0"]
    # 0.1, then 0.3: the averages are 0.2 (the bias stays 0), the weights' values 0.3
    np.testing.assert_allclose(record["values"][1], ema_cell(tf, 0.2, False)["output"],
                               rtol=1e-5)
    np.testing.assert_allclose(record["values"][0], ema_cell(tf, 0.3, False)["output"],
                               rtol=1e-5)


def test_a_bayes_by_backprop_getter_adds_its_terms_once():
    record = bayes_by_backprop(tf)
    assert record["calls"] == ["bbb/rnn/basic_rnn_cell/kernel", "bbb/rnn/basic_rnn_cell/bias",
                               "bbb/dense/kernel", "bbb/dense/bias"]
    assert record["kl_terms"] == 4
    # the kernels' means are 0.5 (the scope's initializer), the biases' 0 (their own): the KL
    # terms are 0.25 per kernel entry, (3 + 2) * 2 + 3 * 2 of them
    np.testing.assert_allclose(record["values"][1], 0.25 * 16, rtol=1e-6)
    # y = (x W)[:, :1] + x = 1.5 + 1 everywhere, then times W: 3 * 2.5 * 0.5
    np.testing.assert_allclose(record["values"][0], np.full((2, 2), 3.75), rtol=1e-6)
    assert record["layer"] == record["cell"] == [False, False]  # the getter's tensors
    assert record["globals"] == sorted(f"bbb/{w}/{p}:0" for w in (
        "rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias", "dense/kernel", "dense/bias")
        for p in ("mu", "rho"))


def test_how_often_a_getters_ops_run():
    assert executions(tf)["counts"] == [2.0, 2.0, 8.0]


def test_without_a_getter_layers_and_cells_track_their_variables():
    record = without_getter(tf)
    assert record["kernel"] == "dense/kernel:0"
    assert record["dense"] == ["dense/kernel:0", "dense/bias:0"]
    lstm = ["rnn/multi_rnn_cell/cell_0/lstm_cell/kernel:0",
            "rnn/multi_rnn_cell/cell_0/lstm_cell/bias:0"]
    gru = [f"rnn/multi_rnn_cell/cell_1/gru_cell/{w}:0"
           for w in ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")]
    assert record["cell"] == record["trainable"] == lstm + gru
    assert record["lstm"] == lstm and record["non_trainable"] == []


# -- against tf.compat.v1 ----------------------------------------------------------------------
def test_records_match_tensorflow():
    """Runs this file as a script against tf.compat.v1 where tf_keras is installed."""
    from tests.core.legacy_tf import run_against_tf  # (not at the top: this file is a script)

    run_against_tf(os.path.abspath(__file__), cases=len(CASES))


def _same(a, b) -> bool:
    """Equal records: names and flags exactly, numbers (arrays) within float32 rounding."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k])
                                                                    for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.floating, float)):
        return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-5)
    return a == b


def _compare():
    import tensorflow as tensorflow

    tf1 = tensorflow.compat.v1
    for name, case in CASES.items():
        ours, theirs = case(tf), case(tf1)
        print(name, "OK" if _same(ours, theirs) else f"DIFF ours {ours} theirs {theirs}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    _compare()
