"""SparseTensors in TF1 SavedModel signatures: ``build_tensor_info`` writes TF's ``coo_sparse``
TensorInfo, ``get_tensor_from_tensor_info`` rebuilds the SparseTensor, and a signature with
sparse inputs/outputs goes through simple_save / Builder / Estimator.export_saved_model to
minitf's and TensorFlow's loaders, which run it fed a SparseTensorValue. The references are
hand-computed (numpy) and real TensorFlow (``tensorflow.compat.v1`` in graph mode)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import minitf as tf
from minitf.errors import UnimplementedError
from minitf.export import load_saved_model
from minitf.protos import example_pb2, meta_graph_pb2

W = np.arange(10, dtype=np.float32).reshape(5, 2)
# Row 0 holds ids 1 and 2, row 1 id 4 (dense shape [2, 3]).
FEED = tf.SparseTensorValue(np.array([[0, 0], [0, 1], [1, 0]], np.int64),
                            np.array([1, 2, 4], np.int64), np.array([2, 3], np.int64))


def _embedding_sum(w, value):
    """embedding_lookup_sparse(w, value, None, combiner="sum"), by hand: per row, the sum of
    the rows of ``w`` its ids pick."""
    out = np.zeros((value.dense_shape[0], w.shape[1]), w.dtype)
    for (row, _), i in zip(value.indices, value.values):
        out[row] += w[i]
    return out


def _sparse_model(path, as_text=False):
    """A SavedModel (Builder) of ids (sparse) -> emb (dense) and twice (sparse)."""
    with tf.Graph().as_default():
        ids = tf.sparse_placeholder(tf.int64, [None, None], name="ids")
        w = tf.Variable(W, name="w")
        emb = tf.nn.embedding_lookup_sparse(w, ids, None, combiner="sum")
        twice = tf.SparseTensor(ids.indices, ids.values * 2, ids.dense_shape)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            builder = tf.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
                "serving_default": tf.saved_model.signature_def_utils.predict_signature_def(
                    {"ids": ids}, {"emb": emb, "twice": twice})})
            builder.save(as_text=as_text)
    return str(path)


def _run_minitf(path, signature="serving_default", alias="ids", feed=FEED, fetch="emb"):
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sd = meta.signature_def[signature]
        get = tf.saved_model.utils.get_tensor_from_tensor_info
        return sess.run({k: get(sd.outputs[k]) for k in (fetch if isinstance(fetch, tuple)
                                                         else (fetch,))},
                        {get(sd.inputs[alias]): feed})


def _run_tensorflow(path, signature="serving_default", alias="ids", fetch=("emb",)):
    """The signature loaded by TF's loader.load in a tf.Graph and run fed FEED."""
    real_tf = pytest.importorskip("tensorflow")
    tf1 = real_tf.compat.v1
    with real_tf.Graph().as_default(), tf1.Session() as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], path)
        sd = meta.signature_def[signature]
        get = tf1.saved_model.utils.get_tensor_from_tensor_info
        ids = get(sd.inputs[alias])
        assert isinstance(ids, tf1.SparseTensor)
        return sess.run({k: get(sd.outputs[k]) for k in fetch},
                        {ids: tf1.SparseTensorValue(*FEED)})


# -- TensorInfo ---------------------------------------------------------------------------------
def test_build_tensor_info_of_a_sparse_tensor():
    with tf.Graph().as_default():
        ids = tf.sparse_placeholder(tf.int64, [None, None], name="ids")
        info = tf.saved_model.utils.build_tensor_info(ids)
        unknown = tf.saved_model.utils.build_tensor_info(
            tf.sparse_placeholder(tf.float32, name="any"))
    expected = meta_graph_pb2.TensorInfo(dtype=tf.int64.as_datatype_enum)  # TF's, by hand
    expected.tensor_shape.dim.add().size = -1
    expected.tensor_shape.dim.add().size = -1
    expected.coo_sparse.indices_tensor_name = "ids/indices:0"
    expected.coo_sparse.values_tensor_name = "ids/values:0"
    expected.coo_sparse.dense_shape_tensor_name = "ids/shape:0"
    assert info == expected
    assert unknown.WhichOneof("encoding") == "coo_sparse"
    assert unknown.dtype == tf.float32.as_datatype_enum and unknown.tensor_shape.unknown_rank


