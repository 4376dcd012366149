"""SavedModels that TensorFlow 2 writes in TF1 graph mode (``disable_eager_execution``,
``simple_save``) with its while loops: minitf's ``tf.saved_model.loader.load`` + Session and
the model server answer as TensorFlow did.

TF2's control flow there is still v2: a while_loop is one functional ``While`` node (body and
cond in the function library) that the loader lowers to Enter/Merge/Switch/Exit frames, with
the resource variables the body reads passed through as loop variables; frozen, they carry
values, so every node after the loop that carried a handle must be retyped to the value's
dtype. Inside a Keras layer the loop also accumulates its intermediates on TensorLists, the
TensorLists it reads too: a list whose elements are lists (variant), which must not be taken
for strings (both are numpy object arrays here).

The files in data/tf2_v1_loops were written by TensorFlow 2.21
(data/generate_tf2_v1_loops_with_tensorflow.py) with TF's outputs for fixed inputs; these
tests read only those files, so they run without TensorFlow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.ops.list_gather_ops import TENSOR_LIST_PUSH_BACK
from minitf.ops.list_ops import EMPTY_TENSOR_LIST, TENSOR_LIST_LENGTH
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from ..serving.conftest import running_server
from ..serving.test_tf2_models import assert_tf_outputs

DATA = Path(__file__).resolve().parent / "data" / "tf2_v1_loops"
MODELS = ("while_variable", "keras_loop_layer", "keras_simple_rnn")


def input_sets(name) -> dict:
    """``{case: (inputs, TF's outputs)}`` from ``<name>.npz`` (case "" is the first set)."""
    out: dict = {}
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as z:
        for key in z.files:
            prefix, _, rest = key.rpartition("/")
            kind, _, alias = rest.partition(":")
            entry = out.setdefault(prefix.partition("@")[2], ({}, {}))
            entry[0 if kind == "in" else 1][alias] = z[key]
    return out


CASES = [(name, case) for name in MODELS for case in input_sets(name)]


@pytest.fixture(scope="module")
def loaded():
    """Each model loaded by ``tf.saved_model.loader.load`` into its own graph and Session."""
    sessions = {}
    for name in MODELS:
        sess = tf.Session(graph=tf.Graph())
        meta = tf.saved_model.loader.load(sess, ["serve"], str(DATA / name / "1"))
        sessions[name] = (sess, meta.signature_def["serving_default"])
    yield sessions
    for sess, _ in sessions.values():
        sess.close()


@pytest.mark.parametrize("name,case", CASES)
def test_loader_and_session_answer_as_tensorflow(loaded, name, case):
    sess, sig = loaded[name]
    inputs, want = input_sets(name)[case]
    got = sess.run({a: t.name for a, t in sig.outputs.items()},
                   {sig.inputs[a].name: v for a, v in inputs.items()})
    assert_tf_outputs(got, want, f"{name} {case or 'first'}")


@pytest.mark.parametrize("name", MODELS)
def test_the_whole_imported_graph_carries_values_not_handles(loaded, name):
    """Not only what the signature needs: the While's outputs that carried a variable's handle
    (and the Identity nodes TF put after them, typed DT_RESOURCE in the file) now carry its
    frozen float value, and no tensor in the graph is a resource any more."""
    sess, _ = loaded[name]
    ops = sess.graph.get_operations()
    assert not [t.name for op in ops for t in op.outputs if t.dtype == tf.resource]
    after_loop = [op for op in ops if op.type == "Identity" and "while/Identity" in op.name]
    assert after_loop
    carried = [op for op in after_loop if op.outputs[0].dtype == tf.float32
               and op.inputs[0].op.type == "IdentityN"]
    assert len(carried) >= 2 + (name == "keras_simple_rnn")  # the variables the body reads
    for op in carried:
        assert op.get_attr("T") == tf.float32


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The MODELS as a model server's base paths (version 1), batching off: their inputs
    (a trip count, whole sequences) are not rows to merge."""
    root = tmp_path_factory.mktemp("tf2_v1_loops")
    for name in MODELS:
        shutil.copytree(DATA / name / "1", root / name / "1")
    configs = [ModelConfig(name=name, base_path=str(root / name)) for name in MODELS]
    with running_server(configs, BatchingConfig(enabled=False), reflection=False) as (
            server, client):
        yield client


@pytest.mark.parametrize("name,case", CASES)
def test_served_answers_as_tensorflow(served, name, case):
    inputs, want = input_sets(name)[case]
    assert_tf_outputs(served.predict(name, inputs), want, f"served {name} {case or 'first'}")


# -- a list of lists: variant elements are not strings -------------------------------------------
def _list(dtype):
    return EMPTY_TENSOR_LIST(tf.constant(-1), tf.constant(-1), element_dtype=dtype)


def test_a_list_of_lists_takes_lists_and_refuses_strings():
    with tf.Graph().as_default(), tf.Session() as sess:
        outer = _list(tf.variant)
        two = TENSOR_LIST_PUSH_BACK(TENSOR_LIST_PUSH_BACK(outer, _list(tf.float32)),
                                    _list(tf.string))
        assert sess.run(TENSOR_LIST_LENGTH(two)) == 2
        with pytest.raises(InvalidArgumentError, match="op elements string but list "
                                                       "elements variant"):
            sess.run(TENSOR_LIST_PUSH_BACK(outer, tf.constant("a")))
        with pytest.raises(InvalidArgumentError, match="op elements variant but list "
                                                       "elements string"):
            sess.run(TENSOR_LIST_PUSH_BACK(_list(tf.string), _list(tf.float32)))
        strings = TENSOR_LIST_PUSH_BACK(_list(tf.string), tf.constant(["a", "b"]))
        assert sess.run(TENSOR_LIST_LENGTH(strings)) == 1
