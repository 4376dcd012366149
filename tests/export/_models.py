"""Small trained minitf models shared by the export tests.

Each builder makes its graph in the current default graph, trains it a few steps (so the
variables hold values an initializer would not reproduce) and returns a ``Built``: the session,
the signature (alias -> tensor) and fixed input values. Training, initializer and saver ops are
left in the graph on purpose: freezing must prune them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minitf as tf
from minitf.opdef import lookup


@dataclass
class Built:
    sess: tf.Session
    inputs: dict  # alias -> Tensor
    outputs: dict  # alias -> Tensor
    feeds: dict  # alias -> np.ndarray

    def feed_dict(self):
        return {self.inputs[a]: v for a, v in self.feeds.items()}

    def run(self):
        """The session's outputs for the fixed inputs (alias -> array)."""
        return self.sess.run(self.outputs, self.feed_dict())


def _train(sess, loss, feed, steps=3, lr=0.05):
    step = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    tf.train.Saver()  # save/restore ops that freezing must drop
    sess.run(tf.global_variables_initializer())
    for _ in range(steps):
        sess.run(step, feed)


def linear(seed=0) -> Built:
    """y = A x + b with TF1's ``Add`` node."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    a = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="A")
    b = tf.Variable(rng.normal(size=(2,)).astype(np.float32), name="b")
    y = lookup("Add")(tf.matmul(x, a), b, name="y")
    target = tf.placeholder(tf.float32, [None, 2], name="target")
    loss = tf.reduce_mean(tf.square(y - target))
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(8, 3)).astype(np.float32),
                        target: rng.normal(size=(8, 2)).astype(np.float32)})
    return Built(sess, {"x": x}, {"y": y}, {"x": rng.normal(size=(5, 3)).astype(np.float32)})


def mlp(seed=0, hidden=256) -> Built:
    """64-hidden-10 with relu, softmax and argmax. With hidden=256 the first weight matrix is
    64 KiB, so it goes through the streaming writer and the zero-copy reader."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 64], name="x")
    with tf.variable_scope("hidden"):
        w1 = tf.Variable((rng.normal(size=(64, hidden)) * 0.1).astype(np.float32),
                         name="weights")
        b1 = tf.Variable(np.full(hidden, 0.1, np.float32), name="biases")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    with tf.variable_scope("logits"):
        w2 = tf.Variable((rng.normal(size=(hidden, 10)) * 0.1).astype(np.float32),
                         name="weights")
        b2 = tf.Variable(np.zeros(10, np.float32), name="biases")
        logits = tf.matmul(h, w2) + b2
    probs = tf.nn.softmax(logits, name="probs")
    classes = tf.argmax(probs, 1, name="classes")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(16, 64)).astype(np.float32),
                        labels: rng.integers(0, 10, size=16)})
    return Built(sess, {"x": x}, {"probs": probs, "classes": classes},
                 {"x": rng.normal(size=(4, 64)).astype(np.float32)})


