"""``tf.contrib.predictor`` (TF 1.x): a SavedModel (or an Estimator's export) as a callable,
``predictor({input key: value}) -> {output key: value}``, over one of its signatures, in a
session of its own."""

from __future__ import annotations

from .. import saved_model as _sm
from ..graph import Graph

__all__ = ["Predictor", "from_estimator", "from_saved_model"]


class Predictor:
    """Runs ``fetch_tensors`` for a dict fed by the ``feed_tensors``' keys."""

    def __init__(self, graph, session, feed_tensors, fetch_tensors):
        self._graph, self._session = graph, session
        self._feed_tensors, self._fetch_tensors = feed_tensors, fetch_tensors

    graph = property(lambda self: self._graph)
    session = property(lambda self: self._session)
    feed_tensors = property(lambda self: self._feed_tensors)
    fetch_tensors = property(lambda self: self._fetch_tensors)

    def __call__(self, input_dict):
        unknown = sorted(set(input_dict) - set(self._feed_tensors))
        if unknown:
            raise ValueError(f"Unknown input keys {unknown}; the signature's inputs are "
                             f"{sorted(self._feed_tensors)}")
        feed = {self._feed_tensors[k]: v for k, v in input_dict.items()}
        return self._session.run(self._fetch_tensors, feed_dict=feed)

    def __repr__(self):
        return (f"{type(self).__name__} with feed tensors {sorted(self._feed_tensors)} and "
                f"fetch_tensors {sorted(self._fetch_tensors)}")


def _signature(meta_graph_def, signature_def_key, signature_def):
    if signature_def is not None:
        return signature_def
    key = signature_def_key or _sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    signatures = meta_graph_def.signature_def
    if key not in signatures:
        raise ValueError(f"Got signature_def_key '{key}'. Available signatures are "
                         f"{sorted(signatures)}. Original error:\nNo SignatureDef with key "
                         f"'{key}' found in MetaGraphDef.")
    return signatures[key]


def from_saved_model(export_dir, signature_def_key=None, signature_def=None, input_names=None,
                     output_names=None, tags=None, graph=None, config=None):
    """A Predictor over ``export_dir``'s SavedModel (tags ``serve`` by default) and its
    ``signature_def_key`` signature (``serving_default``), or explicit tensor names."""
    from ..session import Session

    if signature_def_key is not None and signature_def is not None:
        raise ValueError("Cannot specify both signature_def_key and signature_def.")
    if (input_names is None) != (output_names is None):
        raise ValueError("input_names and output_names must both be given or both be None.")
    graph = graph or Graph()
    session = Session(graph=graph, config=config)
    with graph.as_default():
        meta_graph_def = _sm.loader.load(session, tags or [_sm.SERVING], export_dir)
        if input_names is None:
            sig = _signature(meta_graph_def, signature_def_key, signature_def)
            input_names = {k: v.name for k, v in sig.inputs.items()}
            output_names = {k: v.name for k, v in sig.outputs.items()}
        feeds = {k: graph.get_tensor_by_name(v) for k, v in input_names.items()}
        fetches = {k: graph.get_tensor_by_name(v) for k, v in output_names.items()}
    return Predictor(graph, session, feeds, fetches)


def from_estimator(estimator, serving_input_receiver_fn, output_key=None, graph=None,
                   config=None):
    """A Predictor over ``estimator``'s export (made in a temporary directory) for
    ``serving_input_receiver_fn``; ``output_key`` picks the export output's signature."""
    import tempfile

    with tempfile.TemporaryDirectory() as base:
        export_dir = estimator.export_saved_model(base, serving_input_receiver_fn)
        if isinstance(export_dir, bytes):
            export_dir = export_dir.decode()
        return from_saved_model(export_dir, signature_def_key=output_key, graph=graph,
                                config=config)
