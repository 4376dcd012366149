"""Resource variables: what ``use_resource=True`` (tf.Variable, tf.get_variable,
tf.variable_scope) and ``tf.enable_resource_variables()`` make, with TF's read semantics.

TF's ResourceVariable reads its value with a ReadVariableOp wherever it is used: each read is a
new op, made under the control dependencies around it, that copies the value, so an update
later in the same run does not show through it; ``assign*`` returns a read made after its own
update. A reference variable has one shared read, ``w/read``, an Identity of its buffer made
with the variable.

A resource variable is a ``tf.Variable`` (core/ref_variable.py) whose ``_resource`` is set:
its methods hand reads and updates to the functions here. It keeps the reference variable's
storage (a VariableV2 with its Assign initializer), so Saver, checkpoints, freezing, export,
``global_variables_initializer`` and distribution strategies (which re-class a Variable) treat
both alike, and reads it through TF's ``Copy`` op (core/ops/copy_ops.py) carrying the gradient
override ``Identity``: gradients reach the variable from every read (a gather's stay
IndexedSlices), and a GraphDef holding the reads stays loadable and differentiable in
TensorFlow (its VariableDef says ``is_resource: false``: the graph holds a reference
variable's ops). What is left out: ``handle`` (there is no resource tensor); an ``assign*``
method's result is its read, not TF's ``_UnreadVariable`` (whose ``op`` is the update and which
reads anew each time it is used), while ``tf.assign*`` give the update's output (its ``op`` the
update, core/ops/state_ops.py); ``v.op`` is the VariableV2.
"""

from __future__ import annotations

import weakref

from . import v2_compat
from .graph import Tensor, convert_to_tensor, get_default_graph
from .ops import array_ops, state_ops
from .ops.copy_ops import COPY

__all__ = ["is_resource_variable"]

# The VariableV2 ops of resource variables (for code asking of a storage tensor, e.g. XLA's
# refusal of reference variables).
_STORAGE: weakref.WeakSet = weakref.WeakSet()


def is_resource_variable(var) -> bool:
    """TF's ``resource_variable_ops.is_resource_variable``."""
    return getattr(var, "_resource", False) is True


def is_resource_storage(t) -> bool:
    """Whether ``t`` (a Tensor or Operation) is the storage of a resource variable."""
    return getattr(t, "op", t) in _STORAGE


def mark_storage(op) -> None:
    """Records ``op`` (a VariableV2) as a resource variable's storage: what an imported
    TensorFlow ``VarHandleOp`` becomes (export/resource_import.py)."""
    _STORAGE.add(op)


def use_resource(given) -> bool:
    """Whether a new variable is a resource one, as TF's default creator decides: ``given``
    (use_resource), else (None) the current variable scope's, else the global switch."""
    if given is None:
        store = get_default_graph()._variable_store  # (None: no variable scope opened yet)
        given = None if store is None else store.scope.use_resource
    if given is None:
        given = v2_compat.resource_variables_enabled()
    return bool(given)


# -- reads ---------------------------------------------------------------------------------------
def first_read(var) -> Tensor:
    """The read made with the variable (its snapshot): TF's ``<name>/Read/ReadVariableOp``,
    what Session.run(v), feeds and control inputs take."""
    _STORAGE.add(var._variable.op)
    with var._variable.graph.name_scope("Read"):
        return read(var)


def read(var, name="ReadVariableOp") -> Tensor:
    """A new read: a copy of the value, after the current control dependencies."""
    graph = var._variable.graph
    with graph.as_default():
        value = COPY(var._variable, name=name)
    graph._gradient_overrides[value.op] = "Identity"
    return value


def read_after(var, update) -> Tensor:
    """The value once ``update`` (an Operation or its output) has run."""
    graph = var._variable.graph
    with graph.as_default(), graph.control_dependencies([update]):
        return read(var)


def read_value(var) -> Tensor:
    graph = var._variable.graph
    with graph.as_default():
        with graph.name_scope("Read"):
            value = read(var)
        return array_ops.identity(value)


def as_tensor(var) -> Tensor:
    """The variable converted to a tensor: a new read. An op's arguments are converted twice
    (dtype, then value): when nothing was added to the graph since the last conversion, in the
    same name scope, control dependencies and control-flow context, its read serves again, so
    each use makes one read (as in TF)."""
    graph = var._variable.graph
    context = (graph.get_name_scope(), graph._control_flow_context, tuple(graph._control_stack))
    last = var.__dict__.get("_converted")
    if last is not None and last[0] == graph.version and last[1][0] == context[0] and \
            last[1][1] is context[1] and len(last[1][2]) == len(context[2]) and \
            all(a is b for a, b in zip(last[1][2], context[2])):
        return last[2]
    value = read(var)
    var._converted = (graph.version, context, value)
    return value


# -- updates -------------------------------------------------------------------------------------
def assign(var, value, use_locking, name, read_value_too):
    """TF's ResourceVariable.assign: the value's shape checked against the variable's (a
    variable of unknown shape takes any, as TF's AssignVariableOp); a read after it, or the
    update op."""
    value = convert_to_tensor(value, dtype=var.dtype)
    if not var.shape.is_compatible_with(value.shape):  # TF's check and message
        raise ValueError(f"Cannot assign value to variable ' {var.name}': Shape mismatch."
                         f"The variable shape {var.shape}, and the assigned value shape "
                         f"{value.shape} are incompatible.")
    op = state_ops.ASSIGN(var._variable, value, validate_shape=var.shape.is_fully_defined(),
                          use_locking=bool(use_locking), name=name or "Assign").op
    return read_after(var, op) if read_value_too else op


def updated(var, out, read_value_too=True):
    """What an update (``out``, the update op's output) returns: a read after it, or the op."""
    return read_after(var, out.op) if read_value_too else out.op
