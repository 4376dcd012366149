"""TF1's signature helpers (``tf.saved_model.utils`` and ``signature_def_utils``): TensorInfo
and SignatureDef protos built from a graph's tensors, and read back into tensors.
export/tf1_saved_model.py uses and re-exports them."""

from __future__ import annotations

from minitf.errors import UnimplementedError
from minitf.graph import Tensor, get_default_graph
from minitf.protos import meta_graph_pb2

from .tensors import make_tensor_proto, shape_to_proto

from minitf.saved_model import (CLASSIFY_INPUTS, CLASSIFY_METHOD_NAME, CLASSIFY_OUTPUT_CLASSES,
                                CLASSIFY_OUTPUT_SCORES, PREDICT_METHOD_NAME, REGRESS_INPUTS,
                                REGRESS_METHOD_NAME, REGRESS_OUTPUTS)


# -- signatures ---------------------------------------------------------------------------------
def build_tensor_info(tensor) -> meta_graph_pb2.TensorInfo:
    """``tf.saved_model.utils.build_tensor_info``: a dense tensor's name, dtype and shape; a
    SparseTensor's as TF writes it: ``coo_sparse`` naming its three tensors, with the values'
    dtype and the static dense shape."""
    from minitf.ref_variable import Variable
    from minitf.sparse_tensor import SparseTensor

    if isinstance(tensor, Variable):  # TF names the variable's own output ("W:0")
        tensor = tensor._ref()
    if isinstance(tensor, SparseTensor):
        info = meta_graph_pb2.TensorInfo(dtype=tensor.dtype.as_datatype_enum)
        shape_to_proto(tensor.get_shape(), info.tensor_shape)
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        return info
    if not isinstance(tensor, Tensor):
        # TF writes other composites (RaggedTensor...) as a ``composite_tensor`` TypeSpecProto
        # plus components; minitf's loaders and server cannot read those back.
        raise TypeError(f"build_tensor_info needs a Tensor or SparseTensor, got "
                        f"{type(tensor).__name__} (composite tensors, which TF encodes as "
                        "TensorInfo.composite_tensor, are not supported: pass their component "
                        "tensors, e.g. a RaggedTensor's flat_values and row_splits, as separate "
                        "signature entries)")
    info = meta_graph_pb2.TensorInfo(name=tensor.name, dtype=tensor.dtype.as_datatype_enum)
    shape_to_proto(tensor.shape, info.tensor_shape)
    return info


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """``tf.saved_model.utils.get_tensor_from_tensor_info``: the Tensor a TensorInfo names,
    or the SparseTensor of its three tensors (``coo_sparse``)."""
    from minitf.sparse_tensor import SparseTensor

    graph = graph or get_default_graph()

    def tensor(name):
        return graph.get_tensor_by_name(f"{import_scope}/{name}" if import_scope else name)

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return tensor(tensor_info.name)
    if encoding == "coo_sparse":
        coo = tensor_info.coo_sparse
        with graph.as_default():  # (its name scope, not the caller's default graph's)
            return SparseTensor(tensor(coo.indices_tensor_name), tensor(coo.values_tensor_name),
                                tensor(coo.dense_shape_tensor_name))
    if encoding == "composite_tensor":
        spec = tensor_info.composite_tensor.type_spec
        raise UnimplementedError(None, None, f"TensorInfo of a composite tensor "
                                 f"({spec.type_spec_class_name or 'TypeSpec'} with "
                                 f"{len(tensor_info.composite_tensor.components)} components) "
                                 "is not supported: only dense and coo_sparse TensorInfos are")
    raise ValueError(f"Invalid TensorInfo.encoding: {encoding}")


def _tensor_map(key, what, infos, graph) -> dict:
    """alias -> tensor of a SignatureDef's inputs or outputs, a coo_sparse entry as its three
    tensors under internal aliases (``_sparse_alias``), so they are frozen like any other."""
    out = {}
    for alias, info in infos.items():
        encoding = info.WhichOneof("encoding")
        if encoding == "coo_sparse":
            coo = info.coo_sparse
            for part, name in zip(_SPARSE_PARTS, (coo.indices_tensor_name,
                                                  coo.values_tensor_name,
                                                  coo.dense_shape_tensor_name)):
                out[_sparse_alias(alias, part)] = graph.get_tensor_by_name(name)
        elif encoding == "name":
            out[alias] = graph.get_tensor_by_name(info.name)
        else:
            raise UnimplementedError(None, None, f"signature '{key}' {what} '{alias}' is a "
                                     f"{encoding or 'empty'} TensorInfo: minitf saves dense and "
                                     "coo_sparse (SparseTensor) signature entries only")
    return out


_SPARSE_PARTS = ("indices", "values", "dense_shape")


def _sparse_alias(alias, part) -> str:
    return f"\0sparse\0{alias}\0{part}"  # no SignatureDef's alias: a component's


