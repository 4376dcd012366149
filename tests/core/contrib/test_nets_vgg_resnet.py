"""tf.contrib.slim.nets' VGG, AlexNet, OverFeat and ResNet models without TensorFlow: every
variant's variables and end points (names and static shapes, derived here from the published
architectures), numpy references for resnet_utils' conv2d_same and subsample, the atrous
(output_stride) path against the nominal one, and forwards giving finite logits."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import layers
from minitf.contrib.slim import nets
from minitf.contrib.slim.nets import alexnet, overfeat, resnet_utils, resnet_v1, resnet_v2, vgg

slim = tf.contrib.slim


def variables():
    return {v.op.name: v.shape.as_list() for v in tf.global_variables()}


def shapes(end_points):
    return {k: v.shape.as_list() for k, v in end_points.items()}


def run(fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches)


# -- VGG, AlexNet, OverFeat ---------------------------------------------------------------
VGG_STAGES = {"vgg_a": (1, 1, 2, 2, 2), "vgg_16": (2, 2, 3, 3, 3), "vgg_19": (2, 2, 4, 4, 4)}


def vgg_expected(name, batch, classes):
    """VGG's variables and end points at 224x224: five stages of 3x3 convolutions (64, 128,
    256, 512, 512 channels, each stage halving the size), fc6-fc8 as 7x7 and 1x1 convs."""
    var, ends, cin, size = {}, {}, 3, 224
    for stage, (times, depth) in enumerate(zip(VGG_STAGES[name], (64, 128, 256, 512, 512)), 1):
        for j in range(1, times + 1):
            layer = f"{name}/conv{stage}/conv{stage}_{j}"
            var[layer + "/weights"], var[layer + "/biases"] = [3, 3, cin, depth], [depth]
            ends[layer] = [batch, size, size, depth]
            cin = depth
        size //= 2
        ends[f"{name}/pool{stage}"] = [batch, size, size, depth]
    for layer, k, cin, cout in (("fc6", 7, 512, 4096), ("fc7", 1, 4096, 4096),
                                ("fc8", 1, 4096, classes)):
        var[f"{name}/{layer}/weights"], var[f"{name}/{layer}/biases"] = [k, k, cin, cout], [cout]
        ends[f"{name}/{layer}"] = [batch, 1, 1, cout]
    ends[f"{name}/fc8"] = [batch, classes]  # spatially squeezed
    return var, ends


@pytest.mark.parametrize("name", sorted(VGG_STAGES))
def test_vgg_variables_and_end_points(name):
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [2, 224, 224, 3])
        with slim.arg_scope(vgg.vgg_arg_scope()):
            logits, end_points = getattr(vgg, name)(inputs, num_classes=10)
        want_vars, want_ends = vgg_expected(name, 2, 10)
        assert variables() == want_vars
        assert shapes(end_points) == want_ends
        assert list(end_points)[0] == f"{name}/conv1/conv1_1"
        assert logits.shape.as_list() == [2, 10] and logits.op.name == f"{name}/fc8/squeezed"
        assert end_points[f"{name}/fc8"] is logits
        # vgg_arg_scope's L2 decay on every weight
        assert len(tf.losses.get_regularization_losses()) == len(want_vars) // 2
        assert sorted(v.op.name for v in slim.get_model_variables()) == sorted(want_vars)
    assert getattr(vgg, name).default_image_size == 224
    assert vgg.vgg_d is vgg.vgg_16 and vgg.vgg_e is vgg.vgg_19


@pytest.mark.parametrize("model,size", [(vgg.vgg_a, 224), (overfeat.overfeat, 231)])
def test_vgg_and_overfeat_forward_give_finite_logits(model, size):
    x = np.random.RandomState(0).rand(1, size, size, 3).astype(np.float32)
    with tf.Graph().as_default():
        logits, end_points = model(tf.constant(x), num_classes=3, is_training=False)
        got, fc7 = run([logits, [v for k, v in end_points.items() if k.endswith("fc7")][0]])
    assert got.shape == (1, 3) and np.isfinite(got).all()
    assert fc7.shape == (1, 1, 1, 4096) and (fc7 >= 0).all() and fc7.any()  # ReLU'd


def test_vgg_fully_convolutional_and_errors():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 256, 288, 3])
        logits, end_points = vgg.vgg_16(inputs, num_classes=4, spatial_squeeze=False)
        # pool5 is 8x9, so the 7x7 VALID fc6 leaves 2x3
        assert logits.shape.as_list() == [1, 2, 3, 4]
        assert end_points["vgg_16/fc8"] is logits
        with pytest.raises(ValueError):  # squeezing a 2x3 map
            vgg.vgg_a(inputs, num_classes=4)


def test_alexnet_and_overfeat_variables_and_end_points():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [3, 224, 224, 3])
        with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
            logits, end_points = alexnet.alexnet_v2(inputs, num_classes=8)
        convs = [("conv1", 11, 3, 64, 54), ("conv2", 5, 64, 192, 26), ("conv3", 3, 192, 384, 12),
                 ("conv4", 3, 384, 384, 12), ("conv5", 3, 384, 256, 12),
                 ("fc6", 5, 256, 4096, 1), ("fc7", 1, 4096, 4096, 1), ("fc8", 1, 4096, 8, 1)]
        want = {}
        for layer, k, cin, cout, _ in convs:
            want[f"alexnet_v2/{layer}/weights"] = [k, k, cin, cout]
            want[f"alexnet_v2/{layer}/biases"] = [cout]
        assert variables() == want
        want_ends = {f"alexnet_v2/{layer}": [3, s, s, cout] for layer, _, _, cout, s in convs}
        want_ends.update({"alexnet_v2/pool1": [3, 26, 26, 64], "alexnet_v2/pool2": [3, 12, 12, 192],
                          "alexnet_v2/pool5": [3, 5, 5, 256], "alexnet_v2/fc8": [3, 8]})
        assert shapes(end_points) == want_ends
        assert logits.shape.as_list() == [3, 8]
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 231, 231, 3])
        with slim.arg_scope(overfeat.overfeat_arg_scope()):
            logits, end_points = overfeat.overfeat(inputs, num_classes=8)
        assert shapes(end_points) == {
            "overfeat/conv1": [1, 56, 56, 64], "overfeat/pool1": [1, 28, 28, 64],
            "overfeat/conv2": [1, 24, 24, 256], "overfeat/pool2": [1, 12, 12, 256],
            "overfeat/conv3": [1, 12, 12, 512], "overfeat/conv4": [1, 12, 12, 1024],
            "overfeat/conv5": [1, 12, 12, 1024], "overfeat/pool5": [1, 6, 6, 1024],
            "overfeat/fc6": [1, 1, 1, 3072], "overfeat/fc7": [1, 1, 1, 4096],
            "overfeat/fc8": [1, 8]}
        got = variables()
        assert got["overfeat/conv2/weights"] == [5, 5, 64, 256]
        assert got["overfeat/fc6/weights"] == [6, 6, 1024, 3072] and len(got) == 16
    assert alexnet.alexnet_v2.default_image_size == 224


def test_alexnet_forward_is_finite_and_dropout_follows_is_training():
    with tf.Graph().as_default():
        inputs = tf.constant(np.random.RandomState(0).rand(2, 224, 224, 3).astype(np.float32))
        with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
            train, _ = alexnet.alexnet_v2(inputs, num_classes=3, dropout_keep_prob=0.3)
            with tf.variable_scope(tf.get_variable_scope(), reuse=True):
                test, _ = alexnet.alexnet_v2(inputs, num_classes=3, is_training=False)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            t1, a = sess.run([test, train])
            t2, b = sess.run([test, train])
        assert t1.shape == (2, 3) and np.isfinite(t1).all()
        np.testing.assert_array_equal(t1, t2)  # is_training=False: no dropout
        assert np.isfinite(a).all() and not np.array_equal(a, b)


# -- resnet_utils ----------------------------------------------------------------------------
def np_conv_same(x, w, rate=1):
    """numpy NHWC stride-1 SAME convolution with an atrous ``rate``."""
    k = w.shape[0]
    keff = k + (k - 1) * (rate - 1)
    lo = (keff - 1) // 2
    xp = np.pad(x, [(0, 0), (lo, keff - 1 - lo), (lo, keff - 1 - lo), (0, 0)])
    h, wd = x.shape[1:3]
    out = np.zeros((x.shape[0], h, wd, w.shape[3]))
    for i in range(k):
        for j in range(k):
            patch = xp[:, i * rate:i * rate + h, j * rate:j * rate + wd, :]
            out += np.tensordot(patch, w[i, j], axes=([3], [0]))
    return out


@pytest.mark.parametrize("size,stride,rate", [(7, 1, 1), (7, 2, 1), (8, 2, 1), (8, 3, 1),
                                              (9, 1, 2), (8, 1, 3)])
def test_conv2d_same_is_a_same_convolution_subsampled(size, stride, rate):
    rng = np.random.RandomState(size + stride + rate)
    x = rng.randn(2, size, size, 3).astype(np.float32)
    w = rng.randn(3, 3, 3, 4).astype(np.float32)
    with tf.Graph().as_default():
        with slim.arg_scope([layers.conv2d], weights_initializer=tf.constant_initializer(w),
                            activation_fn=None):
            y = resnet_utils.conv2d_same(tf.constant(x), 4, 3, stride, rate=rate, scope="c")
        assert variables() == {"c/weights": [3, 3, 3, 4], "c/biases": [4]}
        got = run(y)
    want = np_conv_same(x, w, rate)[:, ::stride, ::stride, :]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_conv2d_same_refuses_a_stride_with_a_rate():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="dilation_rate"):
        resnet_utils.conv2d_same(tf.zeros([1, 8, 8, 3]), 4, 3, 2, rate=2, scope="c")


def test_subsample():
    x = np.arange(2 * 7 * 6 * 3, dtype=np.float32).reshape(2, 7, 6, 3)
    with tf.Graph().as_default():
        t = tf.constant(x)
        assert resnet_utils.subsample(t, 1) is t
        y = resnet_utils.subsample(t, 3, scope="sub")
        assert y.op.name.startswith("sub/")
        np.testing.assert_array_equal(run(y), x[:, ::3, ::3, :])


def test_resnet_arg_scope():
    scope = resnet_utils.resnet_arg_scope(weight_decay=0.5, batch_norm_decay=0.9)
    conv = scope[tf.contrib.framework.arg_scope_func_key(layers.conv2d)]
    assert conv["normalizer_fn"] is layers.batch_norm and conv["activation_fn"] is tf.nn.relu
    assert conv["normalizer_params"] == {"decay": 0.9, "epsilon": 1e-5, "scale": True,
                                         "updates_collections": tf.GraphKeys.UPDATE_OPS}
    assert scope[tf.contrib.framework.arg_scope_func_key(layers.max_pool2d)] == {"padding": "SAME"}
    block = resnet_v1.resnet_v1_block("b", base_depth=4, num_units=3, stride=2)
    assert isinstance(block, resnet_utils.Block) and block.unit_fn is resnet_v1.bottleneck
    assert block.args == [{"depth": 16, "depth_bottleneck": 4, "stride": 1}] * 2 + [
        {"depth": 16, "depth_bottleneck": 4, "stride": 2}]


def _tiny_blocks(module):
    block = getattr(module, module.__name__.rsplit(".", 1)[-1] + "_block")
    return [block("block1", base_depth=1, num_units=2, stride=2),
            block("block2", base_depth=2, num_units=2, stride=2),
            block("block3", base_depth=4, num_units=2, stride=2),
            block("block4", base_depth=8, num_units=2, stride=1)]


@pytest.mark.parametrize("module", [resnet_v1, resnet_v2])
def test_atrous_stack_equals_the_nominal_one_subsampled(module):
    """stack_blocks_dense at output_stride s computes the nominal network's responses
    densely: subsampling them by nominal/s gives the nominal output."""
    x = np.random.RandomState(3).randn(2, 17, 17, 3).astype(np.float32)
    blocks = _tiny_blocks(module)
    for output_stride in (1, 2, 4, 8, None):
        with tf.Graph().as_default():
            with slim.arg_scope(resnet_utils.resnet_arg_scope()), \
                    slim.arg_scope([layers.batch_norm], is_training=False):
                with tf.variable_scope("net"):
                    dense = resnet_utils.stack_blocks_dense(tf.constant(x), blocks, output_stride)
                if output_stride is not None:
                    factor = 8 // output_stride
                    dense = resnet_utils.subsample(dense, factor)
                with tf.variable_scope("net", reuse=True):
                    nominal = resnet_utils.stack_blocks_dense(tf.constant(x), blocks, None)
            got, want = run([dense, nominal])
        assert want.shape == (2, 3, 3, 32)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="cannot be reached"):
        resnet_utils.stack_blocks_dense(tf.constant(x), blocks, 3)


# -- ResNets ---------------------------------------------------------------------------------
UNITS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}
BN = ("beta", "gamma", "moving_mean", "moving_variance")


def resnet_expected(version, depth, size, classes, batch=1):
    """A ResNet's variables and end points from its definition: a 7x7/2 root conv and 3x3/2
    pool, four blocks of bottlenecks (1x1, 3x3, 1x1 of 4x the base depth 64/128/256/512, the
    block's last unit strided 2 but in block4, a 1x1 shortcut conv when the depth changes);
    v1 has BN after every conv but the logits, v2 a BN ``preact`` in each unit, biased conv3 /
    shortcut / root conv and a ``postnorm``."""
    name = f"resnet_{version}_{depth}"
    unit_name = f"bottleneck_{version}"
    var, ends = {}, {}

    def conv(scope, k, cin, cout, bn, out):
        var[f"{scope}/weights"] = [k, k, cin, cout]
        if bn:
            var.update({f"{scope}/BatchNorm/{p}": [cout] for p in BN})
        else:
            var[f"{scope}/biases"] = [cout]
        ends[scope] = out

    s = -(-size // 2)
    conv(f"{name}/conv1", 7, 3, 64, version == "v1", [batch, s, s, 64])
    s = -(-s // 2)
    cin = 64
    for b, (base, n) in enumerate(zip((64, 128, 256, 512), UNITS[depth]), 1):
        for u in range(1, n + 1):
            unit = f"{name}/block{b}/unit_{u}/{unit_name}"
            stride = 2 if (u == n and b < 4) else 1
            out_s = -(-s // stride)
            if version == "v2":
                var.update({f"{unit}/preact/{p}": [cin] for p in BN})
            if cin != base * 4:
                conv(f"{unit}/shortcut", 1, cin, base * 4, version == "v1",
                     [batch, out_s, out_s, base * 4])
            conv(f"{unit}/conv1", 1, cin, base, True, [batch, s, s, base])
            conv(f"{unit}/conv2", 3, base, base, True, [batch, out_s, out_s, base])
            conv(f"{unit}/conv3", 1, base, base * 4, version == "v1",
                 [batch, out_s, out_s, base * 4])
            ends[unit] = [batch, out_s, out_s, base * 4]
            s, cin = out_s, base * 4
        ends[f"{name}/block{b}"] = [batch, s, s, cin]
    if version == "v2":
        var.update({f"{name}/postnorm/{p}": [2048] for p in BN})
    if classes is not None:
        conv(f"{name}/logits", 1, 2048, classes, False, [batch, 1, 1, classes])
        ends["predictions"] = [batch, 1, 1, classes]
    return var, ends


@pytest.mark.parametrize("version,depth", [("v1", 50), ("v2", 50), ("v1", 101), ("v2", 101),
                                           ("v1", 152), ("v2", 152), ("v1", 200),
                                           ("v2", 200)])
def test_resnet_variables_and_end_points(version, depth):
    module = {"v1": resnet_v1, "v2": resnet_v2}[version]
    classes = 9 if depth in (50, 152) else None
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 64, 64, 3])
        with slim.arg_scope(module.resnet_arg_scope()):
            net, end_points = getattr(module, f"resnet_{version}_{depth}")(inputs, classes)
        want_vars, want_ends = resnet_expected(version, depth, 64, classes)
        assert variables() == want_vars
        assert shapes(end_points) == want_ends
        assert net.shape.as_list() == [1, 1, 1, classes or 2048]
        # every conv weight is L2-decayed; batch norm updates go to UPDATE_OPS
        assert len(tf.losses.get_regularization_losses()) == sum(
            1 for v in want_vars if v.endswith("weights"))
        assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2 * sum(
            1 for v in want_vars if v.endswith("moving_mean"))


@pytest.mark.parametrize("module", [resnet_v1, resnet_v2])
def test_resnet_forward_finite_and_options(module):
    v = module.__name__[-2:]
    x = np.random.RandomState(0).rand(2, 64, 64, 3).astype(np.float32)
    model = getattr(module, f"resnet_{v}_50")
    with tf.Graph().as_default():
        with slim.arg_scope(module.resnet_arg_scope()):
            logits, ends = model(tf.constant(x), num_classes=5)
            dense, dense_ends = model(tf.constant(x), None, is_training=False,
                                      global_pool=False, output_stride=16, reuse=True)
        assert len(tf.global_variables()) == len(variables())  # reuse made no new variables
        assert "predictions" not in dense_ends
        assert dense.shape.as_list() == [2, 4, 4, 2048]
        assert dense_ends[f"resnet_{v}_50/block4"].shape.as_list() == [2, 4, 4, 2048]
        got, probs, feats = run([logits, ends["predictions"], dense])
    assert got.shape == (2, 1, 1, 5) and np.isfinite(got).all() and np.isfinite(feats).all()
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    e = np.exp(got - got.max(-1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(-1, keepdims=True), rtol=1e-5)


def test_resnet_generator_defaults_and_errors():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 32, 32, 3])
        net, ends = resnet_v1.resnet_v1(inputs, _tiny_blocks(resnet_v1), num_classes=3)
        assert "resnet_v1/block1/unit_1/bottleneck_v1/conv1" in ends
        assert "resnet_v1/conv1" in ends and net.shape.as_list() == [1, 1, 1, 3]
        net, ends = resnet_v2.resnet_v2(inputs, _tiny_blocks(resnet_v2),
                                        include_root_block=False, global_pool=False)
        assert "resnet_v2/conv1" not in ends and net.shape.as_list() == [1, 4, 4, 32]
        with pytest.raises(ValueError, match="multiple of 4"):
            resnet_v1.resnet_v1_50(inputs, output_stride=6)
        with pytest.raises(ValueError, match="rank of shape must be at least 4"):
            resnet_v1.bottleneck(tf.placeholder(tf.float32, [2, 3]), 4, 1, 1)
        with pytest.raises(ValueError, match="must be known"):
            resnet_v2.bottleneck(tf.placeholder(tf.float32, [2, 3, 3, None]), 4, 1, 1)
    assert resnet_v1.resnet_v1.default_image_size == resnet_v2.resnet_v2.default_image_size == 224
    assert nets.resnet_v1 is resnet_v1 and nets.vgg is vgg


def test_num_classes_zero_builds_an_empty_logits_layer_as_tf_slim():
    """TF 1.15's nets test ``num_classes is not None``: 0 gives a zero-width logits conv (not
    the features, as the later models/research/slim nets do)."""
    with tf.Graph().as_default():
        blocks = [resnet_v1.resnet_v1_block("block1", base_depth=1, num_units=1, stride=2)]
        net, ends = resnet_v1.resnet_v1(tf.zeros([1, 16, 16, 3]), blocks, num_classes=0)
        assert net.shape.as_list() == [1, 1, 1, 0] and "resnet_v1/logits" in ends
        assert variables()["resnet_v1/logits/weights"] == [1, 1, 4, 0]
        net, ends = vgg.vgg_a(tf.zeros([1, 224, 224, 3]), num_classes=0)
        assert net.shape.as_list() == [1, 0] and ends["vgg_a/fc8"] is net
