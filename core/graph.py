"""Graph, Operation and Tensor: the define-and-run graph with TF 1.x's naming and scoping rules."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Sequence

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .opdef import TensorSpec, coerce_attr, lookup
from .device import _device_function, _device_text
from .tensor_shape import Dimension, TensorShape, as_shape

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")

# Ops whose value is supplied at run time even though they are stateless: never constant.
_NEVER_CONSTANT = frozenset({"Placeholder", "PlaceholderWithDefault"})
_CONSTANT_VALUE_MAX_ELEMENTS = 1 << 16


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


class Tensor:
    """The ``value_index``-th output of an Operation; its name is ``"op_name:index"``."""

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_static_value", "_const_cache",
                 "_consumers", "__weakref__")
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

    op = property(lambda self: self._op)
    value_index = property(lambda self: self._value_index)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
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
        return f'<tf.Tensor "{self.name}" shape={self._shape} dtype={self._dtype.name}>'

    __str__ = __repr__

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
                 "_control_outputs", "__weakref__")

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
        self._outputs = tuple(Tensor(self, i, s) for i, s in enumerate(specs))

    name = property(lambda self: self._name)
    type = property(lambda self: self._opdef.type)
    graph = property(lambda self: self._graph)
    inputs = property(lambda self: self._inputs)
    outputs = property(lambda self: self._outputs)
    control_inputs = property(lambda self: list(self._control_inputs))
    device = property(lambda self: self._device)
    op_def = property(lambda self: self._opdef)
    node_def = property(lambda self: _node_def_of(self))

    @property
    def attrs(self) -> dict:
        return dict(self._attrs)

    def get_attr(self, name: str):
        if name == "_class" and self._colocation:
            return list(self._colocation)
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError(f"Operation {self._name!r} has no attr named {name!r}.") from None

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
        if t._dtype.base_dtype != old._dtype.base_dtype:
            raise TypeError(f"Cannot update input {index} of {self._name} from {old._dtype.name} "
                            f"to {t._dtype.name}")
        self._inputs = self._inputs[:index] + (t,) + self._inputs[index + 1:]
        old._consumers.remove(self)  # one entry per input position, as _add_op made them
        t._consumers.append(self)
        self._graph._version += 1

    def _add_control_inputs(self, ops: Iterable[Operation]):
        for op in ops:
            self._add_control_input(op)

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self.type}>"


def _node_def_of(op):
    # The NodeDef encoding lives in minitf.export (protos); resolved when first asked for.
    import importlib

    return importlib.import_module("minitf.export.graph_def").node_def_of(op)


class Graph:
    """A TensorFlow 1.x computation graph."""

    def __init__(self):
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._taken: set | None = None  # op names and their scopes, once an import asks
        self._names_in_use: dict[str, int] = {}
        self._collections: dict[str, list] = {}
        self._version = 0
        self._finalized = False
        self._lock = threading.RLock()
        self._local = threading.local()
        self.seed = None
        self._unfeedable: set = set()
        self._unfetchable: set = set()
        # ops made in a tf.cond branch or a tf.while_loop (core/control_flow.py)
        self._control_flow_ops: set = set()
        self._while_contexts: dict = {}  # frame name -> the WhileContext that built the loop
        self._loop_ops: dict = {}  # an op made in a tf.while_loop -> its innermost loop
        self._variable_store = None  # created by variable_scope.get_variable
        # op -> the registered gradient name a gradient_override_map gave it (TF's
        # _gradient_op_type attr; GraphDefs carry it).
        self._gradient_overrides: dict = {}
        self._var_scope = None
        # A dataset function's graph: Tensor -> Tensor of this graph standing for a tensor of
        # another graph that an op here reads (core/data/function.py); None: refused.
        self._capture = None

    # -- per-thread construction state -----------------------------------------------------------
    @property
    def _name_stack(self) -> str:
        return getattr(self._local, "name_stack", "")

    @_name_stack.setter
    def _name_stack(self, value):
        self._local.name_stack = value

    @property
    def _control_stack(self) -> list:
        stack = getattr(self._local, "control_stack", None)
        if stack is None:
            stack = self._local.control_stack = []
        return stack

    @property
    def _device_stack(self) -> list:
        """This thread's tf.device scopes, outermost first (see _device_function)."""
        return self._local.__dict__.setdefault("device_stack", [])

    @_device_stack.setter
    def _device_stack(self, value):
        self._local.device_stack = value

    @property
    def _colocation_stack(self) -> list:
        """The ops of this thread's tf.colocate_with scopes, outermost first."""
        return self._local.__dict__.setdefault("colocation_stack", [])

    @_colocation_stack.setter
    def _colocation_stack(self, value):
        self._local.colocation_stack = value

    @property
    def _control_flow_context(self):
        """The innermost tf.cond branch or tf.while_loop being built on this thread
        (core/control_flow.py)."""
        return getattr(self._local, "cond_context", None)

    @_control_flow_context.setter
    def _control_flow_context(self, value):
        self._local.cond_context = value

    # -- inspection ------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def finalized(self) -> bool:
        return self._finalized

    @property
    def graph_def_versions(self):
        return None

    def get_operations(self) -> list:
        return list(self._ops)

    def create_op(self, op_type, inputs, dtypes=None, input_types=None, name=None, attrs=None,
                  op_def=None, compute_shapes=True, compute_device=True) -> Operation:
        """TF1's low-level op constructor: ``inputs`` flat, ``attrs`` AttrValue protos (or
        plain values). Shapes and devices are always computed, as TF 1.x does by default."""
        from .create_op import create_op

        return create_op(self, op_type, inputs, dtypes, name, attrs)

    @property
    def collections(self) -> list:
        """The names of the collections this graph has (TF lists empty ones too)."""
        return list(self._collections)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation, Variable or name to an element of this graph."""
        conv = getattr(obj, "_as_graph_element", None)
        if conv is not None and not isinstance(obj, type):
            obj = conv()
        types = ("Tensor" if allow_tensor else "") + (
            " or Operation" if allow_tensor and allow_operation else
            "Operation" if allow_operation else "")
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                op_name, _, idx = obj.rpartition(":")
                try:
                    index = int(idx)
                except ValueError:
                    raise ValueError(f"The name {obj!r} looks a like a Tensor name, but is not a "
                                     "valid one. Tensor names must be of the form "
                                     '"<op_name>:<output_index>".') from None
                op = self._by_name.get(op_name)
                if op is None:
                    raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                                   f"The operation, {op_name!r}, does not exist in the graph.")
                if not 0 <= index < len(op._outputs):
                    raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                                   f"The operation, {op_name!r}, exists but only has "
                                   f"{len(op._outputs)} outputs.")
                return op._outputs[index]
            if ":" in obj:
                raise ValueError(f"Name {obj!r} appears to refer to a Tensor, not an Operation.")
            op = self._by_name.get(obj)
            if op is None:
                raise KeyError(f"The name {obj!r} refers to an Operation not in the graph.")
            if not allow_operation:
                raise ValueError(f"The name {obj!r} refers to an Operation, not a Tensor. Tensor "
                                 'names must be of the form "<op_name>:<output_index>".')
            return op
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj.name} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj._graph is not self:
                raise ValueError(f"Operation {obj.name} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types}.")

    # -- feeding / fetching ----------------------------------------------------------------------
    def is_feedable(self, tensor) -> bool:
        return tensor not in self._unfeedable

    def prevent_feeding(self, tensor):
        self._unfeedable.add(tensor)

    def is_fetchable(self, tensor_or_op) -> bool:
        op = tensor_or_op.op if isinstance(tensor_or_op, Tensor) else tensor_or_op
        return op not in self._unfetchable

    def prevent_fetching(self, op):
        self._unfetchable.add(op)

    # -- collections -----------------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._check_not_finalized()
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        for name in [names] if isinstance(names, str) else set(names):
            self.add_to_collection(name, value)

    def get_collection_ref(self, name) -> list:
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None) -> list:
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pattern = re.compile(scope)
        return [v for v in items if pattern.match(getattr(v, "name", "") or "")]

    def get_all_collection_keys(self) -> list:
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name):
        self._check_not_finalized()
        self._collections.pop(name, None)

    # -- lifecycle -------------------------------------------------------------------------------
    def finalize(self):
        self._finalized = True

    def _unsafe_unfinalize(self):
        self._finalized = False

    def _check_not_finalized(self):
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    @contextlib.contextmanager
    def as_default(self):
        _graph_stack().append(self)
        try:
            yield self
        finally:
            _graph_stack().pop()

    def as_graph_def(self, from_version=None, add_shapes=False):
        import importlib  # the GraphDef codec lives in minitf.export (protos)

        return importlib.import_module("minitf.export.graph_def").graph_to_graph_def(
            self, add_shapes=add_shapes)

    # -- naming ----------------------------------------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` within the current name scope, suffixed ``_1``, ``_2``... if taken."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name):
        """TF 1.x name scopes: ``"a"`` nests (uniquified), ``"a/"`` is absolute, None resets."""
        old = self._name_stack
        if name is None or name == "":
            new = ""
        elif isinstance(name, str) and name.endswith("/"):
            if not _VALID_SCOPE_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = name[:-1]
        else:
            if not _VALID_SCOPE_NAME.match(str(name)) or (not old and name[0] in "_-/"):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = self.unique_name(str(name))
        self._name_stack = new
        try:
            yield "" if not new else new + "/"
        finally:
            self._name_stack = old

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run after ``control_inputs``; None clears the outer ones."""
        stack = self._control_stack
        if control_inputs is None:  # as in TF, this also leaves any tf.cond branch or loop
            saved, cond = list(stack), self._control_flow_context
            stack.clear()
            self._control_flow_context = None
            try:
                yield
            finally:
                stack[:] = saved
                self._control_flow_context = cond
            return
        ops = []
        for c in control_inputs:
            conv = getattr(c, "_as_graph_element", None)
            if conv is not None:
                c = conv()
            if isinstance(c, Tensor):
                c = c.op
            if not isinstance(c, Operation):
                raise TypeError(f"Control input must be an Operation or a Tensor: {c!r}")
            if c._graph is not self:
                raise ValueError(f"Control input {c.name} is not an element of this graph.")
            ops.append(c)
        stack.append(ops)
        try:
            yield
        finally:
            stack.pop()

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops made in the block get a device: a device string is merged under what inner
        scopes set, a function of the op returns the device, None drops the outer scopes.
        Devices are recorded (GraphDefs carry them); the executor runs all on the one CPU."""
        stack = self._device_stack
        stack.append(_device_function(device_name_or_function))
        try:
            yield
        finally:
            stack.pop()

    @contextlib.contextmanager
    def container(self, container_name):
        """Stateful ops made in the block (variables, queues, tables) get ``container_name`` as
        their ``container`` attr unless they name one. Recorded for GraphDefs; Session.reset
        clears every container of a target, as TF's in-process runtime does."""
        previous = getattr(self._local, "container", "")
        self._local.container = container_name
        try:
            yield container_name
        finally:
            self._local.container = previous

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops made in the block join ``op``'s colocation groups (their ``_class`` attr) and
        take its device. As in TF, the device scopes around the block do not apply inside."""
        if op is None and not ignore_existing:
            raise ValueError("Trying to reset colocation (op is None) but ignore_existing is "
                             "not True")
        target = [] if op is None else [_op_to_colocate_with(op)]
        devices, targets = self._device_stack, self._colocation_stack
        self._device_stack = []
        self._colocation_stack = ([] if ignore_existing else list(targets)) + target
        try:
            yield
        finally:
            self._device_stack, self._colocation_stack = devices, targets

    def _place(self, op: Operation):
        """Sets a new op's device and colocation from this thread's scopes, as TF does: device
        scopes innermost first, then the innermost colocated op that has a device wins."""
        for fn in reversed(self._device_stack):
            if fn is None:  # tf.device(None)
                break
            op._device = fn(op)
        targets = self._colocation_stack
        if targets:
            op._colocation = tuple(sorted({g for t in targets for g in t.colocation_groups()}))
            op._device = next((t._device for t in reversed(targets) if t._device), op._device)

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Ops of the mapped types made in the block take their gradient from the function
        registered (tf.RegisterGradient) under the mapped name; nested maps stack."""
        if not isinstance(op_type_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()):
            raise TypeError("op_type_map must be a dictionary mapping strings to strings")
        stack = self._local.__dict__.setdefault("override_stack", [])
        stack.append(dict(op_type_map))
        try:
            yield
        finally:
            stack.pop()

    def _gradient_override(self, op_type):
        for level in reversed(getattr(self._local, "override_stack", ())):
            if op_type in level:
                return level[op_type]
        return None

    # -- op creation -----------------------------------------------------------------------------
    def _add_op(self, opdef, name, inputs, attrs, kernel_attrs, specs, control_inputs):
        with self._lock:
            self._check_not_finalized()
            if name in self._by_name:
                raise ValueError(f"Duplicate node name in graph: '{name}'")
            input_ops = {t._op for t in inputs}
            controls = []
            for level in self._control_stack:
                controls.extend(c for c in level if c not in input_ops and c not in controls)
            controls.extend(c for c in control_inputs if c not in controls)
            container = getattr(self._local, "container", "")
            if container and attrs.get("container") == "" and opdef.stateful:
                attrs["container"] = kernel_attrs["container"] = container  # tf.container
            op = Operation(self, name, opdef, inputs, attrs, kernel_attrs, controls, specs)
            self._place(op)
            override = self._gradient_override(opdef.type)
            if override is not None:
                self._gradient_overrides[op] = override
            self._ops.append(op)
            self._by_name[name] = op
            if self._taken is not None:
                self._taken.update(_scopes_of(name))
            # Exact names (import, freeze) must count as used, so later ops get "_1" suffixes.
            self._names_in_use.setdefault(name.lower(), 1)
            for t in inputs:
                t._consumers.append(op)
            for c in controls:
                c._control_outputs.append(op)
            self._version += 1
            return op

    @contextlib.contextmanager
    def _all_or_nothing(self):
        """Ops added in the block are taken back if it raises: a failed tf.import_graph_def
        leaves the graph as it was, as TF's does. (Only ops: not collections.) The graph's
        lock is held throughout, as TF's importer holds the graph's, so no other thread's op
        lands in between and is taken back with them."""
        with self._lock:
            count, names = len(self._ops), dict(self._names_in_use)
            try:
                yield
            except BaseException:
                for op in reversed(self._ops[count:]):
                    self._forget(op)
                del self._ops[count:]
                self._names_in_use = names
                self._taken = None
                self._version += 1
                raise

    def _taken_names(self) -> set:
        """The ops' names and the scopes they are in ("a/b/c" takes "a/b" and "a"), kept up
        to date as ops are added once asked for (import_graph_def's collision check)."""
        with self._lock:
            if self._taken is None:
                self._taken = {s for name in self._by_name for s in _scopes_of(name)}
            return self._taken

    def _forget(self, op: Operation):
        del self._by_name[op._name]
        for t in op._inputs:
            t._consumers.remove(op)
        for c in op._control_inputs:
            c._control_outputs.remove(op)
        self._gradient_overrides.pop(op, None)


