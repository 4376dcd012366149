"""tf.contrib.rnn's ConvLSTMCell family, SRUCell, CudnnCompatibleLSTMCell/GRUCell, LayerRNNCell,
transpose_batch_time and best_effort_input_batch_size: TF 1.15's variable names, shapes and
errors, and each cell's equations re-derived in numpy (convolutions included), run over a few
steps with every variable set by name to a deterministic value. TF-free."""

import numpy as np
import pytest

import minitf as tf
from tests.core.contrib.test_rnn import X, run_with, sigmoid
from tests.core.contrib.test_rnn_cells import close, run_cell, unroll

R = tf.contrib.rnn


def np_conv_same(x, kernel):
    """SAME, stride-1 cross-correlation of x [batch, *spatial, c] with kernel [*k, c, o]."""
    ks = kernel.shape[:-2]
    pads = [(0, 0)] + [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in ks] + [(0, 0)]
    xp = np.pad(x, pads)
    spatial = x.shape[1:-1]
    out = np.zeros(x.shape[:-1] + (kernel.shape[-1],))
    for offs in np.ndindex(*ks):
        window = xp[(slice(None),) + tuple(slice(o, o + n) for o, n in zip(offs, spatial))]
        out += window @ kernel[offs]
    return out


def conv_lstm_reference(xs, v, p, out_ch, forget_bias=1.0, use_bias=True, skip=False):
    """ConvLSTM over the list of inputs xs (TF1's gates i, j, f, o on the last axis)."""
    spatial = xs[0].shape[1:-1]
    c = np.zeros((xs[0].shape[0],) + spatial + (out_ch,))
    h = c.copy()
    outs = []
    for x in xs:
        z = np_conv_same(np.concatenate([x, h], -1), v[p + "kernel"])
        if use_bias:
            z = z + v[p + "biases"]
        i, j, f, o = np.split(z, 4, axis=-1)
        c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
        h = np.tanh(c) * sigmoid(o)
        if skip:
            h = np.concatenate([h, x], -1)
        outs.append(h)
    return outs, (c, h)


@pytest.mark.parametrize("cls,spatial,kernel", [
    ("Conv1DLSTMCell", [5], [3]), ("Conv2DLSTMCell", [4, 5], [3, 2]),
    ("Conv3DLSTMCell", [3, 4, 2], [2, 3, 3])])
def test_conv_lstm_cells_over_steps(cls, spatial, kernel):
    rng = np.random.default_rng(7)
    xs = [rng.standard_normal([2] + spatial + [2]).astype(np.float32) for _ in range(3)]
    cell = getattr(R, cls)(input_shape=spatial + [2], output_channels=3, kernel_shape=kernel,
                           forget_bias=0.5)
    assert isinstance(cell, R.ConvLSTMCell)
    assert cell.state_size == R.LSTMStateTuple(tf.TensorShape(spatial + [3]),
                                               tf.TensorShape(spatial + [3]))
    assert cell.output_size == tf.TensorShape(spatial + [3])
    outs, state = tf.nn.static_rnn(cell, [tf.constant(x) for x in xs], dtype=tf.float32)
    assert isinstance(state, R.LSTMStateTuple)
    assert outs[0].shape.as_list() == [2] + spatial + [3]
    assert state.c.shape.as_list() == [2] + spatial + [3]
    scope = cell._base_name
    assert scope == {"Conv1DLSTMCell": "conv_1d_lstm_cell", "Conv2DLSTMCell": "conv_2d_lstm_cell",
                     "Conv3DLSTMCell": "conv_3d_lstm_cell"}[cls]
    names = [v.op.name for v in tf.global_variables()]
    assert names == [f"rnn/{scope}/kernel", f"rnn/{scope}/biases"]
    assert [v.shape.as_list() for v in tf.global_variables()] == [kernel + [5, 12], [12]]
    (got, (c, h)), values = run_with([outs, state])
    want, (wc, wh) = conv_lstm_reference(xs, values, f"rnn/{scope}/", 3, forget_bias=0.5)
    for a, b in zip(got, want):
        close(a, b)
    close(c, wc)
    close(h, wh)


