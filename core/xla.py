"""``tf.xla`` (TF 1.15): ``tf.xla.experimental.compile`` and ``tf.xla.experimental.jit_scope``.

``compile(computation, inputs)`` builds ``computation(*inputs)`` as TF builds an XLA cluster:
a ``cluster/pivot`` NoOp, the flattened inputs passed through Identity ops ``input_<i>``,
every op made by the computation marked with the ``_xla_compile_id`` attr (the cluster's name)
and unfetchable, ops without inputs run after the pivot, and each output leaves through an
``XlaClusterOutput`` (``output<i>``) and an Identity ``output_<i>`` that runs after the
Operations the computation returned. minitf has no XLA: the cluster's ops run as they are,
so the results are those of the plain computation.

As TF's, the cluster is a control-flow context (the graph's ``_control_flow_context``, beside
tf.cond's and tf.while_loop's): a cond or loop may be built inside it and it inside them.
TF allows only resource variables in a cluster and turns ``use_resource`` on while the
computation is built. minitf's variables are all reference variables, so one made during a
compile (TF would have made it a resource variable) may be updated there, while updating one
made outside (a reference variable in TF 1.15) raises TF's NotImplementedError.
``jit_scope`` is tf.contrib.compiler.jit.experimental_jit_scope.
"""

from __future__ import annotations

import collections.abc as _abc
import contextlib
import importlib
import inspect
import types
import weakref

from . import nest
from . import tf_logging as logging
from .apply_op import _is_variable_output
from .control_flow_util import _register
from .control_flow_while import _enclosing_loop
from .graph import Operation, get_default_graph
from .nest import _is_attrs
from .ops.constant_ops import group, identity, no_op
from .ops.xla_ops import XLA_CLUSTER_OUTPUT
from .tensor_conversion import convert_to_tensor
from .v2_compat import resource_variables_enabled
from .variable_scopes import get_variable_scope

__all__ = ["experimental"]

_XLA_COMPILE_ATTR = "_xla_compile_id"
_MAX_WARNING_LINES = 5
# TF logs an error for these (a cluster may not hold them) and a warning for ops XLA cannot
# compile because they read intermediate tensors.
_DENYLISTED_OPS = {"Placeholder"}
_UNSUPPORTED_OPS = {"AudioSummary", "AudioSummaryV2", "HistogramSummary", "ImageSummary",
                    "MergeSummary", "Print", "ScalarSummary", "TensorSummary",
                    "TensorSummaryV2"}

# VariableV2 ops made while some compile was being built: TF would have made them resource
# variables, which a cluster may update (also in a later compile).
_MADE_IN_A_CLUSTER: weakref.WeakSet = weakref.WeakSet()


def _attr_value(**kw):
    return importlib.import_module("minitf.protos.attr_value_pb2").AttrValue(**kw)


def _variable_op(t) -> Operation:
    """The VariableV2 op behind ``t``, a variable's storage tensor (see _is_variable_output)."""
    op = t._op
    while op.type in ("RefSwitch", "RefEnter"):
        op = op._inputs[0]._op
    return op


