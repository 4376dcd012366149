"""``tf.make_template``: a function whose variables are made on its first call and shared by
every later call (TF1's Template), in a variable scope of its own."""

from __future__ import annotations

import functools

from .graph import GraphKeys, get_default_graph
from .tf_logging import info
from .variables import VariableScope, variable_scope


class Template:
    """``func`` in its own variable scope: the first call creates the variables
    (``tf.get_variable``), later calls reuse them. A later call creating a trainable variable
    is an error (usually a ``tf.Variable`` meant to be a ``tf.get_variable``)."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None,
                 custom_getter=None):
        self._func = func
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._variable_scope: VariableScope | None = None
        self._variables_created = False
        if create_scope_now:
            with variable_scope(unique_name, default_name=name,
                                custom_getter=custom_getter) as vs:
                self._variable_scope = vs

    def _call_func(self, args, kwargs):
        graph = get_default_graph()
        n_vars = len(graph.get_collection(GraphKeys.GLOBAL_VARIABLES))
        n_trainable = len(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
        result = self._func(*args, **kwargs)
        if not self._variables_created:
            self._variables_created = True
            return result
        trainable = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        if len(trainable) != n_trainable:
            raise ValueError("Trainable variable created when calling a template after the "
                             "first time, perhaps you used tf.Variable when you meant "
                             f"tf.get_variable: {trainable[n_trainable:]}")
        if len(graph.get_collection(GraphKeys.GLOBAL_VARIABLES)) != n_vars:
            info("New variables created when calling a template after the first time, "
                 "perhaps you used tf.Variable when you meant tf.get_variable")
        return result

    def __call__(self, *args, **kwargs):
        if self._variable_scope is not None:
            with variable_scope(self._variable_scope, reuse=self._variables_created or None):
                return self._call_func(args, kwargs)
        with variable_scope(self._unique_name, default_name=self._name,
                            custom_getter=self._custom_getter) as vs:
            self._variable_scope = vs
            return self._call_func(args, kwargs)

    name = property(lambda self: self._name)
    func = property(lambda self: self._func)
    variable_scope = property(lambda self: self._variable_scope)

    @property
    def variable_scope_name(self) -> str:
        """The scope's name with a trailing "/", as TF1's (empty before the first call)."""
        return self._variable_scope.name + "/" if self._variable_scope is not None else ""

    def _collection(self, key):
        if self._variable_scope is None:
            return []
        prefix = self._variable_scope.name + "/"
        return [v for v in get_default_graph().get_collection(key)
                if v.op.name.startswith(prefix)]

    global_variables = property(lambda self: self._collection(GraphKeys.GLOBAL_VARIABLES))
    variables = property(lambda self: self.global_variables + self.local_variables)
    trainable_variables = property(lambda self: self._collection(GraphKeys.TRAINABLE_VARIABLES))
    local_variables = property(lambda self: self._collection(GraphKeys.LOCAL_VARIABLES))

    @property
    def non_trainable_variables(self):
        trainable = set(self.trainable_variables)
        return [v for v in self.global_variables if v not in trainable]


def make_template(name_, func_, create_scope_now_=False, unique_name_=None,
                  custom_getter_=None, **kwargs):
    """A Template of ``func_`` (``kwargs`` bound to it) that shares its variables between
    calls, in the variable scope ``name_`` (made unique)."""
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_,
                    unique_name=unique_name_, custom_getter=custom_getter_)
