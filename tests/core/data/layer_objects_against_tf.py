"""minitf's tf.layers objects (Dense, Conv2D, pooling, Flatten, Dropout, BatchNormalization)
against tf.compat.v1's (Keras 2 layers): a model that calls a shared Dense twice, the values
after two Adam steps, the layers' variables (all, trainable, non-trainable) and the names of the
shared layer's outputs (a second call's ops go in the first call's name scope).
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1 (see
test_layers.py)."""

import numpy as np
import tensorflow.compat.v1 as tf1

import minitf as mtf

tf1.disable_v2_behavior()


def run(T, seed=0):
    rng = np.random.default_rng(seed)
    graph = T.Graph()
    with graph.as_default():
        T.set_random_seed(1)
        x = T.placeholder(T.float32, [None, 6, 6, 2])
        training = T.placeholder(T.bool, [])
        init = T.constant_initializer
        conv = T.layers.Conv2D(3, 3, padding="same", activation=T.nn.relu,
                               kernel_initializer=init(rng.normal(size=(3, 3, 2, 3)) * 0.3))
        pool = T.layers.MaxPooling2D(2, 2)
        avg = T.layers.AveragePooling2D(2, 2, padding="same")
        flat = T.layers.Flatten()
        bn = T.layers.BatchNormalization(momentum=0.9)
        drop = T.layers.Dropout(0.5)
        shared = T.layers.Dense(4, activation=T.tanh, name="shared",
                                kernel_initializer=init(rng.normal(size=(12, 4)) * 0.3),
                                bias_initializer=init(0.1))
        head = T.layers.Dense(2, kernel_initializer=init(rng.normal(size=(4, 2)) * 0.3))
        h = flat(avg(pool(conv(x))))
        h = bn(h, training=training)
        a = shared(drop(h, training=False))
        b = shared(h * 0.5)  # the same variables again
        y = head(a + b)
        loss = T.reduce_mean(T.square(y))
        with T.control_dependencies(T.get_collection(T.GraphKeys.UPDATE_OPS)):
            train = T.train.AdamOptimizer(0.05).minimize(loss)
        layers = [conv, pool, avg, flat, bn, drop, shared, head]
        # (layer.name itself differs: Keras numbers layer objects per process, "dense_1".)
        info = [(type(layer).__name__, [v.op.name for v in layer.variables],
                 [v.op.name for v in layer.trainable_variables],
                 [v.op.name for v in layer.non_trainable_variables]) for layer in layers]
        attrs = [shared.kernel.op.name, shared.bias.op.name, bn.moving_mean.op.name,
                 shared.units, drop.rate, conv.filters, a.op.name, b.op.name]
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            xv = rng.standard_normal((5, 6, 6, 2)).astype(np.float32)
            for _ in range(2):
                sess.run(train, {x: xv, training: True})
            out = sess.run(y, {x: xv, training: False})
            weights = sess.run(shared.kernel)
    return out, weights, info, attrs


theirs, ours = run(tf1), run(mtf)
print("values", "OK" if np.allclose(theirs[0], ours[0], rtol=1e-4, atol=1e-5) and
      np.allclose(theirs[1], ours[1], rtol=1e-4, atol=1e-5) else f"DIFF {theirs[0]} {ours[0]}")
for t, o in zip(theirs[2], ours[2]):
    print(t[0], "OK" if t == o else f"DIFF {t} {o}")
print("attrs", "OK" if theirs[3] == ours[3] else f"DIFF {theirs[3]} {ours[3]}")
