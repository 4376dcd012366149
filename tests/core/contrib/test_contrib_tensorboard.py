"""tf.contrib.tensorboard.plugins.projector: the config messages against hand-encoded wire bytes
and TensorBoard's own projector_config_pb2 (descriptors, bytes, text), visualize_embeddings
writing a projector_config.pbtxt that parses back (and that TensorBoard's projector plugin
serves together with a minitf checkpoint), and the errors."""

import json
import os

import numpy as np
import pytest
from google.protobuf import text_format

import minitf as tf
from minitf.contrib.tensorboard.plugins import projector


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _tensorboard_pb2():
    return pytest.importorskip("tensorboard.plugins.projector.projector_config_pb2")


def _fill(pb2):
    """Every field of ProjectorConfig set, built from module ``pb2``'s classes (ours or
    TensorBoard's)."""
    config = pb2.ProjectorConfig(model_checkpoint_path="run/model.ckpt-100",
                                 model_checkpoint_dir="run")
    emb = config.embeddings.add()
    emb.tensor_name = "embedding/word_embeddings:0"
    emb.metadata_path = "metadata.tsv"
    emb.bookmarks_path = "bookmarks.txt"
    emb.tensor_shape.extend([10000, 128])
    emb.sprite.image_path = "sprite.png"
    emb.sprite.single_image_dim.extend([28, 28])
    emb.tensor_path = "tensors.tsv"
    config.embeddings.add(tensor_name="other", metadata_path="labels.tsv")
    return config


def test_namespace_and_classes():
    assert tf.contrib.tensorboard.plugins.projector is projector
    from minitf.contrib.tensorboard.plugins.projector import projector_config_pb2

    assert projector.ProjectorConfig is projector_config_pb2.ProjectorConfig
    assert projector.EmbeddingInfo is projector_config_pb2.EmbeddingInfo
    assert projector.SpriteMetadata is projector_config_pb2.SpriteMetadata
    assert projector.PROJECTOR_FILENAME == "projector_config.pbtxt"
    with pytest.raises(AttributeError, match="EmbeddingMetadata"):
        projector.EmbeddingMetadata  # noqa: B018 - TensorBoard's, not TF 1.15 contrib's


def test_wire_bytes_by_hand():
    """Field numbers and types from the .proto, encoded by hand (uint32 lists are packed in
    proto3): model_checkpoint_path 1, embeddings 2 {tensor_name 1, sprite 5
    {single_image_dim 2}}, model_checkpoint_dir 3."""
    config = projector.ProjectorConfig(model_checkpoint_path="a", model_checkpoint_dir="d")
    config.embeddings.add(tensor_name="t").sprite.single_image_dim.extend([28, 300])
    sprite = b"\x12\x03\x1c\xac\x02"  # field 2, packed varints 28, 300
    embedding = b"\x0a\x01t" + b"\x2a" + bytes([len(sprite)]) + sprite
    want = b"\x0a\x01a" + b"\x12" + bytes([len(embedding)]) + embedding + b"\x1a\x01d"
    assert config.SerializeToString() == want
    info = projector.EmbeddingInfo(metadata_path="m", bookmarks_path="b", tensor_shape=[3, 2],
                                   tensor_path="p")
    assert info.SerializeToString() == b"\x12\x01m\x1a\x01b\x22\x02\x03\x02\x32\x01p"


def test_descriptors_match_tensorboard():
    theirs = _tensorboard_pb2()
    from minitf.contrib.tensorboard.plugins.projector import projector_config_pb2 as ours

    for name in ("ProjectorConfig", "EmbeddingInfo", "SpriteMetadata"):
        a = getattr(ours, name).DESCRIPTOR
        b = getattr(theirs, name).DESCRIPTOR

        def fields(d):
            return [(f.name, f.number, f.type, f.is_repeated,
                     f.message_type.name if f.message_type else None) for f in d.fields]
        assert fields(a) == fields(b), name
    assert ours.DESCRIPTOR.package == "minitf." + theirs.DESCRIPTOR.package


def test_wire_and_text_match_tensorboard():
    theirs = _tensorboard_pb2()
    ours_config, their_config = _fill(projector), _fill(theirs)
    data = ours_config.SerializeToString()
    assert data == their_config.SerializeToString()
    assert theirs.ProjectorConfig.FromString(data) == their_config
    assert projector.ProjectorConfig.FromString(their_config.SerializeToString()) == ours_config
    assert text_format.MessageToString(ours_config) == text_format.MessageToString(their_config)


def test_pbtxt_is_the_text_format_by_hand(tmp_path):
    config = projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = "emb:0"
    emb.metadata_path = "metadata.tsv"
    emb.sprite.image_path = "sprite.png"
    emb.sprite.single_image_dim.extend([28, 28])
    projector.visualize_embeddings(str(tmp_path), config)
    assert (tmp_path / "projector_config.pbtxt").read_text() == (
        'embeddings {\n'
        '  tensor_name: "emb:0"\n'
        '  metadata_path: "metadata.tsv"\n'
        '  sprite {\n'
        '    image_path: "sprite.png"\n'
        '    single_image_dim: 28\n'
        '    single_image_dim: 28\n'
        '  }\n'
        '}\n')


