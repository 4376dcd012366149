"""tf.contrib.slim.nets (vgg, alexnet, overfeat, resnet_v1, resnet_v2) side by side with
tf_slim.nets in a TF1-behaviour process: the same variables (names, shapes), end points (keys,
static shapes), regularization losses, logits and one training step's gradients on a few
variables, every weight set by its variable name in both frameworks (minitf's random
initializers do not draw TF's values)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# One program run with ``tf`` / ``slim`` / ``nets`` = minitf's or TF1's + tf_slim's.
PROGRAM = """
import zlib
import numpy as np

def det_value(name, shape, dtype):
    # a deterministic value for each variable, drawn by numpy from its name (a regular
    # pattern such as a sine makes near-ties in max pools, whose gradients then differ)
    base = np.random.RandomState(zlib.crc32(name.encode())).uniform(-1.0, 1.0, shape)
    leaf = name.rsplit("/", 1)[-1]
    if leaf == "weights":
        base = base * np.sqrt(6.0 / np.prod(shape[:-1]))
    elif leaf == "gamma" or leaf == "moving_variance":
        base = 1.0 + 0.3 * np.abs(base)
    else:
        base = 0.05 * base
    return base.reshape(shape).astype(dtype)

def run(tf, slim, nets, spec):
    module = getattr(nets, spec["module"])
    dtype = np.float64 if spec.get("float64") else np.float32
    x = tf.constant(np.random.RandomState(0).rand(*spec["input"]).astype(dtype))
    with slim.arg_scope(getattr(module, spec["arg_scope"])()):
        # TF's fused batch norm has no float64 kernel
        with slim.arg_scope([slim.batch_norm], fused=False if spec.get("float64") else None):
            net, end_points = getattr(module, spec["model"])(x, **spec["kwargs"])
    variables = tf.global_variables()
    out = {"vars": [[v.op.name, v.shape.as_list()] for v in variables],
           "model_vars": sorted(v.op.name for v in slim.get_model_variables()),
           "end_points": [[k, v.shape.as_list()] for k, v in end_points.items()],
           "net": net.shape.as_list(),
           "reg_losses": len(tf.losses.get_regularization_losses()),
           "update_ops": len(tf.get_collection(tf.GraphKeys.UPDATE_OPS))}
    if not spec.get("run"):
        return out
    wanted = [v for v in variables if v.op.name in spec["grad_vars"]]
    weights = tf.constant(np.cos(np.arange(int(np.prod(net.shape.as_list())))).reshape(
        net.shape.as_list()).astype(dtype))
    loss = tf.reduce_sum(net * weights)
    grads = tf.gradients(loss, wanted)
    feeds = []
    for v in variables:
        ph = tf.placeholder(v.dtype.base_dtype, v.shape)
        feeds.append((tf.assign(v, ph), ph, det_value(v.op.name, v.shape.as_list(), dtype)))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for assign, ph, value in feeds:
            sess.run(assign, {ph: value})
        probe = [k for k in spec.get("probe", [])]
        values = sess.run({"net": net, "grads": grads,
                           "probe": [end_points[k] for k in probe]})
    out["net_value"] = values["net"].ravel().tolist()
    out["grads"] = {v.op.name: g.ravel()[:64].tolist() + [float(np.abs(g).sum())]
                    for v, g in zip(wanted, values["grads"])}
    out["probe"] = [np.asarray(p).ravel()[:64].tolist() for p in values["probe"]]
    return out
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()  # tf_slim's batch norm and layers in TF1 graph mode
sys.path.insert(0, sys.argv[1])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
import tf_slim as slim
import tf_slim.nets as nets
results = {}
for name, spec in json.loads(sys.argv[2]).items():
    with tf.Graph().as_default():
        results[name] = run(tf, slim, nets, spec)
