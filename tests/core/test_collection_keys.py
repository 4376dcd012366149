"""Graph.get_all_collection_keys lists every collection made so far, empty ones too, as TF's:
get_collection_ref makes one, get_collection does not, clear_collection removes it, and only
string keys are listed. The expected lists are what tf.compat.v1 2.21 gave for the same calls
(checked again by the side-by-side test)."""

from __future__ import annotations

import minitf as tf
from tests.core.legacy_tf import tf_side_json

_STEPS = r"""
g = tf.Graph()
out = []
with g.as_default():
    out.append(g.get_all_collection_keys())
    tf.get_collection_ref("my_losses")
    out.append(g.get_all_collection_keys())
    tf.get_collection("other")
    out.append(g.get_all_collection_keys())
    tf.add_to_collection("a", 1)
    g.clear_collection("a")
    out.append(g.get_all_collection_keys())
    tf.get_collection_ref("b").append(2)
    del tf.get_collection_ref("b")[:]
    out.append(g.get_all_collection_keys())
    tf.add_to_collection(("not", "a", "string"), 3)
    out.append(g.get_all_collection_keys())
    meta = tf.train.export_meta_graph()
    out.append(sorted(meta.collection_def))
"""

WANT = [[], ["my_losses"], ["my_losses"], ["my_losses"], ["my_losses", "b"],
        ["my_losses", "b"], []]


def _ours():
    scope = {"tf": tf}
    exec(_STEPS, scope)  # the very calls the TF program makes
    return scope["out"]


def test_empty_collections_are_listed_as_tf():
    assert _ours() == WANT


def test_same_as_tensorflow():
    theirs = tf_side_json("import json\nimport tensorflow.compat.v1 as tf\n"
                          "tf.disable_eager_execution()\n" + _STEPS +
                          "print(json.dumps(out))", legacy_keras=False)
    assert theirs == WANT == _ours()