def _signature_def(sd, ins, outs) -> meta_graph_pb2.SignatureDef:
    """``sd`` over the frozen graph: each entry names the frozen tensors (``ins``/``outs``,
    alias -> tensor, a sparse entry's components under ``_sparse_alias``)."""
    out = meta_graph_pb2.SignatureDef(method_name=sd.method_name)
    for field, infos, tensors in (("inputs", sd.inputs, ins), ("outputs", sd.outputs, outs)):
        for alias, info in infos.items():
            new = getattr(out, field)[alias]
            if info.WhichOneof("encoding") == "coo_sparse":
                parts = [tensors[_sparse_alias(alias, p)] for p in _SPARSE_PARTS]
                new.dtype = parts[1].dtype.as_datatype_enum
                new.tensor_shape.CopyFrom(info.tensor_shape)  # the static dense shape
                new.coo_sparse.indices_tensor_name = parts[0].name
                new.coo_sparse.values_tensor_name = parts[1].name
                new.coo_sparse.dense_shape_tensor_name = parts[2].name
            else:
                t = tensors[alias]
                new.name, new.dtype = t.name, t.dtype.as_datatype_enum
                shape_to_proto(t.shape, new.tensor_shape)
    for alias, default in sd.defaults.items():
        out.defaults[alias].CopyFrom(default)
    return out


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None
                        ) -> meta_graph_pb2.SignatureDef:
    """``tf.saved_model.signature_def_utils.build_signature_def`` from TensorInfo maps.
    ``defaults`` (alias -> value an omitted input takes): as TF's, a Const tensor (its value)
    or a value (TF's eager tensor; here an array or Python value), or a TensorProto."""
    sd = meta_graph_pb2.SignatureDef()
    for field, infos in (("inputs", inputs), ("outputs", outputs)):
        for alias, info in (infos or {}).items():
            getattr(sd, field)[alias].CopyFrom(info)
    if method_name is not None:
        sd.method_name = method_name
    for alias, default in (defaults or {}).items():
        if isinstance(default, Tensor):
            if default.op.type != "Const":  # TF's words
                raise ValueError(f"Unable to convert object {default} of type "
                                 f"{type(default)} to TensorProto.")
            default = make_tensor_proto(default.op._get_attr("value"), default.dtype)
        elif not hasattr(default, "tensor_shape"):  # (a TensorProto is copied as is)
            default = make_tensor_proto(default)
        sd.defaults[alias].CopyFrom(default)
    return sd


def predict_signature_def(inputs, outputs) -> meta_graph_pb2.SignatureDef:
    """``tf.saved_model.signature_def_utils.predict_signature_def``: alias -> tensor maps."""
    if inputs is None or not inputs:
        raise ValueError("Prediction inputs cannot be None or empty.")
    if outputs is None or not outputs:
        raise ValueError("Prediction outputs cannot be None or empty.")
    return build_signature_def({a: build_tensor_info(t) for a, t in inputs.items()},
                               {a: build_tensor_info(t) for a, t in outputs.items()},
                               PREDICT_METHOD_NAME)


def classification_signature_def(examples, classes, scores) -> meta_graph_pb2.SignatureDef:
    """``signature_def_utils.classification_signature_def``: serialized tf.Examples in,
    class names and/or scores out (TF Serving's Classify API)."""
    from minitf import dtypes as _dt

    if examples is None or not isinstance(examples, Tensor) or examples.dtype != _dt.string:
        raise ValueError("Classification examples must be a string Tensor.")
    if classes is None and scores is None:
        raise ValueError("Classification classes and scores cannot both be None.")
    outputs = {}
    if classes is not None:
        if classes.dtype != _dt.string:
            raise ValueError("Classification classes must be a string Tensor.")
        outputs[CLASSIFY_OUTPUT_CLASSES] = build_tensor_info(classes)
    if scores is not None:
        if not scores.dtype.is_floating:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[CLASSIFY_OUTPUT_SCORES] = build_tensor_info(scores)
    return build_signature_def({CLASSIFY_INPUTS: build_tensor_info(examples)}, outputs,
                               CLASSIFY_METHOD_NAME)


def regression_signature_def(examples, predictions) -> meta_graph_pb2.SignatureDef:
    """``signature_def_utils.regression_signature_def``: serialized tf.Examples in, float
    predictions out (TF Serving's Regress API)."""
    from minitf import dtypes as _dt

    if examples is None or not isinstance(examples, Tensor) or examples.dtype != _dt.string:
        raise ValueError("Regression examples must be a string Tensor.")
    if predictions is None or not isinstance(predictions, Tensor) or \
            not predictions.dtype.is_floating:
        raise ValueError("Regression predictions must be a float Tensor.")
    return build_signature_def({REGRESS_INPUTS: build_tensor_info(examples)},
                               {REGRESS_OUTPUTS: build_tensor_info(predictions)},
                               REGRESS_METHOD_NAME)


def is_valid_signature(signature_def) -> bool:
    """Whether a predict signature names at least one input and one output (dense or
    coo_sparse, each with a dtype), or a classify/regress signature has TF Serving's keys and
    dtypes."""
    from minitf.protos import types_pb2

    if not isinstance(signature_def, meta_graph_pb2.SignatureDef):
        return False
    ins, outs = signature_def.inputs, signature_def.outputs
    if not all(i.WhichOneof("encoding") in ("name", "coo_sparse") and i.dtype
               for i in (*ins.values(), *outs.values())):
        return False
    floats = {types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_HALF}
    examples_in = set(ins) == {CLASSIFY_INPUTS} and ins[CLASSIFY_INPUTS].dtype == \
        types_pb2.DT_STRING
    method = signature_def.method_name
    if method == PREDICT_METHOD_NAME:
        return bool(ins and outs)
    if method == CLASSIFY_METHOD_NAME:
        return examples_in and bool(outs) and set(outs) <= {
            CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES} and (
            CLASSIFY_OUTPUT_CLASSES not in outs or
            outs[CLASSIFY_OUTPUT_CLASSES].dtype == types_pb2.DT_STRING) and (
            CLASSIFY_OUTPUT_SCORES not in outs or outs[CLASSIFY_OUTPUT_SCORES].dtype in floats)
    if method == REGRESS_METHOD_NAME:
        return examples_in and set(outs) == {REGRESS_OUTPUTS} and \
            outs[REGRESS_OUTPUTS].dtype in floats
    return False


# -- writing ------------------------------------------------------------------------------------
