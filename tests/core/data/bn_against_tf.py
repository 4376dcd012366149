"""minitf's tf.layers.batch_normalization against tf.compat.v1's (Keras 2 layers): outputs
over two training steps and one inference step, moving averages, variable names and update
ops, for 2-D, NHWC and NCHW inputs and a Python or tensor `training`. Prints one line per
case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see test_layers.py)."""

import numpy as np
import tensorflow.compat.v1 as tf1

import minitf as mtf

tf1.disable_v2_behavior()


def run(T, shape, axis, kind, seed=0):
    rng = np.random.default_rng(seed)
    graph = T.Graph()
    with graph.as_default():
        x = T.placeholder(T.float32, [None] + list(shape[1:]))
        training = T.placeholder(T.bool, []) if kind == "tensor" else kind
        y = T.layers.batch_normalization(x, axis=axis, training=training, momentum=0.9)
        updates = T.get_collection(T.GraphKeys.UPDATE_OPS)
        names = sorted(v.op.name for v in T.global_variables())
        trainable = sorted(v.op.name for v in T.trainable_variables())
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            outs = []
            for _ in range(2):
                xv = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
                feed = {x: xv}
                if kind == "tensor":
                    feed[training] = True
                outs.append(sess.run([y] + updates, feed)[0])
            if kind == "tensor":
                outs.append(sess.run(y, {x: xv, training: False}))
            averages = sess.run([v for v in T.global_variables() if "moving" in v.op.name])
    return outs, averages, names, trainable, len(updates)


for shape, axis in [((8, 5), -1), ((4, 3, 3, 2), -1), ((4, 2, 3, 3), 1)]:
    for kind in (True, "tensor", False):
        theirs, ours = run(tf1, shape, axis, kind), run(mtf, shape, axis, kind)
        same = all(np.allclose(a, b, rtol=1e-4, atol=1e-5)
                   for a, b in zip(theirs[0] + theirs[1], ours[0] + ours[1]))
        same = same and theirs[2:] == ours[2:]
        print(shape, axis, kind, "OK" if same else f"DIFF {theirs[2:]} {ours[2:]}")
