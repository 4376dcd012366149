"""``tf.contrib.tensorboard.plugins.projector`` (TF 1.15; TensorBoard's
``tensorboard.plugins.projector``): the embedding projector's configuration::

    config = projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = embedding_var.name
    emb.metadata_path = "metadata.tsv"
    projector.visualize_embeddings(summary_writer, config)  # <logdir>/projector_config.pbtxt

``ProjectorConfig``, ``EmbeddingInfo`` and ``SpriteMetadata`` are the message classes of
``minitf.protos.projector_config_pb2`` (wire- and text-compatible with TensorBoard's), resolved
on first use: core does not import the protos package (core/_protos.py).

TensorBoard's projector reads the embedding from the logdir's checkpoint with TF's reader, so
save it with ``tf.train.Saver(..., write_version=tf.train.SaverDef.V2)``: minitf's default
``.npz`` checkpoints are not TensorFlow's format.
"""

from __future__ import annotations

import importlib
import os

from google.protobuf import text_format
from google.protobuf.message import Message

from .... import gfile
from ...._protos import lazy_classes

# (ProjectorConfig, EmbeddingInfo, SpriteMetadata are resolved by the module __getattr__ below.)
__all__ = ["PROJECTOR_FILENAME", "visualize_embeddings"]

# The file name TensorBoard's projector plugin looks for in each run directory.
PROJECTOR_FILENAME = "projector_config.pbtxt"

_PROTOS_MODULE = "projector_config_pb2"
_CLASSES = ("ProjectorConfig", "EmbeddingInfo", "SpriteMetadata")
_classes = lazy_classes(__name__, dict.fromkeys(_CLASSES, _PROTOS_MODULE))


def __getattr__(name):
    # TF1 code also imports the generated module itself:
    # ``from tensorflow.contrib.tensorboard.plugins.projector import projector_config_pb2``.
    if name == _PROTOS_MODULE:
        return importlib.import_module(f"minitf.protos.{_PROTOS_MODULE}")
    return _classes(name)


def __dir__():
    return sorted([*__all__, *_CLASSES, _PROTOS_MODULE])


def visualize_embeddings(summary_writer, config) -> None:
    """Writes ``config`` (a ``ProjectorConfig``) as text-format protobuf to
    ``<logdir>/projector_config.pbtxt``, where TensorBoard's projector reads it.

    ``summary_writer`` is a ``tf.summary.FileWriter`` (anything with ``get_logdir()``); as in
    TensorBoard's version, a logdir path is accepted too. Raises ValueError when the writer has
    no logdir, TypeError for anything else.
    """
    if isinstance(summary_writer, (str, bytes, os.PathLike)):
        logdir = os.fsdecode(summary_writer)
    elif callable(getattr(summary_writer, "get_logdir", None)):
        logdir = summary_writer.get_logdir()
        if logdir is None:
            raise ValueError("Summary writer must have a logdir")
    else:
        raise TypeError(
            "visualize_embeddings: summary_writer must be a tf.summary.FileWriter (an object "
            f"with get_logdir()) or a logdir path, got {type(summary_writer).__name__}")
    # Any ProjectorConfig message will do (ours or TensorBoard's own class): the text is the same.
    if not (isinstance(config, Message) and config.DESCRIPTOR.name == "ProjectorConfig"):
        raise TypeError(
            "visualize_embeddings: config must be a projector.ProjectorConfig, got "
            f"{type(config).__name__}")
    with gfile.GFile(os.path.join(logdir, PROJECTOR_FILENAME), "w") as f:
        f.write(text_format.MessageToString(config))