def _scopes_of(name: str) -> list:
    """``name`` and the scopes it is in: "a/b/c" -> ["a", "a/b", "a/b/c"]."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


# -- default graph ------------------------------------------------------------------------------
_global_default_graph = Graph()
_thread_local = threading.local()


def _graph_stack() -> list:
    stack = getattr(_thread_local, "stack", None)
    if stack is None:
        stack = _thread_local.stack = []
    return stack


def get_default_graph() -> Graph:
    stack = _graph_stack()
    return stack[-1] if stack else _global_default_graph


def reset_default_graph():
    """Clears the global default graph. Not allowed inside a ``with graph.as_default()`` block."""
    global _global_default_graph
    if _graph_stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you "
                             "need a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """``tf.name_scope(name, default_name=None, values=None)``: a name scope in the graph of
    ``values`` (the default graph if none), which is also the default graph in the block."""
    graph = _graph_of(values) if values else get_default_graph()
    default = contextlib.nullcontext() if graph is get_default_graph() else graph.as_default()
    with default, graph.name_scope(name if name is not None or default_name is None
                                   else default_name) as scope:
        yield scope


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function):
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def container(container_name):
    return get_default_graph().container(container_name)


def _op_to_colocate_with(v) -> Operation:
    """The op tf.colocate_with(v) means: ``v`` itself, a tensor's op, a variable's VariableV2."""
    conv = getattr(v, "_as_graph_element", None)
    if conv is not None:
        v = conv()
    if isinstance(v, Operation):
        return v
    return (v if isinstance(v, Tensor) else convert_to_tensor(v)).op


def _graph_of(values) -> Graph:
    default = get_default_graph()
    if default._capture is not None:  # tracing a dataset function: outer tensors come in
        return default
    for v in values:
        g = getattr(v, "graph", None)
        if isinstance(g, Graph):
            return g
    return get_default_graph()


# -- tensor conversion --------------------------------------------------------------------------
def _infer_const_dtype(value, arr=None) -> _dt.DType:
    """TensorFlow's default dtype for a Python value: float32 floats, int32 ints (int64 if big).
    ``arr`` is ``np.asarray(value)`` when the caller has it already."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind in "USO":
            return _dt.string
        return _dt.from_numpy(arr)
    if arr is None:
        try:
            arr = np.asarray(value)
        except UnicodeDecodeError:  # str mixed with non-ASCII bytes: numpy cannot unify them
            return _dt.string
    if arr.dtype.kind == "f":
        return _dt.float32
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return _dt.int64
        return _dt.int32
    if arr.dtype.kind == "b":
        return _dt.bool
    if arr.dtype.kind == "c":  # TF: Python complex numbers are complex128
        return _dt.complex128
    if arr.dtype.kind in "USO":
        return _dt.string
    raise TypeError(f"Failed to convert object of type {type(value).__name__} to Tensor. "
                    f"Contents: {value!r}. Consider casting elements to a supported type.")


