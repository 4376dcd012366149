"""``tf.train.ExponentialMovingAverage``: shadow variables that follow others, as TF1 keeps them
(``shadow -= (1 - decay) * (shadow - value)``), named ``<var>/ExponentialMovingAverage``."""

from __future__ import annotations

from ..graph import GraphKeys, convert_to_tensor, get_default_graph
from ..ops import array_ops, math_ops, state_ops
from ..variables import Variable, global_variables, trainable_variables


def move_toward(variable, value, rate, name=None):
    """``variable -= (variable - value) * rate`` (rate = 1 - decay), the moving-average update
    of EMA and of batch normalization's statistics; returns the updated value. (TF's public
    assign_moving_average also zero-debiases by default; this is its plain update.)"""
    graph = get_default_graph()
    with graph.name_scope(name or "AssignMovingAvg") as scope:
        rate = convert_to_tensor(rate, name="decay")
        if rate.dtype != variable.dtype:
            rate = math_ops.cast(rate, variable.dtype)
        return state_ops.assign_sub(variable, (variable.value() - value) * rate, name=scope)


class ExponentialMovingAverage:
    """Keeps moving averages of variables (or tensors): ``apply(var_list)`` creates a shadow
    per variable and returns the op that updates them all; ``average(var)`` is the shadow."""

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        if zero_debias:
            raise NotImplementedError("ExponentialMovingAverage(zero_debias=True) is not "
                                      "supported")
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list=None):
        """Creates the shadows (once per variable) and returns the op updating them."""
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        graph = get_default_graph()
        for var in var_list:
            if not var.dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if var in self._averages:
                raise ValueError(f"Moving average already computed for: {var.name}")
            with graph.name_scope(None), graph.control_dependencies(None):
                if isinstance(var, Variable):  # starts at the variable's initial value
                    initial = var.initial_value
                    collections = [GraphKeys.GLOBAL_VARIABLES]
                    graph.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:  # a tensor's average starts at zero (of its run-time shape if need be)
                    known = var.shape.is_fully_defined()
                    initial = array_ops.zeros(var.shape.as_list() if known else
                                              array_ops.shape(var), dtype=var.dtype)
                    collections = [GraphKeys.GLOBAL_VARIABLES]
                self._averages[var] = Variable(
                    initial, trainable=False, name=self.average_name(var),
                    collections=collections, validate_shape=var.shape.is_fully_defined())
        with graph.name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:  # smaller decay early on, as TF1
                n = math_ops.cast(convert_to_tensor(self._num_updates), decay.dtype)
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = [move_toward(self._averages[var], var, 1.0 - decay)
                       for var in var_list]
            return array_ops.group(*updates, name=scope)

    def average(self, var):
        """The shadow variable of ``var`` (None if ``apply`` did not see it)."""
        return self._averages.get(var)

    def average_name(self, var) -> str:
        """The shadow's name: ``<var op name>/<this average's name>`` (also its checkpoint
        key, so a Saver built from ``variables_to_restore`` loads averages into variables)."""
        return f"{var.op.name}/{self._name}"

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


def moving_average_variables(scope=None) -> list:
    """The variables an ExponentialMovingAverage has been applied to."""
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)