def test_conv_lstm_cell_generic_class_no_bias_and_names():
    cell = R.ConvLSTMCell(2, [4, 4, 1], 2, [3, 3], use_bias=False)
    other = R.ConvLSTMCell(2, [4, 4, 1], 2, [3, 3], name="my_conv")
    x = tf.constant(np.linspace(-1, 1, 32, dtype=np.float32).reshape(2, 4, 4, 1))
    out, state = cell(x, cell.zero_state(2, tf.float32))
    cell(x, state)  # reuses
    other(x, other.zero_state(2, tf.float32))
    R.ConvLSTMCell(2, [4, 4, 1], 2, [3, 3])(x, cell.zero_state(2, tf.float32))
    assert [v.op.name for v in tf.global_variables()] == [
        "conv_lstm_cell/kernel", "my_conv/kernel", "my_conv/biases", "conv_lstm_cell_1/kernel",
        "conv_lstm_cell_1/biases"]
    (o, st), values = run_with([out, state])
    want, (c, h) = conv_lstm_reference([values_x(x)], values, "conv_lstm_cell/", 2,
                                       use_bias=False)
    close(o, want[0])
    close(st.c, c)


def values_x(x):
    with tf.Session() as sess:
        return sess.run(x)


def test_conv_lstm_skip_connection_concatenates_the_input():
    cell = R.Conv2DLSTMCell(input_shape=[3, 3, 2], output_channels=4, kernel_shape=[3, 3],
                            skip_connection=True)
    assert cell.output_size == tf.TensorShape([3, 3, 6])
    assert cell.state_size.h == tf.TensorShape([3, 3, 4])
    x = np.arange(36, dtype=np.float32).reshape(2, 3, 3, 2) / 36
    out, state = cell(tf.constant(x), cell.zero_state(2, tf.float32))
    assert out.shape.as_list() == [2, 3, 3, 6]
    # As in TF 1.15, the state's h is the concatenated output too, so a second step's
    # convolution would need a deeper kernel than the first made.
    assert state.h is out
    with pytest.raises(ValueError, match="kernel"):
        cell(tf.constant(x), state)
    o, values = run_with(out)
    want, _ = conv_lstm_reference([x], values, "conv_2d_lstm_cell/", 4, skip=True)
    close(o, want[0])
    np.testing.assert_array_equal(o[..., 4:], x)


def test_conv_lstm_zero_state_with_a_tensor_batch_size():
    cell = R.Conv1DLSTMCell(input_shape=[5, 2], output_channels=3, kernel_shape=[3])
    batch = tf.placeholder(tf.int32, [])
    state = cell.zero_state(batch, tf.float32)
    assert state.c.shape.as_list() == [None, 5, 3]
    with tf.Session() as sess:
        c, h = sess.run(state, {batch: 4})
    assert c.shape == h.shape == (4, 5, 3) and not c.any()


def test_conv_lstm_errors():
    with pytest.raises(ValueError, match=r"Invalid input_shape \[5, 5, 2\] for conv_ndims=1"):
        R.ConvLSTMCell(1, [5, 5, 2], 3, [3])
    with pytest.raises(ValueError, match="Invalid input_shape"):
        R.Conv3DLSTMCell(input_shape=[5, 2], output_channels=3, kernel_shape=[3])
    cell = R.Conv2DLSTMCell(input_shape=[4, 4, 1], output_channels=2, kernel_shape=[3, 3])
    with pytest.raises(ValueError, match="Conv Linear expects 3D, 4D or 5D arguments"):
        cell(tf.zeros([2, 16]), R.LSTMStateTuple(tf.zeros([2, 2]), tf.zeros([2, 2])))
    with pytest.raises(ValueError, match="Conv Linear expects all args to be of same Dimension"):
        cell(tf.zeros([2, 4, 4, 1]), R.LSTMStateTuple(tf.zeros([2, 4, 2]), tf.zeros([2, 4, 2])))


# -- SRUCell, LayerRNNCell ---------------------------------------------------------------------
def test_sru_cell_over_steps():
    cell = R.SRUCell(3, activation=tf.nn.relu)
    assert isinstance(cell, R.LayerRNNCell) and cell.state_size == cell.output_size == 3
    out, st, v, names = run_cell(cell, "s")
    assert names == ["sru_cell/kernel", "sru_cell/bias"]
    assert [w.shape.as_list() for w in cell.trainable_weights] == [[3, 12], [6]]
    assert [w.op.name for w in cell.variables] == ["s/sru_cell/kernel", "s/sru_cell/bias"]

    def step(x, c):
        x_bar, f, r, x_tx = np.split(x @ v["sru_cell/kernel"], 4, axis=1)
        f, r = np.split(sigmoid(np.concatenate([f, r], 1) + v["sru_cell/bias"]), 2, axis=1)
        c = f * c + (1 - f) * x_bar
        return r * np.maximum(c, 0) + (1 - r) * x_tx, c

    want, c = unroll(step, np.zeros((2, 3)))
    close(out, want)
    close(st, c)