def _as_string_element(v) -> bytes:
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (bytes, bytearray, memoryview)):  # (np.bytes_ is bytes)
        return bytes(v)
    raise TypeError(f"Expected string, got {v!r} of type '{type(v).__name__}' instead.")


def to_numpy(value, dtype: _dt.DType | None = None) -> np.ndarray:
    """Converts a Python/numpy value to an array of ``dtype`` (TF's default dtypes if None)."""
    if isinstance(value, (Tensor, Operation)):
        raise TypeError(f"Expected a constant value, got {value!r}")
    if value is None:  # e.g. a None gradient passed on: TF's message, not numpy's
        raise ValueError("None values not supported.")
    src = None  # np.asarray(value), converted once (a big Python list is costly)
    if isinstance(value, (list, tuple)):
        try:
            src = np.asarray(value)
        except (TypeError, ValueError):  # a Tensor refuses; ragged or mixed str and bytes
            pass
        if src is None or src.dtype == object:  # may hold Dimensions or TensorShapes
            value, src = _static_values(value), None
    elif isinstance(value, (Dimension, TensorShape)):
        value = _static_values(value)
    if dtype is None:
        dtype = _infer_const_dtype(value, src)
    if dtype is _dt.string:
        arr = np.asarray(value, dtype=object)
        return np.vectorize(_as_string_element, otypes=[object])(arr) if arr.size else arr
    np_type = dtype.as_numpy_dtype
    if src is None:
        src = np.asarray(value)
    if src.dtype.kind in "USO" and dtype is not _dt.string or \
            src.dtype.kind == "c" and not dtype.is_complex:  # TF drops no imaginary part
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    if dtype.is_integer or dtype.is_bool:
        if src.dtype.kind == "f" and not np.all(np.isfinite(src) & (src == np.round(src))):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        if src.dtype.kind in "iuf" and src.size and dtype.is_integer:
            info = np.iinfo(np_type)
            if src.max() > info.max or src.min() < info.min:
                raise TypeError(f"Value {value!r} is out of range for dtype {dtype.name}")
    if dtype.is_bool and src.dtype.kind != "b" and src.size:  # ([] is a float64 array)
        raise TypeError(f"Expected bool, got {value!r} of type '{type(value).__name__}' instead.")
    return np.asarray(src, dtype=np_type)


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None):
    """A Tensor for ``value``: Tensors pass through (dtype checked), others become Const."""
    conv = getattr(value, "_as_tensor", None)  # Variables
    if conv is not None:
        value = conv()
    if dtype is not None:
        dtype = _dt.as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype="
                        f"{dtype}, name={name!r}, as_ref=False)")
    hint = preferred_dtype or dtype_hint
    try:
        if dtype is None and hint is not None:
            try:
                arr = to_numpy(value, _dt.as_dtype(hint))
            except (TypeError, ValueError):
                arr = to_numpy(value)
        else:
            arr = to_numpy(value, dtype)
    except TypeError:  # a list holding Tensors, e.g. [tf.shape(x)[0], 2, 2]?
        # (By name: sparse_tensor imports this module.) As TF, dense ops do not take one.
        if type(value).__name__ == "SparseTensor":
            raise TypeError(f"Failed to convert elements of {value!r} to Tensor: a dense op "
                            "does not take a SparseTensor; use tf.sparse.to_dense or the "
                            "tf.sparse ops") from None
        if not isinstance(value, (list, tuple)):
            raise
        values = _static_values(value)
        packed = _nested_tensor_dtype(values)
        if packed is None:
            raise
        return _autopack(values, dtype or packed, name or "packed")  # one Pack op, as TF1's
    const = lookup("Const")
    return const(value=arr, dtype=_dt.from_numpy(arr), name=name or "Const")


