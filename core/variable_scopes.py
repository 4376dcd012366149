"""``tf.variable_scope``, ``tf.get_variable`` and the per-graph variable store behind them. A
VariableScope carries what its variables inherit (reuse, initializer, regularizer, dtype,
partitioner, custom getter); the store (``graph._variable_store``) maps full names to the
Variables ``get_variable`` made, holds the current scope and counts opened scopes for default
names.

Split from core/variables.py, which re-exports these names; the Variable class they create is
core/ref_variable.py, partitioned variables core/partitioned_variables.py.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys

from . import dtypes as _dt
from . import init_ops
from . import partitioned_variables as _pv
from .graph import (GraphKeys, Operation, Tensor, get_collection, get_default_graph,
                    to_numpy)
from .ref_variable import Variable
from .tensor_shape import as_shape
from .v2_compat import resource_variables_enabled
from .variables_extra import (VariableAggregation, VariableSynchronization, call_initializer,
                              check_synchronization, takes_no_arguments)

__all__ = ["AUTO_REUSE", "VariableScope", "get_local_variable", "get_variable",
           "get_variable_scope", "no_regularizer", "variable_scope"]


# -- variable scopes ----------------------------------------------------------------------------
class _ReuseMode:
    def __repr__(self):
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class VariableScope:
    """A named scope for ``get_variable`` with inherited reuse, initializer and dtype."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, dtype=_dt.float32,
                 name_scope="", custom_getter=None, constraint=None, partitioner=None,
                 caching_device=None, use_resource=None):
        self._name = name
        # caching_device is recorded for TF1 code that reads it back (minitf places every
        # variable on the CPU); use_resource picks resource variables (None: the global switch).
        self._caching_device = caching_device
        self._use_resource = use_resource
        self._partitioner = partitioner
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = _dt.as_dtype(dtype)
        self._name_scope = name_scope
        self._custom_getter = custom_getter
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    dtype = property(lambda self: self._dtype)
    custom_getter = property(lambda self: self._custom_getter)
    constraint = property(lambda self: self._constraint)
    partitioner = property(lambda self: self._partitioner)
    caching_device = property(lambda self: self._caching_device)
    use_resource = property(lambda self: self._use_resource)

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def get_collection(self, name) -> list:
        """The items of collection ``name`` whose names start with this scope's."""
        return get_collection(name, f"{self._name}/" if self._name else "")

    def global_variables(self) -> list:
        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def trainable_variables(self) -> list:
        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def local_variables(self) -> list:
        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def reuse_variables(self):
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = _dt.as_dtype(dtype)

    def get_variable(self, name, shape=None, dtype=None, initializer=None, regularizer=None,
                     reuse=None, trainable=None, collections=None, custom_getter=None,
                     constraint=None, partitioner=None, caching_device=None,
                     validate_shape=True, use_resource=None, synchronization=None,
                     aggregation=None, **_):
        full = f"{self._name}/{name}" if self._name else name
        if dtype is not None and initializer is not None and not callable(initializer):
            # TF checks an explicit dtype against a value initializer's before any default.
            init_dtype = _value_dtype(initializer)
            if init_dtype != _dt.as_dtype(dtype):
                raise ValueError(f"Initializer type '{init_dtype}' and explicit dtype "
                                 f"'{dtype}' don't match.")
        caching_device = self._caching_device if caching_device is None else caching_device
        use_resource = self._use_resource if use_resource is None else use_resource
        # TF resolves trainable (True, False for ON_READ) before any getter sees it: custom
        # getters branch on it (mixed-precision float32 storage getters).
        synchronization, aggregation, trainable = check_synchronization(
            synchronization, aggregation, trainable, full)
        reuse = self._reuse if reuse is None else reuse
        pick = lambda given, default: default if given is None else given  # noqa: E731
        store = _store()

        def true_getter(name, shape=None, dtype=_dt.float32, initializer=None, regularizer=None,
                        reuse=None, trainable=None, collections=None, constraint=None,
                        partitioner=None, caching_device=None, validate_shape=True,
                        use_resource=None, synchronization=None, aggregation=None, **_):
            kw = dict(regularizer=regularizer, trainable=trainable, collections=collections,
                      constraint=constraint)
            scalar = isinstance(shape, (list, tuple)) and not shape  # never partitioned
            if partitioner is not None and not scalar:
                if not callable(partitioner):
                    raise ValueError(f"Partitioner must be callable, but received: "
                                     f"{partitioner}")
                with get_default_graph().name_scope(None):
                    return _pv.get_partitioned_variable(store, name, partitioner, shape, dtype,
                                                        initializer, reuse,
                                                        use_resource=use_resource, **kw)
            if reuse is True and partitioner is None and name in store.partitioned:
                return _pv.get_partitioned_variable(store, name, None, shape, dtype,
                                                    initializer, reuse, **kw)
            if f"{name}/part_0" in store.vars:
                raise ValueError("No partitioner was provided, but a partitioned version of the "
                                 f"variable was found: {name}/part_0. Perhaps a variable of the "
                                 "same name was already created with partitioning?")
            return store.get(name, shape, dtype, initializer, reuse=reuse,
                             caching_device=caching_device, validate_shape=validate_shape,
                             use_resource=use_resource, synchronization=synchronization,
                             aggregation=aggregation, **kw)

        args = dict(name=full, shape=shape, dtype=pick(dtype, self._dtype),
                    initializer=pick(initializer, self._initializer),
                    regularizer=pick(regularizer, self._regularizer), reuse=reuse,
                    trainable=trainable, collections=collections,
                    constraint=pick(constraint, self._constraint),
                    partitioner=pick(partitioner, self._partitioner))
        extra = dict(caching_device=caching_device, validate_shape=validate_shape,
                     use_resource=use_resource, synchronization=synchronization,
                     aggregation=aggregation)
        getter = pick(custom_getter, self._custom_getter)  # one given here replaces the scope's
        if getter is None:
            return true_getter(**args, **extra)
        # TF1's custom getter: called with the real getter and every argument by keyword
        # (constraint only if it takes it or **kwargs, as TF1 decides), outside any name
        # scope (variable names depend on the variable scope only).
        if not takes_constraint(getter):
            args.pop("constraint")
        with get_default_graph().name_scope(None):
            return getter(getter=true_getter, **extra, **args)

    def __repr__(self):
        return f"<VariableScope '{self._name}' reuse={self._reuse}>"