print(json.dumps(results))
"""

RESNET_GRADS = ["{s}/logits/biases", "{s}/logits/weights", "{s}/conv1/weights",
                "{s}/block1/unit_1/bottleneck_{v}/conv2/weights"]


def _resnet(module, model, scope, run, kwargs, grads=True):
    v = module[-2:]
    spec = {"module": module, "model": model, "arg_scope": "resnet_arg_scope",
            "input": [2, 64, 64, 3], "kwargs": kwargs, "run": run, "float64": run,
            "probe": [f"{scope}/block1", f"{scope}/block4"]}
    if grads:
        spec["grad_vars"] = [g.format(s=scope, v=v) for g in RESNET_GRADS]
        spec["grad_vars"].append(f"{scope}/block2/unit_1/bottleneck_{v}/conv1/BatchNorm/"
                                 + ("beta" if v == "v1" else "gamma"))
    return spec


# Gradients that flow back through many max pools and ReLUs (and batch norm over a tiny batch)
# change by ~1e-3 relative under float32 rounding (a near-tie in a pool window routes the
# gradient elsewhere), so those specs run in float64; the float32 ones compare the forward
# pass and the gradients of the last layers.
SPECS = {
    "vgg_a": {"module": "vgg", "model": "vgg_a", "arg_scope": "vgg_arg_scope",
              "input": [1, 224, 224, 3], "run": True,
              "kwargs": {"num_classes": 5, "is_training": False},
              "grad_vars": ["vgg_a/fc8/biases", "vgg_a/fc8/weights", "vgg_a/fc7/weights",
                            "vgg_a/fc6/biases"],
              "probe": ["vgg_a/pool5", "vgg_a/fc7"]},
    "vgg_16": {"module": "vgg", "model": "vgg_16", "arg_scope": "vgg_arg_scope",
               "input": [2, 224, 224, 3], "kwargs": {"num_classes": 7}},
    "vgg_19_fcn": {"module": "vgg", "model": "vgg_19", "arg_scope": "vgg_arg_scope",
                   "input": [1, 256, 288, 3],
                   "kwargs": {"num_classes": 7, "spatial_squeeze": False}},
    "alexnet": {"module": "alexnet", "model": "alexnet_v2", "arg_scope": "alexnet_v2_arg_scope",
                "input": [1, 224, 224, 3], "run": True, "float64": True,
                "kwargs": {"num_classes": 6, "is_training": False},
                "grad_vars": ["alexnet_v2/fc8/weights", "alexnet_v2/conv1/weights",
                              "alexnet_v2/conv3/biases", "alexnet_v2/fc6/biases"],
                "probe": ["alexnet_v2/pool1", "alexnet_v2/conv5"]},
    "alexnet_fcn": {"module": "alexnet", "model": "alexnet_v2",
                    "arg_scope": "alexnet_v2_arg_scope", "input": [2, 300, 400, 3],
                    "kwargs": {"num_classes": 3, "spatial_squeeze": False}},
    "overfeat": {"module": "overfeat", "model": "overfeat", "arg_scope": "overfeat_arg_scope",
                 "input": [1, 231, 231, 3], "run": True,
                 "kwargs": {"num_classes": 4, "is_training": False, "scope": "of"},
                 "grad_vars": ["of/fc8/biases", "of/fc7/weights", "of/fc6/biases"],
                 "probe": ["of/pool2", "of/fc6"]},
    "resnet_v1_50": _resnet("resnet_v1", "resnet_v1_50", "resnet_v1_50", True,
                            {"num_classes": 5, "is_training": True}),
    "resnet_v1_50_os8": _resnet("resnet_v1", "resnet_v1_50", "resnet_v1_50", True,
                                {"num_classes": 5, "is_training": False,
                                 "global_pool": False, "output_stride": 8}),
    "resnet_v2_50": _resnet("resnet_v2", "resnet_v2_50", "resnet_v2_50", True,
                            {"num_classes": 5, "is_training": True}),
    # float32 (fused batch norm), inference mode: atrous features without logits
    "resnet_v2_50_features": _resnet("resnet_v2", "resnet_v2_50", "rn", True,
                                     {"is_training": False, "global_pool": False,
                                      "output_stride": 16, "scope": "rn"}, grads=False),
    "resnet_v1_101": _resnet("resnet_v1", "resnet_v1_101", "resnet_v1_101", False,
                             {"num_classes": 5}),
    "resnet_v2_101": _resnet("resnet_v2", "resnet_v2_101", "resnet_v2_101", False,
                             {"num_classes": 5}),
    "resnet_v1_152": _resnet("resnet_v1", "resnet_v1_152", "resnet_v1_152", False,
                             {"num_classes": 5}),
    "resnet_v2_152": _resnet("resnet_v2", "resnet_v2_152", "resnet_v2_152", False,
                             {"num_classes": 5, "global_pool": False}),
    "resnet_v1_200": _resnet("resnet_v1", "resnet_v1_200", "resnet_v1_200", False, {}),
    "resnet_v2_200": _resnet("resnet_v2", "resnet_v2_200", "resnet_v2_200", False,
                             {"num_classes": 5}),
}
SPECS["resnet_v2_50_features"].update(float64=False, grad_vars=[
    "rn/postnorm/gamma", "rn/postnorm/beta", "rn/block4/unit_3/bottleneck_v2/conv3/biases"])


@pytest.fixture(scope="module")
def tf_results():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    done = subprocess.run([sys.executable, "-c", TF_SIDE, REPO, json.dumps(SPECS)],
                          capture_output=True, text=True, timeout=1200,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                                   TF_USE_LEGACY_KERAS="1", OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def _ours(spec):
    scope = {}
    exec(compile(PROGRAM, "nets_program", "exec"), scope)  # noqa: S102 - the shared program
    with tf.Graph().as_default():
        return scope["run"](tf, tf.contrib.slim, tf.contrib.slim.nets, spec)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_matches_tf_slim(tf_results, name):
    want, got = tf_results[name], _ours(SPECS[name])
    for key in ("vars", "model_vars", "end_points", "net", "reg_losses", "update_ops"):
        assert got[key] == want[key], key
    if not SPECS[name].get("run"):
        return
    close(got["net_value"], want["net_value"], "logits")
    for key, got_probe, want_probe in zip(SPECS[name]["probe"], got["probe"], want["probe"]):
        close(got_probe, want_probe, key)
    assert sorted(got["grads"]) == sorted(SPECS[name]["grad_vars"])
    for var, grad in want["grads"].items():
        close(got["grads"][var], grad, var)


def close(got, want, what):
    """rtol 1e-4, with an absolute floor of 1e-5 of the values' scale (a deep net's outputs
    near zero carry the rounding of its large intermediate sums)."""
    want = np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max() + 1e-7,
                               err_msg=what)
