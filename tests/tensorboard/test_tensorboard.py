"""The real ``tensorboard`` package reads minitf's event files: scalars, histograms, images,
text and the graph come back as logged, through both its EventAccumulator and the data
provider its dashboards use; the Graphs tab groups nodes by name scope; the classic TF1
"tensorboard_basic" program and the training examples' --logdir work end to end."""

import io

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2
from tensorboard.plugins import base_plugin
from tensorboard.plugins.graph import graphs_plugin
from tensorboard.util import tensor_util

import minitf as tf
from examples import linear_regression, mlp_digits

EXPERIMENT = "exp"
STEPS = 4


def _accumulator(logdir):
    acc = ea.EventAccumulator(str(logdir), size_guidance={
        ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0, ea.GRAPH: 1})
    acc.Reload()
    return acc


def _provider(logdir):
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    return multiplexer, data_provider.MultiplexerDataProvider(multiplexer, str(logdir))


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A model logging every kind of summary for a few steps: (logdir, graph, logged values)."""
    logdir = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(7)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        pixels = tf.placeholder(tf.uint8, [None, 5, 6, 3], name="pixel_input")
        words = tf.placeholder(tf.string, [2], name="word_input")
        with tf.variable_scope("dense"):
            w = tf.get_variable("kernel", [4, 2], initializer=tf.glorot_uniform_initializer())
            y = tf.nn.relu(tf.matmul(x, w), name="act")
        with tf.name_scope("objective"):
            loss = tf.reduce_mean(tf.square(y), name="mse")
        tf.summary.scalar("loss", loss)
        tf.summary.histogram("activations", y)
        tf.summary.image("pixels", pixels, max_outputs=2)
        tf.summary.text("words", words)
        merged = tf.summary.merge_all()
        init = tf.global_variables_initializer()
    values = {"loss": [], "activations": [], "pixels": [], "words": []}
    with tf.Session(graph=graph) as sess, tf.summary.FileWriter(logdir, sess.graph) as writer:
        sess.run(init)
        for step in range(STEPS):
            feed = {x: rng.standard_normal((8, 4)).astype(np.float32),
                    pixels: rng.integers(0, 256, (3, 5, 6, 3), dtype=np.uint8),
                    words: [f"step **{step}**", "caf\u00e9"]}
            summary, lv, yv = sess.run([merged, loss, y], feed)
            writer.add_summary(summary, global_step=10 * step)
            values["loss"].append(lv)
            values["activations"].append(yv)
            values["pixels"].append(feed[pixels])
            values["words"].append([s.encode() for s in feed[words]])
    return logdir, graph, values


def test_event_accumulator_reads_scalars(logged):
    logdir, _, values = logged
    acc = _accumulator(logdir)
    scalars = acc.Scalars("loss")
    assert [s.step for s in scalars] == [0, 10, 20, 30]
    np.testing.assert_allclose([s.value for s in scalars], values["loss"], rtol=1e-6)
    assert acc.GetSourceWriter() == "minitf.summary.FileWriter"


def test_event_accumulator_reads_histograms(logged):
    logdir, _, values = logged
    histograms = _accumulator(logdir).Histograms("activations")
    assert [h.step for h in histograms] == [0, 10, 20, 30]
    for h, v in zip(histograms, values["activations"]):
        hv = h.histogram_value
        assert (hv.min, hv.max, hv.num) == (v.min(), v.max(), v.size)
        np.testing.assert_allclose([hv.sum, hv.sum_squares],
                                   [v.astype(np.float64).sum(), (v.astype(np.float64) ** 2)
                                    .sum()], rtol=1e-12)
        assert sum(hv.bucket) == v.size
        # Each value lies in its bucket: [previous limit, limit).
        limits = np.array(hv.bucket_limit)
        idx = np.searchsorted(limits, v.reshape(-1), side="right")
        np.testing.assert_array_equal(np.bincount(idx, minlength=len(limits)), hv.bucket)


def test_event_accumulator_reads_images(logged):
    logdir, _, values = logged
    acc = _accumulator(logdir)
    assert sorted(acc.Tags()["images"]) == ["pixels/image/0", "pixels/image/1"]
    for k in range(2):
        images = acc.Images(f"pixels/image/{k}")
        assert [i.step for i in images] == [0, 10, 20, 30]
        for event, batch in zip(images, values["pixels"]):
            assert (event.width, event.height) == (6, 5)
            decoded = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))
            np.testing.assert_array_equal(decoded, batch[k])


def test_event_accumulator_reads_text(logged):
    logdir, _, values = logged
    tensors = _accumulator(logdir).Tensors("words")
    assert [t.step for t in tensors] == [0, 10, 20, 30]
    got = [list(tensor_util.make_ndarray(t.tensor_proto)) for t in tensors]
    assert got == values["words"]


def test_event_accumulator_reads_the_graph(logged):
    logdir, graph, _ = logged
    gd = _accumulator(logdir).Graph()
    nodes = {n.name: n for n in gd.node}
    ours = graph.get_operations()
    assert list(nodes) == [op.name for op in ours]
    for op in ours:
        node = nodes[op.name]
        assert node.op == op.type
        assert list(node.input) == [t._as_node_def_input() for t in op.inputs] + \
            ["^" + c.name for c in op.control_inputs]
    assert list(nodes["dense/act"].input) == ["dense/MatMul"]
    assert list(nodes["dense/MatMul"].input) == ["x", "dense/kernel/read"]


def test_dashboards_data_provider(logged):
    """What the Scalars, Histograms, Images and Text dashboards read."""
    logdir, _, values = logged
    _, provider = _provider(logdir)
    ctx = context.RequestContext()
    scalars = provider.read_scalars(ctx, experiment_id=EXPERIMENT, plugin_name="scalars",
                                    downsample=100)
    np.testing.assert_allclose([d.value for d in scalars["."]["loss"]], values["loss"],
                               rtol=1e-6)
    assert [d.step for d in scalars["."]["loss"]] == [0, 10, 20, 30]
    histograms = provider.read_tensors(ctx, experiment_id=EXPERIMENT, plugin_name="histograms",
                                       downsample=100)
    buckets = histograms["."]["activations"][0].numpy  # [k, 3]: left, right, count
    assert buckets.shape[1] == 3 and buckets[:, 2].sum() == values["activations"][0].size
    texts = provider.read_tensors(ctx, experiment_id=EXPERIMENT, plugin_name="text",
                                  downsample=100)
    assert [list(d.numpy) for d in texts["."]["words"]] == values["words"]
    images = provider.read_blob_sequences(ctx, experiment_id=EXPERIMENT, plugin_name="images",
                                          downsample=100)
    assert sorted(images["."]) == ["pixels/image/0", "pixels/image/1"]  # a series per image
    for k in range(2):
        last = images["."][f"pixels/image/{k}"][-1]
        assert last.step == 30
        width, height, png = [provider.read_blob(ctx, blob_key=b.blob_key) for b in last.values]
        assert (int(width), int(height)) == (6, 5)
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))),
                                      values["pixels"][-1][k])


def _graphs_tab(logdir, run):
    """The Graphs plugin's answer to the browser: (runs with graphs, the GraphDef it sends)."""
    multiplexer, provider = _provider(logdir)
    plugin = graphs_plugin.GraphsPlugin(base_plugin.TBContext(
        logdir=str(logdir), data_provider=provider, multiplexer=multiplexer))
    ctx = context.RequestContext()
    info = plugin.info_impl(ctx, EXPERIMENT)
    body, mime = plugin.graph_impl(ctx, run, None, False, EXPERIMENT)
    assert mime == "text/x-protobuf"
    return info, text_format.Parse(body, tb_graph_pb2.GraphDef())


