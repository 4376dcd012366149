"""``tf.Variable``: TF 1.x's reference variable (TF1's RefVariable), or with ``use_resource``
(or ``tf.enable_resource_variables()``) a resource variable, whose reads and updates are
core/resource_variable.py's. A Variable is three ops, named as TensorFlow names them: ``w``
(VariableV2, the storage), ``w/Assign`` (its initializer) and ``w/read`` (the Identity that other
ops consume; a resource variable's is ``w/Read/ReadVariableOp``, a Copy).
The rest of its API (scatter_nd_*, count_up_to, to_proto, slice info) is attached at the end of
this module, from core/variables_extra.py and core/partitioned_variables.py.

``Variable(...)`` goes through the default graph's variable creator stack (this thread's),
as TF's VariableMetaclass: ``tf.variable_creator_scope`` (core/module.py) pushes creators that
see TF's keyword arguments and may change them or return something else. Every variable minitf
makes is a ``Variable(...)`` call, so get_variable, optimizer slots and layers' weights reach
the creators too; with none, the constructor runs directly.

Split from core/variables.py, which re-exports these names: the class on its own, apart from
the variable scopes (core/variable_scopes.py) and collection functions that build on it.
"""

from __future__ import annotations

import contextlib
import inspect

from . import dtypes as _dt
from . import partitioned_variables as _pv
from . import resource_variable as _rv
from .graph import (GraphKeys, Reference, Tensor, _NamedColocation, convert_to_tensor,
                    get_default_graph, name_scope)
from .ops import array_ops, gather_ops, state_ops
from .ops.state_ops import VARIABLE_V2
from .tensor_shape import TensorShape, as_shape
from .variable_init_guard import guard_uninitialized_reads
from .variables_extra import (VariableAggregation, VariableSynchronization, attach,
                              check_synchronization, from_proto)

__all__ = ["RefVariable", "Variable", "VariableV1"]

# The keyword arguments TF 2.21's VariableV1 passes down its creator stack, in its order.
_CREATOR_KWARGS = ("initial_value", "trainable", "validate_shape", "caching_device", "name",
                   "variable_def", "dtype", "import_scope", "constraint", "synchronization",
                   "aggregation", "shape", "experimental_enable_variable_lifting",
                   "expected_shape", "collections", "use_resource")


def creator_stack(graph) -> list:
    """``graph``'s variable creators for this thread, [(priority, creator)] sorted by priority
    (stable): TF keeps the stack per graph and per thread (``Graph._variable_creator_stack``),
    so a scope entered in one graph or thread does not reach another's variables."""
    return graph._local.__dict__.get("variable_creator_stack") or []


def set_creator_stack(graph, stack: list):
    graph._local.variable_creator_stack = stack


def _default_creator(next_creator=None, **kwargs):
    """The end of the creator chain: makes the Variable. As TF's default creator it reads the
    keys it knows and ignores any other a creator added."""
    return type.__call__(Variable, **{k: kwargs[k] for k in _CREATOR_KWARGS if k in kwargs})


def _chain(creator, previous):
    return lambda **kwargs: creator(previous, **kwargs)


class _VariableMeta(type):
    """Routes ``tf.Variable(...)`` (and so every variable minitf makes: get_variable, slots,
    layers' weights) through the default graph's creator stack, as TF's VariableMetaclass.
    With no creator, the constructor runs directly: variable creation pays one lookup."""

    def __call__(cls, *args, **kwargs):
        stack = creator_stack(get_default_graph())
        if not stack or cls is not Variable:
            return type.__call__(cls, *args, **kwargs)
        try:
            bound = _SIGNATURE.bind(*args, **kwargs).arguments
        except TypeError as e:
            raise TypeError(f"Variable(): {e}") from None
        call = {k: bound.get(k, _DEFAULTS[k]) for k in _CREATOR_KWARGS}
        if call["aggregation"] is None:  # TF resets an explicit None to the enum's NONE
            call["aggregation"] = VariableAggregation.NONE
        getter = _default_creator
        for _, creator in stack:  # the last registered (innermost) runs first
            getter = _chain(creator, getter)
        return getter(**call)