def takes_constraint(getter) -> bool:
    """Whether TF1 passes a custom getter ``constraint``: it names it or takes **kwargs (a
    getter whose signature cannot be read is given it)."""
    try:
        params = inspect.signature(getter).parameters
    except (TypeError, ValueError):
        return True
    return "constraint" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                         for p in params.values())


class _VariableStore:
    def __init__(self):
        self.vars: dict[str, Variable] = {}
        self.partitioned: dict[str, _pv.PartitionedVariable] = {}
        self.scope = VariableScope(False)
        self.counts: dict[str, int] = {}

    def get(self, name, shape, dtype, initializer, regularizer=None, reuse=None, trainable=None,
            collections=None, constraint=None, partition_info=None, caching_device=None,
            validate_shape=True, use_resource=None,
            synchronization=VariableSynchronization.AUTO,
            aggregation=VariableAggregation.NONE):
        dtype = _dt.as_dtype(dtype)
        shape = None if shape is None else as_shape(shape)
        found = self.vars.get(name)
        if found is not None:
            if reuse is False:
                raise ValueError(f"Variable {name} already exists, disallowed. Did you mean to "
                                 "set reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
            if shape is not None and not shape.is_compatible_with(found.shape):
                raise ValueError(f"Trying to share variable {name}, but specified shape {shape} "
                                 f"and found shape {found.shape}.")
            if dtype != found.dtype and not (initializer is not None and not callable(
                    initializer)):
                raise ValueError(f"Trying to share variable {name}, but specified dtype "
                                 f"{dtype.name} and found dtype {found.dtype.name}.")
            return found
        if reuse is True:
            raise ValueError(f"Variable {name} does not exist, or was not created with "
                             "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                             "VarScope?")
        from_value = initializer is not None and not callable(initializer)
        if from_value and shape is not None:
            raise ValueError("If initializer is a constant, do not specify shape.")
        if not from_value and initializer is not None and (
                shape is None or not shape.is_fully_defined()) and takes_no_arguments(
                initializer):
            # TF1: a zero-argument callable without a (full) shape gives the value, whose
            # shape and dtype the variable takes.
            init_value, var_dtype = initializer, None
        elif from_value:
            init_value = initializer
            var_dtype = None  # TensorFlow takes the dtype from the value
        else:
            if shape is None or not shape.is_fully_defined():
                raise ValueError(f"Shape of a new variable ({name}) must be fully defined, but "
                                 f"instead was {as_shape(shape)}.")  # None: TF's "<unknown>"
            if initializer is None:
                initializer = _default_initializer(name, dtype)
            if isinstance(initializer, type):
                initializer = initializer()
            # TF's bound initializer (a functools.partial, as creators see it)
            init_value = functools.partial(call_initializer, initializer, shape.as_list(),
                                           dtype, partition_info)
            var_dtype = dtype
        if trainable is None:
            trainable = True
        graph = get_default_graph()
        with graph.name_scope(None):  # variables are named by variable scope only
            # The keywords TF's _get_single_variable gives VariableV1 (so creators see them);
            # use_resource as TF 2.21 resolves it: unset, the global switch's.
            if use_resource is None:
                use_resource = resource_variables_enabled()
            v = Variable(initial_value=init_value, name=name, trainable=trainable,
                         collections=collections, caching_device=caching_device,
                         dtype=var_dtype, validate_shape=validate_shape, constraint=constraint,
                         use_resource=use_resource,
                         synchronization=synchronization, aggregation=aggregation, shape=shape)
            if regularizer is not None:
                with graph.name_scope(name + "/Regularizer/"):
                    loss = regularizer(v)
                if loss is not None:
                    graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        self.vars[name] = v
        return v


def _value_dtype(value):
    """The dtype a value initializer gives the variable (TF converts it to find out; this adds
    no Const to the graph)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):  # a Tensor or a Variable
        return _dt.as_dtype(value.dtype).base_dtype
    return _dt.from_numpy(to_numpy(value))


def _default_initializer(name, dtype):
    if dtype.is_floating:
        return init_ops.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_bool or dtype is _dt.string:
        return init_ops.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {dtype.name} is required")


def _store() -> _VariableStore:
    graph = get_default_graph()
    if graph._variable_store is None:
        graph._variable_store = _VariableStore()
    return graph._variable_store


def get_variable_scope() -> VariableScope:
    return _store().scope


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, partitioner=None,
                 validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                 synchronization=None, aggregation=None, reuse=None):
    """Gets an existing variable of the current variable scope or creates a new one."""
    sync, _, _ = check_synchronization(synchronization, aggregation, trainable, name)
    if trainable is None and sync is VariableSynchronization.ON_READ:
        trainable = False  # TF1: a variable synchronized on read is not trained
    return get_variable_scope().get_variable(
        name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
        reuse=reuse, trainable=trainable, collections=collections, custom_getter=custom_getter,
        constraint=constraint, partitioner=partitioner, caching_device=caching_device,
        validate_shape=validate_shape, use_resource=use_resource,
        synchronization=synchronization, aggregation=aggregation)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                       trainable=False, collections=None, caching_device=None, partitioner=None,
                       validate_shape=True, use_resource=None, custom_getter=None,
                       constraint=None, synchronization=None, aggregation=None, reuse=None):
    """``get_variable`` of a local variable: in LOCAL_VARIABLES (and ``collections``), never
    trainable, as TF1's."""
    del trainable  # TF1 ignores it: a local variable is not trained
    collections = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=False, collections=collections,
                        partitioner=partitioner, custom_getter=custom_getter,
                        constraint=constraint, reuse=reuse, caching_device=caching_device,
                        validate_shape=validate_shape, use_resource=use_resource,
                        synchronization=synchronization, aggregation=aggregation)


# The entered, not yet exited variable_scope contexts: TF's variable_scope is an object whose
# state lives in the graph, so `tf.variable_scope("s").__enter__()` stays open when the object
# is dropped; a dropped generator context would be closed by the collector, leaving the scope.
# (The graph it made the default is not kept: in TF too, collecting the object leaves it.)
_OPEN: set = set()


class variable_scope:  # noqa: N801 - TF1's name (a class in TF too)
    """Opens a variable scope (and a name scope of the same name) in the graph of ``values``
    (the default graph when it is made), which is the default graph inside, as TF1's. The
    object may be entered again (``with vs: ...`` twice): as TF's, it keeps the variable scope
    it resolved first (its unique default name and original name scope)."""

    def __init__(self, name_or_scope=None, default_name=None, values=None, initializer=None,
                 regularizer=None, caching_device=None, partitioner=None, custom_getter=None,
                 reuse=None, dtype=None, use_resource=None, constraint=None,
                 auxiliary_name_scope=True):
        if name_or_scope is None and default_name is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, while get "
                            f"{auxiliary_name_scope}")
        self._graph = _graph_of_values([] if values is None else values)  # (an array too)
        self._args = dict(
            name_or_scope=name_or_scope, default_name=default_name, initializer=initializer,
            regularizer=regularizer, caching_device=caching_device, partitioner=partitioner,
            custom_getter=custom_getter, reuse=reuse, dtype=dtype, use_resource=use_resource,
            constraint=constraint, auxiliary_name_scope=auxiliary_name_scope)
        self._cache: dict = {}  # what the first successful entry resolved
        self._entered: list = []

    def __enter__(self):
        # As TF: the scope's graph becomes the default (so tf.reset_default_graph() inside
        # refuses), except while tracing a function, which keeps its own graph.
        default = contextlib.nullcontext() if get_default_graph()._capture is not None else \
            self._graph.as_default()
        default.__enter__()
        try:
            context = _variable_scope(**self._args, _cache=self._cache)
            scope = context.__enter__()
        except BaseException:
            default.__exit__(*sys.exc_info())
            raise
        self._entered.append((default, context))
        _OPEN.add(context)
        return scope

    def __exit__(self, *exc_info):
        default, context = self._entered.pop()
        _OPEN.discard(context)
        try:
            return context.__exit__(*exc_info)
        finally:
            default.__exit__(*exc_info)


