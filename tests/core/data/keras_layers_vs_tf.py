"""minitf.keras.layers against tf_keras (TF1.15's v1 layers, tf.compat.v1.keras.layers) in v1
graph mode: each case builds the same layer in both, on the same inputs, with the same weight
values (drawn here and loaded into both), and compares the outputs (training and inference
where it matters), the masks, the variable names, the moving averages after the update ops
(BatchNormalization), the static output shape, compute_output_shape and get_config.
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see
test_keras_layers.py)."""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
import tf_keras  # noqa: E402,F401

import minitf as mtf  # noqa: E402
import minitf.keras  # noqa: E402,F401 - minitf.keras as an attribute

TF_LAYERS = tf1.keras.layers
MTF_LAYERS = minitf.keras.layers


def double_it(x):
    return x * 2.0 + 1.0


def norm(value):
    """Configs comparable: tuples and ListWrappers as lists, numpy scalars as Python's."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ListWrapper":
        return [norm(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# (label, class name, kwargs, input shapes without batch, call kwargs list, options)
CASES = [
    ("dense", "Dense", dict(units=3, activation="relu"), [[4]], [{}], {}),
    ("dense_3d_l2", "Dense", dict(units=3, use_bias=False, kernel_regularizer="l2",
                                  bias_initializer="ones"), [[2, 4]], [{}], {}),
    ("dense_objects", "Dense", dict(units=2, kernel_constraint="max_norm",
                                    bias_constraint="non_neg", bias_regularizer="l1_l2",
                                    kernel_initializer="he_normal", activation="selu",
                                    activity_regularizer="l1"), [[3]], [{}], {"losses": True}),
    ("dense_more_objects", "Dense", dict(units=2, kernel_constraint="unit_norm",
                                         bias_constraint="min_max_norm",
                                         kernel_initializer="truncated_normal",
                                         bias_initializer="random_uniform",
                                         activation="hard_sigmoid"), [[3]], [{}], {}),
    ("activation", "Activation", dict(activation="softmax"), [[5]], [{}], {}),
    ("dropout", "Dropout", dict(rate=0.4, noise_shape=[None, 1]), [[5]],
     [{"training": False}, {}], {}),
    ("spatial_dropout1d", "SpatialDropout1D", dict(rate=0.5), [[3, 4]], [{}], {}),
    ("spatial_dropout2d", "SpatialDropout2D", dict(rate=0.5), [[3, 3, 4]], [{}], {}),
    ("flatten", "Flatten", {}, [[3, 4, 2]], [{}], {}),
    ("flatten_cf", "Flatten", dict(data_format="channels_first"), [[3, 4, 2]], [{}], {}),
    ("reshape", "Reshape", dict(target_shape=(2, -1)), [[3, 4]], [{}], {}),
    ("permute", "Permute", dict(dims=(2, 1)), [[3, 4]], [{}], {}),
    ("repeat_vector", "RepeatVector", dict(n=3), [[4]], [{}], {}),
    ("lambda", "Lambda", dict(function=double_it), [[4]], [{}], {}),
    ("masking", "Masking", dict(mask_value=0.0), [[4, 3]], [{}], {"mask": True, "zeros": True}),
    ("activity_regularization", "ActivityRegularization", dict(l1=0.01, l2=0.02), [[4]], [{}],
     {"losses": True}),
    ("conv1d", "Conv1D", dict(filters=3, kernel_size=2, strides=2), [[7, 2]], [{}], {}),
    ("conv1d_causal", "Conv1D", dict(filters=3, kernel_size=2, padding="causal",
                                     dilation_rate=2, activation="tanh"), [[7, 2]], [{}], {}),
    ("conv2d", "Conv2D", dict(filters=4, kernel_size=3, padding="same", dilation_rate=2),
     [[7, 6, 2]], [{}], {}),
    ("conv2d_strided", "Conv2D", dict(filters=2, kernel_size=(3, 2), strides=(2, 1)),
     [[7, 6, 3]], [{}], {}),
    ("conv3d", "Conv3D", dict(filters=2, kernel_size=2), [[4, 4, 3, 2]], [{}], {}),
    ("conv2d_transpose", "Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                 padding="same"), [[3, 4, 2]], [{}], {}),
    ("conv2d_transpose_op", "Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                                                    output_padding=1), [[3, 4, 2]], [{}], {}),
    ("conv3d_transpose", "Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2),
     [[2, 3, 2, 2]], [{}], {}),
    ("separable_conv1d", "SeparableConv1D", dict(filters=3, kernel_size=2, depth_multiplier=2),
     [[6, 2]], [{}], {}),
    ("separable_conv2d", "SeparableConv2D", dict(filters=4, kernel_size=3, padding="same"),
     [[5, 5, 2]], [{}], {}),
    ("depthwise_conv2d", "DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2),
     [[5, 5, 2]], [{}], {}),
    ("upsampling1d", "UpSampling1D", dict(size=3), [[3, 2]], [{}], {}),
    ("upsampling2d", "UpSampling2D", dict(size=(2, 3)), [[3, 2, 2]], [{}], {}),
    ("upsampling2d_bilinear", "UpSampling2D", dict(size=2, interpolation="bilinear"),
     [[3, 2, 2]], [{}], {}),
    ("upsampling3d", "UpSampling3D", dict(size=2), [[2, 2, 2, 1]], [{}], {}),
    ("zero_padding1d", "ZeroPadding1D", dict(padding=(1, 2)), [[3, 2]], [{}], {}),
    ("zero_padding2d", "ZeroPadding2D", dict(padding=((1, 0), (2, 1))), [[3, 2, 2]], [{}], {}),
    ("zero_padding3d", "ZeroPadding3D", dict(padding=1), [[2, 2, 2, 1]], [{}], {}),
    ("cropping1d", "Cropping1D", dict(cropping=(1, 2)), [[5, 2]], [{}], {}),
    ("cropping2d", "Cropping2D", dict(cropping=((1, 0), (0, 2))), [[4, 5, 2]], [{}], {}),
    ("cropping3d", "Cropping3D", dict(cropping=1), [[4, 4, 4, 1]], [{}], {}),
    ("max_pooling1d", "MaxPooling1D", dict(pool_size=2, padding="same"), [[5, 2]], [{}], {}),
    ("average_pooling1d", "AveragePooling1D", dict(pool_size=3, strides=1), [[5, 2]], [{}], {}),
    ("max_pooling2d", "MaxPooling2D", dict(pool_size=(2, 2), strides=1), [[4, 5, 2]], [{}], {}),
    ("average_pooling2d", "AveragePooling2D", dict(padding="same"), [[5, 5, 2]], [{}], {}),
    ("max_pooling3d", "MaxPooling3D", {}, [[4, 4, 4, 2]], [{}], {}),
    ("average_pooling3d", "AveragePooling3D", dict(pool_size=2, strides=1), [[3, 3, 3, 2]],
     [{}], {}),
    ("global_max_pooling1d", "GlobalMaxPooling1D", {}, [[5, 3]], [{}], {}),
    ("global_average_pooling1d", "GlobalAveragePooling1D", {}, [[5, 3]], [{}], {}),
    ("global_max_pooling2d", "GlobalMaxPooling2D", {}, [[4, 4, 3]], [{}], {}),
    ("global_average_pooling2d", "GlobalAveragePooling2D", dict(keepdims=True), [[4, 4, 3]],
     [{}], {}),
    ("global_max_pooling3d", "GlobalMaxPooling3D", {}, [[2, 3, 2, 3]], [{}], {}),
    ("global_average_pooling3d", "GlobalAveragePooling3D", dict(data_format="channels_first"),
     [[3, 2, 3, 2]], [{}], {}),
    ("batch_norm", "BatchNormalization", dict(momentum=0.9), [[5]],
     [{"training": True}, {"training": False}, {}], {"updates": True}),
    ("batch_norm_4d", "BatchNormalization", dict(epsilon=0.01), [[3, 3, 4]],
     [{"training": True}, {}], {"updates": True}),
    ("batch_norm_axis1", "BatchNormalization", dict(axis=1, center=False), [[3, 4]],
     [{"training": True}, {}], {"updates": True}),
    ("layer_norm", "LayerNormalization", {}, [[3, 4]], [{}], {}),
    ("layer_norm_axes", "LayerNormalization", dict(axis=[1, 2], epsilon=1e-5), [[3, 4]],
     [{}], {}),
    ("embedding", "Embedding", dict(input_dim=10, output_dim=3), [[5]], [{}], {"ints": True}),
    ("embedding_mask", "Embedding", dict(input_dim=10, output_dim=3, mask_zero=True,
                                         input_length=5), [[5]], [{}],
     {"ints": True, "mask": True}),
    ("add", "Add", {}, [[4], [4]], [{}], {}),
    ("subtract", "Subtract", {}, [[4], [4]], [{}], {}),
    ("multiply", "Multiply", {}, [[4], [1]], [{}], {}),
    ("average", "Average", {}, [[4], [4], [4]], [{}], {}),
    ("maximum", "Maximum", {}, [[2, 4], [2, 4]], [{}], {}),
    ("minimum", "Minimum", {}, [[4], [4]], [{}], {}),
    ("concatenate", "Concatenate", dict(axis=1), [[2, 3], [4, 3]], [{}], {}),
    ("dot", "Dot", dict(axes=1), [[4], [4]], [{}], {}),
    ("dot_3d", "Dot", dict(axes=(2, 2)), [[3, 4], [5, 4]], [{}], {}),
    ("dot_normalize", "Dot", dict(axes=1, normalize=True), [[4], [4]], [{}], {}),
    ("relu", "ReLU", dict(max_value=1.0, negative_slope=0.1, threshold=0.5), [[6]], [{}], {}),
    ("relu_plain", "ReLU", {}, [[6]], [{}], {}),
    ("leaky_relu", "LeakyReLU", dict(alpha=0.2), [[6]], [{}], {}),
    ("prelu", "PReLU", dict(shared_axes=[1]), [[3, 4]], [{}], {}),
    ("elu", "ELU", dict(alpha=0.5), [[6]], [{}], {}),
    ("thresholded_relu", "ThresholdedReLU", dict(theta=0.5), [[6]], [{}], {}),
    ("softmax", "Softmax", dict(axis=1), [[3, 4]], [{}], {}),
    ("gaussian_noise", "GaussianNoise", dict(stddev=0.1), [[4]], [{}], {}),
    ("gaussian_dropout", "GaussianDropout", dict(rate=0.3), [[4]], [{}], {}),
    ("alpha_dropout", "AlphaDropout", dict(rate=0.2), [[4]], [{}], {}),
]


def build(T, layers, case, seed):
    label, cls, kwargs, shapes, calls, opts = case
    rng = np.random.default_rng(seed)
    graph = T.Graph()
    with graph.as_default():
        dtype = T.int32 if opts.get("ints") else T.float32
        xs = [T.placeholder(dtype, [None] + s) for s in shapes]
        layer = getattr(layers, cls)(**kwargs)
        inputs = xs if len(xs) > 1 else xs[0]
        outs = [layer(inputs, **c) for c in calls]
        sess = T.Session(graph=graph)
        sess.run(T.global_variables_initializer())
        weights = []
        for v in layer.weights:
            value = rng.normal(size=v.shape.as_list()).astype(np.float32)
            if "variance" in v.name:
                value = np.abs(value) + 0.5
            v.load(value, sess)
            weights.append(value)
        feeds = {}
        for x, s in zip(xs, shapes):
            if opts.get("ints"):
                value = rng.integers(0, 10, size=[3] + s)
                value[:, -1] = 0
            else:
                value = rng.normal(size=[3] + s).astype(np.float32)
                if opts.get("zeros"):
                    value[:, 1] = 0.0
            feeds[x] = value
        result = {"out": sess.run(outs, feeds), "names": [v.name for v in layer.weights],
                  "shapes": [o.shape.as_list() for o in outs],
                  "computed": T.TensorShape(layer.compute_output_shape(
                      [x.shape for x in xs] if len(xs) > 1 else xs[0].shape)).as_list(),
                  "trainable": [v.name for v in layer.trainable_weights]}
        if opts.get("mask"):
            result["mask"] = sess.run(outs[0]._keras_mask, feeds)
        if opts.get("losses"):
            result["losses"] = sess.run(layer.losses, feeds)
        if opts.get("updates"):
            sess.run(layer.updates, feeds)
            result["after"] = sess.run(layer.weights)
        result["config"] = norm(layer.get_config())
        if cls == "Lambda":  # the function's module is this script's in both
            result["config"].pop("module", None)
        sess.close()
    return result


def same(a, b):
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-5)
    return a == b


for i, case in enumerate(CASES):
    theirs = build(tf1, TF_LAYERS, case, i)
    ours = build(mtf, MTF_LAYERS, case, i)
    diffs = [k for k in theirs if not same(theirs[k], ours.get(k))]
    diffs += [k for k in ours if k not in theirs]
    if diffs:
        print(case[0], "DIFF", {k: (theirs.get(k), ours.get(k)) for k in diffs})
    else:
        print(case[0], "OK")
