"""The rest of ``tf.contrib.framework`` (TF 1.15): tensor checks (``assert_scalar_int``,
``remove_squeezable_dimensions``, ``with_same_shape``...), the deprecation decorators, name-scope
rewriting, ``smart_cond``/``smart_case``, contrib's ``py_func`` (nested outputs, kwargs,
shapes), ``zero_initializer``, ``fuse_op``/``get_placeholders`` and the tensor specs; most of
them re-exports of TF core that contrib kept, as here of minitf's."""

from __future__ import annotations

import functools
import re

from .. import dtypes as _dt
from ..check_ops import assert_same_float_dtype, assert_scalar, is_numeric_tensor
from ..composites import argsort, sort
from ..control_flow import cond
from ..graph import Graph, control_dependencies, convert_to_tensor, get_default_graph, name_scope
from ..math_extra import is_non_decreasing, is_strictly_increasing
from ..ops import array_ops, concat_split_ops, logging_ops, logic_ops, math_ops, reduction_ops
from ..ops import script_ops, transform_ops
from ..ops.zero_initializer_ops import ZERO_INITIALIZER, bind_variable_shape
from ..tensor import Operation, Tensor
from ..tensor_conversion import constant_value
from ..tensor_shape import as_shape
from ..tf_logging import warning as _warning
from ..type_spec_base import TensorSpec
from . import framework_nest as _nest
from .framework_deprecation import deprecated, deprecated_arg_values, deprecated_args  # noqa: F401
from .framework_initializers import (convolutional_delta_orthogonal,  # noqa: F401
                                     convolutional_orthogonal_1d, convolutional_orthogonal_2d,
                                     convolutional_orthogonal_3d)

__all__ = [
    "assert_same_float_dtype", "assert_scalar", "assert_scalar_int", "get_graph_from_inputs",
    "is_numeric_tensor", "is_non_decreasing", "is_strictly_increasing",
    "remove_squeezable_dimensions", "with_same_shape", "deprecated", "deprecated_args",
    "deprecated_arg_values", "prepend_name_scope", "strip_name_scope", "fuse_op",
    "get_placeholders", "convolutional_delta_orthogonal", "convolutional_orthogonal_1d",
    "convolutional_orthogonal_2d", "convolutional_orthogonal_3d", "zero_initializer",
    "argsort", "py_func", "sort", "smart_cond", "smart_constant_value", "smart_case",
    "BoundedTensorSpec", "TensorSpec"]


# -- tensor checks --------------------------------------------------------------------------------
def assert_scalar_int(tensor, name=None):
    """``tensor`` if it is a 0-D int32 or int64 (``assert_scalar``); ValueError otherwise."""
    with name_scope(name, "assert_scalar_int", [tensor]) as scope:
        tensor = convert_to_tensor(tensor)
        if not tensor.dtype.base_dtype.is_integer:
            raise ValueError(f"Expected integer type for {tensor.name}, received type: "
                             f"{tensor.dtype}.")
        return assert_scalar(tensor, name=scope)


