"""Builds the same graphs in minitf and tf.compat.v1 and compares them: the depthwise, separable
and atrous convolutions, tf.nn.convolution and tf.nn.pool, LRN, SpaceToBatchND /
BatchToSpaceND (and TF1's square-block forms), and the tf.layers built on them
(conv2d_transpose, conv1d, separable_conv2d/1d, 1-D pooling; the same weights assigned through
constant initializers). Per case: output values, gradients of a loss with respect to every
input (second derivatives for the backprop ops), the names and types of the forward ops that
matter, the op types of the gradient graph, and the layers' variable names and shapes; then
static shapes read from partly known shape tensors, and the layers' activity regularization
losses (names in REGULARIZATION_LOSSES and values).
TensorFlow's CPU backprop kernels take equal row and column strides only, so the cases do.
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see
test_conv_family.py)."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf.ops import depthwise_conv_ops as mdw  # noqa: E402

tf1.disable_v2_behavior()
R = np.random.default_rng(0)

# Forward ops whose names and types must agree (constants, shapes and initializers may not).
NAMED = {"DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
         "DepthwiseConv2dNativeBackpropFilter", "Conv2D", "Conv2DBackpropInput",
         "Conv2DBackpropFilter", "SpaceToBatchND", "BatchToSpaceND", "LRN", "LRNGrad", "MaxPool",
         "AvgPool", "BiasAdd", "ExpandDims", "Squeeze", "Pad", "Relu", "Tanh"}
# Op types of the gradient graphs that must agree.
GRAD_TYPES = NAMED | {"MaxPoolGrad", "AvgPoolGrad", "BiasAddGrad"}


def a(*shape):
    return R.standard_normal(shape).astype(np.float32)


def s2b(T):
    return tf1.space_to_batch_nd if T is tf1 else mdw.space_to_batch_nd


def b2s(T):
    return tf1.batch_to_space_nd if T is tf1 else mdw.batch_to_space_nd


S1 = [1, 1, 1, 1]
X = a(2, 7, 6, 3)
F = a(3, 3, 3, 2)
DY = a(2, 7, 6, 6)

# (name, fn(T, *inputs) -> output, inputs[, options]): gradients are taken with respect to
# every input.
FUNCTIONS = [
    ("dw_native_same", lambda T, x, f: T.nn.depthwise_conv2d_native(x, f, S1, "SAME"),
     [X, F]),
    ("dw_native_valid_s2", lambda T, x, f: T.nn.depthwise_conv2d_native(
        x, f, [1, 2, 2, 1], "VALID", name="dw"), [X[:, :, :, :2], a(2, 3, 2, 3)]),
    ("dw_native_explicit", lambda T, x, f: T.nn.depthwise_conv2d_native(
        x, f, [1, 2, 2, 1], [[0, 0], [1, 2], [0, 1], [0, 0]]), [X, F]),
    ("dw_native_nchw", lambda T, x, f: T.nn.depthwise_conv2d_native(
        x, f, [1, 1, 2, 2], "SAME", data_format="NCHW"), [X.transpose(0, 3, 1, 2), F]),
    # TensorFlow's CPU backprop kernels ignore dilations (its gradients of a dilated depthwise
    # convolution are wrong): the values are compared here, the gradients against its Conv2D's
    # on one channel (where the two convolutions are the same) below.
    ("dw_native_dilated", lambda T, x, f: T.nn.depthwise_conv2d_native(
        x, f, S1, "SAME", dilations=[1, 2, 2, 1]), [X, F], {"grads": False}),
    ("dw_native_dilated_grads_one_channel", lambda T, x, f: (
        T.nn.conv2d if T is tf1 else T.nn.depthwise_conv2d_native)(
        x, f, S1, "SAME", dilations=[1, 2, 3, 1]), [X[..., :1], F[:, :, :1, :1]],
     {"names": False}),
    ("dw_backprop_input", lambda T, f, dy: T.nn.depthwise_conv2d_native_backprop_input(
        [2, 7, 6, 3], f, dy, S1, "SAME"), [F, DY]),
    ("dw_backprop_filter", lambda T, x, dy: T.nn.depthwise_conv2d_native_backprop_filter(
        x, [3, 3, 3, 2], dy, S1, "SAME"), [X, DY]),
    ("depthwise_rate2_same", lambda T, x, f: T.nn.depthwise_conv2d(x, f, S1, "SAME",
                                                                   rate=[2, 2]),
     [X, F]),
    ("depthwise_rate23_valid", lambda T, x, f: T.nn.depthwise_conv2d(
        x, f, S1, "VALID", rate=[2, 3], name="dil"), [a(1, 9, 10, 3), F]),
    ("depthwise_s2", lambda T, x, f: T.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME"),
     [X, F]),
    ("depthwise_nchw_rate", lambda T, x, f: T.nn.depthwise_conv2d(
        x, f, S1, "SAME", rate=[2, 2], data_format="NCHW"), [X.transpose(0, 3, 1, 2), F]),
    ("separable_same", lambda T, x, d, p: T.nn.separable_conv2d(x, d, p, S1, "SAME"),
     [X, F, a(1, 1, 6, 4)]),
    ("separable_rate2_valid", lambda T, x, d, p: T.nn.separable_conv2d(
        x, d, p, S1, "VALID", rate=[2, 2], name="sep"), [a(2, 8, 8, 3), F, a(1, 1, 6, 2)]),
    ("atrous_rate2_same", lambda T, x, f: T.nn.atrous_conv2d(x, f, 2, "SAME"),
     [X, a(3, 3, 3, 4)]),
    ("atrous_rate3_valid", lambda T, x, f: T.nn.atrous_conv2d(x, f, 3, "VALID"),
     [a(1, 9, 9, 2), a(2, 2, 2, 3)]),
    ("atrous_rate1", lambda T, x, f: T.nn.atrous_conv2d(x, f, 1, "SAME"), [X, a(3, 3, 3, 4)]),
    ("lrn_default", lambda T, x: T.nn.lrn(x), [a(2, 3, 3, 12)]),
    ("lrn_attrs", lambda T, x: T.nn.local_response_normalization(
        x, depth_radius=2, bias=2.0, alpha=0.3, beta=0.75), [a(2, 3, 3, 7)]),
    ("space_to_batch", lambda T, x: s2b(T)(x, [2, 2], [[1, 0], [0, 1]]), [a(2, 5, 5, 3)]),
    ("batch_to_space", lambda T, x: b2s(T)(x, [2, 3], [[1, 0], [0, 2]]), [a(12, 3, 2, 2)]),
    ("with_space_to_batch_pool", lambda T, x: T.nn.with_space_to_batch(
        x, [2, 2], "VALID",
        lambda inp, _, padding: T.nn.max_pool(inp, [1, 2, 2, 1], S1, padding)),
     [a(1, 8, 8, 2)]),
    ("conv1d", lambda T, x, f: T.nn.conv1d(x, f, 2, "SAME"), [a(2, 9, 3), a(3, 3, 4)]),
    # The generic dispatchers and TF1's square-block space_to_batch / batch_to_space.
    ("convolution_same", lambda T, x, f: T.nn.convolution(x, f, "SAME"), [X, a(3, 3, 3, 4)]),
    ("convolution_strided", lambda T, x, f: T.nn.convolution(x, f, "VALID", strides=[2, 1]),
     [X, a(2, 3, 3, 4)]),
    ("convolution_dilated", lambda T, x, f: T.nn.convolution(x, f, "SAME",
                                                             dilation_rate=[2, 3]),
     [X, a(3, 2, 3, 4)]),
    ("convolution_dilated_nchw", lambda T, x, f: T.nn.convolution(
        x, f, "VALID", dilation_rate=[2, 1], data_format="NCHW", name="conv"),
     [X.transpose(0, 3, 1, 2), a(2, 2, 3, 2)]),
    ("convolution_1d", lambda T, x, f: T.nn.convolution(x, f, "SAME", name="c1"),
     [a(2, 7, 3), a(3, 3, 4)]),
    ("convolution_1d_dilated", lambda T, x, f: T.nn.convolution(x, f, "VALID",
                                                                dilations=[2]),
     [a(2, 9, 3), a(3, 3, 4)]),
    ("pool_max_same", lambda T, x: T.nn.pool(x, [2, 3], "MAX", "SAME", strides=[2, 2]), [X]),
    ("pool_avg_dilated", lambda T, x: T.nn.pool(x, [2, 2], "AVG", "VALID",
                                                dilation_rate=[2, 2]), [X]),
    ("pool_max_dilated_nchw", lambda T, x: T.nn.pool(
        x, [2, 2], "MAX", "VALID", dilation_rate=[1, 2], data_format="NCHW"),
     [X.transpose(0, 3, 1, 2)]),
    ("pool_1d", lambda T, x: T.nn.pool(x, [2], "AVG", "VALID", strides=[2], name="p"),
     [a(2, 8, 3)]),
    ("space_to_batch_square", lambda T, x: T.batch_to_space(
        T.space_to_batch(x, [[1, 0], [0, 1]], 2) * 2.0, [[1, 0], [0, 1]], 2), [a(2, 5, 5, 3)]),
]


def init(T, value):
    return T.constant_initializer(value)


K = {"t": a(3, 3, 2, 3), "t2": a(3, 2, 2, 3), "c1": a(3, 3, 4), "dk": a(3, 3, 3, 2),
     "pk": a(1, 1, 6, 4), "dk1": a(3, 2, 1), "pk1": a(1, 2, 3)}

# (name, fn(T, x) -> output, input, compare op names): the layers' variables are compared too.
LAYERS = [
    ("layer_conv2d_transpose", lambda T, x: T.layers.conv2d_transpose(
        x, 2, 3, 2, "same", kernel_initializer=init(T, K["t"]),
        bias_initializer=init(T, 0.1)), a(2, 4, 5, 3), True),
    ("layer_Conv2DTranspose_unknown_height", lambda T, x: T.layers.Conv2DTranspose(
        2, (3, 2), (2, 1), "valid", activation=T.nn.relu, kernel_initializer=init(T, K["t2"]),
        name="up")(T.placeholder_with_default(x, [None, None, 5, 3])), a(2, 4, 5, 3), True),
    ("layer_conv1d_same_relu", lambda T, x: T.layers.conv1d(
        x, 4, 3, padding="same", activation=T.nn.relu, kernel_initializer=init(T, K["c1"])),
     a(2, 9, 3), True),
    ("layer_conv1d_causal_dilated", lambda T, x: T.layers.conv1d(
        x, 4, 3, padding="causal", dilation_rate=2, kernel_initializer=init(T, K["c1"]),
        bias_initializer=init(T, -0.1)), a(2, 9, 3), True),
    ("layer_conv1d_strided_valid", lambda T, x: T.layers.Conv1D(
        4, 3, strides=2, kernel_initializer=init(T, K["c1"]), name="c1")(x), a(2, 9, 3), True),
    ("layer_separable_conv2d", lambda T, x: T.layers.separable_conv2d(
        x, 4, 3, padding="same", depth_multiplier=2, activation=T.tanh,
        depthwise_initializer=init(T, K["dk"]), pointwise_initializer=init(T, K["pk"])),
     a(2, 6, 6, 3), True),
    ("layer_separable_conv2d_dilated", lambda T, x: T.layers.SeparableConv2D(
        4, 3, dilation_rate=2, depth_multiplier=2, depthwise_initializer=init(T, K["dk"]),
        pointwise_initializer=init(T, K["pk"]), bias_initializer=init(T, 0.2))(x),
     a(2, 8, 8, 3), True),
    ("layer_separable_conv1d", lambda T, x: T.layers.SeparableConv1D(
        3, 3, padding="same", depthwise_initializer=init(T, K["dk1"]),
        pointwise_initializer=init(T, K["pk1"]))(x), a(2, 7, 2), True),
    ("layer_conv2d_dilated", lambda T, x: T.layers.conv2d(
        x, 3, 3, padding="same", dilation_rate=2, kernel_initializer=init(T, K["t"])),
     a(2, 7, 6, 2), True),
    ("layer_max_pooling1d", lambda T, x: T.layers.max_pooling1d(x, 2, 2), a(2, 8, 3), True),
    ("layer_average_pooling1d_same", lambda T, x: T.layers.AveragePooling1D(
        3, 2, padding="same")(x), a(2, 7, 3), True),
    # channels_first: TensorFlow on a CPU transposes around NHWC ops, minitf runs NCHW.
    ("layer_pooling1d_channels_first", lambda T, x: T.layers.max_pooling1d(
        x, 2, 2, data_format="channels_first") + T.layers.average_pooling1d(
        x, 2, 1, data_format="channels_first")[:, :, :4], a(2, 3, 8), False),
    ("layer_conv1d_reuse", lambda T, x: T.layers.conv1d(
        x, 4, 3, name="shared", kernel_initializer=init(T, K["c1"])) + T.layers.conv1d(
        x * 2.0, 4, 3, name="shared", reuse=True), a(2, 9, 3), True),
    ("layer_SeparableConv2D_called_twice", lambda T, x: (lambda layer: layer(x) - layer(
        x * 0.5))(T.layers.SeparableConv2D(4, 3, depth_multiplier=2, name="twice",
                                             depthwise_initializer=init(T, K["dk"]),
                                             pointwise_initializer=init(T, K["pk"]))),
     a(2, 6, 6, 3), True),
]


# (name, fn(T) -> tensor): static shapes must be TF's exactly (shapes read from Pack/Shape
# tensors known only in part, the batch of a SpaceToBatchND with fed paddings).
def _stacked(T, h):
    return T.stack([T.shape(h)[0], 8, 8, 8])


SHAPES = [
    ("shape_conv2d_transpose_stacked", lambda T: T.nn.conv2d_transpose(
        T.placeholder(T.float32, [None, 4, 4, 16]), T.ones([3, 3, 8, 16]),
        _stacked(T, T.placeholder(T.float32, [None, 4])), [1, 2, 2, 1])),
    ("shape_batch_norm_after_conv2d_transpose", lambda T: T.layers.batch_normalization(
        T.nn.conv2d_transpose(T.placeholder(T.float32, [None, 4, 4, 16]), T.ones([3, 3, 8, 16]),
                              _stacked(T, T.placeholder(T.float32, [None, 4])), [1, 2, 2, 1]),
        training=True)),
    ("shape_dw_backprop_input_stacked", lambda T: T.nn.depthwise_conv2d_native_backprop_input(
        _stacked(T, T.placeholder(T.float32, [None, 4])), T.ones([3, 3, 8, 2]),
        T.placeholder(T.float32, [None, 8, 8, 16]), S1, "SAME")),
    ("shape_dw_backprop_filter_stacked", lambda T: T.nn.depthwise_conv2d_native_backprop_filter(
        T.placeholder(T.float32, [None, 8, 8, 3]),
        T.stack([3, T.placeholder(T.int32, []), 3, 2]),
        T.placeholder(T.float32, [None, 8, 8, 6]), S1, "SAME")),
    ("shape_conv2d_backprop_filter_stacked", lambda T: T.nn.conv2d_backprop_filter(
        T.placeholder(T.float32, [None, 8, 8, 3]),
        T.stack([3, 3, T.placeholder(T.int32, []), 6]),
        T.placeholder(T.float32, [None, 8, 8, 6]), S1, "SAME")),
    ("shape_space_to_batch_fed_paddings", lambda T: s2b(T)(
        T.placeholder(T.float32, [3, 4, 4, 2]), [2, 2], T.placeholder(T.int32, [2, 2]))),
]


def compare_shape(name, fn):
    with tf1.Graph().as_default():
        theirs = fn(tf1).shape.as_list()
    mtf.reset_default_graph()
    ours = fn(mtf).shape.as_list()
    print(name, "OK" if ours == theirs else f"DIFF static shape {ours} vs TF {theirs}")


# Layers with an activity regularizer: the losses in REGULARIZATION_LOSSES (names, values),
# the total regularization loss, and a layer object's losses over two calls.
def _act(T):
    return lambda t: T.reduce_sum(T.abs(t)) * 0.1


ACTIVITY = [
    ("activity_dense", lambda T, x: T.layers.dense(
        T.reshape(x, [-1, 6]), 3, activation=T.nn.relu, activity_regularizer=_act(T),
        kernel_regularizer=lambda w: T.reduce_sum(w * w), kernel_initializer=init(T, 0.2)),
     a(2, 4, 6, 3)),
    ("activity_conv_layers", lambda T, x: [
        T.layers.conv2d(x, 2, 3, activity_regularizer=_act(T), kernel_initializer=init(T, 0.1)),
        T.layers.conv2d_transpose(x, 2, 3, 2, activity_regularizer=_act(T),
                                  kernel_initializer=init(T, 0.1)),
        T.layers.separable_conv2d(x, 2, 3, activity_regularizer=_act(T),
                                  depthwise_initializer=init(T, 0.1),
                                  pointwise_initializer=init(T, 0.3)),
        T.layers.conv1d(x[:, 0], 2, 3, activity_regularizer=_act(T),
                        kernel_initializer=init(T, 0.1)),
        T.layers.separable_conv1d(x[:, 0], 2, 3, activity_regularizer=_act(T),
                                  depthwise_initializer=init(T, 0.1),
                                  pointwise_initializer=init(T, 0.3))], a(2, 4, 6, 3)),
    ("activity_layer_object_called_twice", lambda T, x: (lambda layer: [
        layer(x), layer(x * 2.0), layer.losses])(T.layers.Conv1D(
            2, 2, activity_regularizer=_act(T), kernel_initializer=init(T, 0.1))),
     a(2, 5, 3)),
]


def compare_activity(name, fn, x0):
    def build(T, graph):
        with graph.as_default():
            x = T.placeholder(T.float32, [None] + list(x0.shape[1:]))
            out = fn(T, x)
            losses = T.get_collection(T.GraphKeys.REGULARIZATION_LOSSES)
            layer_losses = out[-1] if isinstance(out, list) and isinstance(out[-1], list) else []
            total = T.losses.get_regularization_loss()
            with T.Session(graph=graph) as sess:
                sess.run(T.global_variables_initializer())
                values = sess.run(losses + [total], {x: x0})
        return [t.name for t in losses], [t.name for t in layer_losses], values

    theirs = build(tf1, tf1.Graph())
    mtf.reset_default_graph()
    ours = build(mtf, mtf.get_default_graph())
    problems = [f"{what} {o} vs TF {t}" for what, o, t in
                zip(("losses", "layer losses"), ours[:2], theirs[:2]) if o != t]
    if not np.allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6):
        problems.append(f"values {ours[2]} vs TF {theirs[2]}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))


def build(T, fn, inputs, graph):
    """(fetched values, forward (name, type) pairs, gradient op types, variables)."""
    with graph.as_default():
        T.set_random_seed(1)
        xs = [T.placeholder(T.float32, v.shape) for v in inputs]
        y = fn(T, *xs)
        forward = [(op.name, op.type) for op in graph.get_operations() if op.type in NAMED]
        n_ops = len(graph.get_operations())
        loss = T.reduce_sum(y * y * 0.5 + 0.3 * y)
        grads = T.gradients(loss, xs)
        grad_types = sorted({op.type for op in graph.get_operations()[n_ops:]
                             if op.type in GRAD_TYPES})
        variables = [(v.op.name, v.shape.as_list()) for v in T.global_variables()]
        with T.Session(graph=graph) as sess:
            sess.run(T.global_variables_initializer())
            values = sess.run([y] + grads, dict(zip(xs, inputs)))
    return values, forward + [("output", y.op.name)], grad_types, variables


def compare(name, fn, inputs, names=True, grads=True):
    theirs = build(tf1, fn, inputs, tf1.Graph())
    mtf.reset_default_graph()
    ours = build(mtf, fn, inputs, mtf.get_default_graph())
    problems = []
    for i, (t, o) in enumerate(zip(theirs[0], ours[0] if grads else ours[0][:1])):
        if np.shape(t) != np.shape(o) or not np.allclose(t, o, rtol=2e-4, atol=2e-4):
            err = np.abs(np.asarray(t) - np.asarray(o)).max() if np.shape(t) == np.shape(o) \
                else f"{np.shape(t)} vs {np.shape(o)}"
            problems.append(f"{'value' if i == 0 else f'grad {i - 1}'} differs ({err})")
    if names and theirs[1] != ours[1]:
        problems.append(f"forward ops {theirs[1]} vs {ours[1]}")
    if grads and names and theirs[2] != ours[2]:
        problems.append(f"gradient op types {theirs[2]} vs {ours[2]}")
    if theirs[3] != ours[3]:
        problems.append(f"variables {theirs[3]} vs {ours[3]}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))


for name, fn, inputs, *options in FUNCTIONS:
    compare(name, fn, inputs, **(options[0] if options else {}))
for name, fn, x, names in LAYERS:
    compare(name, fn, [x], names)
for name, fn in SHAPES:
    compare_shape(name, fn)
for name, fn, x in ACTIVITY:
    compare_activity(name, fn, x)