def _tutorial_logdir(logdir):
    """The TF1 word2vec tutorial's ending: save the embedding variable, write its metadata and
    the projector config through the FileWriter. Returns (config, embedding values)."""
    values = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    with tf.variable_scope("embedding"):
        embeddings = tf.get_variable("word_embeddings", initializer=values)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(logdir, sess.graph)
        # TensorFlow's checkpoint format (TF1's default; minitf's default is its own .npz),
        # so that TensorBoard can read it.
        tf.train.Saver(write_version=tf.train.SaverDef.V2).save(
            sess, os.path.join(logdir, "model.ckpt"))
    with open(os.path.join(logdir, "metadata.tsv"), "w") as f:
        f.write("".join(f"word{i}\n" for i in range(len(values))))
    config = projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = embeddings.name
    emb.metadata_path = "metadata.tsv"
    emb.sprite.image_path = "sprite.png"
    emb.sprite.single_image_dim.extend([28, 28])
    projector.visualize_embeddings(writer, config)
    writer.close()
    return config, values


def test_visualize_embeddings_with_file_writer(tmp_path):
    config, _ = _tutorial_logdir(str(tmp_path))
    path = tmp_path / projector.PROJECTOR_FILENAME
    parsed = text_format.Parse(path.read_text(), projector.ProjectorConfig())
    assert parsed == config
    assert parsed.embeddings[0].tensor_name == "embedding/word_embeddings:0"
    # Every field survives the text round trip.
    full = _fill(projector)
    projector.visualize_embeddings(tf.summary.FileWriter(str(tmp_path / "b")), full)
    assert text_format.Parse((tmp_path / "b" / projector.PROJECTOR_FILENAME).read_text(),
                             projector.ProjectorConfig()) == full


def test_visualize_embeddings_accepts_tensorboards_config(tmp_path):
    theirs = _tensorboard_pb2()
    projector.visualize_embeddings(tf.summary.FileWriter(str(tmp_path)), _fill(theirs))
    text = (tmp_path / projector.PROJECTOR_FILENAME).read_text()
    assert text_format.Parse(text, projector.ProjectorConfig()) == _fill(projector)


def test_tensorboard_projector_plugin_reads_the_logdir(tmp_path, monkeypatch):
    """TensorBoard's own plugin finds the config, the checkpoint beside it (read by TensorFlow)
    and serves the embedding's values and metadata."""
    tensorflow = pytest.importorskip("tensorflow")
    pytest.importorskip("werkzeug")
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.projector import projector_plugin
    from werkzeug.test import Client

    # tests/tensorboard's conftest makes TensorBoard use its TF stub (no checkpoints) for the
    # whole session; the plugin reads checkpoints with the real one.
    monkeypatch.setattr(projector_plugin, "tf", tensorflow)

    _, values = _tutorial_logdir(str(tmp_path))

    class _NoRuns:  # the logdir itself is the run "."
        def list_runs(self, ctx, experiment_id):
            return []

    plugin = projector_plugin.ProjectorPlugin(
        base_plugin.TBContext(logdir=str(tmp_path), data_provider=_NoRuns()))
    config = json.loads(Client(plugin._serve_config).get("/?run=.").get_data())
    (emb,) = config["embeddings"]
    assert emb["tensorName"] == "embedding/word_embeddings"  # the plugin drops ":0"
    assert emb["tensorShape"] == [6, 4]
    assert emb["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [28, 28]}
    served = Client(plugin._serve_tensor).get("/?run=.&name=embedding/word_embeddings")
    assert served.status_code == 200, served.get_data(as_text=True)
    np.testing.assert_array_equal(
        np.frombuffer(served.get_data(), np.float32).reshape(values.shape), values)
    labels = Client(plugin._serve_metadata).get("/?run=.&name=embedding/word_embeddings")
    assert labels.get_data(as_text=True).split() == [f"word{i}" for i in range(6)]


def test_errors_name_what_is_wrong(tmp_path):
    config = projector.ProjectorConfig()
    with pytest.raises(TypeError, match=r"summary_writer.*get_logdir.*got object"):
        projector.visualize_embeddings(object(), config)

    class _NoLogdir:
        def get_logdir(self):
            return None

    with pytest.raises(ValueError, match="must have a logdir"):
        projector.visualize_embeddings(_NoLogdir(), config)
    writer = tf.summary.FileWriter(str(tmp_path))
    with pytest.raises(TypeError, match=r"config must be a projector\.ProjectorConfig.*dict"):
        projector.visualize_embeddings(writer, {"embeddings": []})
    with pytest.raises(TypeError, match="got EmbeddingInfo"):
        projector.visualize_embeddings(writer, projector.EmbeddingInfo())
    assert not (tmp_path / projector.PROJECTOR_FILENAME).exists()
    with pytest.raises(tf.errors.NotFoundError, match="missing"):
        projector.visualize_embeddings(str(tmp_path / "missing"), config)
    writer.close()
