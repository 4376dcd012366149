"""Operation and Tensor, the nodes and edges of a Graph (core/graph.py), with Reference
(``Tensor.ref()``) and GraphKeys; and running an op's kernel on concrete values (constant
folding, core/plan.py), its flat inputs regrouped into its OpDef's arguments.

Split from graph.py, which re-exports these names. Nothing here needs a Graph, so graph.py,
tensor_conversion.py and apply_op.py all build on this module."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

import numpy as np

from . import op_stack
from .device import _device_text
from .opdef import TensorSpec
from .tensor_shape import TensorShape, as_shape


class GraphKeys:
    """Standard collection names (TF 1.x ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    SAVEABLE_OBJECTS = "saveable_objects"  # what a Saver saves besides variables (tables)
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    METRIC_VARIABLES = "metric_variables"
    TRAIN_OP = "train_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    EVAL_STEP = "eval_step"
    # TF's names for its control-flow contexts' collections (minitf keeps none under them)
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


class Tensor:
    """The ``value_index``-th output of an Operation; its name is ``"op_name:index"``."""

    # The _keras_* slots are tf.keras' marks on a layer's outputs (core/keras/node.py).
    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_static_value", "_const_cache",
                 "_consumers", "_keras_history", "_keras_mask", "_keras_history_checked",
                 "__weakref__")
    # Makes numpy defer to our reflected operators: np.ones(3) + tensor -> Tensor.
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, spec: TensorSpec):
        self._op = op
        self._value_index = value_index
        self._dtype = spec.dtype
        self._shape = spec.shape
        self._static_value = spec._value if spec._value_fn is None else None
        self._const_cache = _UNSET
        self._consumers = []
        self._keras_history = self._keras_mask = self._keras_history_checked = None

    op = property(lambda self: self._op)
    value_index = property(lambda self: self._value_index)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    ndim = property(lambda self: -1 if self._shape.rank is None else self._shape.rank)  # TF's
    graph = property(lambda self: self._op._graph)
    device = property(lambda self: self._op._device)

    @property
    def name(self) -> str:
        return f"{self._op._name}:{self._value_index}"

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape):
        """Refines the static shape; raises ValueError if incompatible."""
        try:
            self._shape = self._shape.merge_with(as_shape(shape))
        except ValueError:
            raise ValueError(f"Tensor {self.name} has shape {self._shape}, which is "
                             f"incompatible with {as_shape(shape)}") from None

    def consumers(self) -> list:
        return list(self._consumers)

    def ref(self) -> Reference:
        return Reference(self)

    experimental_ref = ref

    def eval(self, feed_dict=None, session=None):
        from .session import _eval_with

        return _eval_with(session, self, feed_dict, "tensor")

    def _as_node_def_input(self) -> str:
        return self._op._name if self._value_index == 0 else self.name

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    def __str__(self):  # print(tensor), as TensorFlow prints it
        shape = f", shape={self._shape}" if self._shape.rank is not None else ""
        device = f", device={self._op._device}" if self._op._device else ""
        return f'Tensor("{self.name}"{shape}, dtype={self._dtype.name}{device})'

    # TF 1.x: Tensors hash and compare by identity (== is not elementwise).
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not "
                        "None:` instead of `if t:` to test if a tensor is defined, and use "
                        "TensorFlow ops such as tf.cond to execute subgraphs conditioned on "
                        "the value of a tensor.")

    def __iter__(self):
        raise TypeError("Tensor objects are only iterable when eager execution is enabled. To "
                        "iterate over this tensor use tf.unstack or tf.map_fn.")

    def __len__(self):
        raise TypeError(f"len is not well defined for symbolic Tensors ({self.name}). Please "
                        "call `x.shape` rather than `len(x)` for shape information.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"Cannot convert a symbolic Tensor ({self.name}) to a numpy array; "
                        "fetch it with Session.run.")


_UNSET = object()


class Reference:
    """``Tensor.ref()`` / ``Variable.ref()``: a hashable key for a tensor or variable that
    compares by identity; ``deref()`` gives the object back."""

    __slots__ = ("_wrapped",)

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def deref(self):
        return self._wrapped

    def __eq__(self, other):
        return isinstance(other, Reference) and self._wrapped is other._wrapped

    def __hash__(self):
        return id(self._wrapped)

    def __repr__(self):
        return f"<Reference wrapping {self._wrapped!r}>"