def test_get_tensor_from_tensor_info_rebuilds_the_sparse_tensor():
    with tf.Graph().as_default() as g:
        ids = tf.sparse_placeholder(tf.int64, [None, 3], name="ids")
        info = tf.saved_model.utils.build_tensor_info(ids)
        back = tf.saved_model.utils.get_tensor_from_tensor_info(info)
        assert isinstance(back, tf.SparseTensor)
        assert (back.indices, back.values, back.dense_shape) == \
            (ids.indices, ids.values, ids.dense_shape)
        with tf.Session() as sess:
            out = sess.run(back, {back: FEED})
        np.testing.assert_array_equal(out.values, FEED.values)
        np.testing.assert_array_equal(out.indices, FEED.indices)
    with tf.Graph().as_default() as scoped:  # the names under import_scope, in ``graph``
        with tf.name_scope("m"):
            tf.sparse_placeholder(tf.int64, [None, 3], name="ids")
    got = tf.saved_model.utils.get_tensor_from_tensor_info(info, graph=scoped,
                                                           import_scope="m")
    assert got.values.graph is scoped and got.values.name == "m/ids/values:0"
    composite = meta_graph_pb2.TensorInfo()
    composite.composite_tensor.type_spec.type_spec_class_name = "RaggedTensorSpec"
    with pytest.raises(UnimplementedError, match="RaggedTensorSpec"):
        tf.saved_model.utils.get_tensor_from_tensor_info(composite, graph=g)
    with pytest.raises(ValueError, match="Invalid TensorInfo.encoding"):
        tf.saved_model.utils.get_tensor_from_tensor_info(meta_graph_pb2.TensorInfo(), graph=g)


def test_a_ragged_tensor_is_refused_by_name():
    # TF encodes it as TensorInfo.composite_tensor, which minitf cannot load back.
    with tf.Graph().as_default():
        rt = tf.RaggedTensor.from_row_splits(tf.placeholder(tf.float32, [None]),
                                             tf.placeholder(tf.int64, [None]))
        with pytest.raises(TypeError, match="got RaggedTensor.*composite_tensor"):
            tf.saved_model.utils.build_tensor_info(rt)


def test_predict_signature_def_with_sparse_entries_is_valid():
    with tf.Graph().as_default():
        ids = tf.sparse_placeholder(tf.int64, [None, None], name="ids")
        dense = tf.sparse.to_dense(ids)
        sd = tf.saved_model.signature_def_utils.predict_signature_def({"ids": ids},
                                                                      {"ids": ids, "d": dense})
    assert sd.inputs["ids"].WhichOneof("encoding") == "coo_sparse"
    assert sd.outputs["ids"] == sd.inputs["ids"]
    assert sd.outputs["d"].name == dense.name
    assert tf.saved_model.signature_def_utils.is_valid_signature(sd)