class _XlaCompileContext:
    """One compile's cluster being built: the graph's control-flow context while the
    computation runs (apply_op hands it every new op; see core/control_flow.py for the
    protocol tf.cond's and tf.while_loop's contexts share)."""

    def __init__(self, graph, name: str, pivot: Operation, outer):
        self.graph = graph
        self.name = name
        self.pivot = pivot
        self.outer = outer  # an enclosing tf.cond branch or loop, or None
        self.ops: set = set()  # made here or in a cond/loop built here
        self.values: set = set()
        self.external: dict = {}
        self.unsupported: list = []
        self._first_op = len(graph._ops)

    def add_value(self, t):
        """``t`` as seen inside the cluster: an outer cond or loop brings an outside value in."""
        if t in self.values:
            return self.external.get(t, t)
        self.values.add(t)
        result = t if self.outer is None else self.outer.add_value(t)
        self.external[t] = result
        return result

    def enter_inputs(self, opdef, args, flat: list, control_inputs):
        refs = set()
        pos = 0
        for spec, a in zip(opdef.args, args):
            if spec.is_ref:
                refs.add(pos)
            pos += len(a) if spec.number_attr or spec.type_list_attr else 1
        loop = _enclosing_loop(self)
        # A variable an update writes is bound to its storage (tf.cond does the same).
        flat = [(t if loop is None else loop.add_value(t)) if k in refs else self.add_value(t)
                for k, t in enumerate(flat)]
        return flat, control_inputs

    def made(self, op: Operation):
        _register(self, op)  # -> _contains here and in the outer contexts; unfetchable
        self._fix_control_inputs(op)

    def _contains(self, op: Operation):
        """TF's XLACompileContext.AddOp checks and marks, for every op of the cluster (once:
        an op a cond or loop built here brings in is registered again by that context)."""
        if op in self.ops:
            return
        if op.type in _DENYLISTED_OPS:
            logging.error("Operation of type %s (%s) is not supported in XLA. Execution will "
                          "fail if this op is used in the graph. ", op.type, op.name)
        if op.type in _UNSUPPORTED_OPS:
            self.unsupported.append(op)
        if any(self._is_reference(t) for t in op._inputs):
            raise NotImplementedError("Non-resource Variables are not supported inside XLA "
                                      f"computations (operator name: {op.name})")
        if op._marks and _XLA_COMPILE_ATTR in op._marks:
            raise ValueError("XLA compiled computations cannot be nested, (operator name: "
                             f"{op.name})")
        op._set_attr(_XLA_COMPILE_ATTR, _attr_value(s=self.name.encode()))
        self.ops.add(op)
        self.values.update(op._outputs)

    def _is_reference(self, t) -> bool:
        """Whether TF would see a reference-typed input: a reference variable's storage."""
        if not _is_variable_output(t) or resource_variables_enabled():
            return False
        var = _variable_op(t)
        return var._id < self._first_op and var not in _MADE_IN_A_CLUSTER

    def _fix_control_inputs(self, op: Operation):
        """As TF: control inputs from outside the cluster become control inputs on Identities
        of their first outputs made inside (dropped for ops without outputs), and an op
        without inputs or inner control inputs runs after the pivot."""
        internal = [c for c in op._control_inputs if c in self.ops]
        external = [c for c in op._control_inputs if c not in self.ops]
        if not external and (op._inputs or internal):
            return
        op._remove_all_control_inputs()
        op._add_control_inputs(internal)
        if not op._inputs and not internal:
            op._add_control_input(self.pivot)
        if external:
            graph = self.graph
            # Named in the scope the op was made in, as TF names them (a Const has none).
            scope = contextlib.nullcontext() if op.type == "Const" else \
                graph.name_scope(op.name + "/")
            with graph.control_dependencies(None), scope:
                graph._control_flow_context = self  # (restored on leaving the block)
                pulled = [identity(c._outputs[0]).op for c in external if c._outputs]
            op._add_control_inputs(pulled)

    def report_unsupported_operations(self):
        if self.unsupported:
            lines = "\n".join(f"  {op.type} ({op.name})"
                              for op in self.unsupported[:_MAX_WARNING_LINES])
            logging.warning("%d unsupported operations found: \n%s", len(self.unsupported),
                            lines)
            if len(self.unsupported) > _MAX_WARNING_LINES:
                logging.warning("... and %d more", len(self.unsupported) - _MAX_WARNING_LINES)

    def remember_variables(self):
        for op in self.graph._ops[self._first_op:]:
            if op.type == "VariableV2":
                _MADE_IN_A_CLUSTER.add(op)


def compile(computation, inputs=None):  # noqa: A001 - TF's name
    """``computation(*inputs)`` built as an XLA cluster (see the module docstring).

    ``inputs`` is a list or tuple (None: empty) of nested structures of values convertible
    to tensors. Returns what ``computation`` returns, with these exceptions: a single value
    comes back as a one-element list, None or only Operations as one NoOp (``output_0``)
    that runs them. Tensors must come before Operations in a flat result; a nested result
    may hold no Operation."""
    if inputs is None:
        inputs = []
    if not isinstance(inputs, _abc.Sequence):
        raise TypeError("inputs must be a list")
    flat_inputs = [convert_to_tensor(x) for x in nest.flatten(inputs)]
    graph = get_default_graph()
    cluster_name = graph.unique_name("cluster")
    pivot = no_op(name=cluster_name + "/pivot")
    context = _XlaCompileContext(graph, cluster_name, pivot, graph._control_flow_context)
    saved_context = graph._control_flow_context
    graph._control_flow_context = context
    try:
        # Identities, so that even an unused input is consumed by the cluster.
        flat_inputs = [identity(x, name=f"input_{i}") for i, x in enumerate(flat_inputs)]
        computation_inputs = nest.pack_sequence_as(inputs, flat_inputs)
        vscope = get_variable_scope()
        saved_use_resource = vscope.use_resource
        vscope.set_use_resource(True)
        try:
            outputs = computation(*computation_inputs)
        finally:
            vscope.set_use_resource(saved_use_resource)
        outputs_is_flat = _is_flat(outputs)
        if outputs_is_flat:
            output_tensors, control_deps = _postprocess_flat_outputs(outputs)
        else:
            output_tensors, control_deps = _postprocess_non_flat_outputs(outputs)
    finally:
        context.report_unsupported_operations()
        context.remember_variables()
        graph._control_flow_context = saved_context
    if not output_tensors:
        # Only Operations: one NoOp runs them (the result must be something to run).
        return group(control_deps, name="output_0")
    output_tensors = [XLA_CLUSTER_OUTPUT(o, name=f"output{i}")
                      for i, o in enumerate(output_tensors)]
    with graph.control_dependencies(control_deps):
        output_tensors = [identity(o, name=f"output_{i}") for i, o in enumerate(output_tensors)]
    if not outputs_is_flat:
        output_tensors = nest.pack_sequence_as(outputs, output_tensors)
    return output_tensors