class Operation:
    """A node of the graph: an op type bound to input tensors and attrs."""

    __slots__ = ("_graph", "_name", "_opdef", "_inputs", "_outputs", "_control_inputs",
                 "_attrs", "_kernel_attrs", "_id", "_device", "_colocation",
                 "_control_outputs", "_marks", "_stack", "__weakref__")

    def __init__(self, graph, name, opdef, inputs, attrs, kernel_attrs, control_inputs, specs):
        self._graph = graph
        self._name = name
        self._opdef = opdef
        self._inputs = tuple(inputs)
        self._attrs = attrs
        self._kernel_attrs = kernel_attrs
        self._control_inputs = list(control_inputs)
        self._control_outputs = []
        self._id = len(graph._ops)
        self._device = ""
        self._colocation = ()  # TF's "_class" attr: the b"loc:@op" groups it is colocated with
        self._marks = None  # AttrValues of attrs no OpDef declares (_set_attr's "_xla_compile")
        self._stack = op_stack.capture()
        self._outputs = tuple(Tensor(self, i, s) for i, s in enumerate(specs))

    name = property(lambda self: self._name)
    type = property(lambda self: self._opdef.type)
    graph = property(lambda self: self._graph)
    inputs = property(lambda self: self._inputs)
    outputs = property(lambda self: list(self._outputs))  # a list, as TF's (op.outputs + [t])
    control_inputs = property(lambda self: list(self._control_inputs))
    device = property(lambda self: self._device)
    # TF's OpDef proto of the op's type (export/graph_def.py); minitf's declaration is _opdef
    op_def = property(lambda self: importlib.import_module(
        "minitf.export.graph_def").op_def_proto(self._opdef))
    node_def = property(lambda self: _node_def_of(self))

    @property
    def traceback(self):
        """The user's call stack where this op was made, outermost frame first."""
        return op_stack.summary(self._stack)

    @property
    def attrs(self) -> dict:
        return dict(self._attrs)

    def get_attr(self, name: str):
        """An attr's value in TF's types, as TF reads it from the op's AttrValue: bytes for
        strings, TensorProto for tensors, TensorShapeProto for shapes, float32-rounded floats,
        DTypes, ints, bools, and lists of those. User code hands these back to op wrappers
        (custom gradients, graph surgery), which take bytes where a string is expected."""
        value = self._get_attr(name)
        if name not in self._attrs:  # _class, _gradient_op_type, _set_attr's marks: TF's already
            return value
        attrs = importlib.import_module("minitf.export.graph_def_attrs")
        kind = attrs._attr_kind(self._opdef, name)
        if kind is None:
            return value
        return _mark_value(attrs.attr_to_proto(value, kind))

    def _get_attr(self, name: str):
        """An attr's value as minitf keeps it (str, ndarray, TensorShape...): what the
        library's own code reads; ``get_attr`` gives TF's types."""
        if name == "_class" and self._colocation:
            return list(self._colocation)
        if name == "_gradient_op_type" and self in self._graph._gradient_overrides:
            return self._graph._gradient_overrides[self].encode()  # TF's bytes
        if self._marks and name in self._marks:
            return _mark_value(self._marks[name])
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError(f"Operation {self._name!r} has no attr named {name!r}.") from None

    def _set_attr(self, name: str, attr_value):
        """TF's private setter, as graph-editing code uses it: an attr the op declares takes
        the AttrValue's value (its kernel too, in sessions made afterwards); ``_class`` sets
        the colocation groups, ``_gradient_op_type`` the gradient override; any other attr is
        kept as given, written to GraphDefs and read back by ``get_attr``."""
        if name == "_class":  # (a finalized graph allows it, as TF's)
            self._colocation = tuple(attr_value.list.s)
        elif name == "_gradient_op_type":
            self._graph._gradient_overrides[self] = attr_value.s.decode()
        elif name in self._attrs:
            attrs = importlib.import_module("minitf.export.graph_def_attrs")
            kind = attrs._attr_kind(self._opdef, name)
            value = attrs.attr_from_proto(attr_value, kind, f"attr '{name}' of {self._name}")
            self._attrs[name] = value
            if name in self._kernel_attrs:
                self._kernel_attrs[name] = value
        else:
            if self._marks is None:
                self._marks = {}
            self._marks[name] = type(attr_value).FromString(attr_value.SerializeToString())
        self._graph._version += 1  # plans built before no longer hold

    def colocation_groups(self) -> list:
        """The colocation groups (``b"loc:@name"``) of this op: its own if none was set."""
        groups = [g for g in self._colocation if g.startswith(b"loc:@")]
        return groups or [b"loc:@" + self._name.encode()]

    def _set_device(self, device):
        self._device = _device_text(device)

    def values(self) -> tuple:
        return self._outputs

    def run(self, feed_dict=None, session=None):
        from .session import _eval_with

        _eval_with(session, self, feed_dict, "operation")

    def _add_control_input(self, op: Operation):
        if op._graph is not self._graph:
            raise ValueError(f"{op.name} must be from the same graph as {self._name}.")
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            op._control_outputs.append(self)
            self._graph._version += 1

    def _update_input(self, index: int, t: Tensor):
        """Replaces input ``index`` (tf.while_loop's Merge takes its NextIteration's output
        once the body is built: the loop's back edge)."""
        old = self._inputs[index]
        if t.graph is not self._graph:
            raise ValueError(f"Cannot update input {index} of {self._name}: {t.name} is from "
                             "another graph")
        if t._dtype.base_dtype != old._dtype.base_dtype:
            raise TypeError(f"Cannot update input {index} of {self._name} from {old._dtype.name} "
                            f"to {t._dtype.name}")
        self._inputs = self._inputs[:index] + (t,) + self._inputs[index + 1:]
        old._consumers.remove(self)  # one entry per input position, as _add_op made them
        t._consumers.append(self)
        self._graph._version += 1
        _forget_constant_values(self)

    def _add_control_inputs(self, ops: Iterable[Operation]):
        for op in ops:
            self._add_control_input(op)

    def _remove_all_control_inputs(self):
        for op in self._control_inputs:
            op._control_outputs.remove(self)
        self._control_inputs = []
        self._graph._version += 1

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self.type}>"

    def __str__(self):  # print(op), as TF: its NodeDef in text form
        return str(self.node_def)


