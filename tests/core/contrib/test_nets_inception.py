"""slim.nets' Inception v1/v2/v3 without TensorFlow: end points (order and static shapes of the
full-size models, as TF-slim's own tests state them), parameter counts, TF-slim's variable
names, final_endpoint, depth_multiplier/min_depth, errors, arg scopes, and forwards on small
inputs."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib.slim.nets import inception, inception_utils, inception_v2, inception_v3

slim = tf.contrib.slim

V1_SHAPES = {
    "Conv2d_1a_7x7": [5, 112, 112, 64], "MaxPool_2a_3x3": [5, 56, 56, 64],
    "Conv2d_2b_1x1": [5, 56, 56, 64], "Conv2d_2c_3x3": [5, 56, 56, 192],
    "MaxPool_3a_3x3": [5, 28, 28, 192], "Mixed_3b": [5, 28, 28, 256],
    "Mixed_3c": [5, 28, 28, 480], "MaxPool_4a_3x3": [5, 14, 14, 480],
    "Mixed_4b": [5, 14, 14, 512], "Mixed_4c": [5, 14, 14, 512], "Mixed_4d": [5, 14, 14, 512],
    "Mixed_4e": [5, 14, 14, 528], "Mixed_4f": [5, 14, 14, 832],
    "MaxPool_5a_2x2": [5, 7, 7, 832], "Mixed_5b": [5, 7, 7, 832], "Mixed_5c": [5, 7, 7, 1024]}
V2_SHAPES = {
    "Conv2d_1a_7x7": [5, 112, 112, 64], "MaxPool_2a_3x3": [5, 56, 56, 64],
    "Conv2d_2b_1x1": [5, 56, 56, 64], "Conv2d_2c_3x3": [5, 56, 56, 192],
    "MaxPool_3a_3x3": [5, 28, 28, 192], "Mixed_3b": [5, 28, 28, 256],
    "Mixed_3c": [5, 28, 28, 320], "Mixed_4a": [5, 14, 14, 576], "Mixed_4b": [5, 14, 14, 576],
    "Mixed_4c": [5, 14, 14, 576], "Mixed_4d": [5, 14, 14, 576], "Mixed_4e": [5, 14, 14, 576],
    "Mixed_5a": [5, 7, 7, 1024], "Mixed_5b": [5, 7, 7, 1024], "Mixed_5c": [5, 7, 7, 1024]}
V3_SHAPES = {
    "Conv2d_1a_3x3": [5, 149, 149, 32], "Conv2d_2a_3x3": [5, 147, 147, 32],
    "Conv2d_2b_3x3": [5, 147, 147, 64], "MaxPool_3a_3x3": [5, 73, 73, 64],
    "Conv2d_3b_1x1": [5, 73, 73, 80], "Conv2d_4a_3x3": [5, 71, 71, 192],
    "MaxPool_5a_3x3": [5, 35, 35, 192], "Mixed_5b": [5, 35, 35, 256],
    "Mixed_5c": [5, 35, 35, 288], "Mixed_5d": [5, 35, 35, 288], "Mixed_6a": [5, 17, 17, 768],
    "Mixed_6b": [5, 17, 17, 768], "Mixed_6c": [5, 17, 17, 768], "Mixed_6d": [5, 17, 17, 768],
    "Mixed_6e": [5, 17, 17, 768], "Mixed_7a": [5, 8, 8, 1280], "Mixed_7b": [5, 8, 8, 2048],
    "Mixed_7c": [5, 8, 8, 2048]}

# (model, base, arg scope, image size, base end point shapes, base parameters per TF-slim)
MODELS = {
    "v1": (inception.inception_v1, inception.inception_v1_base,
           inception.inception_v1_arg_scope, 224, V1_SHAPES, 5607184),
    "v2": (inception.inception_v2, inception.inception_v2_base,
           inception.inception_v2_arg_scope, 224, V2_SHAPES, 10173112),
    "v3": (inception.inception_v3, inception.inception_v3_base,
           inception.inception_v3_arg_scope, 299, V3_SHAPES, 21802784),
}


def _shapes(end_points):
    return {k: t.shape.as_list() for k, t in end_points.items()}


def _variables():
    return {v.op.name: v.shape.as_list() for v in tf.global_variables()}


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_full_size_base_end_points_shapes_and_parameter_count(version):
    _, base, arg_scope, size, shapes, params = MODELS[version]
    with tf.Graph().as_default():
        with slim.arg_scope(arg_scope()):
            net, end_points = base(tf.zeros([5, size, size, 3]))
        assert list(end_points) == list(shapes)  # TF's order
        assert _shapes(end_points) == shapes
        assert net is end_points[list(shapes)[-1]]
        assert sum(v.shape.num_elements() for v in slim.get_model_variables()) == params


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_full_size_classifier_heads(version):
    model, _, _, size, shapes, _ = MODELS[version]
    with tf.Graph().as_default():
        logits, end_points = model(tf.zeros([5, size, size, 3]), num_classes=1000)
        assert logits.shape.as_list() == [5, 1000] and end_points["Logits"] is logits
        assert logits.op.name.startswith(f"Inception{version.upper()}/Logits")
        assert end_points["Predictions"].op.name.endswith("Predictions/Reshape_1")
        extra = ["AuxLogits", "PreLogits"] if version == "v3" else []
        assert list(end_points) == list(shapes) + extra + ["Logits", "Predictions"]
        if version == "v3":
            assert end_points["AuxLogits"].shape.as_list() == [5, 1000]
            assert end_points["PreLogits"].shape.as_list() == [5, 1, 1, 2048]
        assert model.default_image_size == size


def test_tf_slim_variable_names_and_shapes():
    with tf.Graph().as_default():
        with slim.arg_scope(inception.inception_v1_arg_scope()):
            inception.inception_v1(tf.zeros([1, 224, 224, 3]), num_classes=11)
        names = _variables()
        assert names["InceptionV1/Mixed_5b/Branch_2/Conv2d_0a_3x3/weights"] == [3, 3, 32, 128]
        assert names["InceptionV1/Mixed_3b/Branch_3/Conv2d_0b_1x1/BatchNorm/moving_mean"] == [32]
        assert names["InceptionV1/Logits/Conv2d_0c_1x1/weights"] == [1, 1, 1024, 11]
        assert names["InceptionV1/Logits/Conv2d_0c_1x1/biases"] == [11]
        assert "InceptionV1/Conv2d_1a_7x7/biases" not in names  # batch norm replaces biases
        assert len(tf.get_collection("moving_vars")) == 2 * 57
        assert tf.get_default_graph().get_operation_by_name(
            "InceptionV1/Logits/MaxPool_0a_7x7/AvgPool")
    with tf.Graph().as_default():
        inception.inception_v2(tf.zeros([1, 224, 224, 3]))
        names = _variables()
        assert names["InceptionV2/Conv2d_1a_7x7/depthwise_weights"] == [7, 7, 3, 8]
        assert names["InceptionV2/Conv2d_1a_7x7/pointwise_weights"] == [1, 1, 24, 64]
        assert names["InceptionV2/Mixed_5c/Branch_2/Conv2d_0c_3x3/weights"] == [3, 3, 224, 224]
        assert names["InceptionV2/Logits/Conv2d_1c_1x1/weights"] == [1, 1, 1024, 1000]
    with tf.Graph().as_default():
        with slim.arg_scope(inception.inception_v3_arg_scope()):
            inception.inception_v3(tf.zeros([1, 299, 299, 3]), num_classes=7)
        names = _variables()
        assert names["InceptionV3/Mixed_5c/Branch_1/Conv_1_0c_5x5/weights"] == [5, 5, 48, 64]
        assert names["InceptionV3/Mixed_5c/Branch_1/Conv2d_0b_1x1/weights"] == [1, 1, 256, 48]
        assert names["InceptionV3/Mixed_6a/Branch_0/Conv2d_1a_1x1/weights"] == [3, 3, 288, 384]
        assert names["InceptionV3/Mixed_7c/Branch_1/Conv2d_0c_3x1/weights"] == [3, 1, 384, 384]
        assert names["InceptionV3/Mixed_7b/Branch_1/Conv2d_0b_3x1/weights"] == [3, 1, 384, 384]
        assert names["InceptionV3/AuxLogits/Conv2d_2a_5x5/weights"] == [5, 5, 128, 768]
        assert names["InceptionV3/AuxLogits/Conv2d_2b_1x1/weights"] == [1, 1, 768, 7]
        assert names["InceptionV3/Logits/Conv2d_1c_1x1/biases"] == [7]
        assert len(names) == 388


def test_final_endpoint_builds_up_to_it():
    for version, size in (("v1", 64), ("v2", 64), ("v3", 96)):
        _, base, _, _, shapes, _ = MODELS[version]
        kwargs = {} if version == "v1" else {"depth_multiplier": 0.1}
        for i, end_point in enumerate(shapes):
            with tf.Graph().as_default():
                net, end_points = base(tf.zeros([1, size, size, 3]), final_endpoint=end_point,
                                       **kwargs)
                assert list(end_points) == list(shapes)[:i + 1]
                assert net is end_points[end_point]
                assert all(v.op.name.startswith(f"Inception{version.upper()}/")
                           for v in tf.global_variables())


def test_depth_multiplier_and_min_depth():
    with tf.Graph().as_default():
        _, eps = inception.inception_v2_base(tf.zeros([1, 224, 224, 3]), depth_multiplier=0.5)
        assert eps["Mixed_5c"].shape.as_list() == [1, 7, 7, 512]
        # depthwise multiplier min(int(32 / 3), 8) = 8 -> 24 pointwise inputs
        assert _variables()["InceptionV2/Conv2d_1a_7x7/pointwise_weights"] == [1, 1, 24, 32]
    with tf.Graph().as_default():
        _, eps = inception.inception_v3_base(tf.zeros([1, 299, 299, 3]), depth_multiplier=2.0)
        assert eps["Mixed_7c"].shape.as_list() == [1, 8, 8, 4096]
    with tf.Graph().as_default():  # every channel count below 16 is lifted to min_depth
        _, eps = inception.inception_v2_base(tf.zeros([1, 64, 64, 3]), depth_multiplier=0.1,
                                             final_endpoint="Mixed_3b")
        assert eps["Mixed_3b"].shape.as_list() == [1, 8, 8, 64]
        assert _variables()["InceptionV2/Conv2d_1a_7x7/depthwise_weights"] == [7, 7, 3, 5]
    with tf.Graph().as_default():
        _, eps = inception.inception_v3_base(tf.zeros([1, 96, 96, 3]), depth_multiplier=0.1,
                                             min_depth=8, final_endpoint="Mixed_5b")
        assert eps["Mixed_5b"].shape.as_list() == [1, 9, 9, 8 + 8 + 9 + 8]


@pytest.mark.parametrize("fn,kwargs,message", [
    (inception.inception_v1_base, {"final_endpoint": "Mixed_9z"}, "Unknown final endpoint Mixed_9"),
    (inception.inception_v2_base, {"final_endpoint": "Logits"}, "Unknown final endpoint Logits"),
    (inception.inception_v3_base, {"final_endpoint": "Mixed_5e"}, "Unknown final endpoint Mixed_5"),
    (inception.inception_v2_base, {"depth_multiplier": 0.0}, "depth_multiplier is not greater"),
    (inception.inception_v2, {"depth_multiplier": -1}, "depth_multiplier is not greater than zero"),
    (inception.inception_v3_base, {"depth_multiplier": 0}, "depth_multiplier is not greater"),
    (inception.inception_v3, {"depth_multiplier": -0.5}, "depth_multiplier is not greater"),
])
def test_errors(fn, kwargs, message):
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=message):
            fn(tf.zeros([1, 96, 96, 3]), **kwargs)
        if "depth_multiplier" in kwargs:
            assert not tf.global_variables()  # refused before building anything


def test_small_input_heads_and_spatial_squeeze():
    with tf.Graph().as_default():
        logits, eps = inception.inception_v2(tf.zeros([2, 64, 64, 3]), num_classes=9,
                                             depth_multiplier=0.25, spatial_squeeze=False)
        assert logits.shape.as_list() == [2, 1, 1, 9]
        graph = tf.get_default_graph()
        assert graph.get_operation_by_name("InceptionV2/Logits/AvgPool_1a_2x2/AvgPool")
    with tf.Graph().as_default():
        logits, eps = inception.inception_v3(tf.zeros([2, 107, 107, 3]), num_classes=4,
                                             depth_multiplier=0.1, create_aux_logits=False)
        assert "AuxLogits" not in eps and logits.shape.as_list() == [2, 4]
        assert not [v for v in tf.global_variables() if "AuxLogits" in v.op.name]
        assert eps["PreLogits"].shape.as_list() == [2, 1, 1, 32 + 2 * 38 + 2 * 38 + 19]
        graph = tf.get_default_graph()
        assert graph.get_operation_by_name("InceptionV3/Logits/AvgPool_1a_2x2/AvgPool")
    with tf.Graph().as_default():
        _, eps = inception.inception_v3(tf.zeros([2, 107, 107, 3]), num_classes=4,
                                        depth_multiplier=0.1)
        assert eps["AuxLogits"].shape.as_list() == [2, 4]
        assert "InceptionV3/AuxLogits/Conv2d_2a_1x1/weights" in _variables()


def test_unknown_spatial_size_keeps_nominal_pool():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, None, None, 3])
        logits, eps = inception.inception_v3(x, num_classes=5, depth_multiplier=0.1)
        assert logits.shape.as_list() == [2, 5]
        assert eps["Mixed_7c"].shape.as_list() == [2, None, None, 203]
        graph = tf.get_default_graph()
        assert graph.get_operation_by_name("InceptionV3/Logits/AvgPool_1a_8x8/AvgPool")
        assert "InceptionV3/AuxLogits/Conv2d_2a_5x5/weights" in _variables()
    with tf.Graph().as_default():
        y = tf.placeholder(tf.float32, [1, None, 6, 3])
        assert inception_v2._reduced_kernel_size_for_small_input(y, [7, 7]) == [7, 7]
        z = tf.placeholder(tf.float32, [1, 5, 9, 3])
        assert inception_v3._reduced_kernel_size_for_small_input(z, [8, 8]) == [5, 8]


def test_reuse_shares_variables():
    with tf.Graph().as_default():
        x = tf.zeros([1, 64, 64, 3])
        inception.inception_v2(x, num_classes=3, depth_multiplier=0.25)
        count = len(tf.global_variables())
        logits, _ = inception.inception_v2(x, num_classes=3, depth_multiplier=0.25,
                                           is_training=False, reuse=True)
        assert len(tf.global_variables()) == count and logits.shape.as_list() == [1, 3]


def test_use_separable_conv_false_uses_plain_conv():
    with tf.Graph().as_default():
        inception.inception_v2_base(tf.zeros([1, 64, 64, 3]), use_separable_conv=False,
                                    final_endpoint="Conv2d_1a_7x7")
        assert _variables() == {"InceptionV2/Conv2d_1a_7x7/weights": [7, 7, 3, 64],
                                "InceptionV2/Conv2d_1a_7x7/biases": [64]}


def test_arg_scopes():
    conv_key = slim.arg_scope_func_key(slim.conv2d)
    scope = inception.inception_v3_arg_scope(weight_decay=0.1, batch_norm_decay=0.5,
                                             use_fused_batchnorm=False)
    conv = scope[conv_key]
    assert conv["normalizer_fn"] is slim.batch_norm and conv["activation_fn"] is tf.nn.relu
    assert conv["normalizer_params"]["decay"] == 0.5
    assert conv["normalizer_params"]["fused"] is False
    assert conv["normalizer_params"]["variables_collections"]["moving_mean"] == ["moving_vars"]
    assert "weights_regularizer" in scope[slim.arg_scope_func_key(slim.fully_connected)]
    assert inception.inception_v1_arg_scope(use_batch_norm=False)[conv_key][
        "normalizer_fn"] is None
    assert inception.inception_v2_arg_scope()[conv_key]["normalizer_params"]["epsilon"] == 0.001
    shared = inception_utils.inception_arg_scope(batch_norm_scale=True)[conv_key]
    assert shared["normalizer_params"]["scale"] is True
    assert shared["normalizer_params"]["fused"] is None
    assert inception_utils.inception_arg_scope(use_batch_norm=False)[conv_key][
        "normalizer_params"] == {}
    with tf.Graph().as_default():
        with slim.arg_scope(inception_utils.inception_arg_scope(weight_decay=0.5)):
            inception.inception_v1_base(tf.zeros([1, 32, 32, 3]), final_endpoint="Conv2d_2b_1x1")
        assert "InceptionV1/Conv2d_2b_1x1/BatchNorm/beta" in _variables()
        assert len(tf.losses.get_regularization_losses()) == 2


def test_namespace():
    nets = slim.nets
    assert nets.inception.inception_v3 is nets.inception_v3.inception_v3
    assert nets.inception.inception_v1_base is nets.inception_v1.inception_v1_base
    assert nets.inception.inception_v2_arg_scope is nets.inception_v2.inception_v2_arg_scope
    assert tf.contrib.slim.nets.inception_utils is inception_utils


def test_forward_small_inputs_finite_and_consistent():
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 64, 64, 3])
        with slim.arg_scope(inception.inception_v2_arg_scope()):
            logits, eps = inception.inception_v2(x, num_classes=7, depth_multiplier=0.25)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert updates  # batch norm in training mode
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, probs, _ = sess.run([logits, eps["Predictions"], updates],
                                     {x: rng.rand(2, 64, 64, 3)})
        assert out.shape == (2, 7) and np.isfinite(out).all()
        e = np.exp(out - out.max(1, keepdims=True))
        np.testing.assert_allclose(probs, e / e.sum(1, keepdims=True), rtol=1e-5)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 107, 107, 3])
        with slim.arg_scope(inception.inception_v3_arg_scope()):
            logits, eps = inception.inception_v3(x, num_classes=6, depth_multiplier=0.1,
                                                 is_training=False)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, aux = sess.run([logits, eps["AuxLogits"]], {x: rng.rand(2, 107, 107, 3)})
        assert out.shape == aux.shape == (2, 6)
        assert np.isfinite(out).all() and np.isfinite(aux).all()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 224, 224, 3])
        logits, eps = inception.inception_v1(x, num_classes=3, is_training=False)
        graph = tf.get_default_graph()
        w, b = [graph.get_tensor_by_name(f"InceptionV1/Logits/Conv2d_0c_1x1/{n}:0")
                for n in ("weights", "biases")]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            mixed, out, wv, bv = sess.run([eps["Mixed_5c"], logits, w, b],
                                          {x: rng.rand(1, 224, 224, 3)})
        assert out.shape == (1, 3) and np.isfinite(out).all()
        # the head: average over the 7x7 grid, then the 1x1 conv (dropout off)
        np.testing.assert_allclose(out, mixed.mean((1, 2)) @ wv[0, 0] + bv, rtol=1e-4,
                                   atol=1e-6)