# -- writing and loading ------------------------------------------------------------------------
@pytest.mark.parametrize("as_text", [False, True])
def test_sparse_signature_saved_and_loaded(tmp_path, as_text):
    path = _sparse_model(tmp_path / "m", as_text)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sd = meta.signature_def["serving_default"]
        info = sd.inputs["ids"]
        assert info.WhichOneof("encoding") == "coo_sparse"
        assert (info.coo_sparse.indices_tensor_name, info.coo_sparse.values_tensor_name,
                info.coo_sparse.dense_shape_tensor_name) == \
            ("ids/indices:0", "ids/values:0", "ids/shape:0")
        assert info.dtype == tf.int64.as_datatype_enum
        assert [d.size for d in info.tensor_shape.dim] == [-1, -1]
        assert sd.outputs["twice"].WhichOneof("encoding") == "coo_sparse"
        assert sd.outputs["emb"].name == "embedding_lookup_sparse:0"
        get = tf.saved_model.utils.get_tensor_from_tensor_info
        ids = get(info)
        assert isinstance(ids, tf.SparseTensor)
        out = sess.run({k: get(sd.outputs[k]) for k in ("emb", "twice")}, {ids: FEED})
    np.testing.assert_allclose(out["emb"], _embedding_sum(W, FEED))
    assert isinstance(out["twice"], tf.SparseTensorValue)
    np.testing.assert_array_equal(out["twice"].values, FEED.values * 2)
    np.testing.assert_array_equal(out["twice"].indices, FEED.indices)
    np.testing.assert_array_equal(out["twice"].dense_shape, FEED.dense_shape)


def test_simple_save_with_a_sparse_input(tmp_path):
    with tf.Graph().as_default():
        ids = tf.sparse_placeholder(tf.int64, [None, None], name="ids")
        w = tf.Variable(W, name="w")
        emb = tf.nn.embedding_lookup_sparse(w, ids, None, combiner="sum")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, str(tmp_path / "m"), {"ids": ids}, {"emb": emb})
    out = _run_minitf(str(tmp_path / "m"))
    np.testing.assert_allclose(out["emb"], _embedding_sum(W, FEED))


def test_model_server_loader_names_the_sparse_input(tmp_path):
    # Every signature has sparse entries: nothing to serve, so the load fails naming one.
    # What ``minitf serve`` does with it (TF Serving's Predict takes dense inputs only).
    path = _sparse_model(tmp_path / "m")
    with pytest.raises(UnimplementedError, match="serving_default' input 'ids' is a sparse"):
        load_saved_model(path)


# -- Estimator ----------------------------------------------------------------------------------
def _model_fn(features, labels, mode):
    w = tf.get_variable("w", initializer=W)
    emb = tf.nn.embedding_lookup_sparse(w, features["ids"], None, combiner="sum")
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"emb": emb})
    loss = tf.reduce_sum(emb)
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss, tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=step)


def _train_input():
    ids = tf.SparseTensor(np.array([[0, 0], [1, 0]], np.int64), np.array([1, 3], np.int64),
                          np.array([2, 2], np.int64))
    return {"ids": ids}, tf.constant([0.0, 0.0])


def _sparse_receiver():
    ids = tf.sparse_placeholder(tf.int64, [None, None], name="ids")
    return tf.estimator.export.ServingInputReceiver({"ids": ids}, {"ids": ids})


def _parsing_receiver():
    serialized = tf.placeholder(tf.string, [None], name="input_example_tensor")
    features = tf.parse_example(serialized, {"ids": tf.VarLenFeature(tf.int64)})
    return tf.estimator.export.ServingInputReceiver(features, {"examples": serialized},
                                                    {"sparse": {"ids": features["ids"]}})


@pytest.fixture(scope="module")
def estimator_exports(tmp_path_factory):
    """(trained w, SavedModel of the sparse receiver, of the parsing one with its sparse
    alternative)."""
    base = tmp_path_factory.mktemp("estimator")
    est = tf.estimator.Estimator(_model_fn, str(base / "model"))
    est.train(_train_input, steps=1)
    sparse = est.export_saved_model(str(base / "export"), _sparse_receiver)
    time.sleep(1.05)  # (export directories are named by the second)
    parsing = est.export_saved_model(str(base / "export"), _parsing_receiver)
    w = est.get_variable_value("w")
    assert not np.allclose(w, W)  # the checkpoint's values are what is exported
    return w, sparse.decode(), parsing.decode()


def test_estimator_export_with_a_sparse_receiver(estimator_exports):
    w, path, _ = estimator_exports
    out = _run_minitf(path)
    np.testing.assert_allclose(out["emb"], _embedding_sum(w, FEED), rtol=1e-6)


