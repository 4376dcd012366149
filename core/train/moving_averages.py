"""``tf.train.ExponentialMovingAverage``: shadow variables that follow others, as TF1 keeps them
(``shadow -= (1 - decay) * (shadow - value)``), named ``<var>/ExponentialMovingAverage`` under
the variable scope ``apply`` runs in (``model/model/w/ExponentialMovingAverage``, as TF1's
slots). With ``zero_debias``, averages of tensors are divided by ``1 - decay ** steps`` (TF1's
``biased`` and ``local_step`` variables), so they do not start biased toward zero."""

from __future__ import annotations

import contextlib

from .. import dtypes as _dt
from .. import init_ops
from ..graph import GraphKeys, convert_to_tensor, get_default_graph
from ..ops import array_ops, math_ops, state_ops
from ..variables import (Variable, get_variable, get_variable_scope, global_variables,
                         trainable_variables, variable_scope)


def move_toward(variable, value, rate, name=None):
    """``variable -= (variable - value) * rate`` (rate = 1 - decay), batch normalization's
    update of its moving statistics; returns the updated value. As TF1's layer does it, the
    whole update is colocated with ``variable`` (a tower's update of a shared statistic runs
    where the statistic is). (TF's public assign_moving_average also zero-debiases by default;
    this is its plain update.)"""
    graph = get_default_graph()
    with graph.name_scope(name or "AssignMovingAvg") as scope, graph.colocate_with(variable):
        rate = convert_to_tensor(rate, name="decay")
        if rate.dtype != variable.dtype:
            rate = math_ops.cast(rate, variable.dtype)
        return state_ops.assign_sub(variable, (variable.value() - value) * rate, name=scope)


def _assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """TF1's ``moving_averages.assign_moving_average``, the one update every moving average
    here uses: in a ``name`` (default ``AssignMovingAvg``) scope, ``rate = 1 - decay`` (a
    ``decay`` const when ``decay`` is a Python number, cast to the variable's dtype), then
    ``variable -= (variable - value) * rate``, or the zero-debiased update. Only the ops writing
    a variable are colocated with it (TF1 colocates an op with its ref inputs); the arithmetic
    stays in the device scope around."""
    graph = get_default_graph()
    with graph.name_scope(name or "AssignMovingAvg") as scope:
        rate = convert_to_tensor(1.0 - decay, name="decay")
        if rate.dtype != variable.dtype:
            rate = math_ops.cast(rate, variable.dtype)
        if zero_debias:
            return _zero_debias(variable, value, rate, scope)
        delta = (variable.value() - value) * rate
        with graph.colocate_with(variable):
            return state_ops.assign_sub(variable, delta, name=scope)


