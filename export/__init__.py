"""Freezing and TensorFlow-compatible serialisation: GraphDef files and SavedModel directories.

- ``freeze(sess, inputs, outputs)`` -> FrozenGraph (variables become Consts, pruned).
- ``save_model(export_dir, frozen_or_session, ...)`` / ``load_saved_model(path)``.
- ``write_graph_def(path, graph)`` / ``load_frozen_graph(path, inputs, outputs)``.
- ``graph_to_graph_def`` / ``import_graph_def``: Graph <-> GraphDef proto.
- ``meta_graph``: TF1 ``.meta`` files (MetaGraphDef), behind ``tf.train.export_meta_graph`` /
  ``import_meta_graph`` and ``Saver.save``.
"""

from .freeze import (PREDICT_METHOD, FrozenGraph, convert_variables_to_constants,  # noqa: F401
                     extract_sub_graph, freeze, freeze_from_checkpoint)
from .graph_def import (GRAPH_DEF_PRODUCER, graph_from_graph_def,  # noqa: F401
                        graph_to_graph_def, import_graph_def, node_def_of)
from .saved_model import (DEFAULT_SIGNATURE, SERVE_TAG, Model, Signature,  # noqa: F401
                          TensorInfo, load, load_frozen_graph, load_graph_def_file, save_model,
                          write_graph_def)
from .saved_model_load import load_saved_model  # noqa: F401
from .tensors import make_ndarray, make_tensor_proto  # noqa: F401
