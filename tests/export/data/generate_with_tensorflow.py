"""Regenerates the TensorFlow-written models in this directory (needs ``tensorflow``).

    .venv/bin/python tests/export/data/generate_with_tensorflow.py [--out DIR]

Every model is built and trained a few steps by real TensorFlow (and tf_keras, for
tf.nn.rnn_cell) in TF1 graph mode
(``tf.compat.v1``, ref variables), then written the two ways TF1 users ship models:

- ``<name>_frozen.pb``: ``tf.compat.v1.graph_util.convert_variables_to_constants`` output, as
  TensorFlow writes it (Identity ``read`` nodes with ``_class`` colocation attrs, ``Add`` or
  ``AddV2``, ``_output_shapes`` where the graph was exported with ``add_shapes=True``);
- ``<name>_savedmodel/``: a TF1 SavedModel (``tf.compat.v1.saved_model.Builder``, tag "serve",
  signature "serving_default") whose graph is that frozen GraphDef imported into a fresh graph;
- ``<name>.npz``: fixed inputs and TensorFlow's outputs for them (keys ``in:<alias>`` and
  ``out:<alias>``).

``manifest.json`` lists each model's signature (alias -> tensor name) for the frozen files.
``linear_variables_savedmodel/`` (ref variables), ``resource_variables_savedmodel/`` (resource
variables), ``partitioned_savedmodel/`` and ``main_op_savedmodel/`` (a main op that assigns
variables) are unfrozen SavedModels with a variables checkpoint, which minitf freezes when it
loads them (the ``.npz`` of the same name holds inputs and TF's outputs). ``tf_training/`` is
a training graph and checkpoint for ``minitf export --graph``; ``tf_while_training.pbtxt`` a
training graph with TF's gradient of a while loop. The files are committed: CI needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile

import numpy as np

# Quiet TensorFlow's C++ logging before it is imported; tf.nn.rnn_cell needs Keras 2
# (tf_keras), which TensorFlow 2.16+ uses only when asked before it is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow.compat.v1 as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
TRAIN_STEPS = 5


def _train(sess, loss, feeds, lr=0.05):
    step = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    sess.run(tf.global_variables_initializer())
    for _ in range(TRAIN_STEPS):
        sess.run(step, feeds)


# -- the models ------------------------------------------------------------------------------------
def build_linear(rng):
    """y = A x + b, with ``Add`` (TF1-era graphs; TF2's ``+`` writes AddV2)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    a = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="A")
    b = tf.Variable(rng.normal(size=(2,)).astype(np.float32), name="b")
    y = tf.raw_ops.Add(x=tf.matmul(x, a), y=b, name="y")
    target = tf.placeholder(tf.float32, [None, 2], name="target")
    loss = tf.reduce_mean(tf.square(y - target), name="loss")
    feeds = {x: rng.normal(size=(16, 3)).astype(np.float32),
             target: rng.normal(size=(16, 2)).astype(np.float32)}
    inputs = {"x": rng.normal(size=(5, 3)).astype(np.float32)}
    return {"x": x}, {"y": y}, loss, feeds, inputs, False


def build_mlp(rng):
    """64-32-10: dense (MatMul + BiasAdd) + relu, then dense (MatMul + AddV2) + softmax, argmax."""
    x = tf.placeholder(tf.float32, [None, 64], name="x")
    with tf.variable_scope("hidden"):
        w1 = tf.get_variable("weights", [64, 32],
                             initializer=tf.glorot_uniform_initializer(seed=1))
        b1 = tf.get_variable("biases", [32], initializer=tf.constant_initializer(0.1))
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    with tf.variable_scope("logits"):
        w2 = tf.get_variable("weights", [32, 10],
                             initializer=tf.glorot_uniform_initializer(seed=2))
        b2 = tf.get_variable("biases", [10], initializer=tf.zeros_initializer())
        logits = tf.matmul(h, w2) + b2  # AddV2
    probs = tf.nn.softmax(logits, name="probs")
    classes = tf.argmax(probs, axis=1, name="classes")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    feeds = {x: rng.normal(size=(32, 64)).astype(np.float32),
             labels: rng.integers(0, 10, size=32)}
    inputs = {"x": rng.normal(size=(4, 64)).astype(np.float32)}
    return {"x": x}, {"probs": probs, "classes": classes}, loss, feeds, inputs, False


def build_cnn(rng):
    """8x8x1 -> Conv2D 3x3x4 SAME + bias + relu -> MaxPool 2x2 -> reshape -> dense -> softmax.
    Exported with ``add_shapes=True``, so nodes carry ``_output_shapes``."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    k = tf.Variable(tf.truncated_normal([3, 3, 1, 4], stddev=0.3, seed=3), name="conv/kernel")
    kb = tf.Variable(tf.constant(0.05, shape=[4]), name="conv/bias")
    conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"), kb))
    pool = tf.nn.max_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool")
    flat = tf.reshape(pool, [-1, 4 * 4 * 4], name="flatten")
    w = tf.Variable(tf.truncated_normal([64, 10], stddev=0.2, seed=4), name="dense/kernel")
    wb = tf.Variable(tf.zeros([10]), name="dense/bias")
    logits = tf.add(tf.matmul(flat, w), wb, name="logits")
    probs = tf.nn.softmax(logits, name="probs")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    feeds = {x: rng.normal(size=(8, 8, 8, 1)).astype(np.float32),
             labels: rng.integers(0, 10, size=8)}
    inputs = {"images": rng.normal(size=(3, 8, 8, 1)).astype(np.float32)}
    return {"images": x}, {"probs": probs}, loss, feeds, inputs, True


def build_ops(rng):
    """A mixed bag of the shape-like-input ops (Const inputs TF writes for Python arguments):
    Transpose, ConcatV2, StridedSlice, ExpandDims, Squeeze, reductions, Cast, Shape, Pack,
    Maximum, Sub, Mul, RealDiv, Tanh, Sigmoid, Exp."""
    x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
    w = tf.Variable(rng.normal(size=(3,)).astype(np.float32), name="scale")
    scaled = x * w
    t = tf.transpose(scaled, [0, 2, 1], name="transposed")  # (n, 3, 4)
    c = tf.concat([t, tf.tanh(t), tf.sigmoid(t)], axis=2, name="concat")  # (n, 3, 12)
    s = c[:, 1, 2:10:2]  # StridedSlice with masks: (n, 4)
    e = tf.expand_dims(s, 1)  # (n, 1, 4)
    sq = tf.squeeze(e, axis=[1], name="squeezed")
    mean = tf.reduce_mean(c, axis=[1, 2], name="mean")
    total = tf.reduce_sum(c, axis=2, keepdims=True, name="total")  # (n, 3, 1)
    peak = tf.reduce_max(tf.abs(x), axis=1, name="peak")  # (n, 3)
    rows = tf.cast(tf.shape(x)[0], tf.float32, name="rows")
    stacked = tf.stack([mean, mean * 2.0], axis=1, name="stacked")  # (n, 2)
    ratio = tf.maximum(sq - 1.0, 0.0) / (tf.exp(sq) + rows)
    loss = tf.reduce_sum(tf.square(ratio))
    feeds = {x: rng.normal(size=(2, 4, 3)).astype(np.float32)}
    inputs = {"x": rng.normal(size=(3, 4, 3)).astype(np.float32)}
    outputs = {"ratio": ratio, "total": total, "peak": peak, "stacked": stacked,
               "argmax": tf.argmax(c, axis=-1, output_type=tf.int32, name="argmax")}
    return {"x": x}, outputs, loss, feeds, inputs, False


def build_cond(rng):
    """TF1 control flow (v1: Switch, Merge, pivots, control inputs on them): two conds on one
    data-dependent predicate, so the fixed input takes the true branch of one and the false
    branch of the other, one of them nested."""
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
    feeds = {x: rng.normal(size=(8, 3)).astype(np.float32)}
    inputs = {"x": np.abs(rng.normal(size=(4, 3))).astype(np.float32)}
    return {"x": x}, {"y": y}, loss, feeds, inputs, False


def build_while(rng):
    """TF1 while loops (v1: Enter, Merge, Switch, LoopCond, NextIteration, Exit): a
    data-dependent number of steps applying the trained weight (its snapshot, an Enter), with
    a cond in the body and a loop nested in it. (Not read_value in the body: its RefEnter
    stays a RefEnter of a Const in convert_variables_to_constants, which TF cannot import.)"""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(rng.normal(size=(3, 3)).astype(np.float32) * 0.5, name="w")
    h = tf.tanh(tf.matmul(x, w))
    loss = tf.reduce_mean(tf.square(h - 0.5))
    steps = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32) % 4 + 1

    def body(i, s, acc):
        s = tf.tanh(tf.matmul(s, w) + tf.reduce_mean(w))
        acc = tf.cond(tf.equal(i % 2, 0), lambda: acc + s, lambda: acc - 0.5 * s)
        _, inner = tf.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a * 0.9),
                                 [tf.constant(0), acc])
        return i + 1, s, inner

    _, _, y = tf.while_loop(lambda i, s, acc: i < steps, body, [tf.constant(0), h, h * 0.0],
                            name="loop")
    y = tf.identity(y, name="y")
    feeds = {x: rng.normal(size=(8, 3)).astype(np.float32)}
    inputs = {"x": rng.normal(size=(4, 3)).astype(np.float32) * 1.5}
    return {"x": x}, {"y": y}, loss, feeds, inputs, False


def build_rnn(rng):
    """tf.nn.dynamic_rnn with an LSTM cell over sequences of their own lengths: TF1 builds it
    as a while loop over TensorArrays (TensorArrayV3, Scatter, Read, Write, Gather), with
    Select for the finished sequences and an Assert on the lengths."""
    x = tf.placeholder(tf.float32, [None, None, 3], name="x")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    cell = tf.nn.rnn_cell.LSTMCell(4)
    outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
    y = tf.identity(outputs, name="y")
    h = tf.identity(state.h, name="h")
    loss = tf.reduce_mean(tf.square(h - 0.5))
    feeds = {x: rng.normal(size=(4, 6, 3)).astype(np.float32),
             lengths: np.array([6, 2, 4, 1], np.int32)}
    inputs = {"x": rng.normal(size=(3, 5, 3)).astype(np.float32),
              "lengths": np.array([5, 3, 1], np.int32)}
    return {"x": x, "lengths": lengths}, {"y": y, "h": h}, loss, feeds, inputs, False


def build_bn_cnn(rng):
    """8x8x2 -> Conv2D 3x3x4 (no bias) -> tf.layers.batch_normalization -> relu -> Conv2D 3x3x6
    stride 2 -> batch norm -> relu -> spatial mean -> dense -> softmax. TF1's layer is fused
    for 4-D inputs: FusedBatchNormV3 nodes. Trained a few steps with training=True (the
    moving-average updates of UPDATE_OPS run with every step; momentum 0.5 so they move);
    the served graph is a second tower sharing the variables with training=False."""
    def net(images, training, reuse):
        init = tf.glorot_uniform_initializer
        with tf.variable_scope("net", reuse=reuse):
            h = tf.layers.conv2d(images, 4, 3, padding="same", use_bias=False, name="conv1",
                                 kernel_initializer=init(seed=5))
            h = tf.nn.relu(tf.layers.batch_normalization(h, momentum=0.5, training=training,
                                                         name="bn1"))
            h = tf.layers.conv2d(h, 6, 3, strides=2, padding="same", name="conv2",
                                 kernel_initializer=init(seed=6))
            h = tf.nn.relu(tf.layers.batch_normalization(h, momentum=0.5, epsilon=1e-5,
                                                         training=training, name="bn2"))
            return tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 5, name="logits",
                                   kernel_initializer=init(seed=7))

    train_x = tf.placeholder(tf.float32, [None, 8, 8, 2], name="train_images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    logits = net(train_x, True, False)
    # The training step runs the updates: the loss's gradient reads the logits (the
    # cross-entropy's backprop output), not the loss itself.
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        logits = tf.identity(logits, name="logits_after_updates")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                         logits=logits))
    x = tf.placeholder(tf.float32, [None, 8, 8, 2], name="images")
    probs = tf.nn.softmax(net(x, False, True), name="probs")
    feeds = {train_x: rng.normal(1.0, 2.0, size=(16, 8, 8, 2)).astype(np.float32),
             labels: rng.integers(0, 5, size=16)}
    inputs = {"images": rng.normal(1.0, 2.0, size=(3, 8, 8, 2)).astype(np.float32)}
    return {"images": x}, {"probs": probs}, loss, feeds, inputs, True


MODELS = {"linear": build_linear, "mlp": build_mlp, "cnn": build_cnn, "ops": build_ops,
          "cond": build_cond, "while": build_while, "rnn": build_rnn, "bn_cnn": build_bn_cnn}


# -- writing ---------------------------------------------------------------------------------------
def _write_saved_model(frozen_gd, in_names, out_names, export_dir):
    """A TF1 SavedModel of a frozen GraphDef: import it into a graph of Consts and save."""
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(frozen_gd, name="")
        with tf.Session(graph=graph) as sess:
            sig = tf.saved_model.signature_def_utils.predict_signature_def(
                inputs={a: graph.get_tensor_by_name(n) for a, n in in_names.items()},
                outputs={a: graph.get_tensor_by_name(n) for a, n in out_names.items()})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(
                sess, [tf.saved_model.tag_constants.SERVING],
                signature_def_map={"serving_default": sig})
            builder.save()


def generate(name, build, out_dir):
    rng = np.random.default_rng(SEED + sum(map(ord, name)))
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(SEED)
        inputs, outputs, loss, train_feeds, fixed, add_shapes = build(rng)
        sess = tf.Session(graph=graph)
        _train(sess, loss, train_feeds)
        feed = {inputs[a]: v for a, v in fixed.items()}
        values = sess.run(outputs, feed)
        gd = graph.as_graph_def(add_shapes=add_shapes)
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, gd, [t.op.name for t in outputs.values()])
        sess.close()
    in_names = {a: t.name for a, t in inputs.items()}
    out_names = {a: t.name for a, t in outputs.items()}

    with open(os.path.join(out_dir, f"{name}_frozen.pb"), "wb") as f:
        f.write(frozen.SerializeToString(deterministic=True))  # as tf.io.write_graph does
    sm_dir = os.path.join(out_dir, f"{name}_savedmodel")
    shutil.rmtree(sm_dir, ignore_errors=True)
    _write_saved_model(frozen, in_names, out_names, sm_dir)

    # The frozen graph must reproduce the session's outputs in TensorFlow itself.
    check = tf.Graph()
    with check.as_default():
        tf.import_graph_def(frozen, name="")
        with tf.Session(graph=check) as s:
            again = s.run({a: check.get_tensor_by_name(n) for a, n in out_names.items()},
                          {check.get_tensor_by_name(in_names[a]): v for a, v in fixed.items()})
    for a in values:
        np.testing.assert_allclose(again[a], values[a], rtol=1e-6, atol=1e-6)

    arrays = {f"in:{a}": v for a, v in fixed.items()}
    arrays.update({f"out:{a}": np.asarray(v) for a, v in values.items()})
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
    return {"inputs": in_names, "outputs": out_names,
            "frozen": f"{name}_frozen.pb", "saved_model": f"{name}_savedmodel",
            "data": f"{name}.npz", "ops": sorted({n.op for n in frozen.node})}


def generate_variables_saved_model(out_dir):
    """An unfrozen TF1 SavedModel (VariableV2 + checkpoint): minitf freezes it at load."""
    export_dir = os.path.join(out_dir, "linear_variables_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0], [2.0]], name="w")
        y = tf.matmul(x, w, name="y")
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(sess, ["serve"],
                                                 signature_def_map={"serving_default": sig})
            builder.save()


def generate_resource_variables_saved_model(out_dir):
    """An unfrozen SavedModel with resource variables (VarHandleOp, ReadVariableOp and, for the
    embedding lookup, ResourceGather), trained a few steps, plus a local variable the
    checkpoint does not hold; its fixed inputs and TF's outputs go to
    ``resource_variables.npz``."""
    export_dir = os.path.join(out_dir, "resource_variables_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    graph = tf.Graph()
    rng = np.random.RandomState(SEED)
    with graph.as_default():
        tf.set_random_seed(SEED)
        ids = tf.placeholder(tf.int32, [None], name="ids")
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        emb = tf.get_variable("emb", [5, 3], use_resource=True)
        w = tf.get_variable("dense/w", [6, 2], use_resource=True)
        b = tf.get_variable("dense/b", [2], use_resource=True,
                            initializer=tf.constant_initializer(0.5))
        h = tf.concat([tf.nn.embedding_lookup(emb, ids), x], axis=1)
        y = tf.add(tf.matmul(h, w), b, name="y")
        counter = tf.Variable(0, name="counter", use_resource=True, trainable=False,
                              collections=[tf.GraphKeys.LOCAL_VARIABLES])
        tf.identity(counter.assign_add(1), name="count")
        loss = tf.reduce_mean(tf.square(y))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        feeds = {ids: np.array([0, 4, 2, 2], np.int32), x: rng.randn(4, 3).astype(np.float32)}
        with tf.Session(graph=graph) as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            for _ in range(TRAIN_STEPS):
                sess.run(train, feeds)
            sig = tf.saved_model.signature_def_utils.predict_signature_def(
                {"ids": ids, "x": x}, {"y": y})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(sess, ["serve"],
                                                 signature_def_map={"serving_default": sig})
            builder.save()
            np.savez(os.path.join(out_dir, "resource_variables.npz"),
                     **{"in:ids": feeds[ids], "in:x": feeds[x], "out:y": sess.run(y, feeds)})


def generate_partitioned_saved_model(out_dir):
    """An unfrozen SavedModel whose variables are partitioned (``emb/part_0``... each restore
    a slice of the checkpoint's one ``emb``, RestoreV2's ``shape_and_slices``): a ref-variable
    embedding in 3 parts and a resource-variable kernel in 2, trained a few steps; its fixed
    inputs and TF's outputs go to ``partitioned.npz``."""
    export_dir = os.path.join(out_dir, "partitioned_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    graph = tf.Graph()
    rng = np.random.RandomState(SEED)
    with graph.as_default():
        tf.set_random_seed(SEED)
        ids = tf.placeholder(tf.int32, [None], name="ids")
        emb = tf.get_variable("emb", [10, 3], partitioner=tf.fixed_size_partitioner(3))
        w = tf.get_variable("w", [3, 2], partitioner=tf.fixed_size_partitioner(2),
                            use_resource=True)
        y = tf.matmul(tf.nn.embedding_lookup(emb, ids), w, name="y")
        loss = tf.reduce_mean(tf.square(y - 1.0))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        feeds = {ids: rng.randint(0, 10, size=6).astype(np.int32)}
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(TRAIN_STEPS):
                sess.run(train, feeds)
            sig = tf.saved_model.signature_def_utils.predict_signature_def({"ids": ids}, {"y": y})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(sess, ["serve"],
                                                 signature_def_map={"serving_default": sig})
            builder.save()
            np.savez(os.path.join(out_dir, "partitioned.npz"),
                     **{"in:ids": feeds[ids], "out:y": sess.run(y, feeds)})


def generate_main_op_saved_model(out_dir):
    """An unfrozen SavedModel whose main op assigns variables after the restore: ``a`` back to
    its initializer, ``b`` to 7; ``c`` keeps its checkpoint value. ``main_op.npz`` holds an input
    and what TF's own loader then computes."""
    export_dir = os.path.join(out_dir, "main_op_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        a = tf.get_variable("a", initializer=1.0)
        b = tf.get_variable("b", initializer=2.0)
        c = tf.get_variable("c", initializer=3.0)
        y = tf.add(x * a + b, c, name="y")
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([a.assign(5.0), b.assign(6.0), c.assign(8.0)])  # "trained"
            sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig},
                main_op=tf.group(a.initializer, b.assign(7.0), tf.tables_initializer()))
            builder.save()
    feed = np.array([2.0, -1.0], np.float32)
    with tf.Session(graph=tf.Graph()) as sess:
        tf.saved_model.loader.load(sess, ["serve"], export_dir)
        np.savez(os.path.join(out_dir, "main_op.npz"),
                 **{"in:x": feed, "out:y": sess.run("y:0", {"x:0": feed})})


def generate_resource_control_flow_saved_model(out_dir):
    """Resource variables read inside TF1's tf.cond and tf.while_loop (their handles pass
    Switch and Enter nodes typed DT_RESOURCE), and a signature input that is an intermediate
    tensor computed by an op minitf lacks (a string regex): ``resource_cf_savedmodel/`` and
    ``resource_cf.npz`` (TF's outputs for fixed inputs)."""
    export_dir = os.path.join(out_dir, "resource_cf_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    graph = tf.Graph()
    with graph.as_default():
        raw = tf.placeholder(tf.string, [None], name="raw")
        x = tf.identity(tf.strings.to_number(tf.strings.regex_replace(raw, "a", "")), name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        v = tf.get_variable("v", initializer=np.array([1.0, 2.0, 3.0], np.float32),
                            use_resource=True)
        w = tf.get_variable("w", initializer=np.float32(5.0), use_resource=True)
        y_cond = tf.cond(p, lambda: x * v.read_value(), lambda: x + w.read_value())
        _, y_loop = tf.while_loop(lambda i, acc: i < 3,
                                  lambda i, acc: (i + 1, acc + v.read_value()),
                                  [tf.constant(0), x])
        y_cond, y_loop = tf.identity(y_cond, name="y_cond"), tf.identity(y_loop, name="y_loop")
        feeds = {x: np.array([1.0, 2.0, 4.0], np.float32), p: True}
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            sig = tf.saved_model.signature_def_utils.predict_signature_def(
                {"x": x, "p": p}, {"c": y_cond, "l": y_loop})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(sess, ["serve"],
                                                 signature_def_map={"serving_default": sig})
            builder.save()
            out = {"in:x": feeds[x], "in:p": np.array(True)}
            for taken in (True, False):
                c, lo = sess.run([y_cond, y_loop], {x: feeds[x], p: taken})
                out[f"out:c:{taken}"], out["out:l"] = c, lo
            np.savez(os.path.join(out_dir, "resource_cf.npz"), **out)


def generate_lookup_saved_model(out_dir):
    """Lookup tables in an unfrozen SavedModel: a vocabulary read from an asset file (by line
    number) and a key/value table, filled by the main op (``tables_initializer``), with an
    embedding variable; ``lookup_savedmodel/`` and ``lookup.npz`` (TF's outputs)."""
    export_dir = os.path.join(out_dir, "lookup_savedmodel")
    shutil.rmtree(export_dir, ignore_errors=True)
    vocab = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    with open(vocab, "w") as f:
        f.write("the\ncat\nsat\non\nmat\n")
    graph = tf.Graph()
    with graph.as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER), -1)
        names = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant([0, 1, 2], tf.int64), ["first", "second", "third"]), "other")
        ids = tf.identity(table.lookup(words), name="ids")
        emb = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2), name="emb")
        vectors = tf.identity(tf.gather(emb, ids + 1), name="vectors")  # -1 (unknown) -> row 0
        label = tf.identity(names.lookup(ids), name="label")
        feeds = {words: np.array([b"cat", b"dog", b"the", b"mat"], dtype=object)}
        with tf.Session(graph=graph) as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            sig = tf.saved_model.signature_def_utils.predict_signature_def(
                {"words": words}, {"ids": ids, "vectors": vectors, "label": label})
            builder = tf.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig},
                assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
                main_op=tf.tables_initializer())
            builder.save()
            out = dict(zip(["out:ids", "out:vectors", "out:label"],
                           sess.run([ids, vectors, label], feeds)))
            np.savez(os.path.join(out_dir, "lookup.npz"), **{"in:words": feeds[words].astype(
                "S"), **{k: v.astype("S") if v.dtype == object else v for k, v in out.items()}})