def test_estimator_export_with_parsed_sparse_alternative(estimator_exports):
    w, _, path = estimator_exports
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        assert set(meta.signature_def) == {"serving_default", "sparse:serving_default"}
        assert meta.signature_def["sparse:serving_default"].inputs["ids"].WhichOneof(
            "encoding") == "coo_sparse"
    out = _run_minitf(path, "sparse:serving_default")
    np.testing.assert_allclose(out["emb"], _embedding_sum(w, FEED), rtol=1e-6)
    examples = []  # the same ids as tf.Examples, through the default signature
    for row in ([1, 2], [4]):
        ex = example_pb2.Example()
        ex.features.feature["ids"].int64_list.value.extend(row)
        examples.append(ex.SerializeToString())
    parsed = _run_minitf(path, alias="examples", feed=examples)
    np.testing.assert_allclose(parsed["emb"], out["emb"], rtol=1e-6)


def test_model_server_serves_the_dense_signature_beside_a_sparse_one(estimator_exports):
    from minitf.serving.servable import Servable

    w, _, path = estimator_exports
    model = load_saved_model(path)  # the sparse alternative is left out, not the model
    assert set(model.signatures) == {"serving_default"}
    assert "sparse:serving_default" in model.unserved  # (model metadata lists it)
    servable = Servable("m", 1, model, warm_up=False)
    with pytest.raises(tf.errors.FailedPreconditionError,
                       match="'sparse:serving_default' input 'ids' is a sparse or composite "
                       "tensor.*left out when the model loaded"):
        servable.signature("sparse:serving_default")
    ex = example_pb2.Example()
    ex.features.feature["ids"].int64_list.value.extend([1, 2])
    runner = servable.signature("serving_default")
    feeds = runner.validate({"examples": np.array([ex.SerializeToString()], dtype=object)})
    out = runner.run(feeds, ("emb",))
    np.testing.assert_allclose(out["emb"], [w[1] + w[2]], rtol=1e-6)


# -- TensorFlow ---------------------------------------------------------------------------------
def test_build_tensor_info_matches_tensorflow():
    real_tf = pytest.importorskip("tensorflow")
    tf1 = real_tf.compat.v1
    with real_tf.Graph().as_default():
        theirs = tf1.saved_model.utils.build_tensor_info(
            tf1.sparse_placeholder(real_tf.int64, [None, None], name="ids"))
    with tf.Graph().as_default():
        ours = tf.saved_model.utils.build_tensor_info(
            tf.sparse_placeholder(tf.int64, [None, None], name="ids"))
    assert ours.SerializeToString(deterministic=True) == \
        theirs.SerializeToString(deterministic=True)


@pytest.mark.parametrize("as_text", [False, True])
def test_tensorflow_runs_the_sparse_signature(tmp_path, as_text):
    path = _sparse_model(tmp_path / "m", as_text)
    theirs = _run_tensorflow(path, fetch=("emb", "twice"))
    ours = _run_minitf(path, fetch=("emb", "twice"))
    np.testing.assert_allclose(theirs["emb"], ours["emb"])
    np.testing.assert_allclose(theirs["emb"], _embedding_sum(W, FEED))
    for field in ("indices", "values", "dense_shape"):
        np.testing.assert_array_equal(getattr(theirs["twice"], field),
                                      getattr(ours["twice"], field))


def test_tensorflow_runs_the_estimator_exports(estimator_exports):
    w, sparse, parsing = estimator_exports
    for path, signature in ((sparse, "serving_default"), (parsing, "sparse:serving_default")):
        theirs = _run_tensorflow(path, signature)
        np.testing.assert_allclose(theirs["emb"], _run_minitf(path, signature)["emb"],
                                   rtol=1e-6)
        np.testing.assert_allclose(theirs["emb"], _embedding_sum(w, FEED), rtol=1e-6)