def _hierarchy(graph_def) -> dict:
    """The Graphs tab's grouping: a node "a/b/c" sits in box "a", inside it in box "a/b"."""
    tree: dict = {}
    for node in graph_def.node:
        level = tree
        for part in node.name.split("/"):
            level = level.setdefault(part, {})
    return tree


def test_graphs_tab_groups_the_mlp_by_name_scope(tmp_path):
    mlp_digits.train(epochs=1, logdir=str(tmp_path), log_every=20)
    info, gd = _graphs_tab(tmp_path, "train")
    assert info["train"]["run_graph"] is True
    assert not info.get("test", {}).get("run_graph")
    tree = _hierarchy(gd)
    # Each layer collapses into one box holding its variables and ops.
    for layer in ("hidden1", "hidden2", "logits"):
        assert set(tree[layer]) == {"kernel", "bias", "MatMul", "BiasAdd"} | (
            {"Relu"} if layer != "logits" else set())
        assert {"Initializer", "Assign", "read", "Adam", "Adam_1"} <= set(tree[layer]["kernel"])
    # The optimizer, gradients and summaries are boxes of their own, not loose nodes.
    for box in ("train", "gradients", "metrics", "histograms"):
        assert len(tree[box]) > 1
    assert len(tree) < 30 < len(gd.node) / 5  # a readable top level: boxes, not 200 nodes
    nodes = {n.name: n for n in gd.node}
    # Edges between the boxes: hidden1 feeds hidden2, which feeds logits.
    assert list(nodes["hidden2/MatMul"].input) == ["hidden1/Relu", "hidden2/kernel/read"]
    assert list(nodes["logits/MatMul"].input)[0] == "hidden2/Relu"
    assert nodes["hidden1/MatMul"].attr["_output_shapes"].list.shape[0].dim[1].size == 128