def _static_values(value):
    """Static shapes used as values (``x.shape[1]``, ``x.shape``) as Python ints, in nested
    lists and tuples too (which come back as lists)."""
    if isinstance(value, Dimension):
        if value.value is None:
            raise ValueError("Cannot convert an unknown Dimension to a Tensor: ?")
        return value.value
    if isinstance(value, TensorShape):
        if not value.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {value} to a "
                             "Tensor.")
        return value.as_list()
    if isinstance(value, (list, tuple)):
        return [_static_values(v) for v in value]
    return value


def _nested_tensor_dtype(values):
    """The dtype of the first Tensor (or Variable) in nested lists, None if there is none."""
    for v in values:
        if isinstance(v, list):
            dtype = _nested_tensor_dtype(v)
        else:
            t = _as_tensor_or_none(v)
            dtype = None if t is None else t.dtype
        if dtype is not None:
            return dtype
    return None


def _autopack(values: list, dtype, name):
    """A list holding Tensors as one tensor: its elements (Python values converted to
    ``dtype``, inner lists packed in turn) stacked along a new first axis."""
    with name_scope(name) as scope:  # the Pack op takes the scope's name, its inputs nest
        elems = []
        for i, v in enumerate(values):  # new elements are named by their index, as in TF
            if isinstance(v, list) and _nested_tensor_dtype(v) is not None:
                elems.append(_autopack(v, dtype, str(i)))
                continue
            t = _as_tensor_or_none(v)
            if t is not None and t.dtype != dtype:
                raise TypeError(f"Cannot convert a list containing a tensor of dtype "
                                f"{t.dtype.name} to {dtype.name} (Tensor is: {t!r})")
            elems.append(t if t is not None else convert_to_tensor(v, dtype=dtype, name=str(i)))
        return lookup("Pack")(elems, axis=0, name=scope)