def remove_squeezable_dimensions(predictions, labels, name=None):
    """(predictions, labels) with the last dimension of the one of higher rank squeezed out
    when their ranks differ by one (statically known ranks; else decided at run time)."""
    with name_scope(name, "remove_squeezable_dimensions", [predictions, labels]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        p_rank, l_rank = predictions.shape.rank, labels.shape.rank
        if p_rank is not None and l_rank is not None:
            if p_rank - l_rank == -1:
                labels = transform_ops.squeeze(labels, [-1])
            elif p_rank - l_rank == 1:
                predictions = transform_ops.squeeze(predictions, [-1])
            return predictions, labels
        rank_diff = array_ops.rank(predictions) - array_ops.rank(labels)
        if p_rank is None or predictions.shape[-1].is_compatible_with(1):
            p = predictions
            predictions = cond(logic_ops.equal(1, rank_diff),
                               lambda: transform_ops.squeeze(p, [-1]), lambda: p)
        if l_rank is None or labels.shape[-1].is_compatible_with(1):
            lab = labels
            labels = cond(logic_ops.equal(-1, rank_diff),
                          lambda: transform_ops.squeeze(lab, [-1]), lambda: lab)
        return predictions, labels


def with_same_shape(expected_tensor, tensor):
    """``tensor`` checked (``with_shape``) against ``expected_tensor``'s shape: its static
    shape when fully known, else its run-time shape."""
    from .framework import with_shape

    with name_scope(f"{tensor.op.name}/", values=[expected_tensor, tensor]):
        shape = expected_tensor.shape
        expected = shape.as_list() if shape.is_fully_defined() else \
            array_ops.shape(expected_tensor, name="expected_shape")
        return with_shape(expected, tensor)


def get_graph_from_inputs(op_input_list, graph=None):
    """The graph of the tensors and operations in ``op_input_list`` (ValueError if they are
    from different graphs, or not from ``graph`` when given), else the default graph."""
    op_input_list = tuple(op_input_list)
    if graph is not None and not isinstance(graph, Graph):
        raise TypeError(f"Input graph needs to be a Graph: {graph}")
    original = None
    for op_input in op_input_list:
        element = op_input if isinstance(op_input, (Operation, Tensor)) else \
            getattr(op_input, "_as_graph_element", lambda: None)()
        if element is None:
            continue
        if graph is None:
            original, graph = element, element.graph
        elif original is not None:
            if element.graph is not original.graph:
                raise ValueError(f"{element} must be from the same graph as {original}.")
        elif element.graph is not graph:
            raise ValueError(f"{element} is not from the passed-in graph.")
    return graph or get_default_graph()


# -- name scopes in names (meta graph import/export) ----------------------------------------------
def strip_name_scope(name, export_scope):
    """``name`` without its leading ``export_scope/`` (after a '^' or 'loc:@' prefix too)."""
    if not export_scope:
        return name
    export_scope = export_scope[:-1] if export_scope[-1] == "/" else export_scope
    if isinstance(name, bytes):
        name = name.decode()
    if not isinstance(name, str):
        _warning("strip_name_scope: expected a string name, got %s", type(name).__name__)
        return name
    return re.sub(r"([\^]|loc:@|^)" + export_scope + r"[\/]+(.*)", r"\1\2", name, count=1)


def prepend_name_scope(name, import_scope):
    """``name`` under ``import_scope/`` (after a '^' or 'loc:@' prefix)."""
    if not import_scope:
        return name
    import_scope = import_scope[:-1] if import_scope[-1] == "/" else import_scope
    if isinstance(name, bytes):
        name = name.decode()
    if not isinstance(name, str):
        _warning("prepend_name_scope: expected a string name, got %s", type(name).__name__)
        return name
    return re.sub(r"([\^]|loc:@|^)(.*)", r"\1" + import_scope + r"/\2", name)


# -- GraphDef and graph helpers ------------------------------------------------------------------
def _node_name(name: str) -> str:
    return name[1:] if name.startswith("^") else name.split(":")[0]


def _reachable(targets, inputs_of) -> set:
    seen, todo = set(), list(targets)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(inputs_of[name])
    return seen


def fuse_op(graph_def, input_nodes, output_nodes, output_dtypes, output_quantized, op_name,
            op_type):
    """A GraphDef in which the subgraph between ``input_nodes`` and ``output_nodes`` is one
    node ``op_name`` of type ``op_type`` (attrs ``_output_types``, ``_output_quantized``);
    each output node (one input each) then reads output ``i`` of it."""
    if type(graph_def).__name__ != "GraphDef" or not hasattr(graph_def, "node"):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")
    if isinstance(input_nodes, str):
        raise TypeError("input_nodes must be a list.")
    if isinstance(output_nodes, str):
        raise TypeError("output_nodes must be a list.")
    inputs_of = {n.name: [_node_name(i) for i in n.input] for n in graph_def.node}
    by_name = {n.name: n for n in graph_def.node}
    order = {n.name: i for i, n in enumerate(graph_def.node)}
    for name in list(input_nodes) + list(output_nodes):
        if name not in by_name:
            raise AssertionError(f"{name} is not in graph")
    by_input = _reachable(input_nodes, inputs_of)
    by_output = _reachable(output_nodes, inputs_of)
    inputs, outputs = set(input_nodes), set(output_nodes)
    after_output = []
    for node in graph_def.node:
        name = node.name
        if name in by_output:
            if name not in by_input and name not in outputs:
                todo = [name]  # inside the fused part: it may only read the given inputs
                while todo:
                    cur = todo.pop(0)
                    if cur in by_input and cur not in inputs:
                        raise TypeError(f"Node {name} uses input {cur} not in input_nodes.")
                    if cur not in inputs:
                        todo += inputs_of[cur]
        elif name not in by_input:
            after_output.append(name)
    out = type(graph_def)()
    for name in sorted(by_input, key=order.get):
        out.node.add().CopyFrom(by_name[name])
    fused = out.node.add()
    fused.op, fused.name = op_type, op_name
    fused.input.extend(input_nodes)
    fused.attr["_output_types"].list.type[:] = [
        _dt.as_dtype(t).as_datatype_enum for t in output_dtypes]
    fused.attr["_output_quantized"].b = bool(output_quantized)
    for index, name in enumerate(output_nodes):
        if len(by_name[name].input) != 1:
            raise ValueError(f"Output node {name} must have exactly one input, has "
                             f"{len(by_name[name].input)}")
        node = out.node.add()
        node.CopyFrom(by_name[name])
        del node.input[:]
        node.input.append(op_name + (f":{index}" if index else ""))
    for name in after_output:
        out.node.add().CopyFrom(by_name[name])
    out.library.CopyFrom(graph_def.library)
    out.versions.CopyFrom(graph_def.versions)
    return out


def get_placeholders(graph):
    """The outputs of ``graph``'s Placeholder ops, in creation order."""
    if not isinstance(graph, Graph):
        raise TypeError(f"Input graph needs to be a Graph: {graph}")
    return [op.outputs[0] for op in graph.get_operations() if op.type == "Placeholder"]


# -- ops -------------------------------------------------------------------------------------------
def zero_initializer(ref, use_locking=True, name="zero_initializer"):
    """Initializes the uninitialized variable ``ref`` to zeros in place (a ZeroInitializer op
    returning it); running it on an initialized variable fails (InvalidArgumentError)."""
    del use_locking  # TF's kernel always locks the variable
    var_ref = ref._ref() if hasattr(ref, "_ref") else ref
    out = ZERO_INITIALIZER(var_ref, name=name)  # TypeError unless a variable (a ref)
    bind_variable_shape(out, var_ref)
    return out


def py_func(func, args=(), kwargs=None, output_types=None, output_shapes=None, stateful=True,
            name=None):
    """contrib's ``py_func``: ``func(*args, **kwargs)`` on numpy values as an op, its result a
    structure like ``output_types`` (nested dtypes; or a callable of the args giving them),
    each output given the matching ``output_shapes`` entry when given."""
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(args, (list, tuple)):
        raise TypeError(f"args must be list and not {type(args)}. args: {args}")
    if not isinstance(kwargs, dict):
        raise TypeError(f"kwargs must be dict and not {type(kwargs)}. args: {kwargs}")
    if callable(output_types):
        output_types = output_types(*args, **kwargs)
    if callable(output_shapes):
        output_shapes = output_shapes(*args, **kwargs)
    flat_types = _nest.flatten(output_types)
    packed_args = (args, kwargs)

    def wrapper(*flat_values):
        py_args, py_kwargs = _nest.pack_sequence_as(packed_args, list(flat_values))
        result = func(*py_args, **py_kwargs)
        _nest.assert_shallow_structure(output_types, result)
        return _nest.flatten(result)

    outputs = script_ops.py_func(wrapper, _nest.flatten(packed_args), flat_types,
                                 stateful=stateful, name=name)
    if not flat_types:
        return outputs  # no outputs: the op itself, run for its side effect
    if isinstance(outputs, Tensor):
        outputs = [outputs]
    if output_shapes is not None:
        shapes = _nest.map_structure_up_to(output_types, as_shape, output_shapes)
        for tensor, shape in zip(outputs, _nest.flatten(shapes)):
            tensor.set_shape(shape)
    return _nest.pack_sequence_as(output_types, list(outputs))


# -- smart_cond ----------------------------------------------------------------------------------
def smart_constant_value(pred):
    """``pred``'s value when known at graph construction (a Python bool, 0 or 1, or a
    tensor whose value can be computed statically), else None."""
    if isinstance(pred, Tensor):
        value = constant_value(pred)
        return None if value is None else bool(value)
    if isinstance(pred, bool) or pred in (0, 1):
        return bool(pred)
    raise TypeError("`pred` must be a Tensor, or a Python bool, or 1 or 0. Found instead: "
                    f"{type(pred)}")


def smart_cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` or ``false_fn()`` at once when ``pred`` is known statically, else
    ``tf.cond``."""
    if not callable(true_fn):
        raise TypeError("`true_fn` must be callable.")
    if not callable(false_fn):
        raise TypeError("`false_fn` must be callable.")
    value = smart_constant_value(pred)
    if value is not None:
        return true_fn() if value else false_fn()
    return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)


def _at_most_true(predicates, n, message):
    stacked = concat_split_ops.stack(predicates, name="preds_c")
    count = reduction_ops.reduce_sum(math_ops.cast(stacked, _dt.int32), name="num_true_conds")
    names = ", ".join(getattr(p, "name", "?") for p in predicates)
    return logging_ops.Assert(
        logic_ops.less_equal(count, n),
        [f"{message}: more than {n} conditions ({names}) evaluated as True:", stacked],
        summarize=len(predicates))


def smart_case(pred_fn_pairs, default=None, exclusive=False, name="smart_case"):
    """``tf.case`` built from ``smart_cond``: predicates may be Python bools, and a branch
    whose predicate is known statically is taken (or skipped) without a cond."""
    if isinstance(pred_fn_pairs, dict):
        pred_fn_pairs = list(pred_fn_pairs.items())
    if not isinstance(pred_fn_pairs, (list, tuple)) or not pred_fn_pairs:
        raise TypeError("'pred_fn_pairs' must be a non-empty list, tuple, or dict.")
    predicates, actions = [], []
    for pair in pred_fn_pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple, got {pair}")
        pred, fn = pair
        if isinstance(pred, Tensor):
            if pred.dtype.base_dtype != _dt.bool:
                raise TypeError(f"pred must be Tensor of type bool: {pred.name}")
        elif not isinstance(pred, bool):
            raise TypeError(f"pred must be a Tensor or a Python bool, got: {pred}")
        if not callable(fn):
            raise TypeError(f"fn for pred {getattr(pred, 'name', pred)} must be callable.")
        predicates.append(pred)
        actions.append(fn)
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    with name_scope(name, "case", [p for p in predicates if isinstance(p, Tensor)]):
        if default is None:
            *others, last = predicates
            last_action = actions[-1]
            all_predicates = predicates
            predicates, actions = others, actions[:-1]

            def default():
                checks = [logging_ops.Assert(
                    last, ["Input error: None of conditions evaluated as True:",
                           concat_split_ops.stack(all_predicates, name="preds_c")])]
                if others:
                    checks.append(_at_most_true(
                        others, 0, "Implementation error: selected default action "
                        f"#{len(others)} was called, but some of other predicates are True"))
                with control_dependencies(checks):
                    return last_action()

        fn = default
        for pred, action in reversed(list(zip(predicates, actions))):
            fn = functools.partial(smart_cond, pred, true_fn=action, false_fn=fn)
        if exclusive and predicates:
            with control_dependencies([_at_most_true(predicates, 1,
                                                     "Input error: exclusive=True")]):
                return fn()
        return fn()


# -- tensor specs ----------------------------------------------------------------------------------
class BoundedTensorSpec(TensorSpec):
    """A TensorSpec whose values lie in [``minimum``, ``maximum``] (each broadcastable to the
    shape; kept as read-only arrays of the spec's dtype)."""

    __slots__ = ("_minimum", "_maximum")

    def __init__(self, shape, dtype, minimum, maximum, name=None):
        import numpy as np

        super().__init__(shape, dtype, name)
        if minimum is None or maximum is None:
            raise ValueError(f"minimum and maximum must be provided; but saw '{minimum}' and "
                             f"'{maximum}'")
        for what, bound in (("minimum", minimum), ("maximum", maximum)):
            try:
                _broadcast_static(np.shape(bound), self.shape)
            except ValueError as e:
                raise ValueError(f"{what} is not compatible with shape. Message: {e!r}.") \
                    from None
        self._minimum = np.array(minimum, dtype=self.dtype.as_numpy_dtype)
        self._minimum.setflags(write=False)
        self._maximum = np.array(maximum, dtype=self.dtype.as_numpy_dtype)
        self._maximum.setflags(write=False)

    minimum = property(lambda self: self._minimum)
    maximum = property(lambda self: self._maximum)

    @classmethod
    def from_spec(cls, spec):
        """A BoundedTensorSpec of ``spec`` (its bounds, or its dtype's whole range)."""
        dtype = _dt.as_dtype(spec.dtype)
        return cls(spec.shape, dtype, getattr(spec, "minimum", dtype.min),
                   getattr(spec, "maximum", dtype.max), spec.name)

    def __repr__(self):
        return (f"BoundedTensorSpec(shape={self.shape}, dtype={self.dtype!r}, "
                f"name={self.name!r}, minimum={self.minimum!r}, maximum={self.maximum!r})")

    def __eq__(self, other):
        import numpy as np

        return super().__eq__(other) and np.allclose(self.minimum, other.minimum) and \
            np.allclose(self.maximum, other.maximum)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __reduce__(self):
        return BoundedTensorSpec, (self.shape, self.dtype, self._minimum, self._maximum,
                                   self.name)


def _broadcast_static(bound_shape, shape):
    """ValueError unless an array of ``bound_shape`` broadcasts with ``shape``."""
    dims = shape.as_list() if shape.rank is not None else None
    if dims is None:
        return
    for a, b in zip(reversed(bound_shape), reversed(dims)):
        if a != 1 and b is not None and b != 1 and a != b:
            raise ValueError(f"Incompatible shapes for broadcasting: {tuple(bound_shape)} and "
                             f"{shape}")