def test_examples_log_scalars_and_histograms(tmp_path):
    linear_regression.train(steps=40, logdir=str(tmp_path / "linear"))
    acc = _accumulator(tmp_path / "linear")
    assert {"metrics/loss", "metrics/A", "metrics/b"} <= set(acc.Tags()["scalars"])
    assert {"histograms/A", "histograms/b"} <= set(acc.Tags()["histograms"])
    assert [s.step for s in acc.Scalars("metrics/loss")] == [4 * k for k in range(1, 11)]
    assert acc.Scalars("metrics/loss")[-1].value < acc.Scalars("metrics/loss")[0].value
    assert acc.Graph() is not None

    mlp_digits.train(epochs=2, logdir=str(tmp_path / "mlp"), log_every=10)
    train, test = _accumulator(tmp_path / "mlp" / "train"), _accumulator(tmp_path / "mlp" / "test")
    assert {"metrics/loss", "metrics/accuracy"} <= set(train.Tags()["scalars"])
    assert [s.step for s in test.Scalars("metrics/accuracy")] == [45, 90]  # 1438 / 32 per epoch
    assert [s.step for s in train.Scalars("metrics/loss")] == list(range(10, 91, 10))
    assert "histograms/hidden1/kernel" in train.Tags()["histograms"]
    kernel = train.Histograms("histograms/hidden1/kernel")[-1].histogram_value
    assert kernel.num == 64 * 128


def test_tensorboard_basic_program(tmp_path):
    """The classic TF1 example (logistic regression, name scopes, two scalars, merge_all,
    FileWriter with the default graph), on the digits instead of MNIST."""
    from examples.common import load_digits

    x_train, y_train, x_test, y_test = load_digits(0)
    x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
    onehot = np.eye(10, dtype=np.float32)
    learning_rate, training_epochs, batch_size = 0.5, 3, 100
    logs_path = str(tmp_path / "tensorflow_logs" / "example")

    x = tf.placeholder(tf.float32, [None, 64], name="InputData")
    y = tf.placeholder(tf.float32, [None, 10], name="LabelData")
    W = tf.Variable(tf.zeros([64, 10]), name="Weights")
    b = tf.Variable(tf.zeros([10]), name="Bias")
    with tf.name_scope("Model"):
        pred = tf.nn.softmax(tf.matmul(x, W) + b)
    with tf.name_scope("Loss"):
        cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred + 1e-9), reduction_indices=1))
    with tf.name_scope("SGD"):
        optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(cost)
    with tf.name_scope("Accuracy"):
        acc = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
        acc = tf.reduce_mean(tf.cast(acc, tf.float32))
    init = tf.global_variables_initializer()
    tf.summary.scalar("loss", cost)
    tf.summary.scalar("accuracy", acc)
    merged_summary_op = tf.summary.merge_all()

    with tf.Session() as sess:
        sess.run(init)
        summary_writer = tf.summary.FileWriter(logs_path, graph=tf.get_default_graph())
        total_batch = len(x_train) // batch_size
        for epoch in range(training_epochs):
            for i in range(total_batch):
                sl = slice(i * batch_size, (i + 1) * batch_size)
                _, c, summary = sess.run([optimizer, cost, merged_summary_op],
                                         feed_dict={x: x_train[sl], y: onehot[y_train[sl]]})
                summary_writer.add_summary(summary, epoch * total_batch + i)
        accuracy = acc.eval({x: x_test, y: onehot[y_test]})
        summary_writer.close()
    assert accuracy > 0.8

    board = _accumulator(logs_path)
    # Names are unique case-insensitively: the "Loss" scope makes the summary "loss_1" (as in
    # TensorFlow).
    assert sorted(board.Tags()["scalars"]) == ["accuracy_1", "loss_1"]
    losses = board.Scalars("loss_1")
    assert [s.step for s in losses] == list(range(training_epochs * total_batch))
    assert losses[-1].value < losses[0].value
    _, gd = _graphs_tab(logs_path, ".")
    tree = _hierarchy(gd)
    assert {"Model", "Loss", "SGD", "Accuracy", "InputData", "LabelData", "Weights",
            "Bias"} <= set(tree)