def _graph_of_values(values):
    """The graph of the graph elements among ``values`` (TF's _get_graph_from_inputs): all of
    one graph, else TF's ValueError; none: the default graph."""
    default = get_default_graph()
    if default._capture is not None:  # tracing a function: its graph, as TF's building_function
        return default
    first = None
    for v in values:
        element = v if isinstance(v, (Tensor, Operation)) else None
        if element is None and callable(getattr(v, "_as_graph_element", None)):
            element = v._as_graph_element()
        if element is None:
            continue
        if first is None:
            first = element
        elif element.graph is not first.graph:
            raise ValueError(f"{element} must be from the same graph as {first} (graphs are "
                             f"{element.graph} and {first.graph}).")
    return default if first is None else first.graph


def _reenter_current(graph):
    """The current name scope entered again (TF's auxiliary_name_scope=False): ``"a/b/"``, or
    the root's ``""``."""
    current = graph.get_name_scope()
    return graph.name_scope(current + "/") if current else contextlib.nullcontext("")


@contextlib.contextmanager
def _variable_scope(name_or_scope=None, default_name=None, initializer=None, regularizer=None,
                    caching_device=None, partitioner=None, custom_getter=None, reuse=None,
                    dtype=None, use_resource=None, constraint=None, auxiliary_name_scope=True,
                    _cache=None):
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if name_or_scope is not None and not isinstance(name_or_scope, (VariableScope, str)):
        raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
    if reuse is False:
        reuse = None  # TF1: False does not override an inherited True
    cache = {} if _cache is None else _cache
    store = _store()
    parent = store.scope
    graph = get_default_graph()
    if isinstance(name_or_scope, VariableScope):
        var_name = name_or_scope.name
        # TF re-opens a (uniquified) name scope named after the scope's last component, and
        # keeps the scope's original name scope (where its ops were first named).
        last = var_name.split("/")[-1]
        ns_ctx = graph.name_scope(last) if auxiliary_name_scope and last else \
            _reenter_current(graph)
        base = name_or_scope
    else:
        if name_or_scope is not None:
            short = name_or_scope
        elif "short" in cache:  # the object entered again: the name it resolved first
            short = cache["short"]
        else:  # TF1's unique name: the first of dense, dense_1, ... not open
            prefix = f"{parent.name}/" if parent.name else ""
            short, i = default_name, 0
            while store.counts.get(prefix + short, 0) > 0:
                i += 1
                short = f"{default_name}_{i}"
        var_name = f"{parent.name}/{short}" if parent.name else short
        # With a default name, TF1 opens name_scope(default_name), made unique among name
        # scopes on its own: the two counts can differ (dense_1 variables, dense_2 ops).
        # An empty name (variable_scope("")) keeps the current name scope, as TF's does.
        ns_short = short if name_or_scope is not None else default_name
        ns_ctx = graph.name_scope(ns_short) if auxiliary_name_scope and ns_short else \
            _reenter_current(graph) if not auxiliary_name_scope else \
            contextlib.nullcontext("")
        base = parent
    new_reuse = True if parent.reuse is True else (reuse if reuse is not None else base.reuse)
    if isinstance(name_or_scope, VariableScope) and reuse is None:
        new_reuse = name_or_scope.reuse or parent.reuse
    with ns_ctx as ns:
        if isinstance(name_or_scope, VariableScope):
            original = name_or_scope.original_name_scope
        else:  # the name scope opened on the first entry (TF caches it with the scope)
            original = cache.get("original", ns)
        getter = base.custom_getter
        if custom_getter is not None:
            if not callable(custom_getter):
                raise ValueError(f"Cannot set custom_getter, expected callable: "
                                 f"{custom_getter!r}")
            getter = custom_getter if getter is None else _wrap_getter(custom_getter, getter)
        scope = VariableScope(
            new_reuse, var_name,
            initializer if initializer is not None else base.initializer,
            regularizer if regularizer is not None else base.regularizer,
            dtype if dtype is not None else base.dtype,
            name_scope=original, custom_getter=getter,
            constraint=constraint if constraint is not None else base.constraint,
            partitioner=partitioner if partitioner is not None else base.partitioner,
            caching_device=caching_device if caching_device is not None else
            base.caching_device,
            use_resource=use_resource if use_resource is not None else base.use_resource)
        if not isinstance(name_or_scope, VariableScope):
            cache.setdefault("original", original)
            cache.setdefault("short", short)
        store.scope = scope
        # As TF1: a scope counts as opened for default names; leaving it forgets what opened
        # inside it, so re-entering "D" names its unnamed layers dense, dense_1 again (and
        # reuse finds them).
        store.counts[var_name] = store.counts.get(var_name, 0) + 1
        try:
            yield scope
        finally:
            store.scope = parent
            inside = var_name + "/"
            for key in store.counts:
                if key.startswith(inside):
                    store.counts[key] = 0


def _wrap_getter(custom_getter, outer):
    """A nested scope's getter runs first, with the enclosing scope's getter as its getter
    (TF1's composition)."""
    def wrapped(getter, *args, **kwargs):
        return custom_getter(functools.partial(outer, getter), *args, **kwargs)
    return wrapped


def no_regularizer(_):
    return None