def test_sru_cell_errors_and_initial_bias():
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        R.SRUCell(2)(tf.zeros([2, 3, 4]), tf.zeros([2, 2]))
    with pytest.raises(ValueError, match="Expected inputs.shape"):
        R.SRUCell(2)(tf.placeholder(tf.float32, [2, None]), tf.zeros([2, 2]))
    with pytest.raises(TypeError, match="not understood: foo"):
        R.SRUCell(2, foo=1)
    cell = R.SRUCell(2, name="mine")
    cell(tf.ones([1, 3]), tf.zeros([1, 2]))
    assert [v.op.name for v in tf.global_variables()] == ["mine/kernel", "mine/bias"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(cell.variables[1]), np.zeros(4))


class CountingCell(R.LayerRNNCell):
    """A user's LayerRNNCell: h' = tanh(x W + h U)."""

    builds = 0

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self._n = n

    state_size = property(lambda self: self._n)
    output_size = property(lambda self: self._n)

    def build(self, inputs_shape):
        type(self).builds += 1
        self.seen_shape = inputs_shape
        self.w = self.add_variable("w", [inputs_shape[1].value, self._n])
        self.u = self.add_weight("u", [self._n, self._n], trainable=False)
        self.built = True

    def call(self, inputs, state):
        out = tf.tanh(tf.matmul(inputs, self.w) + tf.matmul(state, self.u))
        return out, out


def test_layer_rnn_cell_builds_once_in_its_scope():
    CountingCell.builds = 0
    cell = CountingCell(2)
    assert not cell.built
    out, st, v, names = run_cell(cell, "outer")
    assert CountingCell.builds == 1 and cell.built
    assert cell.seen_shape.as_list() == [2, 3] and cell.dtype == tf.float32
    assert names == ["counting_cell/w", "counting_cell/u"]
    assert [w.op.name for w in cell.trainable_weights] == ["outer/counting_cell/w"]
    assert [w.op.name for w in cell.non_trainable_weights] == ["outer/counting_cell/u"]
    assert [w.op.name for w in tf.trainable_variables()] == ["outer/counting_cell/w"]
    # a later call elsewhere uses the same variables, with no second build
    cell(tf.zeros([2, 3]), tf.zeros([2, 2]))
    assert CountingCell.builds == 1 and len(tf.global_variables()) == 2

    def step(x, h):
        h = np.tanh(x @ v["counting_cell/w"] + h @ v["counting_cell/u"])
        return h, h

    want, h = unroll(step, np.zeros((2, 2)))
    close(out, want)
    close(st, h)


def test_layer_rnn_cell_base_build_and_name():
    class Plain(R.LayerRNNCell):
        state_size = output_size = 3

        def call(self, inputs, state):
            return inputs, state

    cell = Plain(name="plain_one")
    out, _ = cell(tf.ones([1, 3]), tf.zeros([1, 3]))
    assert cell.built and cell.name == "plain_one" and cell.variables == []
    with pytest.raises(NotImplementedError):
        R.LayerRNNCell()(tf.ones([1, 3]), tf.zeros([1, 3]))


def test_minimal_rnn_cell():
    cell = R.MinimalRNNCell(3, activation="relu")
    assert isinstance(cell, R.LayerRNNCell) and cell.state_size == cell.output_size == 3
    out, st, v, names = run_cell(cell, "m")
    assert names == ["minimal_rnn_cell/kernel", "minimal_rnn_cell/bias"]
    k, b = v["minimal_rnn_cell/kernel"], v["minimal_rnn_cell/bias"]
    assert k.shape == (3 + 6, 3)

    def step(x, h):
        z = np.maximum(x @ k[:3], 0)
        u = sigmoid(np.concatenate([z, h], 1) @ k[3:] + b)
        h = u * h + (1 - u) * z
        return h, h

    want, h = unroll(step, np.zeros((2, 3)))
    close(out, want)
    close(st, h)