def constant_value(tensor: Tensor):
    """The value of ``tensor`` if it can be computed at graph construction, else None.

    Used by shape inference for shape-like arguments (axes, shapes, perms). Evaluates small
    stateless subgraphs with the ops' own kernels, caching the result on the tensor.
    """
    if tensor._const_cache is not _UNSET:
        return tensor._const_cache
    value = tensor._static_value
    op = tensor._op
    if value is None and op._opdef.dead == "makes":  # a Switch passes its data on (or nothing)
        value = constant_value(op._inputs[0])
    elif value is None and not op._opdef.stateful and op._opdef.dead is None and \
            op._opdef.type not in _NEVER_CONSTANT:
        n = tensor._shape.num_elements()
        if n is not None and n <= _CONSTANT_VALUE_MAX_ELEMENTS:
            ins = [constant_value(t) for t in op._inputs]
            if all(v is not None for v in ins):
                try:
                    outs = evaluate_kernel(op, ins)
                    value = outs[tensor._value_index]
                except Exception:  # noqa: BLE001 - not constant-evaluable: runtime will report
                    value = None
            if value is None and op._opdef.type in _SLICING_OPS:
                value = _known_part(op, tensor, ins)
    if value is not None:
        value = np.asarray(value)
        value.flags.writeable = False
    tensor._const_cache = value
    return value


