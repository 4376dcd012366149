"""Graph: the define-and-run graph with TF 1.x's naming and scoping rules.

What a graph is made of, the default graph and what builds ops live beside this module, and
callers import their names from here: core/tensor.py (Operation, Tensor, Reference,
GraphKeys, running an op's kernel), core/default_graph.py (get_default_graph, name_scope,
control_dependencies, device, the collections...), core/tensor_conversion.py (to_numpy,
convert_to_tensor, constant_value...) and core/apply_op.py (apply_op)."""

from __future__ import annotations

import contextlib
import re
import threading

from .device import _device_function
from .tensor import (GraphKeys, Operation, Reference, Tensor, _arg_slices,  # noqa: F401
                     evaluate_kernel, group_by_args, group_inputs)

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class _ControlLevel(list):
    """One ``control_dependencies`` block: its control ops, and the ops made inside it."""

    def __init__(self, ops):
        super().__init__(ops)
        self.seen: set = set()


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
        # Exit tensor names of imported loops whose while_context says back_prop=False
        self._loops_without_back_prop: set = set()
        self._variable_store = None  # created by variable_scope.get_variable
        # op -> the registered gradient name a gradient_override_map gave it (TF's
        # _gradient_op_type attr; GraphDefs carry it).
        self._gradient_overrides: dict = {}
        self._attr_scope_map: dict = {}  # _attr_scope's attrs for the ops made in it
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
        """The VersionDef this graph's GraphDefs carry (a new proto each time, as TF's): the
        lowest producer of minitf's and the GraphDefs imported into it, as TF merges them."""
        import importlib  # the protos are not core's (core/graph.py's as_graph_def does so too)

        return importlib.import_module("minitf.export.graph_def").graph_versions(self)

    # A graph built here is never a function body (TF2's FuncGraph), and TF1 code checks.
    building_function = _building_function = property(lambda self: False)
    _container = property(lambda self: getattr(self._local, "container", ""))

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
        if not allow_tensor and not allow_operation:
            raise ValueError("allow_tensor and allow_operation can't both be False.")
        conv = getattr(obj, "_as_graph_element", None)
        if conv is not None and not isinstance(obj, type):
            obj = conv()
        types = ("Tensor" if allow_tensor else "") + (
            " or Operation" if allow_tensor and allow_operation else
            "Operation" if allow_operation else "")
        if isinstance(obj, bytes):  # as TF (compat.as_str): a name given as bytes is UTF-8
            obj = obj.decode()
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
        out = []
        for item in items:
            try:  # as TF: an item without a name is left out (a name of None raises)
                if pattern.match(item.name):
                    out.append(item)
            except AttributeError:
                pass
        return out

    def get_all_collection_keys(self) -> list:
        """The string keys of the collections made so far, empty ones too (one
        get_collection_ref makes it), as TF's; a cleared collection is gone."""
        return [k for k in self._collections if isinstance(k, str)]

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
            stack = _graph_stack()
            if stack:  # as TF: blocks left in another order than entered are an error
                if stack[-1] is not self:
                    raise AssertionError(
                        f"Nesting violated for default stack of {type(self)} objects")
                stack.pop()

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
        stack.append(_ControlLevel(ops))
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
            # An ordered set (a dict): a list's membership test made an op with many control
            # inputs (tf.group, an initializer or restore of many variables) quadratic.
            controls = {}
            for level in self._control_stack:
                # An input made inside this block already runs after its controls: TF adds
                # them again only to ops with no such input.
                if not any(i in level.seen for i in input_ops):
                    controls.update((c, None) for c in level if c not in input_ops)
            controls.update((c, None) for c in control_inputs)
            controls = list(controls)
            container = self._container
            if container and attrs.get("container") == "" and opdef.stateful:
                attrs["container"] = kernel_attrs["container"] = container  # tf.container
            op = Operation(self, name, opdef, inputs, attrs, kernel_attrs, controls, specs)
            for key, value in self._attr_scope_map.items():
                if not op._marks or key not in op._marks:
                    value = value(op.node_def) if callable(value) else value
                    if value is not None:
                        op._set_attr(key, value)
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
            for level in self._control_stack:
                level.seen.add(op)
            self._version += 1
            return op

    @contextlib.contextmanager
    def _attr_scope(self, attr_map):
        """TF's private attr scope (jit scopes use it): ops made in the block get these attrs
        (an AttrValue, or a function of the op's NodeDef giving one or None); an inner scope's
        win, and None takes an attr out of the scope."""
        saved = {key: self._attr_scope_map.get(key) for key in attr_map}
        for key, value in attr_map.items():
            if value is None:
                self._attr_scope_map.pop(key, None)
            else:
                self._attr_scope_map[key] = value
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    self._attr_scope_map.pop(key, None)
                else:
                    self._attr_scope_map[key] = value

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


# Each thread's stack of graphs made default by Graph.as_default, innermost last.
_thread_local = threading.local()


def _graph_stack() -> list:
    stack = getattr(_thread_local, "stack", None)
    if stack is None:
        stack = _thread_local.stack = []
    return stack


class _NamedColocation:
    """A colocation target for an op that does not exist yet: TF1 colocates a variable's
    initializer ops with the variable (``loc:@<name>``, no device) before creating it."""

    _device = ""

    def __init__(self, name: str):
        self._groups = [b"loc:@" + name.encode()]

    def colocation_groups(self) -> list:
        return self._groups


def _op_to_colocate_with(v) -> Operation:
    """The op tf.colocate_with(v) means: ``v`` itself, a tensor's op, a variable's VariableV2."""
    if isinstance(v, _NamedColocation):
        return v
    conv = getattr(v, "_as_graph_element", None)
    if conv is not None:
        v = conv()
    if isinstance(v, Operation):
        return v
    return (v if isinstance(v, Tensor) else convert_to_tensor(v)).op

# The default graph, conversion and op construction build on Graph (they import it from this
# module), so they are loaded once it exists; callers import their names from here.
from .default_graph import (_graph_of, add_to_collection, add_to_collections,  # noqa: E402, F401
                            colocate_with, container, control_dependencies, device,
                            get_collection, get_collection_ref, get_default_graph, name_scope,
                            reset_default_graph)
from .tensor_conversion import (constant_value, constant_value_as_shape,  # noqa: E402, F401
                                convert_to_tensor, to_numpy)
from .apply_op import _is_variable_output, apply_op  # noqa: E402, F401