class Variable(metaclass=_VariableMeta):
    """``tf.Variable(initial_value, trainable=True, name=None, dtype=None, ...)``."""

    __array_priority__ = 100
    # A resource variable (use_resource): each read a new copy, made where it is asked for.
    # An instance's flag, not a subclass, so that distribution strategies, which re-class a
    # Variable made by their creator, keep it.
    _resource = False

    def __init__(self, initial_value=None, trainable=True, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 expected_shape=None, import_scope=None, constraint=None, use_resource=None,
                 synchronization=None, aggregation=None, shape=None,
                 experimental_enable_variable_lifting=None):
        del experimental_enable_variable_lifting  # TF2 function lifting: no meaning here
        if variable_def is not None:  # TF1: the variable over an imported graph's ops
            if initial_value is not None:
                raise ValueError("variable_def and initial_value are mutually exclusive.")
            self.__dict__.update(from_proto(variable_def, import_scope).__dict__)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        # TF checks these before building anything (a resource variable's message differs).
        if collections is not None and not isinstance(collections, (list, tuple, set)):
            raise ValueError("collections argument to Variable constructor must be a list, "
                             f"tuple, or set. Got {collections} of type {type(collections)}")
        if constraint is not None and not callable(constraint):
            if _rv.use_resource(use_resource):
                raise ValueError("Argument `constraint` must be None or a callable. a callable. "
                                 f"Got a {type(constraint)}:  {constraint}")
            raise ValueError("The `constraint` argument must be a callable.")
        self._synchronization, self._aggregation, trainable = check_synchronization(
            synchronization, aggregation, trainable, name)
        from_fn = callable(initial_value)
        graph = get_default_graph()
        self._resource = _rv.use_resource(use_resource)
        with graph.as_default(), graph.control_dependencies(None), \
                name_scope(name, "Variable") as scope:
            if from_fn:
                # As TF1: the initializer joins the variable's group with no device, unless
                # a tf.colocate_with around the variable decides both (TF's _class attr scope
                # yields to the colocation stack).
                colocation = contextlib.nullcontext() if graph._colocation_stack else \
                    graph.colocate_with(_NamedColocation(scope[:-1]))
                with colocation, name_scope("Initializer"):
                    init = convert_to_tensor(initial_value(), dtype=dtype, name="initial_value")
            else:
                init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            if init.op in graph._control_flow_ops:
                # Made in a tf.cond branch: the initializer could only run when that branch does.
                raise ValueError(
                    f"Initializer for variable {scope[:-1]} is from inside a control-flow "
                    "construct, such as a loop or conditional. When creating a variable inside "
                    "a loop or conditional, use a lambda as the initializer.")
            if dtype is not None and init.dtype != _dt.as_dtype(dtype):
                raise ValueError(f"initial_value has dtype {init.dtype.name}, expected "
                                 f"{_dt.as_dtype(dtype).name}")
            if shape is not None:
                var_shape = as_shape(shape)
            elif validate_shape:
                var_shape = init.shape
                if not var_shape.is_fully_defined():
                    raise ValueError(f"initial_value must have a shape specified: {init}")
            else:
                var_shape = TensorShape(None)
            self._variable = VARIABLE_V2(shape=var_shape, dtype=init.dtype, name=scope)
            if from_fn and not graph._colocation_stack:  # TF1 names its own group, too
                self._variable.op._colocation = tuple(
                    _NamedColocation(scope[:-1]).colocation_groups())
            self._initial_value = init
            graph = self._variable.graph
            guarded = guard_uninitialized_reads(scope, init)
            with graph.colocate_with(self._variable.op):  # as TF1: on the variable's device
                self._initializer_op = state_ops.assign(
                    self._variable, guarded, validate_shape=validate_shape).op
                self._snapshot = _rv.first_read(self) if self._resource else \
                    array_ops.identity(self._variable, name="read")
        self._trainable = trainable
        self._constraint = constraint
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        graph.add_to_collections(collections, self)
        self._save_slice_info = None

    @classmethod
    def _from_graph(cls, variable, initializer_op, snapshot, initial_value, trainable):
        """A Variable over ops already in a graph (an imported meta graph's), not added to any
        collection."""
        self = object.__new__(cls)
        self._variable, self._initializer_op = variable, initializer_op
        self._snapshot, self._initial_value = snapshot, initial_value
        self._trainable, self._constraint, self._save_slice_info = trainable, None, None
        return self

    # -- identity --------------------------------------------------------------------------------
    name = property(lambda self: self._variable.name)
    op = property(lambda self: self._variable.op)
    graph = property(lambda self: self._variable.graph)
    dtype = property(lambda self: self._variable.dtype)
    shape = property(lambda self: self._variable.shape)
    device = property(lambda self: self._variable.op.device)
    initializer = property(lambda self: self._initializer_op)
    initial_value = property(lambda self: self._initial_value)
    trainable = property(lambda self: self._trainable)
    constraint = property(lambda self: self._constraint)

    def get_shape(self) -> TensorShape:
        return self._variable.shape

    def set_shape(self, shape):
        self._variable.set_shape(shape)
        self._snapshot.set_shape(shape)

    def _ref(self) -> Tensor:
        return self._variable

    def _as_graph_element(self) -> Tensor:
        return self._snapshot if self._resource else self._variable  # as TF's, each

    def _as_tensor(self) -> Tensor:
        return _rv.as_tensor(self) if self._resource else self._snapshot

    def value(self) -> Tensor:
        return _rv.read(self) if self._resource else self._snapshot

    def read_value(self) -> Tensor:
        if self._resource:
            return _rv.read_value(self)
        return array_ops.identity(self._variable, name="read")

    def initialized_value(self) -> Tensor:
        """The variable's value if it is initialized, else its initial value (TF1's cond, made
        outside any branch or control scope): for initializing other variables from it."""
        from .control_flow import cond

        graph = self._variable.graph
        with graph.as_default(), graph.control_dependencies(None):
            return cond(state_ops.is_variable_initialized(self), self.read_value,
                        lambda: self._initial_value)

    def is_initialized(self, name=None) -> Tensor:
        return state_ops.is_variable_initialized(self, name=name)

    def sparse_read(self, indices, name=None) -> Tensor:
        """The rows ``indices`` of the variable's value (TF1: a Gather of the variable)."""
        return gather_ops.gather(self._variable, indices, name=name)

    def gather_nd(self, indices, name=None) -> Tensor:
        return gather_ops.gather_nd(self._variable, indices, name=name)

    def ref(self) -> Reference:
        return Reference(self)

    experimental_ref = ref

    def eval(self, session=None):
        return self._variable.eval(session=session)

    def load(self, value, session=None):
        from .session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError("Either session argument should be provided or default session "
                             "should be established")
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    # -- updates ---------------------------------------------------------------------------------
    # A resource variable's update returns a read made after it (read_value=False: the op).
    def assign(self, value, use_locking=False, name=None, read_value=True):
        if self._resource:
            return _rv.assign(self, value, use_locking, name, read_value)
        out = state_ops.assign(self._variable, value, use_locking=use_locking, name=name)
        return out if read_value else out.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        out = state_ops.assign_add(self._variable, delta, use_locking=use_locking, name=name)
        if self._resource:
            return _rv.updated(self, out, read_value)
        return out if read_value else out.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        out = state_ops.assign_sub(self._variable, delta, use_locking=use_locking, name=name)
        if self._resource:
            return _rv.updated(self, out, read_value)
        return out if read_value else out.op

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Sets the rows ``sparse_delta.indices`` to ``sparse_delta.values`` (an
        IndexedSlices); returns the variable's new value. Likewise scatter_add, _sub, _mul,
        _div, _max and _min."""
        return self._scatter(state_ops.scatter_update, sparse_delta, use_locking, name)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_add, sparse_delta, use_locking, name)

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_sub, sparse_delta, use_locking, name)

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_mul, sparse_delta, use_locking, name)

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_div, sparse_delta, use_locking, name)

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_max, sparse_delta, use_locking, name)

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(state_ops.scatter_min, sparse_delta, use_locking, name)

    def _scatter(self, fn, sparse_delta, use_locking, name):
        from .indexed_slices import IndexedSlices

        if not isinstance(sparse_delta, IndexedSlices):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        out = fn(self._variable, sparse_delta.indices, sparse_delta.values,
                 use_locking=use_locking, name=name)
        return _rv.updated(self, out) if self._resource else out

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name}{'' if self._resource else '_ref'}>")

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        return True  # TF1's variables are truthy (``gs or create_global_step()``); tensors refuse

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")


def _delegate(name):
    def method(self, *args):
        return getattr(self._as_tensor(), name)(*args)  # a resource variable reads anew
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
              "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__", "__lt__", "__le__",
              "__gt__", "__ge__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__invert__"):
    setattr(Variable, _name, _delegate(_name))


def _getitem(self, slice_spec):
    """``variable[spec]``: a slice of its value that can be assigned to (``.assign``)."""
    from .ops.slicing_ops import _slice_helper

    return _slice_helper(self._as_tensor(), slice_spec, var=self)


Variable.__getitem__ = _getitem

RefVariable = VariableV1 = Variable

_SIGNATURE = inspect.signature(Variable.__init__).replace(
    parameters=list(inspect.signature(Variable.__init__).parameters.values())[1:])
# TF's VariableV1 call defaults (what a creator sees for an argument not given).
_DEFAULTS = {k: p.default for k, p in _SIGNATURE.parameters.items()}
_DEFAULTS.update(trainable=None, synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE)


attach(Variable)
_pv.attach(Variable)


def _read_after_update(method):
    """An update method of core/variables_extra.py: a resource variable returns a read after
    the update instead of the update's output (which shares the buffer)."""
    def wrapped(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        return _rv.updated(self, out) if self._resource else out
    wrapped.__name__, wrapped.__doc__ = method.__name__, method.__doc__
    return wrapped


for _name in ("scatter_nd_update", "scatter_nd_add", "scatter_nd_sub", "batch_scatter_update"):
    setattr(Variable, _name, _read_after_update(getattr(Variable, _name)))