class ExponentialMovingAverage:
    """Keeps moving averages of variables (or tensors): ``apply(var_list)`` creates a shadow
    per variable and returns the op that updates them all; ``average(var)`` is the shadow."""

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list=None):
        """Creates the shadows (once per variable) and returns the op updating them. As TF1
        places them, a variable's shadow (and a variable output's) is colocated with it; a
        tensor's shadow is made in the device scope around."""
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        graph = get_default_graph()
        debiased = set()  # shadows of tensors, when zero_debias (TF1 debiases no Variable)
        for var in var_list:
            if not var.dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if var in self._averages:  # TF 1.x refuses (TF 2's compat.v1 reuses the shadow)
                raise ValueError(f"Moving average already computed for: {var.name}")
            with graph.control_dependencies(None):
                if isinstance(var, Variable):  # starts at the variable's value (TF1's
                    # initialized_value: its initial value if it is not initialized yet, so a
                    # shadow added after training or a restore starts where the variable is)
                    initial = var.initialized_value()
                    graph.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:  # a tensor's average starts at zero (of its run-time shape if need be)
                    known = var.shape.is_fully_defined()
                    initial = array_ops.zeros(var.shape.as_list() if known else
                                              array_ops.shape(var), dtype=var.dtype)
                scope = get_variable_scope().name
                name = f"{var.op.name}/{self._name}"
                colocate = (isinstance(var, Variable) or var.op.type in
                            ("Variable", "VariableV2", "VarHandleOp"))
                with graph.name_scope(None), (graph.colocate_with(var) if colocate else
                                              contextlib.nullcontext()):
                    shadow = Variable(initial, trainable=False,
                                      name=f"{scope}/{name}" if scope else name,
                                      validate_shape=var.shape.is_fully_defined())
            self._averages[var] = shadow
            if self._zero_debias and not isinstance(var, Variable):
                debiased.add(var)
        with graph.name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=_dt.float32, name="decay")
            if self._num_updates is not None:  # smaller decay early on, as TF1
                n = math_ops.cast(convert_to_tensor(self._num_updates), _dt.float32,
                                  name="num_updates")
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = [_assign_moving_average(self._averages[var], var, decay, var in debiased)
                       for var in var_list]
            return array_ops.group(*updates, name=scope)

    def average(self, var):
        """The shadow variable of ``var`` (None if ``apply`` did not see it)."""
        return self._averages.get(var)

    def average_name(self, var) -> str:
        """The shadow's op name (also its checkpoint key, so a Saver built from
        ``variables_to_restore`` loads averages into variables); before ``apply``, the name
        it would get outside any variable scope, as TF1 answers."""
        if var in self._averages:
            return self._averages[var].op.name
        return get_default_graph().unique_name(f"{var.op.name}/{self._name}",
                                               mark_as_used=False)

    def variables_to_restore(self, moving_avg_variables=None) -> dict:
        """{checkpoint name: variable}: averaged variables read their shadows' values, the
        rest their own."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + get_default_graph().get_collection(
                GraphKeys.MOVING_AVERAGE_VARIABLES)
        averaged = list(dict.fromkeys(moving_avg_variables))
        names = {self.average_name(v): v for v in averaged}
        for v in global_variables():
            if v not in averaged and v.op.name not in names:
                names[v.op.name] = v
        return names


def _zero_debias(shadow, value, rate, scope):
    """TF1's zero-debiased update: ``biased`` follows ``value`` as a plain moving average
    from zero, ``local_step`` counts updates, and the shadow is ``biased / (1 - decay **
    local_step)``. ``biased`` and ``local_step`` are colocated with the shadow, and each
    assignment with the variable it writes, as in TF1."""
    graph = get_default_graph()
    with variable_scope(shadow.op.name):
        with graph.control_dependencies(None), graph.colocate_with(shadow):
            biased = get_variable(_unique_in_scope("biased"), shape=shadow.shape,
                                  dtype=shadow.dtype, initializer=init_ops.zeros_initializer(),
                                  trainable=False)
            local_step = get_variable(_unique_in_scope("local_step"), shape=[],
                                      dtype=shadow.dtype,
                                      initializer=init_ops.zeros_initializer(),
                                      trainable=False)
    delta = (biased.value() - value) * rate
    with graph.colocate_with(biased):
        update_biased = state_ops.assign_sub(biased, delta)
    with graph.name_scope("AssignAdd") as add_scope:  # the 1 stays outside, as in TF1
        one = convert_to_tensor(1, dtype=local_step.dtype, name="value")
        with graph.colocate_with(local_step):
            update_step = state_ops.assign_add(local_step, one, name=add_scope)
    bias_factor = 1 - math_ops.pow(1.0 - rate, update_step)
    debiased = update_biased / bias_factor
    with graph.colocate_with(shadow):
        return state_ops.assign(shadow, debiased, name=scope)


def _unique_in_scope(name: str) -> str:
    """``name``, or ``name_1``, ``name_2``... if the current variable scope has it (TF1)."""
    scope = get_variable_scope().name
    taken = {v.op.name for v in global_variables()}
    if f"{scope}/{name}" not in taken:
        return name
    i = 1
    while f"{scope}/{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"


def moving_average_variables(scope=None) -> list:
    """The variables an ExponentialMovingAverage has been applied to."""
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)