# Ops that only move elements: sliced out of a partly known shape vector (``tf.shape(x)[1]``
# with x of shape (?, 4, 5)), what they select may be all known (as TF's shape inference
# finds), and then arithmetic on it folds as usual: ``sh[1] * sh[2]`` is 20.
_SLICING_OPS = frozenset({"StridedSlice", "Slice", "GatherV2"})
_UNKNOWN = np.int64(-(2 ** 40) - 7)  # marks an unknown dimension; never a real one


def _known_part(op, tensor, ins):
    """The value a slicing op selects from a partly known shape vector, if all of it is known
    (else None)."""
    out = _sliced_dims(op, tensor, ins)
    if out is None or np.any(out == _UNKNOWN):
        return None
    return out.astype(op._inputs[0]._dtype.as_numpy_dtype)


def _sliced_dims(op, tensor, ins):
    """What a slicing op selects from its partly known shape vector input, unknown entries
    marked _UNKNOWN; None if that cannot be worked out."""
    source = op._inputs[0]
    if source._dtype not in (_dt.int32, _dt.int64) or source._shape.rank != 1 or \
            any(v is None for v in ins[1:]):
        return None
    dims = constant_value_as_shape(source).as_tuple()
    if dims is None or all(d is None for d in dims):
        return None
    marked = np.array([_UNKNOWN if d is None else d for d in dims], dtype=np.int64)
    try:
        return np.asarray(evaluate_kernel(op, [marked, *ins[1:]])[tensor._value_index])
    except Exception:  # noqa: BLE001 - not evaluable this way: no static value
        return None


def constant_value_as_shape(tensor: Tensor) -> TensorShape:
    """The partial shape a 1-D integer tensor is known to hold at graph construction (TF's
    ``constant_value_as_shape``): its value when constant, else what a Pack of scalars, a
    Shape or a ConcatV2 of those gives, each unknown entry (or -1) as None."""
    value = constant_value(tensor)
    if value is not None and value.ndim == 1:
        return TensorShape([None if d < 0 else int(d) for d in value])
    op = tensor._op
    if op.type == "Shape":
        return op._inputs[0]._shape
    if op.type == "Pack" and op._attrs.get("axis") == 0 and \
            all(t._shape.rank == 0 for t in op._inputs):
        dims = []
        for t in op._inputs:
            v = constant_value(t)
            dims.append(None if v is None or int(v) < 0 else int(v))
        return TensorShape(dims)
    if op.type in _SLICING_OPS and tensor._shape.rank == 1:  # tf.shape(x)[::2]: (?, 5)
        out = _sliced_dims(op, tensor, [None] + [constant_value(t) for t in op._inputs[1:]])
        if out is not None and out.ndim == 1:
            return TensorShape([None if d == _UNKNOWN or d < 0 else int(d) for d in out])
    if op.type == "ConcatV2":
        parts = [constant_value_as_shape(t) for t in op._inputs[:-1]]
        if all(p.rank is not None for p in parts):
            return TensorShape([d for p in parts for d in p.as_tuple()])
    dims = tensor._shape.as_tuple()
    if dims is not None and len(dims) == 1 and dims[0] is not None:
        return TensorShape([None] * dims[0])
    return TensorShape(None)


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


