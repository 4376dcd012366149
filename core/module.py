"""``tf.Module`` and ``tf.variable_creator_scope``, as tf.compat.v1 in TF 2.21 has them in
graph mode.

A Module names itself (``camel_to_snake`` of its class unless given) and opens that name scope
once, made unique in the graph (``my_dense``, ``my_dense_1``; ``outer/my_dense`` inside
``outer``); ``name_scope`` re-enters exactly that scope. ``variables``, ``trainable_variables``
and ``submodules`` walk the attributes in name order through lists, tuples and dicts (nest's
order: mappings by sorted key), each object once, then the submodules found, breadth first.

For checkpoints a Module is an AutoTrackable: assigning an attribute a trackable value (a
Variable, a Module, a list or dict, a tuple holding one of those) makes it a dependency named
after the attribute, in assignment order; re-assigning keeps its place; ``del`` drops it;
assigning a non-trackable value leaves an earlier dependency of that name in place (TF's
quirk). ``tf.train.Checkpoint`` saves it under those names (core/train/checkpoint_graph.py).

The creator stack itself lives beside the Variable class (core/ref_variable.py), which every
variable minitf makes goes through.
"""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import re

from . import nest as _nest
from .graph import get_default_graph
from .ref_variable import Variable, creator_stack, set_creator_stack

__all__ = ["Module", "variable_creator_scope"]


# -- variable creator scopes ----------------------------------------------------------------------
@contextlib.contextmanager
def _creator_scope(graph, creator, priority=100):
    """TF's ``Graph._variable_creator_scope``: creators of higher ``priority`` run first; within
    one priority, inner before outer."""
    if not callable(creator):
        raise TypeError(f"variable_creator_scope expects a callable creator(next_creator, "
                        f"**kwargs), got {creator!r}")
    old = creator_stack(graph)
    new = sorted(old + [(priority, creator)], key=lambda item: item[0])  # stable
    set_creator_stack(graph, new)
    try:
        yield
    finally:
        if creator_stack(graph) is not new:
            raise RuntimeError("Exiting variable_creator_scope without proper nesting.")
        set_creator_stack(graph, old)


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Every variable made in the default graph (of this thread) while the scope is open is
    made by ``variable_creator(next_creator, **kwargs)``: tf.Variable, tf.get_variable,
    optimizer slots, layers' weights. ``kwargs`` are TF's: initial_value, trainable,
    validate_shape, caching_device, name, variable_def, dtype, import_scope, constraint,
    synchronization, aggregation, shape, experimental_enable_variable_lifting, expected_shape,
    collections, use_resource. A creator may change them, call ``next_creator`` (the enclosing
    creator, finally the real constructor) any number of times, or return anything else: that
    is what ``tf.Variable(...)`` returns."""
    with _creator_scope(get_default_graph(), variable_creator):
        yield


# -- naming -------------------------------------------------------------------------------------
_CAMEL_TO_SNAKE_R = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_VALID_IDENTIFIER = re.compile(r"^[a-zA-Z_]([a-zA-Z0-9_])*$")


def camel_to_snake(value: str) -> str:
    return _CAMEL_TO_SNAKE_R.sub(r"_\1", value).lower()


def valid_identifier(name) -> bool:
    return bool(_VALID_IDENTIFIER.match(name))


class _ModuleNameScope:
    """TF2's ``name_scope`` object for an absolute scope (``"my_dense/"``): entering it (in
    whatever graph is the default then) re-opens exactly that scope; re-entrant."""

    def __init__(self, name: str):
        self._name = name
        self._exits: list = []

    name = property(lambda self: self._name)

    def __enter__(self) -> str:
        ctx = get_default_graph().name_scope(self._name or None)
        scope = ctx.__enter__()
        self._exits.append(ctx.__exit__)
        return scope

    def __exit__(self, *exc):
        return self._exits.pop()(*exc)


# -- tracking -----------------------------------------------------------------------------------
_DEPS = "_self_unconditional_dependency_names"  # {attribute: trackable}, in tracking order


def _is_trackable(value) -> bool:
    from .train.checkpoint_graph import is_trackable  # core.train imports layers, optimizers

    return is_trackable(value)


class Module:
    """``tf.Module(name=None)``: a named container of variables and submodules (see the
    module docstring)."""

    _TF_MODULE_IGNORED_PROPERTIES = frozenset((
        "_self_unconditional_checkpoint_dependencies", _DEPS))

    def __init__(self, name=None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not valid_identifier(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name
        with get_default_graph().name_scope(name) as scope_name:
            self._name_scope = _ModuleNameScope(scope_name)

    # -- attribute tracking (TF's AutoTrackable) ------------------------------------------------
    def __setattr__(self, name, value):
        try:
            if getattr(self, name) is value:
                return  # TF's short cut for `self.x = self.x`
        except AttributeError:
            pass
        if not name.startswith("_self_") and _is_trackable(value):
            deps = self.__dict__.get(_DEPS)
            if deps is None:
                deps = {}
                object.__setattr__(self, _DEPS, deps)
            deps[name] = value  # a re-assigned name keeps its place
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self.__dict__.get(_DEPS, {}).pop(name, None)
        object.__delattr__(self, name)

    def _trackable_children(self) -> dict:
        return dict(self.__dict__.get(_DEPS, {}))

    # -- naming ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def name_scope(self) -> _ModuleNameScope:
        return self._name_scope

    @classmethod
    def with_name_scope(cls, method):
        """Wraps ``method`` to run inside the module's name scope."""
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return method_with_name_scope

    # -- what it holds ----------------------------------------------------------------------------
    @property
    def variables(self) -> tuple:
        """This module's variables (attributes by name), then its submodules', breadth first."""
        return tuple(self._flatten(predicate=_is_variable, expand_composites=True))

    @property
    def trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=_is_trainable_variable, expand_composites=True))

    @property
    def non_trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=_is_non_trainable_variable,
                                   expand_composites=True))

    @property
    def submodules(self) -> tuple:
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False, expand_composites=False):
        """The leaves of the attributes (by ``attribute_traversal_key`` order of their names)
        that satisfy ``predicate``, then those of the submodules; each object once unless
        ``with_path`` (then yields (path, leaf))."""
        return _flatten_module(
            self, recursive=recursive, predicate=predicate or (lambda _: True),
            attribute_traversal_key=attribute_traversal_key,
            attributes_to_ignore=self._TF_MODULE_IGNORED_PROPERTIES, with_path=with_path,
            expand_composites=expand_composites)


