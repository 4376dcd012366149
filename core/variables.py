"""TF 1.x reference variables, ``get_variable`` and ``variable_scope``: the module the rest of
minitf imports them from.

It holds the collection functions (``global_variables``, ``trainable_variables``, ...) and the
ops that initialize variables or report them (``global_variables_initializer``,
``report_uninitialized_variables``, ``tables_initializer``, ...). The rest lives in modules of
its own, each readable in one sitting, and is re-exported here: the Variable class in
core/ref_variable.py, variable scopes, ``get_variable`` and the variable store in
core/variable_scopes.py, the rest of the Variable API in core/variables_extra.py.
"""

from __future__ import annotations

from . import dtypes as _dt
from .graph import GraphKeys, get_default_graph
from .ops import array_ops, state_ops
from .ref_variable import RefVariable, Variable, VariableV1, _delegate, _getitem  # noqa: F401
from .variable_scopes import (AUTO_REUSE, VariableScope, _default_initializer,  # noqa: F401
                              _ReuseMode, _store, _VariableStore, _wrap_getter,
                              get_local_variable, get_variable, get_variable_scope,
                              no_regularizer, variable_scope)
from .variables_extra import (VariableAggregation, VariableSynchronization,  # noqa: F401
                              attach, batch_scatter_update, call_initializer,
                              check_synchronization, from_proto, init_scope,
                              takes_no_arguments)


# -- collections and initializers ---------------------------------------------------------------
def global_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """One op that runs the initializers of ``var_list``."""
    if var_list:
        return array_ops.group(*[v.initializer for v in var_list], name=name)
    return array_ops.no_op(name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init")


initialize_all_variables = global_variables_initializer
initialize_local_variables = local_variables_initializer


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor: the names of the variables (default: global and local) that have
    no value yet, as TF1 reports them (empty when all are initialized)."""
    from .ops import concat_split_ops, gather_ops, logic_ops

    if var_list is None:
        var_list = global_variables() + local_variables()
    graph = get_default_graph()
    with graph.as_default(), graph.name_scope(name) as scope:
        if not var_list:
            return array_ops.constant([], dtype=_dt.string, name=scope)
        names = array_ops.constant([v.op.name for v in var_list], dtype=_dt.string)
        missing = logic_ops.logical_not(concat_split_ops.stack(
            [state_ops.is_variable_initialized(v) for v in var_list]))
        rows = array_ops.reshape(logic_ops.where(missing), [-1])
        return gather_ops.gather(names, rows, name=scope)


def tables_initializer(name="init_all_tables"):
    """The op running every table initializer (the TABLE_INITIALIZERS collection); a NoOp
    when there are none, as TF1's."""
    inits = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    if not inits:
        return array_ops.no_op(name=name)
    return array_ops.group(*inits, name=name)
initialize_variables = variables_initializer
all_variables = global_variables