def cnn(seed=0) -> Built:
    """8x8x1 -> Conv2D SAME + bias + relu -> MaxPool | AvgPool -> concat -> reshape -> dense ->
    softmax, argmax."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    with tf.name_scope("conv"):
        k = tf.Variable((rng.normal(size=(3, 3, 1, 4)) * 0.3).astype(np.float32), name="kernel")
        kb = tf.Variable(np.full(4, 0.05, np.float32), name="bias")
        conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"), kb))
    pooled = tf.concat([tf.nn.max_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
                        tf.nn.avg_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")], axis=3)
    flat = tf.reshape(pooled, [-1, 4 * 4 * 8], name="flatten")
    with tf.name_scope("dense"):
        w = tf.Variable((rng.normal(size=(128, 10)) * 0.2).astype(np.float32), name="kernel")
        wb = tf.Variable(np.zeros(10, np.float32), name="bias")
        logits = tf.matmul(flat, w) + wb
    probs = tf.nn.softmax(logits, name="probs")
    classes = tf.argmax(logits, axis=1, output_type=tf.int32, name="classes")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(6, 8, 8, 1)).astype(np.float32),
                        labels: rng.integers(0, 10, size=6)})
    return Built(sess, {"images": x}, {"probs": probs, "classes": classes},
                 {"images": rng.normal(size=(3, 8, 8, 1)).astype(np.float32)})


def ops(seed=0) -> Built:
    """Shape-like-input ops and reductions: StridedSlice (masks, ellipsis, new axis, shrink,
    negative strides), ConcatV2, Reshape, Transpose, ExpandDims, Squeeze, Pack, Sum, Mean, Max,
    Min, Prod, ArgMax, ArgMin, Cast, Shape, Tile, Pad, GatherV2, elementwise math."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
    idx = tf.placeholder(tf.int32, [None], name="idx")
    w = tf.Variable(rng.normal(size=(3,)).astype(np.float32), name="scale")
    scaled = x * w
    t = tf.transpose(scaled, [0, 2, 1])  # (n, 3, 4)
    c = tf.concat([t, tf.tanh(t), tf.sigmoid(t)], axis=-1)  # (n, 3, 12)
    sliced = tf.concat([c[:, 1, 2:10:2], c[..., 0], c[:, tf.newaxis, 2, ::-3][:, 0]],
                       axis=1)  # (n, 4 + 3 + 4)
    squeezed = tf.squeeze(tf.expand_dims(sliced, 1), axis=[1])
    reductions = tf.stack([tf.reduce_sum(c, axis=[1, 2]), tf.reduce_mean(c, axis=[1, 2]),
                           tf.reduce_max(c, axis=[1, 2]), tf.reduce_min(c, axis=[1, 2]),
                           tf.reduce_prod(tf.sigmoid(c[:, 0, :4]), axis=1)], axis=1)
    rows = tf.cast(tf.shape(x)[0], tf.float32)
    flat = tf.reshape(c, [-1, 36])
    gathered = tf.gather(flat, idx, axis=1)
    padded = tf.pad(tf.tile(gathered[:, :2], [1, 2]), [[0, 0], [1, 1]])
    math = tf.maximum(squeezed, 0.0) / (tf.exp(tf.minimum(squeezed, 1.0)) + rows) + \
        tf.sqrt(tf.abs(squeezed)) - tf.log(1.0 + tf.square(squeezed))
    loss = tf.reduce_sum(tf.square(math))
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(2, 4, 3)).astype(np.float32)})
    outputs = {"math": math, "reductions": reductions, "padded": padded,
               "argmax": tf.argmax(c, axis=-1), "argmin": tf.argmin(flat, axis=1),
               "keepdims": tf.reduce_sum(c, axis=2, keepdims=True)}
    return Built(sess, {"x": x, "idx": idx}, outputs,
                 {"x": rng.normal(size=(3, 4, 3)).astype(np.float32),
                  "idx": np.array([5, 0, 35, 7], np.int32)})


def cond(seed=0) -> Built:
    """tf.cond (Switch / Merge): two conds on one data-dependent predicate, so a run takes the
    true branch of one and the false branch of the other, one of them nested, with constants
    made inside branches; trained through whichever branches the training batch took."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="w")
    h = tf.matmul(x, w)
    positive = tf.reduce_sum(x) > 0.0
    first = tf.cond(positive, lambda: tf.tanh(h) * 2.0, lambda: tf.nn.relu(h) - 1.0,
                    name="first")
    second = tf.cond(tf.logical_not(positive), lambda: h * 3.0,
                     lambda: tf.cond(tf.reduce_max(h) > 0.0, lambda: h + 10.0,
                                     lambda: tf.square(h)), name="second")
    y = tf.add(first, second, name="y")
    loss = tf.reduce_mean(tf.square(y))
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(8, 3)).astype(np.float32)})
    return Built(sess, {"x": x}, {"y": y},
                 {"x": np.abs(rng.normal(size=(4, 3))).astype(np.float32)})


def while_loop(seed=0) -> Built:
    """tf.while_loop (Enter, Merge, Switch, LoopCond, NextIteration, Exit): a data-dependent
    number of steps applying the trained weight, read once before the loop (its snapshot, an
    Enter) and again by reference each iteration (read_value in the body: a RefEnter), with a
    cond inside the body and a loop nested in it. Trained through the layer before the loop
    (minitf does not differentiate through loops)."""
    rng = np.random.default_rng(seed)
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(rng.normal(size=(3, 3)).astype(np.float32) * 0.5, name="w")
    h = tf.tanh(tf.matmul(x, w))
    loss = tf.reduce_mean(tf.square(h - 0.5))
    steps = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32) % 4 + 1

    def body(i, s, acc):
        s = tf.tanh(tf.matmul(s, w.read_value()) + tf.reduce_mean(w))
        acc = tf.cond(tf.equal(i % 2, 0), lambda: acc + s, lambda: acc - 0.5 * s)
        _, inner = tf.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a * 0.9),
                                 [tf.constant(0), acc])
        return i + 1, s, inner

    _, _, y = tf.while_loop(lambda i, s, acc: i < steps, body, [tf.constant(0), h, h * 0.0],
                            name="loop")
    y = tf.identity(y, name="y")
    sess = tf.Session()
    _train(sess, loss, {x: rng.normal(size=(8, 3)).astype(np.float32)})
    return Built(sess, {"x": x}, {"y": y}, {"x": rng.normal(size=(4, 3)).astype(np.float32)})


MODELS = {"linear": linear, "mlp": mlp, "cnn": cnn, "ops": ops, "cond": cond,
          "while": while_loop}