def _is_flat(outputs) -> bool:
    """None, one value, or a list/tuple of values none of which is a structure."""
    if isinstance(outputs, _abc.Sequence):
        for o in outputs:
            if isinstance(o, (_abc.Sequence, _abc.Mapping)) or _is_attrs(o):
                return False
    return not (isinstance(outputs, _abc.Mapping) or _is_attrs(outputs))


def _as_output_tensor(o):
    try:
        return convert_to_tensor(o)
    except Exception as e:  # noqa: BLE001 - TF wraps whatever the conversion raised
        raise ValueError("XLA computation function return values must all either be "
                         f'Operations or convertible to Tensors. Got error: "{e}"') from None


def _identity_in_cluster(t):
    """An Identity of ``t`` made in the cluster (a pass-through output is touched there too),
    on ``t``'s device."""
    graph = t.graph
    with graph.device(t.device) if t.device else contextlib.nullcontext():
        return identity(t)


def _postprocess_flat_outputs(outputs):
    if outputs is None:
        outputs = ()
    if not isinstance(outputs, _abc.Sequence):
        outputs = (outputs,)
    # A NoOp, so that the result always holds an op that runs the cluster.
    last = no_op()
    outputs = outputs + [last] if isinstance(outputs, list) else outputs + (last,)
    outputs = [o if isinstance(o, Operation) else _as_output_tensor(o) for o in outputs]
    operations = [o for o in outputs if isinstance(o, Operation)]
    tensors = [o for o in outputs if not isinstance(o, Operation)]
    if any(a is not b for a, b in zip(outputs, tensors + operations)):
        raise ValueError("XLA computation function must return zero or more Tensor values "
                         "followed by zero or more Operations.")
    return [_identity_in_cluster(t) for t in tensors], operations


def _postprocess_non_flat_outputs(outputs):
    tensors = []
    for o in nest.flatten(outputs):
        if isinstance(o, Operation):
            raise ValueError("xla.compile does not support Operation as return value in "
                             "non-flat output structure. You can set returned Operations as "
                             "control dependencies of returned Tensors so Operations are "
                             "triggered when Tensors are evaluated. Operation found: "
                             f'"{o.name}"')
        tensors.append(_identity_in_cluster(_as_output_tensor(o)))
    return tensors, []


def check_function_argument_count(func, input_arity, infeed_queue):
    """None if ``func`` can take ``input_arity`` arguments (plus the infeed queue's tuple
    elements), else what it takes ("exactly 2 arguments", "at least 1 argument", ...)."""
    def format_error(complaint, quantity):
        return f"{complaint} {quantity} argument{'' if quantity == 1 else 's'}"

    supplied = input_arity
    if infeed_queue is not None:
        supplied += infeed_queue.number_of_tuple_elements
    spec = inspect.getfullargspec(func)
    num_args = len(spec.args)
    num_defaults = len(spec.defaults or ())
    min_args = num_args - num_defaults
    if supplied < min_args:
        if num_defaults == 0 and spec.varargs is None:
            return format_error("exactly", num_args)
        return format_error("at least", min_args)
    if spec.varargs is None and supplied > num_args:
        if num_defaults == 0:
            return format_error("exactly", num_args)
        return format_error("at most", num_args)
    return None


def _jit_scope():
    from .contrib.compiler import experimental_jit_scope

    return experimental_jit_scope


experimental = types.ModuleType("minitf.xla.experimental",
                                "TF 1.15's tf.xla.experimental: compile and jit_scope.")
experimental.compile = compile
experimental.jit_scope = _jit_scope()
experimental.__all__ = ["compile", "jit_scope"]