# -- op construction ----------------------------------------------------------------------------
def apply_op(opdef, args: Sequence, attrs: dict, name=None, *, graph=None, exact_name=False,
             strict_attrs=True, control_inputs=()) -> Operation:
    """Creates an Operation for ``opdef`` from user arguments.

    ``args`` follow ``opdef.inputs`` (a list for ``N*T`` arguments); Python values are converted
    to Const tensors using the dtype of their type attr. ``attrs`` are the declared attrs
    (defaults filled in). With ``strict_attrs=False`` (GraphDef import) derived attrs may be
    given and are checked, and unknown attrs are ignored.
    """
    if len(args) != len(opdef.args):
        raise TypeError(f"{opdef.type} expects {len(opdef.args)} inputs "
                        f"({', '.join(a.name for a in opdef.args)}), got {len(args)}")
    if graph is None:
        graph = _graph_of_args(args)
    with graph.as_default():
        if exact_name:
            if not name or not _VALID_OP_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid node name")
            op_name, scope = name, contextlib.nullcontext()
        else:
            base = name if name else opdef.type
            # Inside a name scope TF accepts a leading "_" ("scope/_0"); at the root it does not.
            pattern = _VALID_SCOPE_NAME if graph._name_stack else _VALID_OP_NAME
            if not base.endswith("/") and (not base or not pattern.match(base)):
                raise ValueError(f"'{base}' is not a valid node name")
            scope = graph.name_scope(base)  # Python inputs become Consts named "<op>/<arg>"
        with scope as scope_name:
            if not exact_name:
                op_name = scope_name[:-1]
            flat, derived = _convert_args(opdef, args, graph)
            cond = graph._control_flow_context
            if cond is not None:  # in a tf.cond branch or loop: outside inputs are switched/entered
                flat, control_inputs = cond.enter_inputs(opdef, args, flat, control_inputs)
            if graph._loop_ops:
                from .control_flow import check_loop_inputs

                check_loop_inputs(graph, opdef, flat, op_name)
        final = _final_attrs(opdef, attrs, derived, strict_attrs)
        kernel_attrs = {k: final[k] for k in opdef.attrs}
        specs_in = [TensorSpec(t._shape, t._dtype, value_fn=_value_thunk(t),
                               shape_fn=_shape_thunk(t)) for t in flat]
        grouped = group_by_args(opdef, specs_in, final)
        try:
            specs_out = list(opdef.infer(*grouped, **kernel_attrs))
        except (InvalidArgumentError, ValueError) as e:
            shapes = ", ".join(s.shape.debug_string() for s in specs_in)
            raise InvalidArgumentError(
                None, None, f"{e} for '{op_name}' (op: '{opdef.type}') with input shapes: "
                f"{shapes}.") from None
        op = graph._add_op(opdef, op_name, flat, final, kernel_attrs, specs_out, control_inputs)
        if cond is not None:
            cond.made(op)
        return op


def _value_thunk(t: Tensor):
    return lambda: constant_value(t)


def _shape_thunk(t: Tensor):
    return lambda: constant_value_as_shape(t)


def _graph_of_args(args) -> Graph:
    default = get_default_graph()
    if default._capture is not None:  # tracing a dataset function: outer tensors come in
        return default
    for a in args:
        for v in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(v, Tensor):
                return v.graph
            if hasattr(v, "_as_tensor"):  # a Variable or IndexedSlices: its graph, without
                graph = getattr(v, "graph", None)  # converting (that would add dead ops)
                if graph is None:
                    graph = v._as_tensor().graph
                return graph
    return get_default_graph()


def _same_graph(t, graph, opdef, ref=False):
    """``t`` if it is of ``graph``; else what the graph captures it as (a dataset function's
    graph takes an outer tensor's value as an input), or the ValueError TF raises."""
    if t.graph is graph:
        return t
    if graph._capture is not None and not ref:
        return graph._capture(t)
    raise ValueError(f"Tensor {t.name} must be from the same graph as the other inputs of "
                     f"'{opdef.type}'.")