def test_cfn_cell():
    cell = R.CFNCell(2)
    out, st, v, names = run_cell(cell, "c")
    p = "cfn_cell/"
    assert names == [p + "kernel", p + "recurrent_kernel", p + "bias"]
    assert [v[n].shape for n in names] == [(3, 6), (2, 4), (4,)]

    def step(x, h):
        vk, wk = v[p + "kernel"][:, :4], v[p + "kernel"][:, 4:]
        theta, eta = np.split(sigmoid(h @ v[p + "recurrent_kernel"] + x @ vk + v[p + "bias"]),
                              2, axis=1)
        h = theta * np.tanh(h) + (1 - eta) * np.tanh(x @ wk)
        return h, h

    want, h = unroll(step, np.zeros((2, 2)))
    close(out, want)
    close(st, h)


def test_minimal_and_cfn_initializers_and_errors():
    m = R.MinimalRNNCell(2, kernel_initializer="zeros", name="mini")
    c = R.CFNCell(2, bias_initializer="zeros", kernel_initializer=tf.constant_initializer(0.5))
    m(tf.ones([1, 3]), tf.zeros([1, 2]))
    c(tf.ones([1, 3]), tf.zeros([1, 2]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({v.op.name: v for v in tf.global_variables()})
    np.testing.assert_array_equal(got["mini/kernel"], np.zeros((7, 2)))
    np.testing.assert_array_equal(got["mini/bias"], np.ones(2))  # the default "ones"
    np.testing.assert_array_equal(got["cfn_cell/recurrent_kernel"], np.full((2, 4), 0.5))
    np.testing.assert_array_equal(got["cfn_cell/bias"], np.zeros(4))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        R.CFNCell(2)(tf.zeros([1, 2, 3]), tf.zeros([1, 2]))
    with pytest.raises(ValueError, match="Expected inputs.shape"):
        R.MinimalRNNCell(2)(tf.placeholder(tf.float32, [1, None]), tf.zeros([1, 2]))
    with pytest.raises(ValueError, match="Unknown activation"):
        R.MinimalRNNCell(2, activation="nope")


def test_layer_rnn_cell_built_before_its_first_call():
    cell = R.SRUCell(2, dtype=tf.float64)
    with tf.variable_scope("elsewhere"):
        cell.build(tf.TensorShape([None, 3]))
    assert cell.built
    assert [v.op.name for v in tf.global_variables()] == ["elsewhere/sru_cell/kernel",
                                                          "elsewhere/sru_cell/bias"]
    assert cell.variables[0].dtype.base_dtype == tf.float64
    out, _ = cell(tf.ones([1, 3], tf.float64), tf.zeros([1, 2], tf.float64))
    assert len(tf.global_variables()) == 2 and out.dtype == tf.float64


# -- the cuDNN-compatible cells --------------------------------------------------------------------
def test_cudnn_compatible_gru_cell():
    cell = R.CudnnCompatibleGRUCell(3)
    assert isinstance(cell, tf.nn.rnn_cell.GRUCell)
    out, st, v, names = run_cell(cell, "g")
    p = "cudnn_compatible_gru_cell/"
    assert names == [p + n for n in (
        "gates/kernel", "gates/bias", "candidate/input_projection/kernel",
        "candidate/hidden_projection/kernel", "candidate/input_projection/bias",
        "candidate/hidden_projection/bias")]
    assert [v[n].shape for n in names] == [(6, 6), (6,), (3, 3), (3, 3), (3,), (3,)]

    def step(x, h):
        r, u = np.split(sigmoid(np.concatenate([x, h], 1) @ v[p + "gates/kernel"] +
                                v[p + "gates/bias"]), 2, axis=1)
        cand = np.tanh(x @ v[p + "candidate/input_projection/kernel"] +
                       v[p + "candidate/input_projection/bias"] +
                       r * (h @ v[p + "candidate/hidden_projection/kernel"] +
                            v[p + "candidate/hidden_projection/bias"]))
        h = (1 - u) * cand + u * h
        return h, h

    want, h = unroll(step, np.zeros((2, 3)))
    close(out, want)
    close(st, h)


def test_cudnn_compatible_gru_initial_values_and_errors():
    cell = R.CudnnCompatibleGRUCell(2, kernel_initializer=tf.constant_initializer(0.5))
    cell(tf.ones([1, 3]), tf.zeros([1, 2]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({v.op.name: v for v in tf.global_variables()})
    p = "cudnn_compatible_gru_cell/"
    np.testing.assert_array_equal(got[p + "gates/bias"], np.ones(4))
    np.testing.assert_array_equal(got[p + "candidate/hidden_projection/kernel"],
                                  np.full((2, 2), 0.5))
    np.testing.assert_array_equal(got[p + "candidate/input_projection/bias"], np.zeros(2))
    with pytest.raises(ValueError, match="Expected inputs.shape"):
        R.CudnnCompatibleGRUCell(2)(tf.placeholder(tf.float32, [1, None]), tf.zeros([1, 2]))


def test_cudnn_compatible_lstm_cell():
    cell = R.CudnnCompatibleLSTMCell(3)
    assert isinstance(cell, R.LSTMBlockCell)
    out, st, v, names = run_cell(cell, "l")
    assert names == ["cudnn_compatible_lstm_cell/kernel", "cudnn_compatible_lstm_cell/bias"]

    def step(x, state):
        c, h = state
        z = np.concatenate([x, h], 1) @ v[names[0]] + v[names[1]]
        i, j, f, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(j)  # forget bias 0
        h = np.tanh(c) * sigmoid(o)
        return h, (c, h)

    want, (c, h) = unroll(step, (np.zeros((2, 3)), np.zeros((2, 3))))
    close(out, want)
    close(st.c, c)
    close(st.h, h)


# -- transpose_batch_time, best_effort_input_batch_size -----------------------------------------
def test_transpose_batch_time():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = R.transpose_batch_time(tf.constant(x))
    assert t.shape.as_list() == [3, 2, 4]
    p = tf.placeholder(tf.float32, [None, 5])
    assert R.transpose_batch_time(p).shape.as_list() == [5, None]
    v = tf.constant([1.0, 2.0])
    assert R.transpose_batch_time(v) is v
    u = tf.placeholder(tf.float32)
    tu = R.transpose_batch_time(u)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(t), x.transpose(1, 0, 2))
        np.testing.assert_array_equal(sess.run(tu, {u: x}), x.transpose(1, 0, 2))


def test_best_effort_input_batch_size():
    assert R.best_effort_input_batch_size([tf.zeros([5, 3, 2])]) == 3
    a = tf.placeholder(tf.float32, [5, None, 2])
    assert R.best_effort_input_batch_size([a, tf.placeholder(tf.float32, [5, 7])]) == 7
    dynamic = R.best_effort_input_batch_size([a, tf.placeholder(tf.float32)])
    with tf.Session() as sess:
        assert sess.run(dynamic, {a: np.zeros((5, 6, 2))}) == 6
    with pytest.raises(ValueError, match="to have rank at least 2"):
        R.best_effort_input_batch_size([tf.zeros([3])])


def test_contrib_rnn_exports_the_new_names():
    for name in ("ConvLSTMCell", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
                 "LayerNormLSTMCell", "SRUCell", "GLSTMCell", "CudnnCompatibleLSTMCell",
                 "CudnnCompatibleGRUCell", "LayerRNNCell", "PhasedLSTMCell", "MinimalRNNCell",
                 "CFNCell",
                 "transpose_batch_time", "best_effort_input_batch_size"):
        assert name in R.__all__ and hasattr(R, name), name


def test_x_fixture_shape():
    assert X.shape == (2, 4, 3)


@pytest.mark.parametrize("make,shape", [
    (lambda: R.Conv2DLSTMCell(input_shape=[3, 3, 2], output_channels=2, kernel_shape=[2, 2]),
     [2, 2, 3, 3, 2]),
    (lambda: R.SRUCell(3), [2, 2, 3]),
    (lambda: R.MinimalRNNCell(3), [2, 2, 3]),
    (lambda: R.CFNCell(3), [2, 2, 3]),
    (lambda: R.CudnnCompatibleGRUCell(3), [2, 2, 3]),
    (lambda: R.LayerNormLSTMCell(4, layer_norm=True, use_peepholes=True, num_proj=2),
     [2, 2, 3]),
    (lambda: R.GLSTMCell(4, number_of_groups=2, num_proj=2), [2, 2, 4])])
def test_cells_differentiate_numerically(make, shape):
    """The gradient of two steps' outputs wrt the inputs against finite differences."""
    cell = make()
    x = tf.constant(np.random.default_rng(2).standard_normal(shape))
    outs, state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float64)
    loss = tf.reduce_sum(tf.sin(tf.stack(outs))) + tf.reduce_sum(tf.nest.flatten(state)[0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        err = tf.test.compute_gradient_error(x, shape, loss, [], delta=1e-6)
    assert err < 1e-6