def _is_variable(obj) -> bool:
    return isinstance(obj, Variable)


def _is_trainable_variable(obj) -> bool:
    return isinstance(obj, Variable) and getattr(obj, "trainable", False)


def _is_non_trainable_variable(obj) -> bool:
    return isinstance(obj, Variable) and not getattr(obj, "trainable", False)


def _is_module(obj) -> bool:
    return isinstance(obj, Module)


def _flatten_with_paths(structure, expand: bool, path=()):
    """nest.flatten_with_tuple_paths (mappings by sorted key); with ``expand``, a composite
    tensor (not a variable) is its components under its type's name."""
    if not _nest._nested(structure, expand):
        yield path, structure
        return
    if isinstance(structure, collections.abc.Mapping):
        keys = sorted(structure)
    elif _nest._is_attrs(structure):
        keys = [a.name for a in type(structure).__attrs_attrs__]
    elif expand and _nest._composite_kind(structure) is not None:
        path = path + (type(structure).__name__,)
        keys = range(len(_nest._components(structure)))
    else:
        keys = range(len(list(structure)))
    for key, child in zip(keys, _nest._children(structure, expand)):
        yield from _flatten_with_paths(child, expand, path + (key,))


def _flatten_module(module, recursive, predicate, attribute_traversal_key, attributes_to_ignore,
                    with_path, expand_composites, module_path=(), seen=None,
                    recursion_stack=None):
    """TF's module._flatten_module: attribute leaves first, then submodules in the order
    found; ``seen`` (ids) shares de-duplication across the whole walk."""
    module_id = id(module)
    if seen is None:
        seen = {module_id}
    if recursion_stack is None:
        recursion_stack = []
    if module_id in recursion_stack:
        recursive = False
    module_dict = vars(module)
    submodules = []
    for key in sorted(module_dict, key=attribute_traversal_key):
        if key in attributes_to_ignore:
            continue
        prop = module_dict[key]
        try:
            leaves = list(_flatten_with_paths(prop, expand_composites))
        except Exception as cause:
            raise ValueError(f"Error processing property {key!r} of {prop!r}") from cause
        for leaf_path, leaf in leaves:
            leaf_path = (key,) + leaf_path
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (module_path + leaf_path, leaf) if with_path else leaf
            if recursive and _is_module(leaf):
                submodules.append((module_path + leaf_path, leaf))
    recursion_stack.append(module_id)
    for submodule_path, submodule in submodules:
        yield from _flatten_module(
            submodule, recursive=recursive, predicate=predicate,
            attribute_traversal_key=attribute_traversal_key,
            attributes_to_ignore=submodule._TF_MODULE_IGNORED_PROPERTIES, with_path=with_path,
            expand_composites=expand_composites, module_path=submodule_path, seen=seen,
            recursion_stack=recursion_stack)
    recursion_stack.pop()
