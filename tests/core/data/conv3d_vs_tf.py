"""Builds the same graphs in minitf and tf.compat.v1 and compares them: 3-D convolution and
pooling (NDHWC and NCDHW, SAME with odd sizes and strides, dilations), their transposes and
backprops, max_pool_with_argmax (values, indices, gradient), the 1-D and rank-dispatching
pooling names, MaxPoolV2, conv1d_transpose, atrous_conv2d_transpose, tf.nn.convolution / pool
in 3-D and the 3-D tf.layers (the same weights through constant initializers). Per case: output
values, gradients of a loss with respect to every input (second derivatives where the output
is itself a gradient), the names and types of the forward ops that matter, the op types of the
gradient graph and the layers' variables; then static shapes from partly known shape tensors,
and errors (class and message) where TensorFlow refuses.
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see
test_conv3d.py)."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf.ops.pool3d_ops import MAX_POOL_V2  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()
R = np.random.default_rng(0)

NAMED = {"Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2", "MaxPool3D", "AvgPool3D",
         "MaxPoolWithArgmax", "MaxPool", "AvgPool", "MaxPoolV2", "Conv2DBackpropInput",
         "SpaceToBatchND", "BatchToSpaceND", "BiasAdd", "ExpandDims", "Squeeze", "Transpose",
         "Relu", "ConcatV2"}
GRAD_TYPES = NAMED | {"MaxPool3DGrad", "MaxPool3DGradGrad", "AvgPool3DGrad",
                      "MaxPoolGradWithArgmax", "MaxPoolGradV2", "MaxPoolGradGradV2",
                      "MaxPoolGrad", "AvgPoolGrad", "BiasAddGrad", "ShapeN", "Conv2D"}


def a(*shape):
    return R.standard_normal(shape).astype(np.float32)


def distinct(*shape):
    n = int(np.prod(shape))
    return (R.permutation(n).reshape(shape) * 0.37 - n * 0.15).astype(np.float32)


def ncdhw(x):
    return np.ascontiguousarray(x.transpose(0, 4, 1, 2, 3))


def raw_max_pool_v2(T, x, ksize, strides, padding):
    if T is tf1:
        return tf1.raw_ops.MaxPoolV2(input=x, ksize=ksize, strides=strides, padding=padding)
    return MAX_POOL_V2(x, ksize, strides, padding=padding)


S1 = [1, 1, 1, 1, 1]
X = a(2, 5, 6, 7, 3)
F = a(3, 3, 3, 3, 4)
XP = distinct(2, 5, 5, 6, 3)

FUNCTIONS = [
    ("conv3d_same", lambda T, x, f: T.nn.conv3d(x, f, S1, "SAME"), [X, F]),
    ("conv3d_same_odd_strides", lambda T, x, f: T.nn.conv3d(x, f, [1, 2, 3, 2, 1], "SAME"),
     [a(2, 5, 7, 6, 2), a(3, 2, 3, 2, 3)]),
    ("conv3d_valid_strided", lambda T, x, f: T.nn.conv3d(x, f, [1, 2, 2, 1, 1], "VALID",
                                                         name="c"), [X, a(2, 3, 2, 3, 2)]),
    ("conv3d_dilated_same", lambda T, x, f: T.nn.conv3d(x, f, S1, "SAME",
                                                        dilations=[1, 2, 1, 2, 1]), [X, F]),
    # TensorFlow's CPU kernel gets strided or unequally dilated VALID Conv3D wrong (its output
    # disagrees with its own shape function); op_cases/conv3d.py checks those against numpy.
    ("conv3d_dilated_valid", lambda T, x, f: T.nn.conv3d(
        x, f, S1, "VALID", dilations=[1, 2, 2, 2, 1]), [X, a(2, 2, 2, 3, 2)]),
    ("conv3d_ncdhw", lambda T, x, f: T.nn.conv3d(x, f, [1, 1, 2, 1, 2], "SAME",
                                                 data_format="NCDHW"), [ncdhw(X), F]),
    ("conv3d_transpose_same_s2", lambda T, x, f: T.nn.conv3d_transpose(
        x, f, [2, 9, 6, 7, 3], [1, 2, 2, 2, 1]), [a(2, 5, 3, 4, 4), F]),
    ("conv3d_transpose_valid", lambda T, x, f: T.nn.conv3d_transpose(
        x, f, [2, 7, 7, 9, 3], [1, 2, 1, 2, 1], padding="VALID", name="up"),
     [a(2, 3, 5, 4, 4), F]),
    ("conv3d_transpose_ncdhw", lambda T, x, f: T.nn.conv3d_transpose(
        x, f, [2, 3, 5, 6, 7], [1, 1, 1, 2, 2], data_format="NCDHW"),
     [a(2, 4, 5, 3, 4), F]),
    ("conv3d_backprop_filter", lambda T, x, dy: T.nn.conv3d_backprop_filter(
        x, [3, 3, 3, 3, 4], dy, [1, 1, 2, 1, 1], "SAME"), [X, a(2, 5, 3, 7, 4)]),
    ("max_pool3d_same_odd", lambda T, x: T.nn.max_pool3d(x, 2, 2, "SAME"), [XP]),
    ("max_pool3d_valid_overlap", lambda T, x: T.nn.max_pool3d(
        x, [1, 3, 2, 3, 1], [1, 2, 1, 2, 1], "VALID", name="mp"), [XP]),
    ("max_pool3d_ncdhw", lambda T, x: T.nn.max_pool3d(
        x, [1, 1, 2, 2, 3], [1, 1, 2, 1, 2], "SAME", data_format="NCDHW"), [ncdhw(XP)]),
    ("avg_pool3d_same", lambda T, x: T.nn.avg_pool3d(x, [1, 3, 3, 2, 1], [1, 2, 2, 2, 1],
                                                     "SAME"), [X]),
    ("avg_pool3d_valid_ncdhw", lambda T, x: T.nn.avg_pool3d(
        x, [1, 1, 2, 3, 2], [1, 1, 1, 2, 2], "VALID", data_format="NCDHW"), [ncdhw(X)]),
    ("max_pool3d_second_order", lambda T, x, g: T.gradients(
        T.nn.max_pool3d(x, [1, 2, 2, 3, 1], [1, 1, 2, 2, 1], "SAME"), x, grad_ys=g)[0],
     [XP, a(2, 5, 3, 3, 3)]),
    ("avg_pool3d_second_order", lambda T, x, g: T.gradients(
        T.nn.avg_pool3d(x, 2, 2, "SAME"), x, grad_ys=g)[0], [X, a(2, 3, 3, 4, 3)]),
    ("argmax_same", lambda T, x: T.nn.max_pool_with_argmax(
        x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")[0], [XP[:, 0]]),
    ("argmax_indices", lambda T, x: T.cast(T.nn.max_pool_with_argmax(
        x, [1, 3, 2, 1], [1, 2, 1, 1], "VALID")[1], T.float32), [XP[:, 0]]),
    ("argmax_batch_index_int32", lambda T, x: T.cast(T.nn.max_pool_with_argmax(
        x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", output_dtype=T.int32,
        include_batch_in_index=True)[1], T.float32), [XP[:, 1]]),
    ("max_pool1d", lambda T, x: T.nn.max_pool1d(x, 3, 2, "SAME"), [XP[:, 0, 0]]),
    ("avg_pool1d_ncw", lambda T, x: T.nn.avg_pool1d(x, 2, 1, "VALID", data_format="NCW"),
     [X[:, 0, 0]]),
    ("max_pool_v2_ranks", lambda T, x: T.reduce_sum(T.nn.max_pool_v2(x, 2, 2, "SAME")) +
     T.reduce_sum(T.nn.max_pool_v2(x[:, 0], 2, 2, "SAME")) +
     T.reduce_sum(T.nn.max_pool_v2(x[:, 0, 0], 2, 2, "VALID")), [XP]),
    ("avg_pool_v2_ranks", lambda T, x: T.reduce_sum(T.nn.avg_pool_v2(x, 2, 2, "SAME")) +
     T.reduce_sum(T.nn.avg_pool_v2(x[:, 0], [2, 3], 1, "VALID")) +
     T.reduce_sum(T.nn.avg_pool_v2(x[:, 0, 0], 2, 2, "SAME")), [X]),
    ("raw_max_pool_v2", lambda T, x: raw_max_pool_v2(T, x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
     [XP[:, 0]]),
    ("raw_max_pool_v2_second_order", lambda T, x, g: T.gradients(
        raw_max_pool_v2(T, x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), x, grad_ys=g)[0],
     [XP[:, 0], a(2, 2, 3, 3)]),
    ("conv1d_transpose", lambda T, x, f: T.nn.conv1d_transpose(x, f, [2, 9, 3], 2),
     [a(2, 5, 4), a(3, 3, 4)]),
    ("conv1d_transpose_valid", lambda T, x, f: T.nn.conv1d_transpose(
        x, f, [2, 11, 3], 2, "VALID", name="t1"), [a(2, 5, 4), a(3, 3, 4)]),
    ("atrous_conv2d_transpose_same", lambda T, x, f: T.nn.atrous_conv2d_transpose(
        x, f, [2, 9, 8, 3], 2, "SAME"), [a(2, 9, 8, 4), a(3, 3, 3, 4)]),
    ("atrous_conv2d_transpose_valid", lambda T, x, f: T.nn.atrous_conv2d_transpose(
        x, f, [2, 9, 8, 3], 2, "VALID"), [a(2, 5, 4, 4), a(3, 3, 3, 4)]),
    ("atrous_conv2d_transpose_rate1", lambda T, x, f: T.nn.atrous_conv2d_transpose(
        x, f, [2, 6, 5, 3], 1, "SAME", name="at"), [a(2, 6, 5, 4), a(3, 3, 3, 4)]),
    ("convolution_3d", lambda T, x, f: T.nn.convolution(x, f, "SAME", strides=[1, 2, 2]),
     [X, F]),
    ("convolution_3d_dilated", lambda T, x, f: T.nn.convolution(
        x, f, "SAME", dilation_rate=[2, 1, 2]), [X, F]),
    ("convolution_3d_dilated_ncdhw", lambda T, x, f: T.nn.convolution(
        x, f, "VALID", dilation_rate=[1, 2, 2], data_format="NCDHW", name="conv"),
     [ncdhw(X), a(2, 2, 2, 3, 2)]),
    ("pool_3d_max", lambda T, x: T.nn.pool(x, [2, 2, 3], "MAX", "SAME", strides=[2, 2, 1]),
     [XP]),
    ("pool_3d_avg_dilated_ncdhw", lambda T, x: T.nn.pool(
        x, [2, 2, 2], "AVG", "VALID", dilation_rate=[2, 1, 2], data_format="NCDHW"),
     [ncdhw(X)]),
]


def init(T, value):
    return T.constant_initializer(value)


K = {"c": a(3, 3, 3, 3, 4), "c2": a(2, 3, 2, 3, 2), "t": a(2, 3, 3, 2, 3),
     "cf": a(2, 3, 2, 5, 2)}

LAYERS = [
    ("layer_conv3d_same_relu", lambda T, x: T.layers.conv3d(
        x, 4, 3, padding="same", activation=T.nn.relu, kernel_initializer=init(T, K["c"]),
        bias_initializer=init(T, 0.1)), X),
    ("layer_conv3d_dilated", lambda T, x: T.layers.Conv3D(
        2, (2, 3, 2), dilation_rate=(2, 1, 2), kernel_initializer=init(T, K["c2"]),
        name="dil")(x), X),
    ("layer_conv3d_channels_first", lambda T, x: T.layers.conv3d(
        x, 2, (2, 3, 2), strides=(1, 2, 1), data_format="channels_first",
        kernel_initializer=init(T, K["cf"]), bias_initializer=init(T, 0.3)), X),
    ("layer_conv3d_transpose_same", lambda T, x: T.layers.conv3d_transpose(
        x, 2, (2, 3, 3), strides=(2, 1, 2), padding="same", kernel_initializer=init(T, K["t"]),
        bias_initializer=init(T, -0.2)), X),
    ("layer_Conv3DTranspose_valid_unknown_depth", lambda T, x: T.layers.Conv3DTranspose(
        2, (2, 3, 3), strides=2, kernel_initializer=init(T, K["t"]), name="up")(
        T.placeholder_with_default(x, [None, None, 6, 7, 3])), X),
    ("layer_max_pooling3d", lambda T, x: T.layers.max_pooling3d(x, 2, 2, padding="same"), XP),
    ("layer_average_pooling3d_channels_first", lambda T, x: T.layers.AveragePooling3D(
        (2, 2, 1), (1, 2, 1), data_format="channels_first")(x), X),
    ("layer_conv3d_reuse", lambda T, x: T.layers.conv3d(
        x, 4, 3, name="shared", kernel_initializer=init(T, K["c"])) + T.layers.conv3d(
        x * 2.0, 4, 3, name="shared", reuse=True), X),
]


def _stacked(T, h, *rest):
    return T.stack([T.shape(h)[0], *rest])


SHAPES = [
    ("shape_conv3d_unknown_dims", lambda T: T.nn.conv3d(
        T.placeholder(T.float32, [None, None, 8, 9, 3]), T.ones([3, 3, 3, 3, 4]),
        [1, 2, 2, 3, 1], "SAME")),
    ("shape_conv3d_transpose_stacked", lambda T: T.nn.conv3d_transpose(
        T.placeholder(T.float32, [None, 4, 4, 4, 16]), T.ones([3, 3, 3, 8, 16]),
        _stacked(T, T.placeholder(T.float32, [None, 4]), 8, 8, 8, 8), [1, 2, 2, 2, 1])),
    ("shape_conv3d_backprop_filter_stacked", lambda T: T.nn.conv3d_backprop_filter(
        T.placeholder(T.float32, [None, 8, 8, 8, 3]),
        T.stack([3, 3, T.placeholder(T.int32, []), 3, 6]),
        T.placeholder(T.float32, [None, 8, 8, 8, 6]), S1, "SAME")),
    ("shape_max_pool3d_ncdhw_unknown", lambda T: T.nn.max_pool3d(
        T.placeholder(T.float32, [None, 3, None, 7, 8]), [1, 1, 2, 2, 2], [1, 1, 2, 2, 2],
        "VALID", data_format="NCDHW")),
    ("shape_argmax_unknown", lambda T: T.nn.max_pool_with_argmax(
        T.placeholder(T.float32, [None, 7, None, 3]), [1, 3, 3, 1], [1, 2, 2, 1], "SAME")[1]),
]


def compare_shape(name, fn):
    with tf1.Graph().as_default():
        theirs = fn(tf1).shape.as_list()
    mtf.reset_default_graph()
    ours = fn(mtf).shape.as_list()
    print(name, "OK" if ours == theirs else f"DIFF static shape {ours} vs TF {theirs}")


def _grad_of_argmax_grad(T):
    x = T.placeholder(T.float32, [2, 4, 4, 3])
    y = T.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[0]
    T.gradients(T.gradients(T.reduce_sum(y), x)[0], x)


# (name, fn(T) -> tensor to run or None): both must raise the same class; TensorFlow's message
# must contain ``fragment`` and so must minitf's.
ERRORS = [
    ("error_conv3d_grouped_on_cpu", lambda T: T.nn.conv3d(
        T.zeros([1, 3, 3, 3, 6]), T.zeros([2, 2, 2, 3, 4]), S1, "SAME"),
     "input and filter must have the same depth: 6 vs 3"),
    ("error_conv3d_batch_stride", lambda T: T.nn.conv3d(
        T.zeros([1, 3, 3, 3, 2]), T.zeros([2, 2, 2, 2, 4]), [2, 1, 1, 1, 1], "SAME"),
     "does not yet support strides in the batch and depth dimensions"),
    ("error_max_pool3d_float64", lambda T: T.nn.max_pool3d(
        T.zeros([1, 2, 2, 2, 1], T.float64), 1, 1, "SAME"),
     "DataType float64 not in list of allowed values"),
    ("error_max_pool3d_depth_window", lambda T: T.nn.max_pool3d(
        T.zeros([1, 2, 2, 2, 2]), [1, 1, 1, 1, 2], [1, 1, 1, 1, 2], "SAME"),
     "Pooling is not yet supported on the depth dimension"),
    ("error_argmax_nchw", lambda T: T.nn.max_pool_with_argmax(
        T.zeros([1, 2, 2, 2]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME", data_format="NCHW"),
     "`data_format` values other  than 'NHWC' are not supported"),
    ("error_grad_of_max_pool_grad_with_argmax", _grad_of_argmax_grad,
     "No gradient defined for operation"),
    ("error_max_pool_v2_explicit_rank5", lambda T: T.nn.max_pool_v2(
        T.zeros([1, 2, 2, 2, 1]), 1, 1, [[0, 0]] * 5),
     "Explicit padding is not supported with an input tensor of rank 5"),
]


def _error_of(T, fn, graph):
    with graph.as_default():
        try:
            t = fn(T)
            if t is not None:
                with T.Session(graph=graph) as sess:
                    sess.run(t)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return e
    return None


def compare_error(name, fn, fragment):
    theirs = _error_of(tf1, fn, tf1.Graph())
    mtf.reset_default_graph()
    ours = _error_of(mtf, fn, mtf.get_default_graph())
    problems = []
    if theirs is None or fragment not in str(theirs):
        problems.append(f"TF raised {theirs!r}")
    if ours is None or fragment not in str(ours):
        problems.append(f"minitf raised {ours!r}")
    elif theirs is not None and type(ours).__name__ != type(theirs).__name__ and \
            not isinstance(ours, type(theirs).__mro__[-3]):
        problems.append(f"class {type(ours).__name__} vs TF {type(theirs).__name__}")
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
        grads = [g for g in T.gradients(loss, xs) if g is not None]
        grad_types = sorted({op.type for op in graph.get_operations()[n_ops:]
                             if op.type in GRAD_TYPES})
        variables = [(v.op.name, v.shape.as_list()) for v in T.global_variables()]
        with T.Session(graph=graph) as sess:
            sess.run(T.global_variables_initializer())
            values = sess.run([y] + grads, dict(zip(xs, inputs)))
    return values, forward + [("output", y.op.name)], grad_types, variables, y.shape.as_list()


def compare(name, fn, inputs):
    theirs = build(tf1, fn, inputs, tf1.Graph())
    mtf.reset_default_graph()
    ours = build(mtf, fn, inputs, mtf.get_default_graph())
    problems = []
    if len(theirs[0]) != len(ours[0]):
        problems.append(f"{len(theirs[0]) - 1} gradients vs {len(ours[0]) - 1}")
    for i, (t, o) in enumerate(zip(theirs[0], ours[0])):
        if np.shape(t) != np.shape(o) or not np.allclose(t, o, rtol=2e-4, atol=2e-4):
            err = np.abs(np.asarray(t) - np.asarray(o)).max() if np.shape(t) == np.shape(o) \
                else f"{np.shape(t)} vs {np.shape(o)}"
            problems.append(f"{'value' if i == 0 else f'grad {i - 1}'} differs ({err})")
    for what, t, o in zip(("forward ops", "gradient op types", "variables", "static shape"),
                          theirs[1:], ours[1:]):
        if t != o:
            problems.append(f"{what} {t} vs {o}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))


for name, fn, inputs in FUNCTIONS:
    compare(name, fn, inputs)
for name, fn, x in LAYERS:
    compare(name, fn, [x])
for name, fn in SHAPES:
    compare_shape(name, fn)
for name, fn, fragment in ERRORS:
    compare_error(name, fn, fragment)