def generate_training_checkpoint(out_dir):
    """A TF 2.x training graph as ``minitf export --graph`` meets it: ``tf_training/`` holds
    ``graph.pbtxt`` (tf.train.write_graph's text, so some nodes carry NodeDef's
    ``experimental_type``), a V2 checkpoint ``model`` after a few Adam steps, and
    ``tf_training.npz`` (TF's outputs). The kernel's initializer is TF 2's stateless one
    (StatelessRandomGetKeyCounter, which minitf lacks: the export never runs it), and a
    StaticHashTable maps words to ids (a checkpoint does not hold its contents)."""
    import tensorflow as tf2

    export_dir = os.path.join(out_dir, "tf_training")
    shutil.rmtree(export_dir, ignore_errors=True)
    os.makedirs(export_dir)
    rng = np.random.RandomState(SEED)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.get_variable("dense/kernel", [3, 2],
                            initializer=tf2.keras.initializers.GlorotUniform(seed=1))
        b = tf.get_variable("dense/bias", [2], initializer=tf.zeros_initializer())
        y = tf.nn.bias_add(tf.matmul(x, w), b, name="y")
        words = tf.placeholder(tf.string, [None], name="words")
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "b"], tf.constant([1, 2], tf.int64)), -1)
        ids = tf.identity(table.lookup(words), name="ids")
        loss = tf.reduce_mean(tf.square(y - 1.0))
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        feeds = {x: rng.randn(4, 3).astype(np.float32),
                 words: np.array([b"a", b"zz", b"b"], dtype=object)}
        with tf.Session(graph=graph) as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            for _ in range(TRAIN_STEPS):
                sess.run(train, {x: feeds[x]})
            tf.train.Saver(save_relative_paths=True).save(
                sess, os.path.join(export_dir, "model"), write_meta_graph=False)
            tf.train.write_graph(sess.graph_def, export_dir, "graph.pbtxt")
            out = sess.run({"y": y, "ids": ids}, feeds)
    text = open(os.path.join(export_dir, "graph.pbtxt")).read()
    assert "experimental_type" in text and "StatelessRandomGetKeyCounter" in text, \
        "the graph no longer shows what it is here to test"
    np.savez(os.path.join(out_dir, "tf_training.npz"), **{
        "in:x": feeds[x], "in:words": feeds[words].astype("S"), "out:y": out["y"],
        "out:ids": out["ids"]})