def _forget_constant_values(op: Operation):
    """Constant values cached on ``op``'s outputs and downstream may not hold once an input
    of ``op`` is rewired."""
    stack, seen = [op], {op}
    while stack:
        for t in stack.pop()._outputs:
            t._const_cache = _UNSET
            for c in t._consumers:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)


def _mark_value(av):
    """An AttrValue's value as TF's ``get_attr`` gives it (bytes, not str; DTypes; protos)."""
    from .dtypes import as_dtype

    which = av.WhichOneof("value")
    if which == "list":
        lst = av.list
        if len(lst.type):
            return [as_dtype(t) for t in lst.type]
        for field in ("s", "i", "f", "b", "shape", "tensor", "func"):
            if len(getattr(lst, field)):
                return list(getattr(lst, field))
        return []
    if which == "type":
        return as_dtype(av.type)
    return None if which is None else getattr(av, which)


def _node_def_of(op):
    # The NodeDef encoding lives in minitf.export (protos); resolved when first asked for.
    return importlib.import_module("minitf.export.graph_def").node_def_of(op)


# -- an op's kernel on concrete inputs ----------------------------------------------------------
def evaluate_kernel(op: Operation, input_values: Sequence) -> tuple:
    """Runs an op's kernel on concrete inputs (no resources); returns the outputs as a tuple."""
    opdef = op._opdef
    args = group_inputs(op, list(input_values))
    with np.errstate(all="ignore"):  # constant folding: inf and nan are TF's results too
        out = opdef.kernel(*args, **op._kernel_attrs)
    return (out,) if len(op._outputs) == 1 else tuple(out)


def group_inputs(op: Operation, flat: list) -> list:
    """Regroups a flat input list into the kernel's arguments (lists for ``N*T`` args)."""
    return group_by_args(op._opdef, flat, op._attrs)


def group_by_args(opdef, flat: list, counts) -> list:
    """Splits a flat list (tensors, specs or values) into ``opdef``'s arguments: a sublist for
    each ``N*T`` argument, its length ``counts[N]``."""
    if not any(a.is_list for a in opdef.args):
        return flat
    out, i = [], 0
    for a in opdef.args:
        if a.is_list:
            n = a.length(counts)
            out.append(flat[i:i + n])
            i += n
        else:
            out.append(flat[i])
            i += 1
    return out


def _arg_slices(op: Operation):
    """(start, end) per argument, end None for single tensors; None if all args are single."""
    args = op._opdef.args
    if not any(a.is_list for a in args):
        return None
    out, i = [], 0
    for a in args:
        if a.is_list:
            n = a.length(op._attrs)
            out.append((i, i + n))
            i += n
        else:
            out.append((i, None))
            i += 1
    return out