def _convert_args(opdef, args, graph):
    """Converts arguments to tensors of consistent dtypes; returns (flat tensors, derived)."""
    derived: dict = {}
    # First pass: type attrs fixed by tensors already in the graph.
    for spec, a in zip(opdef.args, args):
        if spec.type_attr and spec.type_attr not in derived:
            for v in (a if spec.number_attr else [a]):
                t = _as_tensor_or_none(v)
                if t is not None:
                    derived[spec.type_attr] = t.dtype
                    break
    flat = []
    for spec, a in zip(opdef.args, args):
        if spec.type_list_attr:  # any dtypes: each converted on its own
            if not isinstance(a, (list, tuple)):
                raise TypeError(f"Expected list for '{spec.name}' argument to '{opdef.type}' Op, "
                                f"not {a!r}.")
            tensors = [_as_tensor_or_none(v) for v in a]
            tensors = [t if t is not None else convert_to_tensor(v, name=spec.name)
                       for t, v in zip(tensors, a)]
            tensors = [_same_graph(t, graph, opdef) for t in tensors]
            derived[spec.type_list_attr] = [t.dtype for t in tensors]
            flat.extend(tensors)
            continue
        values = a if spec.number_attr else [a]
        if spec.number_attr:
            if not isinstance(a, (list, tuple)):
                raise TypeError(f"Expected list for '{spec.name}' argument to '{opdef.type}' Op, "
                                f"not {a!r}.")
            if spec.number_attr in derived and derived[spec.number_attr] != len(a):
                first = next(s.name for s in opdef.args if s.number_attr == spec.number_attr)
                raise ValueError(f"List argument '{spec.name}' to '{opdef.type}' Op with length "
                                 f"{len(a)} must match length {derived[spec.number_attr]} of "
                                 f"argument '{first}'.")
            derived[spec.number_attr] = len(a)
        want = spec.fixed_dtype or derived.get(spec.type_attr)
        for v in values:
            if spec.is_ref and hasattr(v, "_ref"):
                v = v._ref()  # a Variable passes its VariableV2 output, not its read snapshot
            t = _as_tensor_or_none(v)
            if t is None:
                try:
                    t = convert_to_tensor(v, dtype=want if want else None,
                                          preferred_dtype=spec.default_dtype, name=spec.name)
                except (TypeError, ValueError) as e:
                    raise TypeError(f"Expected {want.name if want else 'a tensor'} for argument "
                                    f"'{spec.name}' of '{opdef.type}' Op, got {v!r}: {e}") from None
            t = _same_graph(t, graph, opdef, ref=spec.is_ref)
            if want is not None and t.dtype != want:
                first = next(s.name for s in opdef.args if s.type_attr == spec.type_attr) \
                    if spec.type_attr else None
                if spec.fixed_dtype is not None:
                    raise TypeError(f"Input '{spec.name}' of '{opdef.type}' Op has type "
                                    f"{t.dtype.name} that does not match expected type of "
                                    f"{want.name}.")
                raise TypeError(f"Input '{spec.name}' of '{opdef.type}' Op has type {t.dtype.name} "
                                f"that does not match type {want.name} of argument '{first}'.")
            if spec.type_attr and spec.type_attr not in derived:
                derived[spec.type_attr] = t.dtype
                want = t.dtype
            if spec.is_ref and not _is_variable_output(t):
                raise TypeError(f"'{opdef.type}' Op requires that input '{spec.name}' be a "
                                f"mutable tensor (e.g. a Variable); got {t.name}")
            flat.append(t)
    return flat, derived


def _is_variable_output(t: Tensor) -> bool:
    """A variable's storage tensor, directly or through a RefSwitch or RefEnter (tf.cond's and
    tf.while_loop's reference)."""
    op = t._op
    while op._opdef.type in ("RefSwitch", "RefEnter"):
        op = op._inputs[0]._op
    return op._opdef.resource == "variable" and not op._opdef.ref_args


def _as_tensor_or_none(v):
    conv = getattr(v, "_as_tensor", None)
    if conv is not None:
        v = conv()
    return v if isinstance(v, Tensor) else None


def _final_attrs(opdef, attrs, derived, strict):
    final = {}
    for k, v in attrs.items():
        if k in opdef.attr_kinds:
            final[k] = coerce_attr(opdef.attr_kinds[k], v, k, opdef.type)
        elif k in opdef.derived_attrs:
            if strict:
                raise TypeError(f"{opdef.type} got attr '{k}', which is derived from its inputs")
            known = derived.get(k)
            given = v if isinstance(known, int) else [_dt.as_dtype(x) for x in v] \
                if isinstance(known, list) else _dt.as_dtype(v)
            if derived.get(k) != given:
                raise InvalidArgumentError(
                    None, None, f"attr '{k}' of {opdef.type} is {given!r} but its inputs "
                    f"give {derived.get(k)!r}")
        elif strict:
            raise TypeError(f"{opdef.type} got an unexpected attr '{k}'")
    for k, kind in opdef.attr_kinds.items():
        if k not in final:
            if k not in opdef.attr_defaults:
                raise TypeError(f"{opdef.type} requires attr '{k}' ({kind})")
            d = opdef.attr_defaults[k]
            final[k] = list(d) if isinstance(d, list) else d
    final.update(derived)
    return final


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)