def generate_while_training_graph(out_dir):
    """``tf_while_training.pbtxt``: a training graph whose gradient TF built through a
    tf.while_loop back to the loop's initial value (TF gates it, so an Identity sits between
    the gradient loop's Switch and its Exit), and ``tf_while_training.npz``: the weights TF
    gives after each of ``TRAIN_STEPS`` GradientDescent steps."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        w = tf.get_variable("w", initializer=np.array([0.5, -0.3], np.float32))
        _, h = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.tanh(a) * 1.1),
                             [tf.constant(0), x * w])
        loss = tf.reduce_sum(tf.square(h), name="loss")
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        feed = np.array([1.0, 2.0], np.float32)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            steps = []
            for _ in range(TRAIN_STEPS):
                sess.run(train, {x: feed})
                steps.append(sess.run(w))
    tf.train.write_graph(graph.as_graph_def(), out_dir, "tf_while_training.pbtxt")
    np.savez(os.path.join(out_dir, "tf_while_training.npz"), x=feed, w=np.stack(steps))


# The optimizers whose TF1 resource-variable kernels resource_meta/ holds (ResourceApply*,
# ResourceSparseApply*, ResourceScatterAdd for a gather's gradient).
RESOURCE_META_OPTIMIZERS = {
    "gd": lambda: tf.train.GradientDescentOptimizer(0.1),
    "adam": lambda: tf.train.AdamOptimizer(0.1),
    "momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: tf.train.RMSPropOptimizer(0.1),
}


def generate_resource_meta(out_dir):
    """``resource_meta/``: what TF1's ``Saver.save`` writes for a graph of resource variables
    (VarHandleOp, ReadVariableOp, AssignVariableOp, VarIsInitializedOp, ResourceGather, a
    variable read inside tf.cond through a Switch of its handle, RestoreV2 -> AssignVariableOp)
    with one training op per optimizer (``train_<name>``), after two Adam steps; and
    ``resource_meta.npz``: the inputs, TF's outputs (``y`` with ``training`` false and true) and,
    per optimizer, the model's variables after one of its steps from the checkpoint
    (``<optimizer>:<variable>``)."""
    export_dir = os.path.join(out_dir, "resource_meta")
    shutil.rmtree(export_dir, ignore_errors=True)
    os.makedirs(export_dir)
    rng = np.random.RandomState(SEED)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        ids = tf.placeholder(tf.int32, [None], name="ids")
        training = tf.placeholder_with_default(False, [], name="training")
        with tf.variable_scope("net", use_resource=True):
            w = tf.get_variable("w", initializer=rng.randn(3, 2).astype(np.float32))
            b = tf.get_variable("b", initializer=rng.randn(2).astype(np.float32))
            emb = tf.get_variable("emb", initializer=rng.randn(5, 2).astype(np.float32))
            scale = tf.get_variable("scale", initializer=np.float32(1.5))
        h = tf.matmul(x, w) + b + tf.gather(emb, ids)
        y = tf.identity(tf.cond(training, lambda: h * scale, lambda: h - scale), name="y")
        loss = tf.reduce_sum(tf.square(y - 1.0), name="loss")
        grads = tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss)  # one for all
        trains = {k: make().apply_gradients(grads, name=f"train_{k}")
                  for k, make in RESOURCE_META_OPTIMIZERS.items()}
        feeds = {x: rng.randn(4, 3).astype(np.float32), ids: np.array([0, 4, 2, 2], np.int32),
                 training: True}
        saver = tf.train.Saver()
        variables = [w, b, emb, scale]
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                sess.run(trains["adam"], feeds)
            prefix = saver.save(sess, os.path.join(export_dir, "model.ckpt"),
                                strip_default_attrs=True)
            out = {"in:x": feeds[x], "in:ids": feeds[ids],
                   "out:y": sess.run(y, {**feeds, training: False}),
                   "out:y_training": sess.run(y, feeds)}
            for k, train in trains.items():
                saver.restore(sess, prefix)
                sess.run(train, feeds)
                out.update({f"{k}:{v.op.name}": sess.run(v) for v in variables})
    ops = {n.op for n in graph.as_graph_def().node}
    assert {"VarHandleOp", "ResourceGather", "ResourceApplyAdam",
            "ResourceScatterAdd"} <= ops, "the graph no longer shows what it is here to test"
    os.remove(os.path.join(export_dir, "checkpoint"))  # (it names the absolute path)
    np.savez(os.path.join(out_dir, "resource_meta.npz"), **out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE, help="directory to write (default: this one)")
    args = parser.parse_args(argv)
    tf.disable_eager_execution()
    tf.disable_resource_variables()
    tf.disable_control_flow_v2()  # TF1's control flow: Switch, Merge, Enter..., not If/While
    os.makedirs(args.out, exist_ok=True)
    manifest = {"tensorflow_version": tf.__version__, "models": {}}
    for name, build in MODELS.items():
        manifest["models"][name] = generate(name, build, args.out)
    generate_variables_saved_model(args.out)
    generate_resource_variables_saved_model(args.out)
    generate_resource_control_flow_saved_model(args.out)
    generate_partitioned_saved_model(args.out)
    generate_main_op_saved_model(args.out)
    generate_lookup_saved_model(args.out)
    generate_training_checkpoint(args.out)
    generate_while_training_graph(args.out)
    generate_resource_meta(args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(MODELS)} models to {args.out} with TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
